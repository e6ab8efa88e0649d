//! Helpers shared by the refcounter suites: callback counters and a macro
//! that runs one body of tests against both flavours.
#![allow(dead_code)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// Counts how often `acquire` and `release` fired.
#[derive(Clone, Default)]
pub struct Calls {
    acquires: Arc<AtomicUsize>,
    releases: Arc<AtomicUsize>,
}

impl Calls {
    pub fn acquires(&self) -> usize {
        self.acquires.load(Ordering::SeqCst)
    }
    pub fn releases(&self) -> usize {
        self.releases.load(Ordering::SeqCst)
    }
    pub fn on_acquire(&self) -> impl Fn() + Send + Sync + 'static {
        let n = self.acquires.clone();
        move || {
            n.fetch_add(1, Ordering::SeqCst);
        }
    }
    pub fn on_release(&self) -> impl Fn() + Send + Sync + 'static {
        let n = self.releases.clone();
        move || {
            n.fetch_add(1, Ordering::SeqCst);
        }
    }
}

/// Expands `$body` twice: in `mod plain` with `Counter = Refcounter` and in
/// `mod atomic` with `Counter = AtomicRefcounter`. The body may call
/// `counted(n)` for a counter at `n` with both callbacks recorded.
#[macro_export]
macro_rules! for_both_flavours {
    ($($body:tt)*) => {
        mod plain {
            #[allow(unused_imports)]
            use super::*;
            type Counter = object_header::Refcounter;
            #[allow(dead_code)]
            fn counted(n: u32) -> (Counter, $crate::common::Calls) {
                let calls = $crate::common::Calls::default();
                let c = Counter::new(n).on_acquire(calls.on_acquire()).on_release(calls.on_release());
                (c, calls)
            }
            $($body)*
        }
        mod atomic {
            #[allow(unused_imports)]
            use super::*;
            type Counter = object_header::AtomicRefcounter;
            #[allow(dead_code)]
            fn counted(n: u32) -> (Counter, $crate::common::Calls) {
                let calls = $crate::common::Calls::default();
                let c = Counter::new(n).on_acquire(calls.on_acquire()).on_release(calls.on_release());
                (c, calls)
            }
            $($body)*
        }
    };
}
