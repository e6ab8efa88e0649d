//! CPython's generational cycle collector
//! ([Python/gc.c](https://github.com/python/cpython/blob/v3.13.0/Python/gc.c),
//! the algorithm 3.14.5+ restores).
//!
//! ```text
//!  gen0 (young) --collect(0)--> gen1 --collect(1)--> gen2 --collect(2)--+
//!   ^ new objects                                          ^------------+
//!
//!  one collection of generation g:
//!   1. merge younger generations into g           (gc_list_merge)
//!   2. gc_refs := count; subtract internal edges   (update_refs, subtract_refs)
//!   3. gc_refs > 0 and all they reach survive      (move_unreachable)
//!   4. tp_del objects and all they reach: finalizers -> garbage
//!   5. clear weakrefs to trash, run callbacks of surviving weakrefs
//!   6. tp_finalize each once (PEP 442), then re-check: resurrected survive
//!   7. tp_clear the rest; refcounting frees them
//! ```
//!
//! `gc_refs` lives in the GC header (`gc_prev`), never in the count word,
//! so a failing `tp_traverse` cannot corrupt real counts: the collection is
//! abandoned, every object returns to its generation, and the error names
//! the type.

use core::cell::{Cell, RefCell};
use core::ffi::{c_int, c_void};
use core::ptr;

use type_object::alloc::with_default_heap;
use type_object::create::alloc_in;
use type_object::dealloc::type_name;
use type_object::gc_head::{GcHead, PREV_MASK_COLLECTING};
use type_object::pinned::Pinned;
use type_object::refs::{decref, incref};

use crate::deduce::deduce_unreachable;
use type_object::{Object, TypeObject};

/// How many generations there are. Mirrors `NUM_GENERATIONS`.
pub const NUM_GENERATIONS: usize = 3;

/// Print statistics at each collection. Mirrors `gc.DEBUG_STATS`.
pub const DEBUG_STATS: u32 = 1;
/// Print each collectable object found. Mirrors `gc.DEBUG_COLLECTABLE`.
pub const DEBUG_COLLECTABLE: u32 = 2;
/// Print each uncollectable object found. Mirrors `gc.DEBUG_UNCOLLECTABLE`.
pub const DEBUG_UNCOLLECTABLE: u32 = 4;
/// Keep every unreachable object in `garbage` instead of freeing it.
/// Mirrors `gc.DEBUG_SAVEALL`.
pub const DEBUG_SAVEALL: u32 = 32;
/// Mirrors `gc.DEBUG_LEAK`.
pub const DEBUG_LEAK: u32 = DEBUG_COLLECTABLE | DEBUG_UNCOLLECTABLE | DEBUG_SAVEALL;

/// The thresholds of CPython 3.13 and 3.14.5+. Mirrors the defaults of
/// `gc.get_threshold()`.
pub const DEFAULT_THRESHOLDS: (u32, u32, u32) = (2000, 10, 10);

struct Generation {
    head: GcHead,
    threshold: Cell<u32>,
    count: Cell<usize>,
}

/// Per-generation statistics. Mirrors an entry of `gc.get_stats()`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GenStats {
    /// Collections of this generation.
    pub collections: usize,
    /// Objects freed by them.
    pub collected: usize,
    /// Objects found uncollectable (sent to `garbage`).
    pub uncollectable: usize,
}

/// The phase a collection callback is told about. Mirrors the first
/// argument of a `gc.callbacks` entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Before a collection.
    Start,
    /// After a collection.
    Stop,
}

/// What a collection callback is told. Mirrors the `info` dict.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CollectionInfo {
    /// The generation collected.
    pub generation: usize,
    /// Objects freed (0 at `Start`).
    pub collected: usize,
    /// Objects found uncollectable (0 at `Start`).
    pub uncollectable: usize,
}

/// A collection callback. Mirrors an entry of `gc.callbacks`.
pub type Callback = Box<dyn FnMut(Phase, &CollectionInfo)>;

/// Why a collection was abandoned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GcError {
    /// A `tp_traverse` returned non-zero (a Rust payload's traverse
    /// panicked, or a visit failed); nothing was freed.
    Traverse {
        /// The object's type name.
        type_name: &'static str,
        /// The object's address.
        addr: usize,
        /// What the traverse reported.
        detail: String,
    },
    /// A traverse visited a reference it does not own, driving `gc_refs`
    /// below zero (CPython's debug build: "refcount is too small").
    RefcountTooSmall {
        /// The over-visited object's type name.
        type_name: &'static str,
        /// Its address.
        addr: usize,
        /// Its count.
        refcnt: isize,
    },
}

impl core::fmt::Display for GcError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            GcError::Traverse {
                type_name,
                addr,
                detail,
            } => write!(
                f,
                "gc: tp_traverse of `{type_name}` object at {addr:#x} failed ({detail}); \
                 collection abandoned, nothing freed"
            ),
            GcError::RefcountTooSmall {
                type_name,
                addr,
                refcnt,
            } => write!(
                f,
                "gc: refcount is too small: `{type_name}` object at {addr:#x} (refcount \
                 {refcnt}) is visited by more references than it counts; a tp_traverse \
                 visits a borrowed reference. Collection abandoned, nothing freed"
            ),
        }
    }
}

