//! The runtime: interned strings, the built-in namespace, the exception
//! classes, the built-in types' methods and the modules `sys`, `gc` and
//! `weakref`.

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
    self, as_int, as_str, as_tuple, bool_obj, float, int, is_none, none, str_obj, Dict, Range,
    DICT, FLOAT, INT, LIST, RANGE, STR, TUPLE,
};
use crate::ops::{self, to_str};
use crate::out;
use crate::vm::{call, err, Args, PyResult};

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

// ---- built-in functions ------------------------------------------------------------------

fn b_print(args: &[Obj], kwargs: &[(Obj, Obj)]) -> PyResult<Obj> {
    let sep = match kw(kwargs, "sep") {
        Some(s) if !is_none(s) => to_str(s)?,
        _ => " ".into(),
    };
    let end = match kw(kwargs, "end") {
        Some(s) if !is_none(s) => to_str(s)?,
        _ => "\n".into(),
    };
    let mut line = String::new();
    for (i, a) in args.iter().enumerate() {
        if i > 0 {
            line.push_str(&sep);
        }
        line.push_str(&to_str(a)?);
    }
    line.push_str(&end);
    out::write_str(&line);
    Ok(none())
}

fn b_replprint(args: &[Obj], _: &[(Obj, Obj)]) -> PyResult<Obj> {
    if let Some(v) = args.first().filter(|v| !is_none(v)) {
        out::write_str(&format!("{}\n", ops::repr(v)?));
    }
    Ok(none())
}

fn b_len(args: &[Obj], _: &[(Obj, Obj)]) -> PyResult<Obj> {
    arity("len", args, 1, 1)?;
    Ok(int(ops::len(&args[0])?))
}

fn b_range(args: &[Obj], _: &[(Obj, Obj)]) -> PyResult<Obj> {
    arity("range", args, 1, 3)?;
    let v: PyResult<Vec<i64>> = args.iter().map(|a| int_arg(a, "range")).collect();
    let v = v?;
    let (start, stop, step) = match v.len() {
        1 => (0, v[0], 1),
        2 => (v[0], v[1], 1),
        _ => (v[0], v[1], v[2]),
    };
    if step == 0 {
        return Err(err(Exc::ValueError, "range() arg 3 must not be zero"));
    }
    Ok(Obj::new(&RANGE, Range { start, stop, step }))
}

fn b_str(args: &[Obj], _: &[(Obj, Obj)]) -> PyResult<Obj> {
    arity("str", args, 0, 1)?;
    match args.first() {
        None => Ok(intern("")),
        Some(a) if a.is(&STR) => Ok(a.clone()),
        Some(a) => Ok(str_obj(&to_str(a)?)),
    }
}

fn b_repr(args: &[Obj], _: &[(Obj, Obj)]) -> PyResult<Obj> {
    arity("repr", args, 1, 1)?;
    Ok(str_obj(&ops::repr(&args[0])?))
}

fn b_int(args: &[Obj], _: &[(Obj, Obj)]) -> PyResult<Obj> {
    arity("int", args, 0, 2)?;
    let Some(a) = args.first() else {
        return Ok(int(0));
    };
    if let Some(i) = as_int(a) {
        return Ok(int(i));
    }
    if let Some(f) = a.get(&FLOAT) {
        if !f.is_finite() {
            return Err(err(
                Exc::ValueError,
                format!("cannot convert float {} to integer", ops::float_repr(*f)),
            ));
        }
        return Ok(int(f.trunc() as i64));
    }
    if let Some(s) = as_str(a) {
        let base = match args.get(1) {
            Some(b) => int_arg(b, "base")? as u32,
            None => 10,
        };
        let t = s.trim().replace('_', "");
        return i64::from_str_radix(&t, base).map(int).map_err(|_| {
            err(
                Exc::ValueError,
                format!(
                    "invalid literal for int() with base {base}: {}",
                    ops::str_repr(s)
                ),
            )
        });
    }
    Err(err(
        Exc::TypeError,
        format!(
            "int() argument must be a string, a bytes-like object or a real number, not '{}'",
            a.type_name()
        ),
    ))
}

