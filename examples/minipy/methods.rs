//! The methods of the built-in types: list, dict, str, tuple.

use core::cell::RefCell;

use crate::builtins::{arity, dict_update, int_arg, kw, sort_values, Exc};
use crate::obj::Obj;
use crate::objects::func::{builtin, BuiltinFn};
use crate::objects::{
    self, as_str, bool_obj, int, is_none, none, str_obj, Dict, DICT, LIST, STR, TUPLE,
};
use crate::ops::{self, to_str};
use crate::vm::{err, PyResult};

// ---- methods of the built-in types -------------------------------------------------------

fn list_of(o: &Obj) -> &RefCell<Vec<Obj>> {
    o.get(&LIST).expect("bound to a list")
}

fn m_append(a: &[Obj], _: &[(Obj, Obj)]) -> PyResult<Obj> {
    arity("append", &a[1..], 1, 1)?;
    list_of(&a[0]).borrow_mut().push(a[1].clone());
    Ok(none())
}

fn m_extend(a: &[Obj], _: &[(Obj, Obj)]) -> PyResult<Obj> {
    arity("extend", &a[1..], 1, 1)?;
    let items = ops::to_vec(&a[1])?;
    list_of(&a[0]).borrow_mut().extend(items);
    Ok(none())
}

fn m_insert(a: &[Obj], _: &[(Obj, Obj)]) -> PyResult<Obj> {
    arity("insert", &a[1..], 2, 2)?;
    let l = list_of(&a[0]);
    let n = l.borrow().len() as i64;
    let i = int_arg(&a[1], "index")?;
    let i = if i < 0 { (i + n).max(0) } else { i.min(n) };
    l.borrow_mut().insert(i as usize, a[2].clone());
    Ok(none())
}

fn m_pop(a: &[Obj], _: &[(Obj, Obj)]) -> PyResult<Obj> {
    if let Some(d) = a[0].get(&DICT) {
        let _ = d;
        arity("pop", &a[1..], 1, 2)?;
        return match ops::dict_del(&a[0], &a[1])? {
            Some(v) => Ok(v),
            None => a.get(2).cloned().ok_or_else(|| ops::key_error(&a[1])),
        };
    }
    arity("pop", &a[1..], 0, 1)?;
    let l = list_of(&a[0]);
    let n = l.borrow().len() as i64;
    if n == 0 {
        return Err(err(Exc::IndexError, "pop from empty list"));
    }
    let i = match a.get(1) {
        Some(i) => int_arg(i, "index")?,
        None => -1,
    };
    let j = if i < 0 { i + n } else { i };
    if j < 0 || j >= n {
        return Err(err(Exc::IndexError, "pop index out of range"));
    }
    let v = l.borrow_mut().remove(j as usize);
    Ok(v)
}

fn m_remove(a: &[Obj], _: &[(Obj, Obj)]) -> PyResult<Obj> {
    arity("remove", &a[1..], 1, 1)?;
    let l = list_of(&a[0]);
    let items = l.borrow().clone();
    for (i, x) in items.iter().enumerate() {
        if ops::compare(crate::ast::CmpOp::Eq, x, &a[1])? {
            let old = l.borrow_mut().remove(i);
            drop(old);
            return Ok(none());
        }
    }
    Err(err(Exc::ValueError, "list.remove(x): x not in list"))
}

fn m_index(a: &[Obj], _: &[(Obj, Obj)]) -> PyResult<Obj> {
    arity("index", &a[1..], 1, 1)?;
    if let Some(s) = as_str(&a[0]) {
        let sub = as_str(&a[1]).unwrap_or("");
        return match s.find(sub) {
            Some(p) => Ok(int(s[..p].chars().count() as i64)),
            None => Err(err(Exc::ValueError, "substring not found")),
        };
    }
    for (i, x) in ops::to_vec(&a[0])?.iter().enumerate() {
        if ops::compare(crate::ast::CmpOp::Eq, x, &a[1])? {
            return Ok(int(i as i64));
        }
    }
    Err(err(
        Exc::ValueError,
        format!("{} is not in list", ops::repr(&a[1])?),
    ))
}

fn m_count(a: &[Obj], _: &[(Obj, Obj)]) -> PyResult<Obj> {
    arity("count", &a[1..], 1, 1)?;
    if let (Some(s), Some(sub)) = (as_str(&a[0]), as_str(&a[1])) {
        return Ok(int(s.matches(sub).count() as i64));
    }
    let mut n = 0;
    for x in ops::to_vec(&a[0])? {
        if ops::compare(crate::ast::CmpOp::Eq, &x, &a[1])? {
            n += 1;
        }
    }
    Ok(int(n))
}