impl std::error::Error for GcError {}

/// A cycle collector: three generations and a permanent one, thresholds,
/// statistics, `garbage`. A value a VM owns; [`with_default`] gives each
/// thread one, which the CPython-name table uses.
///
/// # Examples
/// ```
/// use gc_traverse::collector::Collector;
///
/// let gc = Collector::new();
/// assert_eq!(gc.get_threshold(), (2000, 10, 10));
/// assert_eq!(gc.collect(2), 0); // nothing tracked, nothing collected
/// ```
pub struct Collector {
    inner: Pinned<Inner>,
}

struct Inner {
    generations: [Generation; NUM_GENERATIONS],
    permanent: GcHead,
    enabled: Cell<bool>,
    collecting: Cell<bool>,
    debug: Cell<u32>,
    long_lived_total: Cell<usize>,
    long_lived_pending: Cell<usize>,
    /// Strong references, as CPython's `gc.garbage` list holds them.
    garbage: RefCell<Vec<*mut Object>>,
    stats: [Cell<GenStats>; NUM_GENERATIONS],
    callbacks: RefCell<Vec<Callback>>,
    last_error: RefCell<Option<GcError>>,
}

/// A list sentinel on the heap, so members can point to it while it
/// moves with its owner.
struct List(Pinned<GcHead>);

impl List {
    fn new() -> List {
        let head = Pinned::new(GcHead::new());
        head.init_list();
        List(head)
    }
}

impl core::ops::Deref for List {
    type Target = GcHead;
    fn deref(&self) -> &GcHead {
        &self.0
    }
}

impl Default for Collector {
    fn default() -> Self {
        Collector::new()
    }
}

impl Collector {
    /// A collector with CPython's default thresholds, enabled.
    pub fn new() -> Collector {
        let (t0, t1, t2) = DEFAULT_THRESHOLDS;
        let generation = |t| Generation {
            head: GcHead::new(),
            threshold: Cell::new(t),
            count: Cell::new(0),
        };
        let inner = Pinned::new(Inner {
            generations: [generation(t0), generation(t1), generation(t2)],
            permanent: GcHead::new(),
            enabled: Cell::new(true),
            collecting: Cell::new(false),
            debug: Cell::new(0),
            long_lived_total: Cell::new(0),
            long_lived_pending: Cell::new(0),
            garbage: RefCell::new(Vec::new()),
            stats: Default::default(),
            callbacks: RefCell::new(Vec::new()),
            last_error: RefCell::new(None),
        });
        for g in &inner.generations {
            g.head.init_list();
        }
        inner.permanent.init_list();
        Collector { inner }
    }

    fn head(&self, generation: usize) -> &GcHead {
        &self.inner.generations[generation].head
    }

    // ---- tracking -------------------------------------------------------

    /// Links `op` into the youngest generation. Mirrors `PyObject_GC_Track`.
    ///
    /// # Safety
    /// - `op` is a live instance of a `Py_TPFLAGS_HAVE_GC` type with its
    ///   GC header, owned by this thread, and is not tracked by another
    ///   collector.
    ///
    /// # Panics
    /// When `op` is already tracked ("object already tracked by the garbage
    /// collector", CPython's fatal error), or its type has no `tp_traverse`.
    pub unsafe fn track(&self, op: *mut Object) {
        // SAFETY: first bullet.
        let (g, ty) = unsafe { (GcHead::of(op), (*op).ob_type) };
        // SAFETY: first bullet: the header and type are live.
        if unsafe { (*g).is_tracked() } {
            // SAFETY: a live object.
            let name = unsafe { type_name(op) };
            panic!("object already tracked by the garbage collector: `{name}` object at {op:p}");
        }
        // SAFETY: T3: the type outlives its instance.
        if unsafe { (*ty).tp_traverse.is_none() } {
            // SAFETY: a live type.
            let name = unsafe { (*ty).tp_name };
            panic!("cannot track `{name}` object at {op:p}: its type has no tp_traverse");
        }
        // SAFETY: the young list is well formed outside a collection's
        // singly linked phase, and `g` is unlinked.
        unsafe { GcHead::append(self.head(0), g) };
    }

    /// Counts one new GC object and runs an automatic collection when the
    /// youngest generation passes its threshold (enabled, threshold
    /// non-zero, not already collecting). Call it before the new object is
    /// tracked. Mirrors `_PyObject_GC_Link` (collecting synchronously, as
    /// CPython up to 3.11; 3.12+ defers the same decision to the next
    /// eval-breaker check).
    pub fn note_allocation(&self) {
        let young = &self.inner.generations[0];
        let freed = type_object::create::take_gc_frees();
        young.count.set(young.count.get().saturating_sub(freed) + 1);
        let threshold = young.threshold.get();
        if self.inner.enabled.get()
            && threshold != 0
            && young.count.get() > threshold as usize
            && !self.inner.collecting.get()
        {
            self.collect_generations();
        }
    }

