//! minipy's built-in types: one static objmodel type per kind of value,
//! and the static immortal singletons (small ints, `None`, `True`,
//! `False`, the empty tuple), as CPython 3.14 has them.

pub mod class;
pub mod dict;
pub mod func;

use core::cell::RefCell;
use core::mem::offset_of;

use objmodel::cpython::{Py_False, Py_None, Py_TYPE, Py_True};
use objmodel::cycles::traverse::{gc_type, Clear, Traverse, VisitResult, Visitor};
use objmodel::types::gc_head::GcHead;
use objmodel::types::handle::Instance;
use objmodel::{Object, RustType, TypeObject};

use crate::obj::Obj;

pub use dict::Dict;
pub use func::{Function, Method};

/// `int` (64-bit; overflow raises `OverflowError`).
pub static INT: RustType<i64> = RustType::new("int");
/// `float`.
pub static FLOAT: RustType<f64> = RustType::new("float");
/// `str`.
pub static STR: RustType<Box<str>> = RustType::new("str");
/// `list`.
pub static LIST: RustType<RefCell<Vec<Obj>>> = gc_type("list");
/// `tuple`.
pub static TUPLE: RustType<Tuple> = gc_type("tuple");
/// `dict`.
pub static DICT: RustType<RefCell<Dict>> = gc_type("dict");
/// `range`.
pub static RANGE: RustType<Range> = RustType::new("range");
/// `slice`.
pub static SLICE: RustType<Slice> = gc_type("slice");
/// The iterators `for` loops use.
pub static ITER: RustType<RefCell<Iter>> = gc_type("iterator");
/// A module (`sys`, `gc`, `weakref`).
pub static MODULE: RustType<Module> = gc_type("module");

/// A tuple's items (immutable, so clearing it does nothing; cycles
/// through a tuple always pass through a mutable container too).
pub struct Tuple(TupleItems);

/// Where a tuple keeps its items: a pair, the commonest tuple, lives
/// inside the object (as CPython's `ob_item` does) rather than in a
/// second heap block.
enum TupleItems {
    Pair([Obj; 2]),
    Seq(Vec<Obj>),
}

impl Tuple {
    /// The items.
    pub fn items(&self) -> &[Obj] {
        match &self.0 {
            TupleItems::Pair(p) => p,
            TupleItems::Seq(v) => v,
        }
    }
}

impl Traverse for Tuple {
    fn traverse(&self, visitor: &mut Visitor<'_>) -> VisitResult {
        self.items().traverse(visitor)
    }
}

impl Clear for Tuple {
    fn clear(&self) {}
}

/// `range(start, stop, step)`.
pub struct Range {
    /// First value.
    pub start: i64,
    /// End (excluded).
    pub stop: i64,
    /// Step (non-zero).
    pub step: i64,
}

impl Range {
    /// How many values it yields.
    pub fn len(&self) -> i64 {
        if self.step > 0 && self.start < self.stop {
            (self.stop - self.start - 1) / self.step + 1
        } else if self.step < 0 && self.start > self.stop {
            (self.start - self.stop - 1) / (-self.step) + 1
        } else {
            0
        }
    }
}

/// `a[lo:hi:step]`.
pub struct Slice(pub Obj, pub Obj, pub Obj);

impl Traverse for Slice {
    fn traverse(&self, visitor: &mut Visitor<'_>) -> VisitResult {
        self.0.traverse(visitor)?;
        self.1.traverse(visitor)?;
        self.2.traverse(visitor)
    }
}

impl Clear for Slice {
    fn clear(&self) {}
}

/// An iterator's state.
#[derive(Default)]
pub enum Iter {
    /// Over a list or tuple by index (a list may change while iterated).
    Seq(Obj, usize),
    /// Over a range.
    Range(i64, i64, i64),
    /// Over a snapshot of values (dict keys, string characters).
    Values(std::vec::IntoIter<Obj>),
    /// Exhausted.
    #[default]
    Done,
}

impl Traverse for Iter {
    fn traverse(&self, visitor: &mut Visitor<'_>) -> VisitResult {
        match self {
            Iter::Seq(o, _) => o.traverse(visitor),
            Iter::Values(v) => v.as_slice().traverse(visitor),
            _ => Ok(()),
        }
    }
}

/// A built-in module: its name and namespace dict.
pub struct Module {
    /// `sys`, `gc` or `weakref`.
    pub name: &'static str,
    /// Its attributes.
    pub dict: Obj,
}

impl Traverse for Module {
    fn traverse(&self, visitor: &mut Visitor<'_>) -> VisitResult {
        self.dict.traverse(visitor)
    }
}

impl Clear for Module {
    fn clear(&self) {}
}

// ---- static immortal singletons ---------------------------------------------

/// A statically allocated object. Statics must be `Sync`; these never are
/// written (T2: a static-immortal count word is never touched, and the
/// payloads are immutable).
#[repr(C)]
pub struct Static<T>(T);

// SAFETY: T2: a static object's count word is static-immortal and never
// written; the payloads here (ints, an empty Vec) are never mutated.
unsafe impl<T> Sync for Static<T> {}

