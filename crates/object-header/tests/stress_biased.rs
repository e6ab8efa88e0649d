//! BRC-10: biased counting under real threads. Four threads own sixteen
//! objects each and pass references to all of them through channels, about a
//! million count operations in all: an increment before each send, a
//! decrement after each use, sometimes a forward to a third thread first,
//! and `merge_refcounts` at regular "safepoints" as a VM's eval breaker
//! would. Every owner keeps one reference until the end, so no object may
//! die during the run; each must die exactly once after it.

#[path = "common/ft_obj.rs"]
mod ft_obj;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Barrier, OnceLock};
use std::thread;

use ft_obj::Obj;
use object_header::biased::{merge_refcounts, Decref};

const THREADS: usize = 4;
/// Each object is queued to its owner at most once (a merged object stays
/// shared), so more objects mean more queue and merge races.
const OBJS_PER_THREAD: usize = if cfg!(miri) { 2 } else { 16 };
const OBJS: usize = THREADS * OBJS_PER_THREAD;
/// Messages each thread originates; forwards add about half as many again.
const SENDS_PER_THREAD: usize = if cfg!(miri) { 20 } else { 100_000 };
/// How often (in sends) a thread reaches a safepoint and merges.
const SAFEPOINT_EVERY: usize = if cfg!(miri) { 4 } else { 64 };
/// A received reference travels at most this many hops.
const MAX_HOPS: u8 = 2;

/// A reference in flight: which object, and how far it has travelled.
struct Msg {
    obj: usize,
    hops: u8,
}

/// A small xorshift generator: which object, which peer, forward or not.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 as usize
    }
}

/// One worker's view: the objects, its peers' senders, its tallies.
struct Worker<'a> {
    me: usize,
    objs: &'a [OnceLock<Obj>],
    peers: Vec<(usize, Sender<Msg>)>,
    rng: Rng,
    ops: usize,
    sent: usize,
    received: usize,
    merged: usize,
}

impl Worker<'_> {
    fn obj(&self, i: usize) -> &Obj {
        self.objs[i]
            .get()
            .expect("created before the first barrier")
    }

    /// Takes a new reference to `obj` and hands it to a random peer.
    fn send(&mut self, obj: usize, hops: u8) {
        self.obj(obj).incref();
        let peer = self.rng.next() % self.peers.len();
        self.peers[peer].1.send(Msg { obj, hops }).unwrap();
        self.ops += 1;
        self.sent += 1;
    }

    /// Uses a received reference (the object must be alive), maybe
    /// forwards the object, then gives the reference up.
    fn handle(&mut self, msg: Msg, may_forward: bool) {
        self.received += 1;
        assert_eq!(
            self.obj(msg.obj).deallocs(),
            0,
            "object {} died early",
            msg.obj
        );
        assert_eq!(self.obj(msg.obj).payload(), ft_obj::ALIVE);
        assert!(self.obj(msg.obj).header().refcnt() >= 1);
        if may_forward && msg.hops < MAX_HOPS && self.rng.next() % 2 == 0 {
            self.send(msg.obj, msg.hops + 1);
        }
        let result = self.obj(msg.obj).decref();
        assert_eq!(result, Decref::Live, "object {} died early", msg.obj);
        self.ops += 1;
    }

    fn safepoint(&mut self) {
        self.merged += merge_refcounts();
    }

    fn own(&self) -> impl Iterator<Item = usize> {
        self.me * OBJS_PER_THREAD..(self.me + 1) * OBJS_PER_THREAD
    }
}

/// What one worker did.
struct Tally {
    ops: usize,
    sent: usize,
    received: usize,
    merged: usize,
}

fn run_worker(
    me: usize,
    objs: &[OnceLock<Obj>],
    peers: Vec<(usize, Sender<Msg>)>,
    inbox: Receiver<Msg>,
    barrier: &Barrier,
) -> Tally {
    let mut w = Worker {
        me,
        objs,
        peers,
        rng: Rng(0x9E37_79B9_7F4A_7C15 ^ (me as u64 + 1)),
        ops: 0,
        sent: 0,
        received: 0,
        merged: 0,
    };
    for i in w.own() {
        assert!(objs[i].set(Obj::new()).is_ok());
    }
    barrier.wait(); // every object exists

    for n in 0..SENDS_PER_THREAD {
        let obj = w.rng.next() % OBJS;
        w.send(obj, 0);
        while let Ok(msg) = inbox.try_recv() {
            w.handle(msg, true);
        }
        if n % SAFEPOINT_EVERY == 0 {
            w.safepoint();
        }
    }
    // No more sends from here: once every peer has done the same, the
    // inbox disconnects.
    w.peers.clear();
    for msg in inbox {
        w.handle(msg, false);
    }
    barrier.wait(); // no reference in flight; the rest are queued or held

    // The last safepoint merges whatever other threads queued to us; each
    // of our objects is then held by our one reference only, and dies.
    w.safepoint();
    for i in w.own() {
        let obj = w.obj(i);
        assert_eq!(obj.header().refcnt(), 1, "object {i}");
        assert_eq!(obj.deallocs(), 0, "object {i}");
        assert_eq!(obj.decref(), Decref::Dead, "object {i}");
        assert_eq!(obj.deallocs(), 1, "object {i}");
    }
    Tally {
        ops: w.ops + OBJS_PER_THREAD,
        sent: w.sent,
        received: w.received,
        merged: w.merged,
    }
}

