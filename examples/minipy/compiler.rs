//! The syntax tree to bytecode: one [`Code`] per module, function and
//! class body, with CPython's scoping (locals, cells for closed-over
//! variables, free variables, `global`/`nonlocal`).
//!
//! CPython's compiler ([Python/compile.c](https://github.com/python/cpython/blob/v3.14.0/Python/compile.c)
//! and its code generator, `Python/codegen.c` in 3.14) walks the tree once
//! per code object and emits into an instruction list; minipy does the
//! same in three parts:
//!
//! - this module: the instruction set ([`Instr`]), the code object
//!   ([`Code`]), [`compile_module`], and the emitter every part shares
//!   (constants, names, jumps, where a name lives);
//! - [`stmt`]: statements, including `try`/`finally` unwinding and
//!   function and class bodies;
//! - [`expr`]: expressions, calls (plain, keyword, `*args`, method calls)
//!   and comprehensions.

// Explicit paths, because `benches/vm.rs` also loads this file through
// `#[path]`, and a file loaded that way looks for its children beside it.
#[path = "compiler/expr.rs"]
mod expr;
#[path = "compiler/stmt.rs"]
mod stmt;

use std::collections::HashSet;
use std::rc::Rc;

use crate::ast::*;
use crate::builtins::intern;
use crate::lexer::SyntaxError;
use crate::obj::Obj;
use crate::objects::{self, none};

/// One instruction. Operands index the code's tables (`consts`, `names`,
/// fast locals, cells) or are jump targets.
#[derive(Debug, Clone, Copy, PartialEq)]
#[allow(missing_docs)]
pub enum Instr {
    LoadConst(u32),
    LoadFast(u32),
    StoreFast(u32),
    DeleteFast(u32, bool),
    LoadDeref(u32),
    StoreDeref(u32),
    DeleteDeref(u32, bool),
    LoadGlobal(u32),
    StoreGlobal(u32),
    DeleteGlobal(u32, bool),
    LoadName(u32),
    StoreName(u32),
    DeleteName(u32, bool),
    LoadAttr(u32),
    /// `o.name` about to be called: pushes the function and `o` when it is
    /// a method (no bound-method object is made), else the attribute and
    /// `None` (CPython's `LOAD_ATTR` with its method flag).
    LoadMethod(u32),
    /// Calls what `LoadMethod` pushed with `n` positional arguments.
    CallMethod(u32),
    StoreAttr(u32),
    DeleteAttr(u32),
    Binary(BinOp),
    Unary(UnOp),
    Compare(CmpOp),
    Subscr,
    StoreSubscr,
    DeleteSubscr,
    BuildSlice,
    BuildList(u32),
    BuildTuple(u32),
    BuildDict(u32),
    ListAppend(u32),
    /// Extends the list `n` below the top with the iterable on top.
    ListExtend(u32),
    /// Calls with the positional arguments in a list under the keyword
    /// values of `kwnames[n]` (CPython's `CALL_FUNCTION_EX`).
    CallEx(u32),
    MapAdd(u32),
    Call(u32),
    CallKw(u32, u32),
    Jump(u32),
    PopJumpIfFalse(u32),
    PopJumpIfTrue(u32),
    JumpIfFalseOrPop(u32),
    JumpIfTrueOrPop(u32),
    GetIter,
    ForIter(u32),
    Return,
    Pop,
    Dup,
    DupTwo,
    Rot2,
    Rot3,
    Unpack(u32),
    MakeFunction(u32, u32),
    MakeClass(u32, u32),
    SetupExcept(u32),
    SetupFinally(u32),
    PopBlock,
    PopExcept,
    Raise(u32),
    Reraise,
    ExcMatch,
    Import(u32),
    FormatValue(u8, u32),
    BuildString(u32),
    AssertFail(u32),
}

/// What a code object's body is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A module: names are globals.
    Module,
    /// A function: fast locals and cells.
    Function,
    /// A class body: names go to the class namespace.
    Class,
}

/// A compiled body. Mirrors `PyCodeObject`.
pub struct Code {
    /// Function or class name.
    pub name: String,
    /// What it is.
    pub kind: Kind,
    /// Positional parameters (the first `nparams` fast locals).
    pub nparams: usize,
    /// Whether it takes `*args` (the fast local after the parameters).
    pub vararg: bool,
    /// Fast local names.
    pub varnames: Vec<String>,
    /// Cells: its own closed-over locals, then its free variables.
    pub cellnames: Vec<String>,
    /// How many of `cellnames` are its own.
    pub ncellvars: usize,
    /// For each own cell, the parameter it starts from.
    pub cell_params: Vec<Option<usize>>,
    /// For each free variable, the index of the cell in the enclosing
    /// code's cells.
    pub free_sources: Vec<u32>,
    /// Constants.
    pub consts: Vec<Obj>,
    /// Names (interned strings) for globals and attributes.
    pub names: Vec<Obj>,
    /// The hash of each name, computed once (CPython caches a str's hash
    /// in the object; minipy's strings do not carry one).
    pub name_hashes: Vec<i64>,
    /// Nested code objects.
    pub codes: Vec<Rc<Code>>,
    /// Keyword-name lists of calls.
    pub kwnames: Vec<Vec<Obj>>,
    /// The instructions.
    pub instrs: Vec<Instr>,
    /// The line of each instruction.
    pub lines: Vec<u32>,
}

