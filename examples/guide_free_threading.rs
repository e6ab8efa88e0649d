//! Chapter 8 of the guide: free threading and biased counting.
//!
//! Run `cargo run --example guide_free_threading`; the output is checked against
//! `examples/guide/free_threading.out` by `tests/guide_examples.rs`.

#[path = "guide/free_threading.rs"]
mod chapter;

fn main() -> std::io::Result<()> {
    chapter::run(&mut std::io::stdout().lock())
}
