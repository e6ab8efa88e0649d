//! The stack machine: frames, the value stack, calls, exceptions.
//!
//! # Owned handles, not raw pointers
//! CPython's eval loop holds raw `PyObject *` and pairs every push with a
//! `Py_INCREF` and every pop with a `Py_DECREF` by hand. minipy's stack,
//! frames and containers hold [`Obj`] instead: an owning handle whose
//! `Clone` is `Py_INCREF` and whose `Drop` is `Py_DECREF`. The counts are
//! the same ones CPython keeps (a value on the stack is one reference, a
//! local is one, a call moves its arguments into the callee's frame as
//! `_PyEvalFramePushAndInit` steals them), but Rust's ownership checks the
//! pairing: a forgotten decref is a move the compiler rejects, and an
//! early `?` return drops exactly what the frame held. The price is that
//! "steal" and "borrow" are spelled as moves and `&Obj`, which is what
//! CPython's comments say in prose. The few places that must touch a raw
//! pointer (tp_dealloc, tp_finalize, weak references) live in `objects/`.

use core::cell::Cell;
use std::rc::Rc;

use smallvec::SmallVec;

use crate::builtins::{self, exc_new, Exc};
use crate::compiler::{Code, Instr, Kind};
use crate::obj::Obj;
use crate::objects::class::{self, as_inst, CLASS};
use crate::objects::func::{self, BUILTIN, BUILTIN_TYPE, CELL, FUNCTION, METHOD};
use crate::objects::{self, Dict, Function, Iter, Method, DICT, LIST};
use crate::ops;

/// A raised exception: the exception object and where it passed
/// (innermost frame first).
pub struct PyErr {
    /// The exception instance.
    pub exc: Obj,
    /// (function name, line) of each frame it left.
    pub tb: Vec<(String, u32)>,
}

/// The result of anything that may raise.
pub type PyResult<T> = Result<T, Box<PyErr>>;

/// Argument lists: short ones stay on the Rust stack.
pub type Args = SmallVec<[Obj; 8]>;

/// A frame's fast locals: a function with few locals (most) needs no heap
/// block for them, so a call allocates nothing but its objects.
type Locals = SmallVec<[Option<Obj>; 8]>;

/// CPython's default recursion limit.
const MAX_DEPTH: usize = 1000;

std::thread_local! {
    static DEPTH: Cell<usize> = const { Cell::new(0) };
}

/// Raises `kind(msg)`.
pub fn err(kind: Exc, msg: impl Into<String>) -> Box<PyErr> {
    let exc = exc_new(kind, &msg.into());
    Box::new(PyErr {
        exc,
        tb: Vec::new(),
    })
}

enum BlockKind {
    Except,
    Finally,
    /// Inside an `except`/`finally` handler: the exception being handled.
    Handler(Box<PyErr>),
}

struct Block {
    kind: BlockKind,
    handler: u32,
    level: usize,
}

struct Frame<'c> {
    code: &'c Code,
    globals: Obj,
    /// The class namespace of a class body.
    ns: Option<Obj>,
    fast: Locals,
    cells: Vec<Obj>,
    stack: SmallVec<[Obj; 16]>,
    blocks: Vec<Block>,
}

/// Runs a module's code with `globals` as its namespace.
///
/// # Errors
/// The exception that escaped.
pub fn run_module(code: &Rc<Code>, globals: &Obj) -> PyResult<Obj> {
    let frame = Frame {
        code,
        globals: globals.clone(),
        ns: None,
        fast: Locals::new(),
        cells: Vec::new(),
        stack: SmallVec::new(),
        blocks: Vec::new(),
    };
    run_frame(frame)
}

