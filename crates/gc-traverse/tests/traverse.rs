//! The traverse protocol for Rust payloads (cpython-semantics §5.1): each
//! container visits every owned reference exactly once, a non-zero visit
//! result stops the traversal, `tp_clear` drops the references, and a
//! panicking callback reports -1 with a named error.

use core::cell::{Cell, RefCell};
use core::ffi::{c_int, c_void};
use core::hash::{Hash, Hasher};
use core::ptr::{self, NonNull};

use gc_traverse::traverse::{
    clear_payload, gc_type, take_callback_error, traverse_payload, Clear, Stop, Traverse,
    VisitResult, Visitor,
};
use hashbrown::{HashMap, HashSet};
use smallvec::SmallVec;
use type_object::handle::HeapType;
use type_object::{Object, Ref, RustType};

static INT: RustType<i64> = RustType::new("int");

/// What the recording visitproc writes: every object shown, and the call
/// (1-based) at which to return `code` instead of 0.
#[derive(Default)]
struct Record {
    seen: Vec<*mut Object>,
    stop_at: usize,
    code: c_int,
}

/// A visitproc that records each object it is shown.
unsafe extern "C" fn record(op: *mut Object, arg: *mut c_void) -> c_int {
    // SAFETY: every caller in this file passes a live `Record` as `arg`.
    let record = unsafe { &mut *arg.cast::<Record>() };
    record.seen.push(op);
    if record.seen.len() == record.stop_at {
        record.code
    } else {
        0
    }
}

/// The objects `value` visits, in order.
fn referents<T: Traverse + ?Sized>(value: &T) -> Vec<*mut Object> {
    let mut rec = Record::default();
    // SAFETY: `record` accepts any object with a `Record` as `arg`.
    let mut visitor = unsafe { Visitor::new(record, ptr::from_mut(&mut rec).cast()) };
    assert_eq!(value.traverse(&mut visitor), Ok(()));
    rec.seen
}

/// Sorts for comparisons where the container's order is unspecified.
fn sorted(mut v: Vec<*mut Object>) -> Vec<*mut Object> {
    v.sort();
    v
}

fn ints(n: i64) -> Vec<Ref<i64>> {
    (0..n).map(|i| Ref::new(&INT, i)).collect()
}

fn ptrs(refs: &[Ref<i64>]) -> Vec<*mut Object> {
    refs.iter().map(Ref::as_ptr).collect()
}

/// A hashable key owning a reference (`Ref` has no `Hash`).
struct Key(Ref<i64>);

impl PartialEq for Key {
    fn eq(&self, other: &Self) -> bool {
        Ref::ptr_eq(&self.0, &other.0)
    }
}
impl Eq for Key {}
impl Hash for Key {
    fn hash<H: Hasher>(&self, state: &mut H) {
        Ref::as_ptr(&self.0).hash(state);
    }
}
impl Traverse for Key {
    fn traverse(&self, visitor: &mut Visitor<'_>) -> VisitResult {
        self.0.traverse(visitor)
    }
}

/// GC-08 `test_get_referents`: a handle's referent is its object.
#[test]
fn ref_visits_its_object_once() {
    let one = Ref::new(&INT, 1);
    assert_eq!(referents(&one), vec![Ref::as_ptr(&one)]);
}

/// GC-08: an empty option is an atom; a full one gives its item.
#[test]
fn option_visits_its_item_only_when_some() {
    let one = Ref::new(&INT, 1);
    assert!(referents(&None::<Ref<i64>>).is_empty());
    assert_eq!(referents(&Some(one.clone())), vec![Ref::as_ptr(&one)]);
}

