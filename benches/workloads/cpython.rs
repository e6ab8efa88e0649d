//! CPython 3.11 on the dealloc shapes, against objmodel in the same group
//! (`benches/cpython/dealloc_shapes.py`, driven over a pipe and timed
//! inside Python):
//!
//! - `cpython/chain-drop-1M`: dropping the head of a 1M-object chain,
//!   each object holding the next; CPython's trashcan and objmodel's keep
//!   the recursion bounded. Target: objmodel >= 3x faster than CPython.
//! - `cpython/node-alloc+free`: one small tracked object allocated and
//!   freed at once.
//!
//! Without `python3` the CPython members are skipped, with a note.

use std::hint::black_box;

use criterion::{BatchSize, Criterion, Throughput};
use objmodel::cpython::*;

use crate::support::cpython::{script, Python};
use crate::support::objects::{ready, small_chain, NODE, SMALL};
use crate::support::quick::size;

/// One long-lived `python3 benches/cpython/dealloc_shapes.py MODE N`;
/// `None` when `python3` does not start.
fn spawn(mode: &str, n: usize) -> Option<Python> {
    let (script, n) = (script("dealloc_shapes.py"), n.to_string());
    let (py, ready) = Python::spawn([script.as_os_str(), mode.as_ref(), n.as_ref()]).ok()?;
    let version = ready.strip_prefix("ready ")?;
    println!("cpython/{mode}: CPython {version}");
    Some(py)
}

pub fn cpython(c: &mut Criterion) {
    let n = size(1_000_000, 10_000);
    let mut g = c.benchmark_group("cpython/chain-drop-1M");
    g.throughput(Throughput::Elements(n as u64));
    g.sample_size(10);
    if let Some(mut py) = spawn("chain-drop", n) {
        g.bench_function("baseline/cpython-3.11", |b| b.iter_custom(|k| py.run(k)));
    } else {
        println!("cpython/chain-drop-1M: python3 is not available; baseline skipped");
    }
    let small = ready(&SMALL);
    g.bench_function("objmodel/Py_DECREF-trashcan", |b| {
        b.iter_batched(
            || small_chain(small, n),
            |head| unsafe { Py_DECREF(head) },
            BatchSize::PerIteration,
        )
    });
    g.finish();

    let mut g = c.benchmark_group("cpython/node-alloc+free");
    g.throughput(Throughput::Elements(1));
    if let Some(mut py) = spawn("node-pairs", 1) {
        g.bench_function("baseline/cpython-3.11", |b| b.iter_custom(|k| py.run(k)));
    }
    let node = ready(&NODE);
    g.bench_function("objmodel/PyType_GenericAlloc+Py_DECREF", |b| {
        b.iter(|| unsafe {
            let op = PyType_GenericAlloc(node, 0);
            Py_DECREF(black_box(op));
        })
    });
    g.finish();
}
