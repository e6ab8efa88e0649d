//! Loom models of biased counting: every interleaving (up to
//! `LOOM_MAX_PREEMPTIONS`) of an owner thread and one other thread around
//! an object's last references, including the merge queue's bucket locks
//! and the owner's exit. Run with
//! `RUSTFLAGS="--cfg loom" cargo test -p object-header --release --test loom_biased`.
//!
//! Each object carries a payload cell that holders read and the dealloc
//! writes, so loom also reports a dealloc that is not ordered after every
//! holder's last use (a missing Release/Acquire pairing), not just a
//! wrong count. The dealloc also poisons `ob_tid` and `ob_ref_local`, as
//! CPython's debug build fills freed memory with `0xDD`, and the model
//! checks the poison is still there at the end: a counting write that
//! lands after the dealloc (gh-119999: `ob_tid` cleared after the merge
//! was published) is a use after free.
//!
//! The model's main thread only spawns, joins and checks: it never counts,
//! because a thread that counts registers a merge queue, and loom drops
//! the main thread's thread-locals after its statics (the queue table),
//! so the main thread's exit could not unregister. The owner spawns the
//! other thread, so that it can hand it the object, and returns its
//! handle, so that it can exit first.
#![cfg(loom)]

use core::ptr::NonNull;
use std::sync::Once;

use loom::cell::UnsafeCell;
use loom::sync::atomic::{AtomicUsize, Ordering};
use loom::thread;

use object_header::biased::{
    merge_refcounts, set_dealloc_hook, Decref, FtHeader, REF_MAYBE_WEAKREF,
};

/// A model object: the header first (the dealloc hook casts back to the
/// object), a dealloc counter, and a payload.
#[repr(C)]
struct LoomObj {
    header: FtHeader,
    deallocs: AtomicUsize,
    payload: UnsafeCell<u32>,
}

/// The payload's value while the object lives.
const ALIVE: u32 = 7;
/// How long `free` waits for an exiting thread's merge.
const MAX_YIELDS: usize = 4;
/// What the dealloc leaves in `ob_tid` and `ob_ref_local`.
const POISON_TID: usize = 0xDDDD_DDDD_DDDD_DDDD;
const POISON_LOCAL: u32 = 0xDDDD_DDDD;

/// The dealloc hook of every model (the hook is process-wide): the same
/// work as a decrement's caller does on `Dead`.
///
/// # Safety
/// - `op` is the header of a live `LoomObj`, with whole-object provenance
///   (queued through `FtHeader::decref_raw`), whose count reached 0.
unsafe fn loom_dealloc(op: NonNull<FtHeader>) {
    // SAFETY: first bullet; the header is `LoomObj`'s first field.
    unsafe { Obj(op.cast()).dealloc() }
}

fn install_hook() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        assert!(set_dealloc_hook(loom_dealloc).is_ok());
    });
}

/// A pointer to a model object, shared by the threads of one execution.
/// The box is released by the main thread after every other has joined.
#[derive(Clone, Copy)]
struct Obj(NonNull<LoomObj>);

// SAFETY: a `LoomObj` is used only through its atomics and through the
// payload cell, whose accesses loom itself checks for races.
unsafe impl Send for Obj {}

impl Obj {
    /// A new object owned by the calling thread, count 1.
    fn new() -> Obj {
        install_hook();
        let boxed = Box::new(LoomObj {
            header: FtHeader::new_owned(),
            deallocs: AtomicUsize::new(0),
            payload: UnsafeCell::new(ALIVE),
        });
        Obj(NonNull::new(Box::into_raw(boxed)).expect("a box is never null"))
    }

    fn obj(&self) -> &LoomObj {
        // SAFETY: the box lives until `free`, after every thread joined.
        unsafe { self.0.as_ref() }
    }

    fn header(&self) -> &FtHeader {
        &self.obj().header
    }

    fn deallocs(&self) -> usize {
        self.obj().deallocs.load(Ordering::SeqCst)
    }