/// GC-08: sequences give each item once, in order, duplicates included
/// (two handles to one object are two owned references).
#[test]
fn sequences_visit_each_item_once_in_order() {
    let items = ints(3);
    let mut expected = ptrs(&items);
    let mut vec = items.clone();
    vec.push(items[0].clone());
    expected.push(Ref::as_ptr(&items[0]));

    assert_eq!(referents(&vec), expected);
    assert_eq!(referents(vec.as_slice()), expected);
    assert_eq!(referents(&vec.clone().into_boxed_slice()), expected);
    let array: [Ref<i64>; 3] = [items[0].clone(), items[1].clone(), items[2].clone()];
    assert_eq!(referents(&array), ptrs(&items));
    assert_eq!(
        referents(&Box::new(items[1].clone())),
        vec![ptrs(&items)[1]]
    );
}

/// GC-08: a small vector gives its items whether inline or spilled.
#[test]
fn smallvec_visits_inline_and_spilled_items() {
    let items = ints(5);
    let inline: SmallVec<[Ref<i64>; 8]> = items.iter().cloned().collect();
    assert!(!inline.spilled());
    assert_eq!(referents(&inline), ptrs(&items));
    let spilled: SmallVec<[Ref<i64>; 2]> = items.iter().cloned().collect();
    assert!(spilled.spilled());
    assert_eq!(referents(&spilled), ptrs(&items));
}

/// GC-08 (dict): a map gives its keys and its values, each once.
#[test]
fn hashmap_visits_keys_and_values() {
    let keys = ints(4);
    let values = ints(4);
    let map: HashMap<Key, Ref<i64>> = keys
        .iter()
        .zip(&values)
        .map(|(k, v)| (Key(k.clone()), v.clone()))
        .collect();
    let mut expected = ptrs(&keys);
    expected.extend(ptrs(&values));
    assert_eq!(sorted(referents(&map)), sorted(expected));
}

/// GC-08 (set): a set gives each member once.
#[test]
fn hashset_visits_each_member() {
    let members = ints(4);
    let set: HashSet<Key> = members.iter().cloned().map(Key).collect();
    assert_eq!(sorted(referents(&set)), sorted(ptrs(&members)));
}

/// Tuples visit their reference fields in order and skip their leaves.
#[test]
fn tuples_visit_reference_fields_and_skip_leaves() {
    let items = ints(2);
    let pair = (items[0].clone(), 7u32, Some(items[1].clone()), "leaf");
    assert_eq!(referents(&pair), ptrs(&items));
}

/// GC-08: atoms have no referents.
#[test]
fn leaves_visit_nothing() {
    assert!(referents(&(1i8, 2u64, 3.0f64, true, 'c', ())).is_empty());
    assert!(referents(&String::from("text")).is_empty());
    assert!(referents("text").is_empty());
    assert!(referents(&[0u128; 4]).is_empty());
}

/// A `RefCell` visits the value it holds.
#[test]
fn refcell_visits_its_content() {
    let items = ints(2);
    let cell = RefCell::new(items.clone());
    assert_eq!(referents(&cell), ptrs(&items));
}

/// A node with one owned child reference, as the module docs declare it.
struct Node {
    next: RefCell<Option<Ref<Node>>>,
    _drops: DropCounter,
}

impl Traverse for Node {
    fn traverse(&self, visitor: &mut Visitor<'_>) -> VisitResult {
        self.next.traverse(visitor)
    }
}

impl Clear for Node {
    fn clear(&self) {
        self.next.clear();
    }
}

static NODE: RustType<Node> = gc_type("Node");

std::thread_local! {
    static DROPS: Cell<usize> = const { Cell::new(0) };
}

/// Counts payload drops on this thread (each test runs on its own thread).
struct DropCounter;

impl Drop for DropCounter {
    fn drop(&mut self) {
        DROPS.with(|d| d.set(d.get() + 1));
    }
}

fn node(next: Option<Ref<Node>>) -> Ref<Node> {
    Ref::new(
        &NODE,
        Node {
            next: RefCell::new(next),
            _drops: DropCounter,
        },
    )
}

