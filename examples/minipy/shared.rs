//! Values that cross threads, as free-threaded objects.
//!
//! Each minipy thread runs its own interpreter: its own heap of
//! default-header objects (non-atomic counts, `!Send`), its own collector
//! and interned strings, as each of PEP 734's interpreters has its own
//! objects. What one thread hands another (the arguments of `thread(f,
//! *args)`, the module's globals, the function's result) is packed into a
//! tree of *shared* objects with the free-threading header
//! ([`FtObject`]), moved to the other thread, and unpacked there into
//! fresh local objects. So lists pass between threads by value.
//!
//! ```text
//!   parent thread (owner)                    child thread (non-owner)
//!   [1, (2, "x")]  --pack-->  shared list     --unpack-->  [1, (2, "x")]
//!                             ob_tid = parent              its own copy
//!                             ob_ref_local = 1
//!                     child drops its handle: ob_ref_shared -= 1 (atomic),
//!                     below zero -> queued to the owner (_Py_brc_queue_object)
//!   parent at join(): merge_refcounts() -> count 0 -> dealloc on the owner
//! ```
//!
//! The shared objects exercise biased reference counting exactly where
//! CPython's free-threaded build does: the packing thread owns them and
//! counts with plain loads and stores; the thread that unpacks and drops
//! them counts on `ob_ref_shared` with atomics, and the last reference
//! dropped by a non-owner goes through the owner's merge queue (or, when
//! the owner has exited, is merged by the dropping thread itself).
//!
//! A [`Ledger`] per program counts live shared objects, so a test can
//! assert that every one of them was freed, whichever thread dropped it.

use std::sync::atomic::{AtomicIsize, AtomicUsize, Ordering};
use std::sync::Arc;

use hashbrown::{HashMap, HashSet};
use objmodel::types::ft::FtObject;
use objmodel::{Object, Ref, RustType};

use crate::builtins::{self, Exc};
use crate::obj::Obj;
use crate::objects::class::{self, as_inst, CLASS};
use crate::objects::func::FUNCTION;
use crate::objects::{self, Dict, Function, DICT, FLOAT, LIST, MODULE};
use crate::ops;
use crate::vm::{err, PyErr, PyResult};

/// One reference to a shared object (`Send + Sync`: its header counts
/// with the biased scheme).
pub type Shared = Ref<Payload, FtObject>;

/// The static free-threaded type of every shared object.
pub static SHARED: RustType<Payload, FtObject> = RustType::new("shared");

/// What a shared object holds.
pub enum Value {
    /// `None`.
    None,
    /// `True` / `False`.
    Bool(bool),
    /// An `int`.
    Int(i64),
    /// A `float`.
    Float(f64),
    /// A `str`.
    Str(Box<str>),
    /// A `tuple`'s items.
    Tuple(Vec<Shared>),
    /// A `list`'s items at the moment it was packed.
    List(Vec<Shared>),
    /// A `dict`'s items in insertion order.
    Dict(Vec<(Shared, Shared)>),
    /// A module-level function: where its code sits in the module's code
    /// tree (each thread compiles the same source, so the path finds the
    /// same code) and its default values.
    Function {
        /// Indices into `Code::codes`, from the module's code down.
        path: Vec<usize>,
        /// Its defaults.
        defaults: Vec<Shared>,
    },
    /// A built-in module, by name.
    Module(&'static str),
    /// A built-in exception class.
    BuiltinClass(Exc),
    /// A user class: rebuilt on the other side from its name, bases and
    /// namespace (its methods travel as functions).
    Class {
        /// `__name__`.
        name: Box<str>,
        /// Its bases.
        bases: Vec<Shared>,
        /// Its namespace.
        dict: Vec<(Shared, Shared)>,
    },
    /// An instance of a user class without `__del__` (a copy whose
    /// finalizer ran on both threads would run it twice).
    Instance {
        /// Its class.
        class: Shared,
        /// Its attributes.
        attrs: Vec<(Shared, Shared)>,
    },
}

/// A shared object's payload: the value and the ledger that counts it.
pub struct Payload {
    /// The value.
    pub value: Value,
    ledger: Arc<Ledger>,
}

impl Drop for Payload {
    fn drop(&mut self) {
        self.ledger.live.fetch_sub(1, Ordering::Release);
    }
}

/// Counts a program's shared objects (all its threads together).
#[derive(Default, Debug)]
pub struct Ledger {
    live: AtomicIsize,
    created: AtomicUsize,
}

impl Ledger {
    /// Shared objects alive now.
    pub fn live(&self) -> isize {
        self.live.load(Ordering::Acquire)
    }

