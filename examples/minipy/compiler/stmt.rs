//! Statements to bytecode: assignments and their targets; control flow
//! with its frame blocks (loops, `try`/`except`/`finally`) and the
//! unwinding `break`, `continue` and `return` do through them; `def` and
//! `class`.

use std::rc::Rc;

use super::{Compiler, FBlock, Instr, Kind};
use crate::ast::*;
use crate::lexer::SyntaxError;
use crate::scope::scan_function;

impl Compiler {
    pub(super) fn stmts(&mut self, body: &[Stmt]) -> Result<(), SyntaxError> {
        body.iter().try_for_each(|s| self.stmt(s))
    }

    /// A loop after its test (`exit` jumps out when it fails): the body
    /// inside a loop block, the jump back to `start`, the `else` clause,
    /// and the `break`s patched to land after it.
    fn loop_rest(
        &mut self,
        start: u32,
        exit: usize,
        is_for: bool,
        body: &[Stmt],
        orelse: &[Stmt],
    ) -> Result<(), SyntaxError> {
        self.fblocks.push(FBlock::Loop {
            start,
            breaks: Vec::new(),
            is_for,
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
        Ok(())
    }

    pub(super) fn stmt(&mut self, s: &Stmt) -> Result<(), SyntaxError> {
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
                self.loop_rest(start, exit, false, body, orelse)?;
            }
            StmtKind::For(t, iter, body, orelse) => {
                self.expr(iter)?;
                self.emit(Instr::GetIter);
                let start = self.here();
                let exit = self.emit(Instr::ForIter(0));
                self.store(t)?;
                self.loop_rest(start, exit, true, body, orelse)?;
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
    pub(super) fn unwind_fblocks(
        &mut self,
        depth: usize,
        returning: bool,
    ) -> Result<(), SyntaxError> {
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

    pub(super) fn try_stmt(
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

    pub(super) fn store(&mut self, t: &Expr) -> Result<(), SyntaxError> {
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

    pub(super) fn make_function(&mut self, f: &FuncDef) -> Result<(), SyntaxError> {
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
}
