//! The objmodel allocator: size-class pools carved from bumpalo chunks,
//! with O(1) free lists, and a thread-local default heap.
//!
//! ```text
//!  a pool: 16 KiB, 16 KiB-aligned, one size class
//! +--------------------+--------+--------+--------+-----------------+
//! | PoolHeader         | block  | block  | block  | fresh (bumped)  |
//! | heap, class, free  | (live) | (free) | (live) |                 |
//! | list, fresh, links |        |        |        |                 |
//! +--------------------+--------+--------+--------+-----------------+
//!   ^ block address & !(16 KiB - 1)
//!
//!  per class: pools with room, in a list; allocation serves the head
//!  pool until it is full, as pymalloc's usedpools do
//! ```
//!
//! A block's pool header is found by masking its address, so a free needs
//! nothing but the pointer (as `PyObject_Free`). Each pool keeps its own
//! free list: consecutive allocations come from one pool, so objects made
//! together stay close in memory even after cascades of frees have
//! reordered the free lists. Blocks above 512 bytes get a pool of their own
//! from the system allocator, with the same header. Mirrors CPython's
//! pymalloc
//! ([Objects/obmalloc.c](https://github.com/python/cpython/blob/v3.14.0/Objects/obmalloc.c)):
//! pools per size class, 16-byte granularity, 512-byte limit, a list of
//! used pools per class.

use core::alloc::Layout;
use core::cell::{Cell, RefCell};
use core::ptr::{self, NonNull};

use bumpalo::Bump;
use hashbrown::HashMap;

use crate::error::ObjectError;
use crate::object::Object;
use crate::pinned::Pinned;

/// The size and alignment of a pool.
pub const POOL_SIZE: usize = 16 * 1024;
/// Block granularity and alignment.
pub const ALIGN: usize = 16;
/// The largest block served from a shared pool (pymalloc's
/// `SMALL_REQUEST_THRESHOLD`).
pub const MAX_SMALL: usize = 512;
const CLASSES: usize = MAX_SMALL / ALIGN;
/// The pool header's reserved space, a multiple of `ALIGN`.
const HEADER: usize = 64;
/// `PoolHeader::class` of a pool holding one large block.
const LARGE: u32 = u32::MAX;
/// `PoolHeader::slow` bit: the pool holds one large block.
const SLOW_LARGE: u32 = 1;
/// `PoolHeader::slow` bit: the pool belongs to a checked heap.
const SLOW_CHECKED: u32 = 2;
/// What checked mode fills freed blocks with: CPython's `PYMEM_DEADBYTE`.
pub const DEAD_BYTE: u8 = 0xDD;

#[repr(C)]
struct PoolHeader {
    heap: *const HeapInner,
    class: u32,
    /// [`SLOW_LARGE`] | [`SLOW_CHECKED`]: non-zero sends a free to the
    /// out-of-line path, so the common free tests one word of the header
    /// it already reads.
    slow: u32,
    /// For a large block: its size.
    size: usize,
    /// Blocks ready to hand out, the last freed first. Empty exactly when
    /// the pool is full (as pymalloc's `freeblock`): taking the last entry
    /// moves the next never-used block onto the list, so the common
    /// allocation pops without looking at `fresh`.
    free: Cell<*mut FreeBlock>,
    /// The next never-used block, and the pool's end.
    fresh: Cell<*mut u8>,
    end: *mut u8,
    /// Neighbours in the class's list of pools with room (both null when
    /// the pool is full and unlisted).
    next: Cell<*const PoolHeader>,
    prev: Cell<*const PoolHeader>,
}

impl PoolHeader {
    /// Whether no block is left (the free list is empty only then).
    #[inline]
    fn is_full(&self) -> bool {
        self.free.get().is_null()
    }

    /// Takes the head of the free list when that leaves the pool listed
    /// (another entry follows, or a never-used block replaces it); `None`,
    /// changing nothing, when it is the pool's last block.
    ///
    /// # Safety
    /// - The pool is listed (its free list is not empty), and holds
    ///   `size`-byte blocks.
    #[inline(always)]
    unsafe fn take_unless_last(&self, size: usize) -> Option<NonNull<u8>> {
        let head = self.free.get();
        // SAFETY: first bullet: a free-list entry is a block of this pool
        // whose first word is the link (written by `put` or `refill`).
        let next = unsafe { (*head).next };
        if next.is_null() {
            let block = self.fresh.get();
            if (self.end as usize) - (block as usize) < size {
                return None;
            }
            // SAFETY: second bullet: `block + size <= end`, a never-used
            // block inside the pool; its first word becomes the link.
            unsafe {
                block.cast::<FreeBlock>().write(FreeBlock {
                    next: ptr::null_mut(),
                });
                self.fresh.set(block.add(size));
            }
            self.free.set(block.cast());
        } else {
            self.free.set(next);
        }
        // SAFETY: a listed pool's head is not null.
        Some(unsafe { NonNull::new_unchecked(head.cast()) })
    }

