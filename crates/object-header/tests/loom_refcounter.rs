//! Loom models of `AtomicRefcounter`: every interleaving of two or three
//! threads, not just the ones a stress test happens to hit. Run with
//! `RUSTFLAGS="--cfg loom" cargo test -p object-header --release --test loom_refcounter`.
#![cfg(loom)]

use loom::sync::atomic::{AtomicUsize, Ordering};
use loom::sync::Arc;
use loom::thread;

use object_header::AtomicRefcounter;

fn recorded(initial: u32) -> (Arc<AtomicRefcounter>, Arc<AtomicUsize>, Arc<AtomicUsize>) {
    let acquires = Arc::new(AtomicUsize::new(0));
    let releases = Arc::new(AtomicUsize::new(0));
    let (a, r) = (acquires.clone(), releases.clone());
    let counter = AtomicRefcounter::new(initial)
        .on_acquire(move || {
            a.fetch_add(1, Ordering::SeqCst);
        })
        .on_release(move || {
            r.fetch_add(1, Ordering::SeqCst);
        });
    (Arc::new(counter), acquires, releases)
}

/// Two holders drop their references concurrently: exactly one
/// `dec_and_test` answers true and `release` fires once; the releasing
/// thread sees the other holder's write (Release/Acquire pairing).
#[test]
fn loom_dec_and_test_releases_exactly_once() {
    loom::model(|| {
        let (counter, _acquires, releases) = recorded(2);
        let data = Arc::new(loom::cell::UnsafeCell::new(0u32));
        let handles: Vec<_> = (0..2u32)
            .map(|i| {
                let (counter, data) = (counter.clone(), data.clone());
                thread::spawn(move || {
                    if i == 0 {
                        // SAFETY: only this thread writes before its
                        // decrement; the other reads only after observing 0,
                        // which the Release/Acquire pair orders after this.
                        data.with_mut(|p| unsafe { *p = 7 });
                    }
                    let last = counter.dec_and_test().unwrap();
                    if last && i == 1 {
                        // SAFETY: count reached 0 in this thread: thread 0's
                        // write happened before its Release decrement.
                        assert_eq!(data.with(|p| unsafe { *p }), 7);
                    }
                    last
                })
            })
            .collect();
        let lasts: u32 = handles
            .into_iter()
            .map(|h| u32::from(h.join().unwrap()))
            .sum();
        assert_eq!(lasts, 1);
        assert_eq!(releases.load(Ordering::SeqCst), 1);
        assert_eq!(counter.usecount(), 0);
    });
}

/// Two threads take the first reference of a counter at 0: `acquire`
/// fires exactly once, and the count ends at 2.
#[test]
fn loom_acquire_fires_once_on_concurrent_zero_to_one() {
    loom::model(|| {
        let (counter, acquires, _releases) = recorded(0);
        let handles: Vec<_> = (0..2)
            .map(|_| {
                let counter = counter.clone();
                thread::spawn(move || counter.inc())
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
        assert_eq!(acquires.load(Ordering::SeqCst), 1);
        assert_eq!(counter.usecount(), 2);
    });
}

/// `inc_not_zero` racing the last `dec_and_test`: either it wins (and the
/// count ends at 1, no release) or it refuses (and release fired once);
/// never both, never a resurrection from 0.
#[test]
fn loom_inc_not_zero_never_resurrects_a_released_counter() {
    loom::model(|| {
        let (counter, acquires, releases) = recorded(1);
        let c1 = counter.clone();
        let dropper = thread::spawn(move || c1.dec_and_test().unwrap());
        let c2 = counter.clone();
        let upgrader = thread::spawn(move || c2.inc_not_zero());
        let released = dropper.join().unwrap();
        let upgraded = upgrader.join().unwrap();
        assert_eq!(acquires.load(Ordering::SeqCst), 0);
        if upgraded {
            assert!(!released);
            assert_eq!(counter.usecount(), 1);
            assert_eq!(releases.load(Ordering::SeqCst), 0);
        } else {
            assert!(released);
            assert_eq!(counter.usecount(), 0);
            assert_eq!(releases.load(Ordering::SeqCst), 1);
        }
    });
}

/// A release and the next acquire race across the 1 -> 0 -> 1 boundary:
/// each transition fires its callback once.
#[test]
fn loom_release_and_reacquire_each_fire_once() {
    loom::model(|| {
        let (counter, acquires, releases) = recorded(1);
        let c1 = counter.clone();
        let dropper = thread::spawn(move || c1.dec().unwrap());
        let c2 = counter.clone();
        let taker = thread::spawn(move || c2.inc());
        dropper.join().unwrap();
        taker.join().unwrap();
        assert_eq!(counter.usecount(), 1);
        let (a, r) = (
            acquires.load(Ordering::SeqCst),
            releases.load(Ordering::SeqCst),
        );
        // Either the take came first (1 -> 2 -> 1: no callbacks) or the drop
        // did (1 -> 0 -> 1: one release, one acquire).
        assert!(
            (a, r) == (0, 0) || (a, r) == (1, 1),
            "acquires {a}, releases {r}"
        );
    });
}
