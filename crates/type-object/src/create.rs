//! Creating objects: allocation through the type, then the header.

use core::ptr::{self, NonNull};

use object_header::CountWord;

use crate::alloc::{self, with_default_heap, Heap, ALIGN};
use crate::gc_head::{self, GcHead, PRE_HEADER_SIZE};
use crate::object::Object;
use crate::refs::incref;
use crate::thread_state;
use crate::tracer::{trace, RefTracerEvent};
use crate::type_object::{TypeObject, TPFLAGS_HAVE_GC, TPFLAGS_HEAPTYPE};

/// Initialises a fresh object's header: count 1, type `ty` (increfed when
/// it is a heap type, T3), then CREATE to the tracer. Mirrors
/// `PyObject_Init` / `_Py_NewReference`
/// ([Objects/object.c](https://github.com/python/cpython/blob/v3.14.0/Objects/object.c)).
///
/// # Safety
/// - `op` points to writable memory of at least `ty.tp_basicsize` bytes.
/// - `ty` is a live, readied type.
pub unsafe fn init_object(op: *mut Object, ty: *mut TypeObject) -> *mut Object {
    // SAFETY: second bullet.
    if unsafe { (*ty).is_heap_type() } {
        // SAFETY: second bullet: a live heap type; this is the instance's
        // reference to it.
        unsafe { incref(ty.cast()) };
    }
    // SAFETY: first bullet.
    unsafe {
        op.write(Object {
            ob_refcnt: CountWord::new(1),
            ob_type: ty,
        });
        trace(op, RefTracerEvent::Create);
    }
    op
}

/// The instance size of `ty` with `nitems` items, or `None` on overflow or
/// a negative count.
///
/// # Safety
/// - `ty` is a live type.
#[inline(always)]
unsafe fn instance_size(ty: *mut TypeObject, nitems: isize) -> Option<usize> {
    // SAFETY: first bullet.
    let (basic, item) = unsafe { ((*ty).tp_basicsize, (*ty).tp_itemsize) };
    if nitems == 0 && item >= 0 {
        // The fixed-size case: no product to check.
        return usize::try_from(basic).ok();
    }
    let items = usize::try_from(nitems)
        .ok()?
        .checked_mul(usize::try_from(item).ok()?)?;
    usize::try_from(basic).ok()?.checked_add(items)
}

/// Allocates a zeroed instance of `ty` with `nitems` items from `heap`,
/// header initialised. An instance of a `Py_TPFLAGS_HAVE_GC` type gets its
/// GC header in front ([`GcHead`], untracked), as `_PyType_AllocNoTrack`
/// does; tracking is the collector's business. Null when the size
/// overflows or memory runs out.
///
/// # Safety
/// - `ty` is a live, readied type whose `tp_free` is empty or
///   [`alloc::generic_free`] (for a GC type: empty).
#[inline]
pub unsafe fn alloc_in(heap: &Heap, ty: *mut TypeObject, nitems: isize) -> *mut Object {
    if thread_state::hooks() & thread_state::HOOKS_EVENTS == 0 {
        // SAFETY: first bullet; no tracer and no checked heap here.
        if let Some(op) = unsafe { alloc_fast(heap, ty, nitems) } {
            return op.as_ptr();
        }
    }
    // SAFETY: first bullet.
    unsafe { alloc_in_slow(heap, ty, nitems) }
}

/// The largest block [`alloc_fast`] serves: its zeroing is inline stores.
const FAST_MAX: usize = 128;