    /// Takes the head of the free list, refilling the list from the
    /// never-used blocks when it was the last entry. Returns the block and
    /// whether the pool is now full.
    ///
    /// # Safety
    /// - The pool is listed, and holds `size`-byte blocks.
    #[inline]
    unsafe fn take(&self, size: usize) -> (NonNull<u8>, bool) {
        let head = self.free.get();
        // SAFETY: as in `take_unless_last`.
        let next = unsafe { (*head).next };
        if next.is_null() {
            // SAFETY: second bullet.
            unsafe { self.refill(size) };
        } else {
            self.free.set(next);
        }
        // SAFETY: a listed pool's head is not null.
        (
            unsafe { NonNull::new_unchecked(head.cast()) },
            self.is_full(),
        )
    }

    /// Replaces the (just taken) free list with the next never-used block,
    /// or empties it when none is left.
    ///
    /// # Safety
    /// - The pool holds `size`-byte blocks.
    #[inline]
    unsafe fn refill(&self, size: usize) {
        let block = self.fresh.get();
        if (self.end as usize) - (block as usize) < size {
            self.free.set(ptr::null_mut());
            return;
        }
        // SAFETY: first bullet: `block + size <= end`, a never-used block
        // inside the pool; its first word becomes the (empty) link.
        unsafe {
            block.cast::<FreeBlock>().write(FreeBlock {
                next: ptr::null_mut(),
            });
            self.fresh.set(block.add(size));
        }
        self.free.set(block.cast());
    }

    /// Returns a block to this pool's free list.
    ///
    /// # Safety
    /// - `p` is a block of this pool, no longer used.
    #[inline]
    unsafe fn put(&self, p: *mut u8) {
        let block = p.cast::<FreeBlock>();
        // SAFETY: first bullet: the block is at least 16 bytes, aligned.
        unsafe {
            block.write(FreeBlock {
                next: self.free.get(),
            })
        };
        self.free.set(block);
    }
}

const _: () = assert!(core::mem::size_of::<PoolHeader>() <= HEADER);
const _: () = assert!(core::mem::align_of::<PoolHeader>() <= ALIGN);
const _: () = assert!(HEADER % ALIGN == 0);

/// A freed block's first word links it into its pool's free list.
struct FreeBlock {
    next: *mut FreeBlock,
}

/// An allocator for objects: size-class pools from bumpalo chunks. A value
/// a VM owns; [`with_default_heap`] gives each thread one.
///
/// Dropping a heap frees every pool at once when no block is live; when
/// blocks are still live it keeps their memory (they may still be
/// referenced) and, in checked mode, reports them as leaks.
///
/// # Examples
/// ```
/// use type_object::alloc::Heap;
///
/// let heap = Heap::new();
/// let a = heap.alloc(32).unwrap();
/// let b = heap.alloc(32).unwrap();
/// assert_eq!(heap.live_blocks(), 2);
/// // SAFETY: `a` came from `heap.alloc` and is freed once.
/// unsafe { Heap::free(a.as_ptr()) };
/// // The freed block is reused first.
/// assert_eq!(heap.alloc(20).unwrap(), a);
/// # unsafe { Heap::free(a.as_ptr()); Heap::free(b.as_ptr()) };
/// ```
pub struct Heap {
    inner: Pinned<HeapInner>,
}

struct HeapInner {
    bump: Bump,
    /// Per class: the pools with room; allocation serves the head.
    used: [Cell<*const PoolHeader>; CLASSES],
    live: Cell<usize>,
    checked: Option<RefCell<Registry>>,
}

/// Checked mode's bookkeeping: live objects with their type names (the
/// analogue of CPython's `Py_TRACE_REFS` list), and the type name of each
/// freed block (which stays quarantined, never reused).
#[derive(Default)]
struct Registry {
    live: HashMap<usize, (NonNull<Object>, &'static str)>,
    freed: HashMap<usize, &'static str>,
}

/// An object still live in a checked heap: what [`Heap::leaks`] lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Leak {
    /// The type name recorded at allocation.
    pub type_name: &'static str,
    /// The object's address.
    pub addr: usize,
    /// Its count when listed (`Py_REFCNT`).
    pub refcnt: isize,
}