fn b_float(args: &[Obj], _: &[(Obj, Obj)]) -> PyResult<Obj> {
    arity("float", args, 0, 1)?;
    let Some(a) = args.first() else {
        return Ok(float(0.0));
    };
    if let Some(i) = as_int(a) {
        return Ok(float(i as f64));
    }
    if let Some(f) = a.get(&FLOAT) {
        return Ok(float(*f));
    }
    if let Some(s) = as_str(a) {
        let t = s.trim().to_ascii_lowercase();
        let v = match t.as_str() {
            "inf" | "+inf" | "infinity" => Some(f64::INFINITY),
            "-inf" | "-infinity" => Some(f64::NEG_INFINITY),
            "nan" => Some(f64::NAN),
            _ => t.parse::<f64>().ok(),
        };
        return v.map(float).ok_or_else(|| {
            err(
                Exc::ValueError,
                format!("could not convert string to float: {}", ops::str_repr(s)),
            )
        });
    }
    Err(err(
        Exc::TypeError,
        format!(
            "float() argument must be a string or a real number, not '{}'",
            a.type_name()
        ),
    ))
}

fn b_bool(args: &[Obj], _: &[(Obj, Obj)]) -> PyResult<Obj> {
    arity("bool", args, 0, 1)?;
    match args.first() {
        None => Ok(bool_obj(false)),
        Some(a) => Ok(bool_obj(ops::truthy(a)?)),
    }
}

fn b_list(args: &[Obj], _: &[(Obj, Obj)]) -> PyResult<Obj> {
    arity("list", args, 0, 1)?;
    match args.first() {
        None => Ok(objects::list(Vec::new())),
        Some(a) => Ok(objects::list(ops::to_vec(a)?)),
    }
}

fn b_tuple(args: &[Obj], _: &[(Obj, Obj)]) -> PyResult<Obj> {
    arity("tuple", args, 0, 1)?;
    match args.first() {
        None => Ok(objects::tuple(Vec::new())),
        Some(a) if a.is(&TUPLE) => Ok(a.clone()),
        Some(a) => Ok(objects::tuple(ops::to_vec(a)?)),
    }
}

fn b_dict(args: &[Obj], kwargs: &[(Obj, Obj)]) -> PyResult<Obj> {
    arity("dict", args, 0, 1)?;
    let d = objects::dict(Dict::new());
    if let Some(a) = args.first() {
        dict_update(&d, a)?;
    }
    for (k, v) in kwargs {
        ops::dict_set(&d, k.clone(), v.clone())?;
    }
    Ok(d)
}

pub fn dict_update(d: &Obj, src: &Obj) -> PyResult<()> {
    if let Some(s) = src.get(&DICT) {
        let items: Vec<(Obj, Obj)> = s
            .borrow()
            .items()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        for (k, v) in items {
            ops::dict_set(d, k, v)?;
        }
        return Ok(());
    }
    for pair in ops::to_vec(src)? {
        let kv = ops::to_vec(&pair)?;
        if kv.len() != 2 {
            return Err(err(
                Exc::ValueError,
                "dictionary update sequence element has the wrong length",
            ));
        }
        let mut it = kv.into_iter();
        if let (Some(k), Some(v)) = (it.next(), it.next()) {
            ops::dict_set(d, k, v)?;
        }
    }
    Ok(())
}

fn b_type(args: &[Obj], _: &[(Obj, Obj)]) -> PyResult<Obj> {
    arity("type", args, 1, 1)?;
    Ok(type_of(&args[0]))
}

fn b_isinstance(args: &[Obj], _: &[(Obj, Obj)]) -> PyResult<Obj> {
    arity("isinstance", args, 2, 2)?;
    Ok(bool_obj(isinstance(&args[0], &args[1])?))
}

fn b_abs(args: &[Obj], _: &[(Obj, Obj)]) -> PyResult<Obj> {
    arity("abs", args, 1, 1)?;
    if let Some(i) = as_int(&args[0]) {
        return i
            .checked_abs()
            .map(int)
            .ok_or_else(|| err(Exc::OverflowError, "integer overflow"));
    }
    if let Some(f) = args[0].get(&FLOAT) {
        return Ok(float(f.abs()));
    }
    Err(err(
        Exc::TypeError,
        format!("bad operand type for abs(): '{}'", args[0].type_name()),
    ))
}

fn extreme(name: &str, args: &[Obj], kwargs: &[(Obj, Obj)], want: ops::Want) -> PyResult<Obj> {
    let items = if args.len() == 1 {
        ops::to_vec(&args[0])?
    } else {
        args.to_vec()
    };
    let key = kw(kwargs, "key").cloned();
    let mut best: Option<(Obj, Obj)> = None;
    for item in items {
        let k = match &key {
            Some(f) => {
                let mut a = Args::new();
                a.push(item.clone());
                call(f, a, &[])?
            }
            None => item.clone(),
        };
        let better = match &best {
            None => true,
            Some((_, bk)) => ops::compare(want.op(), &k, bk)?,
        };
        if better {
            best = Some((item, k));
        }
    }
    best.map(|(i, _)| i).ok_or_else(|| {
        err(
            Exc::ValueError,
            format!("{name}() arg is an empty sequence"),
        )
    })
}