    /// Counts the GC objects freed since the last look (every free goes
    /// through `gc_del`, which tallies it per thread). Mirrors the
    /// decrement in `PyObject_GC_Del`.
    pub fn note_frees(&self) {
        let young = &self.inner.generations[0];
        let freed = type_object::create::take_gc_frees();
        young.count.set(young.count.get().saturating_sub(freed));
    }

    /// Allocates an instance of `ty` from this thread's default heap
    /// through the generic allocator; a GC type's instance is counted
    /// (possibly triggering a collection first) and tracked. Mirrors
    /// `PyType_GenericAlloc`.
    ///
    /// # Safety
    /// - `ty` is a live, readied type using the generic allocator.
    pub unsafe fn alloc(&self, ty: *mut TypeObject, nitems: isize) -> *mut Object {
        // SAFETY: first bullet.
        let gc = unsafe { (*ty).is_gc() };
        if gc {
            self.note_allocation();
        }
        // SAFETY: first bullet.
        let op = with_default_heap(|heap| unsafe { alloc_in(heap, ty, nitems) });
        if gc && !op.is_null() {
            // SAFETY: a fresh GC instance, untracked.
            unsafe { self.track(op) };
        }
        op
    }

    // ---- configuration -------------------------------------------------

    /// Mirrors `gc.enable()`.
    pub fn enable(&self) {
        self.inner.enabled.set(true);
    }

    /// Mirrors `gc.disable()`.
    pub fn disable(&self) {
        self.inner.enabled.set(false);
    }

    /// Mirrors `gc.isenabled()`.
    pub fn isenabled(&self) -> bool {
        self.inner.enabled.get()
    }

    /// Mirrors `gc.get_threshold()`.
    pub fn get_threshold(&self) -> (u32, u32, u32) {
        let t = |i: usize| self.inner.generations[i].threshold.get();
        (t(0), t(1), t(2))
    }

    /// Mirrors `gc.set_threshold(t0, t1, t2)`; `t0 == 0` disables automatic
    /// collection.
    pub fn set_threshold(&self, t0: u32, t1: u32, t2: u32) {
        for (g, t) in self.inner.generations.iter().zip([t0, t1, t2]) {
            g.threshold.set(t);
        }
    }

    /// Mirrors `gc.get_count()`.
    pub fn get_count(&self) -> (usize, usize, usize) {
        self.note_frees();
        let c = |i: usize| self.inner.generations[i].count.get();
        (c(0), c(1), c(2))
    }

    /// Mirrors `gc.set_debug(flags)`.
    pub fn set_debug(&self, flags: u32) {
        self.inner.debug.set(flags);
    }

    /// Mirrors `gc.get_debug()`.
    pub fn get_debug(&self) -> u32 {
        self.inner.debug.get()
    }

    /// Mirrors `gc.get_stats()`.
    pub fn get_stats(&self) -> [GenStats; NUM_GENERATIONS] {
        core::array::from_fn(|i| self.inner.stats[i].get())
    }

    /// Registers a collection callback. Mirrors appending to
    /// `gc.callbacks`.
    pub fn add_callback(&self, callback: Callback) {
        self.inner.callbacks.borrow_mut().push(callback);
    }

    /// Removes every collection callback.
    pub fn clear_callbacks(&self) {
        self.inner.callbacks.borrow_mut().clear();
    }

    /// The error that abandoned the last collection, if any (taken).
    pub fn take_error(&self) -> Option<GcError> {
        self.inner.last_error.borrow_mut().take()
    }

    // ---- freeze --------------------------------------------------------

    /// Moves every tracked object to the permanent generation, which
    /// collections ignore. Mirrors `gc.freeze()`.
    pub fn freeze(&self) {
        for i in 0..NUM_GENERATIONS {
            // SAFETY: well-formed lists outside a collection.
            unsafe { GcHead::merge(self.head(i), &self.inner.permanent) };
            self.inner.generations[i].count.set(0);
        }
    }

    /// Moves the permanent generation back into the oldest. Mirrors
    /// `gc.unfreeze()`.
    pub fn unfreeze(&self) {
        // SAFETY: well-formed lists outside a collection.
        unsafe { GcHead::merge(&self.inner.permanent, self.head(NUM_GENERATIONS - 1)) };
    }

    /// Mirrors `gc.get_freeze_count()`.
    pub fn get_freeze_count(&self) -> usize {
        list_len(&self.inner.permanent)
    }

    // ---- introspection -------------------------------------------------

    /// The tracked objects of `generation`, or of all generations (not the
    /// permanent one) for `None`. Borrowed pointers. Mirrors
    /// `gc.get_objects(generation)`.
    ///
    /// # Panics
    /// When `generation` is outside `-1..3` (`ValueError` in CPython);
    /// `Some(-1)` means all, as `None`.
    pub fn get_objects(&self, generation: Option<i32>) -> Vec<*mut Object> {
        let gens: Vec<usize> = match generation {
            None | Some(-1) => (0..NUM_GENERATIONS).collect(),
            Some(g @ 0..=2) => vec![g as usize],
            Some(g) => panic!("generation parameter must be less than 3 and at least -1, got {g}"),
        };
        let mut out = Vec::new();
        for i in gens {
            for_each_member(self.head(i), |g| {
                // SAFETY: a member of a generation list is a GC object.
                out.push(unsafe { GcHead::object(g) });
            });
        }
        out
    }

