//! The pyrefcount package's doctests (`refcount/__init__.py`) and the rules
//! derived from its source, ported as PYRC-01..13 of the semantics notes.
//! Each runs against both `Refcounter` and `AtomicRefcounter`.

mod common;

use object_header::{RefcountError, RefcountedValue, Refcounter};

for_both_flavours! {
    use object_header::RefcountError;

    /// PYRC-01 `dec()` doctest: 1 -> 0, and the next `dec()` raises
    /// `UnderflowException`; here an `Underflow` error, count still 0.
    #[test]
    fn dec_from_one_reaches_zero_then_underflows_and_stays_zero() {
        let c = Counter::default();
        c.dec().unwrap();
        assert_eq!(c.usecount(), 0);
        assert_eq!(c.dec(), Err(RefcountError::Underflow { count: 0, by: 1 }));
        assert_eq!(c.usecount(), 0);
    }

    /// PYRC-02 `add()` / `add_not_zero()` doctests.
    #[test]
    fn add_two_from_one_gives_three_and_add_not_zero_refuses_at_zero() {
        let c = Counter::default();
        c.add(2);
        assert_eq!(c.usecount(), 3);
        let z = Counter::new(0);
        assert!(!z.add_not_zero(2));
        assert_eq!(z.usecount(), 0);
    }

    /// PYRC-03 `inc()` / `inc_not_zero()` doctests.
    #[test]
    fn inc_from_one_gives_two_and_inc_not_zero_refuses_at_zero() {
        let c = Counter::default();
        c.inc();
        assert_eq!(c.usecount(), 2);
        let z = Counter::new(0);
        assert!(!z.inc_not_zero());
        assert_eq!(z.usecount(), 0);
    }

    /// PYRC-04 `sub()` doctest: `Refcounter(usecount=3).sub(2)` leaves 1.
    #[test]
    fn sub_two_from_three_leaves_one() {
        let c = Counter::new(3);
        c.sub(2).unwrap();
        assert_eq!(c.usecount(), 1);
    }

    /// PYRC-05 `sub_and_test()` doctest: `inc()` then `sub_and_test(2)`.
    #[test]
    fn inc_then_sub_and_test_two_is_true() {
        let c = Counter::default();
        c.inc();
        assert_eq!(c.sub_and_test(2), Ok(true));
    }

    /// PYRC-06 `release` doctest: "no more users" after `inc`, `dec`, `dec`.
    #[test]
    fn release_fires_after_inc_dec_dec() {
        let (c, calls) = counted(1);
        c.inc();
        c.dec().unwrap();
        assert_eq!(calls.releases(), 0);
        c.dec().unwrap();
        assert_eq!(calls.releases(), 1);
    }

    /// PYRC-07 `dec_and_test()` doctest: from 1, true (and `release` fires).
    #[test]
    fn dec_and_test_from_one_is_true_and_fires_release() {
        let (c, calls) = counted(1);
        assert_eq!(c.dec_and_test(), Ok(true));
        assert_eq!(calls.releases(), 1);
    }

    /// PYRC-08 and PYRC-13: the `usecount` setter sets, and fires nothing.
    #[test]
    fn set_stores_the_count_and_fires_no_callback() {
        let (c, calls) = counted(1);
        c.set(4);
        assert_eq!(c.usecount(), 4);
        c.set(0);
        c.set(2);
        assert_eq!((calls.acquires(), calls.releases()), (0, 0));
    }

    /// PYRC-10: `acquire` fires once after an `inc`/`add` from 0, `add(0)`
    /// included, and never from `*_not_zero`.
    #[test]
    fn acquire_fires_once_per_start_from_zero_including_add_zero() {
        let (c, calls) = counted(0);
        assert!(!c.inc_not_zero());
        assert!(!c.add_not_zero(3));
        assert_eq!(calls.acquires(), 0);
        c.add(0);
        assert_eq!((c.usecount(), calls.acquires()), (0, 1));
        c.inc();
        assert_eq!((c.usecount(), calls.acquires()), (1, 2));
        c.add(5);
        assert!(c.inc_not_zero());
        assert_eq!(calls.acquires(), 2);
        assert_eq!(c.usecount(), 7);
    }

    /// PYRC-11: `release` fires once after every decrement ending at 0, and
    /// never above 0.
    #[test]
    fn release_fires_once_per_decrement_ending_at_zero() {
        let (c, calls) = counted(3);
        c.dec().unwrap();
        assert_eq!(c.sub_and_test(1), Ok(false));
        assert_eq!(calls.releases(), 0);
        assert_eq!(c.sub_and_test(1), Ok(true));
        assert_eq!(calls.releases(), 1);
        c.add(2);
        c.sub(2).unwrap();
        assert_eq!(calls.releases(), 2);
        c.inc();
        assert!(c.dec_if_one());
        assert_eq!(calls.releases(), 3);
    }

    /// PYRC-12: a refused `sub(n > count)` or `dec()` at 0 changes nothing
    /// and fires nothing.
    #[test]
    fn refused_decrements_change_nothing_and_fire_nothing() {
        let (c, calls) = counted(2);
        assert_eq!(c.sub(3), Err(RefcountError::Underflow { count: 2, by: 3 }));
        assert_eq!(c.sub_and_test(5), Err(RefcountError::Underflow { count: 2, by: 5 }));
        assert_eq!(c.usecount(), 2);
        c.set(0);
        assert!(c.dec().is_err());
        assert!(c.dec_and_test().is_err());
        assert_eq!(c.usecount(), 0);
        assert_eq!((calls.acquires(), calls.releases()), (0, 0));
    }

    /// pyrefcount's producer/consumer example, by intent: the first consumer
    /// starts the producer (`inc_not_zero` false -> `inc`), the last one
    /// stops it (`dec_and_test` true).
    #[test]
    fn first_consumer_starts_and_last_consumer_stops_the_producer() {
        let (consumers, calls) = counted(0);
        for _ in 0..3 {
            if !consumers.inc_not_zero() {
                consumers.inc();
            }
        }
        assert_eq!(calls.acquires(), 1);
        let stops = (0..3).filter(|_| consumers.dec_and_test().unwrap()).count();
        assert_eq!((stops, calls.releases()), (1, 1));
    }
}

/// PYRC-09 `RefcountedValue` doctest: `.value` is readable at 1; after
/// `dec()` reading it fails with an error that names the condition.
#[test]
fn refcounted_value_is_unreadable_at_zero() {
    let v = RefcountedValue::new(true);
    assert_eq!(v.value(), Ok(&true));
    v.dec().unwrap();
    let err = v.value().unwrap_err();
    assert_eq!(err, RefcountError::Unreferenced);
    assert!(err.to_string().contains("no reference count"), "{err}");
}

/// PYRC-09, setter half: pyrefcount's `.value` setter also raises at 0.
#[test]
fn refcounted_value_refuses_writes_at_zero_and_keeps_the_old_value() {
    let mut v = RefcountedValue::with_counter(1, Refcounter::new(1));
    v.set_value(2).unwrap();
    v.dec().unwrap();
    assert_eq!(v.set_value(3), Err(RefcountError::Unreferenced));
    v.inc();
    assert_eq!(v.value(), Ok(&2));
    assert_eq!(v.into_inner(), 2);
}

/// The underflow error says "underflow" and shows both numbers.
#[test]
fn underflow_message_names_the_count_and_the_amount() {
    let text = Refcounter::new(2).sub(7).unwrap_err().to_string();
    assert!(text.contains("underflow"), "{text}");
    assert!(text.contains('2') && text.contains('7'), "{text}");
}
