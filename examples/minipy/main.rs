//! minipy: a small Python-subset interpreter whose every value is an
//! objmodel object.
//!
//! ```text
//! cargo run --example minipy -- examples/minipy/programs/cycles.py
//! cargo run --example minipy -- --trace examples/minipy/programs/trace.py
//! cargo run --example minipy -- --stats --checked program.py
//! cargo run --example minipy                 # a REPL on standard input
//! ```
//!
//! Source goes through `lexer` → `parser` (the `ast`) → `compiler`
//! (bytecode) → `vm` (a stack machine). Values are objmodel objects
//! (`objects/`): small ints, `None`, `True`, `False` and `()` are static
//! immortals, interned strings are immortal, containers and instances are
//! tracked by the cycle collector, and user classes are heap types.

mod access;
mod ast;
mod builtins;
mod compiler;
mod format;
mod lexer;
mod methods;
mod modules;
mod obj;
mod objects;
mod ops;
mod out;
mod parser;
mod scope;
mod vm;

#[cfg(test)]
mod tests;

use std::io::BufRead;

use objmodel::cycles::collector::{with_default, Phase};

use crate::obj::Obj;
use crate::objects::{Dict, DICT};

/// Command-line switches.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Print each refcount event.
    pub trace: bool,
    /// Print allocation and collection statistics at exit.
    pub stats: bool,
    /// Checked mode (set before the heap is first used).
    pub checked: bool,
    /// Count creations by type and keep the live-object table behind the
    /// leak report (implied by `trace` and `stats`; the tests' zero-leak
    /// checks set it). Off, the tracer is not installed at all: its two
    /// hash-map updates per object cost more than the allocation.
    pub count: bool,
}