    /// Every tracked object (all generations) that refers to one of
    /// `targets` through its `tp_traverse`. Mirrors `gc.get_referrers`.
    ///
    /// # Safety
    /// - Every tracked object's `tp_traverse` is sound to call.
    pub unsafe fn get_referrers(&self, targets: &[*mut Object]) -> Vec<*mut Object> {
        let mut out = Vec::new();
        for op in self.get_objects(None) {
            let mut found = false;
            let mut arg = (targets, &mut found);
            // SAFETY: first bullet; the visit only reads pointers.
            unsafe { traverse(op, visit_find, ptr::from_mut(&mut arg).cast::<c_void>()) };
            if found {
                out.push(op);
            }
        }
        out
    }

    /// Borrowed view of `garbage`: objects kept because they have a legacy
    /// finalizer (`tp_del`), or everything unreachable under
    /// [`DEBUG_SAVEALL`]. Mirrors `gc.garbage`.
    pub fn garbage(&self) -> Vec<*mut Object> {
        self.inner.garbage.borrow().clone()
    }

    /// Releases `garbage`'s references and empties it. Mirrors
    /// `del gc.garbage[:]`.
    pub fn clear_garbage(&self) {
        let garbage = core::mem::take(&mut *self.inner.garbage.borrow_mut());
        for op in garbage {
            // SAFETY: `garbage` owned one reference to each.
            unsafe { decref(op) };
        }
    }

    // ---- collection ----------------------------------------------------

    /// Runs a collection of `generation` (2 = full) and returns the number
    /// of unreachable objects found: collected plus uncollectable, as
    /// `gc.collect()` returns. 0 when a collection is already running.
    ///
    /// # Panics
    /// When `generation` is not 0, 1 or 2 (`ValueError("invalid
    /// generation")` in CPython).
    pub fn collect(&self, generation: i32) -> isize {
        let generation = match generation {
            0..=2 => generation as usize,
            _ => panic!("invalid generation: {generation} (expected 0, 1 or 2)"),
        };
        if self.inner.collecting.get() {
            return 0;
        }
        self.collect_with_callback(generation) as isize
    }

    /// The automatic trigger: collects the oldest generation over its
    /// threshold, skipping a full collection until the objects that
    /// survived since the last one reach 25 % of the long-lived total.
    /// Mirrors `gc_collect_generations`.
    fn collect_generations(&self) {
        for i in (0..NUM_GENERATIONS).rev() {
            let g = &self.inner.generations[i];
            if g.count.get() > g.threshold.get() as usize {
                if i == NUM_GENERATIONS - 1
                    && self.inner.long_lived_pending.get() < self.inner.long_lived_total.get() / 4
                {
                    continue;
                }
                self.collect_with_callback(i);
                break;
            }
        }
    }

    fn run_callbacks(&self, phase: Phase, info: &CollectionInfo) {
        // Callbacks may register callbacks; run the ones present now.
        let mut callbacks = core::mem::take(&mut *self.inner.callbacks.borrow_mut());
        for cb in callbacks.iter_mut() {
            cb(phase, info);
        }
        let mut slot = self.inner.callbacks.borrow_mut();
        callbacks.append(&mut slot);
        *slot = callbacks;
    }

    fn collect_with_callback(&self, generation: usize) -> usize {
        let mut info = CollectionInfo {
            generation,
            collected: 0,
            uncollectable: 0,
        };
        self.run_callbacks(Phase::Start, &info);
        let (collected, uncollectable) = self.collect_main(generation);
        info.collected = collected;
        info.uncollectable = uncollectable;
        self.run_callbacks(Phase::Stop, &info);
        collected + uncollectable
    }

