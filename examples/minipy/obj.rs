//! `Obj`, the one handle every minipy value travels in: an owned, counted
//! reference to an objmodel object of any type, and the reference tracer
//! behind `--trace` and `--stats`.
//!
//! `Obj` is the untyped sibling of [`objmodel::Ref`]: `Clone` is
//! `Py_INCREF`, `Drop` is `Py_DECREF`, and the payload is reached by
//! checking `ob_type` against a static [`RustType`] (as `PyLong_Check`
//! compares `Py_TYPE`) before casting to its [`Instance`] layout.

use core::cell::{Cell, RefCell};
use core::ffi::{c_int, c_void};
use core::ptr::NonNull;
use std::fmt::Write as _;

use hashbrown::HashMap;
use objmodel::cpython::{Py_DECREF, Py_INCREF, Py_REFCNT};
use objmodel::cycles::collector::with_default;
use objmodel::cycles::traverse::{Clear, Traverse, VisitResult, Visitor};
use objmodel::types::handle::Instance;
use objmodel::types::tracer::{set_tracer, RefTracerEvent};
use objmodel::{Object, Ref, RustType, TypeObject};

use crate::out;

/// An owned reference to a minipy value (any objmodel object).
pub struct Obj(NonNull<Object>);

impl Obj {
    /// Takes ownership of one reference to `op`.
    ///
    /// # Safety
    /// - `op` is a live object and the caller owns one reference to it,
    ///   which moves into the handle.
    pub unsafe fn from_owned(op: *mut Object) -> Obj {
        // SAFETY: first bullet: a live object is never null.
        Obj(unsafe { NonNull::new_unchecked(op) })
    }

    /// Makes a new reference to `op` (`Py_NewRef`).
    ///
    /// # Safety
    /// - `op` is a live object.
    pub unsafe fn from_borrowed(op: *mut Object) -> Obj {
        trace_count("incref", op, 1);
        // SAFETY: first bullet.
        unsafe { Py_INCREF(op) };
        // SAFETY: first bullet; the reference was just made.
        unsafe { Obj::from_owned(op) }
    }

    /// A static (immortal) object: no count moves.
    pub fn from_static<T>(inst: &'static Instance<T>) -> Obj {
        Obj(NonNull::from(&inst.ob_base))
    }

    /// Allocates a non-GC object of type `ty` holding `value`.
    pub fn new<T>(ty: &'static RustType<T>, value: T) -> Obj {
        let op = Ref::into_raw(Ref::new(ty, value));
        // SAFETY: `into_raw` hands over the new object's one reference.
        unsafe { Obj::from_owned(op) }
    }

    /// Allocates a GC object of type `ty` holding `value` and tracks it, as
    /// `PyObject_GC_New` + `PyObject_GC_Track` do; an automatic collection
    /// may run first (the youngest generation's threshold).
    pub fn new_gc<T>(ty: &'static RustType<T>, value: T) -> Obj {
        with_default(|c| c.note_allocation());
        let obj = Obj::new(ty, value);
        // SAFETY: a fresh, untracked instance of a GC type, owned by this
        // thread's collector.
        with_default(|c| unsafe { c.track(obj.as_ptr()) });
        obj
    }

    /// The object pointer (borrowed).
    #[inline]
    pub fn as_ptr(&self) -> *mut Object {
        self.0.as_ptr()
    }

    /// The object's type.
    #[inline]
    pub fn ty(&self) -> *mut TypeObject {
        // SAFETY: the handle keeps the object live (T1: header first).
        unsafe { (*self.as_ptr()).ob_type }
    }

    /// Whether the object's type is `ty`.
    #[inline]
    pub fn is<T>(&self, ty: &'static RustType<T>) -> bool {
        core::ptr::eq(self.ty(), ty.type_object())
    }