impl core::fmt::Display for Leak {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "`{}` object at {:#x} (refcount {})",
            self.type_name, self.addr, self.refcnt
        )
    }
}

impl Heap {
    /// An unchecked heap.
    pub fn new() -> Heap {
        Heap::with_checked(false)
    }

    /// A heap in checked mode when `checked`: freed blocks are poisoned
    /// with `0xDD` and never reused, double frees are refused, and live
    /// blocks are registered with their type names.
    pub fn with_checked(checked: bool) -> Heap {
        let heap = Heap {
            inner: Pinned::new(HeapInner {
                bump: Bump::new(),
                used: no_pools(),
                live: Cell::new(0),
                checked: checked.then(|| RefCell::new(Registry::default())),
            }),
        };
        if checked {
            let inner = heap.inner.as_ptr();
            THREAD_CHECKED_HEAPS.with(|h| h.borrow_mut().push(inner));
            crate::thread_state::with(|s| {
                s.checked_heaps.set(s.checked_heaps.get() + 1);
                s.refresh_hooks();
            });
        }
        heap
    }

    /// Whether this heap runs in checked mode.
    pub fn is_checked(&self) -> bool {
        self.inner.checked.is_some()
    }

    /// How many blocks are allocated and not yet freed.
    pub fn live_blocks(&self) -> usize {
        self.inner.live.get()
    }

    /// Allocates `size` bytes, 16-byte aligned, not zeroed. `None` when the
    /// system is out of memory or `size` overflows a layout.
    #[inline]
    pub fn alloc(&self, size: usize) -> Option<NonNull<u8>> {
        if size <= MAX_SMALL {
            if let Some(block) = self.alloc_small_fast(class_of(size)) {
                return Some(block);
            }
        }
        self.alloc_slow(size)
    }

    /// A block of size class `class` (`(class + 1) * 16` bytes) when its
    /// pool can hand one out without leaving its fast path (see
    /// [`PoolHeader::free`]); `None`, changing nothing, otherwise.
    #[inline(always)]
    pub(crate) fn alloc_small_fast(&self, class: usize) -> Option<NonNull<u8>> {
        let inner = &*self.inner;
        let pool = inner.used[class].get();
        if pool.is_null() {
            return None;
        }
        // SAFETY: a listed pool lives in this heap's bump chunks, its free
        // list is not empty, and it holds blocks of this class.
        let block = unsafe { (*pool).take_unless_last((class + 1) * ALIGN) }?;
        inner.live.set(inner.live.get() + 1);
        Some(block)
    }

    /// [`alloc`](Self::alloc) past the fast path: a pool's last block, a
    /// new pool, or a large block.
    #[inline(never)]
    fn alloc_slow(&self, size: usize) -> Option<NonNull<u8>> {
        let inner = &*self.inner;
        let block = if size <= MAX_SMALL {
            inner.alloc_small(class_of(size))?
        } else {
            inner.alloc_large(size)?
        };
        inner.live.set(inner.live.get() + 1);
        Some(block)
    }

    /// Records the object `op` living in block `p` with its type name in
    /// checked mode (for leak, double-free and reftotal reports); no effect
    /// otherwise.
    ///
    /// # Safety
    /// - `p` is a block of this heap holding `op` (after a GC pre-header, or
    ///   at its start), whose header is written and stays written until the
    ///   block is freed.
    #[inline]
    pub unsafe fn register(&self, p: NonNull<u8>, op: NonNull<Object>, type_name: &'static str) {
        if let Some(reg) = &self.inner.checked {
            register_checked(reg, p, op, type_name);
        }
    }

    /// Frees a block of any heap: its pool header says which.
    ///
    /// # Safety
    /// - `p` came from [`Heap::alloc`] of a heap that is still alive or was
    ///   dropped with live blocks (whose memory is kept).
    /// - Unless that heap is in checked mode, `p` was not freed since.
    #[inline]
    pub unsafe fn free(p: *mut u8) {
        // SAFETY: first bullet: the block lies in a pool whose header is at
        // the pool-aligned address below it.
        let header = unsafe { &*pool_of(p) };
        if header.slow != 0 {
            // SAFETY: both bullets.
            unsafe { free_slow(p) };
            return;
        }
        // SAFETY: first bullet: the heap is alive or was leaked on drop.
        let inner = unsafe { &*header.heap };
        inner.live.set(inner.live.get() - 1);
        // SAFETY: first bullet: a live block of this small, unchecked pool.
        unsafe { inner.free_small(header, p) };
    }