    /// A holder's use of the object: it must still be alive.
    fn use_payload(&self) {
        // SAFETY: loom checks this read against the dealloc's write.
        assert_eq!(self.obj().payload.with(|p| unsafe { *p }), ALIVE);
    }

    /// Gives up a reference through the whole-object pointer; deallocates
    /// on `Dead`.
    fn decref(&self) -> Decref {
        // SAFETY: the box is live and `self.0` points to the whole object,
        // header first; the calling thread gives up a reference it holds.
        let result = unsafe { FtHeader::decref_raw(self.0.cast()) }.unwrap();
        if result == Decref::Dead {
            // SAFETY: this decrement observed the count reach 0.
            unsafe { self.dealloc() };
        }
        result
    }

    /// Marks the payload dead, poisons the header and counts the dealloc.
    ///
    /// # Safety
    /// - The count reached 0 and the caller is the one thread that saw it.
    unsafe fn dealloc(&self) {
        // SAFETY: loom checks this write against every holder's read.
        self.obj().payload.with_mut(|p| unsafe { *p = 0 });
        let header = self.header();
        header.ob_tid.store(POISON_TID, Ordering::Relaxed);
        header.ob_ref_local.store(POISON_LOCAL, Ordering::Relaxed);
        self.obj().deallocs.fetch_add(1, Ordering::SeqCst);
    }

    /// Releases the box after checking the single dealloc. An exiting
    /// thread merges its queue in a thread-local destructor, which loom
    /// runs after `join` has returned (std's `join` waits for it), so
    /// first yield until that dealloc has happened; a yielding thread is
    /// not scheduled while another can run.
    fn free(self) {
        for _ in 0..MAX_YIELDS {
            if self.deallocs() != 0 {
                break;
            }
            thread::yield_now();
        }
        assert_eq!(self.deallocs(), 1);
        let header = self.header();
        assert_eq!(header.ob_tid.load(Ordering::Relaxed), POISON_TID);
        assert_eq!(header.ob_ref_local.load(Ordering::Relaxed), POISON_LOCAL);
        // SAFETY: from `Box::into_raw` in `new`; every thread that used
        // the object has joined, and a dead object is in no queue.
        drop(unsafe { Box::from_raw(self.0.as_ptr()) });
    }
}

fn dead_count(results: &[Decref]) -> usize {
    results.iter().filter(|&&d| d == Decref::Dead).count()
}

/// BRC-04 raced: the owner's decrement to local 0 (the zero-merge: clear
/// `ob_tid`, CAS to MERGED) against another thread's shared decrement to
/// 0. Exactly one of them sees `Dead`, and the dealloc comes after both
/// holders' last use.
#[test]
fn loom_owner_and_non_owner_decrements_race_to_one_dealloc() {
    loom::model(|| {
        let owner = thread::spawn(|| {
            let obj = Obj::new();
            // The other thread's reference, as its shared incref left it.
            obj.header().ob_ref_shared.store(1 << 2, Ordering::Relaxed);
            let other = thread::spawn(move || {
                obj.use_payload();
                obj.decref()
            });
            obj.use_payload();
            let mine = obj.decref();
            (obj, mine, other)
        });
        let (obj, mine, other) = owner.join().unwrap();
        let theirs = other.join().unwrap();
        assert_eq!(dead_count(&[mine, theirs]), 1);
        obj.free();
    });
}

/// BRC-03 raced: another thread's decrement below zero queues the object
/// while the owner gives up its own reference and merges at a safepoint,
/// before and after the other thread is done. One merge finds it, the
/// object is deallocated once, by the merge, after both holders' use.
#[test]
fn loom_queued_decrement_is_merged_once_by_the_owner() {
    loom::model(|| {
        let owner = thread::spawn(|| {
            let obj = Obj::new();
            obj.header().incref(); // local 2: one for the other thread
            let other = thread::spawn(move || {
                obj.use_payload();
                obj.decref()
            });
            obj.use_payload();
            assert_eq!(obj.decref(), Decref::Live); // local 1
            let early = merge_refcounts();
            let theirs = other.join().unwrap();
            assert_eq!(theirs, Decref::Live); // queued: we are alive
            let late = merge_refcounts();
            assert_eq!(early + late, 1);
            obj
        });
        let obj = owner.join().unwrap();
        obj.free();
    });
}

