//! Expressions to bytecode: constants, names, operators, calls (plain,
//! keyword, `*args` as CPython's `CALL_FUNCTION_EX`, `obj.m(...)` as a
//! method call that makes no bound method) and comprehensions.

use super::{Compiler, Instr};
use crate::ast::*;
use crate::builtins::intern;
use crate::lexer::SyntaxError;
use crate::objects::{self, float, int};

impl Compiler {
    /// Pushes a call's keyword values and records their names; returns
    /// the index of the names in `kwnames`.
    pub(super) fn keyword_values(&mut self, kws: &[(String, Expr)]) -> Result<u32, SyntaxError> {
        let mut names = Vec::new();
        for (n, v) in kws {
            self.expr(v)?;
            names.push(intern(n));
        }
        self.code.kwnames.push(names);
        Ok((self.code.kwnames.len() - 1) as u32)
    }

    pub(super) fn expr(&mut self, e: &Expr) -> Result<(), SyntaxError> {
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
    pub(super) fn comprehension(
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
    pub(super) fn comp_cleanup(&mut self, gens: &[Comp]) {
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