    /// One collection. Mirrors `gc_collect_main` (3.13).
    fn collect_main(&self, generation: usize) -> (usize, usize) {
        let inner = &*self.inner;
        inner.collecting.set(true);
        let debug = inner.debug.get();
        if debug & DEBUG_STATS != 0 {
            eprintln!(
                "gc: collecting generation {generation}... objects in each generation: {:?}",
                self.generation_sizes()
            );
        }
        if generation + 1 < NUM_GENERATIONS {
            let older = &inner.generations[generation + 1];
            older.count.set(older.count.get() + 1);
        }
        for g in &inner.generations[..=generation] {
            g.count.set(0);
        }
        // Frees before this point are settled by the reset.
        type_object::create::take_gc_frees();
        // SAFETY (this block): every list is well formed when a collection
        // starts; the steps below keep the invariants `Python/gc.c` keeps.
        let young = self.head(generation);
        for i in 0..generation {
            // SAFETY: well-formed lists.
            unsafe { GcHead::merge(self.head(i), young) };
        }
        let old = if generation + 1 < NUM_GENERATIONS {
            self.head(generation + 1)
        } else {
            young
        };

        let unreachable = List::new();
        // SAFETY: `young` is well formed; `unreachable` is empty.
        let deduced = match unsafe { deduce_unreachable(young, &unreachable) } {
            Ok(deduced) => deduced,
            Err(err) => {
                // SAFETY: both lists were restored to doubly linked form.
                unsafe { GcHead::merge(&unreachable, young) };
                self.abandon(err);
                return (0, 0);
            }
        };
        debug_assert_eq!(deduced.survivors, list_len(young));

        // Survivors move to the next generation.
        if !ptr::eq(young, old) {
            if generation == NUM_GENERATIONS - 2 {
                inner
                    .long_lived_pending
                    .set(inner.long_lived_pending.get() + deduced.survivors);
            }
            // SAFETY: well-formed lists.
            unsafe { GcHead::merge(young, old) };
        } else {
            inner.long_lived_pending.set(0);
            inner.long_lived_total.set(deduced.survivors);
        }

        // Legacy finalizers (tp_del) and everything they reach are
        // uncollectable.
        let finalizers = List::new();
        let scan = if deduced.needs_scan {
            // SAFETY: `unreachable` holds tagged members from deduce.
            unsafe {
                let scan = move_legacy_finalizers(&unreachable, &finalizers);
                move_legacy_finalizer_reachable(&finalizers);
                scan
            }
        } else {
            // No member has a legacy finalizer, a finalizer or weak
            // references: nothing to move or note, and the members keep
            // their NEXT_MASK_UNREACHABLE tags. Every later reader of
            // this list masks them (`GcHead::next`, `unlink`), and each
            // member leaves it (freed, or moved to `old` by
            // `delete_garbage`) before the collection ends.
            GarbageScan {
                pending_finalize: false,
                weakrefs: false,
            }
        };
        // Usually empty: walking it is cheap.
        let moved_to_finalizers = list_len(&finalizers);
        if debug & DEBUG_COLLECTABLE != 0 {
            for_each_member(&unreachable, |g| {
                // SAFETY: members are live GC objects.
                let op = unsafe { GcHead::object(g) };
                // SAFETY: as above.
                eprintln!("gc: collectable <{} {op:p}>", unsafe { type_name(op) });
            });
        }

        // Without a weak reference in the garbage, or to it, the weakref
        // pass would walk the garbage to find nothing.
        let callbacks = if scan.weakrefs {
            // SAFETY: `unreachable` is doubly linked with COLLECTING set.
            unsafe { crate::weakref::handle_weakrefs(&unreachable, old) }
        } else {
            0
        };
        let still_unreachable = List::new();
        // Only a finalizer or a weakref callback can resurrect: without
        // either, the unreachable stay unreachable and the re-check (a
        // second deduce over the garbage) is skipped.
        let recheck = if scan.pending_finalize || callbacks != 0 {
            // SAFETY: as above.
            unsafe { finalize_garbage(&unreachable) };
            // SAFETY: as above.
            unsafe { handle_resurrected_objects(&unreachable, &still_unreachable, old) }
        } else {
            // SAFETY: both lists are well formed.
            unsafe { GcHead::merge(&unreachable, &still_unreachable) };
            // No user code ran since the deduce (no callback, no
            // finalizer; traverses and weakref clearing free nothing), so
            // the garbage is what it found less what went to `finalizers`.
            Ok(deduced.unreachable - moved_to_finalizers)
        };
        let collected = match recheck {
            Ok(collected) => collected,
            Err(err) => {
                // SAFETY: lists restored; nothing is freed this time.
                unsafe {
                    GcHead::merge(&still_unreachable, old);
                    GcHead::merge(&unreachable, old);
                    GcHead::merge(&finalizers, old);
                }
                clear_collecting(old);
                self.abandon(err);
                return (0, 0);
            }
        };
        debug_assert_eq!(collected, list_len(&still_unreachable));
        // SAFETY: `still_unreachable` is doubly linked.
        unsafe { self.delete_garbage(&still_unreachable, old) };

        let uncollectable = list_len(&finalizers);
        if debug & DEBUG_UNCOLLECTABLE != 0 {
            for_each_member(&finalizers, |g| {
                // SAFETY: members are live GC objects.
                let op = unsafe { GcHead::object(g) };
                // SAFETY: as above.
                eprintln!("gc: uncollectable <{} {op:p}>", unsafe { type_name(op) });
            });
        }
        // SAFETY: `finalizers` is doubly linked.
        unsafe { self.handle_legacy_finalizers(&finalizers, old) };

        if debug & DEBUG_STATS != 0 {
            eprintln!("gc: done, {collected} unreachable, {uncollectable} uncollectable");
        }
        let s = &inner.stats[generation];
        let mut st = s.get();
        st.collections += 1;
        st.collected += collected;
        st.uncollectable += uncollectable;
        s.set(st);
        inner.collecting.set(false);
        (collected, uncollectable)
    }

