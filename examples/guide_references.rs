//! Chapter 2 of the guide: INCREF, DECREF, NewRef, CLEAR, SETREF and store-before-release.
//!
//! Run `cargo run --example guide_references`; the output is checked against
//! `examples/guide/references.out` by `tests/guide_examples.rs`.

#[path = "guide/references.rs"]
mod chapter;

fn main() -> std::io::Result<()> {
    chapter::run(&mut std::io::stdout().lock())
}
