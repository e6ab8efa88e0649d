//! Random operation sequences on a count word, checked after every step
//! against a plain model: an `i64` count, an immortal flag, the static
//! flag, and CPython 3.14's documented thresholds.

use object_header::{CountError, CountWord, Released};
use proptest::prelude::*;

/// Sequence length; Miri interprets every step, so it gets shorter runs.
const MAX_OPS: usize = if cfg!(miri) { 16 } else { 64 };

const MINIMUM: i64 = 1 << 31;
const INITIAL: i64 = 3 << 30;

#[derive(Debug, Clone)]
enum Op {
    Incref,
    Decref,
    Add(usize),
    Set(isize),
    MakeImmortal,
    SetMortal(u32),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => Just(Op::Incref),
        6 => Just(Op::Decref),
        2 => (0usize..8).prop_map(Op::Add),
        1 => prop_oneof![Just((1usize << 31) - 3), Just(usize::MAX)].prop_map(Op::Add),
        2 => (-2isize..6).prop_map(Op::Set),
        1 => prop_oneof![Just(MINIMUM as isize - 1), Just(MINIMUM as isize + 7), Just(1isize << 33)]
            .prop_map(Op::Set),
        1 => Just(Op::MakeImmortal),
        1 => prop_oneof![(0u32..4), Just(1u32 << 31)].prop_map(Op::SetMortal),
    ]
}

/// The model: the count as an `i64` and the flags.
struct Model {
    count: i64,
    flags: u16,
}

impl Model {
    fn immortal(&self) -> bool {
        self.count >= MINIMUM
    }

    /// Applies `op` and returns what the word must answer.
    fn apply(&mut self, op: &Op) -> Result<Option<Released>, CountError> {
        match *op {
            Op::Incref => {
                if self.count < INITIAL {
                    self.count += 1;
                }
                Ok(None)
            }
            Op::Decref => {
                if self.count == 0 {
                    return Err(CountError::BelowZero { raw: self.raw() });
                }
                if self.immortal() {
                    return Ok(Some(Released::Immortal));
                }
                self.count -= 1;
                Ok(Some(if self.count == 0 {
                    Released::Last
                } else {
                    Released::Live
                }))
            }
            Op::Add(n) => {
                if !self.immortal() {
                    self.count = (self.count + n.min(1 << 40) as i64).min(MINIMUM);
                    if self.count >= MINIMUM {
                        self.count = INITIAL;
                    }
                }
                Ok(None)
            }
            Op::Set(n) => {
                if n < 0 {
                    return Err(CountError::NegativeRequest { requested: n });
                }
                if !self.immortal() {
                    self.count = if n as i64 > u32::MAX as i64 {
                        INITIAL
                    } else {
                        n as i64
                    };
                }
                Ok(None)
            }
            Op::MakeImmortal => {
                if !self.immortal() {
                    self.count = INITIAL;
                    self.flags = 1;
                }
                Ok(None)
            }
            Op::SetMortal(n) => {
                if !self.immortal() {
                    return Err(CountError::NotImmortal { raw: self.raw() });
                }
                if n as i64 >= MINIMUM {
                    return Err(CountError::MortalOutOfRange { requested: n });
                }
                self.count = n as i64;
                Ok(None)
            }
        }
    }

    fn raw(&self) -> u64 {
        (self.count as u64) | ((self.flags as u64) << 48)
    }
}

fn run(word: &CountWord, op: &Op) -> Result<Option<Released>, CountError> {
    match *op {
        Op::Incref => {
            word.incref();
            Ok(None)
        }
        Op::Decref => word.decref().map(Some),
        Op::Add(n) => {
            word.add(n);
            Ok(None)
        }
        Op::Set(n) => word.set_refcnt(n).map(|()| None),
        Op::MakeImmortal => {
            word.make_immortal();
            Ok(None)
        }
        Op::SetMortal(n) => word.set_mortal(n).map(|()| None),
    }
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

    /// Every step: the same answer as the model, the same count, the same
    /// flags, and the immortality predicate agrees; an error changes
    /// nothing.
    #[test]
    fn count_word_matches_the_i64_model(
        start in prop_oneof![0u32..4, Just((1u32 << 31) - 1)],
        static_start in any::<bool>(),
        ops in prop::collection::vec(op(), 1..MAX_OPS),
    ) {
        let (word, mut model) = if static_start {
            (CountWord::new_static_immortal(), Model { count: INITIAL, flags: 5 })
        } else {
            (CountWord::new(start), Model { count: start as i64, flags: 0 })
        };
        for op in &ops {
            let before = word.raw();
            let want = model.apply(op);
            let got = run(&word, op);
            prop_assert_eq!(&got, &want, "op {:?}", op);
            if got.is_err() {
                prop_assert_eq!(word.raw(), before, "a refused {:?} changed the word", op);
            }
            prop_assert_eq!(word.refcnt() as i64, model.count);
            prop_assert_eq!(word.flags(), model.flags);
            prop_assert_eq!(word.is_immortal(), model.immortal());
            prop_assert_eq!(word.is_static_immortal(), model.flags & 4 != 0);
        }
    }
}
