//! The safe layer: Rust payloads as objects, and `Ref<T>`, an owning
//! handle.

use core::fmt;
use core::marker::PhantomData;
use core::mem::{align_of, size_of};
use core::ops::Deref;
use core::ptr::{self, NonNull};

use crate::alloc::{Heap, ALIGN};
use crate::create::{alloc_in, free_object};
use crate::object::Object;
use crate::refs::{decref, incref};
use crate::type_object::{TypeObject, TPFLAGS_READY};

/// The layout of an object whose payload is the Rust value `T`.
#[repr(C)]
pub struct Instance<T> {
    /// The header (T1: first).
    pub ob_base: Object,
    /// The payload.
    pub value: T,
}

/// A type object for Rust payload `T`: its `tp_dealloc` drops the payload
/// (running `T`'s `Drop`) and frees the block. The typed form of
/// `TypeObject::of::<T>()`: [`Ref::new`] takes it, so a handle's payload type
/// always matches its type object.
///
/// # Examples
/// ```
/// use type_object::{Ref, RustType};
///
/// struct Int(i64);
/// static INT: RustType<Int> = RustType::new("int");
///
/// let a = Ref::new(&INT, Int(7));
/// let b = a.clone();
/// assert_eq!(b.refcnt(), 2);
/// assert_eq!(a.0, 7);
/// ```
#[repr(transparent)]
pub struct RustType<T> {
    ty: TypeObject,
    _payload: PhantomData<fn() -> T>,
}

impl<T> RustType<T> {
    /// A static type named `name` for payload `T`.
    ///
    /// # Panics
    /// At compile time (in a `static`), when `T` needs more than 16-byte
    /// alignment, which the allocator does not provide.
    pub const fn new(name: &'static str) -> RustType<T> {
        assert!(
            align_of::<Instance<T>>() <= ALIGN,
            "payload alignment above 16 bytes"
        );
        RustType {
            ty: TypeObject {
                tp_name: name,
                tp_basicsize: size_of::<Instance<T>>() as isize,
                tp_dealloc: Some(instance_dealloc::<T>),
                ..TypeObject::DEFAULT
            },
            _payload: PhantomData,
        }
    }

    /// The untyped type object.
    pub const fn type_object(&self) -> &TypeObject {
        &self.ty
    }

    /// The type object as the raw pointer the CPython-name table takes.
    pub fn as_ptr(&'static self) -> *mut TypeObject {
        ptr::from_ref(&self.ty).cast_mut()
    }
}

impl TypeObject {
    /// A type object for Rust payload `T` whose dealloc runs `T`'s `Drop`;
    /// see [`RustType`] for the typed form `Ref<T>` needs.
    pub const fn of<T>(name: &'static str) -> TypeObject {
        RustType::<T>::new(name).ty
    }
}

/// `tp_dealloc` of a [`RustType<T>`]: drops the payload, frees the block.
///
/// # Safety
/// - `op` is an `Instance<T>` whose count reached 0.
unsafe extern "C" fn instance_dealloc<T>(op: *mut Object) {
    // SAFETY: first bullet: the payload is initialised and dropped once.
    unsafe { ptr::drop_in_place(ptr::addr_of_mut!((*op.cast::<Instance<T>>()).value)) };
    // SAFETY: first bullet; the payload is torn down.
    unsafe { free_object(op) };
}

/// An owning handle to an object with payload `T`: `Clone` increments,
/// `Drop` decrements and, at zero, dispatches to the type's `tp_dealloc`.
/// The safe form of `Py_INCREF`/`Py_DECREF`.
///
/// A `Ref` over the thread-confined count word is neither `Send` nor
/// `Sync`:
/// ```compile_fail
/// fn needs_send<T: Send>() {}
/// needs_send::<type_object::Ref<u64>>();
/// ```
/// ```compile_fail
/// fn needs_sync<T: Sync>() {}
/// needs_sync::<type_object::Ref<u64>>();
/// ```
pub struct Ref<T> {
    ptr: NonNull<Instance<T>>,
    _owns: PhantomData<*const Instance<T>>,
}

