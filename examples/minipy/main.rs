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
//!
//! `thread(f, *args)` runs `f` on another OS thread with its own
//! interpreter; what crosses travels as objects with the free-threaded
//! header (`shared`, `threads`).

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
mod session;
mod shared;
mod threads;
mod vm;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod threads_tests;

pub use session::{run_program, Options, Outcome};

use std::io::BufRead;

use crate::session::{finish, new_globals, start};

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
