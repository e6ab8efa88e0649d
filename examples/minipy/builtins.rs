//! The runtime: interned strings, the built-in namespace (its functions
//! are in [`functions`]), the exception classes, the built-in types'
//! methods and the modules `sys`, `gc` and `weakref`.

use core::cell::RefCell;

use hashbrown::HashMap;
use objmodel::cpython::PyWeakref_GetRef;
use objmodel::cycles::weakref::is_weakref as raw_is_weakref;
use objmodel::Object;

pub use crate::methods::builtin_method;
use crate::obj::Obj;
use crate::objects::class::{self, as_inst, Class, CLASS};
use crate::objects::func::{builtin, BuiltinFn, BuiltinType, BUILTIN_TYPE};
use crate::objects::{
    self, as_int, as_str, as_tuple, none, str_obj, Dict, DICT, FLOAT, INT, LIST, RANGE, STR, TUPLE,
};
use crate::ops;
use crate::vm::{err, PyResult};

// An explicit path, because `benches/vm.rs` also loads this file through
// `#[path]`, and a file loaded that way looks for its children beside it.
#[path = "builtins/functions.rs"]
mod functions;
use functions::*;
pub use functions::{dict_update, sort_values};

/// The built-in exception classes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum Exc {
    BaseException,
    Exception,
    ArithmeticError,
    ZeroDivisionError,
    OverflowError,
    LookupError,
    KeyError,
    IndexError,
    ValueError,
    TypeError,
    NameError,
    UnboundLocalError,
    AttributeError,
    RuntimeError,
    RecursionError,
    NotImplementedError,
    StopIteration,
    AssertionError,
    ImportError,
}

/// Each exception class with its base.
const EXCEPTIONS: [(Exc, &str, Option<Exc>); 19] = [
    (Exc::BaseException, "BaseException", None),
    (Exc::Exception, "Exception", Some(Exc::BaseException)),
    (
        Exc::ArithmeticError,
        "ArithmeticError",
        Some(Exc::Exception),
    ),
    (
        Exc::ZeroDivisionError,
        "ZeroDivisionError",
        Some(Exc::ArithmeticError),
    ),
    (
        Exc::OverflowError,
        "OverflowError",
        Some(Exc::ArithmeticError),
    ),
    (Exc::LookupError, "LookupError", Some(Exc::Exception)),
    (Exc::KeyError, "KeyError", Some(Exc::LookupError)),
    (Exc::IndexError, "IndexError", Some(Exc::LookupError)),
    (Exc::ValueError, "ValueError", Some(Exc::Exception)),
    (Exc::TypeError, "TypeError", Some(Exc::Exception)),
    (Exc::NameError, "NameError", Some(Exc::Exception)),
    (
        Exc::UnboundLocalError,
        "UnboundLocalError",
        Some(Exc::NameError),
    ),
    (Exc::AttributeError, "AttributeError", Some(Exc::Exception)),
    (Exc::RuntimeError, "RuntimeError", Some(Exc::Exception)),
    (
        Exc::RecursionError,
        "RecursionError",
        Some(Exc::RuntimeError),
    ),
    (
        Exc::NotImplementedError,
        "NotImplementedError",
        Some(Exc::RuntimeError),
    ),
    (Exc::StopIteration, "StopIteration", Some(Exc::Exception)),
    (Exc::AssertionError, "AssertionError", Some(Exc::Exception)),
    (Exc::ImportError, "ImportError", Some(Exc::Exception)),
];

