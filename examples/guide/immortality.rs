//! Chapter 3: immortality (PEP 683) and its two thresholds.

use std::io::{self, Write};

use objmodel::header::immortal::{
    _Py_IMMORTAL_INITIAL_REFCNT, _Py_IMMORTAL_MINIMUM_REFCNT, _Py_STATIC_IMMORTAL_INITIAL_REFCNT,
};
use objmodel::prelude::*;

static STR: RustType<&'static str> = RustType::new("str");

fn show(out: &mut impl Write, label: &str, word: &CountWord) -> io::Result<()> {
    writeln!(
        out,
        "  {label:<36} refcnt {:>10}  immortal {:<5}  static {}",
        word.refcnt(),
        word.is_immortal(),
        word.is_static_immortal()
    )
}

/// Prints the thresholds and what each side of them does.
pub fn run(out: &mut impl Write) -> io::Result<()> {
    writeln!(out, "The thresholds (low 32 bits of the count word):")?;
    writeln!(
        out,
        "  _Py_IMMORTAL_MINIMUM_REFCNT  = {} = 2^31: decrements stop",
        _Py_IMMORTAL_MINIMUM_REFCNT
    )?;
    writeln!(
        out,
        "  _Py_IMMORTAL_INITIAL_REFCNT  = {} = 3*2^30: increments stop",
        _Py_IMMORTAL_INITIAL_REFCNT
    )?;
    writeln!(
        out,
        "  _Py_STATIC_IMMORTAL_INITIAL_REFCNT = {:#x}",
        _Py_STATIC_IMMORTAL_INITIAL_REFCNT
    )?;

    writeln!(out, "\nCrossing 2^31 by counting:")?;
    let edge = CountWord::new((1 << 31) - 1);
    show(out, "count 2^31 - 1: still mortal", &edge)?;
    edge.incref();
    show(out, "one more incref: immortal", &edge)?;
    writeln!(out, "  decref -> {:?}", edge.decref())?;
    show(out, "the count did not move", &edge)?;

    writeln!(out, "\nMade immortal (_Py_SetImmortal) starts mid-range:")?;
    let obj = CountWord::new(7);
    obj.make_immortal();
    show(out, "after make_immortal", &obj)?;
    for _ in 0..1_000 {
        obj.incref(); // an old extension incrementing blindly
    }
    show(out, "after 1000 increfs: unchanged", &obj)?;
    for _ in 0..1_000 {
        let _ = obj.decref();
    }
    show(out, "after 1000 decrefs: unchanged", &obj)?;
    writeln!(
        out,
        "  a billion of drift either way stays inside [2^31, 2^32)"
    )?;

    writeln!(out, "\nA static object (None, small ints):")?;
    let none = CountWord::new_static_immortal();
    show(out, "new_static_immortal", &none)?;
    writeln!(out, "  raw word {:#018x}", none.raw())?;

    writeln!(out, "\nAn interned string made immortal through its Ref:")?;
    let s = Ref::new(&STR, "spam");
    writeln!(out, "  before: refcnt {}", s.refcnt())?;
    s.make_immortal();
    let copies: Vec<_> = (0..3).map(|_| s.clone()).collect();
    writeln!(out, "  immortal, 3 clones held: refcnt {}", s.refcnt())?;
    drop(copies);
    writeln!(out, "  clones dropped: refcnt {}", s.refcnt())?;
    Ok(())
}