impl<T> Ref<T> {
    /// Allocates an object of type `ty` holding `value` from this thread's
    /// default heap.
    ///
    /// # Panics
    /// When memory runs out.
    pub fn new(ty: &'static RustType<T>, value: T) -> Ref<T> {
        crate::alloc::with_default_heap(|heap| Ref::new_in(heap, ty, value))
    }

    /// Allocates an object of type `ty` holding `value` from `heap`.
    ///
    /// # Panics
    /// When memory runs out.
    pub fn new_in(heap: &Heap, ty: &'static RustType<T>, value: T) -> Ref<T> {
        if ty.ty.flags() & TPFLAGS_READY == 0 {
            ty.ty
                .ready()
                .expect("a RustType always has a dealloc and a valid size");
        }
        // SAFETY: a readied static type with the generic allocator.
        let op = unsafe { alloc_in(heap, ty.as_ptr(), 0) };
        let Some(op) = NonNull::new(op.cast::<Instance<T>>()) else {
            std::alloc::handle_alloc_error(core::alloc::Layout::new::<Instance<T>>())
        };
        // SAFETY: the block holds an `Instance<T>` whose payload is not
        // initialised yet.
        unsafe { ptr::addr_of_mut!((*op.as_ptr()).value).write(value) };
        Ref {
            ptr: op,
            _owns: PhantomData,
        }
    }

    /// The object's header, for the raw layer (borrowed: no count moves).
    #[inline]
    pub fn as_ptr(this: &Self) -> *mut Object {
        this.ptr.as_ptr().cast()
    }

    /// Gives up the handle, keeping its reference, as a raw object pointer.
    #[inline]
    pub fn into_raw(this: Self) -> *mut Object {
        let op = Ref::as_ptr(&this);
        core::mem::forget(this);
        op
    }

    /// Takes ownership of one reference to `op`.
    ///
    /// # Safety
    /// - `op` is an object of a [`RustType<T>`] (same `T`), e.g. from
    ///   [`Ref::into_raw`].
    /// - The caller owns one reference to it and gives it to the handle.
    #[inline]
    pub unsafe fn from_raw(op: *mut Object) -> Ref<T> {
        Ref {
            // SAFETY: first bullet: a live object is never null.
            ptr: unsafe { NonNull::new_unchecked(op.cast()) },
            _owns: PhantomData,
        }
    }

    /// Whether two handles point to the same object. Mirrors `Py_Is`.
    #[inline]
    pub fn ptr_eq(a: &Self, b: &Self) -> bool {
        a.ptr == b.ptr
    }

    /// The object's count. Mirrors `Py_REFCNT`.
    #[inline]
    pub fn refcnt(&self) -> isize {
        self.header().ob_refcnt.refcnt()
    }

    /// Makes the object immortal (it is then never freed). Mirrors
    /// `_Py_SetImmortal`.
    pub fn make_immortal(&self) {
        self.header().ob_refcnt.make_immortal()
    }

    #[inline]
    fn header(&self) -> &Object {
        // SAFETY: T2: the handle's reference keeps the object live.
        unsafe { &(*self.ptr.as_ptr()).ob_base }
    }
}

impl<T> Clone for Ref<T> {
    #[inline]
    fn clone(&self) -> Self {
        // SAFETY: the handle's reference keeps the object live.
        unsafe { incref(Ref::as_ptr(self)) };
        Ref {
            ptr: self.ptr,
            _owns: PhantomData,
        }
    }
}

impl<T> Drop for Ref<T> {
    #[inline]
    fn drop(&mut self) {
        // SAFETY: the handle owns one reference and gives it up here.
        unsafe { decref(Ref::as_ptr(self)) }
    }
}

impl<T> Deref for Ref<T> {
    type Target = T;

    #[inline]
    fn deref(&self) -> &T {
        // SAFETY: the handle's reference keeps the payload live; payloads
        // are only ever shared immutably through handles.
        unsafe { &(*self.ptr.as_ptr()).value }
    }
}

impl<T: fmt::Debug> fmt::Debug for Ref<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // SAFETY: the handle keeps the type alive (T3).
        let name = unsafe { (*self.header().ob_type).tp_name };
        f.debug_struct("Ref")
            .field("type", &name)
            .field("addr", &self.ptr)
            .field("refcnt", &self.refcnt())
            .field("value", &**self)
            .finish()
    }
}