/// What a run left behind.
#[derive(Debug, Default)]
pub struct Outcome {
    /// 0, or 1 after a syntax error or an uncaught exception.
    pub exit: i32,
    /// The first error message (syntax or runtime), for tests.
    pub error: Option<String>,
    /// Objects created, by type.
    pub created: Vec<(&'static str, usize)>,
    /// Objects deallocated.
    pub destroyed: usize,
    /// Mortal objects still alive after tear-down: (type, count).
    pub leaks: Vec<(&'static str, isize)>,
}

/// Sets the interpreter up on this thread: the tracer (when something
/// reads what it records; printing only under `--trace`), the runtime,
/// and the collector callback that reports each gc pass.
fn start(opts: Options) {
    if opts.trace || opts.stats || opts.count {
        obj::install();
    }
    builtins::init();
    if opts.trace {
        with_default(|c| {
            c.add_callback(Box::new(|phase, info| match phase {
                Phase::Start => {
                    obj::trace_line(&format!("gc pass: generation {}", info.generation))
                }
                Phase::Stop => obj::trace_line(&format!(
                    "gc pass done: {} collected, {} uncollectable",
                    info.collected, info.uncollectable
                )),
            }))
        });
    }
}

/// Tears the interpreter down and reports what is left.
fn finish(globals: Obj, opts: Options, mut outcome: Outcome) -> Outcome {
    // Module tear-down, as CPython's finalisation: the globals go in
    // insertion order, then a last collection.
    let entries = globals.get(&DICT).map(|d| d.borrow_mut().take_all());
    for (k, v) in entries.into_iter().flatten() {
        drop(v);
        drop(k);
    }
    drop(globals);
    with_default(|c| c.collect(2));
    obj::set_tracing(false);
    with_default(|c| c.clear_callbacks());
    outcome.leaks = obj::live_mortal();
    if let Some(stats) = obj::uninstall() {
        let mut created: Vec<(&'static str, usize)> = stats.created.into_iter().collect();
        created.sort();
        outcome.created = created;
        outcome.destroyed = stats.destroyed;
    }
    if opts.stats {
        print_stats(&outcome);
    }
    builtins::shutdown();
    outcome
}

fn print_stats(o: &Outcome) {
    let total: usize = o.created.iter().map(|(_, n)| n).sum();
    eprintln!("-- minipy statistics --");
    eprintln!("objects created: {total}");
    for (name, n) in &o.created {
        eprintln!("  {name:<28} {n}");
    }
    eprintln!("objects deallocated: {}", o.destroyed);
    let stats = with_default(|c| c.get_stats());
    for (i, s) in stats.iter().enumerate() {
        eprintln!(
            "gc generation {i}: {} collections, {} collected, {} uncollectable",
            s.collections, s.collected, s.uncollectable
        );
    }
    objmodel::types::alloc::with_default_heap(|h| {
        if let Some(total) = h.ref_total() {
            eprintln!("checked mode: total refcount of mortal objects {total}");
        }
    });
    eprintln!("live mortal objects at exit: {}", o.leaks.len());
    for (name, count) in &o.leaks {
        eprintln!("  `{name}` object (refcount {count})");
    }
}

fn new_globals() -> Obj {
    let g = objects::dict(Dict::new());
    let _ = ops::dict_set(
        &g,
        builtins::intern("__name__"),
        builtins::intern("__main__"),
    );
    g
}

/// Runs a whole program on this thread. Output goes to standard output
/// (or the capture buffer, see `out`).
pub fn run_program(filename: &str, src: &str, opts: Options) -> Outcome {
    start(opts);
    let globals = new_globals();
    let mut outcome = Outcome::default();
    let code = parser::parse(src).and_then(|body| compiler::compile_module(&body));
    match code {
        Err(e) => {
            eprintln!("  File \"{filename}\", line {}", e.line);
            eprintln!("{e}");
            outcome.exit = 1;
            outcome.error = Some(e.to_string());
        }
        Ok(code) => {
            obj::set_tracing(opts.trace);
            let r = vm::run_module(&code, &globals);
            drop(code);
            if let Err(e) = r {
                vm::print_traceback(&e);
                outcome.exit = 1;
                let line = e.tb.first().map_or(0, |t| t.1);
                outcome.error = Some(format!("line {line}: {}", vm::format_exception(&e.exc)));
            }
        }
    }
    out::flush();
    finish(globals, opts, outcome)
}

/// The REPL: reads statements from standard input (a block ends at an
/// empty line) and prints the value of each expression statement.
fn repl(opts: Options) -> Outcome {
    start(opts);
    obj::set_tracing(opts.trace);
    let globals = new_globals();
    let stdin = std::io::stdin();
    let mut lines = stdin.lock().lines();
    let mut buf = String::new();
    loop {
        eprint!("{}", if buf.is_empty() { ">>> " } else { "... " });
        let Some(Ok(line)) = lines.next() else { break };
        let continues = !buf.is_empty() || line.trim_end().ends_with(':');
        buf.push_str(&line);
        buf.push('\n');
        if continues && !line.trim().is_empty() {
            continue;
        }
        let src = core::mem::take(&mut buf);
        let parsed = parser::parse(&src).map(|mut body| {
            if let [ast::Stmt {
                kind: ast::StmtKind::Expr(e),
                line,
            }] = body.as_slice()
            {
                let line = *line;
                let call = ast::Expr {
                    kind: ast::ExprKind::Call(
                        Box::new(ast::Expr {
                            kind: ast::ExprKind::Name("__replprint__".into()),
                            line,
                        }),
                        vec![e.clone()],
                        Vec::new(),
                    ),
                    line,
                };
                body = vec![ast::Stmt {
                    kind: ast::StmtKind::Expr(call),
                    line,
                }];
            }
            body
        });
        match parsed.and_then(|b| compiler::compile_module(&b)) {
            Err(e) => eprintln!("{e}"),
            Ok(code) => {
                if let Err(e) = vm::run_module(&code, &globals) {
                    vm::print_traceback(&e);
                }
            }
        }
        out::flush();
    }
    eprintln!();
    finish(globals, opts, Outcome::default())
}

/// Runs `f` on a thread with a deep stack (a frame of the eval loop is a
/// few kilobytes and the recursion limit is CPython's 1000).
pub fn on_vm_thread<R: Send + 'static>(f: impl FnOnce() -> R + Send + 'static) -> R {
    std::thread::Builder::new()
        .name("minipy".into())
        .stack_size(256 << 20)
        .spawn(f)
        .expect("spawning the interpreter thread")
        .join()
        .unwrap_or_else(|_| {
            eprintln!("minipy: internal error");
            std::process::exit(70)
        })
}

fn main() {
    let mut opts = Options::default();
    let mut file = None;
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--trace" => opts.trace = true,
            "--stats" => opts.stats = true,
            "--checked" => opts.checked = true,
            "-h" | "--help" => {
                println!("usage: minipy [--trace] [--stats] [--checked] [program.py]");
                return;
            }
            _ if arg.starts_with("--") => {
                eprintln!("minipy: unknown option {arg}");
                std::process::exit(2);
            }
            _ => file = Some(arg),
        }
    }
    if opts.checked {
        // Read when this thread's default heap is first used.
        std::env::set_var("OBJMODEL_CHECKED", "1");
    }
    let code = match file {
        Some(path) => {
            let src = match std::fs::read_to_string(&path) {
                Ok(s) => s,
                Err(e) => {
                    eprintln!("minipy: can't open file '{path}': {e}");
                    std::process::exit(2);
                }
            };
            on_vm_thread(move || run_program(&path, &src, opts).exit)
        }
        None => on_vm_thread(move || repl(opts).exit),
    };
    std::process::exit(code);
}