/// Runs `traverse_payload::<T>` on `op` with the recording visitproc.
fn traverse_object<T: Traverse>(op: *mut Object, stop_at: usize, code: c_int) -> (c_int, Record) {
    let mut rec = Record {
        stop_at,
        code,
        ..Record::default()
    };
    // SAFETY: every caller passes a live `Instance<T>`; `record` takes a
    // `Record`.
    let r = unsafe { traverse_payload::<T>(op, record, ptr::from_mut(&mut rec).cast()) };
    (r, rec)
}

/// A GC type declared with `gc_type` carries the flag and both slots, and
/// its instances are allocated and freed with a GC header.
#[test]
fn gc_type_sets_have_gc_and_both_slots() {
    let ty = NODE.type_object();
    assert!(ty.is_gc());
    assert!(ty.tp_traverse.is_some() && ty.tp_clear.is_some());
    let before = DROPS.with(Cell::get);
    drop(node(Some(node(None))));
    assert_eq!(DROPS.with(Cell::get), before + 2);
}

/// §5.1 `tp_traverse` through the extern slot: a node's payload visits its
/// child once and returns 0.
#[test]
fn traverse_payload_visits_the_child_and_returns_zero() {
    let child = node(None);
    let parent = node(Some(child.clone()));
    let (r, rec) = traverse_object::<Node>(Ref::as_ptr(&parent), 0, 0);
    assert_eq!(r, 0);
    assert_eq!(rec.seen, vec![Ref::as_ptr(&child)]);
    let (r, rec) = traverse_object::<Node>(Ref::as_ptr(&child), 0, 0);
    assert_eq!((r, rec.seen.len()), (0, 0));
}

static LIST: RustType<RefCell<Vec<Ref<i64>>>> = gc_type("list");

/// §5.1 `Py_VISIT`: a non-zero visit result ends the traversal at once and
/// is `tp_traverse`'s result (what `gc.get_referents` relies on, GC-08).
#[test]
fn nonzero_visit_result_stops_early_and_is_returned() {
    let items = ints(5);
    let list = Ref::new(&LIST, RefCell::new(items.clone()));
    let (r, rec) = traverse_object::<RefCell<Vec<Ref<i64>>>>(Ref::as_ptr(&list), 3, 42);
    assert_eq!(r, 42);
    assert_eq!(rec.seen, ptrs(&items)[..3]);
}

/// The same early return through the safe layer: `Err(Stop(n))`.
#[test]
fn visitor_turns_nonzero_into_stop() {
    let items = ints(3);
    let mut rec = Record {
        stop_at: 2,
        code: -5,
        ..Record::default()
    };
    // SAFETY: `record` accepts any object with a `Record` as `arg`.
    let mut visitor = unsafe { Visitor::new(record, ptr::from_mut(&mut rec).cast()) };
    assert_eq!(items.traverse(&mut visitor), Err(Stop(-5)));
    let op = NonNull::new(Ref::as_ptr(&items[2])).unwrap();
    // SAFETY: `items[2]` is live.
    assert_eq!(unsafe { visitor.visit(op) }, Ok(()));
    assert_eq!(rec.seen.len(), 3);
}

/// §5.1: an instance of a heap type owns a reference to its type, so the
/// type is visited first (`subtype_traverse`, CPython >= 3.9).
#[test]
fn heap_type_instance_visits_its_type_first() {
    let class = HeapType::<RefCell<Vec<Ref<i64>>>>::new("HeapList");
    let items = ints(2);
    let obj = class.instantiate(RefCell::new(items.clone()));
    let (r, rec) = traverse_object::<RefCell<Vec<Ref<i64>>>>(Ref::as_ptr(&obj), 0, 0);
    assert_eq!(r, 0);
    let mut expected = vec![class.as_ptr().cast::<Object>()];
    expected.extend(ptrs(&items));
    assert_eq!(rec.seen, expected);
}