    /// In checked mode, the live objects with type name, address and count,
    /// by address; empty otherwise. At teardown these are the leaks.
    pub fn leaks(&self) -> Vec<Leak> {
        let Some(reg) = &self.inner.checked else {
            return Vec::new();
        };
        let mut leaks: Vec<Leak> = reg
            .borrow()
            .live
            .iter()
            .map(|(_, &(op, type_name))| Leak {
                type_name,
                addr: op.as_ptr() as usize,
                // SAFETY: a registered block holds a written header until
                // it is freed, and freeing unregisters it (`register`).
                refcnt: unsafe { op.as_ref() }.ob_refcnt.refcnt(),
            })
            .collect();
        leaks.sort_by_key(|l| l.addr);
        leaks
    }

    /// In checked mode, the references held to this heap's live objects:
    /// the sum of their counts, immortal objects left out as CPython
    /// leaves them out since 3.12. `None` when the heap is unchecked.
    /// Mirrors `_Py_GetRefTotal` / `sys.gettotalrefcount()` of a debug
    /// build, computed from the live registry rather than kept on every
    /// increment, so unchecked heaps pay nothing.
    pub fn ref_total(&self) -> Option<isize> {
        let reg = self.inner.checked.as_ref()?;
        let total = reg
            .borrow()
            .live
            .values()
            .map(|&(op, _)| {
                // SAFETY: as in `leaks`.
                let word = &unsafe { op.as_ref() }.ob_refcnt;
                if word.is_immortal() {
                    0
                } else {
                    word.refcnt()
                }
            })
            .sum();
        Some(total)
    }

    /// In checked mode, whether `p` is a registered live block.
    pub fn is_live(&self, p: *const u8) -> Option<bool> {
        let reg = self.inner.checked.as_ref()?;
        Some(reg.borrow().live.contains_key(&(p as usize)))
    }
}

/// The free of a block in a large or a checked pool. Takes only the
/// block: a large block's pool header goes with it, so no reference to
/// the header may outlive the call that frees it.
///
/// # Safety
/// - As [`Heap::free`].
#[cold]
#[inline(never)]
unsafe fn free_slow(p: *mut u8) {
    // SAFETY: first bullet: the header is at the pool-aligned address
    // below the block; this reference ends before the block is freed.
    let header = unsafe { &*pool_of(p) };
    // SAFETY: first bullet: the heap is alive or was leaked on drop.
    let inner = unsafe { &*header.heap };
    if let Some(reg) = &inner.checked {
        // SAFETY: `p` is a block of this heap (first bullet).
        if let Err(err) = unsafe { inner.free_checked(reg, p, header) } {
            panic!("{err}");
        }
        return;
    }
    inner.live.set(inner.live.get() - 1);
    // SAFETY: an unchecked pool is slow only for a large block, which was
    // allocated with exactly this layout (first bullet: not freed since).
    unsafe { free_large(p, header.size) };
}

#[cold]
#[inline(never)]
fn register_checked(
    reg: &RefCell<Registry>,
    p: NonNull<u8>,
    op: NonNull<Object>,
    type_name: &'static str,
) {
    let mut reg = reg.borrow_mut();
    reg.freed.remove(&(p.as_ptr() as usize));
    reg.live.insert(p.as_ptr() as usize, (op, type_name));
}

impl HeapInner {
    #[inline]
    fn alloc_small(&self, class: usize) -> Option<NonNull<u8>> {
        let pool = self.used[class].get();
        if pool.is_null() {
            return self.new_pool(class);
        }
        // SAFETY: a listed pool lives in this heap's bump chunks.
        let pool = unsafe { &*pool };
        // SAFETY: a listed pool has room; its blocks are of this class.
        let (block, full) = unsafe { pool.take((class + 1) * ALIGN) };
        if full {
            self.unlist(class, pool);
        }
        Some(block)
    }

    /// Puts `pool` at the head of its class's list: the next allocations
    /// come from it. Once per pool refill, not per block: out of line.
    #[cold]
    #[inline(never)]
    fn list_front(&self, class: usize, pool: &PoolHeader) {
        let head = self.used[class].get();
        pool.next.set(head);
        pool.prev.set(ptr::null());
        if !head.is_null() {
            // SAFETY: a listed pool lives in this heap's bump chunks.
            unsafe { (*head).prev.set(pool) };
        }
        self.used[class].set(pool);
    }

