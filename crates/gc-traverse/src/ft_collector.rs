//! The cycle collector for free-threaded objects, in stop-the-world pauses.
//! Mirrors `gc_collect_internal` of
//! [Python/gc_free_threading.c](https://github.com/python/cpython/blob/v3.14.0/Python/gc_free_threading.c).
//!
//! ```text
//!  stop the world ── merge every merge queue (owners are parked)
//!                    gc_refs := count; subtract internal edges; mark what
//!                    objects with gc_refs > 0 reach; take a reference to
//!                    each unreachable object (merged, +1)
//!  start the world ── run finalizers (tp_finalize, once per object)
//!  stop the world ── re-count the unreachable: resurrected ones and what
//!                    they reach survive
//!  start the world ── tp_clear the rest, drop our references: they die;
//!                    objects whose queued merge reached 0 are deallocated
//! ```
//!
//! There are no generations: like CPython's free-threaded collector, every
//! collection examines every tracked object. `gc_refs` lives in a side
//! table, not in `ob_tid` (objmodel has no allocator segment to restore the
//! owner from), so a failed traverse leaves every count as it was.

use core::ffi::{c_int, c_void};
use core::ptr::NonNull;
use core::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering};
use std::sync::Mutex;

use hashbrown::HashMap;
use object_header::biased::{self, FtHeader};
use type_object::ft::tracking::{self, GC_BITS_FINALIZED, GC_BITS_FROZEN};
use type_object::ft::world::{self, stop_the_world};
use type_object::ft::{header, refs, FtObject};

use crate::collector::GcError;

static COLLECTING: Mutex<()> = Mutex::new(());
static ENABLED: AtomicBool = AtomicBool::new(true);
static THRESHOLD: AtomicU32 = AtomicU32::new(crate::collector::DEFAULT_THRESHOLDS.0);
static COUNT: AtomicUsize = AtomicUsize::new(0);
static LAST_ERROR: Mutex<Option<GcError>> = Mutex::new(None);
static DEBUG: AtomicU32 = AtomicU32::new(0);
/// `gc.garbage`: strong references (under `DEBUG_SAVEALL`).
static GARBAGE: Mutex<Vec<Obj>> = Mutex::new(Vec::new());

/// Mirrors `gc.set_debug(flags)`; [`DEBUG_SAVEALL`](crate::collector::DEBUG_SAVEALL)
/// keeps unreachable objects in [`garbage`] instead of clearing them.
pub fn set_debug(flags: u32) {
    DEBUG.store(flags, Ordering::Relaxed);
}

/// Mirrors `gc.get_debug()`.
pub fn get_debug() -> u32 {
    DEBUG.load(Ordering::Relaxed)
}

/// Borrowed view of `gc.garbage`.
pub fn garbage() -> Vec<*mut FtObject> {
    lock_garbage().iter().map(|o| o.0).collect()
}

/// Empties `gc.garbage`, releasing its references.
pub fn clear_garbage() {
    let taken = core::mem::take(&mut *lock_garbage());
    for Obj(op) in taken {
        // SAFETY: `garbage` owned one reference to each.
        unsafe { refs::decref(op) };
    }
}

fn lock_garbage() -> std::sync::MutexGuard<'static, Vec<Obj>> {
    GARBAGE
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Marks every tracked object frozen: collections ignore it. Mirrors
/// `gc.freeze()`.
pub fn freeze() {
    for op in tracking::tracked_objects() {
        // SAFETY: a tracked object is live.
        unsafe { (*op).ob_gc_bits.fetch_or(GC_BITS_FROZEN, Ordering::AcqRel) };
    }
}

/// Unfreezes every tracked object. Mirrors `gc.unfreeze()`.
pub fn unfreeze() {
    for op in tracking::tracked_objects() {
        // SAFETY: a tracked object is live.
        unsafe {
            (*op)
                .ob_gc_bits
                .fetch_and(!GC_BITS_FROZEN, Ordering::AcqRel)
        };
    }
}

/// How many tracked objects are frozen. Mirrors `gc.get_freeze_count()`.
pub fn get_freeze_count() -> usize {
    tracking::tracked_objects()
        .into_iter()
        // SAFETY: a tracked object is live.
        .filter(|&op| unsafe { is_frozen(op) })
        .count()
}

/// # Safety
/// - `op` is live.
unsafe fn is_frozen(op: *mut FtObject) -> bool {
    // SAFETY: first bullet.
    unsafe { (*op).ob_gc_bits.load(Ordering::Acquire) & GC_BITS_FROZEN != 0 }
}

