//! The default build's count word: CPython 3.14's `ob_refcnt` union on a
//! 64-bit machine.

use core::cell::Cell;
use core::mem::{align_of, size_of};

use crate::counting::{RefCount, Released};
use crate::error::CountError;
use crate::immortal::{
    _Py_IMMORTAL_FLAGS, _Py_IMMORTAL_INITIAL_REFCNT, _Py_IMMORTAL_MINIMUM_REFCNT,
    _Py_STATICALLY_ALLOCATED_FLAG, _Py_STATIC_IMMORTAL_INITIAL_REFCNT,
};

/// Low 32 bits above this value mean a count that was decremented below
/// zero and wrapped; CPython's debug `Py_DECREF` tests
/// `ob_refcnt > UINT32_MAX - (1 << 20)`.
const WRAPPED_BELOW_ZERO: u32 = u32::MAX - (1 << 20);

const COUNT_MASK: u64 = 0xFFFF_FFFF;
const FLAGS_SHIFT: u32 = 48;
const OVERFLOW_SHIFT: u32 = 32;
const INITIAL: u32 = _Py_IMMORTAL_INITIAL_REFCNT as u32;
const MINIMUM: u32 = _Py_IMMORTAL_MINIMUM_REFCNT as u32;

/// The reference-count word of a default-build object header (64-bit).
/// Mirrors the `ob_refcnt_full` union of CPython 3.14
/// ([Include/object.h](https://github.com/python/cpython/blob/v3.14.0/Include/object.h)).
///
/// ```text
///  63        48 47        32 31                           0
/// +------------+------------+------------------------------+
/// |  ob_flags  | ob_overflow|          ob_refcnt           |
/// +------------+------------+------------------------------+
///   IMMORTAL=1   absorbs the   < 2^31: mortal, counted
///   STATIC=4     carry of an   >= 2^31: immortal, decrement skipped
///                old 64-bit ++ >= 3<<30: increment skipped too
/// ```
///
/// The word is one `u64`, so `ob_refcnt` is its low 32 bits on every
/// endianness (CPython reverses the struct on big-endian for the same
/// effect). It is thread-confined (`!Sync`, invariant H1): counting is a
/// plain load and store, as in CPython's default build.
///
/// # Examples
/// ```
/// use object_header::{CountWord, Released};
///
/// let word = CountWord::new(1);
/// word.incref();
/// assert_eq!(word.refcnt(), 2);
/// assert_eq!(word.decref(), Ok(Released::Live));
/// assert_eq!(word.decref(), Ok(Released::Last)); // the caller deallocates now
/// ```
///
/// Sharing a word between threads does not compile:
/// ```compile_fail
/// fn needs_sync<T: Sync>() {}
/// needs_sync::<object_header::CountWord>();
/// ```
#[repr(C)]
pub struct CountWord {
    full: Cell<u64>,
}

// H1/layout: the word is CPython's 8-byte `ob_refcnt_full`, so the type
// pointer of the header that embeds it lands at offset 8.
const _: () = assert!(size_of::<CountWord>() == 8);
const _: () = assert!(align_of::<CountWord>() == 8);
// Freeing an object's memory never has to drop its header.
const _: () = assert!(!core::mem::needs_drop::<CountWord>());

impl CountWord {
    /// A mortal word holding `count` (0 is allowed: an object under
    /// construction or a resurrection target). A `count` of `2^31` or more
    /// is immortal from the start, as in CPython.
    #[inline]
    pub const fn new(count: u32) -> Self {
        Self::from_raw(count as u64)
    }

    /// A word made immortal at run time: count `3 << 30`, flag
    /// `_Py_IMMORTAL_FLAGS`. The value [`make_immortal`](Self::make_immortal)
    /// writes.
    #[inline]
    pub const fn new_immortal() -> Self {
        Self::from_raw(_Py_IMMORTAL_INITIAL_REFCNT | ((_Py_IMMORTAL_FLAGS as u64) << FLAGS_SHIFT))
    }

