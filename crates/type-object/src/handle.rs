//! The safe layer: Rust payloads as objects, and `Ref<T>`, an owning
//! handle.

use core::fmt;
use core::marker::PhantomData;
use core::mem::{align_of, size_of};
use core::ops::Deref;
use core::ptr::{self, NonNull};

use crate::alloc::{Heap, ALIGN};
use crate::create::alloc_in;
use crate::flavour::Flavour;
use crate::ft::FtObject;
use crate::object::Object;
use crate::refs::{decref, incref};
use crate::type_object::{InquiryFn, TraverseFn, TypeObject, TPFLAGS_HAVE_GC, TPFLAGS_READY};

/// The layout of an object whose payload is the Rust value `T`, with the
/// header of flavour `O`.
#[repr(C)]
pub struct Instance<T, O = Object> {
    /// The header (T1: first).
    pub ob_base: O,
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
///
/// The free-threaded flavour (`RustType<T, FtObject>`) makes objects any
/// thread may reference:
/// ```
/// use type_object::ft::FtObject;
/// use type_object::{Ref, RustType};
///
/// static SHARED: RustType<u64, FtObject> = RustType::new("shared");
///
/// let a = Ref::new(&SHARED, 7);
/// let b = a.clone();
/// std::thread::spawn(move || assert_eq!(*b, 7)).join().unwrap();
/// assert_eq!(*a, 7);
/// ```
#[repr(transparent)]
pub struct RustType<T, O = Object> {
    ty: TypeObject<O>,
    _payload: PhantomData<fn() -> T>,
}

impl<T, O: Flavour> RustType<T, O> {
    /// A static type named `name` for payload `T`.
    ///
    /// # Panics
    /// At compile time (in a `static`), when `T` needs more than 16-byte
    /// alignment, which the allocators do not provide.
    pub const fn new(name: &'static str) -> RustType<T, O> {
        assert!(
            align_of::<Instance<T, O>>() <= ALIGN,
            "payload alignment above 16 bytes"
        );
        RustType {
            ty: TypeObject {
                tp_name: name,
                tp_basicsize: size_of::<Instance<T, O>>() as isize,
                tp_dealloc: Some(instance_dealloc::<T, O>),
                ..TypeObject::DEFAULT
            },
            _payload: PhantomData,
        }
    }

    /// The untyped type object.
    pub const fn type_object(&self) -> &TypeObject<O> {
        &self.ty
    }

