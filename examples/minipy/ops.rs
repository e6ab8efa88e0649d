//! The number and comparison protocols: hashing, equality, arithmetic,
//! comparison and membership. Truth, items, iteration and attributes
//! are in `access`; `str`/`repr` and format specs in `format`.

use crate::ast::{BinOp, CmpOp, UnOp};
use crate::builtins::Exc;
use crate::obj::Obj;
use crate::objects::class::as_inst;
use crate::objects::{
    self, as_int, as_str, as_tuple, bool_obj, float, int, str_obj, DICT, FLOAT, INT, LIST, RANGE,
};
use crate::vm::{call, err, Args, PyResult};

pub use crate::access::*;
pub use crate::format::*;

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
    // Names (globals, attributes) are the commonest keys: test them first.
    if let Some(s) = as_str(o) {
        return Ok(hash_str(s));
    }
    if let Some(i) = as_int(o) {
        return Ok(i);
    }
    if let Some(f) = o.get(&FLOAT) {
        if f.fract() == 0.0 && f.abs() < 9.2e18 {
            return Ok(*f as i64);
        }
        return Ok(f.to_bits() as i64);
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
    dict_get_hashed(d, hash(key)?, key)
}

/// `d.get(key)` with `key`'s hash `h` already known.
pub fn dict_get_hashed(d: &Obj, h: i64, key: &Obj) -> PyResult<Option<Obj>> {
    Ok(dict_payload(d)?.borrow().get(h, key, &eq_simple))
}

/// `d[key] = value`; the replaced value is dropped after the borrow ends.
pub fn dict_set(d: &Obj, key: Obj, value: Obj) -> PyResult<()> {
    dict_set_hashed(d, hash(&key)?, key, value)
}

/// `d[key] = value` with `key`'s hash `h` already known.
pub fn dict_set_hashed(d: &Obj, h: i64, key: Obj, value: Obj) -> PyResult<()> {
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

/// A number operand.
#[derive(Clone, Copy)]
pub enum Num {
    /// An int (or bool).
    I(i64),
    /// A float.
    F(f64),
}

impl Num {
    /// As a float.
    pub fn f(self) -> f64 {
        match self {
            Num::I(i) => i as f64,
            Num::F(f) => f,
        }
    }
}

/// The number `o` holds (ints, bools, floats).
pub fn num(o: &Obj) -> Option<Num> {
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
    // Exact ints first: one type test each instead of `num`'s chain.
    if let (Some(&x), Some(&y)) = (a.get(&INT), b.get(&INT)) {
        return int_op(op, x, y);
    }
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
    // Exact ints have no user methods to consult: compare them in place.
    if let (Some(&x), Some(&y)) = (a.get(&INT), b.get(&INT)) {
        match op {
            CmpOp::Lt => return Ok(x < y),
            CmpOp::Le => return Ok(x <= y),
            CmpOp::Gt => return Ok(x > y),
            CmpOp::Ge => return Ok(x >= y),
            CmpOp::Eq => return Ok(x == y),
            CmpOp::Ne => return Ok(x != y),
            _ => {}
        }
    }
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
