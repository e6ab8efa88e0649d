//! The C-API object types the benches allocate, declared once: static
//! types built as a C extension builds them (`#[repr(C)]` struct with the
//! header first, `tp_*` slots filled in), so the benches time objmodel's
//! C-API on the objects a CPython extension would have.
//!
//! - [`Node`]: a tracked object with `N` owned slots (`NODE`: three, for
//!   tree children and parent, list next and previous, or one edge);
//! - [`Small`]: an untracked 32-byte object with a successor slot, for
//!   chains and containers of small objects.

use std::ffi::{c_int, c_void};
use std::mem::{offset_of, size_of};
use std::ptr::{addr_of, null_mut};

use objmodel::cpython::*;
use objmodel::Py_VISIT;

/// A static type's pointer, as the C-API takes it.
pub fn type_ptr(t: &'static PyTypeObject) -> *mut PyTypeObject {
    addr_of!(*t).cast_mut()
}

/// A static type's pointer, readied (`PyType_Ready` on a ready type only
/// checks its flag).
pub fn ready(t: &'static PyTypeObject) -> *mut PyTypeObject {
    let p = type_ptr(t);
    // SAFETY: `p` points to a static type object, valid for the program.
    assert_eq!(unsafe { PyType_Ready(p) }, 0);
    p
}

/// A new instance of the static type `t` (readied first), count 1.
pub fn alloc(t: &'static PyTypeObject) -> *mut PyObject {
    // SAFETY: a readied static type of fixed size.
    let op = unsafe { PyType_GenericAlloc(ready(t), 0) };
    assert!(!op.is_null());
    op
}

/// A tracked object with `N` owned slots, each null or a counted
/// reference.
#[repr(C)]
pub struct Node<const N: usize> {
    pub ob_base: PyObject,
    pub slots: [*mut PyObject; N],
}

// Three slots with the 16-byte GC header in front: 56 bytes, a 64-byte
// block, so 1M nodes take 64 MB (`gc`'s sizes assume it).
const _: () = assert!(size_of::<Node<3>>() == 40);
// The slots follow the header, as a C extension's fields do.
const _: () = assert!(offset_of!(Node<3>, slots) == size_of::<PyObject>());

/// # Safety
/// - `op` is a live instance of a type from [`node_type::<N>`](node_type).
unsafe extern "C" fn node_traverse<const N: usize>(
    op: *mut PyObject,
    visit: visitproc,
    arg: *mut c_void,
) -> c_int {
    // SAFETY: `op` is a live `Node<N>` (bullet 1); each slot is null or a
    // counted reference, as `visit` expects.
    unsafe {
        for &s in &(*op.cast::<Node<N>>()).slots {
            Py_VISIT!(s, visit, arg);
        }
    }
    0
}

/// # Safety
/// - `op` is a live instance of a type from [`node_type::<N>`](node_type).
unsafe extern "C" fn node_clear<const N: usize>(op: *mut PyObject) -> c_int {
    // SAFETY: `op` is a live `Node<N>` (bullet 1); each slot owns the
    // reference it holds, which `Py_CLEAR` gives up once.
    unsafe {
        for s in &mut (*op.cast::<Node<N>>()).slots {
            Py_CLEAR(s);
        }
    }
    0
}

/// # Safety
/// - `op` is an instance of a type from [`node_type::<N>`](node_type)
///   whose count reached zero.
unsafe extern "C" fn node_dealloc<const N: usize>(op: *mut PyObject) {
    // SAFETY: count zero (bullet 1): untracked, its slots released, then
    // its GC block freed, once.
    unsafe {
        PyObject_GC_UnTrack(op.cast());
        node_clear::<N>(op);
        PyObject_GC_Del(op.cast());
    }
}

/// The static, tracked type of `Node<N>`, named `name`.
pub const fn node_type<const N: usize>(name: &'static str) -> PyTypeObject {
    PyTypeObject {
        tp_name: name,
        tp_basicsize: size_of::<Node<N>>() as Py_ssize_t,
        tp_flags: Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
        tp_dealloc: Some(node_dealloc::<N>),
        tp_traverse: Some(node_traverse::<N>),
        tp_clear: Some(node_clear::<N>),
        ..PyTypeObject::DEFAULT
    }
}

/// The three-slot node of `gc` and `workloads`.
pub static NODE: PyTypeObject = node_type::<3>("Node");

/// Slot `i` of the three-slot node `op` (borrowed, may be null).
pub fn slot(op: *mut PyObject, i: usize) -> *mut PyObject {
    // SAFETY: the benches pass only live instances of `NODE`.
    unsafe { (*op.cast::<Node<3>>()).slots[i] }
}

/// Stores a new reference to `value` in the empty slot `i` of the
/// three-slot node `op`.
pub fn set_slot(op: *mut PyObject, i: usize, value: *mut PyObject) {
    // SAFETY: the benches pass only live instances of `NODE` and live
    // objects as `value`; the empty slot takes the new reference.
    unsafe {
        let slot = &mut (*op.cast::<Node<3>>()).slots[i];
        debug_assert!(slot.is_null());
        *slot = Py_NewRef(value);
    }
}

/// An untracked 32-byte object: header, a successor slot (null or
/// counted), a value.
#[repr(C)]
pub struct Small {
    pub ob_base: PyObject,
    pub next: *mut PyObject,
    pub value: u64,
}
// One 32-byte pool block per object.
const _: () = assert!(size_of::<Small>() == 32);

/// A chain of `n` new `Small`s of the readied type `t`, each owning the
/// one allocated before it; returns the head, whose reference the caller
/// owns. Dropping the head frees the chain (the trashcan bounds the
/// recursion).
pub fn small_chain(t: *mut PyTypeObject, n: usize) -> *mut PyObject {
    let mut head: *mut PyObject = null_mut();
    for _ in 0..n {
        // SAFETY: the caller passes a readied type whose instances are
        // `Small`s.
        let op = unsafe { PyType_GenericAlloc(t, 0) };
        // SAFETY: a fresh `Small` takes over `head`'s reference.
        unsafe { (*op.cast::<Small>()).next = head };
        head = op;
    }
    head
}

/// # Safety
/// - `op` is an instance of [`SMALL`] whose count reached zero.
unsafe extern "C" fn small_dealloc(op: *mut PyObject) {
    // SAFETY: count zero (bullet 1): the slot owns its successor; the block
    // came from the generic allocator and is freed once.
    unsafe {
        Py_CLEAR(&mut (*op.cast::<Small>()).next);
        PyObject_Free(op.cast());
    }
}

/// `Small`'s type, freed straight to the generic allocator.
pub static SMALL: PyTypeObject = PyTypeObject {
    tp_name: "Small",
    tp_basicsize: size_of::<Small>() as Py_ssize_t,
    tp_dealloc: Some(small_dealloc),
    ..PyTypeObject::DEFAULT
};
