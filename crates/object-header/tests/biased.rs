//! Biased reference counting (BRC-01..BRC-09 and CAPI-08 of
//! `cpython-semantics.md` §8.7), at the header layer: the split count, the
//! merge queues, thread exit, try-incref, immortality. Two-thread cases run
//! the non-owner in a scoped thread; every object is checked to be
//! deallocated exactly once before its memory is released.

#[path = "common/ft_obj.rs"]
mod ft_obj;

use core::ptr::NonNull;
use std::collections::HashSet;
use std::sync::{mpsc, OnceLock};
use std::thread;

use ft_obj::{install_hook, Obj};
use object_header::biased::{
    merge_refcounts, ref_shared, set_dealloc_hook, thread_id, Decref, FtHeader, REF_MAYBE_WEAKREF,
    REF_MERGED, REF_QUEUED, REF_SHARED_INIT, UNOWNED_TID,
};
use object_header::immortal::_Py_IMMORTAL_INITIAL_REFCNT;
use object_header::CountError;

/// Runs `f` on a second thread and returns its result (the thread is
/// joined, thread-local destructors included, before this returns).
fn on_other_thread<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    thread::scope(|s| s.spawn(f).join().unwrap())
}

/// Ports BRC-01: the owner's increments and decrements are plain stores to
/// `ob_ref_local`; `ob_ref_shared` stays 0 and the owner stays in `ob_tid`.
#[test]
fn owner_incref_and_decref_touch_only_the_local_count() {
    let obj = Obj::new();
    assert!(obj.header().is_owned_by_current_thread());
    assert_eq!(obj.fields(), (thread_id(), 1, 0));
    for n in 2..=4 {
        obj.incref();
        assert_eq!(obj.fields(), (thread_id(), n, 0));
    }
    for n in (1..=3).rev() {
        assert_eq!(obj.decref(), Decref::Live);
        assert_eq!(obj.fields(), (thread_id(), n, 0));
    }
    assert_eq!(obj.header().refcnt(), 1);
    assert_eq!(obj.decref(), Decref::Dead);
    assert_eq!(obj.fields(), (thread_id(), 0, 0));
    obj.free();
}

/// Ports BRC-02: a non-owner's increment adds `1 << 2` to `ob_ref_shared`
/// and leaves `ob_ref_local` alone; the count is `local + (shared >> 2)`.
#[test]
fn non_owner_incref_adds_four_to_shared_and_count_sums_both() {
    let obj = Obj::new();
    obj.incref(); // local 2
    on_other_thread(|| {
        assert!(!obj.header().is_owned_by_current_thread());
        obj.incref();
        obj.incref();
    });
    let (tid, local, shared) = obj.fields();
    assert_eq!((tid, local, shared), (thread_id(), 2, ref_shared(2, 0)));
    assert_eq!(shared, 8);
    assert_eq!(obj.header().refcnt(), local as isize + (shared >> 2));
    assert_eq!(obj.header().refcnt(), 4);
    on_other_thread(|| {
        assert_eq!(obj.decref(), Decref::Live);
        assert_eq!(obj.decref(), Decref::Live);
    });
    assert_eq!(obj.fields(), (thread_id(), 2, 0));
    assert_eq!(obj.decref(), Decref::Live);
    assert_eq!(obj.decref(), Decref::Dead);
    obj.free();
}

/// Ports BRC-03: a non-owner decrement that would take `shared` below 0
/// sets QUEUED, subtracts nothing and queues the object; the owner's next
/// `merge_refcounts` (`_Py_brc_merge_refcounts`) merges it, reports one
/// object merged, and deallocates it at 0 through the hook.
#[test]
fn non_owner_decref_below_zero_queues_and_owner_merge_deallocates() {
    let obj = Obj::new();
    obj.incref(); // the second reference goes to the other thread
    on_other_thread(|| assert_eq!(obj.decref(), Decref::Live));
    assert_eq!(obj.fields(), (thread_id(), 2, REF_QUEUED));
    assert_eq!(obj.header().shared_state(), REF_QUEUED);
    assert_eq!(obj.decref(), Decref::Live); // local 1: the queued reference
    assert_eq!(obj.deallocs(), 0);
    assert_eq!(merge_refcounts(), 1);
    assert_eq!(obj.deallocs(), 1);
    assert_eq!(obj.fields(), (UNOWNED_TID, 0, REF_MERGED));
    assert_eq!(merge_refcounts(), 0);
    obj.free();
}

