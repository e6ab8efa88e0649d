//! The objects the biased benches count, and how they are kept: a
//! free-threaded `RustType` for `Ref<FtObject>` members, and leaked
//! (`&'static`) values, so helper threads need no handle of their own and
//! no count moves outside the timed loops. Values the contended groups
//! share sit on 128-byte-aligned lines of their own.

use std::sync::Arc;

use objmodel::prelude::*;
use objmodel::types::ft::FtObject;

/// A free-threaded object type with a `u64` payload.
pub static SHARED: RustType<u64, FtObject> = RustType::new("Shared");

pub fn leak<T>(value: T) -> &'static T {
    Box::leak(Box::new(value))
}

/// A value on 128-byte-aligned lines of its own, so no allocator
/// neighbour (a hammer's stop flag, a barrier) shares the counts' cache
/// line: only the layout under test decides what does.
#[repr(align(128))]
pub struct Isolated<T>(pub T);

/// Leaks `value` on lines of its own.
pub fn leak_isolated<T>(value: T) -> &'static T {
    &Box::leak(Box::new(Isolated(value))).0
}

/// An `Arc` whose counts start a 128-byte-aligned block of their own.
pub fn isolated_arc() -> &'static Arc<Isolated<u64>> {
    leak(Arc::new(Isolated(0)))
}
