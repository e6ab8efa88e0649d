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

mod support;

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
#[path = "../examples/minipy/session.rs"]
mod session;
#[allow(dead_code)]
#[path = "../examples/minipy/shared.rs"]
mod shared;
#[allow(dead_code)]
#[path = "../examples/minipy/threads.rs"]
mod threads;
#[path = "../examples/minipy/vm.rs"]
mod vm;

use std::sync::mpsc::{channel, Receiver, Sender};
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion, SamplingMode, Throughput};
use objmodel::cycles::collector::with_default;

use crate::objects::DICT;
use crate::support::cpython::Python;
use crate::support::quick::{group_times, size};
use crate::support::worker::Worker;

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
/// (UTF-8, hex-encoded, on one line), then answers each line `run K` with
/// the nanoseconds K runs took (the protocol of `support::cpython`).
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
    words = line.split()
    if not words or words[0] == "quit":
        break
    k = int(words[1])
    start = time.perf_counter_ns()
    for _ in range(k):
        once()
    print(time.perf_counter_ns() - start, flush=True)
"#;

/// Starts `python3` with the driver on `src`; returns it and the output of
/// its first run, or `None` when there is no `python3`.
fn spawn_cpython(src: &str) -> Option<(Python, String)> {
    let (py, first) = Python::spawn(["-c", DRIVER, src]).ok()?;
    let bytes: Option<Vec<u8>> = first
        .as_bytes()
        .chunks(2)
        .map(|pair| u8::from_str_radix(std::str::from_utf8(pair).ok()?, 16).ok())
        .collect();
    let output = String::from_utf8(bytes?).ok()?;
    Some((py, output))
}

/// The minipy side: an interpreter thread that compiles the source once,
/// sends its first run's output, then runs it K times per request.
fn spawn_minipy(src: &str) -> (Worker, String) {
    let src = src.to_owned();
    let (out_tx, out_rx) = channel();
    let thread = std::thread::Builder::new()
        .name("minipy".into())
        .stack_size(256 << 20); // as the example: deep eval-loop frames
    let vm = Worker::spawn(thread, move |requests, replies| {
        interpreter(&src, &requests, &replies, &out_tx)
    });
    let output = out_rx.recv().expect("the first run's output");
    (vm, output)
}

/// One run: fresh globals, the module's code, the namespace cleared (as
/// the example's tear-down).
fn run_once(code: &std::rc::Rc<compiler::Code>) {
    let globals = session::new_globals();
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
        let n = size(full, small);
        let src = template.replace("__N__", &n.to_string());
        let group = format!("vm/{name}");
        let (mut minipy, ours) = spawn_minipy(&src);
        let python = spawn_cpython(&src);
        match &python {
            Some((_, theirs)) => assert_eq!(&ours, theirs, "{group}: minipy and python3 disagree"),
            None => println!("{group}: python3 is not available; skipping baseline/cpython-3.11"),
        }

        let mut g = c.benchmark_group(&group);
        g.throughput(Throughput::Elements(n as u64));
        g.sampling_mode(SamplingMode::Flat);
        g.sample_size(10);
        group_times(&mut g, Duration::from_secs(5));
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