    fn abandon(&self, err: GcError) {
        eprintln!("{err}");
        *self.inner.last_error.borrow_mut() = Some(err);
        self.inner.collecting.set(false);
    }

    fn generation_sizes(&self) -> [usize; NUM_GENERATIONS] {
        core::array::from_fn(|i| list_len(self.head(i)))
    }

    /// Breaks the remaining cycles with `tp_clear` (or keeps everything in
    /// `garbage` under `DEBUG_SAVEALL`). Mirrors `delete_garbage`.
    ///
    /// # Safety
    /// - `collectable` is a doubly linked list of live GC objects whose
    ///   counts include only real references.
    unsafe fn delete_garbage(&self, collectable: &GcHead, old: &GcHead) {
        let save_all = self.inner.debug.get() & DEBUG_SAVEALL != 0;
        let end = ptr::from_ref(collectable).cast_mut();
        // A sentinel's `gc_next` is never tagged (members' may be): read it
        // as is.
        loop {
            let g = collectable.gc_next.get();
            if g == end {
                break;
            }
            // SAFETY: a member is a live GC object.
            let op = unsafe { GcHead::object(g) };
            if save_all {
                // SAFETY: `garbage` takes a new reference.
                unsafe { incref(op) };
                self.inner.garbage.borrow_mut().push(op);
            } else {
                // SAFETY: T3: the type outlives its instance.
                if let Some(clear) = unsafe { (*(*op).ob_type).tp_clear } {
                    // SAFETY: the collector holds a reference across the
                    // call, as CPython does; the clear may free others.
                    unsafe {
                        incref(op);
                        if clear(op) != 0 {
                            let detail = crate::traverse::take_callback_error()
                                .unwrap_or_else(|| "tp_clear returned an error".into());
                            eprintln!(
                                "Exception ignored in tp_clear of {}: {detail}",
                                type_name(op)
                            );
                        }
                        decref(op);
                    }
                }
            }
            if collectable.gc_next.get() == g {
                // Still alive: it may die later.
                // SAFETY: `g` is a tracked member of a doubly linked list.
                unsafe {
                    clear_collecting_one(g);
                    GcHead::unlink(g);
                    GcHead::append(old, g);
                }
            }
        }
    }

    /// Puts uncollectable objects in `garbage` and merges them into the
    /// old generation. Mirrors `handle_legacy_finalizers`.
    ///
    /// # Safety
    /// - `finalizers` is a doubly linked list of live GC objects.
    unsafe fn handle_legacy_finalizers(&self, finalizers: &GcHead, old: &GcHead) {
        let save_all = self.inner.debug.get() & DEBUG_SAVEALL != 0;
        for_each_member(finalizers, |g| {
            // SAFETY: a member is a live GC object.
            let op = unsafe { GcHead::object(g) };
            // SAFETY: T3.
            if save_all || unsafe { (*(*op).ob_type).tp_del.is_some() } {
                // SAFETY: `garbage` takes a new reference.
                unsafe { incref(op) };
                self.inner.garbage.borrow_mut().push(op);
            }
        });
        // SAFETY: first bullet.
        unsafe { GcHead::merge(finalizers, old) };
    }
}

impl Collector {
    /// What CPython reports when uncollectable objects remain in `garbage`
    /// at shutdown (a `ResourceWarning`), or `None`. Under
    /// [`DEBUG_UNCOLLECTABLE`] it lists them. Mirrors the report of
    /// `_PyGC_Fini` / `finalize_gc` (GC-13).
    pub fn shutdown_report(&self) -> Option<String> {
        let garbage = self.inner.garbage.borrow();
        if garbage.is_empty() || self.inner.debug.get() & DEBUG_SAVEALL != 0 {
            return None;
        }
        let mut msg = format!(
            "ResourceWarning: gc: {} uncollectable objects at shutdown",
            garbage.len()
        );
        if self.inner.debug.get() & DEBUG_UNCOLLECTABLE != 0 {
            let names: Vec<String> = garbage
                .iter()
                // SAFETY: `garbage` holds a reference to each object.
                .map(|&op| format!("<{} {op:p}>", unsafe { type_name(op) }))
                .collect();
            msg.push_str(&format!(": [{}]", names.join(", ")));
        } else {
            msg.push_str("; use gc.set_debug(gc.DEBUG_UNCOLLECTABLE) to list them");
        }
        Some(msg)
    }
}

impl Drop for Collector {
    fn drop(&mut self) {
        if let Some(report) = self.shutdown_report() {
            eprintln!("{report}");
        }
        self.clear_garbage();
        // Tracked objects outlive their collector (a thread's default one is
        // dropped at thread exit while objects may still be referenced):
        // detach them, so their later dealloc unlinks nothing dangling.
        let heads = self
            .inner
            .generations
            .iter()
            .map(|g| &g.head)
            .chain([&self.inner.permanent]);
        for head in heads {
            while !head.list_is_empty() {
                // SAFETY: a member of a well-formed list.
                unsafe { GcHead::unlink(head.next()) };
            }
        }
    }
}