    /// The type object as the raw pointer the CPython-name table takes.
    pub fn as_ptr(&'static self) -> *mut TypeObject<O> {
        ptr::from_ref(&self.ty).cast_mut()
    }
}

impl<T> RustType<T> {
    /// A static GC type named `name` for payload `T`: as [`new`](Self::new),
    /// plus `Py_TPFLAGS_HAVE_GC` and the given `tp_traverse` and `tp_clear`.
    /// Instances get a GC header in front (untracked); the generic dealloc
    /// untracks and frees them. Mirrors a static `PyTypeObject` declared with
    /// `Py_TPFLAGS_HAVE_GC`
    /// ([Include/object.h](https://github.com/python/cpython/blob/v3.14.0/Include/object.h)).
    ///
    /// # Examples
    /// ```
    /// use core::ffi::{c_int, c_void};
    /// use type_object::type_object::VisitFn;
    /// use type_object::{Object, Ref, RustType};
    ///
    /// struct Leaf(u8);
    ///
    /// unsafe extern "C" fn traverse(_: *mut Object, _: VisitFn, _: *mut c_void) -> c_int {
    ///     0
    /// }
    /// unsafe extern "C" fn clear(_: *mut Object) -> c_int {
    ///     0
    /// }
    ///
    /// static LEAF: RustType<Leaf> = RustType::with_gc("Leaf", traverse, clear);
    /// assert!(LEAF.type_object().is_gc());
    /// let leaf = Ref::new(&LEAF, Leaf(1));
    /// assert_eq!(leaf.0, 1);
    /// ```
    ///
    /// # Panics
    /// As [`new`](Self::new).
    pub const fn with_gc(
        name: &'static str,
        traverse: TraverseFn,
        clear: InquiryFn,
    ) -> RustType<T> {
        let mut ty = RustType::<T>::new(name);
        ty.ty.tp_flags |= TPFLAGS_HAVE_GC;
        ty.ty.tp_traverse = Some(traverse);
        ty.ty.tp_clear = Some(clear);
        ty
    }
}

impl TypeObject {
    /// A type object for Rust payload `T` whose dealloc runs `T`'s `Drop`;
    /// see [`RustType`] for the typed form `Ref<T>` needs.
    pub const fn of<T>(name: &'static str) -> TypeObject {
        RustType::<T>::new(name).ty
    }
}

/// `tp_dealloc` of a [`RustType<T, O>`]: drops the payload, frees the
/// block.
///
/// # Safety
/// - `op` is an `Instance<T, O>` whose count reached 0.
unsafe extern "C" fn instance_dealloc<T, O: Flavour>(op: *mut O) {
    // SAFETY: first bullet: the payload is initialised and dropped once.
    unsafe { ptr::drop_in_place(ptr::addr_of_mut!((*op.cast::<Instance<T, O>>()).value)) };
    // SAFETY: first bullet; the payload is torn down.
    unsafe { O::free(op) };
}

/// An owning handle to an object with payload `T`: `Clone` increments,
/// `Drop` decrements and, at zero, dispatches to the type's `tp_dealloc`.
/// The safe form of `Py_INCREF`/`Py_DECREF`, for either header flavour
/// (`O`, default [`Object`]).
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
/// A `Ref` to a free-threaded object is both, when its payload is:
/// ```
/// fn needs_send_sync<T: Send + Sync>() {}
/// needs_send_sync::<type_object::Ref<u64, type_object::ft::FtObject>>();
/// ```
pub struct Ref<T, O: Flavour = Object> {
    ptr: NonNull<Instance<T, O>>,
    _owns: PhantomData<*const Instance<T, O>>,
}

// SAFETY: a free-threaded header is counted with atomics by any thread
// (B1-B3), and the payload is shared only immutably, so handles may move
// and be shared across threads when the payload may.
unsafe impl<T: Send + Sync> Send for Ref<T, FtObject> {}
// SAFETY: as above.
unsafe impl<T: Send + Sync> Sync for Ref<T, FtObject> {}

impl<T, O: Flavour> Ref<T, O> {
    /// Allocates an object of type `ty` holding `value` (the default
    /// flavour from this thread's default heap, the free-threaded one from
    /// the system allocator).
    ///
    /// # Panics
    /// When memory runs out.
    pub fn new(ty: &'static RustType<T, O>, value: T) -> Ref<T, O> {
        ready(&ty.ty);
        // SAFETY: a readied static type made for payload `T`.
        let op = unsafe { O::alloc(ty.as_ptr()) };
        // SAFETY: a fresh instance of a type made for `T`.
        unsafe { Ref::init(op, value) }
    }

    /// Writes the payload into a fresh instance.
    ///
    /// # Safety
    /// - `op` is null or a fresh `Instance<T, O>` with count 1 whose
    ///   payload is not initialised.
    unsafe fn init(op: *mut O, value: T) -> Ref<T, O> {
        let Some(op) = NonNull::new(op.cast::<Instance<T, O>>()) else {
            std::alloc::handle_alloc_error(core::alloc::Layout::new::<Instance<T, O>>())
        };
        // SAFETY: first bullet.
        unsafe { ptr::addr_of_mut!((*op.as_ptr()).value).write(value) };
        Ref {
            ptr: op,
            _owns: PhantomData,
        }
    }

