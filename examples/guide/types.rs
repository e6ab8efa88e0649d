//! Chapter 4: type objects and dealloc dispatch.

use std::cell::RefCell;
use std::ffi::{c_int, c_void};
use std::io::{self, Write};
use std::ptr::{addr_of, null_mut};

use objmodel::cpython::*;

/// An object that owns one other object.
#[repr(C)]
struct Box1 {
    ob_base: PyObject,
    item: *mut PyObject,
}

thread_local! {
    /// Lines written by the tracer and the destructors, printed by `run`.
    static LOG: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
}

fn log(line: String) {
    LOG.with(|l| l.borrow_mut().push(line));
}

/// Names the type of `op`.
///
/// # Safety
/// - `op` is a live object.
unsafe fn type_name(op: *mut PyObject) -> &'static str {
    // SAFETY: first bullet; a type outlives its instances (T3).
    unsafe { (*Py_TYPE(op)).tp_name }
}

unsafe extern "C" fn trace(op: *mut PyObject, event: PyRefTracerEvent, _: *mut c_void) -> c_int {
    let what = if event == PyRefTracer_CREATE {
        "CREATE "
    } else {
        "DESTROY"
    };
    // SAFETY: the tracer is called with a live object (created, or about
    // to be passed to its tp_dealloc).
    log(format!("    tracer  {what} {}", unsafe { type_name(op) }));
    0
}

/// `Box`'s tp_dealloc: release what it owns, then free the block.
unsafe extern "C" fn box_dealloc(op: *mut PyObject) {
    log("    Box.tp_dealloc: Py_CLEAR(item), then tp_free".to_owned());
    // SAFETY: `op` is a `Box1` at count 0; `item` is null or owned; the
    // block came from the generic allocator and is freed once, here.
    unsafe {
        Py_CLEAR(&mut (*op.cast::<Box1>()).item);
        PyObject_Free(op.cast());
    }
}

/// A heap type's tp_dealloc, CPython's idiom since 3.8.
unsafe extern "C" fn point_dealloc(op: *mut PyObject) {
    log("    Point.tp_dealloc: tp_free, then Py_DECREF(type)".to_owned());
    // SAFETY: `op` is an instance of a heap type at count 0; its block
    // came from the generic allocator; the type is read before the free.
    unsafe {
        let tp = Py_TYPE(op);
        PyObject_Free(op.cast());
        Py_DECREF(tp.cast());
    }
}

static BOX: PyTypeObject = PyTypeObject {
    tp_name: "Box",
    tp_basicsize: std::mem::size_of::<Box1>() as Py_ssize_t,
    tp_dealloc: Some(box_dealloc),
    ..PyTypeObject::DEFAULT
};

fn flush(out: &mut impl Write) -> io::Result<()> {
    for line in LOG.with(|l| l.take()) {
        writeln!(out, "{line}")?;
    }
    Ok(())
}

/// Builds a static and a heap type and follows one decrement to the
/// destructors it dispatches to.
pub fn run(out: &mut impl Write) -> io::Result<()> {
    let box_ty = addr_of!(BOX).cast_mut();
    // SAFETY: a static type, readied once before use.
    unsafe {
        writeln!(
            out,
            "A static type: Py_TPFLAGS_READY before {}",
            (*box_ty).tp_flags & Py_TPFLAGS_READY != 0
        )?;
        assert_eq!(PyType_Ready(box_ty), 0);
        writeln!(
            out,
            "  PyType_Ready -> 0; the type is immortal {}",
            _Py_IsImmortal(box_ty.cast())
        )?;
    }

    let point_ty = PyTypeObject::new_heap(PyTypeObject {
        tp_name: "Point",
        tp_basicsize: 32,
        tp_dealloc: Some(point_dealloc),
        ..PyTypeObject::DEFAULT
    })
    .expect("a heap type with a tp_dealloc is ready");
    // SAFETY: `point_ty` is a live heap type; every reference below is
    // given up once; the tracer accepts any object.
    unsafe {
        writeln!(
            out,
            "A heap type: HEAPTYPE flag {}, count {}",
            (*point_ty).tp_flags & Py_TPFLAGS_HEAPTYPE != 0,
            Py_REFCNT(point_ty.cast())
        )?;

        PyRefTracer_SetTracer(Some(trace), null_mut());
        writeln!(out, "\nAllocating a Point and a Box that owns it:")?;
        let point = PyType_GenericAlloc(point_ty, 0);
        let boxed = PyType_GenericAlloc(box_ty, 0);
        (*boxed.cast::<Box1>()).item = point; // the creator's reference moves in
        flush(out)?;
        writeln!(
            out,
            "  Point's type count {} (the creator and one instance)",
            Py_REFCNT(point_ty.cast())
        )?;
        Py_DECREF(point_ty.cast()); // the creator lets go of the type
        writeln!(
            out,
            "  creator drops the type: count {} (the instance keeps it)",
            Py_REFCNT(point_ty.cast())
        )?;

        writeln!(
            out,
            "\nPy_DECREF(box): 1 -> 0, _Py_Dealloc dispatches on Py_TYPE(op):"
        )?;
        Py_DECREF(boxed);
        PyRefTracer_SetTracer(None, null_mut());
        flush(out)?;
    }
    writeln!(
        out,
        "  the Point, then its type, went inside Box's destructor"
    )?;
    Ok(())
}