fn b_min(args: &[Obj], kwargs: &[(Obj, Obj)]) -> PyResult<Obj> {
    extreme("min", args, kwargs, ops::Want::Min)
}

fn b_max(args: &[Obj], kwargs: &[(Obj, Obj)]) -> PyResult<Obj> {
    extreme("max", args, kwargs, ops::Want::Max)
}

fn b_sum(args: &[Obj], _: &[(Obj, Obj)]) -> PyResult<Obj> {
    arity("sum", args, 1, 2)?;
    let mut acc = args.get(1).cloned().unwrap_or_else(|| int(0));
    for v in ops::to_vec(&args[0])? {
        acc = ops::binary(crate::ast::BinOp::Add, &acc, &v)?;
    }
    Ok(acc)
}

/// Sorts `items` by `key`, stable, with Python's `<`.
pub fn sort_values(items: Vec<Obj>, key: Option<&Obj>, reverse: bool) -> PyResult<Vec<Obj>> {
    let mut keyed = Vec::with_capacity(items.len());
    for item in items {
        let k = match key {
            Some(f) if !is_none(f) => {
                let mut a = Args::new();
                a.push(item.clone());
                call(f, a, &[])?
            }
            _ => item.clone(),
        };
        keyed.push((k, item));
    }
    let mut failure = None;
    let lt = |a: &Obj, b: &Obj, failure: &mut Option<Box<crate::vm::PyErr>>| match ops::compare(
        crate::ast::CmpOp::Lt,
        a,
        b,
    ) {
        Ok(r) => r,
        Err(e) => {
            failure.get_or_insert(e);
            false
        }
    };
    keyed.sort_by(|(a, _), (b, _)| {
        let (x, y) = if reverse { (a, b) } else { (b, a) };
        if lt(y, x, &mut failure) {
            core::cmp::Ordering::Less
        } else if lt(x, y, &mut failure) {
            core::cmp::Ordering::Greater
        } else {
            core::cmp::Ordering::Equal
        }
    });
    if let Some(e) = failure {
        return Err(e);
    }
    Ok(keyed.into_iter().map(|(_, v)| v).collect())
}

fn b_sorted(args: &[Obj], kwargs: &[(Obj, Obj)]) -> PyResult<Obj> {
    arity("sorted", args, 1, 1)?;
    let reverse = match kw(kwargs, "reverse") {
        Some(r) => ops::truthy(r)?,
        None => false,
    };
    let v = sort_values(ops::to_vec(&args[0])?, kw(kwargs, "key"), reverse)?;
    Ok(objects::list(v))
}

fn b_enumerate(args: &[Obj], kwargs: &[(Obj, Obj)]) -> PyResult<Obj> {
    arity("enumerate", args, 1, 2)?;
    let mut i = match args.get(1).or(kw(kwargs, "start")) {
        Some(s) => int_arg(s, "start")?,
        None => 0,
    };
    let mut out = Vec::new();
    for v in ops::to_vec(&args[0])? {
        out.push(objects::tuple(vec![int(i), v]));
        i = i
            .checked_add(1)
            .ok_or_else(|| err(Exc::OverflowError, "enumerate overflow"))?;
    }
    Ok(objects::iter(objects::Iter::Values(out.into_iter())))
}

fn b_zip(args: &[Obj], _: &[(Obj, Obj)]) -> PyResult<Obj> {
    let lists: PyResult<Vec<Vec<Obj>>> = args.iter().map(ops::to_vec).collect();
    let lists = lists?;
    let n = lists.iter().map(Vec::len).min().unwrap_or(0);
    let out: Vec<Obj> = (0..n)
        .map(|i| objects::tuple(lists.iter().map(|l| l[i].clone()).collect()))
        .collect();
    Ok(objects::iter(objects::Iter::Values(out.into_iter())))
}

fn b_reversed(args: &[Obj], _: &[(Obj, Obj)]) -> PyResult<Obj> {
    arity("reversed", args, 1, 1)?;
    let mut v = ops::to_vec(&args[0])?;
    v.reverse();
    Ok(objects::iter(objects::Iter::Values(v.into_iter())))
}

