//! Biased (free-threaded) reference counting against `Rc`, `Arc` and the
//! default build's count word, one criterion group per comparison, each
//! with its baselines in the same run:
//!
//! - `biased/owner-pair`: increment+decrement by the owning thread.
//! - `biased/non-owner-pair`: the same by a thread that does not own the
//!   object (created on a helper thread that stays alive).
//! - `biased/owner-pair-contended`: the owner's pair while a second thread
//!   loops non-owner pairs on the same object's shared count; the same for
//!   `Arc`; a control where the second thread hammers another object; and
//!   two experimental layouts ([`PaddedHeader`], [`SplitHeader`]). Each
//!   member reports on stderr how much of the time the threads were on a
//!   CPU, which a shared machine does not promise.
//! - `biased/two-threads-same-object`: the bench thread and a helper each
//!   run the same number of pairs on one object at the same time; the time
//!   is the wall time until both are done.
//! - `biased/cross-thread-decref+merge`: per object, a helper thread's
//!   decrement that goes to the owner's merge queue plus the owner's merge,
//!   against an `Arc` dropped on the helper.
//! - `biased/channel-2-threads`: batches of handles sent through
//!   `std::sync::mpsc` to a consumer thread that drops them.
//!
//! Black-box discipline as in `refcount.rs`: every operand goes through
//! `black_box`, and each decrement's result is compared in place and
//! branches to an out-of-line dealloc stub, the shape of `Rc::drop`. The
//! decrement's whole `Result` never goes through `black_box`: that would
//! time a store-forwarding stall on its spilled bytes, not the counter.
//!
//! Targets (issue: the biased benchmark): owner pair <= 1.2x `Rc`;
//! non-owner pair <= 1.1x `Arc`; owner pair while another thread hammers
//! the shared count <= 2x the owner pair alone.
//!
//! Objects shared with helper threads are leaked (`&'static`), so the
//! helpers need no handle of their own and no count moves outside the
//! timed loops.

// criterion_group! generates an undocumented `pub fn`.
#![allow(missing_docs)]

use std::hint::black_box;
use std::mem::{offset_of, size_of};
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicIsize, AtomicU16, AtomicU32, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Barrier};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use objmodel::header::biased::{
    self, thread_id, Decref, FtHeader, IMMORTAL_REFCNT_LOCAL, REF_MAYBE_WEAKREF, REF_MERGED,
    REF_SHARED_FLAG_MASK, REF_SHARED_SHIFT, UNOWNED_TID,
};
use objmodel::prelude::*;
use objmodel::types::ft::{refs::merge_refcounts, FtObject};

/// Stands in for the dealloc a decrement to zero would dispatch to; never
/// reached in the pair benchmarks, whose counts stay above zero.
#[inline(never)]
fn dealloc_stub() {
    black_box(());
}

/// A free-threaded object type with a `u64` payload.
static SHARED: RustType<u64, FtObject> = RustType::new("Shared");

fn leak<T>(value: T) -> &'static T {
    Box::leak(Box::new(value))
}

/// A value on 128-byte-aligned lines of its own, so no allocator
/// neighbour (a hammer's stop flag, a barrier) shares the counts' cache
/// line: only the layout under test decides what does.
#[repr(align(128))]
struct Isolated<T>(T);

/// Leaks `value` on lines of its own.
fn leak_isolated<T>(value: T) -> &'static T {
    &Box::leak(Box::new(Isolated(value))).0
}

/// An `Arc` whose counts start a 128-byte-aligned block of their own.
fn isolated_arc() -> &'static Arc<Isolated<u64>> {
    leak(Arc::new(Isolated(0)))
}

// ---------------------------------------------------------------------
// The pairs each member times, one per counter.

#[inline(always)]
fn rc_pair(rc: &Rc<u64>) {
    drop(black_box(Rc::clone(black_box(rc))));
}

#[inline(always)]
fn arc_pair<T>(arc: &Arc<T>) {
    drop(black_box(Arc::clone(black_box(arc))));
}

#[inline(always)]
fn word_pair(word: &CountWord) {
    black_box(word).incref();
    if black_box(word).decref() == Ok(Released::Last) {
        dealloc_stub();
    }
}

