//! The syntax tree to bytecode: one [`Code`] per module, function and
//! class body, with CPython's scoping (locals, cells for closed-over
//! variables, free variables, `global`/`nonlocal`).

use std::collections::HashSet;
use std::rc::Rc;

use crate::ast::*;
use crate::builtins::intern;
use crate::lexer::SyntaxError;
use crate::obj::Obj;
use crate::objects::{self, float, int, none};

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

use crate::scope::scan_function;

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

    fn stmts(&mut self, body: &[Stmt]) -> Result<(), SyntaxError> {
        body.iter().try_for_each(|s| self.stmt(s))
    }

    fn stmt(&mut self, s: &Stmt) -> Result<(), SyntaxError> {
        self.line = s.line;
        match &s.kind {
            StmtKind::Expr(e) => {
                self.expr(e)?;
                self.emit(Instr::Pop);
            }
            StmtKind::Assign(targets, value) => {
                self.expr(value)?;
                for (i, t) in targets.iter().enumerate() {
                    if i + 1 < targets.len() {
                        self.emit(Instr::Dup);
                    }
                    self.store(t)?;
                }
            }
            StmtKind::AugAssign(t, op, v) => match &t.kind {
                ExprKind::Name(n) => {
                    self.load_name(n);
                    self.expr(v)?;
                    self.emit(Instr::Binary(*op));
                    self.store_name(n);
                }
                ExprKind::Attr(o, a) => {
                    self.expr(o)?;
                    self.emit(Instr::Dup);
                    let ni = self.name(a);
                    self.emit(Instr::LoadAttr(ni));
                    self.expr(v)?;
                    self.emit(Instr::Binary(*op));
                    self.emit(Instr::Rot2);
                    self.emit(Instr::StoreAttr(ni));
                }
                ExprKind::Subscript(o, k) => {
                    self.expr(o)?;
                    self.expr(k)?;
                    self.emit(Instr::DupTwo);
                    self.emit(Instr::Subscr);
                    self.expr(v)?;
                    self.emit(Instr::Binary(*op));
                    self.emit(Instr::Rot3);
                    self.emit(Instr::StoreSubscr);
                }
                _ => return self.err("illegal expression for augmented assignment"),
            },
            StmtKind::If(c, a, b) => {
                self.expr(c)?;
                let j = self.emit(Instr::PopJumpIfFalse(0));
                self.stmts(a)?;
                if b.is_empty() {
                    self.patch(j);
                } else {
                    let end = self.emit(Instr::Jump(0));
                    self.patch(j);
                    self.stmts(b)?;
                    self.patch(end);
                }
            }
            StmtKind::While(c, body, orelse) => {
                let start = self.here();
                self.expr(c)?;
                let exit = self.emit(Instr::PopJumpIfFalse(0));
                self.fblocks.push(FBlock::Loop {
                    start,
                    breaks: Vec::new(),
                    is_for: false,
                });
                self.stmts(body)?;
                self.emit(Instr::Jump(start));
                let Some(FBlock::Loop { breaks, .. }) = self.fblocks.pop() else {
                    unreachable!("the loop block");
                };
                self.patch(exit);
                self.stmts(orelse)?;
                for b in breaks {
                    self.patch(b);
                }
            }
            StmtKind::For(t, iter, body, orelse) => {
                self.expr(iter)?;
                self.emit(Instr::GetIter);
                let start = self.here();
                let exit = self.emit(Instr::ForIter(0));
                self.store(t)?;
                self.fblocks.push(FBlock::Loop {
                    start,
                    breaks: Vec::new(),
                    is_for: true,
                });
                self.stmts(body)?;
                self.emit(Instr::Jump(start));
                let Some(FBlock::Loop { breaks, .. }) = self.fblocks.pop() else {
                    unreachable!("the loop block");
                };
                self.patch(exit);
                self.stmts(orelse)?;
                for b in breaks {
                    self.patch(b);
                }
            }
            StmtKind::Break | StmtKind::Continue => {
                let is_break = matches!(s.kind, StmtKind::Break);
                let Some(depth) = self
                    .fblocks
                    .iter()
                    .rposition(|b| matches!(b, FBlock::Loop { .. }))
                else {
                    return self.err(if is_break {
                        "'break' outside loop"
                    } else {
                        "'continue' not properly in loop"
                    });
                };
                self.unwind_fblocks(depth + 1, false)?;
                if let FBlock::Loop { start, is_for, .. } = &self.fblocks[depth] {
                    let (start, is_for) = (*start, *is_for);
                    if is_break {
                        if is_for {
                            self.emit(Instr::Pop);
                        }
                        let j = self.emit(Instr::Jump(0));
                        if let FBlock::Loop { breaks, .. } = &mut self.fblocks[depth] {
                            breaks.push(j);
                        }
                    } else {
                        self.emit(Instr::Jump(start));
                    }
                }
            }
            StmtKind::Return(e) => {
                if self.code.kind != Kind::Function {
                    return self.err("'return' outside function");
                }
                match e {
                    Some(e) => self.expr(e)?,
                    None => {
                        self.emit(Instr::LoadConst(0));
                    }
                }
                self.unwind_fblocks(0, true)?;
                self.emit(Instr::Return);
            }
            StmtKind::Pass => {}
            StmtKind::Def(f) => {
                self.make_function(f)?;
                self.store_name(&f.name);
            }
            StmtKind::Class(name, bases, body) => {
                for b in bases {
                    self.expr(b)?;
                }
                let mut c = Compiler::new(name, Kind::Class);
                c.line = self.line;
                // A class body closes over nothing itself; methods reach
                // enclosing functions' cells through it.
                c.code.cellnames = self.code.cellnames.clone();
                c.code.free_sources = (0..self.code.cellnames.len() as u32).collect();
                c.stmts(body)?;
                c.emit(Instr::LoadConst(0));
                c.emit(Instr::Return);
                let code = c.finish();
                self.code.codes.push(Rc::new(code));
                let ci = (self.code.codes.len() - 1) as u32;
                self.emit(Instr::MakeClass(ci, bases.len() as u32));
                self.store_name(name);
            }
            StmtKind::Del(targets) => {
                for t in targets {
                    match &t.kind {
                        ExprKind::Name(n) => self.delete_name(n, false),
                        ExprKind::Attr(o, a) => {
                            self.expr(o)?;
                            let ni = self.name(a);
                            self.emit(Instr::DeleteAttr(ni));
                        }
                        ExprKind::Subscript(o, k) => {
                            self.expr(o)?;
                            self.expr(k)?;
                            self.emit(Instr::DeleteSubscr);
                        }
                        _ => return self.err("cannot delete expression"),
                    }
                }
            }
            StmtKind::Global(_) | StmtKind::Nonlocal(_) => {}
            StmtKind::Raise(e) => match e {
                Some(e) => {
                    self.expr(e)?;
                    self.emit(Instr::Raise(1));
                }
                None => {
                    self.emit(Instr::Raise(0));
                }
            },
            StmtKind::Try(body, handlers, orelse, finalbody) => {
                self.try_stmt(body, handlers, orelse, finalbody)?;
            }
            StmtKind::Import(names) => {
                for (n, alias) in names {
                    let ni = self.name(n);
                    self.emit(Instr::Import(ni));
                    self.store_name(alias.as_ref().unwrap_or(n));
                }
            }
            StmtKind::Assert(c, msg) => {
                self.expr(c)?;
                let j = self.emit(Instr::PopJumpIfTrue(0));
                match msg {
                    Some(m) => {
                        self.expr(m)?;
                        self.emit(Instr::AssertFail(1));
                    }
                    None => {
                        self.emit(Instr::AssertFail(0));
                    }
                }
                self.patch(j);
            }
        }
        Ok(())
    }

    /// Emits the exits of the blocks above `depth` for a jump out of them
    /// (`return` keeps its value on top of the stack).
    fn unwind_fblocks(&mut self, depth: usize, returning: bool) -> Result<(), SyntaxError> {
        let mut i = self.fblocks.len();
        while i > depth {
            i -= 1;
            match &self.fblocks[i] {
                FBlock::Loop { is_for, .. } => {
                    if *is_for && returning {
                        self.emit(Instr::Rot2);
                        self.emit(Instr::Pop);
                    }
                }
                FBlock::Except => {
                    self.emit(Instr::PopBlock);
                }
                FBlock::Finally(body) => {
                    let body = body.clone();
                    self.emit(Instr::PopBlock);
                    // The finally body runs outside its own block.
                    let saved = self.fblocks.split_off(i);
                    self.stmts(&body)?;
                    self.fblocks.extend(saved);
                }
                FBlock::Handler(name) => {
                    let name = name.clone();
                    self.emit(Instr::PopExcept);
                    if let Some(n) = name {
                        self.delete_name(&n, true);
                    }
                }
                FBlock::FinallyExc => {
                    if returning {
                        self.emit(Instr::Rot2);
                    }
                    self.emit(Instr::Pop);
                    self.emit(Instr::PopExcept);
                }
            }
        }
        Ok(())
    }

    fn try_stmt(
        &mut self,
        body: &[Stmt],
        handlers: &[Handler],
        orelse: &[Stmt],
        finalbody: &[Stmt],
    ) -> Result<(), SyntaxError> {
        let line = self.line;
        let fin = if finalbody.is_empty() {
            None
        } else {
            self.fblocks.push(FBlock::Finally(finalbody.to_vec()));
            Some(self.emit(Instr::SetupFinally(0)))
        };
        if handlers.is_empty() {
            self.stmts(body)?;
        } else {
            let setup = self.emit(Instr::SetupExcept(0));
            self.fblocks.push(FBlock::Except);
            self.stmts(body)?;
            self.fblocks.pop();
            self.emit(Instr::PopBlock);
            let to_else = self.emit(Instr::Jump(0));
            self.patch(setup);
            let mut ends = Vec::new();
            for h in handlers {
                self.line = h.line;
                let next = match &h.typ {
                    Some(t) => {
                        self.emit(Instr::Dup);
                        self.expr(t)?;
                        self.emit(Instr::ExcMatch);
                        Some(self.emit(Instr::PopJumpIfFalse(0)))
                    }
                    None => None,
                };
                match &h.name {
                    Some(n) => self.store_name(n),
                    None => {
                        self.emit(Instr::Pop);
                    }
                }
                self.fblocks.push(FBlock::Handler(h.name.clone()));
                self.stmts(&h.body)?;
                self.fblocks.pop();
                self.emit(Instr::PopExcept);
                if let Some(n) = &h.name {
                    self.delete_name(n, true);
                }
                ends.push(self.emit(Instr::Jump(0)));
                if let Some(next) = next {
                    self.patch(next);
                }
            }
            self.line = line;
            self.emit(Instr::Reraise);
            self.patch(to_else);
            self.stmts(orelse)?;
            for e in ends {
                self.patch(e);
            }
        }
        if let Some(fin) = fin {
            self.fblocks.pop();
            self.emit(Instr::PopBlock);
            self.stmts(finalbody)?;
            let end = self.emit(Instr::Jump(0));
            self.patch(fin);
            self.fblocks.push(FBlock::FinallyExc);
            self.stmts(finalbody)?;
            self.fblocks.pop();
            self.emit(Instr::Reraise);
            self.patch(end);
        }
        Ok(())
    }

    fn store(&mut self, t: &Expr) -> Result<(), SyntaxError> {
        match &t.kind {
            ExprKind::Name(n) => self.store_name(n),
            ExprKind::Attr(o, a) => {
                self.expr(o)?;
                let ni = self.name(a);
                self.emit(Instr::StoreAttr(ni));
            }
            ExprKind::Subscript(o, k) => {
                self.expr(o)?;
                self.expr(k)?;
                self.emit(Instr::StoreSubscr);
            }
            ExprKind::Tuple(items) | ExprKind::List(items) => {
                self.emit(Instr::Unpack(items.len() as u32));
                for i in items {
                    self.store(i)?;
                }
            }
            _ => return self.err("cannot assign to expression"),
        }
        Ok(())
    }

    fn make_function(&mut self, f: &FuncDef) -> Result<(), SyntaxError> {
        for d in &f.defaults {
            self.expr(d)?;
        }
        let fs = scan_function(f);
        let mut c = Compiler::new(&f.name, Kind::Function);
        c.line = self.line;
        c.globals = fs.scan.globals.clone();
        c.locals = fs.scan.locals(&fs.params);
        c.code.nparams = f.params.len();
        c.code.vararg = f.vararg.is_some();
        // Own cells: locals some nested function uses.
        let child_free = &fs.scan.child_free;
        let cellvars: Vec<String> = c
            .locals
            .iter()
            .filter(|l| child_free.contains(*l))
            .cloned()
            .collect();
        c.code.cell_params = cellvars
            .iter()
            .map(|cv| fs.params.iter().position(|p| p == cv))
            .collect();
        c.code.ncellvars = cellvars.len();
        c.code.cellnames = cellvars;
        // Free variables: what it needs that an enclosing function has.
        let mut free: Vec<String> = fs.free().into_iter().collect();
        free.sort();
        for n in free {
            if let Some(i) = self.code.cellnames.iter().position(|c| *c == n) {
                c.code.cellnames.push(n);
                c.code.free_sources.push(i as u32);
            } else if fs.scan.nonlocals.contains(&n) {
                return self.err(&format!("no binding for nonlocal '{n}' found"));
            }
        }
        for n in &fs.scan.nonlocals {
            if !c.code.cellnames.contains(n) {
                return self.err(&format!("no binding for nonlocal '{n}' found"));
            }
        }
        c.code.varnames = c.locals.clone();
        c.stmts(&f.body)?;
        c.emit(Instr::LoadConst(0));
        c.emit(Instr::Return);
        self.code.codes.push(Rc::new(c.finish()));
        let ci = (self.code.codes.len() - 1) as u32;
        self.emit(Instr::MakeFunction(ci, f.defaults.len() as u32));
        Ok(())
    }

    /// Pushes a call's keyword values and records their names; returns
    /// the index of the names in `kwnames`.
    fn keyword_values(&mut self, kws: &[(String, Expr)]) -> Result<u32, SyntaxError> {
        let mut names = Vec::new();
        for (n, v) in kws {
            self.expr(v)?;
            names.push(intern(n));
        }
        self.code.kwnames.push(names);
        Ok((self.code.kwnames.len() - 1) as u32)
    }

    fn expr(&mut self, e: &Expr) -> Result<(), SyntaxError> {
        match &e.kind {
            ExprKind::Const(c) => {
                let o = match c {
                    Const::None => {
                        self.emit(Instr::LoadConst(0));
                        return Ok(());
                    }
                    Const::Bool(b) => objects::bool_obj(*b),
                    Const::Int(n) => int(*n),
                    Const::Float(f) => float(*f),
                    Const::Str(s) => intern(s),
                };
                let k = self.konst(o);
                self.emit(Instr::LoadConst(k));
            }
            ExprKind::Name(n) => self.load_name(n),
            ExprKind::Attr(o, a) => {
                self.expr(o)?;
                let ni = self.name(a);
                self.emit(Instr::LoadAttr(ni));
            }
            ExprKind::Subscript(o, k) => {
                self.expr(o)?;
                self.expr(k)?;
                self.emit(Instr::Subscr);
            }
            ExprKind::Slice(a, b, c) => {
                for x in [a, b, c] {
                    match x {
                        Some(x) => self.expr(x)?,
                        None => {
                            self.emit(Instr::LoadConst(0));
                        }
                    }
                }
                self.emit(Instr::BuildSlice);
            }
            ExprKind::Call(f, args, kws)
                if args.iter().any(|a| matches!(a.kind, ExprKind::Starred(_))) =>
            {
                // CPython's CALL_FUNCTION_EX: the positional arguments are
                // gathered into one list, `*x` extending it.
                self.expr(f)?;
                self.emit(Instr::BuildList(0));
                for a in args {
                    if let ExprKind::Starred(x) = &a.kind {
                        self.expr(x)?;
                        self.emit(Instr::ListExtend(1));
                    } else {
                        self.expr(a)?;
                        self.emit(Instr::ListAppend(1));
                    }
                }
                let ki = self.keyword_values(kws)?;
                self.emit(Instr::CallEx(ki));
            }
            ExprKind::Call(f, args, kws)
                if kws.is_empty() && matches!(f.kind, ExprKind::Attr(..)) =>
            {
                let ExprKind::Attr(o, a) = &f.kind else {
                    unreachable!("matched above")
                };
                self.expr(o)?;
                let ni = self.name(a);
                self.emit(Instr::LoadMethod(ni));
                for a in args {
                    self.expr(a)?;
                }
                self.emit(Instr::CallMethod(args.len() as u32));
            }
            ExprKind::Starred(_) => {
                return Err(SyntaxError {
                    msg: "can't use starred expression here".into(),
                    line: e.line,
                    col: 1,
                })
            }
            ExprKind::Call(f, args, kws) => {
                self.expr(f)?;
                for a in args {
                    self.expr(a)?;
                }
                if kws.is_empty() {
                    self.emit(Instr::Call(args.len() as u32));
                } else {
                    let ki = self.keyword_values(kws)?;
                    self.emit(Instr::CallKw(args.len() as u32, ki));
                }
            }
            ExprKind::Bin(op, a, b) => {
                self.expr(a)?;
                self.expr(b)?;
                self.emit(Instr::Binary(*op));
            }
            ExprKind::Unary(op, a) => {
                self.expr(a)?;
                self.emit(Instr::Unary(*op));
            }
            ExprKind::BoolOp(is_and, a, b) => {
                self.expr(a)?;
                let j = if *is_and {
                    self.emit(Instr::JumpIfFalseOrPop(0))
                } else {
                    self.emit(Instr::JumpIfTrueOrPop(0))
                };
                self.expr(b)?;
                self.patch(j);
            }
            ExprKind::Compare(first, rest) => {
                self.expr(first)?;
                if rest.len() == 1 {
                    self.expr(&rest[0].1)?;
                    self.emit(Instr::Compare(rest[0].0));
                } else {
                    // a < b < c: short-circuit, as CPython compiles it.
                    let mut fails = Vec::new();
                    for (i, (op, e)) in rest.iter().enumerate() {
                        self.expr(e)?;
                        if i + 1 < rest.len() {
                            self.emit(Instr::Dup);
                            self.emit(Instr::Rot3);
                            self.emit(Instr::Compare(*op));
                            fails.push(self.emit(Instr::JumpIfFalseOrPop(0)));
                        } else {
                            self.emit(Instr::Compare(*op));
                        }
                    }
                    let end = self.emit(Instr::Jump(0));
                    for f in fails {
                        self.patch(f);
                    }
                    // The failed comparison's result is on top of the
                    // leftover operand.
                    self.emit(Instr::Rot2);
                    self.emit(Instr::Pop);
                    self.patch(end);
                }
            }
            ExprKind::IfExp(c, a, b) => {
                self.expr(c)?;
                let j = self.emit(Instr::PopJumpIfFalse(0));
                self.expr(a)?;
                let end = self.emit(Instr::Jump(0));
                self.patch(j);
                self.expr(b)?;
                self.patch(end);
            }
            ExprKind::List(items) => {
                for i in items {
                    self.expr(i)?;
                }
                self.emit(Instr::BuildList(items.len() as u32));
            }
            ExprKind::Tuple(items) => {
                for i in items {
                    self.expr(i)?;
                }
                self.emit(Instr::BuildTuple(items.len() as u32));
            }
            ExprKind::Dict(items) => {
                for (k, v) in items {
                    self.expr(k)?;
                    self.expr(v)?;
                }
                self.emit(Instr::BuildDict(items.len() as u32));
            }
            ExprKind::ListComp(elt, gens) => {
                self.emit(Instr::BuildList(0));
                self.comprehension(gens, 0, &|c: &mut Compiler, depth| {
                    c.expr(elt)?;
                    c.emit(Instr::ListAppend(depth));
                    Ok(())
                })?;
                self.comp_cleanup(gens);
            }
            ExprKind::DictComp(k, v, gens) => {
                self.emit(Instr::BuildDict(0));
                self.comprehension(gens, 0, &|c: &mut Compiler, depth| {
                    c.expr(k)?;
                    c.expr(v)?;
                    c.emit(Instr::MapAdd(depth));
                    Ok(())
                })?;
                self.comp_cleanup(gens);
            }
            ExprKind::Lambda(f) => self.make_function(f)?,
            ExprKind::FString(parts) => {
                for p in parts {
                    match p {
                        FPart::Lit(s) => {
                            let k = self.konst(intern(s));
                            self.emit(Instr::LoadConst(k));
                        }
                        FPart::Expr(e, conv, spec) => {
                            self.expr(e)?;
                            let k = if spec.is_empty() {
                                u32::MAX
                            } else {
                                self.konst(intern(spec))
                            };
                            self.emit(Instr::FormatValue(conv.map_or(0, |c| c as u8), k));
                        }
                    }
                }
                self.emit(Instr::BuildString(parts.len() as u32));
            }
        }
        Ok(())
    }

    /// A comprehension, inline: the result container sits under the
    /// iterators; `depth` counts them.
    fn comprehension(
        &mut self,
        gens: &[Comp],
        level: usize,
        body: &dyn Fn(&mut Compiler, u32) -> Result<(), SyntaxError>,
    ) -> Result<(), SyntaxError> {
        let g = &gens[level];
        self.expr(&g.iter)?;
        self.emit(Instr::GetIter);
        let start = self.here();
        let exit = self.emit(Instr::ForIter(0));
        self.store(&g.target)?;
        let mut skips = Vec::new();
        for cond in &g.ifs {
            self.expr(cond)?;
            skips.push(self.emit(Instr::PopJumpIfFalse(0)));
        }
        if level + 1 < gens.len() {
            self.comprehension(gens, level + 1, body)?;
        } else {
            body(self, (gens.len() + 1) as u32)?;
        }
        for s in skips {
            self.code.instrs[s] = Instr::PopJumpIfFalse(start);
        }
        self.emit(Instr::Jump(start));
        self.patch(exit);
        Ok(())
    }

    /// Comprehension variables do not outlive it in Python 3: unbind them.
    fn comp_cleanup(&mut self, gens: &[Comp]) {
        fn names(e: &Expr, out: &mut Vec<String>) {
            match &e.kind {
                ExprKind::Name(n) => out.push(n.clone()),
                ExprKind::Tuple(items) | ExprKind::List(items) => {
                    items.iter().for_each(|i| names(i, out))
                }
                _ => {}
            }
        }
        let mut out = Vec::new();
        for g in gens {
            names(&g.target, &mut out);
        }
        for n in out {
            self.delete_name(&n, true);
        }
    }
}
