//! Truth, length, iteration, items and attributes.

use crate::builtins::{self, Exc};
use crate::obj::Obj;
use crate::objects::class::{self, as_inst, CLASS};
use crate::objects::func::{BUILTIN_TYPE, FUNCTION};
use crate::objects::{
    self, as_int, as_str, as_tuple, int, is_none, str_obj, Iter, DICT, ITER, LIST, MODULE, RANGE,
    SLICE, TUPLE,
};
use crate::vm::{bind, call, err, Args, PyResult};

use crate::ops::{dict_del, dict_get, dict_set, eq_simple, hash_str, num, type_name};

// ---- truth, length ------------------------------------------------------------------

/// `bool(o)`.
///
/// # Errors
/// What a user `__bool__`/`__len__` raised.
pub fn truthy(o: &Obj) -> PyResult<bool> {
    if let Some(b) = objects::as_bool(o) {
        return Ok(b);
    }
    if is_none(o) {
        return Ok(false);
    }
    if let Some(n) = num(o) {
        return Ok(n.f() != 0.0);
    }
    if let Some(d) = o.get(&DICT) {
        return Ok(!d.borrow().is_empty());
    }
    if as_inst(o).is_some() {
        if let Some(m) = method(o, "__bool__") {
            return truthy(&call(&m, Args::new(), &[])?);
        }
        if let Some(m) = method(o, "__len__") {
            return Ok(as_int(&call(&m, Args::new(), &[])?).unwrap_or(0) != 0);
        }
        return Ok(true);
    }
    match len(o) {
        Ok(n) => Ok(n != 0),
        Err(_) => Ok(true),
    }
}

/// `len(o)`.
///
/// # Errors
/// `TypeError` when `o` has no length.
pub fn len(o: &Obj) -> PyResult<i64> {
    if let Some(s) = as_str(o) {
        return Ok(s.chars().count() as i64);
    }
    if let Some(l) = o.get(&LIST) {
        return Ok(l.borrow().len() as i64);
    }
    if let Some(t) = as_tuple(o) {
        return Ok(t.len() as i64);
    }
    if let Some(d) = o.get(&DICT) {
        return Ok(d.borrow().len() as i64);
    }
    if let Some(r) = o.get(&RANGE) {
        return Ok(r.len());
    }
    if let Some(m) = method(o, "__len__") {
        return as_int(&call(&m, Args::new(), &[])?)
            .ok_or_else(|| err(Exc::TypeError, "__len__ should return an int"));
    }
    Err(err(
        Exc::TypeError,
        format!("object of type '{}' has no len()", type_name(o)),
    ))
}

/// A user method of an instance, bound (`None` for other objects).
pub fn method(o: &Obj, name: &str) -> Option<Obj> {
    if name.is_empty() {
        return None;
    }
    let inst = as_inst(o)?;
    let m = class::lookup(&inst.class, name)?;
    if m.is(&FUNCTION) {
        Some(bind(m, o))
    } else {
        None
    }
}

// ---- iteration ----------------------------------------------------------------------

/// `iter(o)`.
///
/// # Errors
/// `TypeError` for non-iterables.
pub fn get_iter(o: &Obj) -> PyResult<Obj> {
    if o.is(&ITER) {
        return Ok(o.clone());
    }
    if o.is(&LIST) || o.is(&TUPLE) {
        return Ok(objects::iter(Iter::Seq(o.clone(), 0)));
    }
    if let Some(r) = o.get(&RANGE) {
        return Ok(objects::iter(Iter::Range(r.start, r.stop, r.step)));
    }
    if o.is(&DICT) {
        return Ok(crate::vm::dict_keys_iter(o));
    }
    if let Some(s) = as_str(o) {
        let chars: Vec<Obj> = s.chars().map(builtins::char_str).collect();
        return Ok(objects::iter(Iter::Values(chars.into_iter())));
    }
    Err(err(
        Exc::TypeError,
        format!("'{}' object is not iterable", type_name(o)),
    ))
}

