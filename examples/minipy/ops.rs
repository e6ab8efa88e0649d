//! The object protocols: arithmetic, comparison, hashing, attributes,
//! items, iteration, truth, `str`/`repr` and format specs.

use crate::ast::{BinOp, CmpOp, UnOp};
use crate::builtins::{self, Exc};
use crate::obj::Obj;
use crate::objects::class::{self, as_inst, CLASS};
use crate::objects::func::{BUILTIN, BUILTIN_TYPE, FUNCTION, METHOD};
use crate::objects::{
    self, as_int, as_str, as_tuple, bool_obj, float, int, is_bool, is_none, str_obj, Iter, DICT,
    FLOAT, ITER, LIST, MODULE, RANGE, SLICE, TUPLE,
};
use crate::vm::{bind, call, err, Args, PyResult};

/// The type name Python prints (a class's name for its instances).
pub fn type_name(o: &Obj) -> &'static str {
    o.type_name()
}

// ---- hashing and equality ---------------------------------------------------

/// FNV-1a over the bytes of `s` (stable, so dict order never depends on it).
pub fn hash_str(s: &str) -> i64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h as i64
}

/// `hash(o)`.
///
/// # Errors
/// `TypeError` for unhashable (mutable) values.
pub fn hash(o: &Obj) -> PyResult<i64> {
    if let Some(i) = as_int(o) {
        return Ok(i);
    }
    if let Some(f) = o.get(&FLOAT) {
        if f.fract() == 0.0 && f.abs() < 9.2e18 {
            return Ok(*f as i64);
        }
        return Ok(f.to_bits() as i64);
    }
    if let Some(s) = as_str(o) {
        return Ok(hash_str(s));
    }
    if let Some(items) = as_tuple(o) {
        let mut h: i64 = 0x345678;
        for i in items {
            h = h.wrapping_mul(1_000_003) ^ hash(i)?;
        }
        return Ok(h);
    }
    if o.is(&LIST) || o.is(&DICT) {
        return Err(err(
            Exc::TypeError,
            format!("unhashable type: '{}'", type_name(o)),
        ));
    }
    Ok((o.as_ptr() as i64) >> 4)
}

/// Value equality without user `__eq__` (dict keys, `in`, `==`).
pub fn eq_simple(a: &Obj, b: &Obj) -> bool {
    if a.is_same(b) {
        return true;
    }
    if let (Some(x), Some(y)) = (num(a), num(b)) {
        return match (x, y) {
            (Num::I(x), Num::I(y)) => x == y,
            (x, y) => x.f() == y.f(),
        };
    }
    if let (Some(x), Some(y)) = (as_str(a), as_str(b)) {
        return x == y;
    }
    if let (Some(x), Some(y)) = (as_tuple(a), as_tuple(b)) {
        return x.len() == y.len() && x.iter().zip(y).all(|(p, q)| eq_simple(p, q));
    }
    if let (Some(x), Some(y)) = (a.get(&LIST), b.get(&LIST)) {
        let (x, y) = (x.borrow().clone(), y.borrow().clone());
        return x.len() == y.len() && x.iter().zip(&y).all(|(p, q)| eq_simple(p, q));
    }
    if let (Some(x), Some(y)) = (a.get(&DICT), b.get(&DICT)) {
        let x: Vec<(Obj, Obj)> = x
            .borrow()
            .items()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        if x.len() != y.borrow().len() {
            return false;
        }
        return x.iter().all(|(k, v)| {
            hash(k).is_ok_and(|h| {
                y.borrow()
                    .get(h, k, &eq_simple)
                    .is_some_and(|w| eq_simple(v, &w))
            })
        });
    }
    false
}

// ---- dicts --------------------------------------------------------------------

fn dict_payload(d: &Obj) -> PyResult<&core::cell::RefCell<objects::Dict>> {
    d.get(&DICT)
        .ok_or_else(|| err(Exc::TypeError, "expected a dict"))
}

/// `d.get(key)`.
pub fn dict_get(d: &Obj, key: &Obj) -> PyResult<Option<Obj>> {
    let h = hash(key)?;
    Ok(dict_payload(d)?.borrow().get(h, key, &eq_simple))
}

/// `d[key] = value`; the replaced value is dropped after the borrow ends.
pub fn dict_set(d: &Obj, key: Obj, value: Obj) -> PyResult<()> {
    let h = hash(&key)?;
    let old = dict_payload(d)?.borrow_mut().set(h, key, value, &eq_simple);
    drop(old);
    Ok(())
}

