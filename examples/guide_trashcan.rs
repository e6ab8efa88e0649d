//! Chapter 5 of the guide: the trashcan.
//!
//! Run `cargo run --example guide_trashcan`; the output is checked against
//! `examples/guide/trashcan.out` by `tests/guide_examples.rs`.

#[path = "guide/trashcan.rs"]
mod chapter;

fn main() -> std::io::Result<()> {
    chapter::run(&mut std::io::stdout().lock())
}
