//! Model test: random sequences of `Py_INCREF`, `Py_DECREF`, `Py_NewRef`,
//! `Py_CLEAR`, `Py_SETREF` and `Py_XSETREF` over a graph of at most eight
//! objects whose slots point at each other, run through `objmodel::cpython`
//! and checked after every step against a plain reference model.
//!
//! The model knows, per object, how many references the test holds and what
//! each slot contains; an object's expected count is its held references
//! plus the slots of live objects that point at it. When a step takes a
//! count to zero, the model frees that object, empties its slots (as its
//! `tp_dealloc` does) and repeats until no live object is left at zero: the
//! cascade. Objects that only point at each other keep counts above zero and
//! stay alive, exactly as CPython's reference counting leaves cycles to the
//! collector.
//!
//! The rules checked are those of CPython's reference-counting page
//! (`Doc/c-api/refcounting.rst`) and of `cpython-semantics.md` §2.2–§2.3 and
//! §4.1: an object is deallocated when, and only when, its count reaches
//! zero (CAPI-02); `Py_NewRef` returns its argument with one more reference
//! (CAPI-06); `Py_CLEAR` leaves its slot null, and `Py_SETREF` and
//! `Py_XSETREF` leave the new value in it, each releasing the old value
//! (CAPI-04, CAPI-05).
//!
//! proptest generates the graph size and the operations (256 cases, 8
//! under Miri) and shrinks a failing sequence to a smallest one.

use std::cell::RefCell;
use std::mem::size_of;
use std::ptr::{addr_of, addr_of_mut, null_mut};

use objmodel::cpython::*;
use proptest::prelude::*;

/// The largest graph a case builds.
const MAX_OBJECTS: usize = 8;
/// Slots per object.
const SLOTS: usize = 3;
/// Cases per run; Miri interprets every step, so it gets fewer.
const CASES: u32 = if cfg!(miri) { 8 } else { 256 };
/// Longest operation sequence of a case.
const MAX_OPS: usize = if cfg!(miri) { 32 } else { 64 };

/// A graph node: a header and a few owned references to other nodes (or to
/// itself), each null or counted.
#[repr(C)]
struct Node {
    ob_base: PyObject,
    /// The node's index in its case's graph, recorded by the dealloc.
    id: usize,
    slots: [*mut PyObject; SLOTS],
}

thread_local! {
    /// Every `Node` dealloc on this thread: the node's id and the count its
    /// `tp_dealloc` saw on entry.
    static DEALLOCS: RefCell<Vec<(usize, Py_ssize_t)>> = const { RefCell::new(Vec::new()) };
}

/// `Node`'s `tp_dealloc`: logs the call, `Py_CLEAR`s every slot, frees the
/// block.
///
/// # Safety
/// - `op` is a `Node` whose count just reached 0 (`tp_dealloc`'s contract).
unsafe extern "C" fn node_dealloc(op: *mut PyObject) {
    let node = op.cast::<Node>();
    // SAFETY: first bullet: the node is whole until it is freed below.
    let entry = unsafe { ((*node).id, Py_REFCNT(op)) };
    DEALLOCS.with(|log| log.borrow_mut().push(entry));
    for k in 0..SLOTS {
        // SAFETY: first bullet: each slot is null or a reference the node
        // owns; a slot's target is another object, so clearing it touches
        // only that object's header, never this slot.
        unsafe { Py_CLEAR(&mut *addr_of_mut!((*node).slots[k])) };
    }
    // SAFETY: the block came from `PyType_GenericAlloc` and is freed once.
    unsafe { PyObject_Free(op.cast()) };
}

static NODE: PyTypeObject = PyTypeObject {
    tp_name: "Node",
    tp_basicsize: size_of::<Node>() as Py_ssize_t,
    tp_dealloc: Some(node_dealloc),
    ..PyTypeObject::DEFAULT
};

fn take_deallocs() -> Vec<(usize, Py_ssize_t)> {
    DEALLOCS.with(|log| std::mem::take(&mut *log.borrow_mut()))
}