/// Ports BRC-10: references to shared objects pass between four threads
/// through channels (an increment before each send, a decrement after each
/// use, forwards through a third thread), with merges at safepoints.
/// Every message is received once, no object dies during the run, and
/// each is deallocated exactly once, at the end, by its owner's last
/// decrement.
#[test]
fn references_passed_between_threads_deallocate_each_object_once_at_the_end() {
    let objs: Vec<OnceLock<Obj>> = (0..OBJS).map(|_| OnceLock::new()).collect();
    let barrier = Barrier::new(THREADS);
    let (senders, inboxes): (Vec<_>, Vec<_>) = (0..THREADS).map(|_| mpsc::channel()).unzip();
    let total = AtomicUsize::new(0);
    let tallies: Vec<Tally> = thread::scope(|s| {
        let handles: Vec<_> = inboxes
            .into_iter()
            .enumerate()
            .map(|(me, inbox)| {
                let peers = (0..THREADS)
                    .filter(|&p| p != me)
                    .map(|p| (p, senders[p].clone()))
                    .collect();
                let (objs, barrier, total) = (&objs, &barrier, &total);
                s.spawn(move || {
                    let tally = run_worker(me, objs, peers, inbox, barrier);
                    total.fetch_add(tally.ops, Ordering::Relaxed);
                    tally
                })
            })
            .collect();
        drop(senders);
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let sent: usize = tallies.iter().map(|t| t.sent).sum();
    let received: usize = tallies.iter().map(|t| t.received).sum();
    assert_eq!(sent, received, "every reference sent was received once");
    assert!(sent >= THREADS * SENDS_PER_THREAD);
    let ops = total.load(Ordering::Relaxed);
    assert_eq!(ops, tallies.iter().map(|t| t.ops).sum::<usize>());
    if !cfg!(miri) {
        assert!(ops >= 1_000_000, "only {ops} count operations");
    }
    let merged: usize = tallies.iter().map(|t| t.merged).sum();
    println!("{ops} count operations, {sent} messages, {merged} objects merged at safepoints");
    for slot in objs {
        slot.into_inner().expect("created").free();
    }
}

/// Rounds of the concurrent-drop test.
const ROUNDS: usize = if cfg!(miri) { 4 } else { 2_000 };

/// Ports BRC-04 and BRC-08 at scale (loom's two-thread models, with four
/// threads and real memory): each round one thread creates an object, the
/// others take a reference of their own (a shared increment, or a
/// try-incref every other round, after `enable_try_incref`), and then all
/// four read it and drop their reference at once, with nothing but the
/// counter ordering the drops. Exactly one decrement per object returns
/// `Dead`, and (under Miri or ThreadSanitizer) the dealloc's write is
/// ordered after every holder's read.
#[test]
fn last_references_dropped_at_once_deallocate_each_object_once() {
    let objs: Vec<OnceLock<Obj>> = (0..ROUNDS).map(|_| OnceLock::new()).collect();
    let barrier = Barrier::new(THREADS);
    let deads: usize = thread::scope(|s| {
        let handles: Vec<_> = (0..THREADS)
            .map(|me| {
                let (objs, barrier) = (&objs, &barrier);
                s.spawn(move || {
                    let mut deads = 0;
                    for (round, slot) in objs.iter().enumerate() {
                        let creator = round % THREADS == me;
                        if creator {
                            let obj = Obj::new();
                            if round % 2 == 1 {
                                obj.header().enable_try_incref();
                            }
                            assert!(slot.set(obj).is_ok());
                        }
                        barrier.wait(); // the object exists; its creator holds it
                        let obj = slot.get().unwrap();
                        if !creator {
                            if round % 2 == 1 {
                                assert!(obj.header().try_incref());
                            } else {
                                obj.incref();
                            }
                        }
                        barrier.wait(); // every thread holds a reference
                        assert_eq!(obj.payload(), ft_obj::ALIVE);
                        if obj.decref() == Decref::Dead {
                            deads += 1;
                        }
                    }
                    deads
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).sum()
    });
    assert_eq!(deads, ROUNDS, "one Dead per object");
    for slot in objs {
        slot.into_inner().expect("created").free();
    }
}
