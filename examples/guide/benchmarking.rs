//! Chapter 10: how to benchmark a dealloc path with objmodel.
//!
//! The rules of `benches/`: build the input outside the timed part, time
//! only the drop, and put a baseline (`Box`, `Rc`) in the same group with
//! the same input. This file shows the shape with a hand-made loop; the
//! real numbers come from `cargo bench --bench dealloc` (criterion's
//! `iter_batched`), reported as ratios to the baseline in
//! `docs/benchmarks.md`.

use std::cell::Cell;
use std::io::{self, Write};
use std::rc::Rc;
use std::time::{Duration, Instant};

use objmodel::{Ref, RustType};

/// A 16-byte payload that counts its drops, so the loop can prove it freed
/// what it built.
pub struct Payload(u64);

thread_local! {
    static DROPS: Cell<usize> = const { Cell::new(0) };
}

impl Drop for Payload {
    fn drop(&mut self) {
        std::hint::black_box(self.0); // a destructor that reads its object
        DROPS.with(|d| d.set(d.get() + 1));
    }
}

static PAYLOAD: RustType<Payload> = RustType::new("Payload");

/// The contenders, baseline first.
pub const CONTENDERS: [&str; 3] = ["baseline/Box", "baseline/Rc", "Ref/mortal"];

/// Builds `n` objects of one contender (not timed), drops them all (timed)
/// and returns the drop time with the number of destructors that ran.
pub fn measure(contender: &str, n: usize) -> (Duration, usize) {
    DROPS.with(|d| d.set(0));
    let elapsed = match contender {
        "baseline/Box" => time_drop((0..n as u64).map(|i| Box::new(Payload(i))).collect()),
        "baseline/Rc" => time_drop((0..n as u64).map(|i| Rc::new(Payload(i))).collect()),
        "Ref/mortal" => time_drop(
            (0..n as u64)
                .map(|i| Ref::new(&PAYLOAD, Payload(i)))
                .collect(),
        ),
        other => panic!("unknown contender {other}"),
    };
    (elapsed, DROPS.with(Cell::get))
}

/// The timed part: only the drop. `black_box` keeps the compiler from
/// proving the vector unused.
fn time_drop<T>(batch: Vec<T>) -> Duration {
    let batch = std::hint::black_box(batch);
    let start = Instant::now();
    drop(batch);
    start.elapsed()
}

/// The checked part: the method and what each contender dropped; no
/// timings, which differ from run to run.
pub fn run(out: &mut impl Write) -> io::Result<()> {
    writeln!(out, "Benchmarking the dealloc path of Ref<Payload>:")?;
    writeln!(
        out,
        "  1. build the batch outside the timed part (allocation is another benchmark)"
    )?;
    writeln!(
        out,
        "  2. time only the drop: for Ref, Py_DECREF -> _Py_Dealloc -> tp_dealloc -> free"
    )?;
    writeln!(
        out,
        "  3. same input for a baseline in the same group, report the ratio"
    )?;
    writeln!(out)?;
    let n = 1_000;
    for contender in CONTENDERS {
        let (_, drops) = measure(contender, n);
        writeln!(out, "  {contender:<14} built {n}, destructors run {drops}")?;
    }
    writeln!(out)?;
    writeln!(out, "With criterion (see benches/dealloc.rs):")?;
    writeln!(out, "  g.throughput(Throughput::Elements(n));")?;
    writeln!(out, "  g.bench_function(\"baseline/Box\", |b| b.iter_batched(build_boxes, drop, BatchSize::LargeInput));")?;
    writeln!(out, "  g.bench_function(\"Ref/mortal\", |b| b.iter_batched(build_refs, drop, BatchSize::LargeInput));")?;
    writeln!(
        out,
        "Report \"Ref/mortal: r x baseline/Box\", never a bare time."
    )?;
    Ok(())
}