/// `del d[key]`; returns the removed value (or `None` when absent).
pub fn dict_del(d: &Obj, key: &Obj) -> PyResult<Option<Obj>> {
    let h = hash(key)?;
    let old = dict_payload(d)?.borrow_mut().remove(h, key, &eq_simple);
    Ok(old.map(|(_, v)| v))
}

// ---- numbers ----------------------------------------------------------------------

#[derive(Clone, Copy)]
enum Num {
    I(i64),
    F(f64),
}

impl Num {
    fn f(self) -> f64 {
        match self {
            Num::I(i) => i as f64,
            Num::F(f) => f,
        }
    }
}

fn num(o: &Obj) -> Option<Num> {
    if let Some(i) = as_int(o) {
        return Some(Num::I(i));
    }
    o.get(&FLOAT).map(|f| Num::F(*f))
}

fn overflow() -> Box<crate::vm::PyErr> {
    err(
        Exc::OverflowError,
        "integer overflow (minipy ints are 64-bit)",
    )
}

fn floordiv(a: i64, b: i64) -> i64 {
    let q = a / b;
    if (a % b != 0) && ((a < 0) != (b < 0)) {
        q - 1
    } else {
        q
    }
}

fn int_op(op: BinOp, a: i64, b: i64) -> PyResult<Obj> {
    let r = match op {
        BinOp::Add => a.checked_add(b),
        BinOp::Sub => a.checked_sub(b),
        BinOp::Mul => a.checked_mul(b),
        BinOp::Div => {
            if b == 0 {
                return Err(err(Exc::ZeroDivisionError, "division by zero"));
            }
            return Ok(float(a as f64 / b as f64));
        }
        BinOp::FloorDiv | BinOp::Mod => {
            if b == 0 {
                return Err(err(
                    Exc::ZeroDivisionError,
                    if op == BinOp::Mod {
                        "integer modulo by zero"
                    } else {
                        "integer division or modulo by zero"
                    },
                ));
            }
            let q = floordiv(a, b);
            if op == BinOp::FloorDiv {
                Some(q)
            } else {
                Some(a - q * b)
            }
        }
        BinOp::Pow => {
            if b < 0 {
                return Ok(float((a as f64).powf(b as f64)));
            }
            u32::try_from(b).ok().and_then(|e| a.checked_pow(e))
        }
        BinOp::And => Some(a & b),
        BinOp::Or => Some(a | b),
        BinOp::Xor => Some(a ^ b),
        BinOp::Shl => u32::try_from(b)
            .ok()
            .and_then(|s| a.checked_shl(s))
            .filter(|r| r >> b.min(63) == a),
        BinOp::Shr => Some(a >> b.clamp(0, 63)),
    };
    r.map(int).ok_or_else(overflow)
}

fn float_op(op: BinOp, a: f64, b: f64) -> PyResult<Obj> {
    let zero = || err(Exc::ZeroDivisionError, "float division by zero");
    Ok(float(match op {
        BinOp::Add => a + b,
        BinOp::Sub => a - b,
        BinOp::Mul => a * b,
        BinOp::Div => {
            if b == 0.0 {
                return Err(zero());
            }
            a / b
        }
        BinOp::FloorDiv => {
            if b == 0.0 {
                return Err(err(Exc::ZeroDivisionError, "float floor division by zero"));
            }
            (a / b).floor()
        }
        BinOp::Mod => {
            if b == 0.0 {
                return Err(err(Exc::ZeroDivisionError, "float modulo"));
            }
            let m = a % b;
            if m != 0.0 && ((m < 0.0) != (b < 0.0)) {
                m + b
            } else {
                m
            }
        }
        BinOp::Pow => a.powf(b),
        _ => return Err(unsupported(op, "float", "float")),
    }))
}

fn op_symbol(op: BinOp) -> &'static str {
    match op {
        BinOp::Add => "+",
        BinOp::Sub => "-",
        BinOp::Mul => "*",
        BinOp::Div => "/",
        BinOp::FloorDiv => "//",
        BinOp::Mod => "%",
        BinOp::Pow => "** or pow()",
        BinOp::And => "&",
        BinOp::Or => "|",
        BinOp::Xor => "^",
        BinOp::Shl => "<<",
        BinOp::Shr => ">>",
    }
}