    /// The word of a statically allocated immortal (a `static` object):
    /// `_Py_STATIC_IMMORTAL_INITIAL_REFCNT`. Mirrors `_PyObject_HEAD_INIT`
    /// ([Include/object.h](https://github.com/python/cpython/blob/v3.14.0/Include/object.h)).
    ///
    /// # Examples
    /// ```
    /// use object_header::CountWord;
    /// let none = CountWord::new_static_immortal();
    /// assert!(none.is_immortal() && none.is_static_immortal());
    /// assert_eq!(none.raw(), 0x0005_0000_C000_0000);
    /// ```
    #[inline]
    pub const fn new_static_immortal() -> Self {
        Self::from_raw(_Py_STATIC_IMMORTAL_INITIAL_REFCNT)
    }

    /// A word holding exactly `raw` (all 64 bits), for tests and for
    /// reconstructing a word read from memory.
    #[inline]
    pub const fn from_raw(raw: u64) -> Self {
        CountWord {
            full: Cell::new(raw),
        }
    }

    /// All 64 bits: `ob_refcnt_full`.
    #[inline]
    pub fn raw(&self) -> u64 {
        self.full.get()
    }

    /// The `ob_overflow` half-word (bits 32..48).
    #[inline]
    pub fn overflow(&self) -> u16 {
        (self.full.get() >> OVERFLOW_SHIFT) as u16
    }

    /// The `ob_flags` half-word (bits 48..64).
    #[inline]
    pub fn flags(&self) -> u16 {
        (self.full.get() >> FLAGS_SHIFT) as u16
    }

    /// The reference count, `ob_refcnt` (the low 32 bits). Mirrors
    /// `Py_REFCNT` ([Include/refcount.h](https://github.com/python/cpython/blob/v3.14.0/Include/refcount.h)):
    /// an immortal made so at run time reads 3 221 225 472.
    #[inline]
    pub fn refcnt(&self) -> isize {
        self.full.get() as u32 as isize
    }

    /// Whether the object is immortal: the low 32 bits, read as `i32`, are
    /// negative (`>= 2^31`). Mirrors `_Py_IsImmortal`
    /// ([Include/refcount.h](https://github.com/python/cpython/blob/v3.14.0/Include/refcount.h)).
    #[inline]
    pub fn is_immortal(&self) -> bool {
        (self.full.get() as u32 as i32) < 0
    }

    /// Whether the word carries `_Py_STATICALLY_ALLOCATED_FLAG`. Mirrors
    /// `_Py_IsStaticImmortal`
    /// ([Include/refcount.h](https://github.com/python/cpython/blob/v3.14.0/Include/refcount.h)),
    /// which tests only the flag.
    #[inline]
    pub fn is_static_immortal(&self) -> bool {
        self.flags() & _Py_STATICALLY_ALLOCATED_FLAG != 0
    }

    /// Adds one reference. Mirrors `Py_INCREF` (3.14, 64-bit)
    /// ([Include/refcount.h](https://github.com/python/cpython/blob/v3.14.0/Include/refcount.h)):
    /// skipped when the count is `>= 3 << 30`, so an increment from
    /// `2^31 - 1` makes the object immortal instead of wrapping (H2).
    ///
    /// One load, one compare, one add, one store. The add cannot carry out
    /// of the low 32 bits, so adding to the whole word is exact.
    #[inline]
    pub fn incref(&self) {
        let word = self.full.get();
        if word as u32 >= INITIAL {
            return;
        }
        self.full.set(word + 1);
    }

