//! `dealloc/container-drop-1M`: dropping a container of 1M small objects
//! in one call. `Vec<Box>` and `Vec<Rc>` free each element through the
//! allocator (`Rc` checks its count first); objmodel's untracked `List`
//! decrements each [`Small`] element through `Py_DECREF`, which dispatches
//! to its type's dealloc. The time is the drop alone; building is untimed.

use std::mem::size_of;
use std::ptr::addr_of_mut;

use criterion::{BatchSize, Criterion, Throughput};
use objmodel::cpython::*;

use crate::support::objects::{alloc, ready, SMALL};
use crate::support::quick::size;

/// An untracked list: `len` owned references in a variable-size tail.
#[repr(C)]
struct List {
    ob_base: PyObject,
    len: usize,
    items: [*mut PyObject; 0],
}

unsafe extern "C" fn list_dealloc(op: *mut PyObject) {
    unsafe {
        let items = addr_of_mut!((*op.cast::<List>()).items).cast::<*mut PyObject>();
        for i in 0..(*op.cast::<List>()).len {
            Py_DECREF(*items.add(i));
        }
        PyObject_Free(op.cast());
    }
}

static LIST: PyTypeObject = PyTypeObject {
    tp_name: "List",
    tp_basicsize: size_of::<List>() as Py_ssize_t,
    tp_itemsize: size_of::<*mut PyObject>() as Py_ssize_t,
    tp_dealloc: Some(list_dealloc),
    ..PyTypeObject::DEFAULT
};

pub fn container_drop(c: &mut Criterion) {
    let n = size(1_000_000, 10_000);
    let mut g = c.benchmark_group("dealloc/container-drop-1M");
    g.throughput(Throughput::Elements(n as u64));
    g.sample_size(10);
    g.bench_function("baseline/Vec<Box>", |b| {
        b.iter_batched(
            || (0..n).map(|i| Box::new([i as u64; 2])).collect::<Vec<_>>(),
            drop,
            BatchSize::PerIteration,
        )
    });
    g.bench_function("baseline/Vec<Rc>", |b| {
        b.iter_batched(
            || {
                (0..n)
                    .map(|i| std::rc::Rc::new([i as u64; 2]))
                    .collect::<Vec<_>>()
            },
            drop,
            BatchSize::PerIteration,
        )
    });
    let list_ty = ready(&LIST);
    g.bench_function("objmodel/list-Py_DECREF", |b| {
        b.iter_batched(
            || {
                let list = unsafe { PyType_GenericAlloc(list_ty, n as Py_ssize_t) };
                assert!(!list.is_null());
                unsafe {
                    let items = addr_of_mut!((*list.cast::<List>()).items).cast::<*mut PyObject>();
                    for i in 0..n {
                        *items.add(i) = alloc(&SMALL);
                    }
                    (*list.cast::<List>()).len = n;
                }
                list
            },
            |list| unsafe { Py_DECREF(list) },
            BatchSize::PerIteration,
        )
    });
    g.finish();
}