#[inline(always)]
fn ft_pair(h: &FtHeader) {
    black_box(h).incref();
    if black_box(h).decref() == Ok(Decref::Dead) {
        dealloc_stub();
    }
}

#[inline(always)]
fn padded_pair(h: &PaddedHeader) {
    black_box(h).incref();
    if black_box(h).decref() == Ok(Decref::Dead) {
        dealloc_stub();
    }
}

#[inline(always)]
fn split_pair(h: &SplitHeader) {
    black_box(h).incref();
    if black_box(h).decref() == Ok(Decref::Dead) {
        dealloc_stub();
    }
}

#[inline(always)]
fn ref_pair(r: &Ref<u64, FtObject>) {
    drop(black_box(Ref::clone(black_box(r))));
}

// ---------------------------------------------------------------------
// Two padded layouts: experiments, not shipped types.
//
// Both answer one design question: can the owner's pair stay fast while
// other threads hammer the object's shared count, if the header is laid
// out differently? Their operations copy `FtHeader`'s, orderings included,
// but have no merge queue (the benchmarks never need one).

/// The first experiment: `ob_ref_shared` moved off the owner's cache
/// line. The owner's fields (`ob_tid`, `ob_ref_local`) fill the first
/// 64-byte line, the shared count starts the second, and the whole is
/// 128-byte aligned so no other object shares either line. A non-owner
/// still *reads* the owner's line: the immortality check loads
/// `ob_ref_local`, the ownership check `ob_tid`.
#[repr(C, align(128))]
struct PaddedHeader {
    ob_tid: AtomicUsize,
    ob_ref_local: AtomicU32,
    _owner_line: [u8; 52],
    ob_ref_shared: AtomicIsize,
}

// The point of the experiment: the two counts on separate 64-byte lines.
const _: () = assert!(offset_of!(PaddedHeader, ob_ref_local) < 64);
const _: () = assert!(offset_of!(PaddedHeader, ob_ref_shared) == 64);
// Four times CPython's 32-byte header: the cost the experiment weighs.
const _: () = assert!(size_of::<PaddedHeader>() == 128);

impl PaddedHeader {
    fn new_owned() -> PaddedHeader {
        PaddedHeader {
            ob_tid: AtomicUsize::new(thread_id()),
            ob_ref_local: AtomicU32::new(1),
            _owner_line: [0; 52],
            ob_ref_shared: AtomicIsize::new(0),
        }
    }

    /// As [`FtHeader::incref`].
    #[inline]
    fn incref(&self) {
        // Relaxed load and store for the owner, as `FtHeader` (CPython's
        // `_Py_atomic_load_uint32_relaxed` / `_store_uint32_relaxed`).
        let local = self.ob_ref_local.load(Ordering::Relaxed);
        if local == IMMORTAL_REFCNT_LOCAL {
            return;
        }
        if is_owner(&self.ob_tid) {
            self.ob_ref_local.store(local + 1, Ordering::Relaxed);
        } else {
            shared_incref(&self.ob_ref_shared);
        }
    }

    /// As [`FtHeader::decref`], without the queue.
    #[inline]
    fn decref(&self) -> Result<Decref, CountError> {
        // Relaxed, as in `incref`.
        let local = self.ob_ref_local.load(Ordering::Relaxed);
        if local == IMMORTAL_REFCNT_LOCAL {
            return Ok(Decref::Immortal);
        }
        if is_owner(&self.ob_tid) {
            return owner_decref(local, &self.ob_ref_local, &self.ob_tid, &self.ob_ref_shared);
        }
        shared_decref(&self.ob_ref_shared, &self.ob_ref_local)
    }
}

/// One 64-byte cache line.
#[repr(C, align(64))]
struct Line<T>(T);

/// What every thread reads and (almost) no thread writes.
#[repr(C)]
struct ReadMostly {
    ob_tid: AtomicUsize,
    /// Immortality as a flag (CPython 3.14 keeps `_Py_IMMORTAL_FLAGS` in
    /// `ob_flags` too), so non-owners need not read the local count.
    ob_flags: AtomicU16,
}

/// `ob_flags` bit of an immortal object. Mirrors `_Py_IMMORTAL_FLAGS`.
const IMMORTAL_FLAG: u16 = 1;

