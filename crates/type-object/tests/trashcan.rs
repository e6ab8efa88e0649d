//! DEA-01 and CAPI-18: deep structures are deallocated without stack
//! overflow, every object exactly once, and every DESTROY is traced once
//! (CPython's `test_destroy_traced_for_trashcan_deferred_objects`).

use std::cell::Cell;
use std::ffi::{c_int, c_void};
use std::ptr::{addr_of, null_mut};

use type_object::create::{free_object, generic_alloc};
use type_object::refs::{clear, decref};
use type_object::tracer::{set_tracer, RefTracerEvent};
use type_object::{Object, Ref, RustType, TypeObject};

#[repr(C)]
struct Node {
    ob_base: Object,
    next: *mut Object,
}

thread_local! {
    static DEALLOCS: Cell<usize> = const { Cell::new(0) };
    static DESTROYS: Cell<usize> = const { Cell::new(0) };
    static MAX_DEPTH_SEEN: Cell<usize> = const { Cell::new(0) };
    /// The most deferred deallocs a node's dealloc saw after releasing its
    /// successor.
    static MAX_DEFERRED: Cell<usize> = const { Cell::new(0) };
}

unsafe extern "C" fn node_dealloc(op: *mut Object) {
    DEALLOCS.with(|d| d.set(d.get() + 1));
    // SAFETY: `op` is a Node whose count reached 0: its `next` slot owns
    // the successor's reference, and its block is freed once, here.
    unsafe {
        clear(&mut (*op.cast::<Node>()).next);
        let deferred = type_object::trashcan::deferred_len();
        MAX_DEFERRED.with(|m| m.set(m.get().max(deferred)));
        free_object(op);
    }
}

static NODE: TypeObject = TypeObject {
    tp_name: "Node",
    tp_basicsize: std::mem::size_of::<Node>() as isize,
    tp_dealloc: Some(node_dealloc),
    ..TypeObject::DEFAULT
};

unsafe extern "C" fn count_destroys(_o: *mut Object, ev: RefTracerEvent, _d: *mut c_void) -> c_int {
    if ev == RefTracerEvent::Destroy {
        DESTROYS.with(|d| d.set(d.get() + 1));
    }
    0
}

/// Builds a chain of `len` nodes, each owning the next; returns the head.
fn chain(len: usize) -> *mut Object {
    let ty = addr_of!(NODE).cast_mut();
    NODE.ready().unwrap();
    let mut head: *mut Object = null_mut();
    for _ in 0..len {
        // SAFETY: a readied type with the generic allocator.
        let node = unsafe { generic_alloc(ty, 0) };
        assert!(!node.is_null());
        // SAFETY: a fresh zeroed Node; it takes over the reference to head.
        unsafe { (*node.cast::<Node>()).next = head };
        head = node;
    }
    head
}

/// DEA-01 / CAPI-18: one decref frees a 10 000 000-node chain on the test
/// thread's default stack; each node is deallocated and traced exactly
/// once. (Miri: 2 000 nodes, still 40 trashcan levels deep.)
#[test]
fn ten_million_node_chain_drops_without_stack_overflow() {
    let len = if cfg!(miri) { 2_000 } else { 10_000_000 };
    let head = chain(len);
    DEALLOCS.with(|d| d.set(0));
    DESTROYS.with(|d| d.set(0));
    set_tracer(Some(count_destroys), null_mut());
    // SAFETY: the test owns the head's one reference.
    unsafe { decref(head) };
    set_tracer(None, null_mut());
    assert_eq!(DEALLOCS.with(Cell::get), len);
    assert_eq!(DESTROYS.with(Cell::get), len);
    assert_eq!(type_object::trashcan::deferred_len(), 0);
}

/// A container whose payload holds `Ref`s: drop recursion through `Drop`
/// impls, not hand-written deallocs.
struct Nest {
    // Read by nobody: it exists to own the nested Refs until the drop.
    _inner: Vec<Ref<Nest>>,
}

static NEST: RustType<Nest> = RustType::new("Nest");

thread_local! {
    static NEST_DROPS: Cell<usize> = const { Cell::new(0) };
}

