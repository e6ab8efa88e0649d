//! The driver of the `baseline/cpython-3.11` members: one long-lived
//! `python3` process per member, so no timing pays for its start-up.
//!
//! Every Python side (`benches/cpython/*.py`, and the inline driver of
//! `benches/vm.rs`) speaks one protocol over its stdin and stdout:
//!
//! - once set up, it prints one line (`ready ...`, or the program's
//!   output), which [`Python::spawn`] hands back to the bench to check;
//! - `run K` asks for K timed steps; it answers with their total
//!   nanoseconds, timed inside Python with `time.perf_counter_ns`, so only
//!   the operations under test are counted, not the pipe;
//! - `quit`, or the end of input, ends it.

use std::io::{self, BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::Duration;

/// `benches/cpython/NAME`: a Python side of a bench.
pub fn script(name: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/benches/cpython")).join(name)
}

/// A running `python3` speaking the protocol above.
pub struct Python {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl Python {
    /// Starts `python3 ARGS...` (its stderr goes to the bench's) and waits
    /// for its first line, which it returns without the line end.
    pub fn spawn<S: AsRef<std::ffi::OsStr>>(
        args: impl IntoIterator<Item = S>,
    ) -> io::Result<(Python, String)> {
        let mut child = Command::new("python3")
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()?;
        let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
            unreachable!("both are piped");
        };
        let mut python = Python {
            child,
            stdin,
            stdout: BufReader::new(stdout),
        };
        let first = python.read_line()?;
        Ok((python, first))
    }

    /// The total time of `iters` steps, as measured by CPython.
    pub fn run(&mut self, iters: u64) -> Duration {
        writeln!(self.stdin, "run {iters}").expect("write to python3");
        self.stdin.flush().expect("write to python3");
        let line = self.read_line().expect("read from python3");
        let ns: u64 = line
            .parse()
            .unwrap_or_else(|_| panic!("python3 answered {line:?} (see its stderr)"));
        Duration::from_nanos(ns)
    }

    fn read_line(&mut self) -> io::Result<String> {
        let mut line = String::new();
        self.stdout.read_line(&mut line)?;
        Ok(line.trim().to_owned())
    }
}

impl Drop for Python {
    fn drop(&mut self) {
        let _ = writeln!(self.stdin, "quit");
        let _ = self.stdin.flush();
        let _ = self.child.wait();
    }
}
