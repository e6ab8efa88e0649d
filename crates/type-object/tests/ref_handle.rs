//! `Ref<T>`: the safe handle. Clone counts, drop dispatches, the payload's
//! `Drop` runs exactly once at zero.

use std::cell::Cell;
use std::rc::Rc;

use type_object::{Heap, Ref, RustType};

struct Tracked {
    value: i64,
    drops: Rc<Cell<usize>>,
}

impl Drop for Tracked {
    fn drop(&mut self) {
        self.drops.set(self.drops.get() + 1);
    }
}

static TRACKED: RustType<Tracked> = RustType::new("Tracked");

fn tracked(value: i64) -> (Ref<Tracked>, Rc<Cell<usize>>) {
    let drops = Rc::new(Cell::new(0));
    let r = Ref::new(
        &TRACKED,
        Tracked {
            value,
            drops: drops.clone(),
        },
    );
    (r, drops)
}

/// Clone increments, drop decrements, the payload drops once at zero.
#[test]
fn payload_drops_once_when_the_last_ref_goes() {
    let (a, drops) = tracked(7);
    let b = a.clone();
    assert_eq!(a.refcnt(), 2);
    assert!(Ref::ptr_eq(&a, &b));
    assert_eq!(b.value, 7);
    drop(a);
    assert_eq!(drops.get(), 0);
    assert_eq!(b.refcnt(), 1);
    drop(b);
    assert_eq!(drops.get(), 1);
}

/// `into_raw`/`from_raw` move the reference without counting.
#[test]
fn into_raw_and_from_raw_keep_the_count() {
    let (a, drops) = tracked(1);
    let raw = Ref::into_raw(a);
    // SAFETY: `raw` came from `into_raw` of a Ref<Tracked>.
    let back: Ref<Tracked> = unsafe { Ref::from_raw(raw) };
    assert_eq!(back.refcnt(), 1);
    drop(back);
    assert_eq!(drops.get(), 1);
}

/// An immortal Ref is never freed; its payload never drops.
#[test]
fn immortal_ref_is_never_freed() {
    let (a, drops) = tracked(3);
    a.make_immortal();
    for _ in 0..10 {
        drop(a.clone());
    }
    drop(a);
    assert_eq!(drops.get(), 0);
}

/// A VM-owned heap serves Refs; freed blocks are reused.
#[test]
fn refs_from_an_owned_heap_return_their_blocks() {
    let heap = Heap::new();
    let drops = Rc::new(Cell::new(0));
    let first = Ref::new_in(
        &heap,
        &TRACKED,
        Tracked {
            value: 1,
            drops: drops.clone(),
        },
    );
    let addr = Ref::as_ptr(&first);
    assert_eq!(heap.live_blocks(), 1);
    drop(first);
    assert_eq!(heap.live_blocks(), 0);
    let second = Ref::new_in(
        &heap,
        &TRACKED,
        Tracked {
            value: 2,
            drops: drops.clone(),
        },
    );
    assert_eq!(Ref::as_ptr(&second), addr);
    drop(second);
    assert_eq!(drops.get(), 2);
}

/// Checked mode: freed blocks are poisoned and quarantined, and leaks are
/// listed with their type names at teardown.
#[test]
fn checked_heap_lists_leaks_by_type_name() {
    let heap = Heap::with_checked(true);
    let drops = Rc::new(Cell::new(0));
    let kept = Ref::new_in(
        &heap,
        &TRACKED,
        Tracked {
            value: 1,
            drops: drops.clone(),
        },
    );
    let gone = Ref::new_in(
        &heap,
        &TRACKED,
        Tracked {
            value: 2,
            drops: drops.clone(),
        },
    );
    let gone_ptr = Ref::as_ptr(&gone).cast::<u8>();
    drop(gone);
    assert_eq!(heap.is_live(gone_ptr), Some(false));
    let leaks = heap.leaks();
    assert_eq!(leaks.len(), 1);
    assert_eq!(leaks[0].type_name, "Tracked");
    assert_eq!(leaks[0].addr, Ref::as_ptr(&kept) as usize);
    assert_eq!(leaks[0].refcnt, 1);
    let text = leaks[0].to_string();
    assert!(
        text.contains("`Tracked` object at 0x") && text.contains("(refcount 1)"),
        "{text}"
    );
    drop(kept);
    assert!(heap.leaks().is_empty());
}

