//! A counted object for the biased-counting suites (`biased`,
//! `stress_biased`): an [`FtHeader`] followed by a dealloc counter and a
//! plain payload.
//!
//! "Deallocating" an object bumps its counter, wherever that happens (a
//! decrement returning [`Decref::Dead`], the owner's merge, a thread's
//! exit, an abandoned object's merge), so a test can assert afterwards
//! that it happened exactly once; [`Obj::free`] releases the memory at the
//! end and checks that count. It also overwrites the payload, which every
//! holder reads (non-atomically) before giving up its reference: Miri and
//! ThreadSanitizer then report a dealloc that the counter failed to order
//! after some holder's last use.
#![allow(dead_code)]

use core::cell::UnsafeCell;
use core::ptr::NonNull;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Once;

use object_header::biased::{set_dealloc_hook, Decref, FtHeader};
use object_header::CountError;

/// The object: a biased header first (the dealloc hook casts the header
/// pointer back to the object), then what the tests observe.
#[repr(C)]
pub struct TestObj {
    pub header: FtHeader,
    pub deallocs: AtomicUsize,
    /// [`ALIVE`] until the dealloc writes [`DEAD`].
    payload: UnsafeCell<u64>,
}

/// The payload of a live object.
pub const ALIVE: u64 = 0xA11E;
/// The payload after the dealloc.
pub const DEAD: u64 = 0xDEAD;

/// The process-wide dealloc hook of these suites: bumps the object's
/// dealloc count. The memory is released by [`Obj::free`].
///
/// # Safety
/// - `op` is the header of a live `TestObj`, with the provenance of the
///   whole object (it came through [`Obj::decref`], which decrements via
///   `FtHeader::decref_raw`).
pub unsafe fn count_dealloc(op: NonNull<FtHeader>) {
    // SAFETY: first bullet; `header` is `TestObj`'s first field (repr(C)),
    // so the header pointer is the object pointer.
    let obj = unsafe { op.cast::<TestObj>().as_ref() };
    // SAFETY: the count reached 0, so every holder has given up its
    // reference after its last read; that this write is ordered after
    // those reads is what the race detectors check.
    unsafe { *obj.payload.get() = DEAD };
    obj.deallocs.fetch_add(1, Ordering::SeqCst);
}

/// Installs [`count_dealloc`], once per process: a second
/// `set_dealloc_hook` with the same function may see another address and
/// be refused.
pub fn install_hook() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        if let Err(other) = set_dealloc_hook(count_dealloc) {
            panic!("another dealloc hook ({other:p}) is installed");
        }
    });
}

/// An owning handle to a boxed [`TestObj`]. Threads share it by reference;
/// [`Obj::free`] consumes it once no borrow is left.
#[derive(Debug)]
pub struct Obj(NonNull<TestObj>);

// SAFETY: a `TestObj` is atomics plus a payload that holders only read
// and the one dealloc writes after the count reached 0 (the ordering the
// tests check); the box is released only by `free`, which takes the
// handle by value (no borrow, hence no other thread, is left).
unsafe impl Send for Obj {}
// SAFETY: as for `Send`.
unsafe impl Sync for Obj {}

impl Obj {
    /// A new object owned by the calling thread, count 1.
    pub fn new() -> Obj {
        install_hook();
        let boxed = Box::new(TestObj {
            header: FtHeader::new_owned(),
            deallocs: AtomicUsize::new(0),
            payload: UnsafeCell::new(ALIVE),
        });
        Obj(NonNull::new(Box::into_raw(boxed)).expect("a box is never null"))
    }

    pub fn header(&self) -> &FtHeader {
        // SAFETY: the box lives until `free` consumes this handle.
        unsafe { &self.0.as_ref().header }
    }

    pub fn deallocs(&self) -> usize {
        // SAFETY: as in `header`.
        unsafe { self.0.as_ref() }.deallocs.load(Ordering::SeqCst)
    }

    /// `(ob_tid, ob_ref_local, ob_ref_shared)`.
    pub fn fields(&self) -> (usize, u32, isize) {
        let h = self.header();
        (
            h.ob_tid.load(Ordering::SeqCst),
            h.ob_ref_local.load(Ordering::SeqCst),
            h.ob_ref_shared.load(Ordering::SeqCst),
        )
    }

    pub fn incref(&self) {
        self.header().incref();
    }

    /// A holder's use of the object: a plain read of the payload.
    pub fn payload(&self) -> u64 {
        // SAFETY: the box is live (as in `header`); the only write is the
        // dealloc's, which the counter orders after every holder's use.
        unsafe { *self.0.as_ref().payload.get() }
    }

    /// Gives up a reference through the whole-object pointer (so a queued
    /// reference keeps the object's provenance) and deallocates on
    /// [`Decref::Dead`].
    pub fn try_decref(&self) -> Result<Decref, CountError> {
        // The holder's last use, which the dealloc must come after.
        core::hint::black_box(self.payload());
        // SAFETY: the box is live (as in `header`) and `self.0` points to
        // the whole object, whose first field is the header; the test
        // gives up a reference it holds.
        let result = unsafe { FtHeader::decref_raw(self.0.cast()) };
        if result == Ok(Decref::Dead) {
            self.dealloc();
        }
        result
    }

    /// As [`Obj::try_decref`], panicking on a refused decrement.
    pub fn decref(&self) -> Decref {
        self.try_decref()
            .unwrap_or_else(|err| panic!("decref refused: {err}"))
    }

    /// What the caller of a decrement that returned `Dead` does.
    pub fn dealloc(&self) {
        // SAFETY: `self.0` is a live `TestObj` with whole-object provenance
        // (the first bullet of `count_dealloc`).
        unsafe { count_dealloc(self.0.cast()) }
    }

    /// Releases the memory after checking the object was deallocated
    /// exactly once.
    pub fn free(self) {
        assert_eq!(self.deallocs(), 1, "object at {:p}", self.0);
        assert_eq!(self.payload(), DEAD);
        self.release();
    }

    /// Releases the memory of an immortal object, never deallocated.
    pub fn free_immortal(self) {
        assert!(self.header().is_immortal());
        assert_eq!(self.deallocs(), 0, "object at {:p}", self.0);
        assert_eq!(self.payload(), ALIVE);
        self.release();
    }

    fn release(self) {
        // SAFETY: `self.0` came from `Box::into_raw` in `new` and is released
        // only here; taking `self` by value means no borrow is left, and
        // a deallocated object is in no merge queue any more.
        drop(unsafe { Box::from_raw(self.0.as_ptr()) });
    }
}