/// Ports BRC-03 (the other outcome): merging a queued object that is still
/// referenced leaves it MERGED and unowned, alive; the last decrement,
/// now a shared one even from the creating thread, deallocates.
#[test]
fn owner_merge_of_a_still_referenced_queued_object_leaves_it_merged() {
    let obj = Obj::new();
    obj.incref();
    on_other_thread(|| assert_eq!(obj.decref(), Decref::Live));
    assert_eq!(merge_refcounts(), 1);
    assert_eq!(obj.deallocs(), 0);
    assert_eq!(obj.fields(), (UNOWNED_TID, 0, ref_shared(1, REF_MERGED)));
    assert!(!obj.header().is_owned_by_current_thread());
    assert_eq!(obj.decref(), Decref::Dead);
    assert_eq!(obj.fields(), (UNOWNED_TID, 0, REF_MERGED));
    obj.free();
}

/// Ports BRC-04 (first half): the owner's count reaching 0 with
/// `shared == 0` is a dealloc at once (`_Py_MergeZeroLocalRefcount`'s fast
/// path); nothing is merged or queued.
#[test]
fn owner_decref_to_zero_with_shared_zero_is_dead_at_once() {
    let obj = Obj::new();
    assert_eq!(obj.decref(), Decref::Dead);
    assert_eq!(obj.deallocs(), 1);
    assert_eq!(obj.fields(), (thread_id(), 0, REF_SHARED_INIT));
    assert_eq!(merge_refcounts(), 0);
    obj.free();
}

/// Ports BRC-04 (second half): the owner's count reaching 0 while other
/// threads hold references clears `ob_tid` and merges (MERGED, count in
/// `shared`); the last non-owner decrement returns `Dead`.
#[test]
fn owner_decref_to_zero_with_shared_refs_merges_and_last_non_owner_decref_is_dead() {
    let obj = Obj::new();
    on_other_thread(|| {
        obj.incref();
        obj.incref();
    });
    assert_eq!(obj.decref(), Decref::Live);
    assert_eq!(obj.fields(), (UNOWNED_TID, 0, ref_shared(2, REF_MERGED)));
    assert_eq!(obj.header().shared_state(), REF_MERGED);
    assert_eq!(obj.header().refcnt(), 2);
    assert_eq!(obj.deallocs(), 0);
    on_other_thread(|| {
        assert_eq!(obj.decref(), Decref::Live);
        assert_eq!(obj.deallocs(), 0);
        assert_eq!(obj.decref(), Decref::Dead);
    });
    assert_eq!(obj.fields(), (UNOWNED_TID, 0, REF_MERGED));
    obj.free();
}

/// Ports BRC-05: `_Py_ExplicitMergeRefcount(op, extra)` returns
/// `local + shared + extra`, leaves `ob_ref_local` 0, `ob_tid` 0 and the
/// state MERGED; the merged count then counts down through `shared`.
#[test]
fn explicit_merge_returns_local_plus_shared_plus_extra_and_leaves_merged() {
    let obj = Obj::new();
    obj.incref();
    obj.incref(); // local 3
    on_other_thread(|| {
        obj.incref();
        obj.incref(); // shared 2
    });
    assert_eq!(obj.header().explicit_merge(5), 3 + 2 + 5);
    assert_eq!(obj.fields(), (UNOWNED_TID, 0, ref_shared(10, REF_MERGED)));
    assert_eq!(obj.header().refcnt(), 10);
    for _ in 0..9 {
        assert_eq!(obj.decref(), Decref::Live);
    }
    assert_eq!(obj.deallocs(), 0);
    assert_eq!(obj.decref(), Decref::Dead);
    obj.free();
}

/// Ports BRC-05 (at zero): an explicit merge that takes the count to 0
/// returns 0 and the caller deallocates; the object is left MERGED.
#[test]
fn explicit_merge_to_zero_returns_zero_for_the_caller_to_deallocate() {
    let obj = Obj::new();
    assert_eq!(obj.header().explicit_merge(-1), 0);
    assert_eq!(obj.fields(), (UNOWNED_TID, 0, REF_MERGED));
    obj.dealloc();
    obj.free();
}

