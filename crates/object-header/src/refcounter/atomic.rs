//! The lock-free [`AtomicRefcounter`].

use core::fmt;

use super::{after_add, after_sub, is_saturated, normalised, REFCOUNT_MAX, REFCOUNT_SATURATED};
use crate::error::RefcountError;
use crate::sync::{fence, AtomicU32, Ordering};

type Callback = Box<dyn Fn() + Send + Sync>;

/// A thread-safe, lock-free reference counter with acquire/release
/// callbacks: [`Refcounter`](crate::Refcounter)'s methods and rules over
/// one `AtomicU32`, as Linux's `refcount_t` wraps an `atomic_t`.
///
/// # What racing threads observe
/// - The read-modify-write that moves the count decides the transition, so
///   exactly one caller sees 0 -> n (and fires `acquire`) and exactly one
///   sees n -> 0 (and fires `release`), however the calls interleave.
/// - Callbacks run *after* that read-modify-write, outside any lock. If one
///   thread releases (1 -> 0) while another then acquires (0 -> 1), the two
///   callbacks may run concurrently or in either order; a callback that
///   needs them ordered must synchronise itself.
/// - [`inc`](Self::inc) uses one `fetch_add`, as `Arc::clone` and
///   `refcount_inc` do. Racing increments on a saturated counter may move
///   it by one for an instant before it is stored back to
///   [`REFCOUNT_SATURATED`](crate::REFCOUNT_SATURATED): still saturated,
///   2^30 away from any valid count. Every other operation is a
///   compare-and-swap loop, so a refused decrement is never visible.
///
/// # Memory ordering
/// As `Arc` and `refcount_t`: increments are `Relaxed` (the caller already
/// holds a reference, so nothing can be freed under it); decrements are
/// `Release`, and the one reaching 0 issues an `Acquire` fence before
/// `release` runs, so the callback sees every write made by every former
/// holder. `*_not_zero` succeed with `Acquire`, as `Weak::upgrade`.
///
/// # Examples
/// ```
/// use std::sync::{atomic::{AtomicUsize, Ordering}, Arc};
/// use object_header::AtomicRefcounter;
///
/// let releases = Arc::new(AtomicUsize::new(0));
/// let seen = releases.clone();
/// let users = Arc::new(AtomicRefcounter::new(4).on_release(move || {
///     seen.fetch_add(1, Ordering::Relaxed);
/// }));
/// let workers: Vec<_> = (0..4)
///     .map(|_| {
///         let users = users.clone();
///         std::thread::spawn(move || users.dec().unwrap())
///     })
///     .collect();
/// for w in workers {
///     w.join().unwrap();
/// }
/// assert_eq!(users.usecount(), 0);
/// assert_eq!(releases.load(Ordering::Relaxed), 1);
/// ```
pub struct AtomicRefcounter {
    count: AtomicU32,
    acquire: Option<Callback>,
    release: Option<Callback>,
}

impl AtomicRefcounter {
    /// A counter starting at `initial`; a value past
    /// [`REFCOUNT_MAX`](crate::REFCOUNT_MAX) starts saturated. Mirrors
    /// `REFCOUNT_INIT`.
    pub fn new(initial: u32) -> Self {
        AtomicRefcounter {
            count: AtomicU32::new(normalised(initial)),
            acquire: None,
            release: None,
        }
    }

    /// Sets the callback that runs after the count leaves 0.
    pub fn on_acquire(mut self, f: impl Fn() + Send + Sync + 'static) -> Self {
        self.acquire = Some(Box::new(f));
        self
    }

    /// Sets the callback that runs after the count reaches 0.
    pub fn on_release(mut self, f: impl Fn() + Send + Sync + 'static) -> Self {
        self.release = Some(Box::new(f));
        self
    }

    /// The current count (a relaxed load: another thread may change it at
    /// once). Mirrors `refcount_read`.
    #[inline]
    pub fn usecount(&self) -> u32 {
        // Relaxed: a snapshot, as `refcount_read`'s `atomic_read`.
        self.count.load(Ordering::Relaxed)
    }

    /// Sets the count without firing a callback. Mirrors `refcount_set`.
    pub fn set(&self, n: u32) {
        // Relaxed: `refcount_set` is a plain `atomic_set`.
        self.count.store(normalised(n), Ordering::Relaxed);
    }

    /// Whether the counter overflowed and is stuck at
    /// [`REFCOUNT_SATURATED`](crate::REFCOUNT_SATURATED).
    #[inline]
    pub fn is_saturated(&self) -> bool {
        is_saturated(self.usecount())
    }

    /// Adds one with a single `fetch_add`. Mirrors `refcount_inc`: fires
    /// `acquire` when the count was 0, saturates past
    /// [`REFCOUNT_MAX`](crate::REFCOUNT_MAX).
    #[inline]
    pub fn inc(&self) {
        // Relaxed: as `Arc::clone` — the caller's own reference (or the
        // `acquire` protocol for 0 -> 1) orders what follows.
        let old = self.count.fetch_add(1, Ordering::Relaxed);
        if old >= REFCOUNT_MAX {
            self.saturate();
        } else if old == 0 {
            fire(&self.acquire);
        }
    }

    /// Puts an overflowed or drifted count back to exactly saturated.
    #[cold]
    #[inline(never)]
    fn saturate(&self) {
        // Relaxed: as `refcount_warn_saturate`'s `refcount_set`.
        self.count.store(REFCOUNT_SATURATED, Ordering::Relaxed);
    }

