//! CPython's immortality cases (IMM-01, IMM-06..08 of the semantics notes;
//! `Lib/test/test_capi/test_immortal.py`) and the default-build counting
//! rules of `Include/refcount.h`, on the count word.

use object_header::immortal::{
    _Py_IMMORTAL_FLAGS, _Py_IMMORTAL_INITIAL_REFCNT, _Py_IMMORTAL_MINIMUM_REFCNT,
    _Py_STATICALLY_ALLOCATED_FLAG, _Py_STATIC_IMMORTAL_INITIAL_REFCNT,
};
use object_header::{CountError, CountWord, RefCount, Released};

const DECREFS: usize = if cfg!(miri) { 1_000 } else { 10_000 };

/// IMM-01 `verify_immortality`: once immortal, 10 000 decrefs leave
/// `Py_REFCNT` (and the whole word) unchanged.
#[test]
fn ten_thousand_decrefs_leave_an_immortal_unchanged() {
    for word in [CountWord::new_immortal(), CountWord::new_static_immortal()] {
        let before = word.raw();
        for _ in 0..DECREFS {
            assert_eq!(word.decref(), Ok(Released::Immortal));
        }
        assert_eq!(word.raw(), before);
        assert_eq!(word.refcnt(), 3_221_225_472);
    }
}

/// IMM-01 on an object made immortal at run time from a mortal count.
#[test]
fn an_object_made_immortal_survives_ten_thousand_decrefs() {
    let word = CountWord::new(1);
    word.make_immortal();
    for _ in 0..DECREFS {
        assert_eq!(word.decref(), Ok(Released::Immortal));
    }
    assert!(word.is_immortal());
    assert_eq!(word.refcnt(), _Py_IMMORTAL_INITIAL_REFCNT as isize);
}

/// IMM-06: an incref at `3 << 30` changes nothing, on either kind of
/// immortal.
#[test]
fn incref_of_an_immortal_writes_nothing() {
    for word in [CountWord::new_immortal(), CountWord::new_static_immortal()] {
        let before = word.raw();
        for _ in 0..100 {
            word.incref();
        }
        assert_eq!(word.raw(), before);
    }
}

/// IMM-07: `_Py_RefcntAdd` to `>= 2^31` stores exactly `3 << 30`; below
/// that it adds.
#[test]
fn add_past_two_to_the_31_saturates_to_initial_immortal_value() {
    let word = CountWord::new(10);
    word.add(20);
    assert_eq!(word.refcnt(), 30);
    word.add((_Py_IMMORTAL_MINIMUM_REFCNT - 30) as usize);
    assert_eq!(word.refcnt(), _Py_IMMORTAL_INITIAL_REFCNT as isize);
    assert!(word.is_immortal());
    let word = CountWord::new(1);
    word.add(usize::MAX);
    assert_eq!(word.refcnt(), _Py_IMMORTAL_INITIAL_REFCNT as isize);
}

/// IMM-07: an add just short of `2^31` stays mortal.
#[test]
fn add_to_max_mortal_stays_mortal() {
    let word = CountWord::new(1);
    word.add((_Py_IMMORTAL_MINIMUM_REFCNT - 2) as usize);
    assert_eq!(word.refcnt(), (_Py_IMMORTAL_MINIMUM_REFCNT - 1) as isize);
    assert!(!word.is_immortal());
}

/// IMM-08: `Py_SET_REFCNT` on an immortal is a no-op.
#[test]
fn set_refcnt_on_an_immortal_is_ignored() {
    for word in [CountWord::new_immortal(), CountWord::new_static_immortal()] {
        let before = word.raw();
        word.set_refcnt(1).unwrap();
        word.set_refcnt(0).unwrap();
        assert_eq!(word.raw(), before);
    }
}

/// IMM-08: `_Py_SetImmortal` leaves a static immortal's word
/// (`0xC000_0000 | 5 << 48`) unchanged: it is never downgraded.
#[test]
fn make_immortal_never_downgrades_a_static_immortal() {
    let word = CountWord::new_static_immortal();
    word.make_immortal();
    assert_eq!(word.raw(), 0x0005_0000_C000_0000);
    assert_eq!(word.raw(), _Py_STATIC_IMMORTAL_INITIAL_REFCNT);
    assert!(word.is_static_immortal());
}

/// IMM-08: after `_Py_SetImmortal`, `Py_REFCNT` is 3 221 225 472 and the
/// flags are `_Py_IMMORTAL_FLAGS` only.
#[test]
fn make_immortal_sets_initial_count_and_immortal_flag() {
    let word = CountWord::new(42);
    word.make_immortal();
    assert_eq!(word.refcnt(), 3_221_225_472);
    assert_eq!(word.flags(), _Py_IMMORTAL_FLAGS);
    assert!(!word.is_static_immortal());
}

/// The 3.14 static word carries both flags: `_Py_STATICALLY_ALLOCATED_FLAG`
/// and `_Py_IMMORTAL_FLAGS`, at bit 48.
#[test]
fn static_immortal_word_has_both_flags_at_bit_48() {
    let word = CountWord::from_raw(0);
    word.make_static_immortal();
    assert_eq!(
        word.flags(),
        _Py_STATICALLY_ALLOCATED_FLAG | _Py_IMMORTAL_FLAGS
    );
    assert_eq!(word.overflow(), 0);
    assert_eq!(word.refcnt(), 3 << 30);
}

/// `_Py_SetMortal`: a runtime immortal becomes mortal with the given count
/// and is counted again.
#[test]
fn set_mortal_makes_an_immortal_countable_again() {
    let word = CountWord::new(1);
    word.make_immortal();
    word.set_mortal(1).unwrap();
    assert!(!word.is_immortal());
    assert_eq!(word.decref(), Ok(Released::Last));
}

/// `Py_SET_REFCNT` with a negative count is an error (CPython asserts) that
/// leaves the word as it was.
#[test]
fn set_refcnt_negative_is_refused() {
    let word = CountWord::new(3);
    assert_eq!(
        word.set_refcnt(-1),
        Err(CountError::NegativeRequest { requested: -1 })
    );
    assert_eq!(word.refcnt(), 3);
}

/// `Py_SET_REFCNT` with `n` in `[2^31, 2^32)` stores `n`, which is immortal.
#[test]
fn set_refcnt_into_the_immortal_range_makes_the_word_immortal() {
    let word = CountWord::new(3);
    word.set_refcnt(1 << 31).unwrap();
    assert!(word.is_immortal());
    assert_eq!(word.refcnt(), 1 << 31);
}

/// CAPI-10 (default build, checked): `Py_SET_REFCNT(o, 0); Py_DECREF(o)` is
/// reported as a negative ref count, and the count is not wrapped.
#[test]
fn decref_after_set_refcnt_zero_is_reported_and_not_wrapped() {
    let word = CountWord::new(5);
    word.set_refcnt(0).unwrap();
    let err = word.decref().unwrap_err();
    assert_eq!(err, CountError::BelowZero { raw: 0 });
    assert!(err.to_string().contains("negative ref count"));
    assert_eq!(word.raw(), 0);
}

/// CAPI-01 at the word level: two increfs and three decrefs of a new
/// object balance, and only the last reports `Last`.
#[test]
fn increfs_and_decrefs_balance() {
    let word = CountWord::new_reference();
    word.incref();
    word.incref();
    assert_eq!(RefCount::refcnt(&word), 3);
    assert_eq!(word.decref(), Ok(Released::Live));
    assert_eq!(word.decref(), Ok(Released::Live));
    assert_eq!(word.decref(), Ok(Released::Last));
}
