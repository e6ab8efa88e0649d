//! User classes and their instances. A class is a GC object holding its
//! namespace and one reference to a *heap type* (`TypeObject::new_heap`);
//! each instance is a tracked GC object of that heap type and holds a
//! reference to it too (T3), so the heap type is freed with the last of
//! the class object and its instances, as in CPython since 3.8.
//!
//! ```text
//!   name `C` ──> Class { dict, bases, heap_type } ──1 ref──> TypeObject "C"
//!                   ^                                         ^
//!   instance ───────┘ (payload: class)     (ob_type: 1 ref) ──┘
//! ```

use core::cell::{Cell, RefCell};
use core::mem::{offset_of, size_of};
use core::ptr;
use std::panic::{catch_unwind, AssertUnwindSafe};

use objmodel::cpython::PyObject_ClearWeakRefs;
use objmodel::cycles::collector::with_default;
use objmodel::cycles::finalize::call_finalizer_from_dealloc;
use objmodel::cycles::traverse::{
    clear_payload, gc_type, traverse_payload, Clear, Traverse, VisitResult, Visitor,
};
use objmodel::cycles::weakref::WeakReference;
use objmodel::types::alloc::with_default_heap;
use objmodel::types::create::{alloc_in, free_object};
use objmodel::types::handle::Instance;
use objmodel::types::type_object::TPFLAGS_HAVE_GC;
use objmodel::{Object, RustType, TypeObject};

use super::dict::Dict;
use crate::builtins;
use crate::obj::Obj;
use crate::ops;
use crate::vm::PyResult;

/// `type`: the type of user classes (and of the built-in exceptions).
pub static CLASS: RustType<Class> = gc_type("type");

/// A class.
pub struct Class {
    /// Its name.
    pub name: String,
    /// Its direct bases.
    pub bases: Vec<Obj>,
    /// The bases' linearisation (the MRO without the class itself).
    pub mro: Vec<Obj>,
    /// Its namespace (a dict object).
    pub dict: Obj,
    /// Its heap type: one counted reference, released when the class goes.
    pub heap_type: *mut TypeObject,
    /// Whether it derives from `BaseException`.
    pub is_exception: bool,
}

impl Drop for Class {
    fn drop(&mut self) {
        // SAFETY: the class owns one reference to its heap type (T3 keeps
        // it alive while instances exist; this releases the class's).
        unsafe { objmodel::cpython::Py_DECREF(self.heap_type.cast()) }
    }
}

impl Traverse for Class {
    fn traverse(&self, visitor: &mut Visitor<'_>) -> VisitResult {
        self.bases.traverse(visitor)?;
        self.mro.traverse(visitor)?;
        self.dict.traverse(visitor)
    }
}

/// A class's references break through its namespace dict, which the
/// collector clears on its own.
impl Clear for Class {
    fn clear(&self) {}
}

/// An instance's payload. `weaklist` first: `tp_weaklistoffset` names it.
#[repr(C)]
pub struct Inst {
    /// The head of the weak references to this instance
    /// (`tp_weaklistoffset`).
    pub weaklist: Cell<*mut WeakReference>,
    /// Its class.
    pub class: Obj,
    /// Its attributes (kept inline, as CPython 3.11+ keeps instance
    /// values: no separate `__dict__` object to collect).
    pub attrs: RefCell<Dict>,
}

impl Traverse for Inst {
    fn traverse(&self, visitor: &mut Visitor<'_>) -> VisitResult {
        self.class.traverse(visitor)?;
        self.attrs.traverse(visitor)
    }
}

impl Clear for Inst {
    fn clear(&self) {
        self.attrs.clear();
    }
}

/// Where an instance's weak-reference list lives.
const WEAKLIST_OFFSET: isize =
    (offset_of!(Instance<Inst>, value) + offset_of!(Inst, weaklist)) as isize;

/// Creates the heap type of a class named `name`; with `has_del`, its
/// `tp_finalize` runs `__del__` (PEP 442).
pub fn heap_type(name: &str, has_del: bool) -> *mut TypeObject {
    let template = TypeObject {
        tp_name: Box::leak(name.to_string().into_boxed_str()),
        tp_basicsize: size_of::<Instance<Inst>>() as isize,
        tp_flags: TPFLAGS_HAVE_GC,
        tp_dealloc: Some(inst_dealloc),
        tp_traverse: Some(traverse_payload::<Inst>),
        tp_clear: Some(clear_payload::<Inst>),
        tp_finalize: if has_del { Some(inst_finalize) } else { None },
        tp_weaklistoffset: WEAKLIST_OFFSET,
        ..TypeObject::DEFAULT
    };
    TypeObject::new_heap(template).expect("an instance template has a dealloc and a size")
}

/// A class named `name` with `bases` and the namespace `ns` its body
/// filled: its MRO, whether it is an exception class, and its heap type
/// (with `tp_finalize` when it or a base defines `__del__`).
pub fn new_class(name: &str, bases: Vec<Obj>, ns: Obj) -> PyResult<Obj> {
    let mro = linearize(&bases);
    let has_del = ops::dict_get(&ns, &builtins::intern("__del__"))?.is_some()
        || mro.iter().any(|m| lookup(m, "__del__").is_some());
    let is_exception = bases
        .iter()
        .any(|b| b.get(&CLASS).is_some_and(|c| c.is_exception));
    let cls = Class {
        name: name.to_string(),
        bases,
        mro,
        dict: ns,
        heap_type: heap_type(name, has_del),
        is_exception,
    };
    Ok(Obj::new_gc(&CLASS, cls))
}