#[derive(Default)]
struct Runtime {
    interned: HashMap<Box<str>, Obj>,
    builtins: Option<Obj>,
    exc: Vec<Obj>,
    modules: Vec<(&'static str, Obj)>,
    types: Vec<Obj>,
    /// Unbound built-in methods by (type, interned name), made once.
    methods: HashMap<(usize, usize), Obj>,
}

std::thread_local! {
    static RT: RefCell<Runtime> = RefCell::new(Runtime::default());
}

/// The interned, immortal string `s` (identifiers and constants), as
/// CPython 3.14 interns them.
pub fn intern(s: &str) -> Obj {
    if let Some(o) = RT.with(|rt| rt.borrow().interned.get(s).cloned()) {
        return o;
    }
    let o = str_obj(s);
    o.make_immortal();
    RT.with(|rt| rt.borrow_mut().interned.insert(s.into(), o.clone()));
    o
}

/// A one-character string (ASCII ones interned, as CPython caches them).
pub fn char_str(c: char) -> Obj {
    if c.is_ascii() {
        let mut buf = [0u8; 4];
        intern(c.encode_utf8(&mut buf))
    } else {
        str_obj(&c.to_string())
    }
}

/// The built-in method `name` of `o`'s type, unbound (it takes the
/// receiver first); made once per type and name, immortal.
pub fn unbound_method(o: &Obj, name: &Obj) -> Option<Obj> {
    let key = (o.ty() as usize, name.as_ptr() as usize);
    if let Some(m) = RT.with(|rt| rt.borrow().methods.get(&key).cloned()) {
        return Some(m);
    }
    let (n, f) = crate::methods::method_fn(o, as_str(name)?)?;
    let m = builtin(n, f, None);
    // Only interned names are cached: their addresses are never reused.
    if name.is_immortal() {
        m.make_immortal();
        RT.with(|rt| rt.borrow_mut().methods.insert(key, m.clone()));
    }
    Some(m)
}

/// A built-in name (`len`, `ValueError`, ...); `h` is the name's hash.
pub fn lookup_builtin(key: &Obj, h: i64) -> Option<Obj> {
    RT.with(|rt| {
        let rt = rt.borrow();
        ops::dict_get_hashed(rt.builtins.as_ref()?, h, key)
            .ok()
            .flatten()
    })
}

/// The module `name`, if built in.
pub fn import(name: &str) -> Option<Obj> {
    RT.with(|rt| {
        rt.borrow()
            .modules
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, m)| m.clone())
    })
}

/// The built-in exception class called `name`.
pub fn exc_by_name(name: &str) -> Option<Exc> {
    EXCEPTIONS.iter().find(|e| e.1 == name).map(|e| e.0)
}

/// The built-in exception class `kind`.
pub fn exc_class(kind: Exc) -> Obj {
    RT.with(|rt| rt.borrow().exc[kind as usize].clone())
}

/// A new exception of `kind` with `args`.
pub fn exc_with_args(kind: Exc, args: Vec<Obj>) -> Obj {
    let inst = class::new_instance(&exc_class(kind));
    let _ = ops::set_attr(&inst, &intern("args"), Some(objects::tuple(args)));
    inst
}

/// A new exception of `kind` with message `msg` (no args when empty).
pub fn exc_new(kind: Exc, msg: &str) -> Obj {
    let args = if msg.is_empty() {
        Vec::new()
    } else {
        vec![str_obj(msg)]
    };
    exc_with_args(kind, args)
}

/// Whether `o` is an instance of exception class `kind`.
pub fn exc_is(o: &Obj, kind: Exc) -> bool {
    as_inst(o).is_some_and(|i| class::is_subclass(&i.class, &exc_class(kind)))
}

/// Whether `o` is one of the built-in exception classes.
pub fn is_builtin_class(o: &Obj) -> bool {
    RT.with(|rt| rt.borrow().exc.iter().any(|e| e.is_same(o)))
}

/// Whether `o` is a weak reference.
pub fn is_weakref(o: &Obj) -> bool {
    // SAFETY: the handle keeps the object live.
    unsafe { raw_is_weakref(o.as_ptr()) }
}

/// Calling a weak reference: its referent, or `None` once it is gone.
pub fn weakref_get(wr: &Obj) -> Obj {
    let mut out: *mut Object = core::ptr::null_mut();
    // SAFETY: `wr` is a live weak reference and `out` a valid slot.
    let alive = unsafe { PyWeakref_GetRef(wr.as_ptr(), &mut out) } == 1;
    if alive {
        // SAFETY: `PyWeakref_GetRef` returned a new reference.
        unsafe { Obj::from_owned(out) }
    } else {
        none()
    }
}

