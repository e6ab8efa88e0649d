//! Chapter 7: finalizers (PEP 442, `__del__`) and resurrection.

use std::cell::{Cell, RefCell};
use std::ffi::{c_int, c_void};
use std::io::{self, Write};
use std::ptr::{addr_of, null_mut};

use objmodel::cpython::*;
use objmodel::Py_VISIT;

/// An object with one strong reference and a `__del__`.
#[repr(C)]
struct Phoenix {
    ob_base: PyObject,
    item: *mut PyObject,
}

thread_local! {
    /// Whether the next finalizer saves its object.
    static RESURRECT: Cell<bool> = const { Cell::new(false) };
    /// The reference a finalizer stored: the resurrection.
    static SAVED: Cell<*mut PyObject> = const { Cell::new(null_mut()) };
    static LOG: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
}

fn log(line: &str) {
    LOG.with(|l| l.borrow_mut().push(format!("    {line}")));
}

unsafe extern "C" fn phoenix_traverse(
    op: *mut PyObject,
    visit: visitproc,
    arg: *mut c_void,
) -> c_int {
    // SAFETY: `op` is a live `Phoenix`; `item` is null or owned.
    unsafe { Py_VISIT!((*op.cast::<Phoenix>()).item, visit, arg) };
    0
}

unsafe extern "C" fn phoenix_clear(op: *mut PyObject) -> c_int {
    log("tp_clear: drop the reference to itself");
    // SAFETY: as above; `Py_CLEAR` empties the field before the release.
    unsafe { Py_CLEAR(&mut (*op.cast::<Phoenix>()).item) };
    0
}

unsafe extern "C" fn phoenix_finalize(op: *mut PyObject) {
    if RESURRECT.with(|r| r.replace(false)) {
        log("tp_finalize (__del__): stores a new reference to self");
        // SAFETY: `op` is live while its finalizer runs.
        let saved = unsafe { Py_NewRef(op) };
        SAVED.with(|s| s.set(saved));
    } else {
        log("tp_finalize (__del__): lets go");
    }
}

unsafe extern "C" fn phoenix_dealloc(op: *mut PyObject) {
    // SAFETY: the count of `op` reached 0; its block has a GC header.
    unsafe {
        if PyObject_CallFinalizerFromDealloc(op) < 0 {
            log("tp_dealloc: the finalizer resurrected it; return at once");
            return;
        }
        log("tp_dealloc: untrack, clear, free");
        PyObject_GC_UnTrack(op.cast());
        Py_CLEAR(&mut (*op.cast::<Phoenix>()).item);
        PyObject_GC_Del(op.cast());
    }
}

static PHOENIX: PyTypeObject = PyTypeObject {
    tp_name: "Phoenix",
    tp_basicsize: std::mem::size_of::<Phoenix>() as Py_ssize_t,
    tp_flags: Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    tp_dealloc: Some(phoenix_dealloc),
    tp_traverse: Some(phoenix_traverse),
    tp_clear: Some(phoenix_clear),
    tp_finalize: Some(phoenix_finalize),
    ..PyTypeObject::DEFAULT
};

fn flush(out: &mut impl Write) -> io::Result<()> {
    for line in LOG.with(|l| l.take()) {
        writeln!(out, "{line}")?;
    }
    Ok(())
}

fn new_phoenix() -> *mut PyObject {
    let ty = addr_of!(PHOENIX).cast_mut();
    // SAFETY: a static GC type, readied before use.
    unsafe {
        assert_eq!(PyType_Ready(ty), 0);
        PyType_GenericAlloc(ty, 0)
    }
}

/// Resurrection from a dealloc, then from inside a collection.
pub fn run(out: &mut impl Write) -> io::Result<()> {
    gc::disable();
    writeln!(
        out,
        "1. Dying by counting: tp_dealloc calls the finalizer first."
    )?;
    let p = new_phoenix();
    RESURRECT.with(|r| r.set(true));
    // SAFETY: `p` is live; this block gives up each reference it owns once.
    unsafe {
        writeln!(out, "  Py_DECREF(p): 1 -> 0")?;
        Py_DECREF(p);
        flush(out)?;
        writeln!(
            out,
            "  alive again, count {}, finalized {}",
            Py_REFCNT(p),
            gc::is_finalized(p)
        )?;
        writeln!(out, "  Py_DECREF(saved): 1 -> 0 again")?;
        Py_DECREF(SAVED.with(|s| s.replace(null_mut())));
        flush(out)?;
        writeln!(out, "  the finalizer ran once in the object's life")?;
    }

    writeln!(
        out,
        "\n2. In a garbage cycle: the collector finalizes, re-checks, then clears."
    )?;
    let p = new_phoenix();
    RESURRECT.with(|r| r.set(true));
    // SAFETY: as above; the self-reference is owned by the object.
    unsafe {
        (*p.cast::<Phoenix>()).item = Py_NewRef(p);
        Py_DECREF(p);
        writeln!(
            out,
            "  only its self-reference holds it: count {}",
            Py_REFCNT(p)
        )?;
        let n = gc::collect(2);
        flush(out)?;
        writeln!(
            out,
            "  gc.collect(2) -> {n}: resurrected, so the re-check spares it"
        )?;
        writeln!(
            out,
            "  count {}, finalized {}",
            Py_REFCNT(p),
            gc::is_finalized(p)
        )?;
        Py_DECREF(SAVED.with(|s| s.replace(null_mut())));
        writeln!(out, "  the saved reference is dropped: garbage again")?;
        let n = gc::collect(2);
        flush(out)?;
        writeln!(
            out,
            "  gc.collect(2) -> {n}: freed, without a second __del__"
        )?;
    }
    writeln!(
        out,
        "  tracked objects left: {}",
        gc::get_objects(None).len()
    )?;
    gc::enable();
    Ok(())
}
