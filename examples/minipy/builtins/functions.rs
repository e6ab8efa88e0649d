//! The built-in functions (`print`, `len`, `range`, `int`, `sorted`, ...),
//! each with CPython's argument rules and error messages for the cases
//! minipy supports. They mirror the functions of CPython's
//! [Python/bltinmodule.c](https://github.com/python/cpython/blob/v3.14.0/Python/bltinmodule.c)
//! and the constructors of the built-in types.

use crate::obj::Obj;
use crate::objects::{
    self, as_int, as_str, bool_obj, float, int, is_none, none, str_obj, Dict, Range, DICT, FLOAT,
    RANGE, STR, TUPLE,
};
use crate::ops::{self, to_str};
use crate::out;
use crate::vm::{call, err, Args, PyResult};

use super::{arity, char_str, exc_is, int_arg, intern, isinstance, kw, type_of, Exc};

pub(super) fn b_print(args: &[Obj], kwargs: &[(Obj, Obj)]) -> PyResult<Obj> {
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

pub(super) fn b_replprint(args: &[Obj], _: &[(Obj, Obj)]) -> PyResult<Obj> {
    if let Some(v) = args.first().filter(|v| !is_none(v)) {
        out::write_str(&format!("{}\n", ops::repr(v)?));
    }
    Ok(none())
}

pub(super) fn b_len(args: &[Obj], _: &[(Obj, Obj)]) -> PyResult<Obj> {
    arity("len", args, 1, 1)?;
    Ok(int(ops::len(&args[0])?))
}

pub(super) fn b_range(args: &[Obj], _: &[(Obj, Obj)]) -> PyResult<Obj> {
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

pub(super) fn b_str(args: &[Obj], _: &[(Obj, Obj)]) -> PyResult<Obj> {
    arity("str", args, 0, 1)?;
    match args.first() {
        None => Ok(intern("")),
        Some(a) if a.is(&STR) => Ok(a.clone()),
        Some(a) => Ok(str_obj(&to_str(a)?)),
    }
}

pub(super) fn b_repr(args: &[Obj], _: &[(Obj, Obj)]) -> PyResult<Obj> {
    arity("repr", args, 1, 1)?;
    Ok(str_obj(&ops::repr(&args[0])?))
}

pub(super) fn b_int(args: &[Obj], _: &[(Obj, Obj)]) -> PyResult<Obj> {
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

pub(super) fn b_float(args: &[Obj], _: &[(Obj, Obj)]) -> PyResult<Obj> {
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

pub(super) fn b_bool(args: &[Obj], _: &[(Obj, Obj)]) -> PyResult<Obj> {
    arity("bool", args, 0, 1)?;
    match args.first() {
        None => Ok(bool_obj(false)),
        Some(a) => Ok(bool_obj(ops::truthy(a)?)),
    }
}

pub(super) fn b_list(args: &[Obj], _: &[(Obj, Obj)]) -> PyResult<Obj> {
    arity("list", args, 0, 1)?;
    match args.first() {
        None => Ok(objects::list(Vec::new())),
        Some(a) => Ok(objects::list(ops::to_vec(a)?)),
    }
}

pub(super) fn b_tuple(args: &[Obj], _: &[(Obj, Obj)]) -> PyResult<Obj> {
    arity("tuple", args, 0, 1)?;
    match args.first() {
        None => Ok(objects::tuple(Vec::new())),
        Some(a) if a.is(&TUPLE) => Ok(a.clone()),
        Some(a) => Ok(objects::tuple(ops::to_vec(a)?)),
    }
}

pub(super) fn b_dict(args: &[Obj], kwargs: &[(Obj, Obj)]) -> PyResult<Obj> {
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

pub(super) fn b_type(args: &[Obj], _: &[(Obj, Obj)]) -> PyResult<Obj> {
    arity("type", args, 1, 1)?;
    Ok(type_of(&args[0]))
}

pub(super) fn b_isinstance(args: &[Obj], _: &[(Obj, Obj)]) -> PyResult<Obj> {
    arity("isinstance", args, 2, 2)?;
    Ok(bool_obj(isinstance(&args[0], &args[1])?))
}

pub(super) fn b_abs(args: &[Obj], _: &[(Obj, Obj)]) -> PyResult<Obj> {
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

pub(super) fn b_min(args: &[Obj], kwargs: &[(Obj, Obj)]) -> PyResult<Obj> {
    extreme("min", args, kwargs, ops::Want::Min)
}

pub(super) fn b_max(args: &[Obj], kwargs: &[(Obj, Obj)]) -> PyResult<Obj> {
    extreme("max", args, kwargs, ops::Want::Max)
}

pub(super) fn b_sum(args: &[Obj], _: &[(Obj, Obj)]) -> PyResult<Obj> {
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

pub(super) fn b_sorted(args: &[Obj], kwargs: &[(Obj, Obj)]) -> PyResult<Obj> {
    arity("sorted", args, 1, 1)?;
    let reverse = match kw(kwargs, "reverse") {
        Some(r) => ops::truthy(r)?,
        None => false,
    };
    let v = sort_values(ops::to_vec(&args[0])?, kw(kwargs, "key"), reverse)?;
    Ok(objects::list(v))
}

pub(super) fn b_enumerate(args: &[Obj], kwargs: &[(Obj, Obj)]) -> PyResult<Obj> {
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

pub(super) fn b_zip(args: &[Obj], _: &[(Obj, Obj)]) -> PyResult<Obj> {
    let lists: PyResult<Vec<Vec<Obj>>> = args.iter().map(ops::to_vec).collect();
    let lists = lists?;
    let n = lists.iter().map(Vec::len).min().unwrap_or(0);
    let out: Vec<Obj> = (0..n)
        .map(|i| objects::tuple(lists.iter().map(|l| l[i].clone()).collect()))
        .collect();
    Ok(objects::iter(objects::Iter::Values(out.into_iter())))
}

pub(super) fn b_reversed(args: &[Obj], _: &[(Obj, Obj)]) -> PyResult<Obj> {
    arity("reversed", args, 1, 1)?;
    let mut v = ops::to_vec(&args[0])?;
    v.reverse();
    Ok(objects::iter(objects::Iter::Values(v.into_iter())))
}

pub(super) fn b_iter(args: &[Obj], _: &[(Obj, Obj)]) -> PyResult<Obj> {
    arity("iter", args, 1, 1)?;
    ops::get_iter(&args[0])
}

pub(super) fn b_next(args: &[Obj], _: &[(Obj, Obj)]) -> PyResult<Obj> {
    arity("next", args, 1, 2)?;
    match ops::iter_next(&args[0])? {
        Some(v) => Ok(v),
        None => match args.get(1) {
            Some(d) => Ok(d.clone()),
            None => Err(err(Exc::StopIteration, "")),
        },
    }
}

pub(super) fn b_any(args: &[Obj], _: &[(Obj, Obj)]) -> PyResult<Obj> {
    arity("any", args, 1, 1)?;
    for v in ops::to_vec(&args[0])? {
        if ops::truthy(&v)? {
            return Ok(bool_obj(true));
        }
    }
    Ok(bool_obj(false))
}

pub(super) fn b_all(args: &[Obj], _: &[(Obj, Obj)]) -> PyResult<Obj> {
    arity("all", args, 1, 1)?;
    for v in ops::to_vec(&args[0])? {
        if !ops::truthy(&v)? {
            return Ok(bool_obj(false));
        }
    }
    Ok(bool_obj(true))
}

pub(super) fn b_id(args: &[Obj], _: &[(Obj, Obj)]) -> PyResult<Obj> {
    arity("id", args, 1, 1)?;
    Ok(int(args[0].as_ptr() as i64))
}

pub(super) fn b_hash(args: &[Obj], _: &[(Obj, Obj)]) -> PyResult<Obj> {
    arity("hash", args, 1, 1)?;
    Ok(int(ops::hash(&args[0])?))
}

pub(super) fn b_getattr(args: &[Obj], _: &[(Obj, Obj)]) -> PyResult<Obj> {
    arity("getattr", args, 2, 3)?;
    match ops::get_attr(&args[0], &args[1]) {
        Ok(v) => Ok(v),
        Err(e) if args.len() == 3 && exc_is(&e.exc, Exc::AttributeError) => Ok(args[2].clone()),
        Err(e) => Err(e),
    }
}

pub(super) fn b_setattr(args: &[Obj], _: &[(Obj, Obj)]) -> PyResult<Obj> {
    arity("setattr", args, 3, 3)?;
    ops::set_attr(&args[0], &args[1], Some(args[2].clone()))?;
    Ok(none())
}

pub(super) fn b_hasattr(args: &[Obj], _: &[(Obj, Obj)]) -> PyResult<Obj> {
    arity("hasattr", args, 2, 2)?;
    match ops::get_attr(&args[0], &args[1]) {
        Ok(_) => Ok(bool_obj(true)),
        Err(e) if exc_is(&e.exc, Exc::AttributeError) => Ok(bool_obj(false)),
        Err(e) => Err(e),
    }
}

pub(super) fn b_chr(args: &[Obj], _: &[(Obj, Obj)]) -> PyResult<Obj> {
    arity("chr", args, 1, 1)?;
    let i = int_arg(&args[0], "chr")?;
    u32::try_from(i)
        .ok()
        .and_then(char::from_u32)
        .map(char_str)
        .ok_or_else(|| err(Exc::ValueError, "chr() arg not in range(0x110000)"))
}

pub(super) fn b_ord(args: &[Obj], _: &[(Obj, Obj)]) -> PyResult<Obj> {
    arity("ord", args, 1, 1)?;
    let s = as_str(&args[0]).unwrap_or("");
    let mut it = s.chars();
    match (it.next(), it.next()) {
        (Some(c), None) => Ok(int(c as i64)),
        _ => Err(err(Exc::TypeError, "ord() expected a character")),
    }
}

pub(super) fn b_round(args: &[Obj], _: &[(Obj, Obj)]) -> PyResult<Obj> {
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