    /// Gives up one reference. Mirrors `Py_DECREF` (3.14, 64-bit) up to
    /// `_Py_Dealloc`, with the checks of its debug build.
    ///
    /// The fast path is a plain mortal word (flags and overflow clear, count
    /// in `1..2^31`): one load, one compare, one store. An immortal is
    /// answered inline without a store; flagged mortal words and errors go
    /// to an out-of-line cold path.
    ///
    /// # Errors
    /// - [`CountError::BelowZero`] when the count is already 0;
    /// - [`CountError::Corrupted`] when the word is negative as an `i64` or
    ///   its count is above `u32::MAX - 2^20`, values only freed (`0xDD`
    ///   filled) or wrapped memory holds.
    ///
    /// Either way the word is unchanged (H2).
    ///
    /// # Examples
    /// ```
    /// use object_header::{CountError, CountWord, Released};
    /// let word = CountWord::new(1);
    /// assert_eq!(word.decref(), Ok(Released::Last));
    /// assert!(matches!(word.decref(), Err(CountError::BelowZero { .. })));
    /// assert_eq!(word.refcnt(), 0);
    /// ```
    #[inline]
    pub fn decref(&self) -> Result<Released, CountError> {
        let word = self.full.get();
        // One unsigned compare covers "whole word in 1..2^31": zero wraps to
        // u64::MAX, flags or immortal counts are >= 2^31.
        if word.wrapping_sub(1) < _Py_IMMORTAL_MINIMUM_REFCNT - 1 {
            self.full.set(word - 1);
            return Ok(if word == 1 {
                Released::Last
            } else {
                Released::Live
            });
        }
        // A sound immortal (flags may be set, the word is not negative and
        // its count did not wrap) is answered inline: immortals such as
        // `None` are decremented as often as any mortal object.
        let count = word as u32;
        if (MINIMUM..=WRAPPED_BELOW_ZERO).contains(&count) && (word as i64) >= 0 {
            return Ok(Released::Immortal);
        }
        self.decref_slow(word)
    }

    /// Flagged mortal words and errors: rare.
    #[cold]
    #[inline(never)]
    fn decref_slow(&self, word: u64) -> Result<Released, CountError> {
        let count = word as u32;
        if count == 0 {
            return Err(below_zero(word));
        }
        if (word as i64) < 0 || count > WRAPPED_BELOW_ZERO {
            return Err(corrupted(word));
        }
        if count >= MINIMUM {
            return Ok(Released::Immortal);
        }
        // A mortal count under flags (a static object made mortal again by
        // `set_mortal`): decrement the low 32 bits only.
        self.full.set(word - 1);
        Ok(if count == 1 {
            Released::Last
        } else {
            Released::Live
        })
    }

    /// Sets the count. Mirrors `Py_SET_REFCNT` (3.14, 64-bit)
    /// ([Include/refcount.h](https://github.com/python/cpython/blob/v3.14.0/Include/refcount.h)):
    /// no effect on an immortal; otherwise the low 32 bits become `n`.
    ///
    /// CPython truncates an `n` above `u32::MAX` to 32 bits; objmodel
    /// instead saturates it to `3 << 30` (immortal), the free-threaded
    /// build's rule, so the count never wraps (H2). An `n` in
    /// `[2^31, 2^32)` is stored as given and is immortal, as in CPython.
    ///
    /// # Errors
    /// [`CountError::NegativeRequest`] for `n < 0` (CPython asserts); the
    /// word is unchanged.
    pub fn set_refcnt(&self, n: isize) -> Result<(), CountError> {
        if n < 0 {
            return Err(negative_request(n));
        }
        if self.is_immortal() {
            return Ok(());
        }
        let count = u32::try_from(n).unwrap_or(INITIAL);
        self.set_low32(count);
        Ok(())
    }

    /// Adds `n` references at once, saturating into immortality. Mirrors
    /// `_Py_RefcntAdd` (3.14, 64-bit)
    /// ([Include/internal/pycore_object.h](https://github.com/python/cpython/blob/v3.14.0/Include/internal/pycore_object.h)):
    /// no effect on an immortal; a sum of `2^31` or more stores exactly
    /// `3 << 30`.
    ///
    /// # Examples
    /// ```
    /// use object_header::CountWord;
    /// let word = CountWord::new(5);
    /// word.add(1 << 31);
    /// assert!(word.is_immortal());
    /// assert_eq!(word.refcnt(), 3 << 30);
    /// ```
    pub fn add(&self, n: usize) {
        if self.is_immortal() {
            return;
        }
        let sum = (self.full.get() as u32 as u64).saturating_add(n as u64);
        let count = if sum >= _Py_IMMORTAL_MINIMUM_REFCNT {
            INITIAL
        } else {
            sum as u32
        };
        self.set_low32(count);
    }

