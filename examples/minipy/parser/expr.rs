//! Expressions, loosest-binding first: one method per precedence level of
//! [Grammar/python.gram](https://github.com/python/cpython/blob/v3.14.0/Grammar/python.gram),
//! each parsing its operands with the next, tighter level.
//!
//! | minipy | CPython rule | operators |
//! |---|---|---|
//! | `expr_list` | `star_expressions` | `a, b` (a tuple) |
//! | `expr` | `expression`, `lambdef` | `x if c else y`, `lambda` |
//! | `or_test` | `disjunction` | `or` |
//! | `and_test` | `conjunction` | `and` |
//! | `not_test` | `inversion` | `not` |
//! | `comparison` | `comparison` | `==` `<` `in` `is not` … (chained) |
//! | `bitor` … `term` | `bitwise_or` … `term` | `\|` `^` `&` `<<` `+` `*` … |
//! | `factor` | `factor` | unary `-` `+` `~` |
//! | `power` | `power` | `**`, right-associative |
//!
//! Below `power` come [`primary`](super::primary) and the atoms. The binary
//! levels share [`binary`](Parser::binary): the grammar's left-recursive
//! `sum: sum '+' term | term` becomes a loop that folds to the left, so
//! `a - b - c` is `(a - b) - c`.

use super::{PResult, Parser};
use crate::ast::*;
use crate::lexer::Tok;

impl Parser {
    /// `a, b` as a tuple; a single expression otherwise. Mirrors
    /// `star_expressions`, without `*` unpacking.
    pub(super) fn expr_list(&mut self) -> PResult<Expr> {
        let line = self.line();
        let first = self.expr()?;
        if !self.is_op(",") {
            return Ok(first);
        }
        let mut items = vec![first];
        while self.eat_op(",") {
            if self.ends_expr_list() {
                break;
            }
            items.push(self.expr()?);
        }
        Ok(Expr {
            kind: ExprKind::Tuple(items),
            line,
        })
    }

    /// Whether a trailing comma ended the list (`x = 1,`).
    fn ends_expr_list(&self) -> bool {
        matches!(self.peek(), Tok::Newline | Tok::Eof)
            || self.is_op("=")
            || self.is_op(")")
            || self.is_op("]")
            || self.is_op(":")
            || self.is_op(";")
    }

    /// Mirrors `expression` (a conditional expression) and `lambdef`.
    pub(super) fn expr(&mut self) -> PResult<Expr> {
        let line = self.line();
        if self.eat_kw("lambda") {
            let mut f = self.params(":")?;
            self.expect_op(":")?;
            let body = self.expr()?;
            f.name = "<lambda>".into();
            f.body = vec![Stmt {
                kind: StmtKind::Return(Some(body)),
                line,
            }];
            return Ok(Expr {
                kind: ExprKind::Lambda(Box::new(f)),
                line,
            });
        }
        let e = self.or_test()?;
        if self.eat_kw("if") {
            let cond = self.or_test()?;
            self.expect_kw("else")?;
            let other = self.expr()?;
            return Ok(Expr {
                kind: ExprKind::IfExp(Box::new(cond), Box::new(e), Box::new(other)),
                line,
            });
        }
        Ok(e)
    }

    /// Mirrors `disjunction`. `BoolOp(false, ..)` is `or`.
    pub(super) fn or_test(&mut self) -> PResult<Expr> {
        let mut e = self.and_test()?;
        while self.is_kw("or") {
            let line = self.line();
            self.advance();
            let r = self.and_test()?;
            e = Expr {
                kind: ExprKind::BoolOp(false, Box::new(e), Box::new(r)),
                line,
            };
        }
        Ok(e)
    }

    /// Mirrors `conjunction`. `BoolOp(true, ..)` is `and`.
    fn and_test(&mut self) -> PResult<Expr> {
        let mut e = self.not_test()?;
        while self.is_kw("and") {
            let line = self.line();
            self.advance();
            let r = self.not_test()?;
            e = Expr {
                kind: ExprKind::BoolOp(true, Box::new(e), Box::new(r)),
                line,
            };
        }
        Ok(e)
    }

    /// Mirrors `inversion`.
    fn not_test(&mut self) -> PResult<Expr> {
        let line = self.line();
        if self.eat_kw("not") {
            let e = self.not_test()?;
            return Ok(Expr {
                kind: ExprKind::Unary(UnOp::Not, Box::new(e)),
                line,
            });
        }
        self.comparison()
    }

