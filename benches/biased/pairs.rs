//! The pairs each member times, one per counter, besides the `Rc`, `Arc`
//! and `CountWord` pairs of the shared support (`support::pairs`, which
//! `refcount` times too).
//!
//! The three biased headers (objmodel's [`FtHeader`] and the two
//! experiments of [`layouts`](crate::layouts)) share one pair,
//! [`biased_pair`], through [`BiasedCount`]; a `Ref<FtObject>` pair is
//! `Ref::clone` + drop.

use std::hint::black_box;
use std::sync::Arc;

use objmodel::header::biased::{Decref, FtHeader};
use objmodel::prelude::*;
use objmodel::types::ft::FtObject;

use crate::layouts::{PaddedHeader, SplitHeader};
use crate::objects::Isolated;
use crate::support::pairs::{arc_pair, dealloc_stub};

/// A biased count: what [`biased_pair`] calls.
pub trait BiasedCount {
    fn incref(&self);
    fn decref(&self) -> Result<Decref, CountError>;
}

impl BiasedCount for FtHeader {
    #[inline(always)]
    fn incref(&self) {
        FtHeader::incref(self)
    }

    #[inline(always)]
    fn decref(&self) -> Result<Decref, CountError> {
        FtHeader::decref(self)
    }
}

impl BiasedCount for PaddedHeader {
    #[inline(always)]
    fn incref(&self) {
        PaddedHeader::incref(self)
    }

    #[inline(always)]
    fn decref(&self) -> Result<Decref, CountError> {
        PaddedHeader::decref(self)
    }
}

impl BiasedCount for SplitHeader {
    #[inline(always)]
    fn incref(&self) {
        SplitHeader::incref(self)
    }

    #[inline(always)]
    fn decref(&self) -> Result<Decref, CountError> {
        SplitHeader::decref(self)
    }
}

/// `incref` + `decref` of a biased header; a decrement to zero would branch
/// to the dealloc stub.
#[inline(always)]
pub fn biased_pair<H: BiasedCount>(h: &H) {
    black_box(h).incref();
    if black_box(h).decref() == Ok(Decref::Dead) {
        dealloc_stub();
    }
}

/// `Ref::clone` + drop of a free-threaded object.
#[inline(always)]
pub fn ref_pair(r: &Ref<u64, FtObject>) {
    drop(black_box(Ref::clone(black_box(r))));
}

// The pairs of `biased/owner-pair-contended`, each one out-of-line
// function that a counter's alone, contended and control members all
// call: the same code at the same address, so only the other thread
// differs. (Inlined copies of one pair, identical but for registers,
// differ by up to 2x between loops placed at different addresses.)

/// [`arc_pair`], out of line.
#[inline(never)]
pub fn arc_pair_outlined(arc: &Arc<Isolated<u64>>) {
    arc_pair(arc)
}

/// [`biased_pair`], out of line: one function per header type.
#[inline(never)]
pub fn biased_pair_outlined<H: BiasedCount>(h: &H) {
    biased_pair(h)
}
