//! Chapter 10 of the guide: how to benchmark a dealloc path.
//!
//! Run `cargo run --release --example guide_benchmarking`. The first part
//! of the output is checked against `examples/guide/benchmarking.out` by
//! `tests/guide_examples.rs`; the timings after it are not, since they
//! change from run to run. For real numbers, `cargo bench --bench dealloc`.

#[path = "guide/benchmarking.rs"]
mod chapter;

use std::io::Write;

fn main() -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    chapter::run(&mut out)?;

    let n = 1_000_000;
    writeln!(
        out,
        "\nA quick timing of dropping {n} objects (best of 5; not checked):"
    )?;
    let mut baseline = None;
    for contender in chapter::CONTENDERS {
        let best = (0..5)
            .map(|_| chapter::measure(contender, n).0)
            .min()
            .expect("five runs");
        let per = best.as_secs_f64() * 1e9 / n as f64;
        let base = *baseline.get_or_insert(per);
        writeln!(
            out,
            "  {contender:<14} {per:6.2} ns per object  {:5.2}x baseline/Box",
            per / base
        )?;
    }
    Ok(())
}