/// Every tracked object (borrowed; the set changes as threads run).
/// Mirrors `gc.get_objects()`.
pub fn get_objects() -> Vec<*mut FtObject> {
    tracking::tracked_objects()
}

/// The tracked objects whose `tp_traverse` visits `target` (borrowed).
/// Mirrors `gc.get_referrers`.
///
/// # Safety
/// - Every tracked object's `tp_traverse` is sound to call now (other
///   threads are not mutating the objects, e.g. the world is stopped or
///   the objects are not shared).
pub unsafe fn get_referrers(target: *mut FtObject) -> Vec<*mut FtObject> {
    tracking::tracked_objects()
        .into_iter()
        // SAFETY: first bullet; tracked objects are live.
        .filter(|&op| unsafe { get_referents(op) }.contains(&target))
        .collect()
}

/// Enables automatic collection. Mirrors `gc.enable()`.
pub fn enable() {
    ENABLED.store(true, Ordering::Relaxed);
}

/// Disables automatic collection. Mirrors `gc.disable()`.
pub fn disable() {
    ENABLED.store(false, Ordering::Relaxed);
}

/// Mirrors `gc.isenabled()`.
pub fn isenabled() -> bool {
    ENABLED.load(Ordering::Relaxed)
}

/// Sets the allocation count that triggers a collection (0 disables
/// automatic collection). Mirrors `gc.set_threshold(t0)`.
pub fn set_threshold(t0: u32) {
    THRESHOLD.store(t0, Ordering::Relaxed);
}

/// Mirrors `gc.get_threshold()[0]`.
pub fn get_threshold() -> u32 {
    THRESHOLD.load(Ordering::Relaxed)
}

/// GC objects allocated since the last collection. Mirrors
/// `gc.get_count()[0]`.
pub fn get_count() -> usize {
    COUNT.load(Ordering::Relaxed)
}

/// The error that abandoned the last collection, if any (taken).
pub fn take_error() -> Option<GcError> {
    LAST_ERROR
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .take()
}

/// Counts a new GC object and collects when the count passes the
/// threshold, if automatic collection is on and the calling thread is
/// attached (a pause needs it at a safepoint). Mirrors the free-threaded
/// `_PyObject_GC_Link` / `gc_should_collect`.
pub fn note_allocation() {
    let count = COUNT.fetch_add(1, Ordering::Relaxed) + 1;
    let threshold = THRESHOLD.load(Ordering::Relaxed) as usize;
    if threshold != 0 && count > threshold && isenabled() && world::is_attached() {
        collect();
    }
}

/// A full collection of the free-threaded objects; returns how many
/// unreachable objects were freed, or 0 when a collection is already
/// running. Stops the world twice. Mirrors `gc.collect()` of the
/// free-threaded build.
pub fn collect() -> isize {
    let Ok(_running) = COLLECTING.try_lock() else {
        return 0;
    };
    COUNT.store(0, Ordering::Relaxed);
    match collect_locked() {
        Ok(n) => n as isize,
        Err(err) => {
            eprintln!("{err}");
            *LAST_ERROR
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(err);
            0
        }
    }
}

/// An object pointer held across the pauses (objects are `Sync`).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
struct Obj(*mut FtObject);

// SAFETY: free-threaded objects are Send + Sync; an `Obj` in `garbage`
// carries a counted reference, released by whichever thread clears it.
unsafe impl Send for Obj {}