thread_local! {
    static DEFAULT: Collector = Collector::new();
}

/// Runs `f` with this thread's default collector, the one the
/// CPython-name table (`PyObject_GC_Track`, `gc.collect()`, ...) uses.
pub fn with_default<R>(f: impl FnOnce(&Collector) -> R) -> R {
    DEFAULT.with(f)
}

// ---- the algorithm (Python/gc.c) -------------------------------------------

fn for_each_member(head: &GcHead, mut f: impl FnMut(*mut GcHead)) {
    let end = ptr::from_ref(head).cast_mut();
    let mut g = head.next();
    while g != end {
        // SAFETY: members of a well-formed list are live headers; read the
        // successor before `f` (which does not unlink).
        let next = unsafe { (*g).next() };
        f(g);
        g = next;
    }
}

fn list_len(head: &GcHead) -> usize {
    let mut n = 0;
    for_each_member(head, |_| n += 1);
    n
}

#[inline]
fn is_collecting(g: *mut GcHead) -> bool {
    // SAFETY: callers pass live headers.
    unsafe { (*g).gc_prev.get().addr() & PREV_MASK_COLLECTING != 0 }
}

fn clear_collecting_one(g: *mut GcHead) {
    // SAFETY: callers pass live headers whose prev is a pointer.
    let prev = unsafe { &(*g).gc_prev };
    prev.set(prev.get().map_addr(|a| a & !PREV_MASK_COLLECTING));
}

fn clear_collecting(head: &GcHead) {
    for_each_member(head, clear_collecting_one);
}

/// The object's type, if it is a GC object.
///
/// # Safety
/// - `op` is a live object.
#[inline]
pub(crate) unsafe fn gc_header(op: *mut Object) -> Option<*mut GcHead> {
    // SAFETY: first bullet; T3.
    if unsafe { (*(*op).ob_type).is_gc() } {
        // SAFETY: a GC instance has its pre-header.
        Some(unsafe { GcHead::of(op) })
    } else {
        None
    }
}

/// Calls `op`'s `tp_traverse`.
///
/// # Safety
/// - `op` is a live GC object; `visit` is sound for `arg`.
#[inline]
pub(crate) unsafe fn traverse(
    op: *mut Object,
    visit: unsafe extern "C" fn(*mut Object, *mut c_void) -> c_int,
    arg: *mut c_void,
) -> c_int {
    // SAFETY: first bullet; T3.
    match unsafe { (*(*op).ob_type).tp_traverse } {
        // SAFETY: first bullet.
        Some(t) => unsafe { t(op, visit, arg) },
        None => 0,
    }
}

#[cold]
#[inline(never)]
pub(crate) fn traverse_error(op: *mut Object, code: c_int) -> GcError {
    let detail = crate::traverse::take_callback_error()
        .unwrap_or_else(|| format!("tp_traverse returned {code}"));
    GcError::Traverse {
        // SAFETY: a live object.
        type_name: unsafe { type_name(op) },
        addr: op as usize,
        detail,
    }
}

/// What [`move_legacy_finalizers`] saw in the objects it left in
/// `unreachable`. Each is an upper bound: some of those objects may still
/// leave for `finalizers`.
struct GarbageScan {
    /// An object has a `tp_finalize` that has not run yet.
    pending_finalize: bool,
    /// An object is a weak reference or is weakly referenced.
    weakrefs: bool,
}

/// Untags the members of `unreachable`; objects with a legacy finalizer
/// leave for `finalizers` (COLLECTING cleared). Mirrors
/// `move_legacy_finalizers`; the same walk notes what the finalizer and
/// weakref phases will find to do.
///
/// # Safety
/// - `unreachable` comes from `deduce_unreachable`.
unsafe fn move_legacy_finalizers(unreachable: &GcHead, finalizers: &GcHead) -> GarbageScan {
    let mut scan = GarbageScan {
        pending_finalize: false,
        weakrefs: false,
    };
    let end = ptr::from_ref(unreachable).cast_mut();
    let mut g = unreachable.next();
    while g != end {
        // SAFETY: live members.
        unsafe {
            let next = (*g).next();
            (*g).gc_next.set(next);
            let op = GcHead::object(g);
            let ty = &*(*op).ob_type;
            if ty.tp_del.is_some() {
                clear_collecting_one(g);
                GcHead::unlink(g);
                GcHead::append(finalizers, g);
            } else {
                if ty.tp_finalize.is_some() && !(*g).is_finalized() {
                    scan.pending_finalize = true;
                }
                scan.weakrefs |= crate::weakref::has_weakref_work(op);
            }
            g = next;
        }
    }
    scan
}

/// Everything reachable from an uncollectable object is uncollectable too.
/// Mirrors `move_legacy_finalizer_reachable`.
///
/// # Safety
/// - `finalizers` is doubly linked; its growing tail is scanned too.
unsafe fn move_legacy_finalizer_reachable(finalizers: &GcHead) {
    let end = ptr::from_ref(finalizers).cast_mut();
    let mut g = finalizers.next();
    while g != end {
        // SAFETY: live members; `visit_move` appends to the tail.
        unsafe {
            let op = GcHead::object(g);
            traverse(op, visit_move, end.cast());
            g = (*g).next();
        }
    }
}

