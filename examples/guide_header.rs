//! Chapter 1 of the guide: the object header and its count.
//!
//! Run `cargo run --example guide_header`; the output is checked against
//! `examples/guide/header.out` by `tests/guide_examples.rs`.

#[path = "guide/header.rs"]
mod chapter;

fn main() -> std::io::Result<()> {
    chapter::run(&mut std::io::stdout().lock())
}
