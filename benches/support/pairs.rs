//! One increment+decrement pair per counter, shared by `refcount` and
//! `biased` so both time the same code.
//!
//! Black-box discipline: every operand goes through `black_box`, and each
//! decrement's result is compared in place and branches to an out-of-line
//! [`dealloc_stub`], the shape of `Rc::clone` + `Rc::drop` (which branches
//! to `drop_slow`). Passing the decrement's whole `Result` to `black_box`
//! instead would time a store-forwarding stall on its spilled bytes, not
//! the counter.

use std::hint::black_box;
use std::rc::Rc;
use std::sync::Arc;

use objmodel::prelude::*;

/// Stands in for the dealloc a decrement to zero would dispatch to; never
/// reached in the pair benchmarks, whose counts stay above zero.
#[inline(never)]
pub fn dealloc_stub() {
    black_box(());
}

/// `Rc::clone` + drop.
#[inline(always)]
pub fn rc_pair<T>(rc: &Rc<T>) {
    drop(black_box(Rc::clone(black_box(rc))));
}

/// `Arc::clone` + drop.
#[inline(always)]
pub fn arc_pair<T>(arc: &Arc<T>) {
    drop(black_box(Arc::clone(black_box(arc))));
}

/// The default build's count word: `incref` + `decref`.
#[inline(always)]
pub fn word_pair(word: &CountWord) {
    black_box(word).incref();
    if black_box(word).decref() == Ok(Released::Last) {
        dealloc_stub();
    }
}