/// One step. Selectors are reduced modulo the candidates at the time the
/// step runs, so every sequence (and every subsequence, when shrinking) is
/// valid.
#[derive(Debug, Clone, Copy)]
enum Op {
    /// `Py_INCREF` of a held object.
    Incref(u8),
    /// `Py_DECREF` of a held reference.
    Decref(u8),
    /// `Py_NewRef` of a held object.
    NewRef(u8),
    /// `Py_NewRef` of what a held object's non-null slot points at (a
    /// borrowed reference made owned).
    NewRefFromSlot(u8),
    /// `Py_CLEAR` of a slot (null or not) of a held object.
    Clear(u8, u8),
    /// `Py_SETREF(slot, Py_NewRef(target))` on a non-null slot of a held
    /// object; the target is held.
    SetRef(u8, u8),
    /// `Py_XSETREF(slot, Py_XNewRef(target))` on any slot of a held object;
    /// the target is held, or null.
    XSetRef(u8, u8, Option<u8>),
}

/// Any step; plain deallocations (`Decref`) and slot stores (`XSetRef`)
/// weigh most, so graphs grow edges and cascades happen.
fn op() -> impl Strategy<Value = Op> {
    let sel = any::<u8>;
    prop_oneof![
        1 => sel().prop_map(Op::Incref),
        3 => sel().prop_map(Op::Decref),
        1 => sel().prop_map(Op::NewRef),
        2 => sel().prop_map(Op::NewRefFromSlot),
        2 => (sel(), sel()).prop_map(|(s, k)| Op::Clear(s, k)),
        2 => (sel(), sel()).prop_map(|(s, t)| Op::SetRef(s, t)),
        4 => (sel(), sel(), prop::option::weighted(0.75, sel()))
            .prop_map(|(s, k, t)| Op::XSetRef(s, k, t)),
    ]
}

/// The reference model: what the test holds and what each slot contains.
struct Model {
    held: Vec<usize>,
    slots: Vec<[Option<usize>; SLOTS]>,
    freed: Vec<bool>,
}

impl Model {
    fn new(n: usize) -> Model {
        Model {
            held: vec![1; n],
            slots: vec![[None; SLOTS]; n],
            freed: vec![false; n],
        }
    }

    /// Held references plus slots of live objects pointing at `i`.
    fn expected(&self, i: usize) -> usize {
        let from_slots = (0..self.slots.len())
            .filter(|&j| !self.freed[j])
            .flat_map(|j| self.slots[j])
            .filter(|&s| s == Some(i))
            .count();
        self.held[i] + from_slots
    }

    /// Objects the test holds a reference to.
    fn held_objects(&self) -> Vec<usize> {
        (0..self.held.len()).filter(|&i| self.held[i] > 0).collect()
    }

    /// Non-null slots `(object, slot)` of held objects.
    fn filled_slots(&self) -> Vec<(usize, usize)> {
        self.held_objects()
            .into_iter()
            .flat_map(|i| (0..SLOTS).map(move |k| (i, k)))
            .filter(|&(i, k)| self.slots[i][k].is_some())
            .collect()
    }

    /// Frees every live object at count 0, emptying its slots, until none
    /// is left; returns what it freed, sorted.
    fn cascade(&mut self) -> Vec<usize> {
        let mut freed = Vec::new();
        while let Some(i) = (0..self.held.len()).find(|&i| !self.freed[i] && self.expected(i) == 0)
        {
            self.freed[i] = true;
            self.slots[i] = [None; SLOTS];
            freed.push(i);
        }
        freed.sort_unstable();
        freed
    }
}

/// The real graph: the objects of one case, by id.
struct Graph {
    objects: Vec<*mut PyObject>,
}

impl Graph {
    fn new(n: usize) -> Graph {
        let ty = addr_of!(NODE).cast_mut();
        // SAFETY: `NODE` is a static type with a dealloc and a valid size.
        assert_eq!(unsafe { PyType_Ready(ty) }, 0);
        let objects = (0..n)
            .map(|id| {
                // SAFETY: a readied type with the generic allocator.
                let op = unsafe { PyType_GenericAlloc(ty, 0) };
                assert!(!op.is_null());
                // SAFETY: a fresh `Node` (zeroed: every slot null).
                unsafe { (*op.cast::<Node>()).id = id };
                op
            })
            .collect();
        Graph { objects }
    }

    /// A slot of object `i`, as the `&mut` the slot macros take.
    ///
    /// # Safety
    /// - Object `i` is live for as long as the reference is used.
    #[allow(clippy::mut_from_ref)]
    unsafe fn slot(&self, i: usize, k: usize) -> &mut *mut PyObject {
        // SAFETY: first bullet; the reference covers the slot's 8 bytes
        // only, never the header that nested deallocs count through.
        unsafe { &mut *addr_of_mut!((*self.objects[i].cast::<Node>()).slots[k]) }
    }
}