    /// A chain `a < b <= c` as one node, compared pairwise at run time.
    /// Mirrors `comparison` and `compare_op_bitwise_or_pair`.
    fn comparison(&mut self) -> PResult<Expr> {
        let line = self.line();
        let first = self.bitor()?;
        let mut rest = Vec::new();
        loop {
            let op = match self.peek() {
                Tok::Op("==") => CmpOp::Eq,
                Tok::Op("!=") => CmpOp::Ne,
                Tok::Op("<") => CmpOp::Lt,
                Tok::Op("<=") => CmpOp::Le,
                Tok::Op(">") => CmpOp::Gt,
                Tok::Op(">=") => CmpOp::Ge,
                Tok::Name(n) if n == "in" => CmpOp::In,
                Tok::Name(n) if n == "is" => {
                    if matches!(self.peek_at(1), Tok::Name(m) if m == "not") {
                        self.advance();
                        CmpOp::IsNot
                    } else {
                        CmpOp::Is
                    }
                }
                Tok::Name(n)
                    if n == "not" && matches!(self.peek_at(1), Tok::Name(m) if m == "in") =>
                {
                    self.advance();
                    CmpOp::NotIn
                }
                _ => break,
            };
            self.advance();
            rest.push((op, self.bitor()?));
        }
        if rest.is_empty() {
            Ok(first)
        } else {
            Ok(Expr {
                kind: ExprKind::Compare(Box::new(first), rest),
                line,
            })
        }
    }

    /// One left-associative binary level: `next (op next)*`, folded left.
    fn binary(
        &mut self,
        ops: &[(&str, BinOp)],
        next: fn(&mut Parser) -> PResult<Expr>,
    ) -> PResult<Expr> {
        let mut e = next(self)?;
        'outer: loop {
            for (s, op) in ops {
                if self.is_op(s) {
                    let line = self.line();
                    self.advance();
                    let r = next(self)?;
                    e = Expr {
                        kind: ExprKind::Bin(*op, Box::new(e), Box::new(r)),
                        line,
                    };
                    continue 'outer;
                }
            }
            return Ok(e);
        }
    }

    /// Mirrors `bitwise_or`.
    pub(super) fn bitor(&mut self) -> PResult<Expr> {
        self.binary(&[("|", BinOp::Or)], Parser::bitxor)
    }
    /// Mirrors `bitwise_xor`.
    fn bitxor(&mut self) -> PResult<Expr> {
        self.binary(&[("^", BinOp::Xor)], Parser::bitand)
    }
    /// Mirrors `bitwise_and`.
    fn bitand(&mut self) -> PResult<Expr> {
        self.binary(&[("&", BinOp::And)], Parser::shift)
    }
    /// Mirrors `shift_expr`.
    fn shift(&mut self) -> PResult<Expr> {
        self.binary(&[("<<", BinOp::Shl), (">>", BinOp::Shr)], Parser::arith)
    }
    /// Mirrors `sum`.
    fn arith(&mut self) -> PResult<Expr> {
        self.binary(&[("+", BinOp::Add), ("-", BinOp::Sub)], Parser::term)
    }
    /// Mirrors `term`.
    fn term(&mut self) -> PResult<Expr> {
        self.binary(
            &[
                ("*", BinOp::Mul),
                ("/", BinOp::Div),
                ("//", BinOp::FloorDiv),
                ("%", BinOp::Mod),
            ],
            Parser::factor,
        )
    }

    /// Unary `-`, `+`, `~`. Mirrors `factor`; binds looser than `**`, so
    /// `-2 ** 2` is `-(2 ** 2)`.
    fn factor(&mut self) -> PResult<Expr> {
        let line = self.line();
        let op = match self.peek() {
            Tok::Op("-") => Some(UnOp::Neg),
            Tok::Op("+") => Some(UnOp::Pos),
            Tok::Op("~") => Some(UnOp::Invert),
            _ => None,
        };
        if let Some(op) = op {
            self.advance();
            let e = self.factor()?;
            // Fold negative literals, as CPython's compiler does.
            if let (UnOp::Neg, ExprKind::Const(Const::Int(n))) = (op, &e.kind) {
                return Ok(Expr {
                    kind: ExprKind::Const(Const::Int(-n)),
                    line,
                });
            }
            if let (UnOp::Neg, ExprKind::Const(Const::Float(f))) = (op, &e.kind) {
                return Ok(Expr {
                    kind: ExprKind::Const(Const::Float(-f)),
                    line,
                });
            }
            return Ok(Expr {
                kind: ExprKind::Unary(op, Box::new(e)),
                line,
            });
        }
        self.power()
    }

    /// Mirrors `power: await_primary '**' factor`; the right operand is a
    /// `factor`, which makes `**` right-associative.
    fn power(&mut self) -> PResult<Expr> {
        let e = self.primary()?;
        if self.is_op("**") {
            let line = self.line();
            self.advance();
            let r = self.factor()?;
            return Ok(Expr {
                kind: ExprKind::Bin(BinOp::Pow, Box::new(e), Box::new(r)),
                line,
            });
        }
        Ok(e)
    }
}
