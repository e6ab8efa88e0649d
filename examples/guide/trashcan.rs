//! Chapter 5: the trashcan, which keeps deep deallocation off the stack.

use std::cell::Cell;
use std::io::{self, Write};
use std::ptr::{addr_of, null_mut};

use objmodel::cpython::*;
use objmodel::types::trashcan::{deferred_len, UNWIND_LEVEL};

/// The long chain's length: far past `UNWIND_LEVEL`, so most of its
/// destructors are parked and drained.
pub const LONG_CHAIN: usize = 10_000;

/// The long chain under Miri, which interprets every dealloc one step at a
/// time: 10 000 nodes take minutes there, while 200 are still four times
/// `UNWIND_LEVEL` and take the same deferral path.
pub const LONG_CHAIN_UNDER_MIRI: usize = 200;

/// A singly linked list node that owns its successor.
#[repr(C)]
struct Node {
    ob_base: PyObject,
    next: *mut PyObject,
}

thread_local! {
    static DEALLOCATED: Cell<usize> = const { Cell::new(0) };
    static DEPTH: Cell<usize> = const { Cell::new(0) };
    static MAX_DEPTH: Cell<usize> = const { Cell::new(0) };
    static MOST_WAITING: Cell<usize> = const { Cell::new(0) };
}

unsafe extern "C" fn node_dealloc(op: *mut PyObject) {
    DEALLOCATED.with(|n| n.set(n.get() + 1));
    let depth = DEPTH.with(|d| d.get() + 1);
    DEPTH.with(|d| d.set(depth));
    MAX_DEPTH.with(|m| m.set(m.get().max(depth)));
    // SAFETY: `op` is a `Node` at count 0: `next` is null or a reference
    // it owns. Releasing it may nest another `node_dealloc` here.
    unsafe { Py_CLEAR(&mut (*op.cast::<Node>()).next) };
    MOST_WAITING.with(|m| m.set(m.get().max(deferred_len())));
    DEPTH.with(|d| d.set(depth - 1));
    // SAFETY: as above; the block is freed exactly once, here.
    unsafe { PyObject_Free(op.cast()) };
}

static NODE: PyTypeObject = PyTypeObject {
    tp_name: "Node",
    tp_basicsize: std::mem::size_of::<Node>() as Py_ssize_t,
    tp_dealloc: Some(node_dealloc),
    ..PyTypeObject::DEFAULT
};

/// Builds a chain of `len` nodes, drops its head and reports what happened.
fn drop_chain(out: &mut impl Write, len: usize) -> io::Result<()> {
    for cell in [&DEALLOCATED, &MAX_DEPTH, &MOST_WAITING] {
        cell.with(|c| c.set(0));
    }
    let ty = addr_of!(NODE).cast_mut();
    // SAFETY: a static type readied before use; each node owns one
    // reference to the next, and this block gives up the head's once.
    unsafe {
        assert_eq!(PyType_Ready(ty), 0);
        let mut head = null_mut();
        for _ in 0..len {
            let node = PyType_GenericAlloc(ty, 0);
            (*node.cast::<Node>()).next = head;
            head = node;
        }
        Py_DECREF(head);
    }
    let max_depth = MAX_DEPTH.with(Cell::get);
    writeln!(out, "chain of {len} nodes, one Py_DECREF of the head:")?;
    writeln!(
        out,
        "  destructors run        {}",
        DEALLOCATED.with(Cell::get)
    )?;
    writeln!(
        out,
        "  deepest nesting <= {UNWIND_LEVEL}  {}",
        max_depth <= UNWIND_LEVEL as usize
    )?;
    writeln!(out, "  all {len} nested at once  {}", max_depth == len)?;
    writeln!(
        out,
        "  objects ever parked    {}",
        MOST_WAITING.with(Cell::get) > 0
    )?;
    writeln!(out, "  still waiting after    {}", deferred_len())?;
    Ok(())
}

/// Drops a short chain (no deferral) and a long one (deferred and drained).
pub fn run(out: &mut impl Write) -> io::Result<()> {
    writeln!(
        out,
        "UNWIND_LEVEL = {UNWIND_LEVEL}: deeper destructors are parked on DELETE_LATER\n"
    )?;
    drop_chain(out, 40)?;
    writeln!(out)?;
    let long = if cfg!(miri) {
        LONG_CHAIN_UNDER_MIRI
    } else {
        LONG_CHAIN
    };
    drop_chain(out, long)?;
    Ok(())
}
