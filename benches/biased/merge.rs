//! `biased/cross-thread-decref+merge`: per object, a helper thread's
//! decrement that goes to the owner's merge queue plus the owner's merge
//! (`merge_refcounts`), against an `Arc` dropped on the helper (last
//! reference, or not). This is the price biased counting pays when an
//! object dies away from its owner.

use std::hint::black_box;
use std::sync::Arc;
use std::time::Instant;

use criterion::{Criterion, Throughput};
use objmodel::header::biased::{self, Decref, FtHeader};
use objmodel::prelude::*;
use objmodel::types::ft::{refs::merge_refcounts, FtObject};

use crate::objects::SHARED;
use crate::support::pairs::dealloc_stub;
use crate::threads::Helper;

pub fn cross_thread_decref_merge(c: &mut Criterion) {
    let mut g = c.benchmark_group("biased/cross-thread-decref+merge");
    // Per object: the helper's decrement plus (biased) the owner's merge.
    g.throughput(Throughput::Elements(1));
    let helper = Helper::spawn();

    g.bench_function("baseline/Arc-drop-last", |b| {
        b.iter_custom(|iters| {
            let objs: Vec<Arc<u64>> = (0..iters).map(Arc::new).collect();
            let (_, remote) = helper.run(move || {
                let mut objs = objs;
                let t = Instant::now();
                objs.drain(..).for_each(|a| drop(black_box(a)));
                (objs, t.elapsed())
            });
            remote
        })
    });

    g.bench_function("baseline/Arc-drop-not-last", |b| {
        b.iter_custom(|iters| {
            let keep: Vec<Arc<u64>> = (0..iters).map(Arc::new).collect();
            let objs: Vec<Arc<u64>> = keep.iter().map(Arc::clone).collect();
            let (_, remote) = helper.run(move || {
                let mut objs = objs;
                let t = Instant::now();
                objs.drain(..).for_each(|a| drop(black_box(a)));
                (objs, t.elapsed())
            });
            drop(keep);
            remote
        })
    });

    // The owner keeps one reference (local 2), so the merge leaves each
    // object alive (MERGED, count 1): no dealloc is timed.
    g.bench_function("objmodel/FtHeader-queue+merge", |b| {
        b.iter_custom(|iters| {
            let objs: Vec<Box<FtHeader>> = (0..iters)
                .map(|_| {
                    let h = Box::new(FtHeader::new_owned());
                    h.incref();
                    h
                })
                .collect();
            let (objs, remote) = helper.run(move || {
                let t = Instant::now();
                for h in &objs {
                    // Shared count 0: each decrement goes to our queue.
                    if black_box(&**h).decref() == Ok(Decref::Dead) {
                        dealloc_stub();
                    }
                }
                (objs, t.elapsed())
            });
            let t = Instant::now();
            let merged = black_box(biased::merge_refcounts());
            let local = t.elapsed();
            assert_eq!(merged as u64, iters);
            drop(objs);
            remote + local
        })
    });

    // The helper drops the only reference; each object dies in the
    // owner's merge and is deallocated there (as `Arc-drop-last` frees on
    // the helper).
    g.bench_function("objmodel/Ref<FtObject>-queue+merge-last", |b| {
        b.iter_custom(|iters| {
            let objs: Vec<Ref<u64, FtObject>> = (0..iters).map(|i| Ref::new(&SHARED, i)).collect();
            let (_, remote) = helper.run(move || {
                let mut objs = objs;
                let t = Instant::now();
                objs.drain(..).for_each(|r| drop(black_box(r)));
                (objs, t.elapsed())
            });
            let t = Instant::now();
            let merged = black_box(merge_refcounts());
            let local = t.elapsed();
            assert_eq!(merged as u64, iters);
            remote + local
        })
    });
    g.finish();
}
