//! The minipy VM (`examples/minipy`) against CPython on the same source,
//! one criterion group per program, baseline first:
//!
//! - `vm/fib`: recursive `fib(25)` (about 250 000 calls);
//! - `vm/list-of-tuples`: build a 1M-element list of 2-tuples, then drop it;
//! - `vm/cycles`: create 100 000 objects in two-object cycles with the
//!   collector off, then `gc.collect()`.
//!
//! Each side compiles the program once and then runs it in a fresh global
//! namespace per iteration, clearing the namespace inside the timed part:
//! minipy in-process on its own interpreter thread, `baseline/cpython-3.11`
//! in the machine's `python3`, driven over a pipe and timed inside Python
//! (`perf_counter_ns`), so neither side pays for process start-up. Both
//! print the same output, checked once before timing.
//!
//! Targets (issue: minipy): fib within 3x of CPython 3.11; the allocation
//! and collection programs faster than CPython.
//! `OBJMODEL_BENCH_QUICK=1` shrinks every size for the CI smoke run.

// criterion_group! generates an undocumented `pub fn`.
#![allow(missing_docs)]

// The interpreter's modules, compiled into this benchmark as they are
// into the example; the benchmark drives only part of them.
#[allow(dead_code)]
#[path = "../examples/minipy/access.rs"]
mod access;
#[allow(dead_code)]
#[path = "../examples/minipy/ast.rs"]
mod ast;
#[allow(dead_code)]
#[path = "../examples/minipy/builtins.rs"]
mod builtins;
#[allow(dead_code)]
#[path = "../examples/minipy/compiler.rs"]
mod compiler;
#[allow(dead_code)]
#[path = "../examples/minipy/format.rs"]
mod format;
#[allow(dead_code)]
#[path = "../examples/minipy/lexer.rs"]
mod lexer;
#[allow(dead_code)]
#[path = "../examples/minipy/methods.rs"]
mod methods;
#[allow(dead_code)]
#[path = "../examples/minipy/modules.rs"]
mod modules;
#[allow(dead_code)]
#[path = "../examples/minipy/obj.rs"]
mod obj;
#[allow(dead_code)]
#[path = "../examples/minipy/objects/mod.rs"]
mod objects;
#[allow(dead_code)]
#[path = "../examples/minipy/ops.rs"]
mod ops;
#[allow(dead_code)]
#[path = "../examples/minipy/out.rs"]
mod out;
#[allow(dead_code)]
#[path = "../examples/minipy/parser.rs"]
mod parser;
#[allow(dead_code)]
#[path = "../examples/minipy/scope.rs"]
mod scope;
#[allow(dead_code)]
#[path = "../examples/minipy/vm.rs"]
mod vm;

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion, SamplingMode, Throughput};
use objmodel::cycles::collector::with_default;

use crate::objects::{Dict, DICT};

fn quick() -> bool {
    std::env::var_os("OBJMODEL_BENCH_QUICK").is_some_and(|v| v == "1")
}

/// The three programs (name, source, size, quick size); `__N__` is
/// replaced by the size.
const PROGRAMS: [(&str, &str, usize, usize); 3] = [
    (
        "fib",
        "def fib(n):
    if n < 2:
        return n
    return fib(n - 1) + fib(n - 2)

print(fib(__N__))
",
        25,
        12,
    ),
    (
        "list-of-tuples",
        "xs = []
for i in range(__N__):
    xs.append((i, i + 1))
print(len(xs), xs[__N__ - 1])
del xs
",
        1_000_000,
        1_000,
    ),
    (
        "cycles",
        "import gc

class Node:
    def __init__(self):
        self.other = None

def make(n):
    i = 0
    while i < n:
        a = Node()
        b = Node()
        a.other = b
        b.other = a
        i = i + 2

gc.disable()
make(__N__)
print(gc.collect() >= __N__)
gc.enable()
",
        100_000,
        1_000,
    ),
];

/// The CPython side: compiles the source once, prints one run's output
/// (UTF-8, hex-encoded, on one line), then answers each line `k` with the nanoseconds `k` runs took.
const DRIVER: &str = r#"
import contextlib, io, sys, time
code = compile(sys.argv[1], "<bench>", "exec")
def once():
    buf = io.StringIO()
    g = {"__name__": "__main__"}
    with contextlib.redirect_stdout(buf):
        exec(code, g)
    g.clear()
    return buf.getvalue()
print(once().encode().hex(), flush=True)
for line in sys.stdin:
    k = int(line)
    start = time.perf_counter_ns()
    for _ in range(k):
        once()
    print(time.perf_counter_ns() - start, flush=True)
"#;

/// A running `python3` with the driver.
struct CPython {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl CPython {
    /// Starts `python3` on `src`; `None` when there is no `python3`.
    fn spawn(src: &str) -> Option<(CPython, String)> {
        let mut child = Command::new("python3")
            .arg("-c")
            .arg(DRIVER)
            .arg(src)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .ok()?;
        let stdin = child.stdin.take()?;
        let mut stdout = BufReader::new(child.stdout.take()?);
        let mut first = String::new();
        stdout.read_line(&mut first).ok()?;
        let hex = first.trim().as_bytes();
        let bytes: Option<Vec<u8>> = hex
            .chunks(2)
            .map(|pair| u8::from_str_radix(std::str::from_utf8(pair).ok()?, 16).ok())
            .collect();
        let output = String::from_utf8(bytes?).ok()?;
        Some((
            CPython {
                child,
                stdin,
                stdout,
            },
            output,
        ))
    }

