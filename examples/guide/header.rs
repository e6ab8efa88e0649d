//! Chapter 1: the object header and its count.

use std::io::{self, Write};
use std::mem::{offset_of, size_of};

use objmodel::prelude::*;

/// A payload for the second half: any Rust value can live behind a header.
static INT: RustType<i64> = RustType::new("int");

fn show(out: &mut impl Write, label: &str, word: &CountWord) -> io::Result<()> {
    writeln!(
        out,
        "  {label:<32} raw {:#018x}  ob_refcnt {}",
        word.raw(),
        word.refcnt()
    )
}

/// Prints the header's layout and one count word's life.
pub fn run(out: &mut impl Write) -> io::Result<()> {
    writeln!(out, "The header (PyObject): count word, then type pointer.")?;
    writeln!(
        out,
        "  size {} bytes, ob_type at offset {}",
        size_of::<Object>(),
        offset_of!(Object, ob_type)
    )?;

    writeln!(out, "\nOne count word, step by step:")?;
    let word = CountWord::new_reference();
    show(out, "_Py_NewReference", &word)?;
    word.incref();
    show(out, "Py_INCREF", &word)?;
    let first = word.decref();
    show(out, &format!("Py_DECREF -> {first:?}"), &word)?;
    let last = word.decref();
    show(out, &format!("Py_DECREF -> {last:?}"), &word)?;
    writeln!(out, "  (Last: the type layer now calls tp_dealloc)")?;
    match word.decref() {
        Err(e) => writeln!(out, "  one more Py_DECREF is refused: {e}")?,
        Ok(r) => writeln!(out, "  unexpected: {r:?}")?,
    }
    show(out, "the word is unchanged", &word)?;

    writeln!(out, "\nThe same count behind a real object, Ref<i64>:")?;
    let a = Ref::new(&INT, 42);
    writeln!(out, "  Ref::new            refcnt {}", a.refcnt())?;
    let b = a.clone();
    writeln!(out, "  clone (Py_INCREF)   refcnt {}", a.refcnt())?;
    drop(b);
    writeln!(out, "  drop (Py_DECREF)    refcnt {}", a.refcnt())?;
    writeln!(out, "  value {}", *a)?;
    Ok(())
}