    /// Takes a full `pool` out of its class's list. Once per pool fill,
    /// not per block: out of line.
    #[cold]
    #[inline(never)]
    fn unlist(&self, class: usize, pool: &PoolHeader) {
        let (next, prev) = (pool.next.get(), pool.prev.get());
        if prev.is_null() {
            self.used[class].set(next);
        } else {
            // SAFETY: listed pools live in this heap's bump chunks.
            unsafe { (*prev).next.set(next) };
        }
        if !next.is_null() {
            // SAFETY: as above.
            unsafe { (*next).prev.set(prev) };
        }
        pool.next.set(ptr::null());
        pool.prev.set(ptr::null());
    }

    /// Carves a fresh pool for `class` from the bump chunk, lists it, and
    /// returns its first block.
    #[cold]
    #[inline(never)]
    fn new_pool(&self, class: usize) -> Option<NonNull<u8>> {
        let layout = Layout::from_size_align(POOL_SIZE, POOL_SIZE).ok()?;
        let pool = self.bump.try_alloc_layout(layout).ok()?.as_ptr();
        let size = (class + 1) * ALIGN;
        // SAFETY: HEADER + size and POOL_SIZE are within the pool.
        let (first, end) = unsafe { (pool.add(HEADER), pool.add(POOL_SIZE)) };
        // SAFETY: `pool` is a fresh, aligned, writable 16 KiB block.
        unsafe {
            pool.cast::<PoolHeader>().write(PoolHeader {
                heap: self,
                class: class as u32,
                slow: self.slow_bits(),
                size: 0,
                free: Cell::new(ptr::null_mut()),
                // SAFETY: as above.
                fresh: Cell::new(first.add(size)),
                end,
                next: Cell::new(ptr::null()),
                prev: Cell::new(ptr::null()),
            })
        };
        // SAFETY: just written.
        let header = unsafe { &*pool.cast::<PoolHeader>() };
        // SAFETY: a pool of `size`-byte blocks; `first` is taken.
        unsafe { header.refill(size) };
        if !header.is_full() {
            self.list_front(class, header);
        }
        NonNull::new(first)
    }

    /// The [`PoolHeader::slow`] bits every pool of this heap carries.
    fn slow_bits(&self) -> u32 {
        if self.checked.is_some() {
            SLOW_CHECKED
        } else {
            0
        }
    }

    #[cold]
    #[inline(never)]
    fn alloc_large(&self, size: usize) -> Option<NonNull<u8>> {
        let layout = large_layout(size)?;
        // SAFETY: the layout has a non-zero size.
        let base = unsafe { std::alloc::alloc(layout) };
        if base.is_null() {
            return None;
        }
        // SAFETY: `base` is a fresh block of at least HEADER bytes.
        unsafe {
            base.cast::<PoolHeader>().write(PoolHeader {
                heap: self,
                class: LARGE,
                slow: SLOW_LARGE | self.slow_bits(),
                size,
                free: Cell::new(ptr::null_mut()),
                fresh: Cell::new(ptr::null_mut()),
                end: ptr::null_mut(),
                next: Cell::new(ptr::null()),
                prev: Cell::new(ptr::null()),
            })
        };
        // SAFETY: HEADER is within the block.
        NonNull::new(unsafe { base.add(HEADER) })
    }

    /// Returns a small block to its pool; a pool that was full gets listed
    /// again, at the head.
    ///
    /// # Safety
    /// - `p` is a live block of `pool`, a pool of this heap.
    #[inline]
    unsafe fn free_small(&self, pool: &PoolHeader, p: *mut u8) {
        let was_full = pool.is_full();
        // SAFETY: first bullet.
        unsafe { pool.put(p) };
        if was_full {
            self.list_front(pool.class as usize, pool);
        }
    }