/// Applies `op` to both the graph and the model.
fn apply(op: Op, graph: &Graph, model: &mut Model) {
    let held = model.held_objects();
    let pick = |sel: u8, from: &[usize]| from[usize::from(sel) % from.len()];
    if held.is_empty() {
        return;
    }
    let obj = |sel| graph.objects[pick(sel, &held)];
    match op {
        Op::Incref(s) => {
            // SAFETY: the test holds a reference to the object.
            unsafe { Py_INCREF(obj(s)) };
            model.held[pick(s, &held)] += 1;
        }
        Op::Decref(s) => {
            // SAFETY: the test holds a reference and gives it up.
            unsafe { Py_DECREF(obj(s)) };
            model.held[pick(s, &held)] -= 1;
        }
        Op::NewRef(s) => {
            // SAFETY: the test holds a reference to the object.
            let r = unsafe { Py_NewRef(obj(s)) };
            assert_eq!(r, obj(s), "Py_NewRef returns its argument");
            model.held[pick(s, &held)] += 1;
        }
        Op::NewRefFromSlot(s) => {
            let filled = model.filled_slots();
            if filled.is_empty() {
                return;
            }
            let (i, k) = filled[usize::from(s) % filled.len()];
            let target = model.slots[i][k].expect("a filled slot");
            // SAFETY: object `i` is held; its slot holds a counted
            // reference, so the target is live.
            let r = unsafe { Py_NewRef(*graph.slot(i, k)) };
            assert_eq!(r, graph.objects[target], "Py_NewRef returns its argument");
            model.held[target] += 1;
        }
        Op::Clear(s, k) => {
            let (i, k) = (pick(s, &held), usize::from(k) % SLOTS);
            // SAFETY: object `i` is held, so live through the cascade; the
            // slot is null or a reference it owns.
            let slot = unsafe { graph.slot(i, k) };
            // SAFETY: as above.
            unsafe { Py_CLEAR(slot) };
            assert!(slot.is_null(), "Py_CLEAR leaves the slot null");
            model.slots[i][k] = None;
        }
        Op::SetRef(s, t) => {
            let filled = model.filled_slots();
            if filled.is_empty() {
                return;
            }
            let (i, k) = filled[usize::from(s) % filled.len()];
            let target = pick(t, &held);
            // SAFETY: object `i` is held and the slot is non-null and owned;
            // the target is held, and `Py_NewRef` gives the slot its own
            // reference.
            let slot = unsafe { graph.slot(i, k) };
            // SAFETY: as above.
            unsafe { Py_SETREF(slot, Py_NewRef(graph.objects[target])) };
            assert_eq!(
                *slot, graph.objects[target],
                "Py_SETREF stores the new value"
            );
            model.slots[i][k] = Some(target);
        }
        Op::XSetRef(s, k, t) => {
            let (i, k) = (pick(s, &held), usize::from(k) % SLOTS);
            let target = t.map(|t| pick(t, &held));
            let new = target.map_or(null_mut(), |j| graph.objects[j]);
            // SAFETY: object `i` is held; the slot is null or owned; the
            // target is null or held, and `Py_XNewRef` gives the slot its
            // own reference.
            let slot = unsafe { graph.slot(i, k) };
            // SAFETY: as above.
            unsafe { Py_XSETREF(slot, Py_XNewRef(new)) };
            assert_eq!(*slot, new, "Py_XSETREF stores the new value");
            model.slots[i][k] = target;
        }
    }
}

/// After a step: the deallocs it caused are exactly the objects the model
/// freed (each once, each seen at count 0), and every live object's count
/// is the model's.
fn check(step: &str, graph: &Graph, model: &Model, freed: &[usize]) -> Result<(), String> {
    let log = take_deallocs();
    if let Some(&(id, count)) = log.iter().find(|&&(_, count)| count != 0) {
        return Err(format!(
            "{step}: tp_dealloc of object {id} ran at count {count}"
        ));
    }
    let mut ids: Vec<usize> = log.iter().map(|&(id, _)| id).collect();
    ids.sort_unstable();
    if ids != freed {
        return Err(format!(
            "{step}: deallocated {ids:?}, the model freed {freed:?}"
        ));
    }
    for (i, &op) in graph.objects.iter().enumerate() {
        if model.freed[i] {
            continue;
        }
        // SAFETY: the model says the object is live: some reference to it
        // is counted.
        let got = unsafe { Py_REFCNT(op) };
        let want = model.expected(i) as Py_ssize_t;
        if got != want {
            return Err(format!(
                "{step}: Py_REFCNT of object {i} is {got}, the model says {want}"
            ));
        }
    }
    Ok(())
}