/// The second experiment: no line that one thread writes is read by the
/// other. Three lines: what both read (`ob_tid`, `ob_flags`), the owner's
/// count, the others' count. Each operation first asks who owns the
/// object; the owner then touches only its count's line, a non-owner
/// checks the immortal flag and touches only the shared count's line.
#[repr(C)]
struct SplitHeader {
    ids: Line<ReadMostly>,
    ob_ref_local: Line<AtomicU32>,
    ob_ref_shared: Line<AtomicIsize>,
}

// The point of the experiment: three separate 64-byte lines.
const _: () = assert!(offset_of!(SplitHeader, ob_ref_local) == 64);
const _: () = assert!(offset_of!(SplitHeader, ob_ref_shared) == 128);
// Six times CPython's 32-byte header.
const _: () = assert!(size_of::<SplitHeader>() == 192);

impl SplitHeader {
    fn new_owned() -> SplitHeader {
        SplitHeader {
            ids: Line(ReadMostly {
                ob_tid: AtomicUsize::new(thread_id()),
                ob_flags: AtomicU16::new(0),
            }),
            ob_ref_local: Line(AtomicU32::new(1)),
            ob_ref_shared: Line(AtomicIsize::new(0)),
        }
    }

    /// Whether a non-owner may skip counting. An immortal object has no
    /// owner, so the owner's path need not ask.
    #[inline]
    fn is_immortal_flagged(&self) -> bool {
        // Relaxed: set once, before the object is shared.
        self.ids.0.ob_flags.load(Ordering::Relaxed) & IMMORTAL_FLAG != 0
    }

    /// As [`FtHeader::incref`], ownership checked first.
    #[inline]
    fn incref(&self) {
        if is_owner(&self.ids.0.ob_tid) {
            // Relaxed load and store, as `FtHeader`.
            let local = self.ob_ref_local.0.load(Ordering::Relaxed);
            if local != IMMORTAL_REFCNT_LOCAL {
                self.ob_ref_local.0.store(local + 1, Ordering::Relaxed);
            }
        } else if !self.is_immortal_flagged() {
            shared_incref(&self.ob_ref_shared.0);
        }
    }

    /// As [`FtHeader::decref`], ownership checked first, without the
    /// queue.
    #[inline]
    fn decref(&self) -> Result<Decref, CountError> {
        let (tid, local, shared) = (
            &self.ids.0.ob_tid,
            &self.ob_ref_local.0,
            &self.ob_ref_shared.0,
        );
        if is_owner(tid) {
            // Relaxed, as `FtHeader`.
            let n = local.load(Ordering::Relaxed);
            if n == IMMORTAL_REFCNT_LOCAL {
                return Ok(Decref::Immortal);
            }
            return owner_decref(n, local, tid, shared);
        }
        if self.is_immortal_flagged() {
            return Ok(Decref::Immortal);
        }
        shared_decref(shared, local)
    }
}

/// Whether the calling thread owns the object whose `ob_tid` this is.
#[inline]
fn is_owner(tid: &AtomicUsize) -> bool {
    // Relaxed, as `FtHeader`: only this thread ever stores its own id.
    tid.load(Ordering::Relaxed) == thread_id()
}

/// A non-owner's increment, as `FtHeader`'s.
#[inline]
fn shared_incref(shared: &AtomicIsize) {
    // Relaxed, as `FtHeader` and `Arc::clone`: the caller holds a reference
    // already.
    shared.fetch_add(1 << REF_SHARED_SHIFT, Ordering::Relaxed);
}

/// The owner's decrement of a mortal object whose local count was
/// `n`, as `FtHeader`'s.
#[inline]
fn owner_decref(
    n: u32,
    local: &AtomicU32,
    tid: &AtomicUsize,
    shared: &AtomicIsize,
) -> Result<Decref, CountError> {
    if n == 0 {
        return Err(below_zero(local, shared));
    }
    // Relaxed, as `FtHeader`: the owner alone writes the local count.
    local.store(n - 1, Ordering::Relaxed);
    if n == 1 {
        return Ok(merge_zero_local(tid, shared));
    }
    Ok(Decref::Live)
}

#[cold]
fn below_zero(local: &AtomicU32, shared: &AtomicIsize) -> CountError {
    CountError::SharedBelowZero {
        local: local.load(Ordering::Relaxed),
        shared: shared.load(Ordering::Relaxed),
    }
}