fn unsupported(op: BinOp, a: &str, b: &str) -> Box<crate::vm::PyErr> {
    err(
        Exc::TypeError,
        format!(
            "unsupported operand type(s) for {}: '{a}' and '{b}'",
            op_symbol(op)
        ),
    )
}

fn repeat(items: &[Obj], n: i64) -> Vec<Obj> {
    let n = n.max(0) as usize;
    let mut out = Vec::with_capacity(items.len() * n);
    for _ in 0..n {
        out.extend(items.iter().cloned());
    }
    out
}

/// `a op b`.
///
/// # Errors
/// `TypeError`, `ZeroDivisionError`, `OverflowError`.
pub fn binary(op: BinOp, a: &Obj, b: &Obj) -> PyResult<Obj> {
    match (num(a), num(b)) {
        (Some(Num::I(x)), Some(Num::I(y))) => return int_op(op, x, y),
        (Some(x), Some(y)) => return float_op(op, x.f(), y.f()),
        _ => {}
    }
    if let (Some(x), Some(y)) = (as_str(a), as_str(b)) {
        if op == BinOp::Add {
            let mut s = String::with_capacity(x.len() + y.len());
            s.push_str(x);
            s.push_str(y);
            return Ok(str_obj(&s));
        }
    }
    if op == BinOp::Mul {
        if let (Some(s), Some(n)) = (as_str(a), as_int(b)) {
            return Ok(str_obj(&s.repeat(n.max(0) as usize)));
        }
        if let (Some(n), Some(s)) = (as_int(a), as_str(b)) {
            return Ok(str_obj(&s.repeat(n.max(0) as usize)));
        }
        for (seq, n) in [(a, b), (b, a)] {
            if let Some(n) = as_int(n) {
                if let Some(l) = seq.get(&LIST) {
                    let items = l.borrow().clone();
                    return Ok(objects::list(repeat(&items, n)));
                }
                if let Some(t) = as_tuple(seq) {
                    return Ok(objects::tuple(repeat(t, n)));
                }
            }
        }
    }
    if op == BinOp::Add {
        if let (Some(x), Some(y)) = (a.get(&LIST), b.get(&LIST)) {
            let mut items = x.borrow().clone();
            items.extend(y.borrow().iter().cloned());
            return Ok(objects::list(items));
        }
        if let (Some(x), Some(y)) = (as_tuple(a), as_tuple(b)) {
            let mut items = x.to_vec();
            items.extend(y.iter().cloned());
            return Ok(objects::tuple(items));
        }
    }
    if op == BinOp::Mod {
        if let Some(fmt) = as_str(a) {
            return percent_format(fmt, b);
        }
    }
    if as_inst(a).is_some() {
        let name = match op {
            BinOp::Add => "__add__",
            BinOp::Sub => "__sub__",
            BinOp::Mul => "__mul__",
            _ => "",
        };
        if let Some(m) = method(a, name) {
            let mut args = Args::new();
            args.push(b.clone());
            return call(&m, args, &[]);
        }
    }
    Err(unsupported(op, type_name(a), type_name(b)))
}

/// `"%d items" % n`: the common conversions.
fn percent_format(fmt: &str, arg: &Obj) -> PyResult<Obj> {
    let args: Vec<Obj> = match as_tuple(arg) {
        Some(t) => t.to_vec(),
        None => vec![arg.clone()],
    };
    let mut it = args.iter();
    let mut out = String::new();
    let mut chars = fmt.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let mut spec = String::new();
        while let Some(&d) = chars.peek() {
            if d.is_ascii_digit() || d == '.' || d == '-' || d == '+' || d == ' ' || d == '0' {
                spec.push(d);
                chars.next();
            } else {
                break;
            }
        }
        let Some(conv) = chars.next() else {
            return Err(err(Exc::ValueError, "incomplete format"));
        };
        if conv == '%' {
            out.push('%');
            continue;
        }
        let v = it
            .next()
            .ok_or_else(|| err(Exc::TypeError, "not enough arguments for format string"))?;
        let spec = match spec.strip_prefix('-') {
            Some(rest) => format!("<{rest}"),
            None => spec,
        };
        let piece = match conv {
            's' => format_str(&to_str(v)?, &spec)?,
            'r' => format_str(&repr(v)?, &spec)?,
            'd' | 'i' => {
                let n = match num(v) {
                    Some(Num::I(i)) => i,
                    Some(Num::F(f)) => f as i64,
                    None => {
                        return Err(err(
                            Exc::TypeError,
                            format!("%d format: a real number is required, not {}", type_name(v)),
                        ))
                    }
                };
                format(&int(n), &spec)?
            }
            'f' | 'e' | 'g' | 'x' | 'o' => format(v, &format!("{spec}{conv}"))?,
            _ => {
                return Err(err(
                    Exc::ValueError,
                    format!("unsupported format character '{conv}'"),
                ))
            }
        };
        out.push_str(&piece);
    }
    if it.next().is_some() {
        return Err(err(
            Exc::TypeError,
            "not all arguments converted during string formatting",
        ));
    }
    Ok(str_obj(&out))
}