    /// The object's header, for the raw layer (borrowed: no count moves).
    #[inline]
    pub fn as_ptr(this: &Self) -> *mut O {
        this.ptr.as_ptr().cast()
    }

    /// Gives up the handle, keeping its reference, as a raw object pointer.
    #[inline]
    pub fn into_raw(this: Self) -> *mut O {
        let op = Ref::as_ptr(&this);
        core::mem::forget(this);
        op
    }

    /// Takes ownership of one reference to `op`.
    ///
    /// # Safety
    /// - `op` is an object of a [`RustType<T, O>`] or [`HeapType<T>`]
    ///   (same `T`), e.g. from [`Ref::into_raw`].
    /// - The caller owns one reference to it and gives it to the handle.
    #[inline]
    pub unsafe fn from_raw(op: *mut O) -> Ref<T, O> {
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
        // SAFETY: the handle's reference keeps the object live.
        unsafe { O::refcnt(Ref::as_ptr(self)) }
    }

    /// Makes the object immortal (it is then never freed). Mirrors
    /// `_Py_SetImmortal`.
    pub fn make_immortal(&self) {
        // SAFETY: the handle's reference keeps the object live.
        unsafe { O::make_immortal(Ref::as_ptr(self)) }
    }
}

impl<T> Ref<T> {
    /// Allocates an object of type `ty` holding `value` from `heap`.
    ///
    /// # Panics
    /// When memory runs out.
    pub fn new_in(heap: &Heap, ty: &'static RustType<T>, value: T) -> Ref<T> {
        ready(&ty.ty);
        // SAFETY: a readied static type made for payload `T`.
        unsafe { Ref::alloc(heap, ty.as_ptr(), value) }
    }

    /// # Safety
    /// - `ty` is a live, readied type whose instances are `Instance<T>`
    ///   with the generic allocator (a [`RustType<T>`] or a
    ///   [`HeapType<T>`]).
    unsafe fn alloc(heap: &Heap, ty: *mut TypeObject, value: T) -> Ref<T> {
        // SAFETY: first bullet.
        unsafe { Ref::init(alloc_in(heap, ty, 0), value) }
    }
}

/// Readies a `RustType`'s type object on first use.
fn ready<O>(ty: &TypeObject<O>) {
    if ty.flags() & TPFLAGS_READY == 0 {
        ty.ready()
            .expect("a RustType always has a dealloc and a valid size");
    }
}

impl<T, O: Flavour> Clone for Ref<T, O> {
    #[inline]
    fn clone(&self) -> Self {
        // SAFETY: the handle's reference keeps the object live.
        unsafe { O::incref(Ref::as_ptr(self)) };
        Ref {
            ptr: self.ptr,
            _owns: PhantomData,
        }
    }
}

impl<T, O: Flavour> Drop for Ref<T, O> {
    #[inline]
    fn drop(&mut self) {
        // SAFETY: the handle owns one reference and gives it up here.
        unsafe { O::decref(Ref::as_ptr(self)) }
    }
}

impl<T, O: Flavour> Deref for Ref<T, O> {
    type Target = T;

    #[inline]
    fn deref(&self) -> &T {
        // SAFETY: the handle's reference keeps the payload live; payloads
        // are only ever shared immutably through handles.
        unsafe { &(*self.ptr.as_ptr()).value }
    }
}

impl<T: fmt::Debug, O: Flavour> fmt::Debug for Ref<T, O> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ref")
            .field("addr", &self.ptr)
            .field("refcnt", &self.refcnt())
            .field("value", &**self)
            .finish()
    }
}