fn m_sort(a: &[Obj], kwargs: &[(Obj, Obj)]) -> PyResult<Obj> {
    arity("sort", &a[1..], 0, 0)?;
    let l = list_of(&a[0]);
    let items = core::mem::take(&mut *l.borrow_mut());
    let reverse = match kw(kwargs, "reverse") {
        Some(r) => ops::truthy(r)?,
        None => false,
    };
    let sorted = sort_values(items.clone(), kw(kwargs, "key"), reverse);
    match sorted {
        Ok(v) => {
            *l.borrow_mut() = v;
            drop(items);
            Ok(none())
        }
        Err(e) => {
            *l.borrow_mut() = items;
            Err(e)
        }
    }
}

fn m_reverse(a: &[Obj], _: &[(Obj, Obj)]) -> PyResult<Obj> {
    list_of(&a[0]).borrow_mut().reverse();
    Ok(none())
}

fn m_copy(a: &[Obj], _: &[(Obj, Obj)]) -> PyResult<Obj> {
    if let Some(l) = a[0].get(&LIST) {
        let items = l.borrow().clone();
        return Ok(objects::list(items));
    }
    let d = objects::dict(Dict::new());
    dict_update(&d, &a[0])?;
    Ok(d)
}

fn m_clear(a: &[Obj], _: &[(Obj, Obj)]) -> PyResult<Obj> {
    if let Some(l) = a[0].get(&LIST) {
        let old = core::mem::take(&mut *l.borrow_mut());
        drop(old);
    } else if let Some(d) = a[0].get(&DICT) {
        let old = d.borrow_mut().take_all();
        drop(old);
    }
    Ok(none())
}

fn m_get(a: &[Obj], _: &[(Obj, Obj)]) -> PyResult<Obj> {
    arity("get", &a[1..], 1, 2)?;
    Ok(ops::dict_get(&a[0], &a[1])?.unwrap_or_else(|| a.get(2).cloned().unwrap_or_else(none)))
}

fn m_setdefault(a: &[Obj], _: &[(Obj, Obj)]) -> PyResult<Obj> {
    arity("setdefault", &a[1..], 1, 2)?;
    if let Some(v) = ops::dict_get(&a[0], &a[1])? {
        return Ok(v);
    }
    let v = a.get(2).cloned().unwrap_or_else(none);
    ops::dict_set(&a[0], a[1].clone(), v.clone())?;
    Ok(v)
}

fn m_update(a: &[Obj], kwargs: &[(Obj, Obj)]) -> PyResult<Obj> {
    arity("update", &a[1..], 0, 1)?;
    if let Some(src) = a.get(1) {
        dict_update(&a[0], src)?;
    }
    for (k, v) in kwargs {
        ops::dict_set(&a[0], k.clone(), v.clone())?;
    }
    Ok(none())
}

