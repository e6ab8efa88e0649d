//! `str`, `repr`, format specs and `%` formatting.

use crate::builtins::{self, Exc};
use crate::obj::Obj;
use crate::objects::class::{as_inst, CLASS};
use crate::objects::func::{BUILTIN, BUILTIN_TYPE, FUNCTION, METHOD};
use crate::objects::{
    self, as_str, as_tuple, int, is_bool, is_none, str_obj, DICT, FLOAT, LIST, MODULE, RANGE,
};
use crate::vm::{call, err, Args, PyResult};

use crate::ops::{eq_simple, hash_str, method, num, type_name, Num};

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

/// `"%d items" % n`: the common conversions.
pub fn percent_format(fmt: &str, arg: &Obj) -> PyResult<Obj> {
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
