//! Statements: the grammar's `statements`, `compound_stmt` and
//! `simple_stmts` rules
//! ([Grammar/python.gram](https://github.com/python/cpython/blob/v3.14.0/Grammar/python.gram)).
//!
//! A statement starts with a keyword or it is an expression: `if`, `while`,
//! `for`, `def`, `class` and `try` open a compound statement with a
//! [`block`](Parser::block); `pass`, `return`, `import`, … are simple
//! statements, several of which may share a line, separated by `;`. What
//! remains starts with an expression, and only the token after it tells an
//! expression statement from an assignment (`=`) or an augmented one
//! (`+=`).

use super::targets::check_target;
use super::{PResult, Parser};
use crate::ast::*;
use crate::lexer::Tok;

impl Parser {
    /// One line's statements. Mirrors `statement: compound_stmt | simple_stmts`;
    /// a simple line may hold several, so this returns a list.
    pub(super) fn statement(&mut self) -> PResult<Vec<Stmt>> {
        let line = self.line();
        let kw = match self.peek() {
            Tok::Name(n) => n.clone(),
            Tok::Indent => return self.error("unexpected indent"),
            _ => String::new(),
        };
        let stmt = |kind| Stmt { kind, line };
        match kw.as_str() {
            "if" => {
                self.advance();
                Ok(vec![self.if_rest(line)?])
            }
            "while" => {
                self.advance();
                let cond = self.expr()?;
                let body = self.block()?;
                let orelse = self.else_block()?;
                Ok(vec![stmt(StmtKind::While(cond, body, orelse))])
            }
            "for" => {
                self.advance();
                let target = self.target_list()?;
                self.expect_kw("in")?;
                let iter = self.expr_list()?;
                let body = self.block()?;
                let orelse = self.else_block()?;
                Ok(vec![stmt(StmtKind::For(target, iter, body, orelse))])
            }
            "def" => {
                self.advance();
                let name = self.name()?;
                self.expect_op("(")?;
                let mut f = self.params(")")?;
                self.expect_op(")")?;
                if self.eat_op("->") {
                    self.expr()?;
                }
                f.name = name;
                f.body = self.block()?;
                Ok(vec![stmt(StmtKind::Def(Box::new(f)))])
            }
            "class" => {
                self.advance();
                let name = self.name()?;
                let mut bases = Vec::new();
                if self.eat_op("(") {
                    while !self.is_op(")") {
                        bases.push(self.expr()?);
                        if !self.eat_op(",") {
                            break;
                        }
                    }
                    self.expect_op(")")?;
                }
                let body = self.block()?;
                Ok(vec![stmt(StmtKind::Class(name, bases, body))])
            }
            "try" => {
                self.advance();
                let body = self.block()?;
                let mut handlers = Vec::new();
                while self.is_kw("except") {
                    let hline = self.line();
                    self.advance();
                    let (mut typ, mut name) = (None, None);
                    if !self.is_op(":") {
                        typ = Some(self.expr()?);
                        if self.eat_kw("as") {
                            name = Some(self.name()?);
                        }
                    }
                    let body = self.block()?;
                    handlers.push(Handler {
                        typ,
                        name,
                        body,
                        line: hline,
                    });
                }
                let orelse = self.else_block()?;
                let finalbody = if self.eat_kw("finally") {
                    self.block()?
                } else {
                    Vec::new()
                };
                if handlers.is_empty() && finalbody.is_empty() {
                    return self.error("expected 'except' or 'finally' block");
                }
                Ok(vec![stmt(StmtKind::Try(body, handlers, orelse, finalbody))])
            }
            _ => self.simple_stmts(),
        }
    }

    /// Simple statements separated by `;` up to the end of the line.
    /// Mirrors `simple_stmts`.
    fn simple_stmts(&mut self) -> PResult<Vec<Stmt>> {
        let mut out = vec![self.simple()?];
        while self.eat_op(";") {
            if matches!(self.peek(), Tok::Newline | Tok::Eof) {
                break;
            }
            out.push(self.simple()?);
        }
        self.end_of_simple()?;
        Ok(out)
    }

    /// The part of an `if` after its keyword; an `elif` is an `if` nested in
    /// the `else` branch. Mirrors `if_stmt` and `elif_stmt`.
    fn if_rest(&mut self, line: u32) -> PResult<Stmt> {
        let cond = self.expr()?;
        let body = self.block()?;
        let orelse = if self.is_kw("elif") {
            let l = self.line();
            self.advance();
            vec![self.if_rest(l)?]
        } else {
            self.else_block()?
        };
        Ok(Stmt {
            kind: StmtKind::If(cond, body, orelse),
            line,
        })
    }

    /// An optional `else:` block. Mirrors `else_block`.
    fn else_block(&mut self) -> PResult<Vec<Stmt>> {
        if self.eat_kw("else") {
            self.block()
        } else {
            Ok(Vec::new())
        }
    }

