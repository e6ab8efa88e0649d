//! Chapter 7 of the guide: finalizers and resurrection.
//!
//! Run `cargo run --example guide_finalizers`; the output is checked against
//! `examples/guide/finalizers.out` by `tests/guide_examples.rs`.

#[path = "guide/finalizers.rs"]
mod chapter;

fn main() -> std::io::Result<()> {
    chapter::run(&mut std::io::stdout().lock())
}