/// Runs one case: `n` objects, `ops`, then the teardown; `Err` names the
/// first disagreement with the model.
fn run_case(n: usize, ops: &[Op]) -> Result<(), String> {
    take_deallocs();
    let graph = Graph::new(n);
    let mut model = Model::new(n);
    check("creation", &graph, &model, &[])?;
    for (step, &op) in ops.iter().enumerate() {
        apply(op, &graph, &mut model);
        let freed = model.cascade();
        check(&format!("step {step} {op:?}"), &graph, &model, &freed)?;
    }

    // Teardown 1: give up every held reference. Objects kept alive only by
    // slots (cycles, and whatever cycles point at) must survive it.
    for i in 0..n {
        while model.held[i] > 0 {
            // SAFETY: the test holds a reference to object `i`.
            unsafe { Py_DECREF(graph.objects[i]) };
            model.held[i] -= 1;
            let freed = model.cascade();
            check(&format!("release of object {i}"), &graph, &model, &freed)?;
        }
    }
    // Teardown 2: break what is left, as a collector would: take a
    // reference to every survivor, clear its slots, then let go.
    let survivors: Vec<usize> = (0..n).filter(|&i| !model.freed[i]).collect();
    for &i in &survivors {
        // SAFETY: the model says the object is live.
        unsafe { Py_INCREF(graph.objects[i]) };
        model.held[i] += 1;
    }
    check("taking the survivors", &graph, &model, &[])?;
    for &i in &survivors {
        for k in 0..SLOTS {
            // SAFETY: the test now holds object `i`; the slot is null or
            // a reference it owns.
            unsafe { Py_CLEAR(graph.slot(i, k)) };
            model.slots[i][k] = None;
            let freed = model.cascade();
            check(&format!("clearing slot {k} of {i}"), &graph, &model, &freed)?;
        }
    }
    for &i in &survivors {
        // SAFETY: the test holds a reference and gives it up.
        unsafe { Py_DECREF(graph.objects[i]) };
        model.held[i] -= 1;
        let freed = model.cascade();
        check(&format!("release of survivor {i}"), &graph, &model, &freed)?;
    }
    match model.freed.iter().position(|&f| !f) {
        Some(i) => Err(format!("object {i} was never deallocated")),
        None => Ok(()),
    }
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: CASES,
        // Miri isolates the file system: no regression file there.
        failure_persistence: if cfg!(miri) {
            None
        } else {
            ProptestConfig::default().failure_persistence
        },
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config())]

    /// The model test of reference counting over an object graph: in random
    /// sequences of `Py_INCREF`, `Py_DECREF`, `Py_NewRef`, `Py_CLEAR`,
    /// `Py_SETREF` and `Py_XSETREF` over up to eight objects pointing at each
    /// other (and at themselves), after every step `Py_REFCNT` of each live
    /// object equals the model's count, and the deallocs that step caused are
    /// exactly the objects whose count the model took to zero, cascades through
    /// slots included. Each `tp_dealloc` sees count 0, and objects held only by
    /// a cycle are not deallocated. At the end, after every external reference
    /// is released and the cycles are cleared through fresh references, every
    /// object has been deallocated exactly once.
    ///
    /// Mirrors CPython's documented rule (`Doc/c-api/refcounting.rst`,
    /// `cpython-semantics.md` §2.2 and §4.1): the type's deallocator runs
    /// when, and only when, the count reaches zero (CAPI-02); the slot macros
    /// store the new value (or null) and release the old (CAPI-04, CAPI-05).
    #[test]
    fn graph_objects_are_deallocated_once_and_only_at_count_zero(
        n in 1..=MAX_OBJECTS,
        ops in prop::collection::vec(op(), 0..=MAX_OPS),
    ) {
        run_case(n, &ops).map_err(TestCaseError::fail)?;
    }
}