/// `op a`.
///
/// # Errors
/// `TypeError` for a bad operand.
pub fn unary(op: UnOp, a: &Obj) -> PyResult<Obj> {
    match (op, num(a)) {
        (UnOp::Not, _) => Ok(bool_obj(!truthy(a)?)),
        (UnOp::Neg, Some(Num::I(i))) => i.checked_neg().map(int).ok_or_else(overflow),
        (UnOp::Neg, Some(Num::F(f))) => Ok(float(-f)),
        (UnOp::Pos, Some(Num::I(i))) => Ok(int(i)),
        (UnOp::Pos, Some(Num::F(f))) => Ok(float(f)),
        (UnOp::Invert, Some(Num::I(i))) => Ok(int(!i)),
        _ => {
            let sym = match op {
                UnOp::Neg => "unary -",
                UnOp::Pos => "unary +",
                _ => "unary ~",
            };
            Err(err(
                Exc::TypeError,
                format!("bad operand type for {sym}: '{}'", type_name(a)),
            ))
        }
    }
}

fn ordering(a: &Obj, b: &Obj, op: CmpOp) -> PyResult<core::cmp::Ordering> {
    use core::cmp::Ordering;
    if let (Some(x), Some(y)) = (num(a), num(b)) {
        return Ok(match (x, y) {
            (Num::I(x), Num::I(y)) => x.cmp(&y),
            (x, y) => x.f().partial_cmp(&y.f()).unwrap_or(Ordering::Equal),
        });
    }
    if let (Some(x), Some(y)) = (as_str(a), as_str(b)) {
        return Ok(x.cmp(y));
    }
    let seqs = match (a.get(&LIST), b.get(&LIST)) {
        (Some(x), Some(y)) => Some((x.borrow().clone(), y.borrow().clone())),
        _ => match (as_tuple(a), as_tuple(b)) {
            (Some(x), Some(y)) => Some((x.to_vec(), y.to_vec())),
            _ => None,
        },
    };
    if let Some((x, y)) = seqs {
        for (p, q) in x.iter().zip(&y) {
            if !eq_simple(p, q) {
                return ordering(p, q, op);
            }
        }
        return Ok(x.len().cmp(&y.len()));
    }
    let sym = match op {
        CmpOp::Lt => "<",
        CmpOp::Le => "<=",
        CmpOp::Gt => ">",
        _ => ">=",
    };
    Err(err(
        Exc::TypeError,
        format!(
            "'{sym}' not supported between instances of '{}' and '{}'",
            type_name(a),
            type_name(b)
        ),
    ))
}

/// `a op b` for the comparison operators.
///
/// # Errors
/// `TypeError` for unordered types; what a user `__eq__`/`__lt__` raised.
pub fn compare(op: CmpOp, a: &Obj, b: &Obj) -> PyResult<bool> {
    use core::cmp::Ordering::*;
    Ok(match op {
        CmpOp::Is => a.is_same(b),
        CmpOp::IsNot => !a.is_same(b),
        CmpOp::In => contains(b, a)?,
        CmpOp::NotIn => !contains(b, a)?,
        CmpOp::Eq | CmpOp::Ne => {
            let eq = match method(a, "__eq__") {
                Some(m) => {
                    let mut args = Args::new();
                    args.push(b.clone());
                    truthy(&call(&m, args, &[])?)?
                }
                None => {
                    if let (Some(Num::F(x)), _) | (_, Some(Num::F(x))) = (num(a), num(b)) {
                        if x.is_nan() {
                            return Ok(op == CmpOp::Ne);
                        }
                    }
                    eq_simple(a, b)
                }
            };
            if op == CmpOp::Eq {
                eq
            } else {
                !eq
            }
        }
        _ => {
            let name = match op {
                CmpOp::Lt => "__lt__",
                CmpOp::Le => "__le__",
                CmpOp::Gt => "__gt__",
                _ => "__ge__",
            };
            if let Some(m) = method(a, name) {
                let mut args = Args::new();
                args.push(b.clone());
                return truthy(&call(&m, args, &[])?);
            }
            if let (Some(x), Some(y)) = (num(a), num(b)) {
                let (x, y) = (x.f(), y.f());
                if x.is_nan() || y.is_nan() {
                    return Ok(false);
                }
            }
            let o = ordering(a, b, op)?;
            match op {
                CmpOp::Lt => o == Less,
                CmpOp::Le => o != Greater,
                CmpOp::Gt => o == Greater,
                _ => o != Less,
            }
        }
    })
}