/// The allocation most objects take: no tracer, no checked heap, a block
/// of at most [`FAST_MAX`] bytes from a pool that stays listed. `None`,
/// having changed nothing, when any of that fails; [`alloc_in_slow`] then
/// does the whole work. No calls, so the caller needs no stack frame.
///
/// # Safety
/// - As [`alloc_in`].
/// - This thread's [`thread_state::hooks`] has no
///   [`HOOKS_EVENTS`](thread_state::HOOKS_EVENTS) bit (so `heap` is
///   unchecked: a checked heap sets HOOK_CHECKED on the one thread that can
///   use it).
#[inline(always)]
unsafe fn alloc_fast(heap: &Heap, ty: *mut TypeObject, nitems: isize) -> Option<NonNull<Object>> {
    debug_assert!(!heap.is_checked());
    // SAFETY: first bullet.
    let (flags, basic, item) = unsafe { ((*ty).flags(), (*ty).tp_basicsize, (*ty).tp_itemsize) };
    // Every operand is bounded by FAST_MAX before it is used, so no sum or
    // product below can overflow; a negative one fails its bound as a huge
    // unsigned value (and the slow path then reports the overflow).
    let pre = if flags & TPFLAGS_HAVE_GC != 0 {
        PRE_HEADER_SIZE
    } else {
        0
    };
    let size = if nitems == 0 {
        // One sign test for both; `basic + 16` cannot overflow a usize.
        if basic | item < 0 {
            return None;
        }
        basic as usize + pre
    } else {
        let basic = basic as usize;
        if basic > FAST_MAX || nitems as usize > FAST_MAX || item as usize > FAST_MAX {
            return None;
        }
        basic + nitems as usize * item as usize + pre
    };
    // `size - 1`: a zero size wraps and fails the bound too.
    let last = size.wrapping_sub(1);
    if last >= FAST_MAX {
        return None;
    }
    let class = last / ALIGN;
    let block = heap.alloc_small_fast(class)?;
    // SAFETY: a fresh block of class `class`: `(class + 1) * 16` bytes.
    unsafe { zero_class(block.as_ptr(), class) };
    // SAFETY: the object follows the pre-header inside the block, which
    // holds at least `tp_basicsize` bytes after it.
    let op: *mut Object = unsafe { block.as_ptr().add(pre).cast() };
    if flags & TPFLAGS_HEAPTYPE != 0 {
        // SAFETY: first bullet: a live heap type; this is the instance's
        // reference to it (T3).
        unsafe { incref(ty.cast()) };
    }
    // SAFETY: `op` is writable for a header (the block holds the instance).
    unsafe {
        op.write(Object {
            ob_refcnt: CountWord::new(1),
            ob_type: ty,
        })
    };
    // SAFETY: inside a non-null block.
    Some(unsafe { NonNull::new_unchecked(op) })
}

/// [`alloc_in`] in full: any size, a pool's last block or a new pool,
/// the tracer's CREATE and checked mode's registration.
///
/// # Safety
/// - As [`alloc_in`].
#[inline(never)]
unsafe fn alloc_in_slow(heap: &Heap, ty: *mut TypeObject, nitems: isize) -> *mut Object {
    // SAFETY: first bullet.
    let Some(size) = (unsafe { instance_size(ty, nitems) }) else {
        return ptr::null_mut();
    };
    // SAFETY: first bullet.
    let pre = if unsafe { (*ty).is_gc() } {
        PRE_HEADER_SIZE
    } else {
        0
    };
    let Some(size) = size.checked_add(pre) else {
        return ptr::null_mut();
    };
    let Some(block) = heap.alloc(size) else {
        return ptr::null_mut();
    };
    // SAFETY: a fresh heap block of `size` bytes rounded up to its class.
    unsafe { zero(block.as_ptr(), size) };
    // SAFETY: the object follows the pre-header inside the block, which
    // holds at least `tp_basicsize` bytes after it; first bullet.
    let op = unsafe { init_object(block.as_ptr().add(pre).cast(), ty) };
    // SAFETY: the header is written; it stays so until the block is freed.
    unsafe { heap.register(block, NonNull::new_unchecked(op), (*ty).tp_name) };
    op
}

