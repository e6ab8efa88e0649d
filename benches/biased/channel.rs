//! `biased/channel-2-threads`: batches of handles sent through
//! `std::sync::mpsc` to a consumer thread that drops them, the common
//! producer/consumer shape: clones of one object (the consumer's drops go
//! to the shared count, the first one queues the object to the owner), and
//! a fresh object per handle (each queued to the owner and freed in its
//! merge), against `Arc`, which frees on the consumer.

use std::hint::black_box;
use std::sync::{mpsc, Arc};
use std::thread::{self, JoinHandle};

use criterion::{Criterion, Throughput};
use objmodel::prelude::*;
use objmodel::types::ft::{refs::merge_refcounts, FtObject};

use crate::objects::SHARED;

/// Handles per batch in `biased/channel-2-threads`.
const BATCH: usize = 10_000;

/// A thread that drops whatever it receives and acknowledges every
/// [`BATCH`] items.
struct Consumer<T> {
    items: Option<mpsc::Sender<T>>,
    acks: mpsc::Receiver<()>,
    thread: Option<JoinHandle<()>>,
}

impl<T: Send + 'static> Consumer<T> {
    fn spawn() -> Consumer<T> {
        let (items, rx) = mpsc::channel::<T>();
        let (ack, acks) = mpsc::channel();
        let thread = thread::spawn(move || {
            for (i, item) in rx.into_iter().enumerate() {
                drop(black_box(item));
                if (i + 1) % BATCH == 0 {
                    ack.send(()).unwrap();
                }
            }
        });
        Consumer {
            items: Some(items),
            acks,
            thread: Some(thread),
        }
    }

    fn send(&self, item: T) {
        self.items
            .as_ref()
            .expect("consumer running")
            .send(item)
            .unwrap();
    }

    fn wait_batch(&self) {
        self.acks.recv().expect("consumer panicked");
    }
}

impl<T> Drop for Consumer<T> {
    fn drop(&mut self) {
        drop(self.items.take());
        if let Some(t) = self.thread.take() {
            t.join().expect("consumer thread panicked");
        }
    }
}

pub fn channel_2_threads(c: &mut Criterion) {
    let mut g = c.benchmark_group("biased/channel-2-threads");
    g.throughput(Throughput::Elements(BATCH as u64));

    // Clones of one object per batch. With `Ref`, the first drop on the
    // consumer queues the object to us, the rest subtract from its shared
    // count; our merge after the batch deallocates it. (Merged objects
    // stay unowned, so each batch starts with a fresh object to keep
    // measuring the biased path.)
    let consumer = Consumer::<Arc<u64>>::spawn();
    g.bench_function("baseline/Arc-clones", |b| {
        b.iter(|| {
            let a = Arc::new(0u64);
            for _ in 0..BATCH {
                consumer.send(Arc::clone(black_box(&a)));
            }
            drop(a);
            consumer.wait_batch();
        })
    });
    drop(consumer);
    let consumer = Consumer::<Ref<u64, FtObject>>::spawn();
    g.bench_function("objmodel/Ref<FtObject>-clones", |b| {
        b.iter(|| {
            let r = Ref::new(&SHARED, 0);
            for _ in 0..BATCH {
                consumer.send(Ref::clone(black_box(&r)));
            }
            drop(r);
            consumer.wait_batch();
            assert_eq!(merge_refcounts(), 1);
        })
    });
    drop(consumer);

    // A fresh object per handle: `Arc` frees on the consumer, `Ref`
    // queues each to us and frees in our merge.
    let consumer = Consumer::<Arc<u64>>::spawn();
    g.bench_function("baseline/Arc-fresh", |b| {
        b.iter(|| {
            for i in 0..BATCH {
                consumer.send(Arc::new(black_box(i as u64)));
            }
            consumer.wait_batch();
        })
    });
    drop(consumer);
    let consumer = Consumer::<Ref<u64, FtObject>>::spawn();
    g.bench_function("objmodel/Ref<FtObject>-fresh", |b| {
        b.iter(|| {
            for i in 0..BATCH {
                consumer.send(Ref::new(&SHARED, black_box(i as u64)));
            }
            consumer.wait_batch();
            assert_eq!(merge_refcounts(), BATCH);
        })
    });
    drop(consumer);
    g.finish();
}