impl Drop for Nest {
    fn drop(&mut self) {
        NEST_DROPS.with(|d| d.set(d.get() + 1));
        let depth = type_object::trashcan::deferred_len();
        MAX_DEPTH_SEEN.with(|m| m.set(m.get().max(depth)));
    }
}

/// DEA-01: a 1 000 000-deep nesting of containers (each `Ref` inside the
/// previous payload) drops on the test thread's stack; every payload's
/// `Drop` runs once.
#[test]
fn million_deep_nesting_of_refs_drops_without_stack_overflow() {
    let depth = if cfg!(miri) { 300 } else { 1_000_000 };
    let mut top = Ref::new(&NEST, Nest { _inner: Vec::new() });
    for _ in 1..depth {
        top = Ref::new(&NEST, Nest { _inner: vec![top] });
    }
    NEST_DROPS.with(|d| d.set(0));
    drop(top);
    assert_eq!(NEST_DROPS.with(Cell::get), depth);
    assert_eq!(type_object::trashcan::deferred_len(), 0);
}

/// The trashcan defers at depth 50 (CPython's `_PyTrash_UNWIND_LEVEL`):
/// in a 60-node chain the 50th nested dealloc finds its successor deferred
/// instead of deallocated inside it; a 40-node chain defers nothing.
#[test]
fn nesting_is_bounded_at_the_unwind_level() {
    MAX_DEFERRED.with(|m| m.set(0));
    // SAFETY: the test owns the head's reference.
    unsafe { decref(chain(40)) };
    assert_eq!(
        MAX_DEFERRED.with(Cell::get),
        0,
        "40 deep deferred something"
    );
    // SAFETY: as above.
    unsafe { decref(chain(60)) };
    assert_eq!(MAX_DEFERRED.with(Cell::get), 1, "depth 50 deferred nothing");
    assert_eq!(type_object::trashcan::deferred_len(), 0);
}

/// A dealloc that panics (here checked mode refusing to deallocate an
/// immortal) unwinds through the trashcan without leaving its depth raised:
/// later deep structures are still drained completely.
#[test]
fn trashcan_recovers_after_a_panicking_dealloc() {
    let _checked = type_object::Heap::with_checked(true);
    let immortal = Ref::new(&NEST, Nest { _inner: Vec::new() });
    immortal.make_immortal();
    let op = Ref::into_raw(immortal);
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        // SAFETY: a live object; checked mode refuses it before any
        // teardown, so nothing is freed.
        unsafe { type_object::dealloc::dealloc(op) }
    }));
    let msg = caught.expect_err("checked mode refuses an immortal");
    let text = msg.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(text.contains("immortal"), "{text}");
    let mut head = Ref::new(&NEST, Nest { _inner: Vec::new() });
    for _ in 0..200 {
        head = Ref::new(&NEST, Nest { _inner: vec![head] });
    }
    drop(head);
    assert_eq!(type_object::trashcan::deferred_len(), 0);
}

/// Checked mode judges only blocks its heaps registered: an object
/// initialised in memory the caller owns (`PyObject_Init`) and deallocated
/// without a free is not reported, and nothing outside the heap is read.
#[test]
fn checked_mode_leaves_caller_memory_alone() {
    thread_local! {
        static SEEN: Cell<usize> = const { Cell::new(0) };
    }
    unsafe extern "C" fn forget(_op: *mut Object) {
        SEEN.with(|s| s.set(s.get() + 1));
    }
    static ON_STACK: TypeObject = TypeObject {
        tp_name: "OnStack",
        tp_dealloc: Some(forget),
        ..TypeObject::DEFAULT
    };
    let _checked = type_object::Heap::with_checked(true);
    assert!(ON_STACK.ready().is_ok());
    let mut slot = core::mem::MaybeUninit::<Object>::uninit();
    // SAFETY: `slot` is writable memory of the type's basic size; the
    // object is deallocated (not freed) when its count reaches 0.
    unsafe {
        let op = type_object::create::init_object(slot.as_mut_ptr(), addr_of!(ON_STACK).cast_mut());
        decref(op);
    }
    assert_eq!(SEEN.with(Cell::get), 1);
}
