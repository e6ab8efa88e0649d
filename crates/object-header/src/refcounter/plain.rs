//! The single-thread [`Refcounter`].

use core::cell::Cell;
use core::fmt;

use super::{after_add, after_sub, is_saturated, normalised};
use crate::error::RefcountError;

type Callback = Box<dyn Fn()>;

/// A single-thread reference counter with acquire/release callbacks.
/// Mirrors pyrefcount's `Refcounter`, hardened with Linux `refcount_t`'s
/// saturation (see the [module rules](crate::refcounter)).
///
/// It is `!Sync`: share it across threads as an
/// [`AtomicRefcounter`](crate::AtomicRefcounter) instead.
///
/// # Examples
/// The instance manager of pyrefcount's documentation: a costly mode is on
/// while anyone depends on it.
/// ```
/// use std::{cell::Cell, rc::Rc};
/// use object_header::Refcounter;
///
/// let enabled = Rc::new(Cell::new(false));
/// let (on, off) = (enabled.clone(), enabled.clone());
/// let users = Refcounter::new(0)
///     .on_acquire(move || on.set(true))
///     .on_release(move || off.set(false));
///
/// users.inc();
/// assert!(enabled.get());
/// users.inc();
/// users.dec()?;
/// assert!(enabled.get());
/// assert_eq!(users.dec_and_test()?, true);
/// assert!(!enabled.get());
/// # Ok::<(), object_header::RefcountError>(())
/// ```
///
/// ```compile_fail
/// fn needs_sync<T: Sync>() {}
/// needs_sync::<object_header::Refcounter>();
/// ```
pub struct Refcounter {
    count: Cell<u32>,
    acquire: Option<Callback>,
    release: Option<Callback>,
}

impl Refcounter {
    /// A counter starting at `initial` (pyrefcount's `usecount`); a value
    /// past [`REFCOUNT_MAX`](crate::REFCOUNT_MAX) starts saturated.
    pub fn new(initial: u32) -> Self {
        Refcounter {
            count: Cell::new(normalised(initial)),
            acquire: None,
            release: None,
        }
    }

    /// Sets the callback that runs after the count leaves 0 (pyrefcount's
    /// `acquire`).
    pub fn on_acquire(mut self, f: impl Fn() + 'static) -> Self {
        self.acquire = Some(Box::new(f));
        self
    }

    /// Sets the callback that runs after the count reaches 0 (pyrefcount's
    /// `release`).
    pub fn on_release(mut self, f: impl Fn() + 'static) -> Self {
        self.release = Some(Box::new(f));
        self
    }

    /// The current count. Mirrors pyrefcount's `usecount` getter and
    /// `refcount_read`.
    #[inline]
    pub fn usecount(&self) -> u32 {
        self.count.get()
    }

    /// Sets the count without firing a callback. Mirrors pyrefcount's
    /// `usecount` setter and `refcount_set`; a value past
    /// [`REFCOUNT_MAX`](crate::REFCOUNT_MAX) stores
    /// [`REFCOUNT_SATURATED`](crate::REFCOUNT_SATURATED).
    pub fn set(&self, n: u32) {
        self.count.set(normalised(n));
    }

    /// Whether the counter overflowed and is stuck at
    /// [`REFCOUNT_SATURATED`](crate::REFCOUNT_SATURATED).
    #[inline]
    pub fn is_saturated(&self) -> bool {
        is_saturated(self.count.get())
    }

    /// Adds one. Mirrors pyrefcount's `inc` and `refcount_inc`; fires
    /// `acquire` when the count was 0.
    #[inline]
    pub fn inc(&self) {
        self.add(1)
    }

    /// Adds `n`. Mirrors pyrefcount's `add` and `refcount_add`; fires
    /// `acquire` when the count was 0 (even for `n == 0`); saturates past
    /// [`REFCOUNT_MAX`](crate::REFCOUNT_MAX).
    #[inline]
    pub fn add(&self, n: u32) {
        if let Some(step) = after_add(self.count.get(), n) {
            self.count.set(step.new);
            if step.acquire {
                fire(&self.acquire);
            }
        }
    }

    /// Adds one unless the count is 0. Mirrors `inc_not_zero`; never fires
    /// a callback.
    #[inline]
    pub fn inc_not_zero(&self) -> bool {
        self.add_not_zero(1)
    }

    /// Adds `n` unless the count is 0, and says whether it did (a saturated
    /// counter says yes and stays saturated). Mirrors `add_not_zero`.
    pub fn add_not_zero(&self, n: u32) -> bool {
        let old = self.count.get();
        if old == 0 {
            return false;
        }
        if let Some(step) = after_add(old, n) {
            self.count.set(step.new);
        }
        true
    }

    /// Subtracts one. Mirrors pyrefcount's `dec`; fires `release` at 0.
    ///
    /// # Errors
    /// [`RefcountError::Underflow`] at 0; nothing changes.
    #[inline]
    pub fn dec(&self) -> Result<(), RefcountError> {
        self.sub(1)
    }

    /// Subtracts `n`. Mirrors pyrefcount's `sub`; fires `release` when the
    /// result is 0.
    ///
    /// # Errors
    /// [`RefcountError::Underflow`] when `n` exceeds the count; nothing
    /// changes.
    #[inline]
    pub fn sub(&self, n: u32) -> Result<(), RefcountError> {
        self.sub_and_test(n).map(drop)
    }

    /// Subtracts one and says whether the count is now 0. Mirrors
    /// `dec_and_test`.
    ///
    /// # Errors
    /// [`RefcountError::Underflow`] at 0; nothing changes.
    #[inline]
    pub fn dec_and_test(&self) -> Result<bool, RefcountError> {
        self.sub_and_test(1)
    }

    /// Subtracts `n` and says whether the count is now 0 (`Ok(false)` when
    /// saturated). Mirrors `sub_and_test`.
    ///
    /// # Errors
    /// [`RefcountError::Underflow`] when `n` exceeds the count; nothing
    /// changes.
    #[inline]
    pub fn sub_and_test(&self, n: u32) -> Result<bool, RefcountError> {
        let Some(new) = after_sub(self.count.get(), n)? else {
            return Ok(false);
        };
        self.count.set(new);
        if new == 0 {
            fire(&self.release);
        }
        Ok(new == 0)
    }

    /// Takes the count from 1 to 0 and fires `release`; any other count is
    /// left alone and answers false. Mirrors `refcount_dec_if_one`.
    pub fn dec_if_one(&self) -> bool {
        if self.count.get() != 1 {
            return false;
        }
        self.count.set(0);
        fire(&self.release);
        true
    }

    /// Subtracts one unless that would release the last reference. Mirrors
    /// `refcount_dec_not_one`: false at 1 (unchanged); true when saturated
    /// (unchanged) or after a decrement; at 0 Linux warns of an underflow
    /// and answers true, and so does this, leaving the count at 0.
    pub fn dec_not_one(&self) -> bool {
        let old = self.count.get();
        if old == 1 {
            return false;
        }
        if old != 0 && !is_saturated(old) {
            self.count.set(old - 1);
        }
        true
    }
}

impl Default for Refcounter {
    /// A counter at 1, pyrefcount's default.
    fn default() -> Self {
        Refcounter::new(1)
    }
}

impl fmt::Debug for Refcounter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Refcounter")
            .field("usecount", &self.count.get())
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