/// Calls `f` with positional `args` (moved into the callee) and keyword
/// `kwargs`. Mirrors `PyObject_Vectorcall`.
///
/// # Errors
/// What the callee raised, or `TypeError` when `f` is not callable.
pub fn call(f: &Obj, mut args: Args, kwargs: &[(Obj, Obj)]) -> PyResult<Obj> {
    if let Some(func) = f.get(&FUNCTION) {
        return call_function(func, args, kwargs);
    }
    if let Some(b) = f.get(&BUILTIN) {
        if let Some(recv) = &b.bound {
            args.insert(0, recv.clone());
        }
        return (b.f)(&args, kwargs);
    }
    if let Some(m) = f.get(&METHOD) {
        args.insert(0, m.receiver.clone());
        return call(&m.func, args, kwargs);
    }
    if let Some(t) = f.get(&BUILTIN_TYPE) {
        return (t.ctor)(&args, kwargs);
    }
    if f.is(&CLASS) {
        return call_class(f, args, kwargs);
    }
    if builtins::is_weakref(f) {
        return Ok(builtins::weakref_get(f));
    }
    Err(err(
        Exc::TypeError,
        format!("'{}' object is not callable", ops::type_name(f)),
    ))
}

/// `C(args)`: a new instance, then `__init__`.
fn call_class(cls: &Obj, args: Args, kwargs: &[(Obj, Obj)]) -> PyResult<Obj> {
    let inst = class::new_instance(cls);
    match class::lookup(cls, "__init__") {
        Some(init) => {
            let mut full = Args::new();
            full.push(inst.clone());
            full.extend(args);
            let r = call(&init, full, kwargs)?;
            if !objects::is_none(&r) {
                return Err(err(
                    Exc::TypeError,
                    format!(
                        "__init__() should return None, not '{}'",
                        ops::type_name(&r)
                    ),
                ));
            }
        }
        None if !args.is_empty() || !kwargs.is_empty() => {
            let name = &cls.get(&CLASS).expect("a class").name;
            return Err(err(Exc::TypeError, format!("{name}() takes no arguments")));
        }
        None => {}
    }
    Ok(inst)
}

fn call_function(func: &Function, args: Args, kwargs: &[(Obj, Obj)]) -> PyResult<Obj> {
    let code = &*func.code;
    if kwargs.is_empty() && takes_exactly(code, args.len()) {
        return run_function(func, args.into_iter());
    }
    let mut fast = Locals::new();
    fast.resize(code.varnames.len(), None);
    bind_args(func, args, kwargs, &mut fast)?;
    enter_function(func, fast)
}

/// Whether a call with `n` positional arguments and no keywords binds
/// each argument to its parameter and nothing else (no defaults, no
/// `*args`, no errors to report).
#[inline]
fn takes_exactly(code: &Code, n: usize) -> bool {
    n == code.nparams && !code.vararg
}

/// The common call (see [`takes_exactly`]): each argument moves straight
/// into its parameter's slot, as CPython's specialised `CALL_PY_EXACT_ARGS`
/// does.
fn run_function(func: &Function, args: impl Iterator<Item = Obj>) -> PyResult<Obj> {
    let mut fast: Locals = args.map(Some).collect();
    fast.resize(func.code.varnames.len(), None);
    enter_function(func, fast)
}

/// Pops a call's keyword values (pushed last) and pairs them with their
/// `names`.
fn take_kwargs(stack: &mut SmallVec<[Obj; 16]>, names: &[Obj]) -> SmallVec<[(Obj, Obj); 4]> {
    let values = stack.drain(stack.len() - names.len()..);
    names.iter().cloned().zip(values).collect()
}

/// Calls `stack[callee]` with the arguments `stack[first..]` and pops
/// everything from the callee up. A function that takes exactly these
/// arguments gets them moved straight from this stack into its locals.
fn call_on_stack(stack: &mut SmallVec<[Obj; 16]>, callee: usize, first: usize) -> PyResult<Obj> {
    let nargs = stack.len() - first;
    let exact = stack[callee]
        .get(&FUNCTION)
        .is_some_and(|f| takes_exactly(&f.code, nargs));
    let r = if exact {
        let callee = stack[callee].clone();
        let func = callee.get(&FUNCTION).expect("checked above");
        run_function(func, stack.drain(first..))
    } else {
        let args: Args = stack.drain(first..).collect();
        call(&stack[callee], args, &[])
    };
    stack.truncate(callee);
    r
}