/// The next value of an iterator, `None` when exhausted.
///
/// # Errors
/// `TypeError` when `it` is not an iterator.
pub fn iter_next(it: &Obj) -> PyResult<Option<Obj>> {
    let Some(state) = it.get(&ITER) else {
        return Err(err(
            Exc::TypeError,
            format!("'{}' object is not an iterator", type_name(it)),
        ));
    };
    let mut st = state.borrow_mut();
    let next = match &mut *st {
        Iter::Seq(seq, i) => {
            let v = if let Some(l) = seq.get(&LIST) {
                l.borrow().get(*i).cloned()
            } else {
                as_tuple(seq).and_then(|t| t.get(*i).cloned())
            };
            *i += 1;
            v
        }
        Iter::Range(cur, stop, step) => {
            if (*step > 0 && *cur < *stop) || (*step < 0 && *cur > *stop) {
                let v = *cur;
                *cur += *step;
                Some(int(v))
            } else {
                None
            }
        }
        Iter::Values(v) => v.next(),
        Iter::Done => None,
    };
    if next.is_none() {
        // Release what the iterator held, outside the borrow.
        let old = core::mem::take(&mut *st);
        drop(st);
        drop(old);
    }
    Ok(next)
}

/// All values of an iterable.
///
/// # Errors
/// `TypeError` for non-iterables.
pub fn to_vec(o: &Obj) -> PyResult<Vec<Obj>> {
    if let Some(l) = o.get(&LIST) {
        return Ok(l.borrow().clone());
    }
    if let Some(t) = as_tuple(o) {
        return Ok(t.to_vec());
    }
    let it = get_iter(o)?;
    let mut out = Vec::new();
    while let Some(v) = iter_next(&it)? {
        out.push(v);
    }
    Ok(out)
}

// ---- items --------------------------------------------------------------------------

fn index(seq_len: usize, k: &Obj, what: &str) -> PyResult<usize> {
    let Some(i) = as_int(k) else {
        return Err(err(
            Exc::TypeError,
            format!(
                "{what} indices must be integers or slices, not {}",
                type_name(k)
            ),
        ));
    };
    let n = seq_len as i64;
    let j = if i < 0 { i + n } else { i };
    if j < 0 || j >= n {
        return Err(err(Exc::IndexError, format!("{what} index out of range")));
    }
    Ok(j as usize)
}

/// The indices a slice selects from a sequence of `n`.
fn slice_indices(s: &objects::Slice, n: usize) -> PyResult<Vec<usize>> {
    let n = n as i64;
    let step = if is_none(&s.2) {
        1
    } else {
        as_int(&s.2).ok_or_else(|| err(Exc::TypeError, "slice indices must be integers"))?
    };
    if step == 0 {
        return Err(err(Exc::ValueError, "slice step cannot be zero"));
    }
    let bound = |o: &Obj, default: i64| -> PyResult<i64> {
        if is_none(o) {
            return Ok(default);
        }
        let v = as_int(o).ok_or_else(|| err(Exc::TypeError, "slice indices must be integers"))?;
        let v = if v < 0 { v + n } else { v };
        Ok(if step > 0 {
            v.clamp(0, n)
        } else {
            v.clamp(-1, n - 1)
        })
    };
    let (lo, hi) = if step > 0 {
        (bound(&s.0, 0)?, bound(&s.1, n)?)
    } else {
        (bound(&s.0, n - 1)?, bound(&s.1, -1)?)
    };
    let mut out = Vec::new();
    let mut i = lo;
    while (step > 0 && i < hi) || (step < 0 && i > hi) {
        out.push(i as usize);
        i += step;
    }
    Ok(out)
}

