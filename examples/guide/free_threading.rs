//! Chapter 8: free threading and biased reference counting. One object
//! goes through the state machine across two threads.

use std::io::{self, Write};
use std::sync::atomic::AtomicUsize;
use std::sync::atomic::Ordering::Relaxed;

use objmodel::cpython::ft::*;

#[repr(C)]
struct Shared {
    ob_base: PyObject,
    value: u64,
}

static FREED: AtomicUsize = AtomicUsize::new(0);

unsafe extern "C" fn shared_dealloc(op: *mut PyObject) {
    FREED.fetch_add(1, Relaxed);
    // SAFETY: the count of `op` reached 0; the block is freed once, here.
    unsafe { PyObject_Free(op.cast()) }
}

static SHARED: PyTypeObject = PyTypeObject {
    tp_name: "Shared",
    tp_basicsize: std::mem::size_of::<Shared>() as Py_ssize_t,
    tp_dealloc: Some(shared_dealloc),
    ..PyTypeObject::DEFAULT
};

/// An object pointer the other thread may use.
#[derive(Clone, Copy)]
struct Ptr(*mut PyObject);
// SAFETY: a free-threaded object is counted with atomics by any thread.
unsafe impl Send for Ptr {}

impl Ptr {
    fn get(self) -> *mut PyObject {
        self.0
    }
}

/// One line: who acted, what it did, and the header afterwards.
///
/// # Safety
/// - `op` is a live free-threaded object.
unsafe fn state(thread: &str, action: &str, op: *mut PyObject, owner_tid: usize) -> String {
    // SAFETY: first bullet.
    let (tid, local, shared) = unsafe {
        (
            (*op).ob_tid.load(Relaxed),
            (*op).ob_ref_local.load(Relaxed),
            (*op).ob_ref_shared.load(Relaxed),
        )
    };
    let owner = if tid == owner_tid {
        "owner"
    } else if tid == _Py_UNOWNED_TID {
        "none"
    } else {
        "other"
    };
    let bits = shared & _Py_REF_SHARED_FLAG_MASK;
    let name = [
        (_Py_REF_SHARED_INIT, "INIT"),
        (_Py_REF_MAYBE_WEAKREF, "MAYBE_WEAKREF"),
        (_Py_REF_QUEUED, "QUEUED"),
        (_Py_REF_MERGED, "MERGED"),
    ]
    .into_iter()
    .find_map(|(state, name)| (state == bits).then_some(name))
    .expect("two bits, four states");
    format!(
        "  {thread:<6} {action:<28} ob_tid {owner:<5} local {local}  shared {:>2}  {name:<6} refcnt {}",
        shared >> _Py_REF_SHARED_SHIFT,
        // SAFETY: first bullet.
        unsafe { Py_REFCNT(op) }
    )
}

/// Creates an object on this thread, hands a reference to a second
/// thread, and follows the header until the object is freed.
pub fn run(out: &mut impl Write) -> io::Result<()> {
    let ty = std::ptr::addr_of!(SHARED).cast_mut();
    let me = _Py_ThreadId();
    // SAFETY: a readied static type; each reference is given up once, by
    // the thread the action names; the object is live until the last line.
    unsafe {
        assert_eq!(PyType_Ready(ty), 0);
        let op = PyType_GenericAlloc(ty, 0);
        writeln!(out, "{}", state("main", "PyType_GenericAlloc", op, me))?;
        Py_INCREF(op); // a reference for the other thread
        writeln!(
            out,
            "{}",
            state("main", "Py_INCREF (for the thread)", op, me)
        )?;

        let p = Ptr(op);
        let lines = std::thread::spawn(move || {
            let op = p.get();
            let mut lines = Vec::new();
            Py_INCREF(op);
            lines.push(state("thread", "Py_INCREF: shared half", op, me));
            Py_DECREF(op);
            lines.push(state("thread", "Py_DECREF: shared half", op, me));
            Py_DECREF(op);
            lines.push(state("thread", "Py_DECREF: nothing to take", op, me));
            lines.push("         -> queued to the owner's merge queue".to_owned());
            lines
        })
        .join()
        .expect("the thread does not panic");
        for line in lines {
            writeln!(out, "{line}")?;
        }

        let merged = _Py_brc_merge_refcounts();
        writeln!(
            out,
            "{}",
            state("main", &format!("safepoint: merged {merged}"), op, me)
        )?;
        writeln!(
            out,
            "         -> the owner gave up ownership; every thread counts atomically"
        )?;
        Py_DECREF(op);
        writeln!(
            out,
            "  main   Py_DECREF: shared 1 -> 0, dealloc; freed {}",
            FREED.load(Relaxed)
        )?;

        writeln!(out, "\nThe owner's fast path, no other thread involved:")?;
        let op = PyType_GenericAlloc(ty, 0);
        Py_INCREF(op);
        writeln!(out, "{}", state("main", "alloc, Py_INCREF", op, me))?;
        Py_DECREF(op);
        writeln!(out, "{}", state("main", "Py_DECREF", op, me))?;
        Py_DECREF(op);
        writeln!(
            out,
            "  main   Py_DECREF: local 0, shared 0: dead at once; freed {}",
            FREED.load(Relaxed)
        )?;
    }
    Ok(())
}