/// Compiles a module.
///
/// # Errors
/// A [`SyntaxError`] for what the parser lets through and the compiler
/// refuses (`break` outside a loop, a bad `nonlocal`).
pub fn compile_module(body: &[Stmt]) -> Result<Rc<Code>, SyntaxError> {
    let mut c = Compiler::new("<module>", Kind::Module);
    c.stmts(body)?;
    c.emit(Instr::LoadConst(0));
    c.emit(Instr::Return);
    Ok(Rc::new(c.finish()))
}

// ---- code generation ------------------------------------------------------

enum FBlock {
    Loop {
        start: u32,
        breaks: Vec<usize>,
        is_for: bool,
    },
    Except,
    Finally(Vec<Stmt>),
    Handler(Option<String>),
    FinallyExc,
}

enum Scope {
    Fast(u32),
    Deref(u32),
    Global,
    Name,
}

struct Compiler {
    code: Code,
    /// Locals of a function (fast slots).
    locals: Vec<String>,
    globals: HashSet<String>,
    fblocks: Vec<FBlock>,
    line: u32,
}

impl Compiler {
    fn new(name: &str, kind: Kind) -> Compiler {
        Compiler {
            code: Code {
                name: name.to_string(),
                kind,
                nparams: 0,
                vararg: false,
                varnames: Vec::new(),
                cellnames: Vec::new(),
                ncellvars: 0,
                cell_params: Vec::new(),
                free_sources: Vec::new(),
                consts: vec![none()],
                names: Vec::new(),
                name_hashes: Vec::new(),
                codes: Vec::new(),
                kwnames: Vec::new(),
                instrs: Vec::new(),
                lines: Vec::new(),
            },
            locals: Vec::new(),
            globals: HashSet::new(),
            fblocks: Vec::new(),
            line: 1,
        }
    }

    fn finish(self) -> Code {
        self.code
    }

    fn err<T>(&self, msg: &str) -> Result<T, SyntaxError> {
        Err(SyntaxError {
            msg: msg.to_string(),
            line: self.line,
            col: 1,
        })
    }

    fn emit(&mut self, i: Instr) -> usize {
        self.code.instrs.push(i);
        self.code.lines.push(self.line);
        self.code.instrs.len() - 1
    }

    fn here(&self) -> u32 {
        self.code.instrs.len() as u32
    }

    fn patch(&mut self, at: usize) {
        let target = self.here();
        self.code.instrs[at] = match self.code.instrs[at] {
            Instr::Jump(_) => Instr::Jump(target),
            Instr::PopJumpIfFalse(_) => Instr::PopJumpIfFalse(target),
            Instr::PopJumpIfTrue(_) => Instr::PopJumpIfTrue(target),
            Instr::JumpIfFalseOrPop(_) => Instr::JumpIfFalseOrPop(target),
            Instr::JumpIfTrueOrPop(_) => Instr::JumpIfTrueOrPop(target),
            Instr::ForIter(_) => Instr::ForIter(target),
            Instr::SetupExcept(_) => Instr::SetupExcept(target),
            Instr::SetupFinally(_) => Instr::SetupFinally(target),
            other => other,
        };
    }

    fn konst(&mut self, o: Obj) -> u32 {
        self.code.consts.push(o);
        (self.code.consts.len() - 1) as u32
    }

    fn name(&mut self, n: &str) -> u32 {
        if let Some(i) = self
            .code
            .names
            .iter()
            .position(|o| objects::as_str(o) == Some(n))
        {
            return i as u32;
        }
        self.code.names.push(intern(n));
        self.code.name_hashes.push(crate::ops::hash_str(n));
        (self.code.names.len() - 1) as u32
    }

    fn scope(&self, n: &str) -> Scope {
        match self.code.kind {
            Kind::Module => Scope::Global,
            Kind::Class => Scope::Name,
            Kind::Function => {
                if self.globals.contains(n) {
                    Scope::Global
                } else if let Some(i) = self.code.cellnames.iter().position(|c| c == n) {
                    Scope::Deref(i as u32)
                } else if let Some(i) = self.locals.iter().position(|c| c == n) {
                    Scope::Fast(i as u32)
                } else {
                    Scope::Global
                }
            }
        }
    }

    fn load_name(&mut self, n: &str) {
        let i = match self.scope(n) {
            Scope::Fast(i) => Instr::LoadFast(i),
            Scope::Deref(i) => Instr::LoadDeref(i),
            Scope::Global => Instr::LoadGlobal(self.name(n)),
            Scope::Name => Instr::LoadName(self.name(n)),
        };
        self.emit(i);
    }

    fn store_name(&mut self, n: &str) {
        let i = match self.scope(n) {
            Scope::Fast(i) => Instr::StoreFast(i),
            Scope::Deref(i) => Instr::StoreDeref(i),
            Scope::Global => Instr::StoreGlobal(self.name(n)),
            Scope::Name => Instr::StoreName(self.name(n)),
        };
        self.emit(i);
    }

    fn delete_name(&mut self, n: &str, quiet: bool) {
        let i = match self.scope(n) {
            Scope::Fast(i) => Instr::DeleteFast(i, quiet),
            Scope::Deref(i) => Instr::DeleteDeref(i, quiet),
            Scope::Global => Instr::DeleteGlobal(self.name(n), quiet),
            Scope::Name => Instr::DeleteName(self.name(n), quiet),
        };
        self.emit(i);
    }
}
