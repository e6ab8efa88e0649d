//! The guide's runnable examples (`examples/guide_*.rs`), each run here and
//! compared with its golden output in `examples/guide/*.out`, so a chapter's
//! example cannot drift from the library.
//!
//! After an intended change, regenerate the golden files with
//! `GUIDE_BLESS=1 cargo test --test guide_examples` and review the diff.
//!
//! `scripts/miri` runs this file under Miri too. The chapters are modules
//! of this test, not subprocesses, so Miri interprets their code; a chapter
//! whose loop is too long for Miri shrinks it under `cfg(miri)` and exports
//! both sizes, and the golden text is compared with each native size read
//! as its Miri size.

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

/// The golden text of a chapter. Natively it is read when the test runs, so
/// `GUIDE_BLESS=1` can rewrite it; under Miri it is built in, because Miri's
/// isolation refuses to open files.
#[cfg(not(miri))]
macro_rules! built_in_golden {
    ($name:ident) => {
        None
    };
}
#[cfg(miri)]
macro_rules! built_in_golden {
    ($name:ident) => {
        Some(include_str!(concat!(
            "../examples/guide/",
            stringify!($name),
            ".out"
        )))
    };
}

macro_rules! chapters {
    ($($name:ident $(shrinks $native:expr => $small:expr)?),* $(,)?) => {
        /// One test per chapter, named after it.
        mod golden {
            $(
                #[doc = concat!("Chapter `", stringify!($name), "` prints its golden output.")]
                #[test]
                fn $name() {
                    super::check(
                        stringify!($name),
                        built_in_golden!($name),
                        &[$(($native, $small))?],
                        |out| super::$name::run(out),
                    );
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
    trashcan shrinks crate::trashcan::LONG_CHAIN => crate::trashcan::LONG_CHAIN_UNDER_MIRI,
    cycles,
    finalizers,
    free_threading,
    refcounter,
    benchmarking,
);

/// Runs one chapter into a buffer and compares it with its `.out` file.
///
/// `built_in` is the golden text when the file cannot be read (Miri);
/// `shrunk` pairs each size the chapter prints natively with the one it
/// prints under Miri.
fn check(
    name: &str,
    built_in: Option<&str>,
    shrunk: &[(usize, usize)],
    run: impl FnOnce(&mut Vec<u8>) -> io::Result<()>,
) {
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
    let expected = match built_in {
        Some(text) => text.to_owned(),
        None => {
            if std::env::var_os("GUIDE_BLESS").is_some() {
                std::fs::write(&path, &actual).expect("the golden file is writable");
                return;
            }
            std::fs::read_to_string(&path).unwrap_or_else(|e| {
                panic!(
                    "{}: {e}; run with GUIDE_BLESS=1 to create it",
                    path.display()
                )
            })
        }
    };
    let expected = if cfg!(miri) {
        with_sizes(&expected, shrunk)
    } else {
        expected
    };
    assert_eq!(
        actual,
        expected,
        "`cargo run --example guide_{name}` no longer prints {}",
        path.display()
    );
}

/// `text` with every whole decimal number that equals a native size of
/// `sizes` replaced by the paired Miri size.
fn with_sizes(text: &str, sizes: &[(usize, usize)]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find(|c: char| c.is_ascii_digit()) {
        out.push_str(&rest[..start]);
        let digits = &rest[start..];
        let len = digits
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(digits.len());
        let number = &digits[..len];
        match sizes
            .iter()
            .find(|(native, _)| number == native.to_string())
        {
            Some((_, small)) => out.push_str(&small.to_string()),
            None => out.push_str(number),
        }
        rest = &digits[len..];
    }
    out.push_str(rest);
    out
}