/// `item in container`.
///
/// # Errors
/// `TypeError` when `container` supports no membership test.
pub fn contains(container: &Obj, item: &Obj) -> PyResult<bool> {
    if let (Some(s), Some(sub)) = (as_str(container), as_str(item)) {
        return Ok(s.contains(sub));
    }
    if as_str(container).is_some() {
        return Err(err(
            Exc::TypeError,
            format!(
                "'in <string>' requires string as left operand, not {}",
                type_name(item)
            ),
        ));
    }
    if container.is(&DICT) {
        return Ok(dict_get(container, item)?.is_some());
    }
    if let Some(r) = container.get(&RANGE) {
        if let Some(i) = as_int(item) {
            let inside = if r.step > 0 {
                i >= r.start && i < r.stop
            } else {
                i <= r.start && i > r.stop
            };
            return Ok(inside && (i - r.start) % r.step == 0);
        }
        return Ok(false);
    }
    for x in to_vec(container)? {
        if compare(CmpOp::Eq, &x, item)? {
            return Ok(true);
        }
    }
    Ok(false)
}

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

// ---- str and repr ---------------------------------------------------------------------

/// Python's `repr(float)`: the shortest round-tripping digits, fixed
/// notation for exponents -4..16, else `1e+16` style.
pub fn float_repr(f: f64) -> String {
    if f.is_nan() {
        return "nan".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "inf".into() } else { "-inf".into() };
    }
    if f == 0.0 {
        return if f.is_sign_negative() { "-0.0" } else { "0.0" }.into();
    }
    let sci = format!("{f:e}");
    let (mant, exp) = sci.split_once('e').expect("`{:e}` has an exponent");
    let exp: i32 = exp.parse().expect("an integer exponent");
    let (neg, mant) = match mant.strip_prefix('-') {
        Some(m) => (true, m),
        None => (false, mant),
    };
    let digits: String = mant.chars().filter(|c| *c != '.').collect();
    let mut out = String::new();
    if neg {
        out.push('-');
    }
    if (-4..16).contains(&exp) {
        if exp < 0 {
            out.push_str("0.");
            for _ in 0..(-exp - 1) {
                out.push('0');
            }
            out.push_str(&digits);
        } else {
            let e = exp as usize;
            if digits.len() > e + 1 {
                out.push_str(&digits[..=e]);
                out.push('.');
                out.push_str(&digits[e + 1..]);
            } else {
                out.push_str(&digits);
                for _ in digits.len()..=e {
                    out.push('0');
                }
                out.push_str(".0");
            }
        }
    } else {
        out.push_str(&digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        out.push_str(&format!(
            "e{}{:02}",
            if exp < 0 { '-' } else { '+' },
            exp.abs()
        ));
    }
    out
}

/// Python's `repr(str)`.
pub fn str_repr(s: &str) -> String {
    let q = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::new();
    out.push(q);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c == q => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push(q);
    out
}

