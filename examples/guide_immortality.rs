//! Chapter 3 of the guide: immortality and its thresholds.
//!
//! Run `cargo run --example guide_immortality`; the output is checked against
//! `examples/guide/immortality.out` by `tests/guide_examples.rs`.

#[path = "guide/immortality.rs"]
mod chapter;

fn main() -> std::io::Result<()> {
    chapter::run(&mut std::io::stdout().lock())
}
