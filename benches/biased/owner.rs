//! One thread's pair, with and without ownership:
//!
//! - `biased/owner-pair`: increment+decrement by the owning thread, the
//!   biased fast path (non-atomic on the local count), against `Rc`, `Arc`
//!   and the default build's count word. Target: <= 1.2x `Rc`.
//! - `biased/non-owner-pair`: the same by a thread that does not own the
//!   object (created on a helper thread that stays alive), the atomic path
//!   on the shared count, against `Arc`. Target: <= 1.1x `Arc`.

use std::rc::Rc;
use std::sync::Arc;

use criterion::{Criterion, Throughput};
use objmodel::header::biased::FtHeader;
use objmodel::prelude::*;

use crate::objects::{leak_isolated, SHARED};
use crate::pairs::{biased_pair, ref_pair};
use crate::support::pairs::{arc_pair, rc_pair, word_pair};
use crate::threads::Helper;

pub fn owner_pair(c: &mut Criterion) {
    let mut g = c.benchmark_group("biased/owner-pair");
    g.throughput(Throughput::Elements(1));

    let rc = Rc::new(0u64);
    g.bench_function("baseline/Rc", |b| b.iter(|| rc_pair(&rc)));
    let arc = Arc::new(0u64);
    g.bench_function("baseline/Arc", |b| b.iter(|| arc_pair(&arc)));
    let word = CountWord::new(1);
    g.bench_function("CountWord/mortal", |b| b.iter(|| word_pair(&word)));
    // On lines of its own, as in `biased/owner-pair-contended`.
    let h = leak_isolated(FtHeader::new_owned());
    g.bench_function("objmodel/FtHeader-owner", |b| b.iter(|| biased_pair(h)));
    let r = Ref::new(&SHARED, 0);
    g.bench_function("objmodel/Ref<FtObject>-clone+drop-owner", |b| {
        b.iter(|| ref_pair(&r))
    });
    g.finish();
}

pub fn non_owner_pair(c: &mut Criterion) {
    let mut g = c.benchmark_group("biased/non-owner-pair");
    g.throughput(Throughput::Elements(1));

    let arc = Arc::new(0u64);
    g.bench_function("baseline/Arc", |b| b.iter(|| arc_pair(&arc)));

    let owner = Helper::spawn();
    let h = owner.run(|| Box::new(FtHeader::new_owned()));
    assert!(!h.is_owned_by_current_thread());
    g.bench_function("objmodel/FtHeader-non-owner", |b| {
        b.iter(|| biased_pair::<FtHeader>(&h))
    });

    let r = owner.run(|| Ref::new(&SHARED, 0));
    g.bench_function("objmodel/Ref<FtObject>-clone+drop-non-owner", |b| {
        b.iter(|| ref_pair(&r))
    });
    // The owner drops the last reference: local 1 -> 0, dealloc there.
    owner.run(move || drop(r));
    g.finish();
}
