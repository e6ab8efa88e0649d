//! `biased/owner-pair-contended`: the owner's pair while a second thread
//! loops non-owner pairs on the same object's shared count, against the
//! owner's pair alone; the same for `Arc`; a control where the second
//! thread hammers another object; and the two experimental layouts of
//! [`layouts`](crate::layouts). Each member reports on stderr how much of
//! the time the threads were on a CPU, which a shared machine does not
//! promise.
//!
//! Target: the owner's pair under contention <= 2x the owner's pair alone.

use criterion::{Criterion, Throughput};
use objmodel::header::biased::FtHeader;

use crate::hammer::{CpuWatch, Hammer};
use crate::layouts::{PaddedHeader, SplitHeader};
use crate::objects::{isolated_arc, leak, leak_isolated};
use crate::pairs::{arc_pair_outlined, biased_pair, biased_pair_outlined};
use crate::support::pairs::arc_pair;

pub fn owner_pair_contended(c: &mut Criterion) {
    let mut g = c.benchmark_group("biased/owner-pair-contended");
    g.throughput(Throughput::Elements(1));
    let name = |m: &str| format!("biased/owner-pair-contended/{m}");

    let arc = isolated_arc();
    let watch = CpuWatch::start();
    g.bench_function("baseline/Arc-alone", |b| b.iter(|| arc_pair_outlined(arc)));
    watch.stop(&name("baseline/Arc-alone"));
    let hammer = Hammer::start(|| arc_pair(arc));
    g.bench_function("baseline/Arc-contended", |b| {
        b.iter(|| arc_pair_outlined(arc))
    });
    hammer.stop(&name("baseline/Arc-contended"));

    let h = leak_isolated(FtHeader::new_owned());
    let watch = CpuWatch::start();
    g.bench_function("objmodel/FtHeader-owner-alone", |b| {
        b.iter(|| biased_pair_outlined(h))
    });
    watch.stop(&name("objmodel/FtHeader-owner-alone"));
    let hammer = Hammer::start(|| biased_pair(h));
    g.bench_function("objmodel/FtHeader-owner-contended", |b| {
        b.iter(|| biased_pair_outlined(h))
    });
    hammer.stop(&name("objmodel/FtHeader-owner-contended"));

    // Control: the second thread hammers another object, on lines of its
    // own. What remains of the slowdown is the busy second thread itself
    // (a shared machine, the hypervisor), not the shared line.
    let other = leak(PaddedHeader::new_owned());
    let hammer = Hammer::start(|| biased_pair(other));
    g.bench_function("objmodel/FtHeader-owner-other-object-hammered", |b| {
        b.iter(|| biased_pair_outlined(h))
    });
    hammer.stop(&name("objmodel/FtHeader-owner-other-object-hammered"));

    let p = leak(PaddedHeader::new_owned());
    let watch = CpuWatch::start();
    g.bench_function("objmodel/padded-owner-alone", |b| {
        b.iter(|| biased_pair_outlined(p))
    });
    watch.stop(&name("objmodel/padded-owner-alone"));
    let hammer = Hammer::start(|| biased_pair(p));
    g.bench_function("objmodel/padded-owner-contended", |b| {
        b.iter(|| biased_pair_outlined(p))
    });
    hammer.stop(&name("objmodel/padded-owner-contended"));

    let sp = leak(SplitHeader::new_owned());
    let watch = CpuWatch::start();
    g.bench_function("objmodel/split-owner-alone", |b| {
        b.iter(|| biased_pair_outlined(sp))
    });
    watch.stop(&name("objmodel/split-owner-alone"));
    let hammer = Hammer::start(|| biased_pair(sp));
    g.bench_function("objmodel/split-owner-contended", |b| {
        b.iter(|| biased_pair_outlined(sp))
    });
    hammer.stop(&name("objmodel/split-owner-contended"));
    g.finish();
}