/// Makes the frame of a call whose parameters are bound in `fast`, and
/// runs it.
fn enter_function(func: &Function, mut fast: Locals) -> PyResult<Obj> {
    let code = &*func.code;
    let mut cells = Vec::with_capacity(code.cellnames.len());
    for p in &code.cell_params {
        cells.push(func::cell(p.and_then(|i| fast[i].take())));
    }
    cells.extend(func.closure.iter().cloned());
    let frame = Frame {
        code,
        globals: func.globals.clone(),
        ns: None,
        fast,
        cells,
        stack: SmallVec::new(),
        blocks: Vec::new(),
    };
    run_frame(frame)
}

/// Binds `args` and `kwargs` to the parameters in `fast` (all empty),
/// filling in defaults, as `_PyEval_MakeFrameVector`'s general path does.
fn bind_args(
    func: &Function,
    args: Args,
    kwargs: &[(Obj, Obj)],
    fast: &mut Locals,
) -> PyResult<()> {
    let code = &*func.code;
    let name = &code.name;
    let np = code.nparams;
    let nargs = args.len();
    if nargs > np && !code.vararg {
        return Err(err(
            Exc::TypeError,
            format!(
                "{name}() takes {np} positional argument{} but {nargs} {} given",
                if np == 1 { "" } else { "s" },
                if nargs == 1 { "was" } else { "were" }
            ),
        ));
    }
    let mut extra = Vec::new();
    for (i, a) in args.into_iter().enumerate() {
        if i < np {
            fast[i] = Some(a);
        } else {
            extra.push(a);
        }
    }
    if code.vararg {
        fast[np] = Some(objects::tuple(extra));
    }
    for (k, v) in kwargs {
        let key = objects::as_str(k).unwrap_or("");
        match code.varnames[..np].iter().position(|p| p == key) {
            Some(i) if fast[i].is_none() => fast[i] = Some(v.clone()),
            Some(_) => {
                return Err(err(
                    Exc::TypeError,
                    format!("{name}() got multiple values for argument '{key}'"),
                ))
            }
            None => {
                return Err(err(
                    Exc::TypeError,
                    format!("{name}() got an unexpected keyword argument '{key}'"),
                ))
            }
        }
    }
    let first_default = np - func.defaults.len();
    let mut missing = Vec::new();
    for (i, slot) in fast.iter_mut().enumerate().take(np) {
        if slot.is_none() {
            if i >= first_default {
                *slot = Some(func.defaults[i - first_default].clone());
            } else {
                missing.push(format!("'{}'", code.varnames[i]));
            }
        }
    }
    if !missing.is_empty() {
        let n = missing.len();
        let list = match n {
            1 => missing[0].clone(),
            _ => format!("{} and {}", missing[..n - 1].join(", "), missing[n - 1]),
        };
        return Err(err(
            Exc::TypeError,
            format!(
                "{name}() missing {n} required positional argument{}: {list}",
                if n == 1 { "" } else { "s" }
            ),
        ));
    }
    Ok(())
}

/// Runs `__del__` of a finalized instance; an exception is printed and
/// ignored, as CPython's `PyErr_WriteUnraisable` does.
pub fn call_del(this: &Obj) {
    let Some(inst) = as_inst(this) else { return };
    let Some(del) = class::lookup(&inst.class, "__del__") else {
        return;
    };
    let mut args = Args::new();
    args.push(this.clone());
    if let Err(e) = call(&del, args, &[]) {
        let cls = &inst.class.get(&CLASS).expect("a class").name;
        eprintln!("Exception ignored in: <function {cls}.__del__>");
        print_traceback(&e);
    }
}

/// Prints an uncaught exception to standard error, as CPython does.
pub fn print_traceback(e: &PyErr) {
    eprintln!("Traceback (most recent call last):");
    for (name, line) in e.tb.iter().rev() {
        eprintln!("  line {line}, in {name}");
    }
    eprintln!("{}", format_exception(&e.exc));
}