/// `repr(o)`.
///
/// # Errors
/// What a user `__repr__` raised.
pub fn repr(o: &Obj) -> PyResult<String> {
    if is_none(o) {
        return Ok("None".into());
    }
    if let Some(b) = objects::as_bool(o) {
        return Ok(if b { "True" } else { "False" }.into());
    }
    if let Some(i) = o.get(&objects::INT) {
        return Ok(i.to_string());
    }
    if let Some(f) = o.get(&FLOAT) {
        return Ok(float_repr(*f));
    }
    if let Some(s) = as_str(o) {
        return Ok(str_repr(s));
    }
    if let Some(l) = o.get(&LIST) {
        let items = l.borrow().clone();
        let parts: PyResult<Vec<String>> = items.iter().map(repr).collect();
        return Ok(format!("[{}]", parts?.join(", ")));
    }
    if let Some(t) = as_tuple(o) {
        let parts: PyResult<Vec<String>> = t.iter().map(repr).collect();
        let parts = parts?;
        return Ok(if parts.len() == 1 {
            format!("({},)", parts[0])
        } else {
            format!("({})", parts.join(", "))
        });
    }
    if let Some(d) = o.get(&DICT) {
        let items: Vec<(Obj, Obj)> = d
            .borrow()
            .items()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let mut parts = Vec::new();
        for (k, v) in &items {
            parts.push(format!("{}: {}", repr(k)?, repr(v)?));
        }
        return Ok(format!("{{{}}}", parts.join(", ")));
    }
    if let Some(r) = o.get(&RANGE) {
        return Ok(if r.step == 1 {
            format!("range({}, {})", r.start, r.stop)
        } else {
            format!("range({}, {}, {})", r.start, r.stop, r.step)
        });
    }
    if let Some(c) = o.get(&CLASS) {
        return Ok(if builtins::is_builtin_class(o) {
            format!("<class '{}'>", c.name)
        } else {
            format!("<class '__main__.{}'>", c.name)
        });
    }
    if let Some(t) = o.get(&BUILTIN_TYPE) {
        return Ok(format!("<class '{}'>", t.name));
    }
    if let Some(f) = o.get(&FUNCTION) {
        return Ok(format!(
            "<function {} at {:#x}>",
            f.code.name,
            o.as_ptr() as usize
        ));
    }
    if let Some(b) = o.get(&BUILTIN) {
        return Ok(match &b.bound {
            Some(r) => format!(
                "<built-in method {} of {} object at {:#x}>",
                b.name,
                type_name(r),
                r.as_ptr() as usize
            ),
            None => format!("<built-in function {}>", b.name),
        });
    }
    if let Some(m) = o.get(&METHOD) {
        let fname = m.func.get(&FUNCTION).map_or("?", |f| f.code.name.as_str());
        return Ok(format!(
            "<bound method {}.{fname} of {}>",
            type_name(&m.receiver),
            repr(&m.receiver)?
        ));
    }
    if let Some(m) = o.get(&MODULE) {
        return Ok(format!("<module '{}' (built-in)>", m.name));
    }
    if let Some(inst) = as_inst(o) {
        if let Some(m) = method(o, "__repr__") {
            let r = call(&m, Args::new(), &[])?;
            return as_str(&r)
                .map(str::to_string)
                .ok_or_else(|| err(Exc::TypeError, "__repr__ returned non-string"));
        }
        if inst.class.get(&CLASS).is_some_and(|c| c.is_exception) {
            let args = exc_args(o);
            let inner = match as_tuple(&args) {
                Some(t) if t.len() == 1 => repr(&t[0])?,
                Some(_) => {
                    let r = repr(&args)?;
                    r[1..r.len() - 1].trim_end_matches(',').to_string()
                }
                None => String::new(),
            };
            return Ok(format!("{}({inner})", type_name(o)));
        }
        return Ok(format!(
            "<__main__.{} object at {:#x}>",
            type_name(o),
            o.as_ptr() as usize
        ));
    }
    if builtins::is_weakref(o) {
        return Ok(format!("<weakref at {:#x}>", o.as_ptr() as usize));
    }
    Ok(format!(
        "<{} object at {:#x}>",
        type_name(o),
        o.as_ptr() as usize
    ))
}

fn exc_args(o: &Obj) -> Obj {
    let key = builtins::intern("args");
    as_inst(o)
        .and_then(|i| i.attrs.borrow().get(hash_str("args"), &key, &eq_simple))
        .unwrap_or_else(|| objects::tuple(Vec::new()))
}