/// Ports BRC-06: objects whose owner has exited (its queue is gone) are
/// merged by the thread that would queue them: `Dead` when that takes the
/// count to 0, otherwise left MERGED for a later shared decrement. None
/// leaks, none is deallocated twice, nothing is queued to the merger.
#[test]
fn objects_queued_to_an_exited_thread_are_merged_by_the_queuer() {
    let owner = thread::scope(|s| {
        s.spawn(|| {
            let objs: Vec<Obj> = (0..4).map(|_| Obj::new()).collect();
            for (i, obj) in objs.iter().enumerate() {
                obj.incref(); // the reference handed to the test thread
                if i < 2 {
                    assert_eq!(obj.decref(), Decref::Live); // the owner's own
                }
            }
            (thread_id(), objs)
        })
        .join()
        .unwrap()
    });
    let (owner_tid, objs) = owner;
    for (i, obj) in objs.iter().enumerate() {
        assert_eq!(obj.fields().0, owner_tid);
        if i < 2 {
            // local 1: merging our reference away leaves 0.
            assert_eq!(obj.decref(), Decref::Dead);
            assert_eq!(obj.fields(), (UNOWNED_TID, 0, REF_MERGED));
        } else {
            // local 2: merged to 1, then an ordinary shared decrement.
            assert_eq!(obj.decref(), Decref::Live);
            assert_eq!(obj.fields(), (UNOWNED_TID, 0, ref_shared(1, REF_MERGED)));
            assert_eq!(obj.deallocs(), 0);
            assert_eq!(obj.decref(), Decref::Dead);
        }
        assert_eq!(obj.deallocs(), 1);
    }
    assert_eq!(merge_refcounts(), 0);
    objs.into_iter().for_each(Obj::free);
}

/// Ports BRC-06 (the other side, `_Py_brc_remove_thread`): a thread that
/// exits with objects still in its queue merges them on its way out; the
/// one that reaches 0 is deallocated there, once, and the other is left
/// MERGED for its last holder.
#[test]
fn objects_queued_to_a_thread_are_merged_when_it_exits() {
    let slot = OnceLock::<[Obj; 2]>::new(); // [dying, surviving]
    let (created, wait_created) = mpsc::channel::<()>();
    let (queued, wait_queued) = mpsc::channel::<()>();
    thread::scope(|s| {
        let slot = &slot;
        let owner = s.spawn(move || {
            let [dying, surviving] = slot.get_or_init(|| [Obj::new(), Obj::new()]);
            dying.incref(); // local 2: one for the test thread
            surviving.incref();
            surviving.incref(); // local 3: two for the test thread
            created.send(()).unwrap();
            wait_queued.recv().unwrap();
            assert_eq!(dying.decref(), Decref::Live); // our own: local 1
            assert_eq!(surviving.decref(), Decref::Live); // local 2
            assert_eq!(dying.deallocs(), 0);
            // Exits without merging: the exit does it.
        });
        wait_created.recv().unwrap();
        let [dying, surviving] = slot.get().unwrap();
        assert_eq!(dying.decref(), Decref::Live);
        assert_eq!(surviving.decref(), Decref::Live);
        assert_eq!(dying.fields().2, REF_QUEUED);
        assert_eq!(surviving.fields().2, REF_QUEUED);
        queued.send(()).unwrap();
        owner.join().unwrap(); // returns after the owner's exit merge
    });
    let [dying, surviving] = slot.into_inner().unwrap();
    assert_eq!(dying.deallocs(), 1);
    assert_eq!(dying.fields(), (UNOWNED_TID, 0, REF_MERGED));
    assert_eq!(surviving.deallocs(), 0);
    assert_eq!(
        surviving.fields(),
        (UNOWNED_TID, 0, ref_shared(1, REF_MERGED))
    );
    assert_eq!(surviving.decref(), Decref::Dead);
    dying.free();
    surviving.free();
}

/// Ports BRC-07: `Py_SET_REFCNT` above `u32::MAX` from the owner makes the
/// object immortal (local `u32::MAX`, no owner, shared 0); decrements then
/// do nothing.
#[test]
fn set_refcnt_above_u32_max_from_owner_makes_immortal() {
    let obj = Obj::new();
    obj.header().set_refcnt(u32::MAX as isize + 1).unwrap();
    assert_eq!(obj.fields(), (UNOWNED_TID, u32::MAX, 0));
    assert!(obj.header().is_immortal());
    assert_eq!(obj.decref(), Decref::Immortal);
    assert_eq!(obj.fields(), (UNOWNED_TID, u32::MAX, 0));
    obj.free_immortal();
}