/// §5.1 `tp_clear`: clearing drops the payload's references, so the
/// items' counts fall back.
#[test]
fn clear_payload_drops_the_references() {
    let items = ints(3);
    let list = Ref::new(&LIST, RefCell::new(items.clone()));
    assert!(items.iter().all(|i| i.refcnt() == 2));
    // SAFETY: `list` is a live instance of `LIST`, held across the call.
    let r = unsafe { clear_payload::<RefCell<Vec<Ref<i64>>>>(Ref::as_ptr(&list)) };
    assert_eq!(r, 0);
    assert!(items.iter().all(|i| i.refcnt() == 1));
    assert!(list.borrow().is_empty());
}

/// §5.1 `tp_clear` breaks cycles: in a two-node cycle held only by `a`,
/// clearing `a` frees `b`, and `b`'s dealloc gives up its reference to `a`.
#[test]
fn clear_payload_breaks_a_two_node_cycle() {
    let a = node(None);
    let b = node(Some(a.clone()));
    *a.next.borrow_mut() = Some(b.clone());
    drop(b);
    let before = DROPS.with(Cell::get);
    // SAFETY: `a` is a live `Node`, held across the call as the collector
    // holds it.
    assert_eq!(unsafe { clear_payload::<Node>(Ref::as_ptr(&a)) }, 0);
    assert_eq!(DROPS.with(Cell::get), before + 1, "b is freed");
    assert_eq!(a.refcnt(), 1, "b's reference to a is gone");
    drop(a);
    assert_eq!(DROPS.with(Cell::get), before + 2);
}

/// `Cell<Option<T>>` clears by taking its content.
#[test]
fn cell_clear_takes_the_content() {
    let one = Ref::new(&INT, 1);
    let cell = Cell::new(Some(one.clone()));
    assert_eq!(one.refcnt(), 2);
    cell.clear();
    assert_eq!(one.refcnt(), 1);
    assert!(cell.take().is_none());
}

/// A payload whose callbacks panic.
struct Boom;

impl Traverse for Boom {
    fn traverse(&self, _visitor: &mut Visitor<'_>) -> VisitResult {
        panic!("boom in traverse")
    }
}

impl Clear for Boom {
    fn clear(&self) {
        panic!("boom in clear")
    }
}

static BOOM: RustType<Boom> = gc_type("Boom");

/// §5.1 errors in GC callbacks are reported, not propagated ("Exception
/// ignored in tp_clear of %s"): a panic never unwinds through the extern
/// slot; it returns -1 and the recorded error names the type.
#[test]
fn panicking_callbacks_return_minus_one_and_name_the_type() {
    let boom = Ref::new(&BOOM, Boom);
    assert_eq!(take_callback_error(), None);

    let (r, _) = traverse_object::<Boom>(Ref::as_ptr(&boom), 0, 0);
    assert_eq!(r, -1);
    let err = take_callback_error().expect("traverse error recorded");
    assert!(err.contains("tp_traverse of `Boom`"), "{err}");
    assert!(err.contains("boom in traverse"), "{err}");
    assert_eq!(take_callback_error(), None, "taking clears it");

    // SAFETY: `boom` is a live `Boom`, held across the call.
    assert_eq!(unsafe { clear_payload::<Boom>(Ref::as_ptr(&boom)) }, -1);
    let err = take_callback_error().expect("clear error recorded");
    assert!(err.contains("tp_clear of `Boom`"), "{err}");
}

/// Traversing a `RefCell` that is mutably borrowed is a bug in the code
/// holding the borrow: it panics with a message naming the situation,
/// which the extern slot turns into -1.
#[test]
fn traverse_of_mutably_borrowed_refcell_reports_the_borrow() {
    let list = Ref::new(&LIST, RefCell::new(ints(1)));
    let guard = list.borrow_mut();
    let (r, rec) = traverse_object::<RefCell<Vec<Ref<i64>>>>(Ref::as_ptr(&list), 0, 0);
    drop(guard);
    assert_eq!((r, rec.seen.len()), (-1, 0));
    let err = take_callback_error().expect("error recorded");
    assert!(err.contains("tp_traverse of `list`"), "{err}");
    assert!(err.contains("mutably borrowed"), "{err}");
}
