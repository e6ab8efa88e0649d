//! The `thread` builtin: `t = thread(f, *args)` runs `f(*args)` on a new
//! OS thread; `t.join()` waits for it and returns what `f` returned (or
//! raises what `f` raised).
//!
//! The new thread runs its own interpreter (see [`crate::shared`]): it
//! compiles the program's source again (the same source gives the same
//! code tree, so a function is found by its path in it), receives a copy
//! of the module's globals that can cross threads (values, lists, dicts,
//! module-level functions and modules; classes and instances stay behind),
//! then the arguments, and calls `f`. Everything crosses as shared objects
//! with the free-threading header, so the handoff runs CPython's biased
//! reference counting: the sender owns, the receiver counts atomically and
//! queues its last reference to the owner, and the owner merges its queue
//! at `join()` (its safepoint), where the objects are freed.
//!
//! What a thread prints is kept and written when it is joined, so a run's
//! output does not depend on scheduling. A thread that is never joined is
//! joined when its handle goes, as CPython waits for non-daemon threads at
//! exit.

use core::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;
use std::thread::JoinHandle;

use objmodel::cycles::traverse::{gc_type, Clear, Traverse, VisitResult, Visitor};
use objmodel::types::ft::refs::merge_refcounts;
use objmodel::RustType;

use crate::builtins::{arity, Exc};
use crate::compiler::Code;
use crate::obj::Obj;
use crate::objects::func::FUNCTION;
use crate::objects::{Function, DICT};
use crate::out;
use crate::session::Options;
use crate::shared::{Ledger, Packer, Refusal, Shared, Unpacker};
use crate::vm::{self, err, Args, PyResult};

/// The type of the handles `thread()` returns.
pub static THREAD: RustType<Handle> = gc_type("thread");

/// A thread handle: the thread, and the module namespace its results are
/// unpacked into (functions and classes that come back run there).
pub struct Handle {
    state: RefCell<State>,
    globals: Obj,
}

impl Traverse for Handle {
    fn traverse(&self, visitor: &mut Visitor<'_>) -> VisitResult {
        self.globals.traverse(visitor)
    }
}

/// The namespace is a fixed reference; cycles through a handle are broken
/// by clearing the dict.
impl Clear for Handle {
    fn clear(&self) {}
}

/// A thread handle's state.
pub enum State {
    /// Still running (or finished and not yet joined).
    Running(JoinHandle<Finished>),
    /// Joined: what it returned, kept for a second `join()`.
    Joined(Result<Shared, Failure>),
    /// Being joined (the handle is borrowed by `join`).
    Joining,
}

impl Drop for Handle {
    fn drop(&mut self) {
        if let State::Running(h) = core::mem::replace(self.state.get_mut(), State::Joining) {
            let _ = collect(wait(h));
        }
    }
}

