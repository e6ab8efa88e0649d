//! Stopping the world: a pause in which every attached thread is parked at
//! a safepoint, so one thread may read and rewrite every free-threaded
//! object's counts (the cycle collector's pause). Mirrors
//! `_PyEval_StopTheWorld` / `_PyEval_StartTheWorld` and the attached /
//! detached thread states of CPython's free-threaded build
//! ([Python/pystate.c](https://github.com/python/cpython/blob/v3.14.0/Python/pystate.c)).
//!
//! ```text
//!   thread A (attached)      thread B (attached)        thread C (detached)
//!   ... safepoint() ...      stop_the_world() --+        blocked in I/O
//!   parks  <-----------------  waits for A      |        (not waited for)
//!   |                          collects         |
//!   resumes <-----------------  guard dropped --+
//! ```
//!
//! A thread that uses free-threaded objects [`attach`]es and calls
//! [`safepoint`] regularly (a VM does at its eval-breaker checks); around
//! blocking calls it runs [`detached`], so a pause never waits for it. A
//! thread that never attached is not waited for and must not touch
//! free-threaded objects during a pause.

use core::cell::Cell;
use core::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

use object_header::biased::thread_id;

struct World {
    state: Mutex<State>,
    changed: Condvar,
    /// Mirrors `state.stop_requested`, read without the lock at
    /// safepoints.
    stop_requested: AtomicBool,
}

struct State {
    /// Attached threads, the stopper included.
    attached: usize,
    /// Attached threads parked at a safepoint.
    parked: usize,
    /// The thread that stopped the world, if any.
    stopper: Option<usize>,
}

static WORLD: World = World {
    state: Mutex::new(State {
        attached: 0,
        parked: 0,
        stopper: None,
    }),
    changed: Condvar::new(),
    stop_requested: AtomicBool::new(false),
};

thread_local! {
    static ATTACHED: Cell<usize> = const { Cell::new(0) };
}

fn lock() -> MutexGuard<'static, State> {
    WORLD.state.lock().unwrap_or_else(PoisonError::into_inner)
}

fn wait(guard: MutexGuard<'static, State>) -> MutexGuard<'static, State> {
    WORLD
        .changed
        .wait(guard)
        .unwrap_or_else(PoisonError::into_inner)
}

/// This thread runs code that touches free-threaded objects until the
/// guard is dropped (nested attaches count once each). Mirrors attaching a
/// thread state (`_PyThreadState_Attach`).
#[must_use = "the thread is attached only while the guard lives"]
pub struct Attached {
    _not_send: core::marker::PhantomData<*const ()>,
}

/// Attaches the calling thread; waits while the world is stopped by
/// another thread.
pub fn attach() -> Attached {
    let mut state = lock();
    while state.stopper.is_some_and(|s| s != thread_id()) {
        state = wait(state);
    }
    state.attached += 1;
    ATTACHED.with(|a| a.set(a.get() + 1));
    Attached {
        _not_send: core::marker::PhantomData,
    }
}

impl Drop for Attached {
    fn drop(&mut self) {
        let mut state = lock();
        state.attached -= 1;
        ATTACHED.with(|a| a.set(a.get() - 1));
        drop(state);
        WORLD.changed.notify_all();
    }
}

/// Whether the calling thread is attached.
pub fn is_attached() -> bool {
    ATTACHED.with(Cell::get) != 0
}

/// Parks the calling thread while another thread has the world stopped.
/// Cheap when nobody asked (one relaxed load). Mirrors the eval breaker's
/// `_PY_EVAL_PLEASE_STOP_BIT` handling.
#[inline]
pub fn safepoint() {
    if WORLD.stop_requested.load(Ordering::Acquire) {
        park();
    }
}

#[cold]
fn park() {
    let me = thread_id();
    let mut state = lock();
    if state.stopper.is_none() || state.stopper == Some(me) {
        return;
    }
    let attached = ATTACHED.with(Cell::get);
    state.parked += attached;
    WORLD.changed.notify_all();
    while state.stopper.is_some() {
        state = wait(state);
    }
    state.parked -= attached;
}

/// Runs `f` detached: a pause does not wait for this thread meanwhile, so
/// `f` may block (I/O, locks, joins) but must not touch free-threaded
/// objects. Re-attaching waits for a running pause to end. Mirrors
/// `Py_BEGIN_ALLOW_THREADS` / `Py_END_ALLOW_THREADS`.
pub fn detached<R>(f: impl FnOnce() -> R) -> R {
    let attached = ATTACHED.with(Cell::get);
    if attached != 0 {
        let mut state = lock();
        state.attached -= attached;
        drop(state);
        WORLD.changed.notify_all();
    }
    let result = f();
    if attached != 0 {
        let mut state = lock();
        while state.stopper.is_some_and(|s| s != thread_id()) {
            state = wait(state);
        }
        state.attached += attached;
    }
    result
}

/// The world stays stopped while this guard lives; dropping it restarts
/// every parked thread. Mirrors `_PyEval_StartTheWorld`.
#[must_use = "the world restarts when the guard is dropped"]
pub struct StoppedWorld {
    _not_send: core::marker::PhantomData<*const ()>,
}

/// Stops the world: waits until every other attached thread is parked at a
/// safepoint (or detached), one pause at a time. The caller, attached or
/// not, is the only thread running code that touches free-threaded
/// objects until the guard is dropped. Mirrors `_PyEval_StopTheWorld`.
pub fn stop_the_world() -> StoppedWorld {
    let me = thread_id();
    let mine = ATTACHED.with(Cell::get);
    let mut state = lock();
    // Another pause first: count as parked meanwhile, or two stoppers would
    // wait for each other.
    if state.stopper.is_some() {
        state.parked += mine;
        WORLD.changed.notify_all();
        while state.stopper.is_some() {
            state = wait(state);
        }
        state.parked -= mine;
    }
    state.stopper = Some(me);
    WORLD.stop_requested.store(true, Ordering::Release);
    while state.parked + mine < state.attached {
        state = wait(state);
    }
    StoppedWorld {
        _not_send: core::marker::PhantomData,
    }
}

impl Drop for StoppedWorld {
    fn drop(&mut self) {
        let mut state = lock();
        state.stopper = None;
        WORLD.stop_requested.store(false, Ordering::Release);
        drop(state);
        WORLD.changed.notify_all();
    }
}