    /// The payload, when the object's type is `ty`.
    #[inline]
    pub fn get<T>(&self, ty: &'static RustType<T>) -> Option<&T> {
        if self.is(ty) {
            // SAFETY: an object of a `RustType<T>` has the `Instance<T>`
            // layout; the handle keeps it live for the borrow.
            Some(unsafe { &(*self.as_ptr().cast::<Instance<T>>()).value })
        } else {
            None
        }
    }

    /// The payload of an object of a heap type made for `T` (the caller
    /// checked the type).
    ///
    /// # Safety
    /// - The object's layout is `Instance<T>`.
    pub unsafe fn payload_unchecked<T>(&self) -> &T {
        // SAFETY: first bullet; the handle keeps it live.
        unsafe { &(*self.as_ptr().cast::<Instance<T>>()).value }
    }

    /// `Py_REFCNT`.
    pub fn refcnt(&self) -> isize {
        // SAFETY: the handle keeps the object live.
        unsafe { Py_REFCNT(self.as_ptr()) }
    }

    /// Whether the object is immortal (`_Py_IsImmortal`).
    pub fn is_immortal(&self) -> bool {
        // SAFETY: the handle keeps the object live.
        unsafe { (*self.as_ptr()).ob_refcnt.is_immortal() }
    }

    /// Makes the object immortal (`_Py_SetImmortal`).
    pub fn make_immortal(&self) {
        // SAFETY: the handle keeps the object live.
        unsafe { objmodel::cpython::_Py_SetImmortal(self.as_ptr()) }
    }

    /// `Py_Is`.
    #[inline]
    pub fn is_same(&self, other: &Obj) -> bool {
        self.0 == other.0
    }

    /// The type's name.
    pub fn type_name(&self) -> &'static str {
        // SAFETY: T3: the type outlives the instance the handle keeps live.
        unsafe { (*self.ty()).tp_name }
    }
}

impl Clone for Obj {
    #[inline]
    fn clone(&self) -> Obj {
        // SAFETY: the handle keeps the object live.
        unsafe { Obj::from_borrowed(self.as_ptr()) }
    }
}

impl Drop for Obj {
    #[inline]
    fn drop(&mut self) {
        trace_count("decref", self.as_ptr(), -1);
        // SAFETY: the handle owns one reference and gives it up here.
        unsafe { Py_DECREF(self.as_ptr()) }
    }
}

impl Traverse for Obj {
    fn traverse(&self, visitor: &mut Visitor<'_>) -> VisitResult {
        // SAFETY: the handle's counted reference keeps the object live.
        unsafe { visitor.visit(self.0) }
    }
}

impl Clear for Obj {
    fn clear(&self) {}
}

// ---- tracing and statistics ------------------------------------------------

/// What the tracer records for `--trace` and `--stats`.
#[derive(Default)]
pub struct Stats {
    /// Objects created, by type name.
    pub created: HashMap<&'static str, usize>,
    /// Objects deallocated.
    pub destroyed: usize,
    /// Live objects seen created: address -> serial number.
    pub live: HashMap<usize, u64>,
    /// The next serial number.
    pub next: u64,
}

std::thread_local! {
    static STATS: RefCell<Option<Stats>> = const { RefCell::new(None) };
    static TRACING: Cell<bool> = const { Cell::new(false) };
}

/// Installs the tracer on this thread: events are counted from now on
/// (printing waits for [`set_tracing`]). Only runs that read the counts
/// install it (`--trace`, `--stats`, the leak checks): every allocation
/// and deallocation pays for the bookkeeping.
pub fn install() {
    STATS.with(|s| {
        *s.borrow_mut() = Some(Stats::default());
    });
    // Printing starts with the program (`set_tracing`), after start-up.
    TRACING.with(|t| t.set(false));
    set_tracer(Some(tracer), core::ptr::null_mut());
}

/// Turns event printing on or off (the tracer stays installed). Turning
/// it on restarts the numbering: objects made before show as `#-`.
pub fn set_tracing(on: bool) {
    if on {
        with_stats(|s| {
            s.next = 0;
            s.live.values_mut().for_each(|n| *n = 0);
        });
    }
    TRACING.with(|t| t.set(on));
}