/// What a finished thread hands back.
pub struct Finished {
    result: Result<Shared, Failure>,
    output: String,
    leaks: Vec<(&'static str, isize)>,
}

/// An exception that escaped a thread: the exception itself when it can
/// cross (built-in exceptions and user exception classes without
/// `__del__`), else its text.
#[derive(Clone)]
pub enum Failure {
    /// The exception, packed.
    Exception(Shared),
    /// `ValueError: message` of one that could not cross.
    Text(String),
}

/// The running program, as a thread needs it to start another.
struct Program {
    source: Arc<str>,
    /// The compiled module while the program runs ([`leave`] drops it
    /// before the interpreter is torn down: its constants live there).
    code: Option<Rc<Code>>,
    opts: Options,
    ledger: Arc<Ledger>,
    /// Mortal objects the program's joined threads left alive.
    thread_leaks: Vec<(&'static str, isize)>,
}

std::thread_local! {
    static PROGRAM: RefCell<Option<Program>> = const { RefCell::new(None) };
}

/// Records the program this thread runs (its source and compiled module)
/// for `thread()`; a fresh ledger counts its shared objects.
pub fn set_program(source: &str, code: &Rc<Code>, opts: Options) {
    enter(source.into(), code.clone(), opts, Arc::default());
}

fn enter(source: Arc<str>, code: Rc<Code>, opts: Options, ledger: Arc<Ledger>) {
    PROGRAM.with(|p| {
        *p.borrow_mut() = Some(Program {
            source,
            code: Some(code),
            opts,
            ledger,
            thread_leaks: Vec::new(),
        })
    });
}

/// The program has finished: drops its module code (its constants belong
/// to the heap about to be torn down); the ledger and the threads' leak
/// reports stay for [`shared_objects`] and [`thread_leaks`].
pub fn leave() {
    let code = PROGRAM.with(|p| p.borrow_mut().as_mut().and_then(|p| p.code.take()));
    drop(code);
}

/// Unpacks what a thread sent back into this thread's module `globals`.
fn unpack(s: &Shared, globals: &Obj) -> PyResult<Obj> {
    let Some(root) = PROGRAM.with(|p| p.borrow().as_ref().and_then(|p| p.code.clone())) else {
        return Err(err(Exc::RuntimeError, "the program has finished"));
    };
    let at = |path: &[usize]| code_at(&root, path);
    Unpacker::new(globals, &at).unpack(s)
}

/// The shared objects of this thread's program still alive, and how many
/// it made.
#[cfg_attr(not(test), allow(dead_code))]
pub fn shared_objects() -> (isize, usize) {
    PROGRAM.with(|p| {
        p.borrow()
            .as_ref()
            .map_or((0, 0), |p| (p.ledger.live(), p.ledger.created()))
    })
}

/// Mortal objects that joined threads left alive (empty when each
/// thread's interpreter tore down clean).
#[cfg_attr(not(test), allow(dead_code))]
pub fn thread_leaks() -> Vec<(&'static str, isize)> {
    PROGRAM.with(|p| {
        p.borrow()
            .as_ref()
            .map(|p| p.thread_leaks.clone())
            .unwrap_or_default()
    })
}

/// The path of `target` in the code tree under `root`.
fn code_path(root: &Rc<Code>, target: &Rc<Code>) -> Option<Vec<usize>> {
    for (i, c) in root.codes.iter().enumerate() {
        if Rc::ptr_eq(c, target) {
            return Some(vec![i]);
        }
        if let Some(mut rest) = code_path(c, target) {
            rest.insert(0, i);
            return Some(rest);
        }
    }
    None
}

fn code_at(root: &Rc<Code>, path: &[usize]) -> Option<Rc<Code>> {
    path.iter()
        .try_fold(root.clone(), |c, &i| c.codes.get(i).cloned())
}

/// What a new thread starts from.
struct Job {
    source: Arc<str>,
    opts: Options,
    ledger: Arc<Ledger>,
    globals: Vec<(Shared, Shared)>,
    func: Shared,
    args: Vec<Shared>,
}

/// `thread(f, *args)`.
pub fn b_thread(a: &[Obj], _: &[(Obj, Obj)]) -> PyResult<Obj> {
    arity("thread", a, 1, usize::MAX)?;
    let f = &a[0];
    let Some(func) = f.get(&FUNCTION) else {
        return Err(err(
            Exc::TypeError,
            format!(
                "thread() needs a function defined in the program, not a '{}' object",
                f.type_name()
            ),
        ));
    };
    let Some((source, root, opts, ledger)) = PROGRAM.with(|p| {
        let p = p.borrow();
        let p = p.as_ref()?;
        Some((p.source.clone(), p.code.clone()?, p.opts, p.ledger.clone()))
    }) else {
        return Err(err(
            Exc::RuntimeError,
            "thread() runs functions of a program file, not of the REPL",
        ));
    };
    let find = |f: &Function| code_path(&root, &f.code);
    let mut packer = Packer::new(&ledger, &find);
    // The globals that can cross: the rest stays behind, and the thread
    // gets a NameError if it uses one.
    let mut globals = Vec::new();
    if let Some(d) = func.globals.get(&DICT) {
        let items: Vec<(Obj, Obj)> = d
            .borrow()
            .items()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        for (k, v) in &items {
            if let (Ok(k), Ok(v)) = (packer.pack(k), packer.pack(v)) {
                globals.push((k, v));
            }
        }
    }
    let job = Job {
        source,
        opts,
        ledger: ledger.clone(),
        globals,
        func: packer.pack(f).map_err(Refusal::raise)?,
        args: a[1..]
            .iter()
            .map(|x| packer.pack(x))
            .collect::<Result<_, _>>()
            .map_err(Refusal::raise)?,
    };
    drop(packer);
    let handle = std::thread::Builder::new()
        .name(format!("minipy {}", func.code.name))
        .stack_size(64 << 20)
        .spawn(move || run_job(job))
        .map_err(|e| err(Exc::RuntimeError, format!("can't start new thread: {e}")))?;
    Ok(Obj::new_gc(
        &THREAD,
        Handle {
            state: RefCell::new(State::Running(handle)),
            globals: func.globals.clone(),
        },
    ))
}

/// `t.join()`.
pub fn m_join(a: &[Obj], _: &[(Obj, Obj)]) -> PyResult<Obj> {
    arity("join", a, 1, 1)?;
    let handle = a[0].get(&THREAD).expect("bound to a thread");
    let cell = &handle.state;
    let state = core::mem::replace(&mut *cell.borrow_mut(), State::Joining);
    let result = match state {
        State::Running(h) => collect(wait(h)),
        State::Joined(r) => r,
        State::Joining => return Err(err(Exc::RuntimeError, "cannot join a thread twice at once")),
    };
    *cell.borrow_mut() = State::Joined(result.clone());
    match result {
        Ok(s) => unpack(&s, &handle.globals),
        Err(f) => Err(f.raise(&handle.globals)),
    }
}

impl Failure {
    /// Raises the exception on this thread (a `RuntimeError` quoting the
    /// one that could not cross).
    fn raise(self, globals: &Obj) -> Box<vm::PyErr> {
        match self {
            Failure::Exception(s) => match unpack(&s, globals) {
                Ok(exc) => Box::new(vm::PyErr {
                    exc,
                    tb: Vec::new(),
                }),
                Err(e) => e,
            },
            Failure::Text(text) => err(Exc::RuntimeError, format!("thread raised {text}")),
        }
    }
}

/// Takes in what a finished thread left: its output, its leak report,
/// and, at this safepoint, the references it queued to objects this
/// thread owns (merged, freeing what reached zero).
fn collect(finished: Finished) -> Result<Shared, Failure> {
    out::write_str(&finished.output);
    let _ = PROGRAM.try_with(|p| {
        if let Some(p) = p.borrow_mut().as_mut() {
            p.thread_leaks.extend(finished.leaks.iter().copied());
        }
    });
    merge_refcounts();
    finished.result
}

fn wait(h: JoinHandle<Finished>) -> Finished {
    h.join().unwrap_or_else(|_| Finished {
        result: Err(Failure::Text(
            "RuntimeError: the thread's interpreter crashed".into(),
        )),
        output: String::new(),
        leaks: Vec::new(),
    })
}

/// The new thread: its own interpreter, the function's call, tear-down.
fn run_job(job: Job) -> Finished {
    out::capture();
    crate::session::start(Options {
        stats: false,
        ..job.opts
    });
    let globals = crate::session::new_globals();
    let result = call_job(&job, &globals);
    drop(job);
    leave();
    let mut outcome = crate::session::finish(
        globals,
        Options::default(),
        crate::session::Outcome::default(),
    );
    outcome.leaks.extend(thread_leaks());
    Finished {
        result,
        output: out::take(),
        leaks: outcome.leaks,
    }
}

fn call_job(job: &Job, globals: &Obj) -> Result<Shared, Failure> {
    let code = crate::parser::parse(&job.source)
        .ok()
        .and_then(|body| crate::compiler::compile_module(&body).ok())
        .ok_or_else(|| {
            Failure::Text("RuntimeError: the program's source no longer compiles".into())
        })?;
    enter(
        job.source.clone(),
        code.clone(),
        job.opts,
        job.ledger.clone(),
    );
    let at = |path: &[usize]| code_at(&code, path);
    let called = (|| {
        let mut un = Unpacker::new(globals, &at);
        for (k, v) in &job.globals {
            let (k, v) = (un.unpack(k)?, un.unpack(v)?);
            crate::ops::dict_set(globals, k, v)?;
        }
        let f = un.unpack(&job.func)?;
        let args: Args = job
            .args
            .iter()
            .map(|x| un.unpack(x))
            .collect::<PyResult<_>>()?;
        drop(un);
        let r = vm::call(&f, args, &[])?;
        let find = |f: &Function| code_path(&code, &f.code);
        Packer::new(&job.ledger, &find)
            .pack(&r)
            .map_err(Refusal::raise)
    })();
    called.map_err(|e| {
        let find = |f: &Function| code_path(&code, &f.code);
        match Packer::new(&job.ledger, &find).pack(&e.exc) {
            Ok(s) => Failure::Exception(s),
            Err(_) => Failure::Text(vm::format_exception(&e.exc)),
        }
    })
}