/// Ports BRC-07: `Py_SET_REFCNT` above `u32::MAX` from another thread
/// merges instead (local 0, no owner, `shared = n << 2 | MERGED`): only
/// the owner's branch of `_Py_SetRefcnt` immortalises.
#[test]
fn set_refcnt_above_u32_max_from_non_owner_merges() {
    let obj = Obj::new();
    let n = u32::MAX as isize + 1;
    on_other_thread(|| obj.header().set_refcnt(n).unwrap());
    assert_eq!(obj.fields(), (UNOWNED_TID, 0, (n << 2) | REF_MERGED));
    assert!(!obj.header().is_immortal());
    assert_eq!(obj.header().refcnt(), n);
    // Back to one reference (a non-owner again: `ob_tid` is 0), then gone.
    obj.header().set_refcnt(1).unwrap();
    assert_eq!(obj.fields(), (UNOWNED_TID, 0, ref_shared(1, REF_MERGED)));
    assert_eq!(obj.decref(), Decref::Dead);
    obj.free();
}

/// Ports BRC-07 (in range): from the owner, `Py_SET_REFCNT` sets the local
/// count and clears the shared count but keeps its state bits; a negative
/// request is refused and changes nothing.
#[test]
fn set_refcnt_from_owner_sets_local_and_keeps_shared_flags() {
    let obj = Obj::new();
    obj.header().enable_try_incref();
    on_other_thread(|| obj.incref());
    assert_eq!(obj.fields().2, ref_shared(1, REF_MAYBE_WEAKREF));
    obj.header().set_refcnt(3).unwrap();
    assert_eq!(obj.fields(), (thread_id(), 3, REF_MAYBE_WEAKREF));
    let before = obj.fields();
    assert!(matches!(
        obj.header().set_refcnt(-1),
        Err(CountError::NegativeRequest { requested: -1 })
    ));
    assert_eq!(obj.fields(), before);
    obj.header().set_refcnt(1).unwrap();
    assert_eq!(obj.decref(), Decref::Dead);
    obj.free();
}

/// Ports BRC-08 and CAPI-08 (`test_py_try_inc_ref`): after
/// `EnableTryIncRef` the state is at least MAYBE_WEAKREF and another
/// thread's try-incref succeeds on the live object; once the owner's
/// decrement reaches 0 (where `tp_dealloc` would run), try-incref fails
/// from any thread and the count stays 0; the object is deallocated once.
#[test]
fn try_incref_after_enable_succeeds_while_alive_and_fails_at_zero() {
    let obj = Obj::new();
    obj.header().enable_try_incref();
    assert!(obj.header().shared_state() >= REF_MAYBE_WEAKREF);
    assert_eq!(obj.fields(), (thread_id(), 1, REF_MAYBE_WEAKREF));
    on_other_thread(|| {
        assert!(obj.header().try_incref());
        assert_eq!(obj.fields().2, ref_shared(1, REF_MAYBE_WEAKREF));
        assert_eq!(obj.header().refcnt(), 2);
        assert_eq!(obj.decref(), Decref::Live);
    });
    assert_eq!(obj.fields(), (thread_id(), 1, REF_MAYBE_WEAKREF));
    // The owner's zero-merge goes through the CAS: MERGED, count 0.
    assert_eq!(obj.header().decref(), Ok(Decref::Dead));
    assert_eq!(obj.fields(), (UNOWNED_TID, 0, REF_MERGED));
    assert!(!obj.header().try_incref());
    on_other_thread(|| assert!(!obj.header().try_incref()));
    assert_eq!(obj.header().refcnt(), 0);
    assert_eq!(obj.fields(), (UNOWNED_TID, 0, REF_MERGED));
    obj.dealloc();
    obj.free();
}

/// Ports BRC-08 (why `EnableTryIncRef` exists): without it another
/// thread's try-incref is refused even on a live object (`shared == 0`),
/// because the owner may free it without a CAS; the owner's succeeds.
#[test]
fn try_incref_from_another_thread_needs_enable() {
    let obj = Obj::new();
    on_other_thread(|| assert!(!obj.header().try_incref()));
    assert_eq!(obj.fields(), (thread_id(), 1, 0));
    assert!(obj.header().try_incref());
    assert_eq!(obj.fields(), (thread_id(), 2, 0));
    assert_eq!(obj.decref(), Decref::Live);
    // Dead with INIT flags: the owner frees without a CAS, and a
    // try-incref (from the owner, as in `tp_dealloc`) is refused.
    assert_eq!(obj.header().decref(), Ok(Decref::Dead));
    assert!(!obj.header().try_incref());
    on_other_thread(|| assert!(!obj.header().try_incref()));
    assert_eq!(obj.fields(), (thread_id(), 0, 0));
    obj.dealloc();
    obj.free();
}

