//! Chapter 9 of the guide: the Refcounter and Linux refcount_t.
//!
//! Run `cargo run --example guide_refcounter`; the output is checked against
//! `examples/guide/refcounter.out` by `tests/guide_examples.rs`.

#[path = "guide/refcounter.rs"]
mod chapter;

fn main() -> std::io::Result<()> {
    chapter::run(&mut std::io::stdout().lock())
}