/// `str(o)`.
///
/// # Errors
/// What a user `__str__`/`__repr__` raised.
pub fn to_str(o: &Obj) -> PyResult<String> {
    if let Some(s) = as_str(o) {
        return Ok(s.to_string());
    }
    if let Some(inst) = as_inst(o) {
        if let Some(m) = method(o, "__str__") {
            let r = call(&m, Args::new(), &[])?;
            return as_str(&r)
                .map(str::to_string)
                .ok_or_else(|| err(Exc::TypeError, "__str__ returned non-string"));
        }
        if inst.class.get(&CLASS).is_some_and(|c| c.is_exception) {
            let args = exc_args(o);
            let t = as_tuple(&args).map(<[Obj]>::to_vec).unwrap_or_default();
            return match t.len() {
                0 => Ok(String::new()),
                1 if builtins::exc_is(o, Exc::KeyError) => repr(&t[0]),
                1 => to_str(&t[0]),
                _ => repr(&args),
            };
        }
    }
    repr(o)
}

// ---- format specs ---------------------------------------------------------------------

struct Spec {
    fill: char,
    align: Option<char>,
    sign: Option<char>,
    zero: bool,
    width: usize,
    comma: bool,
    precision: Option<usize>,
    ty: Option<char>,
}

fn parse_spec(spec: &str) -> PyResult<Spec> {
    let chars: Vec<char> = spec.chars().collect();
    let mut s = Spec {
        fill: ' ',
        align: None,
        sign: None,
        zero: false,
        width: 0,
        comma: false,
        precision: None,
        ty: None,
    };
    let mut i = 0;
    if chars.len() >= 2 && "<>^=".contains(chars[1]) {
        s.fill = chars[0];
        s.align = Some(chars[1]);
        i = 2;
    } else if !chars.is_empty() && "<>^=".contains(chars[0]) {
        s.align = Some(chars[0]);
        i = 1;
    }
    if i < chars.len() && "+- ".contains(chars[i]) {
        s.sign = Some(chars[i]);
        i += 1;
    }
    if i < chars.len() && chars[i] == '0' {
        s.zero = true;
        i += 1;
    }
    let start = i;
    while i < chars.len() && chars[i].is_ascii_digit() {
        i += 1;
    }
    if i > start {
        s.width = chars[start..i]
            .iter()
            .collect::<String>()
            .parse()
            .unwrap_or(0);
    }
    if i < chars.len() && (chars[i] == ',' || chars[i] == '_') {
        s.comma = true;
        i += 1;
    }
    if i < chars.len() && chars[i] == '.' {
        i += 1;
        let start = i;
        while i < chars.len() && chars[i].is_ascii_digit() {
            i += 1;
        }
        s.precision = chars[start..i].iter().collect::<String>().parse().ok();
    }
    if i < chars.len() {
        s.ty = Some(chars[i]);
        i += 1;
    }
    if i != chars.len() {
        return Err(err(Exc::ValueError, "Invalid format specifier"));
    }
    Ok(s)
}

fn pad(body: String, s: &Spec, default_align: char) -> String {
    let n = body.chars().count();
    if n >= s.width {
        return body;
    }
    let fill = s.width - n;
    let (fill_ch, align) = if s.zero && s.align.is_none() {
        ('0', '=')
    } else {
        (s.fill, s.align.unwrap_or(default_align))
    };
    let f = |k: usize| fill_ch.to_string().repeat(k);
    match align {
        '<' => body + &f(fill),
        '^' => f(fill / 2) + &body + &f(fill - fill / 2),
        '=' => {
            let (sign, rest) = if body.starts_with('-') || body.starts_with('+') {
                body.split_at(1)
            } else {
                ("", body.as_str())
            };
            format!("{sign}{}{rest}", f(fill))
        }
        _ => f(fill) + &body,
    }
}

