//! Deallocation paths, each group with its baseline in the same run:
//! allocate+free through a type (objmodel pools, system allocator) against
//! `Box` and a bumpalo reset; dropping a 1M-node chain through `Py_DECREF`
//! dispatch (trashcan on) against iteratively dropped `Rc` and `Box` lists;
//! `Ref<T>` clone+drop against `Rc`.
//!
//! Targets (issue: type-object): chain drop <= 1.0x iterative `Rc` per
//! node; allocate+free <= 0.3x `Box`.

// criterion_group! generates an undocumented `pub fn`.
#![allow(missing_docs)]

mod support;

use std::hint::black_box;
use std::mem::size_of;
use std::rc::Rc;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use objmodel::cpython::*;
use objmodel::types::alloc::system_free;
use objmodel::types::create::{generic_alloc, system_type_alloc};
use objmodel::{Ref, RustType};

use support::objects::{ready, small_chain, Small};

const N: usize = 1_000_000;

/// `Small`'s dealloc through its type's own `tp_free`, so one dealloc
/// serves the pooled and the system-allocated type.
unsafe extern "C" fn small_dealloc(op: *mut PyObject) {
    // SAFETY: count 0; the slot owns its successor; freed once through the
    // type's own tp_free.
    unsafe {
        Py_CLEAR(&mut (*op.cast::<Small>()).next);
        let free = (*Py_TYPE(op)).tp_free.unwrap_or(PyObject_Free);
        free(op.cast());
    }
}

static POOLED: PyTypeObject = PyTypeObject {
    tp_name: "Small",
    tp_basicsize: size_of::<Small>() as Py_ssize_t,
    tp_dealloc: Some(small_dealloc),
    ..PyTypeObject::DEFAULT
};

static SYSTEM: PyTypeObject = PyTypeObject {
    tp_name: "SmallSys",
    tp_basicsize: size_of::<Small>() as Py_ssize_t,
    tp_dealloc: Some(small_dealloc),
    tp_alloc: Some(system_type_alloc),
    tp_free: Some(system_free),
    ..PyTypeObject::DEFAULT
};

fn alloc_free(c: &mut Criterion) {
    let mut g = c.benchmark_group("dealloc/alloc+free-1M");
    g.throughput(Throughput::Elements(N as u64));
    g.sample_size(10);
    let mut boxes: Vec<Box<[u64; 4]>> = Vec::with_capacity(N);
    g.bench_function("baseline/Box", |b| {
        b.iter(|| {
            for i in 0..N {
                boxes.push(Box::new([i as u64; 4]));
            }
            for x in boxes.drain(..) {
                drop(black_box(x));
            }
        })
    });
    let mut bump = bumpalo::Bump::new();
    g.bench_function("baseline/bumpalo-reset", |b| {
        b.iter(|| {
            for i in 0..N {
                black_box(bump.alloc([i as u64; 4]));
            }
            bump.reset();
        })
    });
    for (name, t) in [("objmodel/pool", &POOLED), ("objmodel/system", &SYSTEM)] {
        let t = ready(t);
        let mut objs: Vec<*mut PyObject> = Vec::with_capacity(N);
        g.bench_function(name, |b| {
            b.iter(|| {
                for _ in 0..N {
                    // SAFETY: a readied type; tp_alloc pairs with tp_free.
                    let alloc = unsafe { (*t).tp_alloc }.unwrap_or(generic_alloc);
                    // SAFETY: as above.
                    objs.push(unsafe { alloc(t, 0) });
                }
                for op in objs.drain(..) {
                    // SAFETY: the test owns each object's only reference.
                    unsafe { Py_DECREF(black_box(op)) };
                }
            })
        });
    }
    g.finish();
}

struct RcNode {
    next: Option<Rc<RcNode>>,
}

/// Drops an `Rc` list iteratively, as a careful Rust author must (the
/// derived drop would recurse and overflow the stack at 1M).
fn drop_rc_list(mut head: Option<Rc<RcNode>>) {
    while let Some(node) = head {
        head = match Rc::try_unwrap(node) {
            Ok(mut n) => n.next.take(),
            Err(_) => None,
        };
    }
}

struct BoxNode {
    next: Option<Box<BoxNode>>,
}

fn drop_box_list(mut head: Option<Box<BoxNode>>) {
    while let Some(mut node) = head {
        head = node.next.take();
    }
}

fn chain_drop(c: &mut Criterion) {
    let mut g = c.benchmark_group("dealloc/chain-drop-1M");
    g.throughput(Throughput::Elements(N as u64));
    g.sample_size(10);
    g.bench_function("baseline/Rc-iterative", |b| {
        b.iter_batched(
            || {
                let mut head = None;
                for _ in 0..N {
                    head = Some(Rc::new(RcNode { next: head }));
                }
                head
            },
            drop_rc_list,
            BatchSize::PerIteration,
        )
    });
    g.bench_function("baseline/Box-iterative", |b| {
        b.iter_batched(
            || {
                let mut head = None;
                for _ in 0..N {
                    head = Some(Box::new(BoxNode { next: head }));
                }
                head
            },
            drop_box_list,
            BatchSize::PerIteration,
        )
    });
    let t = ready(&POOLED);
    g.bench_function("objmodel/Py_DECREF-trashcan", |b| {
        b.iter_batched(
            || small_chain(t, N),
            // SAFETY: the routine owns the head's reference.
            |head| unsafe { Py_DECREF(head) },
            BatchSize::PerIteration,
        )
    });
    g.finish();
}

struct Payload(#[allow(dead_code)] u64);
static PAYLOAD: RustType<Payload> = RustType::new("Payload");

fn ref_pair(c: &mut Criterion) {
    let mut g = c.benchmark_group("dealloc/handle-clone+drop");
    g.throughput(Throughput::Elements(1));
    let rc = Rc::new(Payload(1));
    g.bench_function("baseline/Rc", |b| {
        b.iter(|| drop(black_box(Rc::clone(black_box(&rc)))))
    });
    let r = Ref::new(&PAYLOAD, Payload(1));
    g.bench_function("objmodel/Ref", |b| {
        b.iter(|| drop(black_box(Ref::clone(black_box(&r)))))
    });
    g.finish();
}

criterion_group!(benches, alloc_free, chain_drop, ref_pair);
criterion_main!(benches);
