//! A guided tour of CPython 3.14's count word and of the standalone
//! refcounter: run `cargo run --example counting` and read the output beside
//! `Include/refcount.h`.

use objmodel::header::immortal::{_Py_IMMORTAL_INITIAL_REFCNT, _Py_IMMORTAL_MINIMUM_REFCNT};
use objmodel::prelude::*;
use objmodel::REFCOUNT_MAX;

fn show(label: &str, word: &CountWord) {
    println!(
        "  {label:<38} word {:#018x}  refcnt {:>10}  immortal {:<5} static {}",
        word.raw(),
        word.refcnt(),
        word.is_immortal(),
        word.is_static_immortal()
    );
}

fn main() {
    println!("1. A mortal object: the count lives in the low 32 bits.");
    let obj = CountWord::new_reference();
    show("new object (_Py_NewReference)", &obj);
    obj.incref();
    show("after Py_INCREF", &obj);
    println!("  Py_DECREF -> {:?}", obj.decref());
    println!(
        "  Py_DECREF -> {:?}   (the caller deallocates now)",
        obj.decref()
    );
    match obj.decref() {
        Err(e) => println!("  a third Py_DECREF is refused: {e}"),
        Ok(r) => println!("  unexpected: {r:?}"),
    }

    println!("\n2. Immortality: two thresholds.");
    println!(
        "  decrefs stop at {} (1<<31), increfs at {} (3<<30)",
        _Py_IMMORTAL_MINIMUM_REFCNT, _Py_IMMORTAL_INITIAL_REFCNT
    );
    let edge = CountWord::new((1 << 31) - 1);
    show("count 2^31-1", &edge);
    edge.incref();
    show("one more incref: immortal, not wrapped", &edge);
    let none = CountWord::new_static_immortal();
    show("a static immortal (None)", &none);
    for _ in 0..10_000 {
        let _ = none.decref();
    }
    show("after 10 000 decrefs: unchanged", &none);
    none.make_immortal();
    show("_Py_SetImmortal never downgrades it", &none);
    let big = CountWord::new(5);
    big.add(1 << 31);
    show("_Py_RefcntAdd past 2^31 saturates", &big);

    println!("\n3. A Refcounter (pyrefcount + Linux refcount_t).");
    let users = Refcounter::new(0)
        .on_acquire(|| println!("  acquire: first user arrived, start the worker"))
        .on_release(|| println!("  release: no more users, stop the worker"));
    users.inc();
    users.inc();
    println!("  usecount {}", users.usecount());
    let _ = users.dec();
    let _ = users.dec();
    match users.dec() {
        Err(e) => println!("  refused: {e} (count still {})", users.usecount()),
        Ok(()) => println!("  unexpected success"),
    }
    users.set(REFCOUNT_MAX);
    users.inc();
    println!(
        "  past REFCOUNT_MAX it saturates at {:#x} and stays: saturated = {}",
        users.usecount(),
        users.is_saturated()
    );
}