/// `isinstance(o, t)`.
///
/// # Errors
/// `TypeError` when `t` is not a class or a tuple of classes.
pub fn isinstance(o: &Obj, t: &Obj) -> PyResult<bool> {
    if let Some(items) = as_tuple(t) {
        for i in items {
            if isinstance(o, i)? {
                return Ok(true);
            }
        }
        return Ok(false);
    }
    if t.is(&CLASS) {
        return Ok(as_inst(o).is_some_and(|i| class::is_subclass(&i.class, t)));
    }
    if let Some(bt) = t.get(&BUILTIN_TYPE) {
        if bt.name == "object" {
            return Ok(true);
        }
        if bt.tp.is_null() {
            return Ok(false);
        }
        return Ok(core::ptr::eq(o.ty(), bt.tp)
            || (bt.name == "int" && objects::is_bool(o))
            || (bt.name == "type" && (o.is(&CLASS) || o.is(&BUILTIN_TYPE))));
    }
    Err(err(
        Exc::TypeError,
        "isinstance() arg 2 must be a type, a tuple of types, or a union",
    ))
}

/// `type(o)`.
fn type_of(o: &Obj) -> Obj {
    if let Some(i) = as_inst(o) {
        return i.class.clone();
    }
    let found = RT.with(|rt| {
        rt.borrow()
            .types
            .iter()
            .find(|t| {
                t.get(&BUILTIN_TYPE)
                    .is_some_and(|bt| core::ptr::eq(bt.tp, o.ty()))
            })
            .cloned()
    });
    found.unwrap_or_else(|| {
        Obj::new(
            &BUILTIN_TYPE,
            BuiltinType {
                name: o.type_name(),
                tp: o.ty(),
                ctor: no_ctor,
            },
        )
    })
}

fn no_ctor(_: &[Obj], _: &[(Obj, Obj)]) -> PyResult<Obj> {
    Err(err(Exc::TypeError, "cannot create instances of this type"))
}

// ---- argument helpers ---------------------------------------------------------------

pub fn arity(name: &str, args: &[Obj], min: usize, max: usize) -> PyResult<()> {
    if args.len() < min || args.len() > max {
        let want = if min == max {
            format!("exactly {min} argument{}", if min == 1 { "" } else { "s" })
        } else if args.len() < min {
            format!("at least {min} argument{}", if min == 1 { "" } else { "s" })
        } else {
            format!("at most {max} argument{}", if max == 1 { "" } else { "s" })
        };
        return Err(err(
            Exc::TypeError,
            format!("{name}() takes {want} ({} given)", args.len()),
        ));
    }
    Ok(())
}

pub fn kw<'a>(kwargs: &'a [(Obj, Obj)], name: &str) -> Option<&'a Obj> {
    kwargs
        .iter()
        .find(|(k, _)| as_str(k) == Some(name))
        .map(|(_, v)| v)
}

pub fn int_arg(o: &Obj, what: &str) -> PyResult<i64> {
    as_int(o).ok_or_else(|| {
        err(
            Exc::TypeError,
            format!(
                "'{}' object cannot be interpreted as an integer ({what})",
                o.type_name()
            ),
        )
    })
}

// ---- exceptions' __init__ ---------------------------------------------------------------------

fn exc_init(a: &[Obj], _: &[(Obj, Obj)]) -> PyResult<Obj> {
    let args = objects::tuple(a[1..].to_vec());
    ops::set_attr(&a[0], &intern("args"), Some(args))?;
    Ok(none())
}

// ---- set-up and tear-down ---------------------------------------------------------------------

fn builtin_type(name: &'static str, tp: *const objmodel::TypeObject, ctor: BuiltinFn) -> Obj {
    let t = Obj::new(&BUILTIN_TYPE, BuiltinType { name, tp, ctor });
    t.make_immortal();
    t
}