fn dict_items(o: &Obj) -> Vec<(Obj, Obj)> {
    o.get(&DICT)
        .expect("bound to a dict")
        .borrow()
        .items()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

fn m_keys(a: &[Obj], _: &[(Obj, Obj)]) -> PyResult<Obj> {
    Ok(objects::list(
        dict_items(&a[0]).into_iter().map(|(k, _)| k).collect(),
    ))
}

fn m_values(a: &[Obj], _: &[(Obj, Obj)]) -> PyResult<Obj> {
    Ok(objects::list(
        dict_items(&a[0]).into_iter().map(|(_, v)| v).collect(),
    ))
}

fn m_items(a: &[Obj], _: &[(Obj, Obj)]) -> PyResult<Obj> {
    Ok(objects::list(
        dict_items(&a[0])
            .into_iter()
            .map(|(k, v)| objects::tuple(vec![k, v]))
            .collect(),
    ))
}

fn text(o: &Obj) -> &str {
    as_str(o).expect("bound to a str")
}

fn m_join(a: &[Obj], _: &[(Obj, Obj)]) -> PyResult<Obj> {
    arity("join", &a[1..], 1, 1)?;
    let mut parts = Vec::new();
    for (i, p) in ops::to_vec(&a[1])?.iter().enumerate() {
        match as_str(p) {
            Some(s) => parts.push(s.to_string()),
            None => {
                return Err(err(
                    Exc::TypeError,
                    format!(
                        "sequence item {i}: expected str instance, {} found",
                        p.type_name()
                    ),
                ))
            }
        }
    }
    Ok(str_obj(&parts.join(text(&a[0]))))
}

fn m_split(a: &[Obj], _: &[(Obj, Obj)]) -> PyResult<Obj> {
    arity("split", &a[1..], 0, 1)?;
    let s = text(&a[0]);
    let parts: Vec<Obj> = match a.get(1).filter(|x| !is_none(x)) {
        None => s.split_whitespace().map(str_obj).collect(),
        Some(sep) => {
            let sep = as_str(sep).unwrap_or(" ");
            if sep.is_empty() {
                return Err(err(Exc::ValueError, "empty separator"));
            }
            s.split(sep).map(str_obj).collect()
        }
    };
    Ok(objects::list(parts))
}

fn strip_with(a: &[Obj], f: fn(&str, &[char]) -> String) -> PyResult<Obj> {
    let chars: Vec<char> = match a.get(1) {
        Some(c) if !is_none(c) => as_str(c).unwrap_or("").chars().collect(),
        _ => vec![' ', '\t', '\n', '\r', '\x0b', '\x0c'],
    };
    Ok(str_obj(&f(text(&a[0]), &chars)))
}

fn m_strip(a: &[Obj], _: &[(Obj, Obj)]) -> PyResult<Obj> {
    strip_with(a, |s, c| s.trim_matches(c).to_string())
}

fn m_lstrip(a: &[Obj], _: &[(Obj, Obj)]) -> PyResult<Obj> {
    strip_with(a, |s, c| s.trim_start_matches(c).to_string())
}

fn m_rstrip(a: &[Obj], _: &[(Obj, Obj)]) -> PyResult<Obj> {
    strip_with(a, |s, c| s.trim_end_matches(c).to_string())
}

fn m_upper(a: &[Obj], _: &[(Obj, Obj)]) -> PyResult<Obj> {
    Ok(str_obj(&text(&a[0]).to_uppercase()))
}

fn m_lower(a: &[Obj], _: &[(Obj, Obj)]) -> PyResult<Obj> {
    Ok(str_obj(&text(&a[0]).to_lowercase()))
}

fn m_startswith(a: &[Obj], _: &[(Obj, Obj)]) -> PyResult<Obj> {
    arity("startswith", &a[1..], 1, 1)?;
    Ok(bool_obj(
        text(&a[0]).starts_with(as_str(&a[1]).unwrap_or("")),
    ))
}

fn m_endswith(a: &[Obj], _: &[(Obj, Obj)]) -> PyResult<Obj> {
    arity("endswith", &a[1..], 1, 1)?;
    Ok(bool_obj(text(&a[0]).ends_with(as_str(&a[1]).unwrap_or(""))))
}

fn m_replace(a: &[Obj], _: &[(Obj, Obj)]) -> PyResult<Obj> {
    arity("replace", &a[1..], 2, 2)?;
    let (from, to) = (as_str(&a[1]).unwrap_or(""), as_str(&a[2]).unwrap_or(""));
    Ok(str_obj(&text(&a[0]).replace(from, to)))
}

fn m_find(a: &[Obj], _: &[(Obj, Obj)]) -> PyResult<Obj> {
    arity("find", &a[1..], 1, 1)?;
    let s = text(&a[0]);
    Ok(int(match s.find(as_str(&a[1]).unwrap_or("")) {
        Some(p) => s[..p].chars().count() as i64,
        None => -1,
    }))
}

fn m_isdigit(a: &[Obj], _: &[(Obj, Obj)]) -> PyResult<Obj> {
    let s = text(&a[0]);
    Ok(bool_obj(
        !s.is_empty() && s.chars().all(|c| c.is_ascii_digit()),
    ))
}

fn m_isalpha(a: &[Obj], _: &[(Obj, Obj)]) -> PyResult<Obj> {
    let s = text(&a[0]);
    Ok(bool_obj(
        !s.is_empty() && s.chars().all(char::is_alphabetic),
    ))
}

fn m_format(a: &[Obj], kwargs: &[(Obj, Obj)]) -> PyResult<Obj> {
    let s = text(&a[0]);
    let args = &a[1..];
    let mut out = String::new();
    let mut auto = 0;
    let chars: Vec<char> = s.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if (c == '{' || c == '}') && chars.get(i + 1) == Some(&c) {
            out.push(c);
            i += 2;
            continue;
        }
        if c != '{' {
            out.push(c);
            i += 1;
            continue;
        }
        let close = chars[i..]
            .iter()
            .position(|&d| d == '}')
            .ok_or_else(|| err(Exc::ValueError, "Single '{' encountered in format string"))?;
        let field: String = chars[i + 1..i + close].iter().collect();
        let (name, spec) = field.split_once(':').unwrap_or((&field, ""));
        let (name, conv) = match name.split_once('!') {
            Some((n, c)) => (n, c.chars().next()),
            None => (name, None),
        };
        let v = if name.is_empty() {
            auto += 1;
            args.get(auto - 1).cloned()
        } else if let Ok(n) = name.parse::<usize>() {
            args.get(n).cloned()
        } else {
            kw(kwargs, name).cloned()
        };
        let v = v.ok_or_else(|| {
            err(
                Exc::IndexError,
                format!(
                    "Replacement index {} out of range for positional args tuple",
                    auto.max(1) - 1
                ),
            )
        })?;
        let piece = match conv {
            Some('r') => ops::format_str(&ops::repr(&v)?, spec)?,
            Some('s') => ops::format_str(&to_str(&v)?, spec)?,
            _ => ops::format(&v, spec)?,
        };
        out.push_str(&piece);
        i += close + 1;
    }
    Ok(str_obj(&out))
}

