//! The atomics and locks the lock-free counters use: `core`'s and `std`'s
//! in normal builds, loom's when the crate is built with `--cfg loom` so
//! that loom can explore every interleaving of the model tests.

#[cfg(loom)]
pub(crate) use loom::sync::atomic::{
    fence, AtomicIsize, AtomicU16, AtomicU32, AtomicU8, AtomicUsize, Ordering,
};
#[cfg(loom)]
pub(crate) use loom::sync::Mutex;

#[cfg(not(loom))]
pub(crate) use core::sync::atomic::{
    fence, AtomicIsize, AtomicU16, AtomicU32, AtomicU8, AtomicUsize, Ordering,
};
#[cfg(not(loom))]
pub(crate) use std::sync::Mutex;