    /// Makes the object immortal: count `3 << 30`, `ob_flags =
    /// _Py_IMMORTAL_FLAGS`. An object that is already immortal is left
    /// alone, so a static immortal is never downgraded (H3). Mirrors
    /// `_Py_SetImmortalUntracked`
    /// ([Objects/object.c](https://github.com/python/cpython/blob/v3.14.0/Objects/object.c)).
    ///
    /// # Examples
    /// ```
    /// use object_header::CountWord;
    /// let word = CountWord::new(7);
    /// word.make_immortal();
    /// assert_eq!(word.refcnt(), 3_221_225_472);
    /// assert!(word.is_immortal() && !word.is_static_immortal());
    /// ```
    pub fn make_immortal(&self) {
        if self.is_immortal() {
            return;
        }
        let overflow = self.full.get() & (0xFFFF << OVERFLOW_SHIFT);
        self.full.set(
            overflow | ((_Py_IMMORTAL_FLAGS as u64) << FLAGS_SHIFT) | _Py_IMMORTAL_INITIAL_REFCNT,
        );
    }

    /// Rewrites the whole word to `_Py_STATIC_IMMORTAL_INITIAL_REFCNT`:
    /// count `3 << 30` with both the immortal and the statically-allocated
    /// flag. For objects whose memory is never freed, initialised at run
    /// time rather than in a `static` initialiser.
    pub fn make_static_immortal(&self) {
        self.full.set(_Py_STATIC_IMMORTAL_INITIAL_REFCNT);
    }

    /// Makes an immortal object mortal again with count `n`, for runtime
    /// finalisation. Mirrors `_Py_SetMortal`
    /// ([Include/internal/pycore_object.h](https://github.com/python/cpython/blob/v3.14.0/Include/internal/pycore_object.h)):
    /// only the low 32 bits change, the flags stay (so a static object
    /// still reports [`is_static_immortal`](Self::is_static_immortal), as in
    /// CPython, whose test reads the flag only).
    ///
    /// # Errors
    /// [`CountError::NotImmortal`] if the word is mortal (CPython asserts),
    /// [`CountError::MortalOutOfRange`] if `n >= 2^31`; the word is
    /// unchanged.
    pub fn set_mortal(&self, n: u32) -> Result<(), CountError> {
        if !self.is_immortal() {
            return Err(not_immortal(self.full.get()));
        }
        if n >= MINIMUM {
            return Err(CountError::MortalOutOfRange { requested: n });
        }
        self.set_low32(n);
        Ok(())
    }

    #[inline]
    fn set_low32(&self, count: u32) {
        self.full
            .set((self.full.get() & !COUNT_MASK) | u64::from(count));
    }
}

impl Default for CountWord {
    /// A new object's count: 1.
    fn default() -> Self {
        CountWord::new(1)
    }
}

impl core::fmt::Debug for CountWord {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("CountWord")
            .field("refcnt", &(self.full.get() as u32))
            .field("overflow", &self.overflow())
            .field("flags", &self.flags())
            .finish()
    }
}

impl RefCount for CountWord {
    #[inline]
    fn new_reference() -> Self {
        CountWord::new(1)
    }
    #[inline]
    fn incref(&self) {
        CountWord::incref(self)
    }
    #[inline]
    fn decref(&self) -> Result<Released, CountError> {
        CountWord::decref(self)
    }
    #[inline]
    fn refcnt(&self) -> isize {
        CountWord::refcnt(self)
    }
    #[inline]
    fn set_refcnt(&self, n: isize) -> Result<(), CountError> {
        CountWord::set_refcnt(self, n)
    }
    #[inline]
    fn is_immortal(&self) -> bool {
        CountWord::is_immortal(self)
    }
    #[inline]
    fn make_immortal(&self) {
        CountWord::make_immortal(self)
    }
}

#[cold]
#[inline(never)]
fn below_zero(raw: u64) -> CountError {
    CountError::BelowZero { raw }
}

#[cold]
#[inline(never)]
fn corrupted(raw: u64) -> CountError {
    CountError::Corrupted { raw }
}

#[cold]
#[inline(never)]
fn negative_request(requested: isize) -> CountError {
    CountError::NegativeRequest { requested }
}