/// BRC-06 raced: the owner exits (its queue is merged and removed) while
/// the other thread's decrement below zero queues the object. Either the
/// exit merges it, or the other thread finds the owner gone and merges
/// it itself (`Dead`); never both, never neither.
#[test]
fn loom_owner_exit_and_queued_decrement_deallocate_once() {
    loom::model(|| {
        let owner = thread::spawn(|| {
            let obj = Obj::new();
            obj.header().incref(); // local 2: one for the other thread
            let other = thread::spawn(move || {
                obj.use_payload();
                obj.decref()
            });
            obj.use_payload();
            assert_eq!(obj.decref(), Decref::Live); // local 1
            (obj, other) // exits without merging
        });
        let (obj, other) = owner.join().unwrap();
        // `Dead` when it found the owner gone and merged it itself; `Live`
        // when it queued in time for the exit's merge. One dealloc either
        // way (checked by `free`).
        let theirs = other.join().unwrap();
        assert!(matches!(theirs, Decref::Live | Decref::Dead));
        obj.free();
    });
}

/// BRC-08 raced: with MAYBE_WEAKREF set, another thread's try-incref
/// against the owner's final decrement. Either the try-incref wins (the
/// object is alive while held, and whoever decrements last deallocates)
/// or the owner's zero-merge wins (the object dies and the try-incref
/// fails); never a success on a dead object, never a dealloc while held.
#[test]
fn loom_try_incref_races_the_final_owner_decrement() {
    loom::model(|| {
        let owner = thread::spawn(|| {
            let obj = Obj::new();
            obj.header().enable_try_incref();
            assert_eq!(obj.header().shared_state(), REF_MAYBE_WEAKREF);
            // The other thread holds no reference: it only tries to get one.
            let other = thread::spawn(move || {
                if !obj.header().try_incref() {
                    return None;
                }
                assert_eq!(obj.deallocs(), 0);
                obj.use_payload();
                assert_eq!(obj.deallocs(), 0);
                Some(obj.decref())
            });
            obj.use_payload();
            let mine = obj.decref();
            (obj, mine, other)
        });
        let (obj, mine, other) = owner.join().unwrap();
        match other.join().unwrap() {
            None => assert_eq!(mine, Decref::Dead),
            Some(theirs) => assert_eq!(dead_count(&[mine, theirs]), 1),
        }
        assert_eq!(obj.header().ob_ref_shared.load(Ordering::Relaxed) >> 2, 0);
        obj.free();
    });
}

/// `_Py_brc_queue_object`'s first step raced: the other thread's
/// decrement sets QUEUED while the owner merges explicitly
/// (`_Py_ExplicitMergeRefcount`, as the collector or thread exit does).
/// The queuer either queues (the owner's later merge subtracts), or sees
/// `ob_tid` cleared and decrements the merged count instead; the count
/// stays exact and the object dies once.
#[test]
fn loom_queueing_races_an_explicit_merge_by_the_owner() {
    loom::model(|| {
        let owner = thread::spawn(|| {
            let obj = Obj::new();
            obj.header().incref(); // local 2: one for the other thread
            let other = thread::spawn(move || {
                obj.use_payload();
                obj.decref()
            });
            obj.use_payload();
            let merged = obj.header().explicit_merge(0);
            assert!((1..=2).contains(&merged));
            let mine = obj.decref(); // a shared decrement now: unowned
            let theirs = other.join().unwrap();
            let queued = merge_refcounts();
            assert!(queued <= 1);
            assert_eq!(dead_count(&[mine, theirs]) + queued, 1);
            obj
        });
        let obj = owner.join().unwrap();
        obj.free();
    });
}
