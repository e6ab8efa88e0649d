//! Chapter 2: INCREF, DECREF, NewRef, CLEAR, SETREF, and why a slot is
//! written before the old value is released.

use std::cell::{Cell, RefCell};
use std::io::{self, Write};
use std::ptr::{addr_of, null_mut};

use objmodel::cpython::*;

/// An object with a number, so the output can name it.
#[repr(C)]
struct Item {
    ob_base: PyObject,
    id: u32,
}

thread_local! {
    /// A slot that other code can read at any time: a global, a module
    /// attribute, a field of a live object.
    static SLOT: Cell<*mut PyObject> = const { Cell::new(null_mut()) };
    /// Whether the destructor reports what the slot holds.
    static WATCH: Cell<bool> = const { Cell::new(true) };
    /// What the destructors saw, printed by `run`.
    static LOG: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
}

/// Names what `op` is without touching freed memory.
///
/// # Safety
/// - `op` is null, `dying`, or a live `Item`.
unsafe fn describe(op: *mut PyObject, dying: *mut PyObject) -> String {
    if op.is_null() {
        "NULL".to_owned()
    } else if op == dying {
        "the object being freed: a dangling pointer in a moment".to_owned()
    } else {
        // SAFETY: first bullet: neither null nor dying, so a live `Item`.
        format!("item {} (alive)", unsafe { (*op.cast::<Item>()).id })
    }
}

/// The destructor reads the slot, as arbitrary code run by a release may.
unsafe extern "C" fn item_dealloc(op: *mut PyObject) {
    let slot = SLOT.with(Cell::get);
    // SAFETY: `op` is an `Item` at count 0; the slot holds null, `op`, or
    // a live item (each item in it is counted).
    let (id, seen) = unsafe { ((*op.cast::<Item>()).id, describe(slot, op)) };
    let line = if WATCH.with(Cell::get) {
        format!("    dealloc item {id}: the slot holds {seen}")
    } else {
        format!("    dealloc item {id}")
    };
    LOG.with(|l| l.borrow_mut().push(line));
    // SAFETY: the count of `op` reached 0; its block is freed once, here.
    unsafe { PyObject_Free(op.cast()) }
}

static ITEM: PyTypeObject = PyTypeObject {
    tp_name: "Item",
    tp_basicsize: std::mem::size_of::<Item>() as Py_ssize_t,
    tp_dealloc: Some(item_dealloc),
    ..PyTypeObject::DEFAULT
};

fn new_item(id: u32) -> *mut PyObject {
    let ty = addr_of!(ITEM).cast_mut();
    // SAFETY: a static type, readied before use; the new block is an
    // `Item`, so writing its `id` stays inside it.
    unsafe {
        assert_eq!(PyType_Ready(ty), 0);
        let op = PyType_GenericAlloc(ty, 0);
        (*op.cast::<Item>()).id = id;
        op
    }
}

fn flush(out: &mut impl Write) -> io::Result<()> {
    for line in LOG.with(|l| l.take()) {
        writeln!(out, "{line}")?;
    }
    Ok(())
}

/// Runs each macro and the two orders of "replace a slot's value".
pub fn run(out: &mut impl Write) -> io::Result<()> {
    writeln!(out, "Counting by hand:")?;
    let a = new_item(1);
    // SAFETY: `a` is a live item; this block owns one reference per
    // increment and gives each up once.
    unsafe {
        writeln!(out, "  new item 1          Py_REFCNT {}", Py_REFCNT(a))?;
        Py_INCREF(a);
        writeln!(out, "  Py_INCREF           Py_REFCNT {}", Py_REFCNT(a))?;
        let b = Py_NewRef(a); // INCREF and return it: a new strong reference
        writeln!(
            out,
            "  b = Py_NewRef(a)    Py_REFCNT {}  same object {}",
            Py_REFCNT(a),
            Py_Is(a, b)
        )?;
        Py_DECREF(b);
        Py_DECREF(a);
        writeln!(out, "  two Py_DECREF       Py_REFCNT {}", Py_REFCNT(a))?;
        SLOT.with(|s| s.set(a)); // the slot takes the creator's reference
    }

    writeln!(
        out,
        "\nReplacing the slot's item 1 by item 2, release first (wrong):"
    )?;
    let two = new_item(2);
    let old = SLOT.with(Cell::get);
    // SAFETY: the slot owns one reference to `old`; it is given up once.
    unsafe { Py_DECREF(old) }; // item 1's dealloc runs *now*...
    SLOT.with(|s| s.set(two)); // ...before the slot forgets it
    flush(out)?;

    writeln!(
        out,
        "\nReplacing item 2 by item 3, store first (Py_SETREF's order):"
    )?;
    let three = new_item(3);
    let old = SLOT.with(|s| s.replace(three)); // tmp = slot; slot = new
                                               // SAFETY: as above: the reference the slot owned, given up once.
    unsafe { Py_DECREF(old) }; // Py_DECREF(tmp): the slot is already right
    flush(out)?;

    writeln!(out, "\nEmptying the slot, store first (Py_CLEAR's order):")?;
    let old = SLOT.with(|s| s.replace(null_mut()));
    // SAFETY: as above.
    unsafe { Py_XDECREF(old) };
    flush(out)?;

    writeln!(
        out,
        "\nThe macros on a local slot, which nothing else can read:"
    )?;
    WATCH.with(|w| w.set(false));
    let mut slot = new_item(4);
    // SAFETY: `slot` owns one reference at a time; `five` is moved into it.
    unsafe {
        let five = new_item(5);
        Py_SETREF(&mut slot, five);
        flush(out)?;
        writeln!(
            out,
            "  Py_SETREF(slot, item 5): slot holds item {}",
            (*slot.cast::<Item>()).id
        )?;
        Py_CLEAR(&mut slot);
        flush(out)?;
        writeln!(out, "  Py_CLEAR(slot): slot is null {}", slot.is_null())?;
    }
    WATCH.with(|w| w.set(true));
    Ok(())
}