fn collect_locked() -> Result<usize, GcError> {
    // ---- first pause: find the unreachable --------------------------------
    let pause = stop_the_world();
    // SAFETY: every owner is parked (or detached and not touching objects).
    let dead_queued = unsafe { biased::merge_all_queues() };
    // Objects whose merge just reached 0 are deallocated after the pause,
    // not collected.
    let dying: hashbrown::HashSet<usize> =
        dead_queued.iter().map(|h| h.as_ptr() as usize).collect();
    let objects: Vec<Obj> = tracking::tracked_objects()
        .into_iter()
        .filter(|&op| !dying.contains(&(op as usize)))
        .map(Obj)
        // SAFETY: a tracked object is live.
        .filter(|&Obj(op)| !unsafe { is_frozen(op) })
        .filter(|&Obj(op)| {
            // SAFETY: a tracked object is live (dealloc untracks first).
            let immortal = unsafe { header(op) }.is_immortal();
            if immortal {
                // SAFETY: as above.
                unsafe { tracking::untrack(op) };
            }
            !immortal
        })
        .collect();
    // SAFETY: the world is stopped and every object in `objects` is live.
    let unreachable = match unsafe { unreachable_among(&objects, 0) } {
        Ok(u) => u,
        Err(e) => {
            drop(pause);
            // SAFETY: these merges reached 0 and are deallocated once, with
            // the world running again.
            unsafe { dealloc_all(dead_queued) };
            return Err(e);
        }
    };
    for &Obj(op) in &unreachable {
        // Hold each one across the restart, as CPython merges them with +1.
        // SAFETY: live (its count includes at least its internal edges).
        unsafe { header(op) }.explicit_merge(1);
    }
    drop(pause);
    // SAFETY: as above.
    unsafe { dealloc_all(dead_queued) };

    // ---- finalizers, world running -------------------------------------
    for &Obj(op) in &unreachable {
        // SAFETY: our reference keeps it live.
        unsafe { finalize(op) };
    }

    // ---- second pause: resurrection ------------------------------------
    let pause = stop_the_world();
    // SAFETY: the world is stopped; our references (one each, not outside
    // references) keep them live.
    let still = unsafe { unreachable_among(&unreachable, 1) }
        .map(|v| v.into_iter().collect::<hashbrown::HashSet<Obj>>());
    drop(pause);
    let still = match still {
        Ok(s) => s,
        Err(e) => {
            for &Obj(op) in &unreachable {
                // SAFETY: our reference, given up.
                unsafe { refs::decref(op) };
            }
            return Err(e);
        }
    };
    // ---- clear the garbage, world running --------------------------------
    let collected = still.len();
    let save_all = get_debug() & crate::collector::DEBUG_SAVEALL != 0;
    for &o in &unreachable {
        if still.contains(&o) {
            if save_all {
                // `garbage` keeps our reference.
                lock_garbage().push(o);
                continue;
            }
            // SAFETY: our reference keeps it live across the clear.
            unsafe { clear(o.0) };
        }
        // SAFETY: our reference, given up: garbage dies here, resurrected
        // objects live on.
        unsafe { refs::decref(o.0) };
    }
    Ok(collected)
}

/// # Safety
/// - Each header's count reached 0 in a merge and nobody else deallocates
///   it.
unsafe fn dealloc_all(dead: Vec<NonNull<FtHeader>>) {
    for op in dead {
        // SAFETY: first bullet; the header is its object's first field.
        unsafe { refs::dealloc(op.as_ptr().cast()) };
    }
}

struct Refs {
    gc_refs: HashMap<Obj, isize>,
    too_small: Option<*mut FtObject>,
}

/// `update_refs` + `subtract_refs` + marking: the objects of `objects`
/// unreachable from outside. Each object's count includes `held`
/// references of the collector's own (0 in the first pause, 1 when
/// re-checking the garbage after finalizers), which do not count as
/// outside references.
///
/// # Safety
/// - The world is stopped and every object in `objects` is live.
unsafe fn unreachable_among(objects: &[Obj], held: isize) -> Result<Vec<Obj>, GcError> {
    let mut refs = Refs {
        // SAFETY: first bullet.
        gc_refs: objects
            .iter()
            .map(|&o| (o, unsafe { header(o.0) }.refcnt() - held))
            .collect(),
        too_small: None,
    };
    // SAFETY: first bullet.
    unsafe { subtract_internal(objects, &mut refs)? };
    let mut reachable: hashbrown::HashSet<Obj> = hashbrown::HashSet::new();
    let mut stack: Vec<Obj> = objects
        .iter()
        .copied()
        .filter(|o| refs.gc_refs[o] > 0)
        .collect();
    while let Some(o) = stack.pop() {
        if !reachable.insert(o) {
            continue;
        }
        let mut found: Vec<*mut FtObject> = Vec::new();
        // SAFETY: first bullet; the visit only records pointers.
        let r = unsafe { traverse(o.0, visit_collect, (&raw mut found).cast()) };
        if r != 0 {
            return Err(traverse_error(o.0, r));
        }
        stack.extend(
            found
                .into_iter()
                .map(Obj)
                .filter(|t| refs.gc_refs.contains_key(t) && !reachable.contains(t)),
        );
    }
    Ok(objects
        .iter()
        .copied()
        .filter(|o| !reachable.contains(o))
        .collect())
}