/// `ValueError: message`.
pub fn format_exception(exc: &Obj) -> String {
    let name = ops::type_name(exc);
    match ops::to_str(exc) {
        Ok(s) if !s.is_empty() => format!("{name}: {s}"),
        _ => name.to_string(),
    }
}

#[inline(always)]
fn load(stack: &mut SmallVec<[Obj; 16]>) -> Obj {
    stack.pop().expect("the compiler balances the stack")
}

fn run_frame(mut f: Frame<'_>) -> PyResult<Obj> {
    let depth = DEPTH.with(|d| {
        d.set(d.get() + 1);
        d.get()
    });
    let r = if depth > MAX_DEPTH {
        Err(err(Exc::RecursionError, "maximum recursion depth exceeded"))
    } else {
        eval(&mut f)
    };
    DEPTH.with(|d| d.set(d.get() - 1));
    r
}

fn eval(f: &mut Frame<'_>) -> PyResult<Obj> {
    let code = f.code;
    let mut pc = 0usize;
    loop {
        let instr = code.instrs[pc];
        pc += 1;
        match step(f, instr, &mut pc) {
            Ok(Some(ret)) => return Ok(ret),
            Ok(None) => {}
            Err(mut e) => {
                // Unwind to the innermost handler block.
                loop {
                    match f.blocks.pop() {
                        None => {
                            e.tb.push((code.name.clone(), code.lines[pc - 1]));
                            return Err(e);
                        }
                        Some(Block {
                            kind: BlockKind::Handler(_),
                            level,
                            ..
                        }) => f.stack.truncate(level),
                        Some(Block { handler, level, .. }) => {
                            f.stack.truncate(level);
                            let exc = e.exc.clone();
                            f.blocks.push(Block {
                                kind: BlockKind::Handler(e),
                                handler,
                                level,
                            });
                            f.stack.push(exc);
                            pc = handler as usize;
                            break;
                        }
                    }
                }
            }
        }
    }
}

/// The built-in called `code.names[i]`, or the NameError a failed lookup
/// of a global raises.
fn builtin_or_name_error(code: &Code, i: u32) -> PyResult<Obj> {
    builtins::lookup_builtin(&code.names[i as usize], code.name_hashes[i as usize]).ok_or_else(
        || {
            err(
                Exc::NameError,
                format!("name '{}' is not defined", name_str(code, i)),
            )
        },
    )
}

fn name_str(code: &Code, i: u32) -> &str {
    objects::as_str(&code.names[i as usize]).unwrap_or("?")
}