/// `o[k]`.
///
/// # Errors
/// `IndexError`, `KeyError`, `TypeError`.
pub fn get_item(o: &Obj, k: &Obj) -> PyResult<Obj> {
    if o.is(&DICT) {
        return dict_get(o, k)?.ok_or_else(|| key_error(k));
    }
    if let Some(sl) = k.get(&SLICE) {
        if let Some(l) = o.get(&LIST) {
            let items = l.borrow().clone();
            let idx = slice_indices(sl, items.len())?;
            return Ok(objects::list(
                idx.into_iter().map(|i| items[i].clone()).collect(),
            ));
        }
        if let Some(t) = as_tuple(o) {
            let idx = slice_indices(sl, t.len())?;
            return Ok(objects::tuple(
                idx.into_iter().map(|i| t[i].clone()).collect(),
            ));
        }
        if let Some(s) = as_str(o) {
            let chars: Vec<char> = s.chars().collect();
            let idx = slice_indices(sl, chars.len())?;
            return Ok(str_obj(
                &idx.into_iter().map(|i| chars[i]).collect::<String>(),
            ));
        }
    }
    if let Some(l) = o.get(&LIST) {
        let items = l.borrow();
        let i = index(items.len(), k, "list")?;
        return Ok(items[i].clone());
    }
    if let Some(t) = as_tuple(o) {
        let i = index(t.len(), k, "tuple")?;
        return Ok(t[i].clone());
    }
    if let Some(s) = as_str(o) {
        let chars: Vec<char> = s.chars().collect();
        let i = index(chars.len(), k, "string")?;
        return Ok(builtins::char_str(chars[i]));
    }
    if let Some(r) = o.get(&RANGE) {
        let i = index(r.len() as usize, k, "range object")?;
        return Ok(int(r.start + i as i64 * r.step));
    }
    if let Some(m) = method(o, "__getitem__") {
        let mut args = Args::new();
        args.push(k.clone());
        return call(&m, args, &[]);
    }
    Err(err(
        Exc::TypeError,
        format!("'{}' object is not subscriptable", type_name(o)),
    ))
}

/// A `KeyError` for `k` (its message is the key's repr).
pub fn key_error(k: &Obj) -> Box<crate::vm::PyErr> {
    let exc = builtins::exc_with_args(Exc::KeyError, vec![k.clone()]);
    Box::new(crate::vm::PyErr {
        exc,
        tb: Vec::new(),
    })
}

/// `o[k] = v`.
///
/// # Errors
/// `IndexError`, `TypeError`.
pub fn set_item(o: &Obj, k: Obj, v: Obj) -> PyResult<()> {
    if o.is(&DICT) {
        return dict_set(o, k, v);
    }
    if let Some(l) = o.get(&LIST) {
        let i = index(l.borrow().len(), &k, "list assignment")?;
        let old = core::mem::replace(&mut l.borrow_mut()[i], v);
        drop(old);
        return Ok(());
    }
    if let Some(m) = method(o, "__setitem__") {
        let mut args = Args::new();
        args.push(k);
        args.push(v);
        call(&m, args, &[])?;
        return Ok(());
    }
    Err(err(
        Exc::TypeError,
        format!("'{}' object does not support item assignment", type_name(o)),
    ))
}

/// `del o[k]`.
///
/// # Errors
/// `IndexError`, `KeyError`, `TypeError`.
pub fn del_item(o: &Obj, k: &Obj) -> PyResult<()> {
    if o.is(&DICT) {
        return match dict_del(o, k)? {
            Some(_) => Ok(()),
            None => Err(key_error(k)),
        };
    }
    if let Some(l) = o.get(&LIST) {
        let i = index(l.borrow().len(), k, "list assignment")?;
        let old = l.borrow_mut().remove(i);
        drop(old);
        return Ok(());
    }
    Err(err(
        Exc::TypeError,
        format!("'{}' object does not support item deletion", type_name(o)),
    ))
}

// ---- attributes -----------------------------------------------------------------------

