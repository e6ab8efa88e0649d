//! objmodel's block heap (`objmodel::types::alloc::Heap`) on its own,
//! without types or counts:
//!
//! - `dealloc/heap-teardown-1M`: freeing 1M blocks one by one, then the
//!   heap, against dropping a bumpalo arena of 1M allocations (which frees
//!   its chunks wholesale); and dropping a heap already emptied.
//! - `dealloc/free-list`: allocate+free pairs that hit the free list,
//!   against allocations that miss it (fresh blocks) and against `Box`.

use std::hint::black_box;

use criterion::{BatchSize, Criterion, Throughput};
use objmodel::types::alloc::Heap;

use crate::support::quick::size;

/// A heap with `n` live 32-byte blocks, freed block by block on drop (a
/// heap dropped with live blocks keeps their memory, by design).
struct FilledHeap {
    heap: Option<Heap>,
    blocks: Vec<*mut u8>,
}

impl FilledHeap {
    fn new(n: usize) -> FilledHeap {
        let heap = Heap::new();
        let blocks = (0..n).map(|_| heap.alloc(32).unwrap().as_ptr()).collect();
        FilledHeap {
            heap: Some(heap),
            blocks,
        }
    }

    fn free_each_then_drop(mut self) {
        for p in self.blocks.drain(..) {
            unsafe { Heap::free(p) };
        }
        drop(self.heap.take());
    }
}

impl Drop for FilledHeap {
    fn drop(&mut self) {
        for p in self.blocks.drain(..) {
            unsafe { Heap::free(p) };
        }
    }
}

pub fn heap_teardown(c: &mut Criterion) {
    let n = size(1_000_000, 10_000);
    let mut g = c.benchmark_group("dealloc/heap-teardown-1M");
    g.throughput(Throughput::Elements(n as u64));
    g.sample_size(10);
    g.bench_function("baseline/bumpalo-drop", |b| {
        b.iter_batched(
            || {
                let bump = bumpalo::Bump::new();
                for i in 0..n {
                    black_box(bump.alloc([i as u64; 4]));
                }
                bump
            },
            drop,
            BatchSize::PerIteration,
        )
    });
    g.bench_function("objmodel/Heap-free-each+drop", |b| {
        b.iter_batched(
            || FilledHeap::new(n),
            FilledHeap::free_each_then_drop,
            BatchSize::PerIteration,
        )
    });
    g.bench_function("objmodel/Heap-drop-emptied", |b| {
        b.iter_batched(
            || {
                let mut f = FilledHeap::new(n);
                for p in f.blocks.drain(..) {
                    unsafe { Heap::free(p) };
                }
                f
            },
            FilledHeap::free_each_then_drop,
            BatchSize::PerIteration,
        )
    });
    g.finish();
}

pub fn free_list(c: &mut Criterion) {
    const K: usize = 1000;
    let mut g = c.benchmark_group("dealloc/free-list");
    g.throughput(Throughput::Elements(K as u64));
    g.bench_function("baseline/Box", |b| {
        b.iter(|| {
            for i in 0..K {
                drop(black_box(Box::new([i as u64; 4])));
            }
        })
    });
    let heap = Heap::new();
    g.bench_function("objmodel/hit", |b| {
        b.iter(|| {
            for _ in 0..K {
                let p = black_box(heap.alloc(32).unwrap());
                unsafe { Heap::free(p.as_ptr()) };
            }
        })
    });
    g.bench_function("objmodel/miss", |b| {
        b.iter_batched(
            || FilledHeap::new(0),
            |mut f| {
                let heap = f.heap.as_ref().unwrap();
                for _ in 0..K {
                    f.blocks.push(black_box(heap.alloc(32).unwrap()).as_ptr());
                }
                f
            },
            BatchSize::SmallInput,
        )
    });
    g.finish();
}