    fn run(&mut self, iters: u64) -> Duration {
        writeln!(self.stdin, "{iters}").expect("python3 reads its requests");
        let mut line = String::new();
        self.stdout.read_line(&mut line).expect("python3 answers");
        Duration::from_nanos(line.trim().parse().expect("a time in nanoseconds"))
    }
}

impl Drop for CPython {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The minipy side: an interpreter thread that compiles the source once
/// and runs it `k` times per request.
struct Minipy {
    requests: Option<Sender<u64>>,
    replies: Receiver<Duration>,
    thread: Option<JoinHandle<()>>,
}

impl Minipy {
    fn spawn(src: &str) -> (Minipy, String) {
        let src = src.to_owned();
        let (req_tx, req_rx) = channel::<u64>();
        let (rep_tx, rep_rx) = channel();
        let (out_tx, out_rx) = channel();
        let thread = std::thread::Builder::new()
            .name("minipy".into())
            .stack_size(256 << 20) // as the example: deep eval-loop frames
            .spawn(move || interpreter(&src, &req_rx, &rep_tx, &out_tx))
            .expect("spawning the interpreter thread");
        let output = out_rx.recv().expect("the first run's output");
        let vm = Minipy {
            requests: Some(req_tx),
            replies: rep_rx,
            thread: Some(thread),
        };
        (vm, output)
    }

    fn run(&mut self, iters: u64) -> Duration {
        let requests = self.requests.as_ref().expect("the thread is running");
        requests
            .send(iters)
            .expect("the interpreter takes requests");
        self.replies.recv().expect("the interpreter answers")
    }
}

impl Drop for Minipy {
    fn drop(&mut self) {
        drop(self.requests.take()); // ends the request loop
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// A fresh `__main__` namespace, as the example's `new_globals`.
fn new_globals() -> obj::Obj {
    let g = objects::dict(Dict::new());
    let _ = ops::dict_set(
        &g,
        builtins::intern("__name__"),
        builtins::intern("__main__"),
    );
    g
}

/// One run: fresh globals, the module's code, the namespace cleared (as
/// the example's tear-down).
fn run_once(code: &std::rc::Rc<compiler::Code>) {
    let globals = new_globals();
    if let Err(e) = vm::run_module(code, &globals) {
        vm::print_traceback(&e);
        panic!("the benchmark program raised");
    }
    let entries = globals.get(&DICT).map(|d| d.borrow_mut().take_all());
    drop(entries);
    drop(globals);
}

fn interpreter(
    src: &str,
    requests: &Receiver<u64>,
    replies: &Sender<Duration>,
    output: &Sender<String>,
) {
    builtins::init();
    let code = parser::parse(src)
        .and_then(|body| compiler::compile_module(&body))
        .expect("the benchmark program compiles");
    out::capture();
    run_once(&code);
    with_default(|c| c.collect(2));
    let _ = output.send(out::take());
    for iters in requests {
        let mut total = Duration::ZERO;
        for _ in 0..iters {
            out::capture();
            let start = Instant::now();
            run_once(&code);
            total += start.elapsed();
            // Leftover cycles (a class and its methods) go outside the
            // timed part; CPython's are left to its automatic collector.
            with_default(|c| c.collect(2));
            drop(out::take());
        }
        if replies.send(total).is_err() {
            break;
        }
    }
    drop(code);
    with_default(|c| c.collect(2));
    builtins::shutdown();
}

fn vm(c: &mut Criterion) {
    for (name, template, full, small) in PROGRAMS {
        let n = if quick() { small } else { full };
        let src = template.replace("__N__", &n.to_string());
        let group = format!("vm/{name}");
        let (mut minipy, ours) = Minipy::spawn(&src);
        let python = CPython::spawn(&src);
        match &python {
            Some((_, theirs)) => assert_eq!(&ours, theirs, "{group}: minipy and python3 disagree"),
            None => println!("{group}: python3 is not available; skipping baseline/cpython-3.11"),
        }

        let mut g = c.benchmark_group(&group);
        g.throughput(Throughput::Elements(n as u64));
        g.sampling_mode(SamplingMode::Flat);
        g.sample_size(10);
        if quick() {
            g.warm_up_time(Duration::from_millis(100));
            g.measurement_time(Duration::from_millis(200));
        } else {
            g.warm_up_time(Duration::from_secs(1));
            g.measurement_time(Duration::from_secs(5));
        }
        if let Some((mut py, _)) = python {
            g.bench_function("baseline/cpython-3.11", |b| b.iter_custom(|k| py.run(k)));
        }
        g.bench_function("minipy", |b| b.iter_custom(|k| minipy.run(k)));
        g.finish();
    }
}

criterion_group! {
    name = benches;
    // The ratios come from estimates.json; plots add nothing here.
    config = Criterion::default().without_plots();
    targets = vm
}
criterion_main!(benches);