    /// Checked free: refuses a block that is not live, poisons and
    /// quarantines the rest.
    ///
    /// # Safety
    /// - `p` is a block of this heap and `header` its pool header.
    unsafe fn free_checked(
        &self,
        reg: &RefCell<Registry>,
        p: *mut u8,
        header: &PoolHeader,
    ) -> Result<(), ObjectError> {
        let mut reg = reg.borrow_mut();
        let addr = p as usize;
        let Some((_, type_name)) = reg.live.remove(&addr) else {
            let type_name = reg.freed.get(&addr).copied().unwrap_or("<unknown>");
            return Err(ObjectError::NotLive { type_name, addr });
        };
        reg.freed.insert(addr, type_name);
        self.live.set(self.live.get() - 1);
        let size = if header.class == LARGE {
            header.size
        } else {
            (header.class as usize + 1) * ALIGN
        };
        // SAFETY: first bullet: the block spans `size` writable bytes; it
        // stays allocated (quarantined), so later reads see the poison.
        unsafe { ptr::write_bytes(p, DEAD_BYTE, size) };
        Ok(())
    }
}

impl Default for Heap {
    fn default() -> Self {
        Heap::new()
    }
}

impl Drop for Heap {
    fn drop(&mut self) {
        if self.inner.checked.is_some() && self.inner.live.get() == 0 {
            // Its registry goes with it: this thread's checked dealloc path
            // stops consulting it (a heap parked below stays listed).
            let inner = self.inner.as_ptr();
            // `try_with`: a heap dropped during thread teardown may outlive
            // the list.
            let _ = THREAD_CHECKED_HEAPS.try_with(|h| h.borrow_mut().retain(|&p| p != inner));
            let _ = crate::thread_state::STATE.try_with(|s| {
                s.checked_heaps.set(s.checked_heaps.get().saturating_sub(1));
                s.refresh_hooks();
            });
        }
        if self.inner.live.get() == 0 && self.inner.checked.is_none() {
            return; // the Bump frees every pool
        }
        // Immortal objects are meant to outlive the heap (CPython leaves
        // them to the process too): only mortal ones are leaks.
        let immortal = object_header::immortal::_Py_IMMORTAL_MINIMUM_REFCNT as isize;
        let leaks: Vec<Leak> = self
            .leaks()
            .into_iter()
            .filter(|l| l.refcnt < immortal)
            .collect();
        if !leaks.is_empty() {
            // Checked mode's teardown report, as a debug CPython prints its
            // leftover references at exit.
            eprintln!(
                "objmodel: checked heap torn down with {} live mortal objects:",
                leaks.len()
            );
            for leak in &leaks {
                eprintln!("  {leak}");
            }
        }
        if self.inner.live.get() != 0 {
            // Live blocks (immortals, leaks) may still be referenced: keep
            // their memory and the heap state their pool headers point to,
            // parked where it stays reachable for the rest of the process.
            let inner = core::mem::replace(&mut self.inner, Pinned::new(HeapInner::empty()));
            PARKED
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .push(ParkedHeap(inner));
        }
    }
}

