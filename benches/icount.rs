//! The hot paths one at a time, for callgrind's instruction counts
//! (`scripts/icount`): `icount PATH N` runs N operations of PATH inside
//! [`objmodel_icount_measured`], the only function callgrind counts
//! (`--toggle-collect`). Setup (allocating the objects, raising the count)
//! and teardown run outside it. `scripts/icount` subtracts a run with
//! N = 0 and divides by N, so the loop's own few instructions per
//! operation are included and the fixed cost is not.
//!
//! Paths:
//! - `incref`: `Py_INCREF` on one mortal object.
//! - `decref`: `Py_DECREF` on one mortal object whose count stays above 0.
//! - `dealloc`: `Py_DECREF` of N objects at count 1: the decrement, the
//!   dispatch to `tp_dealloc`, and the pool free.
//! - `collect`: one full collection of N self-referencing garbage objects
//!   (per object: traverse, subtract, move to unreachable, clear, free).
//!
//! Not a criterion bench: `cargo bench` runs it with `--bench` and no path,
//! and it exits at once.

// Each unsafe block drives the C-API on objects this file allocated and
// owns: instances of readied static types, each stored pointer a counted
// reference. The invariant is the same for every block.
#![allow(clippy::undocumented_unsafe_blocks)]

use std::ffi::{c_int, c_void};
use std::hint::black_box;
use std::mem::size_of;
use std::ptr::addr_of;

use objmodel::cpython::*;
use objmodel::Py_VISIT;

/// A tracked object with one slot (a self-reference in `collect`).
#[repr(C)]
struct Node {
    ob_base: PyObject,
    slot: *mut PyObject,
}

unsafe extern "C" fn node_traverse(op: *mut PyObject, visit: visitproc, arg: *mut c_void) -> c_int {
    unsafe { Py_VISIT!((*op.cast::<Node>()).slot, visit, arg) };
    0
}

unsafe extern "C" fn node_clear(op: *mut PyObject) -> c_int {
    unsafe { Py_CLEAR(&mut (*op.cast::<Node>()).slot) };
    0
}

unsafe extern "C" fn node_dealloc(op: *mut PyObject) {
    unsafe {
        PyObject_GC_UnTrack(op.cast());
        node_clear(op);
        PyObject_GC_Del(op.cast());
    }
}

static NODE: PyTypeObject = PyTypeObject {
    tp_name: "Node",
    tp_basicsize: size_of::<Node>() as Py_ssize_t,
    tp_flags: Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    tp_dealloc: Some(node_dealloc),
    tp_traverse: Some(node_traverse),
    tp_clear: Some(node_clear),
    ..PyTypeObject::DEFAULT
};

/// An untracked object: header and one word, freed by the generic free.
#[repr(C)]
struct Small {
    ob_base: PyObject,
    value: u64,
}

unsafe extern "C" fn small_dealloc(op: *mut PyObject) {
    unsafe { PyObject_Free(op.cast()) };
}

static SMALL: PyTypeObject = PyTypeObject {
    tp_name: "Small",
    tp_basicsize: size_of::<Small>() as Py_ssize_t,
    tp_dealloc: Some(small_dealloc),
    ..PyTypeObject::DEFAULT
};

fn ty(t: &'static PyTypeObject) -> *mut PyTypeObject {
    let p = addr_of!(*t).cast_mut();
    assert_eq!(unsafe { PyType_Ready(p) }, 0);
    p
}

fn alloc(t: *mut PyTypeObject) -> *mut PyObject {
    let op = unsafe { PyType_GenericAlloc(t, 0) };
    assert!(!op.is_null());
    op
}

/// The only code callgrind counts. `inline(never)` and `no_mangle` keep
/// its symbol for `--toggle-collect`.
#[inline(never)]
#[no_mangle]
pub fn objmodel_icount_measured(path: &str, objs: &[*mut PyObject], n: usize) -> isize {
    match path {
        "incref" => {
            let op = objs[0];
            for _ in 0..n {
                unsafe { Py_INCREF(black_box(op)) };
            }
            0
        }
        "decref" => {
            let op = objs[0];
            for _ in 0..n {
                unsafe { Py_DECREF(black_box(op)) };
            }
            0
        }
        "dealloc" => {
            for &op in objs {
                unsafe { Py_DECREF(black_box(op)) };
            }
            0
        }
        "collect" => gc::collect(2),
        _ => unreachable!("checked by main"),
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (path, n) = match &args[..] {
        [path, n] if ["incref", "decref", "dealloc", "collect"].contains(&path.as_str()) => {
            (path.as_str(), n.parse::<usize>().expect("N: a number"))
        }
        // `cargo bench` runs every bench target with `--bench`.
        _ if args.iter().any(|a| a == "--bench") => return,
        _ => {
            eprintln!("usage: icount incref|decref|dealloc|collect N");
            std::process::exit(2);
        }
    };
    gc::disable();
    let mut objs: Vec<*mut PyObject> = Vec::new();
    match path {
        "incref" | "decref" => {
            let op = alloc(ty(&SMALL));
            if path == "decref" {
                unsafe { Py_SET_REFCNT(op, n as Py_ssize_t + 1) };
            }
            objs.push(op);
        }
        "dealloc" => objs.extend((0..n).map(|_| alloc(ty(&SMALL)))),
        "collect" => {
            let t = ty(&NODE);
            for _ in 0..n {
                let op = unsafe { PyType_GenericAlloc(t, 0) };
                assert!(!op.is_null());
                unsafe {
                    (*op.cast::<Node>()).slot = Py_NewRef(op);
                    Py_DECREF(op);
                }
            }
        }
        _ => unreachable!(),
    }
    let found = objmodel_icount_measured(path, &objs, n);
    match path {
        "incref" | "decref" => {
            let op = objs[0];
            unsafe { Py_SET_REFCNT(op, 1) };
            unsafe { Py_DECREF(op) };
        }
        "collect" => assert_eq!(found, n as isize, "the collection frees all n"),
        _ => {}
    }
}
