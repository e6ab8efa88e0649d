//! Standalone reference counters for resources that are not objects: a file
//! shared by several users, a worker started by its first client and
//! stopped by its last.
//!
//! Two flavours with the same method names, taken from the pyrefcount
//! package (itself "inspired by" Linux `refcount_t`):
//!
//! | | [`Refcounter`] | [`AtomicRefcounter`] |
//! |---|---|---|
//! | threads | one (`!Sync`) | any (`Sync`, lock-free) |
//! | callbacks | any `Fn()` | `Fn() + Send + Sync` |
//!
//! ```text
//!  0 ......... REFCOUNT_MAX = 2^31-1 | 2^31 .. REFCOUNT_SATURATED = 0xC000_0000 .. 2^32-1
//!  valid counts                      | saturated: sticky, every operation leaves it
//! ```
//!
//! # The rules (invariants H4, H5)
//! - **acquire** fires after an `inc`/`add` that starts at 0, `add(0)`
//!   included (pyrefcount); `*_not_zero` refuse at 0 and never fire it.
//! - **release** fires after a decrement whose result is exactly 0.
//! - **Underflow**: a decrement below 0 returns
//!   [`RefcountError::Underflow`] and
//!   changes nothing (pyrefcount raises; Linux saturates — objmodel keeps
//!   the count, so the owner can still release what it holds).
//! - **Overflow**: a count past [`REFCOUNT_MAX`] becomes
//!   [`REFCOUNT_SATURATED`] (Linux), and stays there under every later
//!   operation: the resource leaks, but is never freed while in use. No
//!   callback fires from or at saturation.
//! - [`set`](Refcounter::set) fires no callback.
//!
//! Mirrors the `Refcounter` class of pyrefcount (`refcount/__init__.py`)
//! and `include/linux/refcount.h`
//! ([v6.12](https://github.com/torvalds/linux/blob/v6.12/include/linux/refcount.h)).

mod atomic;
mod plain;
mod value;

pub use atomic::AtomicRefcounter;
pub use plain::Refcounter;
pub use value::RefcountedValue;

use crate::error::RefcountError;

/// The largest valid count: `i32::MAX`. Mirrors Linux's `REFCOUNT_MAX`.
pub const REFCOUNT_MAX: u32 = i32::MAX as u32;

/// The value a counter sticks at after an overflow: `0xC000_0000`, halfway
/// between [`REFCOUNT_MAX`] and `u32::MAX`, so about 2^30 racing
/// increments or decrements still read as saturated. Mirrors Linux's
/// `REFCOUNT_SATURATED` (`INT_MIN / 2`) — and is CPython 3.14's
/// `_Py_IMMORTAL_INITIAL_REFCNT`, chosen for the same reason.
pub const REFCOUNT_SATURATED: u32 = 0xC000_0000;

/// Any value above the valid range reads as saturated.
#[inline]
const fn is_saturated(count: u32) -> bool {
    count > REFCOUNT_MAX
}

/// The outcome of adding `n` to `old`, shared by both flavours.
#[derive(Clone, Copy)]
struct Added {
    new: u32,
    acquire: bool,
}

/// Adding to a saturated count changes nothing (`None`); adding past
/// [`REFCOUNT_MAX`] saturates without a callback; adding anything, 0
/// included, to 0 fires `acquire`.
#[inline]
fn after_add(old: u32, n: u32) -> Option<Added> {
    if is_saturated(old) {
        return None;
    }
    Some(match old.checked_add(n) {
        Some(new) if new <= REFCOUNT_MAX => Added {
            new,
            acquire: old == 0,
        },
        _ => Added {
            new: REFCOUNT_SATURATED,
            acquire: false,
        },
    })
}

/// The outcome of subtracting `n` from `old`: `Ok(None)` leaves a saturated
/// count alone; `Err` refuses an underflow; otherwise the new count, which
/// fires `release` when it is 0.
#[inline]
fn after_sub(old: u32, n: u32) -> Result<Option<u32>, RefcountError> {
    if is_saturated(old) {
        return Ok(None);
    }
    match old.checked_sub(n) {
        Some(new) => Ok(Some(new)),
        None => Err(underflow(old, n)),
    }
}

#[cold]
#[inline(never)]
fn underflow(count: u32, by: u32) -> RefcountError {
    RefcountError::Underflow { count, by }
}

/// A stored count, normalised so that a request past the valid range
/// reads exactly [`REFCOUNT_SATURATED`].
#[inline]
const fn normalised(n: u32) -> u32 {
    if is_saturated(n) {
        REFCOUNT_SATURATED
    } else {
        n
    }
}