    /// Shared objects made so far.
    pub fn created(&self) -> usize {
        self.created.load(Ordering::Relaxed)
    }
}

fn new_shared(ledger: &Arc<Ledger>, value: Value) -> Shared {
    ledger.live.fetch_add(1, Ordering::Relaxed);
    ledger.created.fetch_add(1, Ordering::Relaxed);
    Ref::new(
        &SHARED,
        Payload {
            value,
            ledger: ledger.clone(),
        },
    )
}

/// Why a value cannot cross: the exception kind and message, made into
/// an exception only when the program sees it (a module global that
/// cannot cross is skipped, and costs no exception object).
pub struct Refusal(Exc, String);

impl Refusal {
    /// The exception to raise.
    pub fn raise(self) -> Box<PyErr> {
        err(self.0, self.1)
    }
}

/// The result of packing.
pub type Packed<T> = Result<T, Refusal>;

/// Packs local values into shared objects. An object reached twice is
/// packed once (`a = [x, x]` arrives with both items the same object); a
/// container that contains itself is refused, since shared objects are
/// freed by counting alone.
pub struct Packer<'a> {
    ledger: &'a Arc<Ledger>,
    find_code: &'a dyn Fn(&Function) -> Option<Vec<usize>>,
    done: HashMap<*mut Object, Shared>,
    open: HashSet<*mut Object>,
}