/// As `FtHeader`'s `_Py_MergeZeroLocalRefcount`.
#[cold]
#[inline(never)]
fn merge_zero_local(tid: &AtomicUsize, shared: &AtomicIsize) -> Decref {
    // Acquire pairs with the AcqRel CAS of other threads' decrements.
    let mut old = shared.load(Ordering::Acquire);
    if old == 0 {
        return Decref::Dead;
    }
    tid.store(UNOWNED_TID, Ordering::Relaxed);
    loop {
        let new = (old & !REF_SHARED_FLAG_MASK) | REF_MERGED;
        // AcqRel/Acquire, as `FtHeader`.
        match shared.compare_exchange_weak(old, new, Ordering::AcqRel, Ordering::Acquire) {
            Ok(_) if new == REF_MERGED => return Decref::Dead,
            Ok(_) => return Decref::Live,
            Err(actual) => old = actual,
        }
    }
}

/// As `FtHeader`'s `_Py_DecRefSharedIsDead`, minus the queue.
#[cold]
#[inline(never)]
fn shared_decref(shared: &AtomicIsize, local: &AtomicU32) -> Result<Decref, CountError> {
    // Relaxed: the CAS below re-reads.
    let mut old = shared.load(Ordering::Relaxed);
    loop {
        if old == 0 || old == REF_MAYBE_WEAKREF {
            panic!("the padded experiments have no merge queue");
        }
        let new = old - (1 << REF_SHARED_SHIFT);
        if new < 0 && old & REF_SHARED_FLAG_MASK == REF_MERGED {
            return Err(below_zero(local, shared));
        }
        // AcqRel/Relaxed, as `FtHeader`: release our writes to the object,
        // acquire the others' before a dealloc.
        match shared.compare_exchange_weak(old, new, Ordering::AcqRel, Ordering::Relaxed) {
            Ok(_) if new == REF_MERGED => return Ok(Decref::Dead),
            Ok(_) => return Ok(Decref::Live),
            Err(actual) => old = actual,
        }
    }
}

// ---------------------------------------------------------------------
// Threads.

type Job = Box<dyn FnOnce() + Send>;

/// A thread that runs the jobs sent to it one at a time, so measurements
/// never pay for a spawn. An object it creates stays owned by a live
/// thread until the helper is dropped.
struct Helper {
    jobs: Option<mpsc::Sender<Job>>,
    thread: Option<JoinHandle<()>>,
}

impl Helper {
    fn spawn() -> Helper {
        let (jobs, rx) = mpsc::channel::<Job>();
        let thread = thread::spawn(move || rx.into_iter().for_each(|job| job()));
        Helper {
            jobs: Some(jobs),
            thread: Some(thread),
        }
    }

    /// Runs `f` on the helper and waits for its result.
    fn run<R: Send + 'static>(&self, f: impl FnOnce() -> R + Send + 'static) -> R {
        self.start(f).recv().expect("helper job panicked")
    }

    /// Runs `f` on the helper; its result arrives on the returned receiver.
    fn start<R: Send + 'static>(
        &self,
        f: impl FnOnce() -> R + Send + 'static,
    ) -> mpsc::Receiver<R> {
        let (tx, rx) = mpsc::channel();
        let job: Job = Box::new(move || drop(tx.send(f())));
        self.jobs
            .as_ref()
            .expect("helper running")
            .send(job)
            .unwrap();
        rx
    }
}

impl Drop for Helper {
    fn drop(&mut self) {
        drop(self.jobs.take());
        if let Some(t) = self.thread.take() {
            t.join().expect("helper thread panicked");
        }
    }
}

