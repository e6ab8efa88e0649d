//! Chapter 4 of the guide: type objects and dealloc dispatch.
//!
//! Run `cargo run --example guide_types`; the output is checked against
//! `examples/guide/types.out` by `tests/guide_examples.rs`.

#[path = "guide/types.rs"]
mod chapter;

fn main() -> std::io::Result<()> {
    chapter::run(&mut std::io::stdout().lock())
}