/// An owning handle to a heap type for Rust payload `T`: a type created at
/// run time, as a VM creates a class. It is itself a counted object (its
/// type is `TYPE_TYPE`): this handle holds one reference, each instance
/// holds another, and the type is freed when the last of them goes — the
/// rule CPython follows since 3.8 (`Py_TPFLAGS_HEAPTYPE`,
/// [Objects/typeobject.c](https://github.com/python/cpython/blob/v3.14.0/Objects/typeobject.c)).
///
/// # Examples
/// ```
/// use type_object::handle::HeapType;
///
/// struct Point { x: i64, y: i64 }
///
/// let class = HeapType::<Point>::new("Point");
/// let p = class.instantiate(Point { x: 1, y: 2 });
/// assert_eq!(p.x + p.y, 3);
/// // The handle and the instance each hold the type.
/// assert_eq!(class.refcnt(), 2);
/// drop(class);
/// // The instance keeps its type alive; dropping it frees both.
/// assert_eq!(p.y, 2);
/// drop(p);
/// ```
pub struct HeapType<T> {
    ty: NonNull<TypeObject>,
    /// Thread-confined like `Ref` (the type's count word is not atomic).
    _confined: PhantomData<*const TypeObject>,
    _payload: PhantomData<fn() -> T>,
}

impl<T> HeapType<T> {
    /// Creates a heap type named `name` whose instances hold a `T` (their
    /// dealloc runs `T`'s `Drop`). A name built at run time can be given as
    /// `Box::leak(name.into_boxed_str())`.
    ///
    /// # Panics
    /// When `T` needs more than 16-byte alignment.
    pub fn new(name: &'static str) -> HeapType<T> {
        let ty = TypeObject::new_heap(RustType::<T>::new(name).ty)
            .expect("a RustType template always has a dealloc and a valid size");
        HeapType {
            // SAFETY: `new_heap` returns a boxed, non-null type.
            ty: unsafe { NonNull::new_unchecked(ty) },
            _confined: PhantomData,
            _payload: PhantomData,
        }
    }

    /// Allocates an instance holding `value` from this thread's default
    /// heap; the instance holds a reference to this type.
    ///
    /// # Panics
    /// When memory runs out.
    pub fn instantiate(&self, value: T) -> Ref<T> {
        crate::alloc::with_default_heap(|heap| self.instantiate_in(heap, value))
    }

    /// Allocates an instance holding `value` from `heap`.
    ///
    /// # Panics
    /// When memory runs out.
    pub fn instantiate_in(&self, heap: &Heap, value: T) -> Ref<T> {
        // SAFETY: the handle keeps the readied heap type alive; it was
        // made from `RustType<T>`, so its instances are `Instance<T>`.
        unsafe { Ref::alloc(heap, self.as_ptr(), value) }
    }

    /// The type object as the raw pointer the CPython-name table takes
    /// (borrowed: no count moves).
    pub fn as_ptr(&self) -> *mut TypeObject {
        self.ty.as_ptr()
    }

    /// The type's count: this handle, its clones and its live instances.
    pub fn refcnt(&self) -> isize {
        // SAFETY: the handle keeps the type alive.
        unsafe { self.ty.as_ref() }.ob_base.ob_refcnt.refcnt()
    }
}

impl<T> Clone for HeapType<T> {
    fn clone(&self) -> Self {
        // SAFETY: the handle keeps the type alive; the clone owns the new
        // reference.
        unsafe { incref(self.ty.as_ptr().cast()) };
        HeapType {
            ty: self.ty,
            _confined: PhantomData,
            _payload: PhantomData,
        }
    }
}

impl<T> Drop for HeapType<T> {
    fn drop(&mut self) {
        // SAFETY: the handle owns one reference and gives it up; at zero
        // the type's own type (`TYPE_TYPE`) frees it.
        unsafe { decref(self.ty.as_ptr().cast()) };
    }
}

impl<T> fmt::Debug for HeapType<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // SAFETY: the handle keeps the type alive.
        let name = unsafe { self.ty.as_ref() }.tp_name;
        f.debug_struct("HeapType")
            .field("tp_name", &name)
            .field("refcnt", &self.refcnt())
            .finish()
    }
}
