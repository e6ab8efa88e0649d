//! RCT-08: `AtomicRefcounter` under real threads. N threads each take and
//! drop M references; `release` must fire exactly once per 1 -> 0 and the
//! final count must be exact.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::thread;

use object_header::AtomicRefcounter;

const THREADS: usize = 4;
const ROUNDS: usize = if cfg!(miri) { 50 } else { 100_000 };

/// RCT-08: every thread holds one reference while it churns, so the count
/// never reaches 0 until the very end; `release` fires once, `acquire`
/// never.
#[test]
fn concurrent_inc_dec_release_exactly_once_at_the_end() {
    let acquires = Arc::new(AtomicUsize::new(0));
    let releases = Arc::new(AtomicUsize::new(0));
    let (a, r) = (acquires.clone(), releases.clone());
    let counter = Arc::new(
        AtomicRefcounter::new(THREADS as u32)
            .on_acquire(move || {
                a.fetch_add(1, Ordering::SeqCst);
            })
            .on_release(move || {
                r.fetch_add(1, Ordering::SeqCst);
            }),
    );
    let start = Arc::new(Barrier::new(THREADS));
    let workers: Vec<_> = (0..THREADS)
        .map(|_| {
            let (counter, start) = (counter.clone(), start.clone());
            thread::spawn(move || {
                start.wait();
                for _ in 0..ROUNDS {
                    counter.inc();
                    assert_eq!(counter.dec_and_test(), Ok(false));
                }
                counter.dec_and_test().unwrap()
            })
        })
        .collect();
    let last: usize = workers
        .into_iter()
        .map(|w| usize::from(w.join().unwrap()))
        .sum();
    assert_eq!(last, 1, "exactly one thread saw 1 -> 0");
    assert_eq!(counter.usecount(), 0);
    assert_eq!(releases.load(Ordering::SeqCst), 1);
    assert_eq!(acquires.load(Ordering::SeqCst), 0);
}

/// RCT-08, the hard case: the count crosses 0 again and again. Each thread
/// `inc`s then `dec_and_test`s from a shared count that starts at 0, so
/// many 0 -> 1 and 1 -> 0 transitions race. Every transition fires its
/// callback once: acquires == releases == the number of `true` answers.
#[test]
fn every_zero_crossing_fires_exactly_one_callback() {
    let acquires = Arc::new(AtomicUsize::new(0));
    let releases = Arc::new(AtomicUsize::new(0));
    let (a, r) = (acquires.clone(), releases.clone());
    let counter = Arc::new(
        AtomicRefcounter::new(0)
            .on_acquire(move || {
                a.fetch_add(1, Ordering::SeqCst);
            })
            .on_release(move || {
                r.fetch_add(1, Ordering::SeqCst);
            }),
    );
    let start = Arc::new(Barrier::new(THREADS));
    let workers: Vec<_> = (0..THREADS)
        .map(|_| {
            let (counter, start) = (counter.clone(), start.clone());
            thread::spawn(move || {
                start.wait();
                let mut zeroes = 0usize;
                for _ in 0..ROUNDS {
                    counter.inc();
                    zeroes += usize::from(counter.dec_and_test().unwrap());
                }
                zeroes
            })
        })
        .collect();
    let zeroes: usize = workers.into_iter().map(|w| w.join().unwrap()).sum();
    assert_eq!(counter.usecount(), 0);
    assert!(zeroes >= 1);
    assert_eq!(releases.load(Ordering::SeqCst), zeroes);
    assert_eq!(acquires.load(Ordering::SeqCst), zeroes);
}

/// Saturation under contention: threads hammer a saturated counter with
/// every operation; it stays saturated and fires nothing.
#[test]
fn a_saturated_counter_stays_saturated_under_contention() {
    let fired = Arc::new(AtomicUsize::new(0));
    let (a, r) = (fired.clone(), fired.clone());
    let counter = Arc::new(
        AtomicRefcounter::new(object_header::REFCOUNT_SATURATED)
            .on_acquire(move || {
                a.fetch_add(1, Ordering::SeqCst);
            })
            .on_release(move || {
                r.fetch_add(1, Ordering::SeqCst);
            }),
    );
    let workers: Vec<_> = (0..THREADS)
        .map(|_| {
            let counter = counter.clone();
            thread::spawn(move || {
                for _ in 0..ROUNDS / 10 {
                    counter.inc();
                    counter.dec().unwrap();
                    assert!(counter.inc_not_zero());
                    assert_eq!(counter.sub_and_test(3), Ok(false));
                    assert!(counter.is_saturated());
                }
            })
        })
        .collect();
    for w in workers {
        w.join().unwrap();
    }
    assert_eq!(counter.usecount(), object_header::REFCOUNT_SATURATED);
    assert_eq!(fired.load(Ordering::SeqCst), 0);
}