/// A static GC object: its GC header in front, as CPython lays out
/// `_Py_SINGLETON(tuple_empty)`, so the collector may read it.
#[repr(C)]
pub struct StaticGc<T> {
    gc: GcHead,
    inst: Instance<T>,
}

// The object must follow its header directly (`GcHead::of` subtracts 16).
const _: () = assert!(offset_of!(StaticGc<Tuple>, inst) == 16);

const SMALL_MIN: i64 = -5;
const SMALL_MAX: i64 = 256;
const SMALL_COUNT: usize = (SMALL_MAX - SMALL_MIN + 1) as usize;

const fn small_ints(ty: &'static RustType<i64>) -> [Instance<i64>; SMALL_COUNT] {
    let tp: *const TypeObject = ty.type_object();
    let mut a = [const {
        Instance {
            ob_base: Object::new_static(core::ptr::null()),
            value: 0,
        }
    }; SMALL_COUNT];
    let mut i = 0;
    while i < SMALL_COUNT {
        a[i] = Instance {
            ob_base: Object::new_static(tp),
            value: SMALL_MIN + i as i64,
        };
        i += 1;
    }
    a
}

/// The small ints −5..=256, static immortals (`_PyLong_SMALL_INTS`).
static SMALL_INTS: Static<[Instance<i64>; SMALL_COUNT]> = Static(small_ints(&INT));

/// `()`, a static immortal (`_Py_SINGLETON(tuple_empty)`).
static EMPTY_TUPLE: Static<StaticGc<Tuple>> = Static(StaticGc {
    gc: GcHead::new(),
    inst: Instance {
        ob_base: Object::new_static(TUPLE.type_object()),
        value: Tuple(TupleItems::Seq(Vec::new())),
    },
});

// ---- constructors and checks --------------------------------------------------

/// `None`.
pub fn none() -> Obj {
    // SAFETY: `Py_None` is a live static immortal; no count moves for it,
    // so owning "one reference" costs nothing.
    unsafe { Obj::from_owned(Py_None()) }
}

/// `True` or `False`.
pub fn bool_obj(b: bool) -> Obj {
    let op = if b { Py_True() } else { Py_False() };
    // SAFETY: a live static immortal, as in `none`.
    unsafe { Obj::from_owned(op) }
}

/// Whether `o` is `None`.
pub fn is_none(o: &Obj) -> bool {
    o.as_ptr() == Py_None()
}

/// The value of a `bool`.
pub fn as_bool(o: &Obj) -> Option<bool> {
    if o.as_ptr() == Py_True() {
        Some(true)
    } else if o.as_ptr() == Py_False() {
        Some(false)
    } else {
        None
    }
}

/// Whether `o` is `True` or `False`.
pub fn is_bool(o: &Obj) -> bool {
    // SAFETY: the handle keeps the object live.
    o.ty() == unsafe { Py_TYPE(Py_True()) }
}

/// An int: a small int is the static immortal one.
pub fn int(v: i64) -> Obj {
    if (SMALL_MIN..=SMALL_MAX).contains(&v) {
        Obj::from_static(&SMALL_INTS.0[(v - SMALL_MIN) as usize])
    } else {
        Obj::new(&INT, v)
    }
}

/// The value of an `int` (or a `bool`, as in Python).
pub fn as_int(o: &Obj) -> Option<i64> {
    o.get(&INT).copied().or_else(|| as_bool(o).map(i64::from))
}

/// A float.
pub fn float(v: f64) -> Obj {
    Obj::new(&FLOAT, v)
}

/// A new (not interned) string.
pub fn str_obj(s: &str) -> Obj {
    Obj::new(&STR, s.into())
}

/// The text of a `str`.
pub fn as_str(o: &Obj) -> Option<&str> {
    o.get(&STR).map(|s| &**s)
}

/// A new list.
pub fn list(items: Vec<Obj>) -> Obj {
    Obj::new_gc(&LIST, RefCell::new(items))
}

/// A tuple; `()` is the static immortal one.
pub fn tuple(items: Vec<Obj>) -> Obj {
    if items.is_empty() {
        return Obj::from_static(&EMPTY_TUPLE.0.inst);
    }
    if items.len() == 2 {
        let mut it = items.into_iter();
        if let (Some(a), Some(b)) = (it.next(), it.next()) {
            return pair(a, b);
        }
        unreachable!("a two-item vector yields two items");
    }
    Obj::new_gc(&TUPLE, Tuple(TupleItems::Seq(items)))
}

/// The tuple `(a, b)`.
pub fn pair(a: Obj, b: Obj) -> Obj {
    Obj::new_gc(&TUPLE, Tuple(TupleItems::Pair([a, b])))
}

/// The items of a tuple.
pub fn as_tuple(o: &Obj) -> Option<&[Obj]> {
    o.get(&TUPLE).map(Tuple::items)
}

/// A new dict.
pub fn dict(d: Dict) -> Obj {
    Obj::new_gc(&DICT, RefCell::new(d))
}

/// An iterator object.
pub fn iter(state: Iter) -> Obj {
    Obj::new_gc(&ITER, RefCell::new(state))
}