fn no_attr(o: &Obj, name: &str) -> Box<crate::vm::PyErr> {
    if let Some(c) = o.get(&CLASS) {
        return err(
            Exc::AttributeError,
            format!("type object '{}' has no attribute '{name}'", c.name),
        );
    }
    if let Some(m) = o.get(&MODULE) {
        return err(
            Exc::AttributeError,
            format!("module '{}' has no attribute '{name}'", m.name),
        );
    }
    err(
        Exc::AttributeError,
        format!("'{}' object has no attribute '{name}'", type_name(o)),
    )
}

/// `o.name`.
///
/// # Errors
/// `AttributeError`.
pub fn get_attr(o: &Obj, name: &Obj) -> PyResult<Obj> {
    let n = as_str(name).unwrap_or("");
    if let Some(inst) = as_inst(o) {
        let h = hash_str(n);
        if let Some(v) = inst.attrs.borrow().get(h, name, &eq_simple) {
            return Ok(v);
        }
        if n == "__class__" {
            return Ok(inst.class.clone());
        }
        if let Some(v) = class::lookup(&inst.class, n) {
            return Ok(bind(v, o));
        }
        return Err(no_attr(o, n));
    }
    if let Some(c) = o.get(&CLASS) {
        if n == "__name__" {
            return Ok(str_obj(&c.name));
        }
        return class::lookup(o, n).ok_or_else(|| no_attr(o, n));
    }
    if let Some(m) = o.get(&MODULE) {
        return dict_get(&m.dict, name)?.ok_or_else(|| no_attr(o, n));
    }
    if n == "__name__" {
        if let Some(f) = o.get(&FUNCTION) {
            return Ok(str_obj(&f.code.name));
        }
        if let Some(t) = o.get(&BUILTIN_TYPE) {
            return Ok(str_obj(t.name));
        }
    }
    builtins::builtin_method(o, n).ok_or_else(|| no_attr(o, n))
}

/// `o.name` for a call (CPython's `_PyObject_GetMethod`): a method comes
/// back unbound with `o` as its receiver, anything else as the attribute
/// with `None` (receivers are never `None`: `None` has no methods). Saves
/// making and freeing a bound-method object per call.
///
/// # Errors
/// `AttributeError`.
pub fn get_method(o: Obj, name: &Obj) -> PyResult<(Obj, Obj)> {
    let n = as_str(name).unwrap_or("");
    if let Some(inst) = as_inst(&o) {
        let h = hash_str(n);
        if inst.attrs.borrow().get(h, name, &eq_simple).is_none() {
            if let Some(f) = class::lookup(&inst.class, n).filter(|f| f.is(&FUNCTION)) {
                return Ok((f, o));
            }
        }
    } else if !o.is(&CLASS) && !o.is(&MODULE) {
        if let Some(f) = builtins::unbound_method(&o, name) {
            return Ok((f, o));
        }
    }
    Ok((get_attr(&o, name)?, objects::none()))
}

/// `o.name = v` (`None`: `del o.name`).
///
/// # Errors
/// `AttributeError`.
pub fn set_attr(o: &Obj, name: &Obj, v: Option<Obj>) -> PyResult<()> {
    let n = as_str(name).unwrap_or("");
    let target = as_inst(o).map(|inst| &inst.attrs);
    if let Some(attrs) = target {
        let h = hash_str(n);
        match v {
            Some(v) => {
                let old = attrs.borrow_mut().set(h, name.clone(), v, &eq_simple);
                drop(old);
            }
            None => {
                let old = attrs.borrow_mut().remove(h, name, &eq_simple);
                if old.is_none() {
                    return Err(no_attr(o, n));
                }
                drop(old);
            }
        }
        return Ok(());
    }
    if let Some(c) = o.get(&CLASS) {
        return match v {
            Some(v) => dict_set(&c.dict, name.clone(), v),
            None => dict_del(&c.dict, name)?
                .map(|_| ())
                .ok_or_else(|| no_attr(o, n)),
        };
    }
    Err(err(
        Exc::AttributeError,
        format!(
            "'{}' object has no attribute '{n}' and no __dict__ for setting new attributes",
            type_name(o)
        ),
    ))
}