/// Zeroes a block of size class `class` (`(class + 1) * 16` bytes, at most
/// [`FAST_MAX`]) with inline stores, no call: the first and the last
/// 16, 32 or 64 bytes, overlapping when the block is smaller than twice
/// that, so one test per doubling picks the stores.
///
/// # Safety
/// - `p` is 16-byte aligned and valid for writes of `(class + 1) * 16`
///   bytes, and `class < FAST_MAX / 16`.
#[inline(always)]
unsafe fn zero_class(p: *mut u8, class: usize) {
    type Chunk = [u64; 2];
    const _: () = assert!(FAST_MAX == 8 * ALIGN);
    // The offset of the block's last 16 bytes.
    let last = class * ALIGN;
    // SAFETY: (every arm) first bullet: each store lies in
    // `p .. p + (class + 1) * 16`, 16-byte aligned; the arm's bound on
    // `class` keeps `last - 16` and `last - 48` at or above 0 where used.
    unsafe {
        if class < 2 {
            p.cast::<Chunk>().write([0; 2]);
            p.add(last).cast::<Chunk>().write([0; 2]);
        } else if class < 4 {
            p.cast::<[Chunk; 2]>().write([[0; 2]; 2]);
            p.add(last - ALIGN).cast::<[Chunk; 2]>().write([[0; 2]; 2]);
        } else {
            p.cast::<[Chunk; 4]>().write([[0; 2]; 4]);
            p.add(last - 3 * ALIGN)
                .cast::<[Chunk; 4]>()
                .write([[0; 2]; 4]);
        }
    }
}

/// Zeroes `size` bytes at `p`. The common object sizes get inline stores
/// instead of a call to `memset`, which costs more than the stores.
///
/// # Safety
/// - `p` is 16-byte aligned and valid for writes of `size` rounded up to
///   a multiple of 16 (a heap block: blocks come in 16-byte classes).
#[inline(always)]
unsafe fn zero(p: *mut u8, size: usize) {
    type Chunk = [u64; 2];
    // SAFETY: (every arm) first bullet; each arm writes at most `size`
    // rounded up to 16 bytes, in aligned 16-byte chunks.
    unsafe {
        match size {
            0..=16 => ptr::write_bytes(p, 0, size),
            17..=32 => p.cast::<[Chunk; 2]>().write([[0; 2]; 2]),
            33..=48 => p.cast::<[Chunk; 3]>().write([[0; 2]; 3]),
            49..=64 => p.cast::<[Chunk; 4]>().write([[0; 2]; 4]),
            _ => ptr::write_bytes(p, 0, size),
        }
    }
}

/// Allocates an instance of `ty` from this thread's default heap. Mirrors
/// `PyType_GenericAlloc`
/// ([Objects/typeobject.c](https://github.com/python/cpython/blob/v3.14.0/Objects/typeobject.c)):
/// zeroed payload, count 1, `ob_type` set, a heap type increfed.
///
/// # Safety
/// - As [`alloc_in`].
pub unsafe extern "C" fn generic_alloc(ty: *mut TypeObject, nitems: isize) -> *mut Object {
    let (heap, hooks) = thread_state::with(|s| (s.default_heap.get(), s.hooks.get()));
    // One test: no tracer, no checked heap, and the default heap exists.
    if hooks == 0 {
        // SAFETY: without HOOK_NO_DEFAULT_HEAP the cached default heap is
        // set, and alive while it is (see `with_default_heap`); first
        // bullet; no tracer or checked heap.
        if let Some(op) = unsafe { alloc_fast(&*heap, ty, nitems) } {
            return op.as_ptr();
        }
    }
    // SAFETY: first bullet.
    unsafe { generic_alloc_slow(ty, nitems) }
}

/// [`generic_alloc`] past its fast path. `extern "C"` like its caller, so
/// the call is a jump and the fast path needs no stack frame.
///
/// # Safety
/// - As [`alloc_in`].
#[inline(never)]
unsafe extern "C" fn generic_alloc_slow(ty: *mut TypeObject, nitems: isize) -> *mut Object {
    // SAFETY: first bullet.
    with_default_heap(|heap| unsafe { alloc_in_slow(heap, ty, nitems) })
}