/// Executes one instruction; `Some(value)` when the frame returns.
fn step(f: &mut Frame<'_>, instr: Instr, pc: &mut usize) -> PyResult<Option<Obj>> {
    let code = f.code;
    let stack = &mut f.stack;
    match instr {
        Instr::LoadConst(i) => stack.push(code.consts[i as usize].clone()),
        Instr::LoadFast(i) => match &f.fast[i as usize] {
            Some(v) => stack.push(v.clone()),
            None => {
                return Err(err(
                    Exc::UnboundLocalError,
                    format!(
                        "cannot access local variable '{}' where it is not associated with a value",
                        code.varnames[i as usize]
                    ),
                ))
            }
        },
        Instr::StoreFast(i) => {
            let v = load(stack);
            let old = f.fast[i as usize].replace(v);
            drop(old);
        }
        Instr::DeleteFast(i, quiet) => {
            let old = f.fast[i as usize].take();
            if old.is_none() && !quiet {
                return Err(err(
                    Exc::UnboundLocalError,
                    format!(
                        "cannot access local variable '{}' where it is not associated with a value",
                        code.varnames[i as usize]
                    ),
                ));
            }
            drop(old);
        }
        Instr::LoadDeref(i) => {
            let cell = f.cells[i as usize].get(&CELL).expect("a cell");
            let v = cell.0.borrow().clone();
            match v {
                Some(v) => stack.push(v),
                None => {
                    return Err(err(
                        Exc::NameError,
                        format!(
                            "cannot access free variable '{}' where it is not associated with a value in enclosing scope",
                            code.cellnames[i as usize]
                        ),
                    ))
                }
            }
        }
        Instr::StoreDeref(i) => {
            let v = load(stack);
            let cell = f.cells[i as usize].get(&CELL).expect("a cell");
            let old = cell.0.borrow_mut().replace(v);
            drop(old);
        }
        Instr::DeleteDeref(i, quiet) => {
            let cell = f.cells[i as usize].get(&CELL).expect("a cell");
            let old = cell.0.borrow_mut().take();
            if old.is_none() && !quiet {
                return Err(err(
                    Exc::NameError,
                    format!("name '{}' is not defined", code.cellnames[i as usize]),
                ));
            }
            drop(old);
        }
        Instr::LoadGlobal(i) => {
            let key = &code.names[i as usize];
            let h = code.name_hashes[i as usize];
            let v = match ops::dict_get_hashed(&f.globals, h, key)? {
                Some(v) => v,
                None => builtin_or_name_error(code, i)?,
            };
            stack.push(v);
        }
        Instr::StoreGlobal(i) => {
            let v = load(stack);
            let (key, h) = (&code.names[i as usize], code.name_hashes[i as usize]);
            ops::dict_set_hashed(&f.globals, h, key.clone(), v)?;
        }
        Instr::DeleteGlobal(i, quiet) => {
            let gone = ops::dict_del(&f.globals, &code.names[i as usize])?;
            if gone.is_none() && !quiet {
                return Err(err(
                    Exc::NameError,
                    format!("name '{}' is not defined", name_str(code, i)),
                ));
            }
        }
        Instr::LoadName(i) => {
            let key = &code.names[i as usize];
            let ns = f.ns.as_ref().expect("a class body has a namespace");
            let v = match ops::dict_get(ns, key)? {
                Some(v) => Some(v),
                None => ops::dict_get(&f.globals, key)?,
            };
            let v = match v {
                Some(v) => v,
                None => builtin_or_name_error(code, i)?,
            };
            stack.push(v);
        }
        Instr::StoreName(i) => {
            let v = load(stack);
            let ns = f.ns.as_ref().expect("a class body has a namespace");
            ops::dict_set(ns, code.names[i as usize].clone(), v)?;
        }
        Instr::DeleteName(i, quiet) => {
            let ns = f.ns.as_ref().expect("a class body has a namespace");
            let gone = ops::dict_del(ns, &code.names[i as usize])?;
            if gone.is_none() && !quiet {
                return Err(err(
                    Exc::NameError,
                    format!("name '{}' is not defined", name_str(code, i)),
                ));
            }
        }
        Instr::LoadAttr(i) => {
            let o = load(stack);
            let v = ops::get_attr(&o, &code.names[i as usize])?;
            drop(o);
            stack.push(v);
        }
        Instr::StoreAttr(i) => {
            let o = load(stack);
            let v = load(stack);
            ops::set_attr(&o, &code.names[i as usize], Some(v))?;
        }
        Instr::DeleteAttr(i) => {
            let o = load(stack);
            ops::set_attr(&o, &code.names[i as usize], None)?;
        }
        Instr::Binary(op) => {
            let b = load(stack);
            let a = load(stack);
            let r = ops::binary(op, &a, &b)?;
            drop((a, b));
            stack.push(r);
        }
        Instr::Unary(op) => {
            let a = load(stack);
            let r = ops::unary(op, &a)?;
            drop(a);
            stack.push(r);
        }
        Instr::Compare(op) => {
            let b = load(stack);
            let a = load(stack);
            let r = ops::compare(op, &a, &b)?;
            drop((a, b));
            stack.push(objects::bool_obj(r));
        }
        Instr::Subscr => {
            let k = load(stack);
            let o = load(stack);
            let r = ops::get_item(&o, &k)?;
            drop((o, k));
            stack.push(r);
        }
        Instr::StoreSubscr => {
            let k = load(stack);
            let o = load(stack);
            let v = load(stack);
            ops::set_item(&o, k, v)?;
        }
        Instr::DeleteSubscr => {
            let k = load(stack);
            let o = load(stack);
            ops::del_item(&o, &k)?;
        }
        Instr::BuildSlice => {
            let step = load(stack);
            let hi = load(stack);
            let lo = load(stack);
            stack.push(Obj::new_gc(&objects::SLICE, objects::Slice(lo, hi, step)));
        }
        Instr::BuildList(n) => {
            let items: Vec<Obj> = stack.drain(stack.len() - n as usize..).collect();
            stack.push(objects::list(items));
        }
        Instr::BuildTuple(2) => {
            let b = load(stack);
            let a = load(stack);
            stack.push(objects::pair(a, b));
        }
        Instr::BuildTuple(n) => {
            let items: Vec<Obj> = stack.drain(stack.len() - n as usize..).collect();
            stack.push(objects::tuple(items));
        }
        Instr::BuildDict(n) => {
            let items: Vec<Obj> = stack.drain(stack.len() - 2 * n as usize..).collect();
            let d = objects::dict(Dict::new());
            let mut it = items.into_iter();
            while let (Some(k), Some(v)) = (it.next(), it.next()) {
                ops::dict_set(&d, k, v)?;
            }
            stack.push(d);
        }
        Instr::ListAppend(d) => {
            let v = load(stack);
            let l = &stack[stack.len() - d as usize];
            l.get(&LIST).expect("a list").borrow_mut().push(v);
        }
        Instr::ListExtend(d) => {
            let v = load(stack);
            let items = crate::access::to_vec(&v)?;
            let l = &stack[stack.len() - d as usize];
            l.get(&LIST).expect("a list").borrow_mut().extend(items);
        }
        Instr::MapAdd(d) => {
            let v = load(stack);
            let k = load(stack);
            let m = stack[stack.len() - d as usize].clone();
            ops::dict_set(&m, k, v)?;
        }
        Instr::LoadMethod(i) => {
            let o = load(stack);
            let (callable, receiver) = crate::access::get_method(o, &code.names[i as usize])?;
            stack.push(callable);
            stack.push(receiver);
        }
        Instr::CallMethod(n) => {
            // [callee, receiver or None, args...]: the receiver, when there
            // is one, is the first argument.
            let callee = stack.len() - n as usize - 2;
            let first = if objects::is_none(&stack[callee + 1]) {
                callee + 2
            } else {
                callee + 1
            };
            let r = call_on_stack(stack, callee, first)?;
            stack.push(r);
        }
        Instr::Call(n) => {
            let callee = stack.len() - n as usize - 1;
            let r = call_on_stack(stack, callee, callee + 1)?;
            stack.push(r);
        }
        Instr::CallKw(n, ki) => {
            let kwargs = take_kwargs(stack, &code.kwnames[ki as usize]);
            let args: Args = stack.drain(stack.len() - n as usize..).collect();
            let func = load(stack);
            let r = call(&func, args, &kwargs)?;
            drop((func, kwargs));
            stack.push(r);
        }
        Instr::CallEx(ki) => {
            let kwargs = take_kwargs(stack, &code.kwnames[ki as usize]);
            let list = load(stack);
            let args: Args = list
                .get(&LIST)
                .expect("a list")
                .borrow_mut()
                .drain(..)
                .collect();
            drop(list);
            let func = load(stack);
            let r = call(&func, args, &kwargs)?;
            drop((func, kwargs));
            stack.push(r);
        }
        Instr::Jump(t) => *pc = t as usize,
        Instr::PopJumpIfFalse(t) => {
            let v = load(stack);
            if !ops::truthy(&v)? {
                *pc = t as usize;
            }
        }
        Instr::PopJumpIfTrue(t) => {
            let v = load(stack);
            if ops::truthy(&v)? {
                *pc = t as usize;
            }
        }
        Instr::JumpIfFalseOrPop(t) => {
            if !ops::truthy(stack.last().expect("a value"))? {
                *pc = t as usize;
            } else {
                load(stack);
            }
        }
        Instr::JumpIfTrueOrPop(t) => {
            if ops::truthy(stack.last().expect("a value"))? {
                *pc = t as usize;
            } else {
                load(stack);
            }
        }
        Instr::GetIter => {
            let o = load(stack);
            let it = ops::get_iter(&o)?;
            drop(o);
            stack.push(it);
        }
        Instr::ForIter(t) => {
            let next = ops::iter_next(stack.last().expect("an iterator"))?;
            match next {
                Some(v) => stack.push(v),
                None => {
                    load(stack);
                    *pc = t as usize;
                }
            }
        }
        Instr::Return => return Ok(Some(load(stack))),
        Instr::Pop => drop(load(stack)),
        Instr::Dup => {
            let v = stack.last().expect("a value").clone();
            stack.push(v);
        }
        Instr::DupTwo => {
            let n = stack.len();
            let (a, b) = (stack[n - 2].clone(), stack[n - 1].clone());
            stack.push(a);
            stack.push(b);
        }
        Instr::Rot2 => {
            let n = stack.len();
            stack.swap(n - 1, n - 2);
        }
        Instr::Rot3 => {
            // [.., a, b, c] -> [.., c, a, b]
            let c = load(stack);
            let n = stack.len();
            stack.insert(n - 2, c);
        }
        Instr::Unpack(n) => {
            let o = load(stack);
            let items = ops::to_vec(&o)?;
            if items.len() != n as usize {
                return Err(err(
                    Exc::ValueError,
                    if items.len() > n as usize {
                        format!("too many values to unpack (expected {n})")
                    } else {
                        format!(
                            "not enough values to unpack (expected {n}, got {})",
                            items.len()
                        )
                    },
                ));
            }
            stack.extend(items.into_iter().rev());
        }
        Instr::MakeFunction(ci, nd) => {
            let child = code.codes[ci as usize].clone();
            let defaults: Vec<Obj> = stack.drain(stack.len() - nd as usize..).collect();
            let closure = child
                .free_sources
                .iter()
                .map(|&s| f.cells[s as usize].clone())
                .collect();
            let func = Function {
                code: child,
                globals: f.globals.clone(),
                defaults,
                closure,
            };
            stack.push(Obj::new_gc(&FUNCTION, func));
        }
        Instr::MakeClass(ci, nb) => {
            let bases: Vec<Obj> = stack.drain(stack.len() - nb as usize..).collect();
            let body = code.codes[ci as usize].clone();
            let cls = make_class(f, &body, bases)?;
            f.stack.push(cls);
        }
        Instr::SetupExcept(h) | Instr::SetupFinally(h) => {
            let kind = if matches!(instr, Instr::SetupExcept(_)) {
                BlockKind::Except
            } else {
                BlockKind::Finally
            };
            f.blocks.push(Block {
                kind,
                handler: h,
                level: stack.len(),
            });
        }
        Instr::PopBlock | Instr::PopExcept => {
            let b = f.blocks.pop();
            drop(b);
        }
        Instr::Raise(n) => {
            if n == 0 {
                let current = f.blocks.iter().rev().find_map(|b| match &b.kind {
                    BlockKind::Handler(e) => Some(PyErr {
                        exc: e.exc.clone(),
                        tb: e.tb.clone(),
                    }),
                    _ => None,
                });
                return Err(match current {
                    Some(e) => Box::new(e),
                    None => err(Exc::RuntimeError, "No active exception to reraise"),
                });
            }
            let v = load(stack);
            return Err(make_raise(v)?);
        }
        Instr::Reraise => {
            let exc = load(stack);
            let tb = f
                .blocks
                .iter()
                .rev()
                .find_map(|b| match &b.kind {
                    BlockKind::Handler(e) if e.exc.is_same(&exc) => Some(e.tb.clone()),
                    _ => None,
                })
                .unwrap_or_default();
            return Err(Box::new(PyErr { exc, tb }));
        }
        Instr::ExcMatch => {
            let t = load(stack);
            let exc = load(stack);
            let r = builtins::isinstance(&exc, &t)?;
            stack.push(objects::bool_obj(r));
        }
        Instr::Import(i) => {
            let name = name_str(code, i);
            let m = builtins::import(name).ok_or_else(|| {
                err(
                    Exc::ImportError,
                    format!("No module named '{name}' (minipy has sys, gc and weakref)"),
                )
            })?;
            stack.push(m);
        }
        Instr::FormatValue(conv, spec) => {
            let v = load(stack);
            let s = match conv {
                b'r' | b'a' => ops::repr(&v)?,
                _ => String::new(),
            };
            let spec = if spec == u32::MAX {
                ""
            } else {
                objects::as_str(&code.consts[spec as usize]).unwrap_or("")
            };
            let text = if conv == b'r' || conv == b'a' {
                ops::format_str(&s, spec)?
            } else {
                ops::format(&v, spec)?
            };
            stack.push(objects::str_obj(&text));
        }
        Instr::BuildString(n) => {
            let parts: Vec<Obj> = stack.drain(stack.len() - n as usize..).collect();
            let mut s = String::new();
            for p in &parts {
                s.push_str(objects::as_str(p).unwrap_or(""));
            }
            stack.push(objects::str_obj(&s));
        }
        Instr::AssertFail(n) => {
            let msg = if n == 1 {
                let m = load(stack);
                ops::to_str(&m)?
            } else {
                String::new()
            };
            return Err(err(Exc::AssertionError, msg));
        }
    }
    Ok(None)
}

