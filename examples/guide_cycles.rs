//! Chapter 6 of the guide: cycles and the collector, step by step.
//!
//! Run `cargo run --example guide_cycles`; the output is checked against
//! `examples/guide/cycles.out` by `tests/guide_examples.rs`.

#[path = "guide/cycles.rs"]
mod chapter;

fn main() -> std::io::Result<()> {
    chapter::run(&mut std::io::stdout().lock())
}