/// Removes the tracer and returns what it recorded.
pub fn uninstall() -> Option<Stats> {
    set_tracer(None, core::ptr::null_mut());
    TRACING.with(|t| t.set(false));
    STATS.with(|s| s.borrow_mut().take())
}

/// Runs `f` on the statistics, if the tracer is installed.
pub fn with_stats<R>(f: impl FnOnce(&mut Stats) -> R) -> Option<R> {
    STATS.with(|s| s.try_borrow_mut().ok()?.as_mut().map(f))
}

/// The serial number of a live traced object (`#n` in trace lines).
fn serial(op: *mut Object) -> Option<u64> {
    with_stats(|s| s.live.get(&(op as usize)).copied()).flatten()
}

/// `#n` for an object numbered since tracing began, `#-` otherwise.
fn label(n: Option<u64>) -> String {
    match n {
        Some(n) if n > 0 => format!("#{n}"),
        _ => "#-".to_string(),
    }
}

/// Prints one `--trace` line.
pub fn trace_line(line: &str) {
    if TRACING.with(Cell::get) {
        out::write_str(line);
        out::write_str("\n");
    }
}

/// Reports an incref or decref of `op` when tracing (mortal objects only:
/// an immortal's count never moves).
#[inline]
fn trace_count(what: &str, op: *mut Object, delta: isize) {
    if TRACING.with(Cell::get) {
        trace_count_slow(what, op, delta);
    }
}

#[cold]
#[inline(never)]
fn trace_count_slow(what: &str, op: *mut Object, delta: isize) {
    // SAFETY: callers pass a live object (before the decref happens).
    let (immortal, count, name) = unsafe {
        (
            (*op).ob_refcnt.is_immortal(),
            Py_REFCNT(op),
            (*(*op).ob_type).tp_name,
        )
    };
    if immortal {
        return;
    }
    let id = label(serial(op));
    trace_line(&format!("{what} {name} {id} -> {}", count + delta));
}

/// The tracer callback (`PyRefTracer`): counts creations and deallocations
/// and, under `--trace`, prints them.
///
/// # Safety
/// - `op` is a live object header (or one at count 0 about to go).
unsafe extern "C" fn tracer(op: *mut Object, event: RefTracerEvent, _: *mut c_void) -> c_int {
    // SAFETY: first bullet; T3.
    let name = unsafe { (*(*op).ob_type).tp_name };
    // Lines are only formatted under --trace: the counting below runs for
    // every object while the tracer is installed.
    let tracing = TRACING.with(Cell::get);
    let mut line = String::new();
    with_stats(|s| match event {
        RefTracerEvent::Create => {
            *s.created.entry(name).or_default() += 1;
            s.next += 1;
            s.live.insert(op as usize, s.next);
            if tracing {
                let _ = write!(line, "create {name} #{}", s.next);
            }
        }
        RefTracerEvent::Destroy => {
            s.destroyed += 1;
            let n = s.live.remove(&(op as usize));
            if tracing {
                let _ = write!(line, "dealloc {name} {}", label(n));
            }
        }
    });
    if !line.is_empty() {
        trace_line(&line);
    }
    0
}

/// The live objects the tracer saw created that are still mortal: what a
/// program leaks (`--stats`, and the tests' zero-leak check). Empty when
/// the tracer was not installed.
pub fn live_mortal() -> Vec<(&'static str, isize)> {
    let addrs: Vec<usize> = with_stats(|s| s.live.keys().copied().collect()).unwrap_or_default();
    let mut out = Vec::new();
    for a in addrs {
        let op = a as *mut Object;
        // SAFETY: the tracer removes an address at DESTROY, so a listed
        // address is a live object.
        let (immortal, name, count) = unsafe {
            (
                (*op).ob_refcnt.is_immortal(),
                (*(*op).ob_type).tp_name,
                Py_REFCNT(op),
            )
        };
        if !immortal {
            out.push((name, count));
        }
    }
    out.sort();
    out
}