impl<'a> Packer<'a> {
    /// A packer counting into `ledger`; `find_code` gives a function's
    /// path in the module's code tree.
    pub fn new(
        ledger: &'a Arc<Ledger>,
        find_code: &'a dyn Fn(&Function) -> Option<Vec<usize>>,
    ) -> Packer<'a> {
        Packer {
            ledger,
            find_code,
            done: HashMap::new(),
            open: HashSet::new(),
        }
    }

    /// Packs `o`.
    ///
    /// # Errors
    /// `TypeError` naming the type of a value that cannot cross threads
    /// (instances, classes, closures, iterators, ...), `ValueError` for a
    /// container that contains itself.
    pub fn pack(&mut self, o: &Obj) -> Packed<Shared> {
        let key = o.as_ptr();
        if let Some(s) = self.done.get(&key) {
            return Ok(s.clone());
        }
        let value = self.value_of(o)?;
        let s = new_shared(self.ledger, value);
        self.done.insert(key, s.clone());
        Ok(s)
    }

    fn value_of(&mut self, o: &Obj) -> Packed<Value> {
        if objects::is_none(o) {
            return Ok(Value::None);
        }
        if let Some(b) = objects::as_bool(o) {
            return Ok(Value::Bool(b));
        }
        if let Some(i) = objects::as_int(o) {
            return Ok(Value::Int(i));
        }
        if let Some(f) = o.get(&FLOAT) {
            return Ok(Value::Float(*f));
        }
        if let Some(s) = objects::as_str(o) {
            return Ok(Value::Str(s.into()));
        }
        if let Some(m) = o.get(&MODULE) {
            return Ok(Value::Module(m.name));
        }
        if let Some(f) = o.get(&FUNCTION) {
            return self.function(o, f);
        }
        if let Some(c) = o.get(&CLASS) {
            if builtins::is_builtin_class(o) {
                if let Some(kind) = builtins::exc_by_name(&c.name) {
                    return Ok(Value::BuiltinClass(kind));
                }
            }
        }
        // Containers: refuse one that is being packed further up.
        let key = o.as_ptr();
        if !self.open.insert(key) {
            return Err(Refusal(
                Exc::ValueError,
                format!(
                    "cannot pass a {} that contains itself (at {key:p}) to a thread",
                    ops::type_name(o)
                ),
            ));
        }
        let v = self.container(o);
        self.open.remove(&key);
        v
    }

    fn container(&mut self, o: &Obj) -> Packed<Value> {
        if let Some(items) = objects::as_tuple(o) {
            return Ok(Value::Tuple(self.pack_all(items)?));
        }
        if let Some(l) = o.get(&LIST) {
            // A snapshot: packing an item runs no minipy code, so the list
            // cannot change underneath, but the borrow must not be held
            // while items are packed (they may be this list's own items).
            let items: Vec<Obj> = l.borrow().clone();
            return Ok(Value::List(self.pack_all(&items)?));
        }
        if let Some(d) = o.get(&DICT) {
            return Ok(Value::Dict(self.pack_items(&d.borrow())?));
        }
        if let Some(c) = o.get(&CLASS) {
            return Ok(Value::Class {
                name: c.name.as_str().into(),
                bases: self.pack_all(&c.bases)?,
                dict: self.pack_items(&c.dict.get(&DICT).expect("a namespace").borrow())?,
            });
        }
        if let Some(i) = as_inst(o) {
            if class::lookup(&i.class, "__del__").is_some() {
                return Err(Refusal(
                    Exc::TypeError,
                    format!(
                        "cannot pass a '{}' object (at {:p}) to a thread: its class defines \
                         __del__, which would run once per copy",
                        ops::type_name(o),
                        o.as_ptr()
                    ),
                ));
            }
            return Ok(Value::Instance {
                class: self.pack(&i.class)?,
                attrs: self.pack_items(&i.attrs.borrow())?,
            });
        }
        Err(Refusal(
            Exc::TypeError,
            format!(
                "cannot pass a '{}' object (at {:p}) to a thread: only None, bool, int, float, \
                 str, tuple, list, dict, modules and module-level functions cross threads",
                ops::type_name(o),
                o.as_ptr()
            ),
        ))
    }

    fn pack_all(&mut self, items: &[Obj]) -> Packed<Vec<Shared>> {
        items.iter().map(|i| self.pack(i)).collect()
    }

    fn pack_items(&mut self, d: &Dict) -> Packed<Vec<(Shared, Shared)>> {
        // Packing runs no minipy code, so the dict cannot change; the
        // handles are cloned so that no borrow is held while items pack.
        let items: Vec<(Obj, Obj)> = d.items().map(|(k, v)| (k.clone(), v.clone())).collect();
        items
            .iter()
            .map(|(k, v)| Ok((self.pack(k)?, self.pack(v)?)))
            .collect()
    }

    fn function(&mut self, o: &Obj, f: &Function) -> Packed<Value> {
        let name = &f.code.name;
        if !f.closure.is_empty() {
            return Err(Refusal(
                Exc::TypeError,
                format!("cannot pass function '{name}' to a thread: it closes over variables"),
            ));
        }
        let Some(path) = (self.find_code)(f) else {
            return Err(Refusal(
                Exc::TypeError,
                format!(
                    "cannot pass function '{name}' (at {:p}) to a thread: it is not part of \
                     the program's source",
                    o.as_ptr()
                ),
            ));
        };
        let defaults = self.pack_all(&f.defaults)?;
        Ok(Value::Function { path, defaults })
    }
}