    /// `:` then an indented body, or simple statements on the same line.
    /// Mirrors `block: NEWLINE INDENT statements DEDENT | simple_stmts`.
    fn block(&mut self) -> PResult<Vec<Stmt>> {
        self.expect_op(":")?;
        if !self.eat_newline() {
            // A one-line body: `if x: y`.
            return self.simple_stmts();
        }
        if !matches!(self.peek(), Tok::Indent) {
            return self.error("expected an indented block");
        }
        self.advance();
        let mut body = Vec::new();
        while !matches!(self.peek(), Tok::Dedent | Tok::Eof) {
            if self.eat_newline() {
                continue;
            }
            body.extend(self.statement()?);
        }
        if matches!(self.peek(), Tok::Dedent) {
            self.advance();
        }
        Ok(body)
    }

    /// The parameters of a `def` (closed by `)`, annotations allowed) or of a
    /// `lambda` (closed by `:`). Mirrors `params` and `lambda_params`, without
    /// keyword-only or `**` parameters.
    pub(super) fn params(&mut self, close: &str) -> PResult<FuncDef> {
        let mut f = FuncDef {
            name: String::new(),
            params: Vec::new(),
            defaults: Vec::new(),
            vararg: None,
            body: Vec::new(),
        };
        while !self.is_op(close) {
            if self.eat_op("*") {
                f.vararg = Some(self.name()?);
            } else {
                let p = self.name()?;
                if close == ")" && self.eat_op(":") {
                    self.expr()?;
                }
                if self.eat_op("=") {
                    f.defaults.push(self.expr()?);
                } else if !f.defaults.is_empty() {
                    return self.error("non-default argument follows default argument");
                }
                f.params.push(p);
            }
            if !self.eat_op(",") {
                break;
            }
        }
        Ok(f)
    }

    /// One simple statement. Mirrors `simple_stmt`, with `assignment`
    /// folded in: the targets are parsed as expressions, then checked.
    fn simple(&mut self) -> PResult<Stmt> {
        let line = self.line();
        let kw = match self.peek() {
            Tok::Name(n) => n.clone(),
            _ => String::new(),
        };
        let kind = match kw.as_str() {
            "pass" => {
                self.advance();
                StmtKind::Pass
            }
            "break" => {
                self.advance();
                StmtKind::Break
            }
            "continue" => {
                self.advance();
                StmtKind::Continue
            }
            "return" => {
                self.advance();
                if matches!(self.peek(), Tok::Newline | Tok::Eof | Tok::Dedent) || self.is_op(";") {
                    StmtKind::Return(None)
                } else {
                    StmtKind::Return(Some(self.expr_list()?))
                }
            }
            "raise" => {
                self.advance();
                if matches!(self.peek(), Tok::Newline | Tok::Eof | Tok::Dedent) {
                    StmtKind::Raise(None)
                } else {
                    StmtKind::Raise(Some(self.expr()?))
                }
            }
            "global" | "nonlocal" => {
                self.advance();
                let mut names = vec![self.name()?];
                while self.eat_op(",") {
                    names.push(self.name()?);
                }
                if kw == "global" {
                    StmtKind::Global(names)
                } else {
                    StmtKind::Nonlocal(names)
                }
            }
            "del" => {
                self.advance();
                let mut targets = vec![self.primary()?];
                while self.eat_op(",") {
                    targets.push(self.primary()?);
                }
                StmtKind::Del(targets)
            }
            "assert" => {
                self.advance();
                let cond = self.expr()?;
                let msg = if self.eat_op(",") {
                    Some(self.expr()?)
                } else {
                    None
                };
                StmtKind::Assert(cond, msg)
            }
            "import" => {
                self.advance();
                let mut names = Vec::new();
                loop {
                    let n = self.name()?;
                    let alias = if self.eat_kw("as") {
                        Some(self.name()?)
                    } else {
                        None
                    };
                    names.push((n, alias));
                    if !self.eat_op(",") {
                        break;
                    }
                }
                StmtKind::Import(names)
            }
            "from" | "with" | "yield" => {
                return self.error(&format!("'{kw}' is not supported by minipy"))
            }
            _ => {
                let first = self.expr_list()?;
                if let Tok::Op(op) = self.peek().clone() {
                    if let Some(bin) = aug_op(op) {
                        self.advance();
                        check_target(&first, self)?;
                        let value = self.expr_list()?;
                        return Ok(Stmt {
                            kind: StmtKind::AugAssign(first, bin, value),
                            line,
                        });
                    }
                }
                if self.is_op("=") {
                    let mut targets = vec![first];
                    let mut value;
                    loop {
                        self.expect_op("=")?;
                        value = self.expr_list()?;
                        if !self.is_op("=") {
                            break;
                        }
                        targets.push(value);
                    }
                    for t in &targets {
                        check_target(t, self)?;
                    }
                    StmtKind::Assign(targets, value)
                } else {
                    StmtKind::Expr(first)
                }
            }
        };
        Ok(Stmt { kind, line })
    }
}

/// The operator of an augmented assignment. Mirrors the rule `augassign`.
fn aug_op(op: &str) -> Option<BinOp> {
    Some(match op {
        "+=" => BinOp::Add,
        "-=" => BinOp::Sub,
        "*=" => BinOp::Mul,
        "/=" => BinOp::Div,
        "//=" => BinOp::FloorDiv,
        "%=" => BinOp::Mod,
        "**=" => BinOp::Pow,
        "&=" => BinOp::And,
        "|=" => BinOp::Or,
        "^=" => BinOp::Xor,
        "<<=" => BinOp::Shl,
        ">>=" => BinOp::Shr,
        _ => return None,
    })
}
