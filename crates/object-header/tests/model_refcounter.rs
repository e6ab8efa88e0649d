//! Random operation sequences on both refcounter flavours, checked after
//! every step against a plain model: an `i64` count with Linux's saturation
//! and pyrefcount's callbacks and underflow rule.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use object_header::{
    AtomicRefcounter, RefcountError, Refcounter, REFCOUNT_MAX, REFCOUNT_SATURATED,
};
use proptest::prelude::*;

/// Sequence length; Miri interprets every step, so it gets shorter runs.
const MAX_OPS: usize = if cfg!(miri) { 16 } else { 64 };

#[derive(Debug, Clone)]
enum Op {
    Inc,
    Add(u32),
    IncNotZero,
    AddNotZero(u32),
    Dec,
    Sub(u32),
    DecAndTest,
    SubAndTest(u32),
    DecIfOne,
    DecNotOne,
    Set(u32),
}

fn amount() -> impl Strategy<Value = u32> {
    prop_oneof![8 => 0u32..5, 1 => Just(REFCOUNT_MAX), 1 => Just(u32::MAX)]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        Just(Op::Inc),
        amount().prop_map(Op::Add),
        Just(Op::IncNotZero),
        amount().prop_map(Op::AddNotZero),
        Just(Op::Dec),
        amount().prop_map(Op::Sub),
        Just(Op::DecAndTest),
        amount().prop_map(Op::SubAndTest),
        Just(Op::DecIfOne),
        Just(Op::DecNotOne),
        prop_oneof![0u32..4, Just(REFCOUNT_MAX), Just(REFCOUNT_MAX + 1)].prop_map(Op::Set),
    ]
}

/// What an operation answered: a bool, a test result, or nothing.
#[derive(Debug, PartialEq)]
enum Answer {
    Unit(Result<(), RefcountError>),
    Bool(bool),
    Test(Result<bool, RefcountError>),
}

#[derive(Default)]
struct Model {
    count: i64,
    acquires: usize,
    releases: usize,
}

const SAT: i64 = REFCOUNT_SATURATED as i64;
const MAX: i64 = REFCOUNT_MAX as i64;

impl Model {
    fn saturated(&self) -> bool {
        self.count > MAX
    }
    fn add(&mut self, n: u32, fire: bool) {
        if self.saturated() {
            return;
        }
        let old = self.count;
        self.count += n as i64;
        if self.count > MAX {
            self.count = SAT;
        } else if old == 0 && fire {
            self.acquires += 1;
        }
    }
    fn sub(&mut self, n: u32) -> Result<bool, RefcountError> {
        if self.saturated() {
            return Ok(false);
        }
        if (n as i64) > self.count {
            return Err(RefcountError::Underflow {
                count: self.count as u32,
                by: n,
            });
        }
        self.count -= n as i64;
        if self.count == 0 {
            self.releases += 1;
        }
        Ok(self.count == 0)
    }
    fn apply(&mut self, op: &Op) -> Answer {
        match *op {
            Op::Inc => {
                self.add(1, true);
                Answer::Unit(Ok(()))
            }
            Op::Add(n) => {
                self.add(n, true);
                Answer::Unit(Ok(()))
            }
            Op::IncNotZero | Op::AddNotZero(_) => {
                let n = if let Op::AddNotZero(n) = *op { n } else { 1 };
                if self.count == 0 {
                    return Answer::Bool(false);
                }
                self.add(n, false);
                Answer::Bool(true)
            }
            Op::Dec => Answer::Unit(self.sub(1).map(drop)),
            Op::Sub(n) => Answer::Unit(self.sub(n).map(drop)),
            Op::DecAndTest => Answer::Test(self.sub(1)),
            Op::SubAndTest(n) => Answer::Test(self.sub(n)),
            Op::DecIfOne => {
                if self.count != 1 {
                    return Answer::Bool(false);
                }
                self.count = 0;
                self.releases += 1;
                Answer::Bool(true)
            }
            Op::DecNotOne => {
                if self.count == 1 {
                    return Answer::Bool(false);
                }
                if self.count > 1 && !self.saturated() {
                    self.count -= 1;
                }
                Answer::Bool(true)
            }
            Op::Set(n) => {
                self.count = if n as i64 > MAX { SAT } else { n as i64 };
                Answer::Unit(Ok(()))
            }
        }
    }
}

macro_rules! run_op {
    ($c:expr, $op:expr) => {
        match *$op {
            Op::Inc => Answer::Unit(Ok($c.inc())),
            Op::Add(n) => Answer::Unit(Ok($c.add(n))),
            Op::IncNotZero => Answer::Bool($c.inc_not_zero()),
            Op::AddNotZero(n) => Answer::Bool($c.add_not_zero(n)),
            Op::Dec => Answer::Unit($c.dec()),
            Op::Sub(n) => Answer::Unit($c.sub(n)),
            Op::DecAndTest => Answer::Test($c.dec_and_test()),
            Op::SubAndTest(n) => Answer::Test($c.sub_and_test(n)),
            Op::DecIfOne => Answer::Bool($c.dec_if_one()),
            Op::DecNotOne => Answer::Bool($c.dec_not_one()),
            Op::Set(n) => Answer::Unit(Ok($c.set(n))),
        }
    };
}

fn counter(
    acquires: &Arc<AtomicUsize>,
    releases: &Arc<AtomicUsize>,
) -> (
    impl Fn() + Send + Sync + 'static,
    impl Fn() + Send + Sync + 'static,
) {
    let (a, r) = (acquires.clone(), releases.clone());
    (
        move || {
            a.fetch_add(1, Ordering::Relaxed);
        },
        move || {
            r.fetch_add(1, Ordering::Relaxed);
        },
    )
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: if cfg!(miri) { 8 } else { 512 },
        failure_persistence: if cfg!(miri) {
            None
        } else {
            ProptestConfig::default().failure_persistence
        },
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config())]

    /// Both flavours answer as the model, hold its count, and fired exactly
    /// its callbacks, after every step.
    #[test]
    fn refcounters_match_the_i64_model(
        start in prop_oneof![0u32..4, Just(REFCOUNT_MAX), Just(REFCOUNT_SATURATED)],
        ops in prop::collection::vec(op(), 1..MAX_OPS),
    ) {
        let calls: [Arc<AtomicUsize>; 4] = Default::default();
        let (pa, pr) = counter(&calls[0], &calls[1]);
        let plain = Refcounter::new(start).on_acquire(pa).on_release(pr);
        let (aa, ar) = counter(&calls[2], &calls[3]);
        let atomic = AtomicRefcounter::new(start).on_acquire(aa).on_release(ar);
        let mut model = Model { count: start as i64, ..Model::default() };
        for op in &ops {
            let want = model.apply(op);
            prop_assert_eq!(&run_op!(plain, op), &want, "plain {:?}", op);
            prop_assert_eq!(&run_op!(atomic, op), &want, "atomic {:?}", op);
            prop_assert_eq!(plain.usecount() as i64, model.count);
            prop_assert_eq!(atomic.usecount() as i64, model.count);
            prop_assert_eq!(plain.is_saturated(), model.saturated());
            let fired: Vec<usize> = calls.iter().map(|c| c.load(Ordering::Relaxed)).collect();
            prop_assert_eq!(
                fired,
                vec![model.acquires, model.releases, model.acquires, model.releases]
            );
        }
    }
}