/// The method `name` of a built-in value, bound to it.
pub fn builtin_method(o: &Obj, name: &str) -> Option<Obj> {
    let (name, f) = method_fn(o, name)?;
    Some(builtin(name, f, Some(o.clone())))
}

/// The code and `'static` name of the method `name` of a built-in value
/// (it takes the receiver as its first argument).
pub fn method_fn(o: &Obj, name: &str) -> Option<(&'static str, BuiltinFn)> {
    let f: BuiltinFn = if o.is(&crate::threads::THREAD) {
        match name {
            "join" => crate::threads::m_join,
            _ => return None,
        }
    } else if o.is(&LIST) {
        match name {
            "append" => m_append,
            "extend" => m_extend,
            "insert" => m_insert,
            "pop" => m_pop,
            "remove" => m_remove,
            "index" => m_index,
            "count" => m_count,
            "sort" => m_sort,
            "reverse" => m_reverse,
            "copy" => m_copy,
            "clear" => m_clear,
            _ => return None,
        }
    } else if o.is(&DICT) {
        match name {
            "get" => m_get,
            "keys" => m_keys,
            "values" => m_values,
            "items" => m_items,
            "pop" => m_pop,
            "setdefault" => m_setdefault,
            "update" => m_update,
            "copy" => m_copy,
            "clear" => m_clear,
            _ => return None,
        }
    } else if o.is(&STR) {
        match name {
            "join" => m_join,
            "split" => m_split,
            "strip" => m_strip,
            "lstrip" => m_lstrip,
            "rstrip" => m_rstrip,
            "upper" => m_upper,
            "lower" => m_lower,
            "startswith" => m_startswith,
            "endswith" => m_endswith,
            "replace" => m_replace,
            "find" => m_find,
            "index" => m_index,
            "count" => m_count,
            "format" => m_format,
            "isdigit" => m_isdigit,
            "isalpha" => m_isalpha,
            _ => return None,
        }
    } else if o.is(&TUPLE) {
        match name {
            "index" => m_index,
            "count" => m_count,
            _ => return None,
        }
    } else {
        return None;
    };
    Some((intern_static(name)?, f))
}

/// A `'static` copy of a method name (method names are few and fixed).
fn intern_static(name: &str) -> Option<&'static str> {
    const NAMES: [&str; 33] = [
        "append",
        "extend",
        "insert",
        "pop",
        "remove",
        "index",
        "count",
        "sort",
        "reverse",
        "copy",
        "clear",
        "get",
        "keys",
        "values",
        "items",
        "setdefault",
        "update",
        "join",
        "split",
        "strip",
        "lstrip",
        "rstrip",
        "upper",
        "lower",
        "startswith",
        "endswith",
        "replace",
        "find",
        "format",
        "isdigit",
        "isalpha",
        "__init__",
        "ref",
    ];
    NAMES.iter().copied().find(|n| *n == name)
}