/// This thread's CPU time so far in ns: the first field of Linux's
/// `/proc/thread-self/schedstat` (`None` where there is none).
fn thread_cpu_ns() -> Option<u64> {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// The share of `wall` a thread spent on a CPU, from two CPU times.
fn cpu_share(before: Option<u64>, after: Option<u64>, wall: Duration) -> String {
    match before.zip(after) {
        Some((b, a)) => format!("{:.0}%", (a - b) as f64 / wall.as_nanos() as f64 * 100.0),
        None => "?".to_string(),
    }
}

/// The bench thread's CPU share over a member with no second thread of
/// ours, reported as [`Hammer::stop`] reports a hammered one.
struct CpuWatch {
    started: Instant,
    cpu: Option<u64>,
}

impl CpuWatch {
    fn start() -> CpuWatch {
        CpuWatch {
            started: Instant::now(),
            cpu: thread_cpu_ns(),
        }
    }

    fn stop(self, what: &str) {
        let bench = cpu_share(self.cpu, thread_cpu_ns(), self.started.elapsed());
        eprintln!("{what}: no hammer; on a CPU {bench} (bench thread) of the time");
    }
}

/// A thread looping one pair until stopped.
struct Hammer {
    stop: Arc<AtomicBool>,
    thread: JoinHandle<(u64, String)>,
    started: Instant,
    bench_cpu: Option<u64>,
}

impl Hammer {
    /// Starts `pair` in a loop on a new thread; returns once it runs.
    fn start(pair: impl Fn() + Send + 'static) -> Hammer {
        let stop = Arc::new(AtomicBool::new(false));
        let running = Arc::new(Barrier::new(2));
        let thread = {
            let (stop, running) = (Arc::clone(&stop), Arc::clone(&running));
            thread::spawn(move || {
                running.wait();
                let (t, cpu, mut n) = (Instant::now(), thread_cpu_ns(), 0u64);
                // Relaxed: the flag only ends the loop; nothing is published.
                while !stop.load(Ordering::Relaxed) {
                    pair();
                    n += 1;
                }
                (n, cpu_share(cpu, thread_cpu_ns(), t.elapsed()))
            })
        };
        running.wait();
        Hammer {
            stop,
            thread,
            started: Instant::now(),
            bench_cpu: thread_cpu_ns(),
        }
    }

    /// Stops the loop and reports on stderr how many pairs it ran and how
    /// much of the time each thread was on a CPU: on a shared machine the
    /// second thread, or the bench thread itself, may wait for one.
    fn stop(self, what: &str) {
        let bench = cpu_share(self.bench_cpu, thread_cpu_ns(), self.started.elapsed());
        self.stop.store(true, Ordering::Relaxed);
        let (n, hammer) = self.thread.join().expect("hammer panicked");
        eprintln!(
            "{what}: the hammer thread ran {n} pairs; on a CPU {hammer} (hammer), {bench} \
             (bench thread) of the time"
        );
    }
}

/// Times `iters` pairs on this thread and `iters` on `helper`, started
/// together; returns the wall time until both are done.
fn two_threads(helper: &Helper, iters: u64, pair: impl Fn() + Clone + Send + 'static) -> Duration {
    let start = Arc::new(Barrier::new(2));
    let done = {
        let (start, pair) = (Arc::clone(&start), pair.clone());
        helper.start(move || {
            start.wait();
            for _ in 0..iters {
                pair();
            }
        })
    };
    start.wait();
    let t = Instant::now();
    for _ in 0..iters {
        pair();
    }
    done.recv().expect("helper job panicked");
    t.elapsed()
}

// ---------------------------------------------------------------------
// The groups.

fn owner_pair(c: &mut Criterion) {
    let mut g = c.benchmark_group("biased/owner-pair");
    g.throughput(Throughput::Elements(1));

    let rc = Rc::new(0u64);
    g.bench_function("baseline/Rc", |b| b.iter(|| rc_pair(&rc)));
    let arc = Arc::new(0u64);
    g.bench_function("baseline/Arc", |b| b.iter(|| arc_pair(&arc)));
    let word = CountWord::new(1);
    g.bench_function("CountWord/mortal", |b| b.iter(|| word_pair(&word)));
    // On lines of its own, as in `biased/owner-pair-contended`.
    let h = leak_isolated(FtHeader::new_owned());
    g.bench_function("objmodel/FtHeader-owner", |b| b.iter(|| ft_pair(h)));
    let r = Ref::new(&SHARED, 0);
    g.bench_function("objmodel/Ref<FtObject>-clone+drop-owner", |b| {
        b.iter(|| ref_pair(&r))
    });
    g.finish();
}

fn non_owner_pair(c: &mut Criterion) {
    let mut g = c.benchmark_group("biased/non-owner-pair");
    g.throughput(Throughput::Elements(1));

    let arc = Arc::new(0u64);
    g.bench_function("baseline/Arc", |b| b.iter(|| arc_pair(&arc)));

    let owner = Helper::spawn();
    let h = owner.run(|| Box::new(FtHeader::new_owned()));
    assert!(!h.is_owned_by_current_thread());
    g.bench_function("objmodel/FtHeader-non-owner", |b| b.iter(|| ft_pair(&h)));

    let r = owner.run(|| Ref::new(&SHARED, 0));
    g.bench_function("objmodel/Ref<FtObject>-clone+drop-non-owner", |b| {
        b.iter(|| ref_pair(&r))
    });
    // The owner drops the last reference: local 1 -> 0, dealloc there.
    owner.run(move || drop(r));
    g.finish();
}

/// The pairs of `biased/owner-pair-contended`, each one out-of-line
/// function that a counter's alone, contended and control members all
/// call: the same code at the same address, so only the other thread
/// differs. (Inlined copies of one pair, identical but for registers,
/// differ by up to 2x between loops placed at different addresses.)
#[inline(never)]
fn arc_pair_outlined(arc: &Arc<Isolated<u64>>) {
    arc_pair(arc)
}

#[inline(never)]
fn ft_pair_outlined(h: &FtHeader) {
    ft_pair(h)
}

#[inline(never)]
fn padded_pair_outlined(h: &PaddedHeader) {
    padded_pair(h)
}

#[inline(never)]
fn split_pair_outlined(h: &SplitHeader) {
    split_pair(h)
}

fn owner_pair_contended(c: &mut Criterion) {
    let mut g = c.benchmark_group("biased/owner-pair-contended");
    g.throughput(Throughput::Elements(1));
    let name = |m: &str| format!("biased/owner-pair-contended/{m}");

    let arc = isolated_arc();
    let watch = CpuWatch::start();
    g.bench_function("baseline/Arc-alone", |b| b.iter(|| arc_pair_outlined(arc)));
    watch.stop(&name("baseline/Arc-alone"));
    let hammer = Hammer::start(|| arc_pair(arc));
    g.bench_function("baseline/Arc-contended", |b| {
        b.iter(|| arc_pair_outlined(arc))
    });
    hammer.stop(&name("baseline/Arc-contended"));

    let h = leak_isolated(FtHeader::new_owned());
    let watch = CpuWatch::start();
    g.bench_function("objmodel/FtHeader-owner-alone", |b| {
        b.iter(|| ft_pair_outlined(h))
    });
    watch.stop(&name("objmodel/FtHeader-owner-alone"));
    let hammer = Hammer::start(|| ft_pair(h));
    g.bench_function("objmodel/FtHeader-owner-contended", |b| {
        b.iter(|| ft_pair_outlined(h))
    });
    hammer.stop(&name("objmodel/FtHeader-owner-contended"));

    // Control: the second thread hammers another object, on lines of its
    // own. What remains of the slowdown is the busy second thread itself
    // (a shared machine, the hypervisor), not the shared line.
    let other = leak(PaddedHeader::new_owned());
    let hammer = Hammer::start(|| padded_pair(other));
    g.bench_function("objmodel/FtHeader-owner-other-object-hammered", |b| {
        b.iter(|| ft_pair_outlined(h))
    });
    hammer.stop(&name("objmodel/FtHeader-owner-other-object-hammered"));

    let p = leak(PaddedHeader::new_owned());
    let watch = CpuWatch::start();
    g.bench_function("objmodel/padded-owner-alone", |b| {
        b.iter(|| padded_pair_outlined(p))
    });
    watch.stop(&name("objmodel/padded-owner-alone"));
    let hammer = Hammer::start(|| padded_pair(p));
    g.bench_function("objmodel/padded-owner-contended", |b| {
        b.iter(|| padded_pair_outlined(p))
    });
    hammer.stop(&name("objmodel/padded-owner-contended"));

    let sp = leak(SplitHeader::new_owned());
    let watch = CpuWatch::start();
    g.bench_function("objmodel/split-owner-alone", |b| {
        b.iter(|| split_pair_outlined(sp))
    });
    watch.stop(&name("objmodel/split-owner-alone"));
    let hammer = Hammer::start(|| split_pair(sp));
    g.bench_function("objmodel/split-owner-contended", |b| {
        b.iter(|| split_pair_outlined(sp))
    });
    hammer.stop(&name("objmodel/split-owner-contended"));
    g.finish();
}

fn two_threads_same_object(c: &mut Criterion) {
    let mut g = c.benchmark_group("biased/two-threads-same-object");
    // One pair on each thread per iteration.
    g.throughput(Throughput::Elements(2));
    let helper = Helper::spawn();

    let arc = isolated_arc();
    g.bench_function("baseline/Arc", |b| {
        b.iter_custom(|iters| two_threads(&helper, iters, || arc_pair(arc)))
    });

    // Created here: this thread owns it, the helper does not.
    let h = leak_isolated(FtHeader::new_owned());
    g.bench_function("objmodel/FtHeader-owner+non-owner", |b| {
        b.iter_custom(|iters| two_threads(&helper, iters, || ft_pair(h)))
    });

    let r = leak(Ref::new(&SHARED, 0));
    g.bench_function("objmodel/Ref<FtObject>-owner+non-owner", |b| {
        b.iter_custom(|iters| two_threads(&helper, iters, || ref_pair(r)))
    });

    let p = leak(PaddedHeader::new_owned());
    g.bench_function("objmodel/padded-owner+non-owner", |b| {
        b.iter_custom(|iters| two_threads(&helper, iters, || padded_pair(p)))
    });

    let sp = leak(SplitHeader::new_owned());
    g.bench_function("objmodel/split-owner+non-owner", |b| {
        b.iter_custom(|iters| two_threads(&helper, iters, || split_pair(sp)))
    });

    // Owned by a third thread: both timed threads take the shared path.
    let owner = Helper::spawn();
    let h: &'static FtHeader = owner.run(|| leak_isolated(FtHeader::new_owned()));
    g.bench_function("objmodel/FtHeader-two-non-owners", |b| {
        b.iter_custom(|iters| two_threads(&helper, iters, || ft_pair(h)))
    });
    g.finish();
}

fn cross_thread_decref_merge(c: &mut Criterion) {
    let mut g = c.benchmark_group("biased/cross-thread-decref+merge");
    // Per object: the helper's decrement plus (biased) the owner's merge.
    g.throughput(Throughput::Elements(1));
    let helper = Helper::spawn();

    g.bench_function("baseline/Arc-drop-last", |b| {
        b.iter_custom(|iters| {
            let objs: Vec<Arc<u64>> = (0..iters).map(Arc::new).collect();
            let (_, remote) = helper.run(move || {
                let mut objs = objs;
                let t = Instant::now();
                objs.drain(..).for_each(|a| drop(black_box(a)));
                (objs, t.elapsed())
            });
            remote
        })
    });

    g.bench_function("baseline/Arc-drop-not-last", |b| {
        b.iter_custom(|iters| {
            let keep: Vec<Arc<u64>> = (0..iters).map(Arc::new).collect();
            let objs: Vec<Arc<u64>> = keep.iter().map(Arc::clone).collect();
            let (_, remote) = helper.run(move || {
                let mut objs = objs;
                let t = Instant::now();
                objs.drain(..).for_each(|a| drop(black_box(a)));
                (objs, t.elapsed())
            });
            drop(keep);
            remote
        })
    });

    // The owner keeps one reference (local 2), so the merge leaves each
    // object alive (MERGED, count 1): no dealloc is timed.
    g.bench_function("objmodel/FtHeader-queue+merge", |b| {
        b.iter_custom(|iters| {
            let objs: Vec<Box<FtHeader>> = (0..iters)
                .map(|_| {
                    let h = Box::new(FtHeader::new_owned());
                    h.incref();
                    h
                })
                .collect();
            let (objs, remote) = helper.run(move || {
                let t = Instant::now();
                for h in &objs {
                    // Shared count 0: each decrement goes to our queue.
                    if black_box(&**h).decref() == Ok(Decref::Dead) {
                        dealloc_stub();
                    }
                }
                (objs, t.elapsed())
            });
            let t = Instant::now();
            let merged = black_box(biased::merge_refcounts());
            let local = t.elapsed();
            assert_eq!(merged as u64, iters);
            drop(objs);
            remote + local
        })
    });

    // The helper drops the only reference; each object dies in the
    // owner's merge and is deallocated there (as `Arc-drop-last` frees on
    // the helper).
    g.bench_function("objmodel/Ref<FtObject>-queue+merge-last", |b| {
        b.iter_custom(|iters| {
            let objs: Vec<Ref<u64, FtObject>> = (0..iters).map(|i| Ref::new(&SHARED, i)).collect();
            let (_, remote) = helper.run(move || {
                let mut objs = objs;
                let t = Instant::now();
                objs.drain(..).for_each(|r| drop(black_box(r)));
                (objs, t.elapsed())
            });
            let t = Instant::now();
            let merged = black_box(merge_refcounts());
            let local = t.elapsed();
            assert_eq!(merged as u64, iters);
            remote + local
        })
    });
    g.finish();
}

/// Handles per batch in `biased/channel-2-threads`.
const BATCH: usize = 10_000;

/// A thread that drops whatever it receives and acknowledges every
/// [`BATCH`] items.
struct Consumer<T> {
    items: Option<mpsc::Sender<T>>,
    acks: mpsc::Receiver<()>,
    thread: Option<JoinHandle<()>>,
}

impl<T: Send + 'static> Consumer<T> {
    fn spawn() -> Consumer<T> {
        let (items, rx) = mpsc::channel::<T>();
        let (ack, acks) = mpsc::channel();
        let thread = thread::spawn(move || {
            for (i, item) in rx.into_iter().enumerate() {
                drop(black_box(item));
                if (i + 1) % BATCH == 0 {
                    ack.send(()).unwrap();
                }
            }
        });
        Consumer {
            items: Some(items),
            acks,
            thread: Some(thread),
        }
    }

    fn send(&self, item: T) {
        self.items
            .as_ref()
            .expect("consumer running")
            .send(item)
            .unwrap();
    }

    fn wait_batch(&self) {
        self.acks.recv().expect("consumer panicked");
    }
}

