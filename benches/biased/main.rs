//! Biased (free-threaded) reference counting against `Rc`, `Arc` and the
//! default build's count word, one criterion group per comparison, each
//! with its baselines in the same run:
//!
//! - `biased/owner-pair`: increment+decrement by the owning thread.
//! - `biased/non-owner-pair`: the same by a thread that does not own the
//!   object (created on a helper thread that stays alive).
//! - `biased/owner-pair-contended`: the owner's pair while a second thread
//!   loops non-owner pairs on the same object's shared count; the same for
//!   `Arc`; a control where the second thread hammers another object; and
//!   two experimental layouts ([`PaddedHeader`], [`SplitHeader`]). Each
//!   member reports on stderr how much of the time the threads were on a
//!   CPU, which a shared machine does not promise.
//! - `biased/two-threads-same-object`: the bench thread and a helper each
//!   run the same number of pairs on one object at the same time; the time
//!   is the wall time until both are done.
//! - `biased/cross-thread-decref+merge`: per object, a helper thread's
//!   decrement that goes to the owner's merge queue plus the owner's merge,
//!   against an `Arc` dropped on the helper.
//! - `biased/channel-2-threads`: batches of handles sent through
//!   `std::sync::mpsc` to a consumer thread that drops them.
//!
//! Black-box discipline as in `refcount.rs` (`support::pairs`): every operand goes through
//! `black_box`, and each decrement's result is compared in place and
//! branches to an out-of-line dealloc stub, the shape of `Rc::drop`. The
//! decrement's whole `Result` never goes through `black_box`: that would
//! time a store-forwarding stall on its spilled bytes, not the counter.
//!
//! Targets (issue: the biased benchmark): owner pair <= 1.2x `Rc`;
//! non-owner pair <= 1.1x `Arc`; owner pair while another thread hammers
//! the shared count <= 2x the owner pair alone.
//!
//! Objects shared with helper threads are leaked (`&'static`), so the
//! helpers need no handle of their own and no count moves outside the
//! timed loops.

// criterion_group! generates an undocumented `pub fn`.
#![allow(missing_docs)]

#[path = "../support/mod.rs"]
mod support;

mod channel;
mod contended;
mod hammer;
mod layouts;
mod merge;
mod objects;
mod owner;
mod pairs;
mod threads;
mod two_threads;

use criterion::{criterion_group, criterion_main};
#[cfg(doc)]
use layouts::{PaddedHeader, SplitHeader};

criterion_group!(
    benches,
    owner::owner_pair,
    owner::non_owner_pair,
    contended::owner_pair_contended,
    two_threads::two_threads_same_object,
    merge::cross_thread_decref_merge,
    channel::channel_2_threads
);
criterion_main!(benches);