/// Creates this thread's runtime: built-ins, exception classes, modules.
/// Everything made here is immortal, as CPython's static types and
/// built-in modules are.
pub fn init() {
    let b = objects::dict(Dict::new());
    b.make_immortal();
    let set = |name: &str, v: Obj| {
        let _ = ops::dict_set(&b, intern(name), v);
    };
    let funcs: [(&'static str, BuiltinFn); 26] = [
        ("print", b_print),
        ("__replprint__", b_replprint),
        ("len", b_len),
        ("repr", b_repr),
        ("isinstance", b_isinstance),
        ("abs", b_abs),
        ("min", b_min),
        ("max", b_max),
        ("sum", b_sum),
        ("sorted", b_sorted),
        ("enumerate", b_enumerate),
        ("zip", b_zip),
        ("reversed", b_reversed),
        ("iter", b_iter),
        ("next", b_next),
        ("any", b_any),
        ("all", b_all),
        ("id", b_id),
        ("hash", b_hash),
        ("getattr", b_getattr),
        ("setattr", b_setattr),
        ("hasattr", b_hasattr),
        ("chr", b_chr),
        ("ord", b_ord),
        ("round", b_round),
        ("thread", crate::threads::b_thread),
    ];
    for (n, f) in funcs {
        let o = builtin(n, f, None);
        o.make_immortal();
        set(n, o);
    }
    let types: Vec<Obj> = vec![
        builtin_type("int", INT.type_object(), b_int),
        builtin_type("float", FLOAT.type_object(), b_float),
        builtin_type("str", STR.type_object(), b_str),
        builtin_type(
            "bool",
            // SAFETY: `Py_True` is a live static object.
            unsafe { objmodel::cpython::Py_TYPE(objmodel::cpython::Py_True()) },
            b_bool,
        ),
        builtin_type("list", LIST.type_object(), b_list),
        builtin_type("tuple", TUPLE.type_object(), b_tuple),
        builtin_type("dict", DICT.type_object(), b_dict),
        builtin_type("range", RANGE.type_object(), b_range),
        builtin_type("type", CLASS.type_object(), b_type),
        builtin_type("object", core::ptr::null(), no_ctor),
        builtin_type(
            "NoneType",
            // SAFETY: `Py_None` is a live static object.
            unsafe { objmodel::cpython::Py_TYPE(objmodel::cpython::Py_None()) },
            no_ctor,
        ),
        builtin_type(
            "function",
            crate::objects::func::FUNCTION.type_object(),
            no_ctor,
        ),
    ];
    for t in &types {
        let name = t.get(&BUILTIN_TYPE).expect("a built-in type").name;
        if !matches!(name, "NoneType" | "function") {
            set(name, t.clone());
        }
    }
    let mut exc: Vec<Obj> = Vec::new();
    for (kind, name, base) in EXCEPTIONS {
        debug_assert_eq!(kind as usize, exc.len());
        let bases: Vec<Obj> = base.iter().map(|b| exc[*b as usize].clone()).collect();
        let dict = objects::dict(Dict::new());
        dict.make_immortal();
        if kind == Exc::BaseException {
            let init = builtin("__init__", exc_init, None);
            init.make_immortal();
            let _ = ops::dict_set(&dict, intern("__init__"), init);
        }
        let cls = Class {
            name: name.to_string(),
            mro: class::linearize(&bases),
            bases,
            dict,
            heap_type: class::heap_type(name, false),
            is_exception: true,
        };
        let c = Obj::new_gc(&CLASS, cls);
        c.make_immortal();
        set(name, c.clone());
        exc.push(c);
    }
    let modules = crate::modules::make_modules();
    RT.with(|rt| {
        let mut rt = rt.borrow_mut();
        rt.builtins = Some(b);
        rt.exc = exc;
        rt.modules = modules;
        rt.types = types;
    });
}

/// Tears the runtime down. Its objects are immortal: like CPython at
/// exit, they are left to the process (the handles are forgotten, so no
/// count moves after the heap is gone).
pub fn shutdown() {
    let rt = RT.with(|rt| core::mem::take(&mut *rt.borrow_mut()));
    core::mem::forget(rt);
}
