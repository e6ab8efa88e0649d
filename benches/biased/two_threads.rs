//! `biased/two-threads-same-object`: the bench thread and a helper each
//! run the same number of pairs on one object at the same time; the time
//! is the wall time until both are done. Biased counting gives the owner
//! its fast path and sends the other thread to the shared count; with a
//! third thread as owner, both take the shared path, as with `Arc`.

use criterion::{Criterion, Throughput};
use objmodel::header::biased::FtHeader;
use objmodel::prelude::*;

use crate::layouts::{PaddedHeader, SplitHeader};
use crate::objects::{isolated_arc, leak, leak_isolated, SHARED};
use crate::pairs::{biased_pair, ref_pair};
use crate::support::pairs::arc_pair;
use crate::threads::{two_threads, Helper};

pub fn two_threads_same_object(c: &mut Criterion) {
    let mut g = c.benchmark_group("biased/two-threads-same-object");
    // One pair on each thread per iteration.
    g.throughput(Throughput::Elements(2));
    let helper = Helper::spawn();

    let arc = isolated_arc();
    g.bench_function("baseline/Arc", |b| {
        b.iter_custom(|iters| two_threads(&helper, iters, || arc_pair(arc)))
    });

    // Created here: this thread owns it, the helper does not.
    let h = leak_isolated(FtHeader::new_owned());
    g.bench_function("objmodel/FtHeader-owner+non-owner", |b| {
        b.iter_custom(|iters| two_threads(&helper, iters, || biased_pair(h)))
    });

    let r = leak(Ref::new(&SHARED, 0));
    g.bench_function("objmodel/Ref<FtObject>-owner+non-owner", |b| {
        b.iter_custom(|iters| two_threads(&helper, iters, || ref_pair(r)))
    });

    let p = leak(PaddedHeader::new_owned());
    g.bench_function("objmodel/padded-owner+non-owner", |b| {
        b.iter_custom(|iters| two_threads(&helper, iters, || biased_pair(p)))
    });

    let sp = leak(SplitHeader::new_owned());
    g.bench_function("objmodel/split-owner+non-owner", |b| {
        b.iter_custom(|iters| two_threads(&helper, iters, || biased_pair(sp)))
    });

    // Owned by a third thread: both timed threads take the shared path.
    let owner = Helper::spawn();
    let h: &'static FtHeader = owner.run(|| leak_isolated(FtHeader::new_owned()));
    g.bench_function("objmodel/FtHeader-two-non-owners", |b| {
        b.iter_custom(|iters| two_threads(&helper, iters, || biased_pair(h)))
    });
    g.finish();
}