/// Allocates an instance of `ty` from the system allocator (pair it with
/// `tp_free: Some(system_free)`); for benchmarks comparing allocators.
///
/// # Safety
/// - `ty` is a live, readied type whose `tp_free` is
///   [`alloc::system_free`].
pub unsafe extern "C" fn system_type_alloc(ty: *mut TypeObject, nitems: isize) -> *mut Object {
    // SAFETY: first bullet.
    let Some(size) = (unsafe { instance_size(ty, nitems) }) else {
        return ptr::null_mut();
    };
    match alloc::system_alloc(size) {
        // SAFETY: a zeroed block of `size` bytes; first bullet.
        Some(block) => unsafe { init_object(block.as_ptr().cast(), ty) },
        None => ptr::null_mut(),
    }
}

/// Allocates an instance through the type's `tp_alloc` (the generic
/// allocator when it is empty).
///
/// # Safety
/// - `ty` is a live, readied type.
pub unsafe fn alloc_object(ty: *mut TypeObject, nitems: isize) -> Option<NonNull<Object>> {
    // SAFETY: first bullet.
    let alloc = unsafe { (*ty).tp_alloc }.unwrap_or(generic_alloc);
    // SAFETY: first bullet; `tp_alloc` pairs with the type's `tp_free`.
    NonNull::new(unsafe { alloc(ty, nitems) })
}

/// Frees an instance's block through its type's `tp_free` (the generic free
/// when empty, [`gc_del`] for a GC type); the usual last line of a
/// `tp_dealloc`. For a heap type, then releases the instance's reference to
/// its type (T3).
///
/// # Safety
/// - `op`'s count reached 0 and its payload was torn down; `op` is not used
///   again.
pub unsafe fn free_object(op: *mut Object) {
    // SAFETY: first bullet: the header is intact until freed.
    let ty = unsafe { (*op).ob_type };
    // SAFETY: T3: the type outlives its instance.
    let (free, gc) = unsafe { ((*ty).tp_free, (*ty).is_gc()) };
    match free {
        // SAFETY: first bullet; the type's own free takes the object.
        Some(free) => unsafe { free(op.cast()) },
        // SAFETY: first bullet; a GC instance of the generic allocator.
        None if gc => unsafe { gc_del(op.cast()) },
        // SAFETY: first bullet; a block of the generic allocator.
        None => unsafe { alloc::generic_free(op.cast()) },
    }
    // SAFETY: T3: the instance held a reference to its heap type, released
    // only now that the instance is gone (CPython >= 3.8).
    if unsafe { (*ty).is_heap_type() } {
        // SAFETY: the instance's own reference to the type.
        unsafe { crate::refs::decref(ty.cast()) };
    }
}

/// Frees a GC object's block, pre-header included, untracking it first if
/// its `tp_dealloc` did not. Mirrors `PyObject_GC_Del`
/// ([Python/gc.c](https://github.com/python/cpython/blob/v3.14.0/Python/gc.c)).
///
/// # Safety
/// - `op` is null, or a GC object from the generic allocator whose count
///   reached 0 and whose payload was torn down; it is not used again.
pub unsafe extern "C" fn gc_del(op: *mut core::ffi::c_void) {
    if op.is_null() {
        return;
    }
    let op = op.cast::<Object>();
    // SAFETY: first bullet.
    unsafe {
        gc_head::untrack(op);
        alloc::generic_free(GcHead::of(op).cast());
    }
    crate::thread_state::with(|s| s.gc_frees.set(s.gc_frees.get() + 1));
}

/// How many GC objects this thread freed since the last call (the
/// collector's youngest count goes down by as many).
pub fn take_gc_frees() -> usize {
    crate::thread_state::with(|s| s.gc_frees.replace(0))
}

#[cfg(test)]
mod tests {
    use core::cell::Cell;
    use core::ffi::{c_int, c_void};
    use core::ptr::{addr_of, null_mut};

    use super::*;
    use crate::tracer::set_tracer;
    use crate::type_object::TPFLAGS_HAVE_GC;

    unsafe extern "C" fn free_dealloc(op: *mut Object) {
        // SAFETY: the count of `op` reached 0; it came from the generic
        // allocator and has no payload to tear down.
        unsafe { free_object(op) }
    }