    /// Adds `n`. Mirrors `refcount_add` with pyrefcount's callback: fires
    /// `acquire` when the count was 0 (even for `n == 0`).
    pub fn add(&self, n: u32) {
        // Relaxed, as `inc`.
        let acquire = self.update(Ordering::Relaxed, |old| match after_add(old, n) {
            Some(step) => Ok((step.new, step.acquire)),
            None => Err(false),
        });
        if acquire {
            fire(&self.acquire);
        }
    }

    /// Adds one unless the count is 0. Mirrors `refcount_inc_not_zero`;
    /// never fires a callback.
    #[inline]
    pub fn inc_not_zero(&self) -> bool {
        self.add_not_zero(1)
    }

    /// Adds `n` unless the count is 0, and says whether it did (a saturated
    /// counter says yes and stays saturated). Mirrors
    /// `refcount_add_not_zero`.
    pub fn add_not_zero(&self, n: u32) -> bool {
        // Acquire on success, as `Weak::upgrade`: the new reference may read
        // what the last holder published before its release.
        self.update(Ordering::Acquire, |old| match after_add(old, n) {
            _ if old == 0 => Err(false),
            Some(step) => Ok((step.new, true)),
            None => Err(true),
        })
    }

    /// Subtracts one; fires `release` at 0.
    ///
    /// # Errors
    /// [`RefcountError::Underflow`] at 0; nothing changes.
    #[inline]
    pub fn dec(&self) -> Result<(), RefcountError> {
        self.sub_and_test(1).map(drop)
    }

    /// Subtracts `n`; fires `release` when the result is 0.
    ///
    /// # Errors
    /// [`RefcountError::Underflow`] when `n` exceeds the count; nothing
    /// changes.
    #[inline]
    pub fn sub(&self, n: u32) -> Result<(), RefcountError> {
        self.sub_and_test(n).map(drop)
    }

    /// Subtracts one and says whether the count is now 0. Mirrors
    /// `refcount_dec_and_test`.
    ///
    /// # Errors
    /// [`RefcountError::Underflow`] at 0; nothing changes.
    #[inline]
    pub fn dec_and_test(&self) -> Result<bool, RefcountError> {
        self.sub_and_test(1)
    }

    /// Subtracts `n` and says whether the count is now 0 (`Ok(false)` when
    /// saturated). Mirrors `refcount_sub_and_test`.
    ///
    /// # Errors
    /// [`RefcountError::Underflow`] when `n` exceeds the count; nothing
    /// changes.
    #[inline]
    pub fn sub_and_test(&self, n: u32) -> Result<bool, RefcountError> {
        // Release: this holder's writes happen before whoever sees 0 (pairs
        // with the Acquire fence in `released`), as `Arc::drop`.
        let last = self.update(Ordering::Release, |old| match after_sub(old, n) {
            Ok(Some(new)) => Ok((new, Ok(new == 0))),
            Ok(None) => Err(Ok(false)),
            Err(e) => Err(Err(e)),
        })?;
        if last {
            self.released();
        }
        Ok(last)
    }

    /// Takes the count from 1 to 0 and fires `release`; any other count is
    /// left alone and answers false. Mirrors `refcount_dec_if_one`.
    pub fn dec_if_one(&self) -> bool {
        // Release on success, as `refcount_dec_if_one`'s
        // `atomic_try_cmpxchg_release`; the fence in `released` pairs it.
        if self
            .count
            .compare_exchange(1, 0, Ordering::Release, Ordering::Relaxed)
            .is_err()
        {
            return false;
        }
        self.released();
        true
    }

    /// Subtracts one unless that would release the last reference. Mirrors
    /// `refcount_dec_not_one`: false at 1 (unchanged); true when saturated
    /// (unchanged) or after a decrement; at 0 Linux warns of an underflow
    /// and answers true, and so does this, leaving the count at 0.
    pub fn dec_not_one(&self) -> bool {
        // Release, as `refcount_dec_not_one`'s `try_cmpxchg_release`.
        self.update(Ordering::Release, |old| match old {
            1 => Err(false),
            0 => Err(true),
            _ if is_saturated(old) => Err(true),
            _ => Ok((old - 1, true)),
        })
    }

    /// The 1 -> 0 transition happened in this thread.
    fn released(&self) {
        // Acquire: pairs with every holder's Release decrement, so the
        // callback sees their writes (`Arc::drop`'s fence,
        // `smp_acquire__after_ctrl_dep` in `refcount_sub_and_test`).
        fence(Ordering::Acquire);
        fire(&self.release);
    }

    /// A compare-and-swap loop: `step(old)` is `Ok((new, r))` to store `new`
    /// and answer `r`, or `Err(r)` to answer `r` and store nothing.
    #[inline]
    fn update<R>(&self, success: Ordering, mut step: impl FnMut(u32) -> Result<(u32, R), R>) -> R {
        let mut old = self.usecount();
        loop {
            let (new, answer) = match step(old) {
                Ok(next) => next,
                Err(answer) => return answer,
            };
            // Relaxed on failure: the loop only re-reads and retries.
            match self
                .count
                .compare_exchange_weak(old, new, success, Ordering::Relaxed)
            {
                Ok(_) => return answer,
                Err(now) => old = now,
            }
        }
    }
}

impl Default for AtomicRefcounter {
    /// A counter at 1, pyrefcount's default.
    fn default() -> Self {
        AtomicRefcounter::new(1)
    }
}

impl fmt::Debug for AtomicRefcounter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AtomicRefcounter")
            .field("usecount", &self.usecount())
            .field("saturated", &self.is_saturated())
            .finish_non_exhaustive()
    }
}

#[inline]
fn fire(callback: &Option<Callback>) {
    if let Some(f) = callback {
        f();
    }
}