unsafe extern "C" fn visit_move(op: *mut Object, arg: *mut c_void) -> c_int {
    // SAFETY: a live object visited by a traverse.
    if let Some(g) = unsafe { gc_header(op) } {
        if is_collecting(g) {
            clear_collecting_one(g);
            // SAFETY: `g` is in the (doubly linked) unreachable list;
            // `arg` is the finalizers sentinel.
            unsafe {
                GcHead::unlink(g);
                GcHead::append(&*arg.cast::<GcHead>(), g);
            }
        }
    }
    0
}

/// Calls each unreachable object's `tp_finalize` once (PEP 442), holding a
/// reference across the call. Mirrors `finalize_garbage`.
///
/// # Safety
/// - `collectable` is doubly linked with live GC members.
unsafe fn finalize_garbage(collectable: &GcHead) {
    let seen = List::new();
    while !collectable.list_is_empty() {
        let g = collectable.next();
        // SAFETY: a live member; moved to `seen` before any callback, so a
        // dealloc during the finalizer unlinks it from there.
        unsafe {
            GcHead::unlink(g);
            GcHead::append(&seen, g);
            // unlink dropped COLLECTING with the pointer; keep it.
            let prev = &(*g).gc_prev;
            prev.set(prev.get().map_addr(|a| a | PREV_MASK_COLLECTING));
            let op = GcHead::object(g);
            if !(*g).is_finalized() {
                if let Some(finalize) = (*(*op).ob_type).tp_finalize {
                    (*g).set_finalized();
                    incref(op);
                    finalize(op);
                    decref(op);
                }
            }
        }
    }
    // SAFETY: both lists are well formed.
    unsafe { GcHead::merge(&seen, collectable) };
}

/// After finalizers ran, re-deduces reachability among the unreachable:
/// resurrected objects (and what they reach) go to `old`; the rest go to
/// `still_unreachable`, and returns how many those are. Mirrors
/// `handle_resurrected_objects`.
///
/// # Safety
/// - `unreachable` is doubly linked with live GC members.
unsafe fn handle_resurrected_objects(
    unreachable: &GcHead,
    still_unreachable: &GcHead,
    old: &GcHead,
) -> Result<usize, GcError> {
    clear_collecting(unreachable);
    // SAFETY: first bullet.
    let deduced = unsafe { deduce_unreachable(unreachable, still_unreachable)? };
    // Untag: the remaining objects are going to be cleared.
    let end = ptr::from_ref(still_unreachable).cast_mut();
    let mut g = still_unreachable.next();
    while g != end {
        // SAFETY: live members.
        unsafe {
            let next = (*g).next();
            (*g).gc_next.set(next);
            g = next;
        }
    }
    // SAFETY: both well formed.
    unsafe { GcHead::merge(unreachable, old) };
    Ok(deduced.unreachable)
}

/// `get_referrers`' visit: does the traverse mention a target?
unsafe extern "C" fn visit_find(op: *mut Object, arg: *mut c_void) -> c_int {
    // SAFETY: `arg` is the `(targets, found)` pair of `get_referrers`.
    let (targets, found) = unsafe { &mut *arg.cast::<(&[*mut Object], &mut bool)>() };
    if targets.contains(&op) {
        **found = true;
    }
    0
}

/// The objects `op`'s `tp_traverse` visits (borrowed). Non-GC objects have
/// none. Mirrors `gc.get_referents`.
///
/// # Safety
/// - `op` is a live object.
pub unsafe fn get_referents(op: *mut Object) -> Vec<*mut Object> {
    let mut out: Vec<*mut Object> = Vec::new();
    // SAFETY: first bullet.
    if unsafe { gc_header(op) }.is_none() {
        return out;
    }
    unsafe extern "C" fn push(op: *mut Object, arg: *mut c_void) -> c_int {
        // SAFETY: `arg` is the output vector.
        unsafe { (*arg.cast::<Vec<*mut Object>>()).push(op) };
        0
    }
    // SAFETY: first bullet; `push` only records.
    unsafe { traverse(op, push, ptr::from_mut(&mut out).cast()) };
    out
}

/// Whether `op` is a tracked GC object. Mirrors `gc.is_tracked`.
///
/// # Safety
/// - `op` is a live object.
pub unsafe fn is_tracked(op: *mut Object) -> bool {
    // SAFETY: first bullet.
    unsafe { gc_header(op) }.is_some_and(|g| {
        // SAFETY: a live header.
        unsafe { (*g).is_tracked() }
    })
}

/// Whether `op`'s finalizer ran. Mirrors `gc.is_finalized`.
///
/// # Safety
/// - `op` is a live object.
pub unsafe fn is_finalized(op: *mut Object) -> bool {
    // SAFETY: first bullet.
    unsafe { gc_header(op) }.is_some_and(|g| {
        // SAFETY: a live header.
        unsafe { (*g).is_finalized() }
    })
}