impl<T> Drop for Consumer<T> {
    fn drop(&mut self) {
        drop(self.items.take());
        if let Some(t) = self.thread.take() {
            t.join().expect("consumer thread panicked");
        }
    }
}

fn channel_2_threads(c: &mut Criterion) {
    let mut g = c.benchmark_group("biased/channel-2-threads");
    g.throughput(Throughput::Elements(BATCH as u64));

    // Clones of one object per batch. With `Ref`, the first drop on the
    // consumer queues the object to us, the rest subtract from its shared
    // count; our merge after the batch deallocates it. (Merged objects
    // stay unowned, so each batch starts with a fresh object to keep
    // measuring the biased path.)
    let consumer = Consumer::<Arc<u64>>::spawn();
    g.bench_function("baseline/Arc-clones", |b| {
        b.iter(|| {
            let a = Arc::new(0u64);
            for _ in 0..BATCH {
                consumer.send(Arc::clone(black_box(&a)));
            }
            drop(a);
            consumer.wait_batch();
        })
    });
    drop(consumer);
    let consumer = Consumer::<Ref<u64, FtObject>>::spawn();
    g.bench_function("objmodel/Ref<FtObject>-clones", |b| {
        b.iter(|| {
            let r = Ref::new(&SHARED, 0);
            for _ in 0..BATCH {
                consumer.send(Ref::clone(black_box(&r)));
            }
            drop(r);
            consumer.wait_batch();
            assert_eq!(merge_refcounts(), 1);
        })
    });
    drop(consumer);

    // A fresh object per handle: `Arc` frees on the consumer, `Ref`
    // queues each to us and frees in our merge.
    let consumer = Consumer::<Arc<u64>>::spawn();
    g.bench_function("baseline/Arc-fresh", |b| {
        b.iter(|| {
            for i in 0..BATCH {
                consumer.send(Arc::new(black_box(i as u64)));
            }
            consumer.wait_batch();
        })
    });
    drop(consumer);
    let consumer = Consumer::<Ref<u64, FtObject>>::spawn();
    g.bench_function("objmodel/Ref<FtObject>-fresh", |b| {
        b.iter(|| {
            for i in 0..BATCH {
                consumer.send(Ref::new(&SHARED, black_box(i as u64)));
            }
            consumer.wait_batch();
            assert_eq!(merge_refcounts(), BATCH);
        })
    });
    drop(consumer);
    g.finish();
}

criterion_group!(
    benches,
    owner_pair,
    non_owner_pair,
    owner_pair_contended,
    two_threads_same_object,
    cross_thread_decref_merge,
    channel_2_threads
);
criterion_main!(benches);
