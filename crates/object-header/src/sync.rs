//! The atomics the lock-free counters use: `core`'s in normal builds,
//! loom's when the crate is built with `--cfg loom` so that loom can
//! explore every interleaving of the model tests.

#[cfg(loom)]
pub(crate) use loom::sync::atomic::{fence, AtomicU32, Ordering};

#[cfg(not(loom))]
pub(crate) use core::sync::atomic::{fence, AtomicU32, Ordering};