/// The exception a `raise v` raises.
fn make_raise(v: Obj) -> PyResult<Box<PyErr>> {
    if let Some(c) = v.get(&CLASS) {
        if c.is_exception {
            let exc = call_class(&v, Args::new(), &[])?;
            return Ok(Box::new(PyErr {
                exc,
                tb: Vec::new(),
            }));
        }
    }
    if as_inst(&v).is_some_and(|i| i.class.get(&CLASS).is_some_and(|c| c.is_exception)) {
        return Ok(Box::new(PyErr {
            exc: v,
            tb: Vec::new(),
        }));
    }
    Err(err(
        Exc::TypeError,
        "exceptions must derive from BaseException",
    ))
}

/// Runs a class body and builds the class.
fn make_class(f: &Frame<'_>, body: &Rc<Code>, bases: Vec<Obj>) -> PyResult<Obj> {
    for b in &bases {
        if !b.is(&CLASS) {
            return Err(err(
                Exc::TypeError,
                format!(
                    "minipy classes can only derive from classes, not '{}'",
                    ops::type_name(b)
                ),
            ));
        }
    }
    let ns = objects::dict(Dict::new());
    let frame = Frame {
        code: body,
        globals: f.globals.clone(),
        ns: Some(ns.clone()),
        fast: Locals::new(),
        cells: f.cells.clone(),
        stack: SmallVec::new(),
        blocks: Vec::new(),
    };
    assert_eq!(body.kind, Kind::Class);
    run_frame(frame)?;
    class::new_class(&body.name, bases, ns)
}

/// Binds a class attribute found through an instance: functions become
/// methods, built-in functions bind their receiver.
pub fn bind(attr: Obj, receiver: &Obj) -> Obj {
    if attr.is(&FUNCTION) {
        return Obj::new_gc(
            &METHOD,
            Method {
                func: attr,
                receiver: receiver.clone(),
            },
        );
    }
    if let Some(b) = attr.get(&BUILTIN) {
        if b.bound.is_none() {
            return func::builtin(b.name, b.f, Some(receiver.clone()));
        }
    }
    attr
}

/// An iterator over a dict's keys (a snapshot).
pub fn dict_keys_iter(d: &Obj) -> Obj {
    let keys: Vec<Obj> = d
        .get(&DICT)
        .expect("a dict")
        .borrow()
        .items()
        .map(|(k, _)| k.clone())
        .collect();
    objects::iter(Iter::Values(keys.into_iter()))
}