/// The payload of an instance, if `o` is one.
pub fn as_inst(o: &Obj) -> Option<&Inst> {
    // SAFETY: the handle keeps the object and its type live (T3).
    let ty = unsafe { &*o.ty() };
    if ty.is_heap_type() && ty.tp_weaklistoffset == WEAKLIST_OFFSET {
        // SAFETY: minipy makes heap types only in `heap_type`, and their
        // instances are `Instance<Inst>`.
        Some(unsafe { o.payload_unchecked::<Inst>() })
    } else {
        None
    }
}

/// A new, tracked instance of `class` with no attributes.
pub fn new_instance(class: &Obj) -> Obj {
    let ty = class.get(&CLASS).expect("a class").heap_type;
    with_default(|c| c.note_allocation());
    // SAFETY: `ty` is a readied heap type of the generic allocator, kept
    // alive by the class the caller holds.
    let op = with_default_heap(|heap| unsafe { alloc_in(heap, ty, 0) });
    assert!(!op.is_null(), "out of memory");
    let value = Inst {
        weaklist: Cell::new(ptr::null_mut()),
        class: class.clone(),
        attrs: RefCell::new(Dict::new()),
    };
    // SAFETY: a fresh `Instance<Inst>` block; the payload is written once.
    unsafe { ptr::addr_of_mut!((*op.cast::<Instance<Inst>>()).value).write(value) };
    // SAFETY: a fresh, untracked GC instance, whole now.
    with_default(|c| unsafe { c.track(op) });
    // SAFETY: the allocation's one reference moves into the handle.
    unsafe { Obj::from_owned(op) }
}

/// `tp_dealloc` of instances: the finalizer (may resurrect), weak
/// references, the payload, then the block and the type reference.
/// Mirrors `subtype_dealloc`.
///
/// # Safety
/// - `op` is an instance made by [`new_instance`] whose count reached 0.
unsafe extern "C" fn inst_dealloc(op: *mut Object) {
    // SAFETY: T3: the heap type outlives its instance.
    let has_finalizer = unsafe { (*(*op).ob_type).tp_finalize.is_some() };
    // SAFETY: first bullet: count 0, before any teardown.
    if has_finalizer && unsafe { call_finalizer_from_dealloc(op) } != 0 {
        return; // resurrected by __del__
    }
    // SAFETY: first bullet: the payload is whole.
    let inst = unsafe { &(*op.cast::<Instance<Inst>>()).value };
    if !inst.weaklist.get().is_null() {
        // SAFETY: count 0, inside the dealloc, type has a weaklist offset.
        unsafe { PyObject_ClearWeakRefs(op) };
    }
    // SAFETY: first bullet: the payload is dropped once.
    unsafe { ptr::drop_in_place(ptr::addr_of_mut!((*op.cast::<Instance<Inst>>()).value)) };
    // SAFETY: payload torn down; the block (and the type reference) go.
    unsafe { free_object(op) };
}

/// `tp_finalize` of classes with `__del__`.
///
/// # Safety
/// - `op` is a live instance (count >= 1).
unsafe extern "C" fn inst_finalize(op: *mut Object) {
    // SAFETY: first bullet.
    let this = unsafe { Obj::from_borrowed(op) };
    // A panic must not unwind through `extern "C"`.
    let r = catch_unwind(AssertUnwindSafe(|| crate::vm::call_del(&this)));
    if r.is_err() {
        eprintln!("minipy: internal error in __del__");
    }
}

/// Looks `name` up in `class` and its MRO.
pub fn lookup(class: &Obj, name: &str) -> Option<Obj> {
    let c = class.get(&CLASS)?;
    let find = |cls: &Obj| {
        let d = cls.get(&CLASS)?.dict.get(&super::DICT)?;
        let key = crate::builtins::intern(name);
        let h = crate::ops::hash_str(name);
        let v = d.borrow().get(h, &key, &|a, b| crate::ops::eq_simple(a, b));
        v
    };
    find(class).or_else(|| c.mro.iter().find_map(find))
}

/// Whether `class` is `base` or derives from it.
pub fn is_subclass(class: &Obj, base: &Obj) -> bool {
    class.is_same(base)
        || class
            .get(&CLASS)
            .is_some_and(|c| c.mro.iter().any(|m| m.is_same(base)))
}

/// The MRO of a class with these bases (without the class): depth first,
/// each class kept at its last occurrence, so shared bases come last.
pub fn linearize(bases: &[Obj]) -> Vec<Obj> {
    let mut all = Vec::new();
    for b in bases {
        all.push(b.clone());
        if let Some(c) = b.get(&CLASS) {
            all.extend(c.mro.iter().cloned());
        }
    }
    let mut out: Vec<Obj> = Vec::new();
    for (i, c) in all.iter().enumerate() {
        if !all[i + 1..].iter().any(|d| d.is_same(c)) {
            out.push(c.clone());
        }
    }
    out
}