/// A heap dropped while blocks were still live: owned here, never touched
/// again, so the blocks' memory and pool headers stay valid.
struct ParkedHeap(#[allow(dead_code)] Pinned<HeapInner>);

// SAFETY: a parked heap is only owned by the list, never read or written
// through it; the objects in it belong to the thread that allocated them.
unsafe impl Send for ParkedHeap {}

static PARKED: std::sync::Mutex<Vec<ParkedHeap>> = std::sync::Mutex::new(Vec::new());

impl HeapInner {
    fn empty() -> HeapInner {
        HeapInner {
            bump: Bump::new(),
            used: no_pools(),
            live: Cell::new(0),
            checked: None,
        }
    }
}

fn no_pools() -> [Cell<*const PoolHeader>; CLASSES] {
    core::array::from_fn(|_| Cell::new(ptr::null()))
}

/// The size class of a `size`-byte block (0 for 1..=16 bytes, 1 for
/// 17..=32, ...).
#[inline]
pub(crate) fn class_of(size: usize) -> usize {
    size.saturating_sub(1) / ALIGN
}

#[inline]
fn pool_of(p: *mut u8) -> *const PoolHeader {
    // Keeps the block's provenance: the header lies in the same allocation.
    p.map_addr(|a| a & !(POOL_SIZE - 1)).cast::<PoolHeader>()
}

fn large_layout(size: usize) -> Option<Layout> {
    Layout::from_size_align(size.checked_add(HEADER)?, POOL_SIZE).ok()
}

/// # Safety
/// - `p` is a large block of `size` bytes from `alloc_large`, not freed.
unsafe fn free_large(p: *mut u8, size: usize) {
    let layout = large_layout(size).expect("layout was valid at allocation");
    // SAFETY: first bullet: the block starts HEADER bytes before `p` and was
    // allocated with this layout.
    unsafe { std::alloc::dealloc(p.sub(HEADER), layout) };
}

thread_local! {
    static DEFAULT_HEAP: DefaultHeap = DefaultHeap(Heap::with_checked(checked_from_env()));
}

/// The owner of a thread's default heap; its destructor (at thread exit)
/// clears the pointer the thread state caches.
struct DefaultHeap(Heap);

impl Drop for DefaultHeap {
    fn drop(&mut self) {
        crate::thread_state::with(|s| {
            s.default_heap.set(ptr::null());
            s.refresh_hooks();
        });
    }
}

/// Whether `OBJMODEL_CHECKED=1` asks for checked mode.
pub fn checked_from_env() -> bool {
    std::env::var_os("OBJMODEL_CHECKED").is_some_and(|v| v == "1")
}

/// Runs `f` with this thread's default heap (checked when
/// `OBJMODEL_CHECKED=1`). The CPython-name table allocates from it.
///
/// # Panics
/// When called from a thread-local destructor after the default heap was
/// torn down.
#[inline]
pub fn with_default_heap<R>(f: impl FnOnce(&Heap) -> R) -> R {
    let cached = crate::thread_state::with(|s| s.default_heap.get());
    if cached.is_null() {
        return with_default_heap_slow(f);
    }
    // SAFETY: the pointer is set only while `DEFAULT_HEAP` is alive (its
    // destructor clears it), and the heap is only used by this thread.
    f(unsafe { &*cached })
}

#[cold]
#[inline(never)]
fn with_default_heap_slow<R>(f: impl FnOnce(&Heap) -> R) -> R {
    DEFAULT_HEAP.with(|h| {
        crate::thread_state::with(|s| {
            s.default_heap.set(&h.0);
            s.refresh_hooks();
        });
        f(&h.0)
    })
}

/// The generic free: returns a block from the generic allocator (any heap)
/// to its heap. Mirrors `PyObject_Free`
/// ([Objects/obmalloc.c](https://github.com/python/cpython/blob/v3.14.0/Objects/obmalloc.c)).
///
/// # Safety
/// - `p` is null, or came from the generic allocator and was not freed
///   since (checked mode reports a second free instead of performing it).
#[inline]
pub unsafe extern "C" fn generic_free(p: *mut core::ffi::c_void) {
    if !p.is_null() {
        // SAFETY: first bullet.
        unsafe { Heap::free(p.cast()) }
    }
}

/// Frees a block from [`system_alloc`]. The system allocator is selectable
/// per type (`tp_alloc`/`tp_free`) so benchmarks can compare both.
///
/// # Safety
/// - `p` is null or came from [`system_alloc`] and was not freed since.
pub unsafe extern "C" fn system_free(p: *mut core::ffi::c_void) {
    if p.is_null() {
        return;
    }
    let p = p.cast::<u8>();
    // SAFETY: first bullet: the size sits in the 16 bytes before the block.
    let size = unsafe { p.sub(ALIGN).cast::<usize>().read() };
    // SAFETY: the block was allocated with this layout by `system_alloc`.
    unsafe {
        std::alloc::dealloc(
            p.sub(ALIGN),
            Layout::from_size_align_unchecked(size + ALIGN, ALIGN),
        )
    };
}

/// Allocates `size` zeroed bytes from the system allocator, with its size
/// in a 16-byte prefix so [`system_free`] needs only the pointer.
pub fn system_alloc(size: usize) -> Option<NonNull<u8>> {
    let layout = Layout::from_size_align(size.checked_add(ALIGN)?, ALIGN).ok()?;
    // SAFETY: the layout has a non-zero size.
    let base = unsafe { std::alloc::alloc_zeroed(layout) };
    if base.is_null() {
        return None;
    }
    // SAFETY: the block has room for the prefix.
    unsafe {
        base.cast::<usize>().write(size);
        NonNull::new(base.add(ALIGN))
    }
}

thread_local! {
    /// This thread's checked heaps (alive, or parked with live blocks): the
    /// registries checked mode consults by address, so it never has to
    /// guess whether an arbitrary pointer lies in one of its pools.
    static THREAD_CHECKED_HEAPS: RefCell<Vec<*const HeapInner>> = const { RefCell::new(Vec::new()) };
}

/// Looks `p` up in this thread's checked registries.
fn with_checked_registries<R>(mut f: impl FnMut(&Registry) -> Option<R>) -> Option<R> {
    THREAD_CHECKED_HEAPS.with(|heaps| {
        heaps.borrow().iter().find_map(|&inner| {
            // SAFETY: a listed heap is alive or parked (never freed while
            // listed: its drop unlists it first).
            let reg = unsafe { (*inner).checked.as_ref() }?;
            f(&reg.borrow())
        })
    })
}

/// Whether block `p` is a live block of one of this thread's checked heaps
/// (`Some(true)`), a freed one (`Some(false)`), or unknown to them (`None`:
/// memory the caller allocated, or an unchecked heap's).
pub(crate) fn block_is_live(p: *mut u8) -> Option<bool> {
    let addr = p as usize;
    with_checked_registries(|reg| {
        if reg.live.contains_key(&addr) {
            Some(true)
        } else if reg.freed.contains_key(&addr) {
            Some(false)
        } else {
            None
        }
    })
}

/// The type name checked mode recorded when block `p` was freed by one of
/// this thread's checked heaps.
pub(crate) fn freed_type_name(p: *mut u8) -> Option<&'static str> {
    let addr = p as usize;
    with_checked_registries(|reg| reg.freed.get(&addr).copied())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every small class hands out distinct, aligned blocks inside their
    /// pools across several pools, takes them all back, and then serves
    /// the same blocks again without carving new pools.
    #[test]
    fn every_class_reuses_its_blocks_across_pool_boundaries() {
        let heap = Heap::new();
        let sizes: Vec<usize> = if cfg!(miri) {
            vec![1, 40, 512]
        } else {
            (1..=MAX_SMALL).step_by(7).chain([MAX_SMALL]).collect()
        };
        let addrs = |blocks: &[NonNull<u8>]| {
            let mut a: Vec<usize> = blocks.iter().map(|b| b.as_ptr().addr()).collect();
            a.sort_unstable();
            a
        };
        for size in sizes {
            let per_pool = (POOL_SIZE - HEADER) / ((class_of(size) + 1) * ALIGN);
            let n = if cfg!(miri) {
                per_pool + 2
            } else {
                2 * per_pool + 1
            };
            let blocks: Vec<NonNull<u8>> = (0..n).map(|_| heap.alloc(size).unwrap()).collect();
            assert_eq!(heap.live_blocks(), n);
            let mut distinct = addrs(&blocks);
            distinct.dedup();
            assert_eq!(distinct.len(), n, "a block handed out twice ({size} bytes)");
            for b in &blocks {
                let addr = b.as_ptr().addr();
                assert_eq!(addr % ALIGN, 0);
                let offset = addr % POOL_SIZE;
                assert!(offset >= HEADER && offset + size <= POOL_SIZE);
            }
            for b in &blocks {
                // SAFETY: a live block of `heap`, freed once.
                unsafe { Heap::free(b.as_ptr()) };
            }
            assert_eq!(heap.live_blocks(), 0);
            let again: Vec<NonNull<u8>> = (0..n).map(|_| heap.alloc(size).unwrap()).collect();
            assert_eq!(
                addrs(&again),
                addrs(&blocks),
                "freed blocks are reused first ({size} bytes)"
            );
            for b in &again {
                // SAFETY: as above.
                unsafe { Heap::free(b.as_ptr()) };
            }
        }
        assert_eq!(heap.live_blocks(), 0);
    }

    /// Large blocks and checked heaps take the free's slow path: counted,
    /// and (checked) refused the second time.
    #[test]
    fn large_and_checked_blocks_are_freed_out_of_line() {
        let heap = Heap::new();
        let big = heap.alloc(MAX_SMALL + 1).unwrap();
        assert_eq!(heap.live_blocks(), 1);
        // SAFETY: a live block of `heap`.
        unsafe { Heap::free(big.as_ptr()) };
        assert_eq!(heap.live_blocks(), 0);

        let checked = Heap::with_checked(true);
        let small = checked.alloc(32).unwrap();
        let op = small.cast::<Object>();
        // SAFETY: the block holds a header once written.
        unsafe {
            op.as_ptr().write(Object::new_static(core::ptr::null()));
            checked.register(small, op, "T");
            Heap::free(small.as_ptr());
        }
        assert_eq!(checked.is_live(small.as_ptr()), Some(false));
        let again = std::panic::catch_unwind(|| {
            // SAFETY: checked mode refuses the second free.
            unsafe { Heap::free(small.as_ptr()) }
        });
        assert!(again.is_err());
        assert_eq!(checked.live_blocks(), 0);
    }
}
