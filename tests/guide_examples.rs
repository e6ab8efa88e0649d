//! The guide's runnable examples (`examples/guide_*.rs`), each run here and
//! compared with its golden output in `examples/guide/*.out`, so a chapter's
//! example cannot drift from the library.
//!
//! After an intended change, regenerate the golden files with
//! `GUIDE_BLESS=1 cargo test --test guide_examples` and review the diff.

use std::io;
use std::path::PathBuf;

#[path = "../examples/guide/benchmarking.rs"]
mod benchmarking;
#[path = "../examples/guide/cycles.rs"]
mod cycles;
#[path = "../examples/guide/finalizers.rs"]
mod finalizers;
#[path = "../examples/guide/free_threading.rs"]
mod free_threading;
#[path = "../examples/guide/header.rs"]
mod header;
#[path = "../examples/guide/immortality.rs"]
mod immortality;
#[path = "../examples/guide/refcounter.rs"]
mod refcounter;
#[path = "../examples/guide/references.rs"]
mod references;
#[path = "../examples/guide/trashcan.rs"]
mod trashcan;
#[path = "../examples/guide/types.rs"]
mod types;

macro_rules! chapters {
    ($($name:ident),* $(,)?) => {
        /// One test per chapter, named after it.
        mod golden {
            $(
                #[doc = concat!("Chapter `", stringify!($name), "` prints its golden output.")]
                #[test]
                fn $name() {
                    super::check(stringify!($name), |out| super::$name::run(out));
                }
            )*
        }
    };
}

chapters!(
    header,
    references,
    immortality,
    types,
    trashcan,
    cycles,
    finalizers,
    free_threading,
    refcounter,
    benchmarking,
);

/// Runs one chapter into a buffer and compares it with its `.out` file.
fn check(name: &str, run: impl FnOnce(&mut Vec<u8>) -> io::Result<()>) {
    let mut out = Vec::new();
    run(&mut out).expect("writing to a Vec cannot fail");
    let actual = String::from_utf8(out).expect("the examples print UTF-8");
    let path: PathBuf = [
        env!("CARGO_MANIFEST_DIR"),
        "examples",
        "guide",
        &format!("{name}.out"),
    ]
    .iter()
    .collect();
    if std::env::var_os("GUIDE_BLESS").is_some() {
        std::fs::write(&path, &actual).expect("the golden file is writable");
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; run with GUIDE_BLESS=1 to create it",
            path.display()
        )
    });
    assert_eq!(
        actual,
        expected,
        "`cargo run --example guide_{name}` no longer prints {}",
        path.display()
    );
}