/// Unpacks shared objects into fresh local ones. A shared object reached
/// twice becomes one local object.
pub struct Unpacker<'a> {
    globals: &'a Obj,
    code_at: &'a dyn Fn(&[usize]) -> Option<std::rc::Rc<crate::compiler::Code>>,
    done: HashMap<*mut FtObject, Obj>,
}

impl<'a> Unpacker<'a> {
    /// An unpacker whose functions run in `globals`; `code_at` finds a
    /// code object by its path in this thread's compiled module.
    pub fn new(
        globals: &'a Obj,
        code_at: &'a dyn Fn(&[usize]) -> Option<std::rc::Rc<crate::compiler::Code>>,
    ) -> Unpacker<'a> {
        Unpacker {
            globals,
            code_at,
            done: HashMap::new(),
        }
    }

    /// Unpacks `s` into a local object.
    ///
    /// # Errors
    /// `RuntimeError` when a function's code is not where its path says
    /// (the two threads compiled different sources), or a module is
    /// unknown.
    pub fn unpack(&mut self, s: &Shared) -> PyResult<Obj> {
        let key = Ref::as_ptr(s);
        if let Some(o) = self.done.get(&key) {
            return Ok(o.clone());
        }
        let o = match &s.value {
            Value::None => objects::none(),
            Value::Bool(b) => objects::bool_obj(*b),
            Value::Int(i) => objects::int(*i),
            Value::Float(f) => objects::float(*f),
            Value::Str(s) => objects::str_obj(s),
            Value::Tuple(items) => objects::tuple(self.unpack_all(items)?),
            Value::List(items) => objects::list(self.unpack_all(items)?),
            Value::Dict(items) => self.dict(items)?,
            Value::BuiltinClass(kind) => builtins::exc_class(*kind),
            Value::Class { name, bases, dict } => {
                // Classes go by name, as pickle sends them: the receiving
                // module's class of that name when it has one (so `except
                // Oops` matches an Oops raised on another thread), else a
                // class rebuilt from what was sent.
                if let Some(c) = self.module_class(name)? {
                    self.done.insert(key, c.clone());
                    return Ok(c);
                }
                let bases = self.unpack_all(bases)?;
                let ns = self.dict(dict)?;
                class::new_class(name, bases, ns)?
            }
            Value::Instance { class, attrs } => {
                let inst = class::new_instance(&self.unpack(class)?);
                for (k, v) in attrs {
                    let (k, v) = (self.unpack(k)?, self.unpack(v)?);
                    ops::set_attr(&inst, &k, Some(v))?;
                }
                inst
            }
            Value::Function { path, defaults } => {
                let code = (self.code_at)(path).ok_or_else(|| {
                    err(
                        Exc::RuntimeError,
                        format!("no code at {path:?} in this thread's module"),
                    )
                })?;
                let defaults = self.unpack_all(defaults)?;
                Obj::new_gc(
                    &FUNCTION,
                    Function {
                        code,
                        globals: self.globals.clone(),
                        defaults,
                        closure: Vec::new(),
                    },
                )
            }
            Value::Module(name) => builtins::import(name)
                .ok_or_else(|| err(Exc::RuntimeError, format!("no built-in module '{name}'")))?,
        };
        self.done.insert(key, o.clone());
        Ok(o)
    }

    fn module_class(&self, name: &str) -> PyResult<Option<Obj>> {
        let found = ops::dict_get(self.globals, &builtins::intern(name))?;
        Ok(found.filter(|c| c.get(&CLASS).is_some_and(|c| c.name == name)))
    }

    fn dict(&mut self, items: &[(Shared, Shared)]) -> PyResult<Obj> {
        let d = objects::dict(Dict::new());
        for (k, v) in items {
            let (k, v) = (self.unpack(k)?, self.unpack(v)?);
            ops::dict_set(&d, k, v)?;
        }
        Ok(d)
    }

    fn unpack_all(&mut self, items: &[Shared]) -> PyResult<Vec<Obj>> {
        items.iter().map(|i| self.unpack(i)).collect()
    }
}
