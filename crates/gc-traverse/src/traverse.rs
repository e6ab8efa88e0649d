//! The traverse protocol for Rust payloads: [`Traverse`] (the `tp_traverse`
//! of a payload), [`Clear`] (its `tp_clear`), and the `extern "C"` shims
//! [`traverse_payload`] and [`clear_payload`] that a [`gc_type`] puts in its
//! slots.
//!
//! ```text
//!  collector ──tp_traverse(op, visit, arg)──▶ traverse_payload::<T>
//!                                                │ Visitor { visit, arg }
//!                                                ▼
//!                                  T::traverse(&payload, &mut visitor)
//!                                                │ for each owned Ref
//!                                                ▼
//!                                  visit(child, arg) ── non-zero ──▶ Err(Stop(n))
//! ```
//!
//! Mirrors `Py_VISIT` and the `traverseproc`/`inquiry` slots of CPython
//! ([Include/objimpl.h](https://github.com/python/cpython/blob/v3.14.0/Include/objimpl.h),
//! [type object docs](https://docs.python.org/3.14/c-api/typeobj.html#c.PyTypeObject.tp_traverse)).
//!
//! # Examples
//! A linked node whose `next` field is its one owned reference:
//! ```
//! use core::cell::RefCell;
//! use core::ffi::{c_int, c_void};
//! use gc_traverse::traverse::{gc_type, traverse_payload, Clear, Traverse, VisitResult, Visitor};
//! use type_object::{Object, Ref, RustType};
//!
//! struct Node {
//!     next: RefCell<Option<Ref<Node>>>,
//! }
//!
//! impl Traverse for Node {
//!     fn traverse(&self, visitor: &mut Visitor<'_>) -> VisitResult {
//!         self.next.traverse(visitor)
//!     }
//! }
//!
//! impl Clear for Node {
//!     fn clear(&self) {
//!         self.next.clear();
//!     }
//! }
//!
//! static NODE: RustType<Node> = gc_type("Node");
//!
//! /// A visitproc that counts the references it is shown.
//! unsafe extern "C" fn count(_op: *mut Object, arg: *mut c_void) -> c_int {
//!     // SAFETY: `arg` is the `usize` counter passed below.
//!     unsafe { *arg.cast::<usize>() += 1 };
//!     0
//! }
//!
//! let child = Ref::new(&NODE, Node { next: RefCell::new(None) });
//! let parent = Ref::new(&NODE, Node { next: RefCell::new(Some(child.clone())) });
//!
//! let mut seen = 0usize;
//! // SAFETY: `parent` is a live `Node` object; `count` takes a `usize`.
//! let r = unsafe {
//!     traverse_payload::<Node>(Ref::as_ptr(&parent), count, core::ptr::from_mut(&mut seen).cast())
//! };
//! assert_eq!((r, seen), (0, 1));
//!
//! // Clearing drops the parent's reference to the child.
//! assert_eq!(child.refcnt(), 2);
//! parent.clear();
//! assert_eq!(child.refcnt(), 1);
//! ```

use core::any::type_name;
use core::cell::{Cell, RefCell};
use core::ffi::{c_int, c_void};
use core::marker::PhantomData;
use core::ptr::NonNull;
use std::panic::{catch_unwind, AssertUnwindSafe};

use type_object::type_object::VisitFn;
use type_object::{Instance, Object, Ref, RustType};

/// A non-zero result of a visitproc: the traversal stops at once and the
/// value is returned from `tp_traverse`, as `Py_VISIT` does
/// ([Include/objimpl.h](https://github.com/python/cpython/blob/v3.14.0/Include/objimpl.h)).
/// `gc.get_referents`-style visitors use it to report errors.
///
/// # Examples
/// ```
/// use gc_traverse::traverse::Stop;
///
/// let stop = Stop(-1);
/// assert_eq!(stop.0, -1);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Stop(pub c_int);

/// The result of a traversal step: `Ok(())` to go on, `Err(Stop(n))` to
/// return `n` from `tp_traverse`. Use `?` to propagate it.
pub type VisitResult = Result<(), Stop>;