/// Ports BRC-09: the owner's increment from `u32::MAX - 1` stores
/// `u32::MAX`, which makes the object implicitly immortal: decrements from
/// any thread then write nothing and `refcnt` reports the immortal count.
#[test]
fn owner_incref_from_u32_max_minus_one_makes_the_object_immortal() {
    let obj = Obj::new();
    obj.header().set_refcnt(u32::MAX as isize - 1).unwrap();
    obj.incref();
    assert_eq!(obj.fields(), (thread_id(), u32::MAX, 0));
    assert!(obj.header().is_immortal());
    assert_eq!(obj.header().refcnt(), _Py_IMMORTAL_INITIAL_REFCNT as isize);
    for _ in 0..3 {
        assert_eq!(obj.decref(), Decref::Immortal);
    }
    obj.incref();
    on_other_thread(|| {
        assert_eq!(obj.decref(), Decref::Immortal);
        obj.incref();
    });
    assert_eq!(obj.fields(), (thread_id(), u32::MAX, 0));
    obj.free_immortal();
}

/// Guards the debug build's `_Py_NegativeRefcount` for the owner: a
/// decrement at local 0 is refused with `SharedBelowZero` and changes
/// nothing.
#[test]
fn owner_decref_at_local_zero_is_refused_and_changes_nothing() {
    let obj = Obj::new();
    assert_eq!(obj.header().decref(), Ok(Decref::Dead));
    let before = obj.fields();
    assert_eq!(before, (thread_id(), 0, 0));
    assert_eq!(
        obj.try_decref(),
        Err(CountError::SharedBelowZero {
            local: 0,
            shared: 0
        })
    );
    assert_eq!(obj.fields(), before);
    obj.dealloc();
    obj.free();
}

/// Guards `_Py_DecRefSharedIsDead`'s debug check: a decrement of a merged
/// count already at 0 is refused with `SharedBelowZero`, from any thread,
/// and changes nothing.
#[test]
fn merged_decref_below_zero_is_refused_and_changes_nothing() {
    let obj = Obj::new();
    on_other_thread(|| obj.incref());
    assert_eq!(obj.decref(), Decref::Live); // MERGED, count 1
    on_other_thread(|| assert_eq!(obj.decref(), Decref::Dead));
    let before = obj.fields();
    assert_eq!(before, (UNOWNED_TID, 0, REF_MERGED));
    let refused = Err(CountError::SharedBelowZero {
        local: 0,
        shared: REF_MERGED,
    });
    assert_eq!(obj.try_decref(), refused);
    on_other_thread(|| assert_eq!(obj.try_decref(), refused));
    assert_eq!(obj.fields(), before);
    obj.free();
}

/// Guards objmodel's thread ids (CPython's `_Py_ThreadId` is a TLS address
/// the OS may reuse): they are never 0 (`_Py_UNOWNED_TID`), stable within
/// a thread, distinct across live threads, and never handed out again
/// after a thread exits.
#[test]
fn thread_ids_are_non_zero_distinct_and_never_reused() {
    let mine = thread_id();
    assert_eq!(thread_id(), mine);
    let mut seen = HashSet::from([mine]);
    // One after another: each has exited before the next starts.
    for _ in 0..4 {
        let id = thread::spawn(|| (thread_id(), thread_id())).join().unwrap();
        assert_eq!(id.0, id.1);
        assert!(seen.insert(id.0), "id {:#x} handed out twice", id.0);
    }
    // Side by side.
    let ids: Vec<usize> = thread::scope(|s| {
        let handles: Vec<_> = (0..3).map(|_| s.spawn(thread_id)).collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for id in ids {
        assert!(seen.insert(id), "id {id:#x} handed out twice");
    }
    assert!(seen.iter().all(|&id| id != UNOWNED_TID));
}

/// Guards `set_dealloc_hook`: the first hook stays; installing another is
/// refused, and objects dying in a merge still go through the first.
#[test]
fn a_second_dealloc_hook_is_refused() {
    /// Never called: the installed hook stays.
    unsafe fn other_hook(_: NonNull<FtHeader>) {
        unreachable!("the first hook was replaced")
    }
    install_hook();
    assert!(set_dealloc_hook(other_hook).is_err());
    let obj = Obj::new();
    obj.incref();
    on_other_thread(|| assert_eq!(obj.decref(), Decref::Live));
    assert_eq!(obj.decref(), Decref::Live);
    assert_eq!(merge_refcounts(), 1); // deallocates through the hook
    obj.free();
}
