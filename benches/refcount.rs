//! Increment+decrement pairs: objmodel's count word and refcounters side by
//! side with `Cell<usize>`, `Rc` and `Arc`, in one criterion group so the
//! ratios come from one run.
//!
//! Each member performs one increment and one decrement of a long-lived
//! counter per iteration, each through `black_box` so neither is folded
//! away, and branches on "was it the last?" to an out-of-line dealloc stub —
//! exactly the shape of `Rc::clone` + `Rc::drop` (which branches to
//! `drop_slow`). Passing the decrement's whole `Result` to `black_box`
//! instead would measure a store-forwarding stall on its spilled bytes, not
//! the counter.
//! Targets (issue: object-header): mortal pair <= 1.15x `Rc`, immortal pair
//! <= mortal pair, `AtomicRefcounter` pair <= 1.1x `Arc`.

// criterion_group! generates an undocumented `pub fn`.
#![allow(missing_docs)]

mod support;

use std::cell::Cell;
use std::hint::black_box;
use std::rc::Rc;
use std::sync::Arc;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use objmodel::prelude::*;

use support::pairs::{arc_pair, dealloc_stub, rc_pair, word_pair};

fn pair(c: &mut Criterion) {
    let mut g = c.benchmark_group("refcount/pair");
    g.throughput(Throughput::Elements(1));

    let cell = Cell::new(1usize);
    g.bench_function("baseline/Cell<usize>", |b| {
        b.iter(|| {
            let cell = black_box(&cell);
            cell.set(cell.get() + 1);
            let cell = black_box(cell);
            cell.set(cell.get() - 1);
        })
    });

    let rc = Rc::new(0u64);
    g.bench_function("baseline/Rc", |b| b.iter(|| rc_pair(&rc)));

    let arc = Arc::new(0u64);
    g.bench_function("baseline/Arc", |b| b.iter(|| arc_pair(&arc)));

    let mortal = CountWord::new(1);
    g.bench_function("CountWord/mortal", |b| b.iter(|| word_pair(&mortal)));

    let immortal = CountWord::new_immortal();
    g.bench_function("CountWord/immortal", |b| b.iter(|| word_pair(&immortal)));

    let static_immortal = CountWord::new_static_immortal();
    g.bench_function("CountWord/static-immortal", |b| {
        b.iter(|| word_pair(&static_immortal))
    });

    let plain = Refcounter::new(1);
    g.bench_function("Refcounter", |b| {
        b.iter(|| {
            black_box(&plain).inc();
            if black_box(&plain).dec_and_test() == Ok(true) {
                dealloc_stub();
            }
        })
    });

    let atomic = AtomicRefcounter::new(1);
    g.bench_function("AtomicRefcounter", |b| {
        b.iter(|| {
            black_box(&atomic).inc();
            if black_box(&atomic).dec_and_test() == Ok(true) {
                dealloc_stub();
            }
        })
    });

    g.finish();
}

/// An object whose type never deallocates in this bench (its count stays
/// above zero).
static PLAIN: RustType<u64> = RustType::new("Plain");

/// Checked mode off must cost nothing on the incref/decref pair: the
/// CPython-name table's `Py_INCREF`/`Py_DECREF` on a real object (their
/// decrement keeps the checked error path, out of line) against the bare
/// count word with no checked-mode code at all. Target: <= 1.02x.
fn checked_off(c: &mut Criterion) {
    use objmodel::cpython::{PyObject, Py_DECREF, Py_INCREF};

    let mut g = c.benchmark_group("refcount/checked-off");
    g.throughput(Throughput::Elements(1));

    let word = CountWord::new(1);
    g.bench_function("baseline/CountWord", |b| b.iter(|| word_pair(&word)));

    let obj = Ref::new(&PLAIN, 0);
    let op: *mut PyObject = Ref::as_ptr(&obj).cast();
    g.bench_function("objmodel/Py_INCREF+Py_DECREF", |b| {
        b.iter(|| {
            // SAFETY: `obj` keeps the object alive with count >= 1, so the
            // decrement never reaches zero.
            unsafe {
                Py_INCREF(black_box(op));
                Py_DECREF(black_box(op));
            }
        })
    });
    g.finish();
}

criterion_group!(benches, pair, checked_off);
criterion_main!(benches);