#[cold]
#[inline(never)]
fn not_immortal(raw: u64) -> CountError {
    CountError::NotImmortal { raw }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// IMM-06: an incref at `3 << 30` writes nothing.
    #[test]
    fn incref_at_initial_immortal_value_changes_nothing() {
        let word = CountWord::new_immortal();
        let before = word.raw();
        word.incref();
        assert_eq!(word.raw(), before);
    }

    /// IMM-06: a count in `[2^31, 3<<30)` is immortal; increfs raise it to
    /// `3 << 30` and stop, decrefs do nothing.
    #[test]
    fn count_between_thresholds_drifts_up_to_initial_and_stays() {
        let word = CountWord::new(MINIMUM + 5);
        assert!(word.is_immortal());
        assert_eq!(word.decref(), Ok(Released::Immortal));
        assert_eq!(word.refcnt(), (MINIMUM + 5) as isize);
        word.add(0);
        for _ in 0..3 {
            word.incref();
        }
        assert_eq!(word.refcnt(), (MINIMUM + 8) as isize);
        let word = CountWord::new(INITIAL - 1);
        word.incref();
        word.incref();
        assert_eq!(word.refcnt(), INITIAL as isize);
    }

    /// IMM-07: an incref from `2^31 - 1` immortalises instead of wrapping.
    #[test]
    fn incref_from_max_mortal_becomes_immortal() {
        let word = CountWord::new(MINIMUM - 1);
        assert!(!word.is_immortal());
        word.incref();
        assert!(word.is_immortal());
        assert_eq!(word.refcnt(), MINIMUM as isize);
    }

    /// H2 / `_Py_NegativeRefcount`: the 0xDD fill of freed memory is
    /// reported, not decremented.
    #[test]
    fn decref_of_freed_fill_pattern_is_reported_as_corrupted() {
        let word = CountWord::from_raw(0xDDDD_DDDD_DDDD_DDDD);
        assert_eq!(
            word.decref(),
            Err(CountError::Corrupted {
                raw: 0xDDDD_DDDD_DDDD_DDDD
            })
        );
        assert_eq!(word.raw(), 0xDDDD_DDDD_DDDD_DDDD);
    }

    /// `_Py_NegativeRefcount`: a low word that wrapped below zero is
    /// reported.
    #[test]
    fn decref_of_wrapped_count_is_reported_as_corrupted() {
        let word = CountWord::new(u32::MAX);
        assert!(matches!(word.decref(), Err(CountError::Corrupted { .. })));
        assert_eq!(word.refcnt(), u32::MAX as isize);
    }

    #[test]
    fn decref_of_flagged_mortal_word_counts_the_low_bits_only() {
        let word = CountWord::new_static_immortal();
        word.set_mortal(2).unwrap();
        assert_eq!(word.decref(), Ok(Released::Live));
        assert_eq!(word.decref(), Ok(Released::Last));
        assert_eq!(word.flags(), 5);
        assert!(matches!(word.decref(), Err(CountError::BelowZero { .. })));
    }

    #[test]
    fn set_refcnt_above_u32_saturates_to_immortal_instead_of_truncating() {
        let word = CountWord::new(3);
        word.set_refcnt((1 << 32) + 1).unwrap();
        assert!(word.is_immortal());
        assert_eq!(word.refcnt(), INITIAL as isize);
    }

    #[test]
    fn set_mortal_refuses_mortal_words_and_immortal_counts() {
        let word = CountWord::new(3);
        assert!(matches!(
            word.set_mortal(1),
            Err(CountError::NotImmortal { .. })
        ));
        word.make_immortal();
        assert_eq!(
            word.set_mortal(MINIMUM),
            Err(CountError::MortalOutOfRange { requested: MINIMUM })
        );
        assert!(word.is_immortal());
        word.set_mortal(1).unwrap();
        assert_eq!(word.decref(), Ok(Released::Last));
    }

    #[test]
    fn error_messages_name_negative_ref_count_and_the_count() {
        let word = CountWord::new(0);
        let err = word.decref().unwrap_err();
        let text = err.to_string();
        assert!(text.contains("negative ref count"), "{text}");
        assert!(text.contains("count 0"), "{text}");
        assert_eq!(err.count(), Some(0));
    }
}