fn b_iter(args: &[Obj], _: &[(Obj, Obj)]) -> PyResult<Obj> {
    arity("iter", args, 1, 1)?;
    ops::get_iter(&args[0])
}

fn b_next(args: &[Obj], _: &[(Obj, Obj)]) -> PyResult<Obj> {
    arity("next", args, 1, 2)?;
    match ops::iter_next(&args[0])? {
        Some(v) => Ok(v),
        None => match args.get(1) {
            Some(d) => Ok(d.clone()),
            None => Err(err(Exc::StopIteration, "")),
        },
    }
}

fn b_any(args: &[Obj], _: &[(Obj, Obj)]) -> PyResult<Obj> {
    arity("any", args, 1, 1)?;
    for v in ops::to_vec(&args[0])? {
        if ops::truthy(&v)? {
            return Ok(bool_obj(true));
        }
    }
    Ok(bool_obj(false))
}

fn b_all(args: &[Obj], _: &[(Obj, Obj)]) -> PyResult<Obj> {
    arity("all", args, 1, 1)?;
    for v in ops::to_vec(&args[0])? {
        if !ops::truthy(&v)? {
            return Ok(bool_obj(false));
        }
    }
    Ok(bool_obj(true))
}

fn b_id(args: &[Obj], _: &[(Obj, Obj)]) -> PyResult<Obj> {
    arity("id", args, 1, 1)?;
    Ok(int(args[0].as_ptr() as i64))
}

fn b_hash(args: &[Obj], _: &[(Obj, Obj)]) -> PyResult<Obj> {
    arity("hash", args, 1, 1)?;
    Ok(int(ops::hash(&args[0])?))
}

fn b_getattr(args: &[Obj], _: &[(Obj, Obj)]) -> PyResult<Obj> {
    arity("getattr", args, 2, 3)?;
    match ops::get_attr(&args[0], &args[1]) {
        Ok(v) => Ok(v),
        Err(e) if args.len() == 3 && exc_is(&e.exc, Exc::AttributeError) => Ok(args[2].clone()),
        Err(e) => Err(e),
    }
}

fn b_setattr(args: &[Obj], _: &[(Obj, Obj)]) -> PyResult<Obj> {
    arity("setattr", args, 3, 3)?;
    ops::set_attr(&args[0], &args[1], Some(args[2].clone()))?;
    Ok(none())
}

fn b_hasattr(args: &[Obj], _: &[(Obj, Obj)]) -> PyResult<Obj> {
    arity("hasattr", args, 2, 2)?;
    match ops::get_attr(&args[0], &args[1]) {
        Ok(_) => Ok(bool_obj(true)),
        Err(e) if exc_is(&e.exc, Exc::AttributeError) => Ok(bool_obj(false)),
        Err(e) => Err(e),
    }
}

fn b_chr(args: &[Obj], _: &[(Obj, Obj)]) -> PyResult<Obj> {
    arity("chr", args, 1, 1)?;
    let i = int_arg(&args[0], "chr")?;
    u32::try_from(i)
        .ok()
        .and_then(char::from_u32)
        .map(char_str)
        .ok_or_else(|| err(Exc::ValueError, "chr() arg not in range(0x110000)"))
}

fn b_ord(args: &[Obj], _: &[(Obj, Obj)]) -> PyResult<Obj> {
    arity("ord", args, 1, 1)?;
    let s = as_str(&args[0]).unwrap_or("");
    let mut it = s.chars();
    match (it.next(), it.next()) {
        (Some(c), None) => Ok(int(c as i64)),
        _ => Err(err(Exc::TypeError, "ord() expected a character")),
    }
}

fn b_round(args: &[Obj], _: &[(Obj, Obj)]) -> PyResult<Obj> {
    arity("round", args, 1, 2)?;
    if let Some(i) = as_int(&args[0]) {
        return Ok(int(i));
    }
    let f = *args[0]
        .get(&FLOAT)
        .ok_or_else(|| err(Exc::TypeError, "round() needs a number"))?;
    // Round half to even, as Python does.
    let half_even = |x: f64| {
        let r = x.round();
        if (x - x.trunc()).abs() == 0.5 {
            2.0 * (x / 2.0).round()
        } else {
            r
        }
    };
    match args.get(1) {
        None => Ok(int(half_even(f) as i64)),
        Some(n) => {
            let n = int_arg(n, "ndigits")? as i32;
            let text = format!("{:.*}", n.max(0) as usize, f);
            Ok(float(text.parse().unwrap_or(f)))
        }
    }
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