fn group(digits: &str) -> String {
    let (sign, d) = match digits.strip_prefix('-') {
        Some(d) => ("-", d),
        None => ("", digits),
    };
    let (int_part, frac) = match d.find('.') {
        Some(p) => d.split_at(p),
        None => (d, ""),
    };
    let mut out = String::new();
    for (i, c) in int_part.chars().enumerate() {
        if i > 0 && (int_part.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    format!("{sign}{out}{frac}")
}

/// `format(s, spec)` for a string.
///
/// # Errors
/// `ValueError` for a bad spec.
pub fn format_str(text: &str, spec: &str) -> PyResult<String> {
    if spec.is_empty() {
        return Ok(text.to_string());
    }
    let s = parse_spec(spec)?;
    let mut body: String = text.to_string();
    if let Some(p) = s.precision {
        body = body.chars().take(p).collect();
    }
    Ok(pad(body, &s, '<'))
}

/// `format(v, spec)`.
///
/// # Errors
/// `ValueError` for a spec the value's type does not take.
pub fn format(v: &Obj, spec: &str) -> PyResult<String> {
    if spec.is_empty() {
        return to_str(v);
    }
    if let Some(text) = as_str(v) {
        return format_str(text, spec);
    }
    let s = parse_spec(spec)?;
    let n = if is_bool(v) && s.ty.is_none() {
        None
    } else {
        num(v)
    };
    let Some(n) = n else {
        return format_str(&to_str(v)?, spec);
    };
    let sign = |body: String, neg: bool| match (neg, s.sign) {
        (true, _) => format!("-{body}"),
        (false, Some('+')) => format!("+{body}"),
        (false, Some(' ')) => format!(" {body}"),
        _ => body,
    };
    let body = match (s.ty, n) {
        (Some('d') | None, Num::I(i)) => {
            let mut d = i.unsigned_abs().to_string();
            if s.comma {
                d = group(&d);
            }
            sign(d, i < 0)
        }
        (Some('x'), Num::I(i)) => sign(format!("{:x}", i.unsigned_abs()), i < 0),
        (Some('X'), Num::I(i)) => sign(format!("{:X}", i.unsigned_abs()), i < 0),
        (Some('o'), Num::I(i)) => sign(format!("{:o}", i.unsigned_abs()), i < 0),
        (Some('b'), Num::I(i)) => sign(format!("{:b}", i.unsigned_abs()), i < 0),
        (Some('f' | 'F'), n) => {
            let f = n.f();
            let mut d = format!("{:.*}", s.precision.unwrap_or(6), f.abs());
            if s.comma {
                d = group(&d);
            }
            sign(d, f.is_sign_negative() && f != 0.0)
        }
        (Some('e'), n) => {
            let f = n.f();
            let d = format!("{:.*e}", s.precision.unwrap_or(6), f.abs());
            let (m, e) = d.split_once('e').expect("an exponent");
            let e: i32 = e.parse().expect("an integer exponent");
            sign(
                format!("{m}e{}{:02}", if e < 0 { '-' } else { '+' }, e.abs()),
                f < 0.0,
            )
        }
        (Some('%'), n) => {
            let f = n.f() * 100.0;
            sign(
                format!("{:.*}%", s.precision.unwrap_or(6), f.abs()),
                f < 0.0,
            )
        }
        (Some('g') | None, Num::F(f)) => {
            let body = match s.precision {
                Some(p) => {
                    let p = p.max(1);
                    let e = if f == 0.0 {
                        0
                    } else {
                        f.abs().log10().floor() as i32
                    };
                    if e < -4 || e >= p as i32 {
                        let d = format!("{:.*e}", p - 1, f.abs());
                        let (m, ex) = d.split_once('e').expect("an exponent");
                        let m = if m.contains('.') {
                            m.trim_end_matches('0').trim_end_matches('.')
                        } else {
                            m
                        };
                        let ex: i32 = ex.parse().expect("an integer exponent");
                        format!("{m}e{}{:02}", if ex < 0 { '-' } else { '+' }, ex.abs())
                    } else {
                        let d = format!("{:.*}", (p as i32 - 1 - e).max(0) as usize, f.abs());
                        if d.contains('.') {
                            d.trim_end_matches('0').trim_end_matches('.').to_string()
                        } else {
                            d
                        }
                    }
                }
                None => float_repr(f.abs()),
            };
            let mut body = body;
            if s.comma {
                body = group(&body);
            }
            sign(body, f.is_sign_negative() && f != 0.0)
        }
        (Some('g'), Num::I(i)) => sign(i.unsigned_abs().to_string(), i < 0),
        (Some(t), _) => {
            return Err(err(
                Exc::ValueError,
                format!(
                    "Unknown format code '{t}' for object of type '{}'",
                    type_name(v)
                ),
            ))
        }
    };
    Ok(pad(body, &s, '>'))
}

/// Which end `min`/`max` look for.
#[derive(Clone, Copy)]
pub enum Want {
    /// The smallest.
    Min,
    /// The largest.
    Max,
}

impl Want {
    /// The comparison that makes a candidate better.
    pub fn op(self) -> CmpOp {
        match self {
            Want::Min => CmpOp::Lt,
            Want::Max => CmpOp::Gt,
        }
    }
}
