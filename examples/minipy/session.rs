//! One interpreter's life on one thread: setting up the runtime and the
//! tracer, running a program, tearing the module down and reporting what
//! is left (`--stats`, the leak checks). The command line, the REPL and
//! each `thread()` start and finish an interpreter through here.

use objmodel::cycles::collector::{with_default, Phase};

use crate::obj::{self, Obj};
use crate::objects::{self, Dict, DICT};
use crate::{builtins, compiler, ops, out, parser, threads, vm};

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
pub fn start(opts: Options) {
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
pub fn finish(globals: Obj, opts: Options, mut outcome: Outcome) -> Outcome {
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
    let (live, created) = threads::shared_objects();
    if created > 0 {
        eprintln!(
            "shared objects (free-threaded header, between threads): {created} made, {live} alive"
        );
    }
    eprintln!("live mortal objects at exit: {}", o.leaks.len());
    for (name, count) in &o.leaks {
        eprintln!("  `{name}` object (refcount {count})");
    }
}

/// A fresh `__main__` namespace.
pub fn new_globals() -> Obj {
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
            threads::set_program(src, &code, opts);
            let r = vm::run_module(&code, &globals);
            threads::leave();
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
