//! Linux LKDTM's refcount cases (`drivers/misc/lkdtm/refcount.c`) as they
//! apply to objmodel's policy (RCT-01..07 of the semantics notes): overflow
//! saturates at `REFCOUNT_SATURATED` and sticks; an underflow is refused,
//! unchanged; `*_not_zero` refuses at 0. Each runs against both flavours.

mod common;

for_both_flavours! {
    use object_header::{RefcountError, REFCOUNT_MAX, REFCOUNT_SATURATED};

    /// RCT-01 `REFCOUNT_INC_OVERFLOW`: an increment from `REFCOUNT_MAX`
    /// saturates.
    #[test]
    fn inc_from_max_saturates() {
        let (c, calls) = counted(REFCOUNT_MAX);
        c.inc();
        assert!(c.is_saturated());
        assert_eq!(c.usecount(), REFCOUNT_SATURATED);
        assert_eq!(calls.acquires(), 0);
    }

    /// RCT-01 `REFCOUNT_ADD_OVERFLOW`: an add past `REFCOUNT_MAX` saturates.
    #[test]
    fn add_past_max_saturates() {
        let c = Counter::new(REFCOUNT_MAX - 1);
        c.add(4);
        assert_eq!(c.usecount(), REFCOUNT_SATURATED);
        let c = Counter::new(5);
        c.add(u32::MAX);
        assert_eq!(c.usecount(), REFCOUNT_SATURATED);
    }

    /// RCT-01 `REFCOUNT_INC_NOT_ZERO_OVERFLOW`, `ADD_NOT_ZERO_OVERFLOW`.
    #[test]
    fn not_zero_increments_past_max_saturate_and_succeed() {
        let c = Counter::new(REFCOUNT_MAX);
        assert!(c.inc_not_zero());
        assert_eq!(c.usecount(), REFCOUNT_SATURATED);
        let c = Counter::new(REFCOUNT_MAX - 1);
        assert!(c.add_not_zero(2));
        assert_eq!(c.usecount(), REFCOUNT_SATURATED);
    }

    /// An add from 0 that saturates fires no `acquire` (no callback from
    /// saturation).
    #[test]
    fn add_from_zero_that_saturates_fires_no_callback() {
        let (c, calls) = counted(0);
        c.add(u32::MAX);
        assert!(c.is_saturated());
        assert_eq!(calls.acquires(), 0);
    }

    /// RCT-02 `REFCOUNT_DEC_NEGATIVE`, `DEC_AND_TEST_NEGATIVE`: decrements
    /// at 0 are refused and the count stays 0 (Linux saturates instead).
    #[test]
    fn decrements_at_zero_are_refused_and_count_stays_zero() {
        let (c, calls) = counted(0);
        assert_eq!(c.dec(), Err(RefcountError::Underflow { count: 0, by: 1 }));
        assert_eq!(c.dec_and_test(), Err(RefcountError::Underflow { count: 0, by: 1 }));
        assert_eq!(c.usecount(), 0);
        assert_eq!(calls.releases(), 0);
    }

    /// RCT-02 `REFCOUNT_SUB_AND_TEST_NEGATIVE`: a subtraction past 0 is
    /// refused, the count stays at its start value.
    #[test]
    fn sub_and_test_past_zero_is_refused_and_count_keeps_start_value() {
        let c = Counter::new(3);
        assert_eq!(c.sub_and_test(4), Err(RefcountError::Underflow { count: 3, by: 4 }));
        assert_eq!(c.usecount(), 3);
    }

    /// RCT-02 `REFCOUNT_SUB_AND_TEST_ZERO`: a subtraction to exactly 0
    /// answers true.
    #[test]
    fn sub_and_test_to_exactly_zero_is_true() {
        let (c, calls) = counted(3);
        assert_eq!(c.sub_and_test(3), Ok(true));
        assert_eq!(c.usecount(), 0);
        assert_eq!(calls.releases(), 1);
    }

    /// RCT-03 `REFCOUNT_INC_ZERO`, `ADD_ZERO` (the `*_not_zero` half): they
    /// refuse at 0 and the count stays 0.
    #[test]
    fn not_zero_increments_refuse_at_zero() {
        let (c, calls) = counted(0);
        assert!(!c.inc_not_zero());
        assert!(!c.add_not_zero(7));
        assert_eq!(c.usecount(), 0);
        assert_eq!(calls.acquires(), 0);
    }

    /// RCT-03, plain half, pyrefcount's rule: a plain inc/add from 0 sets
    /// the count and fires `acquire` (Linux would warn of use-after-free).
    #[test]
    fn plain_increments_from_zero_set_the_count_and_fire_acquire() {
        let (c, calls) = counted(0);
        c.add(3);
        assert_eq!((c.usecount(), calls.acquires()), (3, 1));
    }

    /// RCT-04 `{INC,DEC,ADD,INC_NOT_ZERO,ADD_NOT_ZERO,DEC_AND_TEST,
    /// SUB_AND_TEST}_SATURATED`: every operation leaves a saturated counter
    /// saturated, with no error and no callback.
    #[test]
    fn every_operation_leaves_a_saturated_counter_saturated() {
        let (c, calls) = counted(REFCOUNT_SATURATED);
        assert!(c.is_saturated());
        c.inc();
        c.add(1000);
        assert!(c.inc_not_zero());
        assert!(c.add_not_zero(5));
        assert_eq!(c.dec(), Ok(()));
        assert_eq!(c.sub(1 << 30), Ok(()));
        assert_eq!(c.dec_and_test(), Ok(false));
        assert_eq!(c.sub_and_test(u32::MAX), Ok(false));
        assert!(c.dec_not_one());
        assert!(!c.dec_if_one());
        assert_eq!(c.usecount(), REFCOUNT_SATURATED);
        assert_eq!((calls.acquires(), calls.releases()), (0, 0));
    }

    /// A count set or created past the valid range reads as exactly
    /// saturated.
    #[test]
    fn values_past_max_are_stored_as_saturated() {
        assert_eq!(Counter::new(REFCOUNT_MAX + 1).usecount(), REFCOUNT_SATURATED);
        let c = Counter::new(1);
        c.set(u32::MAX);
        assert_eq!(c.usecount(), REFCOUNT_SATURATED);
        c.set(REFCOUNT_MAX);
        assert!(!c.is_saturated());
    }

    /// RCT-06 `refcount_dec_if_one`: 1 -> 0, true, fires `release`; any
    /// other value: false, unchanged.
    #[test]
    fn dec_if_one_only_takes_one_to_zero() {
        let (c, calls) = counted(2);
        assert!(!c.dec_if_one());
        assert_eq!(c.usecount(), 2);
        c.dec().unwrap();
        assert!(c.dec_if_one());
        assert_eq!((c.usecount(), calls.releases()), (0, 1));
        assert!(!c.dec_if_one());
        assert_eq!((c.usecount(), calls.releases()), (0, 1));
    }

    /// RCT-07 `refcount_dec_not_one`: false at 1 (unchanged), decrements
    /// above 1, true and unchanged when saturated.
    #[test]
    fn dec_not_one_never_releases_the_last_reference() {
        let (c, calls) = counted(3);
        assert!(c.dec_not_one());
        assert!(c.dec_not_one());
        assert_eq!(c.usecount(), 1);
        assert!(!c.dec_not_one());
        assert_eq!(c.usecount(), 1);
        assert_eq!(calls.releases(), 0);
        let s = Counter::new(REFCOUNT_SATURATED);
        assert!(s.dec_not_one());
        assert!(s.is_saturated());
    }

    /// `refcount_dec_not_one` at 0: Linux warns of an underflow and answers
    /// true; the count stays 0.
    #[test]
    fn dec_not_one_at_zero_answers_true_and_leaves_zero() {
        let c = Counter::new(0);
        assert!(c.dec_not_one());
        assert_eq!(c.usecount(), 0);
    }
}