/// A CPython `visitproc` and its `arg`, as `tp_traverse` receives them,
/// wrapped for [`Traverse`] impls. The lifetime ties the visitor to the
/// traversal that made it.
///
/// # Examples
/// ```
/// use core::ffi::{c_int, c_void};
/// use gc_traverse::traverse::{Stop, Visitor};
/// use type_object::{Object, Ref, RustType};
///
/// static INT: RustType<i64> = RustType::new("int");
///
/// unsafe extern "C" fn refuse(_op: *mut Object, _arg: *mut c_void) -> c_int {
///     7
/// }
///
/// let one = Ref::new(&INT, 1);
/// // SAFETY: `refuse` accepts any object and ignores its `arg`.
/// let mut visitor = unsafe { Visitor::new(refuse, core::ptr::null_mut()) };
/// assert_eq!(visitor.visit_ref(&one), Err(Stop(7)));
/// ```
pub struct Visitor<'a> {
    visit: VisitFn,
    arg: *mut c_void,
    _arg: PhantomData<&'a mut c_void>,
}

impl<'a> Visitor<'a> {
    /// Wraps the `visit` and `arg` a `tp_traverse` was called with.
    ///
    /// # Safety
    /// - For as long as the visitor lives, `visit` may be called with `arg`
    ///   and any live object: it is the visitproc `arg` was made for (as
    ///   the collector passes them to `tp_traverse`).
    pub unsafe fn new(visit: VisitFn, arg: *mut c_void) -> Visitor<'a> {
        Visitor {
            visit,
            arg,
            _arg: PhantomData,
        }
    }

    /// Shows the visitproc the object `r` points to. The safe form of
    /// [`visit`](Self::visit); [`Traverse`] for `Ref<T>` uses it.
    ///
    /// # Errors
    /// `Err(Stop(n))` when the visitproc returns non-zero `n`.
    #[inline]
    pub fn visit_ref<T>(&mut self, r: &Ref<T>) -> VisitResult {
        // SAFETY: `r` holds a reference, so the object is live (first
        // bullet of `visit`).
        unsafe { self.visit(NonNull::new_unchecked(Ref::as_ptr(r))) }
    }

    /// Shows the visitproc one object: calls `visit(op, arg)`. Mirrors
    /// `Py_VISIT` for a non-null `op`.
    ///
    /// # Safety
    /// - `op` is a live object (the visitproc may read its header and
    ///   its GC header).
    ///
    /// # Errors
    /// `Err(Stop(n))` when the visitproc returns non-zero `n`.
    #[inline]
    pub unsafe fn visit(&mut self, op: NonNull<Object>) -> VisitResult {
        // SAFETY: `new`'s bullet (any live object with `arg`) and ours
        // (`op` is live).
        match unsafe { (self.visit)(op.as_ptr(), self.arg) } {
            0 => Ok(()),
            n => Err(Stop(n)),
        }
    }
}