    unsafe extern "C" fn no_traverse(
        _: *mut Object,
        _: crate::type_object::VisitFn,
        _: *mut c_void,
    ) -> c_int {
        0
    }

    /// A 48-byte fixed-size type, a variable-size one (16 + 8 per item), a
    /// GC one, and one above the fast path's 128 bytes.
    static FIXED: TypeObject = TypeObject {
        tp_name: "Fixed",
        tp_basicsize: 48,
        tp_dealloc: Some(free_dealloc),
        ..TypeObject::DEFAULT
    };
    static VAR: TypeObject = TypeObject {
        tp_name: "Var",
        tp_basicsize: 16,
        tp_itemsize: 8,
        tp_dealloc: Some(free_dealloc),
        ..TypeObject::DEFAULT
    };
    static GC: TypeObject = TypeObject {
        tp_name: "Gc",
        tp_basicsize: 40,
        tp_flags: TPFLAGS_HAVE_GC,
        tp_dealloc: Some(free_dealloc),
        tp_traverse: Some(no_traverse),
        ..TypeObject::DEFAULT
    };
    static BIG: TypeObject = TypeObject {
        tp_name: "Big",
        tp_basicsize: 200,
        tp_dealloc: Some(free_dealloc),
        ..TypeObject::DEFAULT
    };

    fn ready(t: &'static TypeObject) -> *mut TypeObject {
        t.ready().unwrap();
        addr_of!(*t).cast_mut()
    }

    thread_local! {
        static EVENTS: Cell<(usize, usize)> = const { Cell::new((0, 0)) };
    }

    unsafe extern "C" fn count_events(_: *mut Object, ev: RefTracerEvent, _: *mut c_void) -> c_int {
        EVENTS.with(|e| {
            let (c, d) = e.get();
            e.set(match ev {
                RefTracerEvent::Create => (c + 1, d),
                RefTracerEvent::Destroy => (c, d + 1),
            })
        });
        0
    }

    /// Dirties `n` blocks of `ty`'s size class with 0xAB and frees them, so
    /// the next allocations reuse dirty blocks.
    fn dirty_blocks(heap: &Heap, ty: *mut TypeObject, nitems: isize, n: usize) {
        let ops: Vec<*mut Object> = (0..n)
            // SAFETY: a readied type with the generic free.
            .map(|_| unsafe { alloc_in(heap, ty, nitems) })
            .collect();
        for op in ops {
            // SAFETY: a fresh object whose only reference is ours; the
            // payload bytes may hold anything.
            unsafe {
                let size = instance_size(ty, nitems).unwrap();
                core::ptr::write_bytes(op.cast::<u8>().add(16), 0xAB, size - 16);
                crate::refs::decref(op);
            }
        }
    }

    /// Objects of every path (fixed, variable, GC, above the fast path's
    /// bound) come out zeroed, count 1, typed, even from reused dirty
    /// blocks, across several pools of each class.
    #[test]
    fn allocation_zeroes_reused_blocks_of_every_shape() {
        let heap = Heap::new();
        let n = if cfg!(miri) { 40 } else { 2_000 };
        for (ty, nitems) in [
            (ready(&FIXED), 0),
            (ready(&VAR), 0),
            (ready(&VAR), 5),
            (ready(&VAR), 14),
            (ready(&GC), 0),
            (ready(&BIG), 0),
        ] {
            dirty_blocks(&heap, ty, nitems, n);
            // SAFETY: as in `dirty_blocks`.
            let size = unsafe { instance_size(ty, nitems) }.unwrap();
            let ops: Vec<*mut Object> = (0..n)
                // SAFETY: a readied type with the generic free.
                .map(|_| unsafe { alloc_in(&heap, ty, nitems) })
                .collect();
            for &op in &ops {
                assert!(!op.is_null());
                // SAFETY: a fresh object of `size` bytes.
                unsafe {
                    assert_eq!((*op).ob_refcnt.refcnt(), 1);
                    assert_eq!((*op).ob_type, ty);
                    let payload = core::slice::from_raw_parts(op.cast::<u8>().add(16), size - 16);
                    assert!(payload.iter().all(|&b| b == 0), "dirty payload");
                    if (*ty).is_gc() {
                        assert!(!(*GcHead::of(op)).is_tracked());
                    }
                }
            }
            for op in ops {
                // SAFETY: our only reference.
                unsafe { crate::refs::decref(op) };
            }
        }
        assert_eq!(heap.live_blocks(), 0);
    }

