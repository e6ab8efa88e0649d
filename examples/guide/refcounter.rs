//! Chapter 9: the standalone Refcounter, pyrefcount's API with the
//! hardening of Linux's `refcount_t`.

use std::cell::RefCell;
use std::io::{self, Write};
use std::rc::Rc;
use std::sync::Arc;

use objmodel::prelude::*;
use objmodel::{REFCOUNT_MAX, REFCOUNT_SATURATED};

/// Walks one counter through every row of the chapter's table.
pub fn run(out: &mut impl Write) -> io::Result<()> {
    let events = Rc::new(RefCell::new(Vec::new()));
    let (on_acq, on_rel) = (events.clone(), events.clone());
    let users = Refcounter::new(0)
        .on_acquire(move || on_acq.borrow_mut().push("acquire: start the worker"))
        .on_release(move || on_rel.borrow_mut().push("release: stop the worker"));
    let step = |out: &mut dyn Write, what: &str, users: &Refcounter| -> io::Result<()> {
        write!(out, "  {what:<34} usecount {:>10}", users.usecount())?;
        for e in events.borrow_mut().drain(..) {
            write!(out, "  [{e}]")?;
        }
        writeln!(out)
    };

    writeln!(out, "Refcounter (pyrefcount names, refcount_t rules):")?;
    step(out, "new(0)", &users)?;
    writeln!(out, "  inc_not_zero at 0 -> {}", users.inc_not_zero())?;
    users.inc();
    step(out, "inc from 0", &users)?;
    users.inc();
    step(out, "inc", &users)?;
    writeln!(out, "  dec_not_one at 2 -> {}", users.dec_not_one())?;
    writeln!(out, "  dec_not_one at 1 -> {}", users.dec_not_one())?;
    writeln!(out, "  dec_and_test -> {:?}", users.dec_and_test())?;
    step(out, "last reference gone", &users)?;
    match users.dec() {
        Err(e) => writeln!(out, "  dec at 0 refused: {e}")?,
        Ok(()) => writeln!(out, "  unexpected: dec at 0 succeeded")?,
    }
    step(out, "the count did not wrap", &users)?;

    writeln!(out, "\nSaturation (refcount_t's answer to overflow):")?;
    users.set(REFCOUNT_MAX);
    step(out, "set(REFCOUNT_MAX = 2^31-1)", &users)?;
    users.inc();
    step(out, "inc: saturated", &users)?;
    writeln!(
        out,
        "  REFCOUNT_SATURATED = {REFCOUNT_SATURATED:#x}, is_saturated {}",
        users.is_saturated()
    )?;
    let _ = users.dec();
    step(out, "dec: still saturated (sticky)", &users)?;

    writeln!(
        out,
        "\nAtomicRefcounter across 4 threads, 1000 inc/dec pairs each:"
    )?;
    let shared = Arc::new(AtomicRefcounter::new(1));
    let workers: Vec<_> = (0..4)
        .map(|_| {
            let c = Arc::clone(&shared);
            std::thread::spawn(move || {
                for _ in 0..1000 {
                    c.inc();
                    c.dec().expect("each thread holds what it gives back");
                }
            })
        })
        .collect();
    for w in workers {
        w.join().expect("the workers do not panic");
    }
    writeln!(out, "  usecount after {}", shared.usecount())?;
    writeln!(out, "  dec_and_test -> {:?}", shared.dec_and_test())?;

    writeln!(out, "\nRefcountedValue: readable only while referenced:")?;
    let config = RefcountedValue::new("debug=1");
    writeln!(out, "  value -> {:?}", config.value())?;
    config.dec().expect("one reference to give up");
    writeln!(out, "  after dec, value -> {:?}", config.value())?;
    Ok(())
}