/// A payload's `tp_traverse`: shows the visitor each strong reference the
/// value owns. Mirrors a `traverseproc` written with `Py_VISIT`
/// ([type object docs](https://docs.python.org/3.14/c-api/typeobj.html#c.PyTypeObject.tp_traverse)).
///
/// # Contract
/// 1. Visit each owned **strong** reference exactly once: the collector
///    subtracts one from the target's count per visit, so a missed or
///    doubled visit makes it free live objects or keep dead cycles.
/// 2. Never clone, increment or decrement inside `traverse`, and never
///    mutate the payload: the collector is in the middle of its own count
///    arithmetic.
/// 3. Borrowed references (and raw pointers not counted by this object)
///    must not be visited. For that reason `&T` has no impl.
/// 4. Propagate `Err(Stop(n))` at once (use `?`).
///
/// `Cell<Option<Ref<T>>>` has no impl: without `unsafe` its content can only
/// be read by taking it out and putting it back, which rule 2 forbids. Keep
/// traversable fields in a [`RefCell`].
///
/// # Examples
/// See the [module docs](self).
pub trait Traverse {
    /// Visits each owned strong reference once, stopping at the first
    /// non-zero visit result.
    ///
    /// # Errors
    /// `Err(Stop(n))` as soon as the visitor returns non-zero `n`.
    fn traverse(&self, visitor: &mut Visitor<'_>) -> VisitResult;
}

/// A payload's `tp_clear`: drops the references the value owns, so the
/// cycles through it break. Works through `&self` (interior mutability), as
/// objects are shared. Mirrors an `inquiry` written with `Py_CLEAR`
/// ([type object docs](https://docs.python.org/3.14/c-api/typeobj.html#c.PyTypeObject.tp_clear)).
///
/// Dropping a reference can run arbitrary code (another object's dealloc),
/// which may reach this object again: release every borrow before the old
/// value is dropped, as the [`RefCell`] impl does.
///
/// # Examples
/// ```
/// use core::cell::RefCell;
/// use gc_traverse::traverse::Clear;
///
/// let items = RefCell::new(vec![1, 2, 3]);
/// items.clear();
/// assert!(items.borrow().is_empty());
/// ```
pub trait Clear {
    /// Drops the owned references (leaf types do nothing).
    fn clear(&self);
}

impl<T> Traverse for Ref<T> {
    #[inline]
    fn traverse(&self, visitor: &mut Visitor<'_>) -> VisitResult {
        visitor.visit_ref(self)
    }
}

impl<T: Traverse> Traverse for Option<T> {
    #[inline]
    fn traverse(&self, visitor: &mut Visitor<'_>) -> VisitResult {
        match self {
            Some(value) => value.traverse(visitor),
            None => Ok(()),
        }
    }
}

impl<T: Traverse> Traverse for [T] {
    fn traverse(&self, visitor: &mut Visitor<'_>) -> VisitResult {
        self.iter().try_for_each(|item| item.traverse(visitor))
    }
}

impl<T: Traverse, const N: usize> Traverse for [T; N] {
    fn traverse(&self, visitor: &mut Visitor<'_>) -> VisitResult {
        self.as_slice().traverse(visitor)
    }
}

impl<T: Traverse> Traverse for Vec<T> {
    fn traverse(&self, visitor: &mut Visitor<'_>) -> VisitResult {
        self.as_slice().traverse(visitor)
    }
}

/// Covers `Box<T>` and `Box<[T]>`: the box owns what it points to.
impl<T: Traverse + ?Sized> Traverse for Box<T> {
    #[inline]
    fn traverse(&self, visitor: &mut Visitor<'_>) -> VisitResult {
        (**self).traverse(visitor)
    }
}

impl<A: smallvec::Array> Traverse for smallvec::SmallVec<A>
where
    A::Item: Traverse,
{
    fn traverse(&self, visitor: &mut Visitor<'_>) -> VisitResult {
        self.as_slice().traverse(visitor)
    }
}

/// Visits keys and values.
impl<K: Traverse, V: Traverse, S> Traverse for hashbrown::HashMap<K, V, S> {
    fn traverse(&self, visitor: &mut Visitor<'_>) -> VisitResult {
        self.iter().try_for_each(|(key, value)| {
            key.traverse(visitor)?;
            value.traverse(visitor)
        })
    }
}

impl<T: Traverse, S> Traverse for hashbrown::HashSet<T, S> {
    fn traverse(&self, visitor: &mut Visitor<'_>) -> VisitResult {
        self.iter().try_for_each(|item| item.traverse(visitor))
    }
}

/// Traverses the borrowed content.
///
/// # Panics
/// When the cell is mutably borrowed: the collector ran while the payload
/// was being changed, which is a bug in the code holding the borrow (it
/// allocated or dropped a GC object with the borrow open).
impl<T: Traverse> Traverse for RefCell<T> {
    fn traverse(&self, visitor: &mut Visitor<'_>) -> VisitResult {
        match self.try_borrow() {
            Ok(value) => value.traverse(visitor),
            Err(_) => borrowed_during::<T>("traverse", "mutably borrowed"),
        }
    }
}

/// Replaces the content with `T::default()`; the old value is dropped after
/// the borrow is released, so a dealloc it triggers may use the cell again.
///
/// # Panics
/// When the cell is borrowed: `tp_clear` ran while the payload was in use.
impl<T: Default> Clear for RefCell<T> {
    fn clear(&self) {
        let old = match self.try_borrow_mut() {
            Ok(mut value) => core::mem::take(&mut *value),
            Err(_) => borrowed_during::<T>("clear", "borrowed"),
        };
        drop(old);
    }
}

/// Takes the content out; it is dropped after the cell holds `None`.
impl<T> Clear for Cell<Option<T>> {
    fn clear(&self) {
        drop(self.take());
    }
}

impl<T: Clear> Clear for Option<T> {
    fn clear(&self) {
        if let Some(value) = self {
            value.clear();
        }
    }
}

impl<T: Clear> Clear for [T] {
    fn clear(&self) {
        self.iter().for_each(Clear::clear);
    }
}

impl<T: Clear, const N: usize> Clear for [T; N] {
    fn clear(&self) {
        self.as_slice().clear();
    }
}

impl<T: Clear> Clear for Vec<T> {
    fn clear(&self) {
        self.as_slice().clear();
    }
}

impl<T: Clear + ?Sized> Clear for Box<T> {
    fn clear(&self) {
        (**self).clear();
    }
}

/// The panic behind a borrowed `RefCell` in a GC callback.
#[cold]
#[inline(never)]
fn borrowed_during<T>(callback: &str, state: &str) -> ! {
    panic!(
        "{callback} of a `RefCell<{}>` that is {state}: the collector ran while \
         the payload was in use (a borrow was held across an allocation or a drop)",
        type_name::<T>()
    )
}

macro_rules! tuple_impls {
    ($(($($name:ident),+))+) => {$(
        impl<$($name: Traverse),+> Traverse for ($($name,)+) {
            #[allow(non_snake_case)]
            fn traverse(&self, visitor: &mut Visitor<'_>) -> VisitResult {
                let ($($name,)+) = self;
                $($name.traverse(visitor)?;)+
                Ok(())
            }
        }

        impl<$($name: Clear),+> Clear for ($($name,)+) {
            #[allow(non_snake_case)]
            fn clear(&self) {
                let ($($name,)+) = self;
                $($name.clear();)+
            }
        }
    )+};
}

tuple_impls! {
    (A)
    (A, B)
    (A, B, C)
    (A, B, C, D)
    (A, B, C, D, E)
    (A, B, C, D, E, F)
}

macro_rules! leaf_impls {
    ($($ty:ty),+ $(,)?) => {$(
        /// A leaf: holds no references.
        impl Traverse for $ty {
            #[inline]
            fn traverse(&self, _visitor: &mut Visitor<'_>) -> VisitResult {
                Ok(())
            }
        }

        /// A leaf: nothing to clear.
        impl Clear for $ty {
            #[inline]
            fn clear(&self) {}
        }
    )+};
}

leaf_impls! {
    i8, i16, i32, i64, i128, isize,
    u8, u16, u32, u64, u128, usize,
    f32, f64, bool, char, (), str, String, &'static str,
}

/// A static GC type for payload `T`: `Py_TPFLAGS_HAVE_GC`, with
/// [`traverse_payload::<T>`] as `tp_traverse` and [`clear_payload::<T>`] as
/// `tp_clear`. Instances made with [`Ref::new`] start untracked.
///
/// # Examples
/// ```
/// use gc_traverse::traverse::gc_type;
/// use type_object::RustType;
///
/// static PAIR: RustType<(i64, i64)> = gc_type("pair");
/// assert!(PAIR.type_object().is_gc());
/// assert!(PAIR.type_object().tp_traverse.is_some());
/// ```
///
/// # Panics
/// As [`RustType::new`] (payload alignment above 16 bytes).
pub const fn gc_type<T: Traverse + Clear>(name: &'static str) -> RustType<T> {
    RustType::with_gc(name, traverse_payload::<T>, clear_payload::<T>)
}

/// `tp_traverse` of an `Instance<T>`: runs [`T::traverse`](Traverse) with
/// `visit`/`arg` and returns 0, the first non-zero visit result (as
/// `Py_VISIT` does), or -1 when `T::traverse` panicked. A panic is caught
/// here (it must not unwind through `extern "C"`) and recorded for
/// [`take_callback_error`].
///
/// An instance of a heap type owns a reference to its type, so the type is
/// visited first, as `subtype_traverse` does since CPython 3.9
/// ([Objects/typeobject.c](https://github.com/python/cpython/blob/v3.14.0/Objects/typeobject.c)).
///
/// # Examples
/// See the [module docs](self).
///
/// # Safety
/// - `op` is a live object whose layout is [`Instance<T>`] (an instance of a
///   `RustType<T>` or `HeapType<T>`, same `T`).
/// - `visit` may be called with `arg` and any live object.
pub unsafe extern "C" fn traverse_payload<T: Traverse>(
    op: *mut Object,
    visit: VisitFn,
    arg: *mut c_void,
) -> c_int {
    // SAFETY: first bullet: a live `Instance<T>`; the payload is shared
    // immutably only.
    let payload = unsafe { &(*op.cast::<Instance<T>>()).value };
    // SAFETY: first bullet (the header is intact) and T3 (the type
    // outlives its instance).
    let ty = unsafe { (*op).ob_type };
    // SAFETY: second bullet.
    let mut visitor = unsafe { Visitor::new(visit, arg) };
    // SAFETY: T3: the type outlives its instance.
    if unsafe { (*ty).is_heap_type() } {
        // SAFETY: the instance's counted reference keeps its heap type live
        // (T3); a type object is never null.
        if let Err(Stop(n)) = unsafe { visitor.visit(NonNull::new_unchecked(ty.cast())) } {
            return n;
        }
    }
    match catch_unwind(AssertUnwindSafe(|| payload.traverse(&mut visitor))) {
        Ok(Ok(())) => 0,
        Ok(Err(Stop(n))) => n,
        Err(panic) => {
            // SAFETY: first bullet: the object is live.
            unsafe { record_panic("tp_traverse", op, &*panic) };
            -1
        }
    }
}

/// `tp_clear` of an `Instance<T>`: runs [`T::clear`](Clear) and returns 0,
/// or -1 when it panicked (caught here and recorded for
/// [`take_callback_error`]).
///
/// # Examples
/// ```
/// use core::cell::RefCell;
/// use gc_traverse::traverse::{clear_payload, gc_type};
/// use type_object::{Ref, RustType};
///
/// static LIST: RustType<RefCell<Vec<Ref<i64>>>> = gc_type("list");
/// static INT: RustType<i64> = RustType::new("int");
///
/// let item = Ref::new(&INT, 5);
/// let list = Ref::new(&LIST, RefCell::new(vec![item.clone()]));
/// assert_eq!(item.refcnt(), 2);
/// // SAFETY: `list` is a live instance of `LIST`.
/// assert_eq!(unsafe { clear_payload::<RefCell<Vec<Ref<i64>>>>(Ref::as_ptr(&list)) }, 0);
/// assert_eq!(item.refcnt(), 1);
/// ```
///
/// # Safety
/// - `op` is a live object whose layout is [`Instance<T>`] (an instance of a
///   `RustType<T>` or `HeapType<T>`, same `T`).
/// - The caller holds a reference to `op` for the whole call, as the
///   collector does around `tp_clear`, so dropping the payload's references
///   cannot free `op` while its payload is borrowed.
pub unsafe extern "C" fn clear_payload<T: Clear>(op: *mut Object) -> c_int {
    // SAFETY: first bullet: a live `Instance<T>`, shared immutably; the
    // second keeps it live until we return.
    let payload = unsafe { &(*op.cast::<Instance<T>>()).value };
    match catch_unwind(AssertUnwindSafe(|| payload.clear())) {
        Ok(()) => 0,
        Err(panic) => {
            // SAFETY: second bullet: the object is still live.
            unsafe { record_panic("tp_clear", op, &*panic) };
            -1
        }
    }
}

std::thread_local! {
    /// The last error of a GC callback on this thread, until taken.
    static LAST_CALLBACK_ERROR: Cell<Option<String>> = const { Cell::new(None) };
}

/// Takes the last error recorded by [`traverse_payload`] or
/// [`clear_payload`] on this thread (a panic they caught), leaving none.
/// The collector reads it after a callback returned -1.
///
/// # Examples
/// ```
/// use gc_traverse::traverse::take_callback_error;
///
/// assert_eq!(take_callback_error(), None);
/// ```
pub fn take_callback_error() -> Option<String> {
    LAST_CALLBACK_ERROR.with(Cell::take)
}

/// Records a panic caught in `callback` of `op` as the last callback error.
///
/// # Safety
/// - `op` is a live object (its type is read for the name).
#[cold]
#[inline(never)]
unsafe fn record_panic(callback: &str, op: *mut Object, panic: &(dyn core::any::Any + Send)) {
    // SAFETY: the bullet (the header is intact) and T3 (the type outlives
    // its instance).
    let type_name = unsafe { (*(*op).ob_type).tp_name };
    let reason = panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("a non-string panic payload");
    let message = format!("{callback} of `{type_name}` object at {op:p} panicked: {reason}");
    LAST_CALLBACK_ERROR.with(|last| last.set(Some(message)));
}