    /// A size or count the fast path cannot take still fails as before:
    /// null, nothing allocated.
    #[test]
    fn overflowing_and_negative_sizes_give_null() {
        let heap = Heap::new();
        let var = ready(&VAR);
        for nitems in [-1, isize::MAX, isize::MAX / 8 + 1] {
            // SAFETY: a readied type.
            assert!(unsafe { alloc_in(&heap, var, nitems) }.is_null());
        }
        assert_eq!(heap.live_blocks(), 0);
    }

    /// The tracer sees CREATE and DESTROY for every object once installed,
    /// on the generic allocator's path and a given heap's alike, and
    /// nothing once removed.
    #[test]
    fn tracer_sees_every_creation_and_destruction() {
        let heap = Heap::new();
        let fixed = ready(&FIXED);
        EVENTS.with(|e| e.set((0, 0)));
        set_tracer(Some(count_events), null_mut());
        for _ in 0..10 {
            // SAFETY: readied types with the generic free; our references.
            unsafe {
                crate::refs::decref(generic_alloc(fixed, 0));
                crate::refs::decref(alloc_in(&heap, fixed, 0));
            }
        }
        set_tracer(None, null_mut());
        // SAFETY: as above.
        unsafe { crate::refs::decref(generic_alloc(fixed, 0)) };
        assert_eq!(EVENTS.with(Cell::get), (20, 20));
    }

    /// A thread's first allocation creates its default heap (the fast path
    /// stays off until then); later ones come from that heap.
    #[test]
    fn first_allocation_on_a_thread_creates_its_default_heap() {
        std::thread::spawn(|| {
            assert_ne!(
                thread_state::hooks() & thread_state::HOOK_NO_DEFAULT_HEAP,
                0
            );
            let fixed = ready(&FIXED);
            let ops: Vec<*mut Object> = (0..100)
                // SAFETY: a readied type with the generic free.
                .map(|_| unsafe { generic_alloc(fixed, 0) })
                .collect();
            assert_eq!(
                thread_state::hooks() & thread_state::HOOK_NO_DEFAULT_HEAP,
                0
            );
            let live = with_default_heap(|h| h.live_blocks());
            assert_eq!(live, 100);
            for op in ops {
                // SAFETY: our only reference.
                unsafe { crate::refs::decref(op) };
            }
            assert_eq!(with_default_heap(|h| h.live_blocks()), 0);
        })
        .join()
        .unwrap();
    }

    /// A checked heap registers every object, tracer or not, and a heap
    /// type's instances each hold a reference to it.
    #[test]
    fn checked_heap_registers_and_heap_types_are_counted() {
        let heap = Heap::with_checked(true);
        let ty = TypeObject::new_heap(TypeObject {
            tp_name: "HeapFixed",
            tp_basicsize: 32,
            tp_dealloc: Some(free_dealloc),
            ..TypeObject::DEFAULT
        })
        .unwrap();
        // SAFETY: a readied heap type with the generic free.
        let op = unsafe { alloc_in(&heap, ty, 0) };
        assert_eq!(heap.is_live(op.cast()), Some(true));
        // SAFETY: the type is alive: our reference and the instance's.
        assert_eq!(unsafe { (*ty).ob_base.ob_refcnt.refcnt() }, 2);
        // SAFETY: our only reference to the object, then to the type.
        unsafe {
            crate::refs::decref(op);
            assert_eq!((*ty).ob_base.ob_refcnt.refcnt(), 1);
            crate::refs::decref(ty.cast());
        }
        assert_eq!(heap.is_live(op.cast()), Some(false));
        assert!(heap.leaks().is_empty());
    }
}