/// Checked mode: a decref of a freed object is reported — type name from
/// the registry, address, and the poisoned count — instead of freeing it
/// twice (CAPI-10 `decref_freed_object`).
#[test]
fn checked_heap_reports_decref_of_a_freed_object() {
    let heap = Heap::with_checked(true);
    let drops = Rc::new(Cell::new(0));
    let r = Ref::new_in(
        &heap,
        &TRACKED,
        Tracked {
            value: 1,
            drops: drops.clone(),
        },
    );
    let raw = Ref::as_ptr(&r);
    drop(r);
    assert_eq!(drops.get(), 1);
    // SAFETY: the block is quarantined by the checked heap, so its memory
    // is still owned by the heap and reads see the poison.
    let err = unsafe { type_object::refs::try_decref(raw) }.unwrap_err();
    let text = err.to_string();
    assert!(text.contains("Tracked"), "{text}");
    assert!(text.contains("negative ref count"), "{text}");
    assert!(text.contains(&format!("{:#x}", raw as usize)), "{text}");
    assert_eq!(drops.get(), 1);
}

/// Checked mode's reftotal (`sys.gettotalrefcount()` of a debug build): the
/// references held to live mortal objects; it moves by one with each
/// incref and decref, and returns to its start when everything is freed.
#[test]
fn checked_heap_ref_total_follows_every_reference() {
    let heap = Heap::with_checked(true);
    assert_eq!(heap.ref_total(), Some(0));
    let drops = Rc::new(Cell::new(0));
    let new = |value| {
        Ref::new_in(
            &heap,
            &TRACKED,
            Tracked {
                value,
                drops: drops.clone(),
            },
        )
    };
    let a = new(1);
    let b = new(2);
    assert_eq!(heap.ref_total(), Some(2));
    let a2 = a.clone();
    let a3 = a.clone();
    assert_eq!(heap.ref_total(), Some(4));
    drop(a2);
    assert_eq!(heap.ref_total(), Some(3));
    // An immortal's references are not counted (CPython >= 3.12).
    let c = new(3);
    c.make_immortal();
    assert_eq!(heap.ref_total(), Some(3));
    drop((a, a3, b));
    assert_eq!(heap.ref_total(), Some(0));
    assert_eq!(drops.get(), 2);
    drop(c);
    assert_eq!(Heap::new().ref_total(), None);
}

thread_local! {
    static DESTROYED: Cell<Vec<usize>> = const { Cell::new(Vec::new()) };
}

unsafe extern "C" fn record_destroy(
    op: *mut type_object::Object,
    event: type_object::tracer::RefTracerEvent,
    _data: *mut core::ffi::c_void,
) -> core::ffi::c_int {
    if event == type_object::tracer::RefTracerEvent::Destroy {
        DESTROYED.with(|d| {
            let mut v = d.take();
            v.push(op as usize);
            d.set(v);
        });
    }
    0
}

/// A heap type made with the safe layer lives while its handle or any
/// instance does, and is deallocated (through its own type's dealloc, traced
/// as DESTROY) right after its last instance — CPython >= 3.8's rule.
#[test]
fn heap_type_handle_lives_until_its_last_instance() {
    use type_object::HeapType;

    let drops = Rc::new(Cell::new(0));
    let class = HeapType::<Tracked>::new("Tracked");
    let ty = class.as_ptr() as usize;
    let a = class.instantiate(Tracked {
        value: 1,
        drops: drops.clone(),
    });
    let b = class.instantiate(Tracked {
        value: 2,
        drops: drops.clone(),
    });
    assert_eq!(class.refcnt(), 3);
    assert_eq!(a.value + b.value, 3);
    type_object::tracer::set_tracer(Some(record_destroy), core::ptr::null_mut());
    drop(class);
    drop(a);
    assert_eq!(drops.get(), 1);
    assert!(!DESTROYED.with(|d| {
        let v = d.take();
        let found = v.contains(&ty);
        d.set(v);
        found
    }));
    drop(b);
    type_object::tracer::set_tracer(None, core::ptr::null_mut());
    assert_eq!(drops.get(), 2);
    let destroyed = DESTROYED.with(Cell::take);
    // Instance b first, then its type.
    assert_eq!(destroyed.last(), Some(&ty));
    assert_eq!(destroyed.iter().filter(|&&p| p == ty).count(), 1);
}