/// Subtracts each internal edge among `objects` from its target's
/// `gc_refs`.
///
/// # Safety
/// - As [`unreachable_among`].
unsafe fn subtract_internal(objects: &[Obj], refs: &mut Refs) -> Result<(), GcError> {
    for &Obj(op) in objects {
        // SAFETY: first bullet; `visit_decref` only adjusts the table.
        let r = unsafe { traverse(op, visit_decref, (refs as *mut Refs).cast()) };
        if r != 0 {
            return Err(traverse_error(op, r));
        }
    }
    if let Some(op) = refs.too_small {
        return Err(GcError::RefcountTooSmall {
            // SAFETY: a live object.
            type_name: unsafe { (*(*op).ob_type).tp_name },
            addr: op as usize,
            // SAFETY: as above.
            refcnt: unsafe { header(op) }.refcnt(),
        });
    }
    Ok(())
}

/// # Safety
/// - `op` is live; `visit` is sound for `arg`.
unsafe fn traverse(
    op: *mut FtObject,
    visit: unsafe extern "C" fn(*mut FtObject, *mut c_void) -> c_int,
    arg: *mut c_void,
) -> c_int {
    // SAFETY: first bullet; static types outlive their instances.
    match unsafe { (*(*op).ob_type).tp_traverse } {
        // SAFETY: first bullet.
        Some(t) => unsafe { t(op, visit, arg) },
        None => 0,
    }
}

unsafe extern "C" fn visit_decref(op: *mut FtObject, arg: *mut c_void) -> c_int {
    // SAFETY: `arg` is the `Refs` of `subtract_internal`.
    let refs = unsafe { &mut *arg.cast::<Refs>() };
    if let Some(r) = refs.gc_refs.get_mut(&Obj(op)) {
        if *r <= 0 {
            refs.too_small.get_or_insert(op);
        } else {
            *r -= 1;
        }
    }
    0
}

unsafe extern "C" fn visit_collect(op: *mut FtObject, arg: *mut c_void) -> c_int {
    // SAFETY: `arg` is a `Vec<*mut FtObject>`.
    unsafe { (*arg.cast::<Vec<*mut FtObject>>()).push(op) };
    0
}

fn traverse_error(op: *mut FtObject, code: c_int) -> GcError {
    GcError::Traverse {
        // SAFETY: a live object.
        type_name: unsafe { (*(*op).ob_type).tp_name },
        addr: op as usize,
        detail: format!("tp_traverse returned {code}"),
    }
}

/// `tp_finalize` once per object (PEP 442), holding our reference.
///
/// # Safety
/// - We hold a reference to `op`.
unsafe fn finalize(op: *mut FtObject) {
    // SAFETY: first bullet; static type.
    let Some(f) = (unsafe { (*(*op).ob_type).tp_finalize }) else {
        return;
    };
    // SAFETY: first bullet.
    let bits = unsafe { &(*op).ob_gc_bits };
    if bits.fetch_or(GC_BITS_FINALIZED, Ordering::AcqRel) & GC_BITS_FINALIZED == 0 {
        // SAFETY: first bullet: a live object.
        unsafe { f(op) };
    }
}

/// `tp_clear`, holding our reference.
///
/// # Safety
/// - We hold a reference to `op`.
unsafe fn clear(op: *mut FtObject) {
    // SAFETY: first bullet; static type.
    if let Some(c) = unsafe { (*(*op).ob_type).tp_clear } {
        // SAFETY: first bullet.
        if unsafe { c(op) } != 0 {
            // SAFETY: a live object.
            let name = unsafe { (*(*op).ob_type).tp_name };
            eprintln!("Exception ignored in tp_clear of {name}");
        }
    }
}

/// Whether `op`'s finalizer ran. Mirrors `gc.is_finalized`.
///
/// # Safety
/// - `op` points to a live free-threaded object.
pub unsafe fn is_finalized(op: *mut FtObject) -> bool {
    // SAFETY: first bullet.
    unsafe { (*op).ob_gc_bits.load(Ordering::Acquire) & GC_BITS_FINALIZED != 0 }
}

/// What `op`'s `tp_traverse` visits (borrowed). Mirrors
/// `gc.get_referents`.
///
/// # Safety
/// - `op` points to a live free-threaded object whose referents stay
///   alive while the caller uses the result.
pub unsafe fn get_referents(op: *mut FtObject) -> Vec<*mut FtObject> {
    let mut found: Vec<*mut FtObject> = Vec::new();
    // SAFETY: first bullet; static type.
    if unsafe { (*(*op).ob_type).is_gc() } {
        // SAFETY: first bullet; the visit only records.
        unsafe { traverse(op, visit_collect, (&raw mut found).cast()) };
    }
    found
}
