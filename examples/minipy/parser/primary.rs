//! The tightest level: the grammar's `primary` and `atom` rules
//! ([Grammar/python.gram](https://github.com/python/cpython/blob/v3.14.0/Grammar/python.gram)).
//!
//! An atom is a literal, a name or a bracketed display (`(…)`, `[…]`,
//! `{…}`); a primary is an atom followed by any run of `.name`, `(args)`
//! and `[index]`. Displays may hold a comprehension, and a call's lone
//! argument may be a generator expression; minipy builds both as eager
//! lists ([`ExprKind::ListComp`]).

use super::fstring::fstring_parts;
use super::{is_keyword, PResult, Parser};
use crate::ast::*;
use crate::lexer::Tok;

/// Positional and keyword arguments of a call.
type CallArgs = (Vec<Expr>, Vec<(String, Expr)>);

impl Parser {
    /// An atom and its trailers. Mirrors the left-recursive `primary` rule
    /// as a loop.
    pub(super) fn primary(&mut self) -> PResult<Expr> {
        let mut e = self.atom()?;
        loop {
            let line = self.line();
            if self.eat_op(".") {
                let name = self.name()?;
                e = Expr {
                    kind: ExprKind::Attr(Box::new(e), name),
                    line,
                };
            } else if self.eat_op("(") {
                let (args, kwargs) = self.call_args()?;
                e = Expr {
                    kind: ExprKind::Call(Box::new(e), args, kwargs),
                    line,
                };
            } else if self.eat_op("[") {
                let index = self.subscript()?;
                self.expect_op("]")?;
                e = Expr {
                    kind: ExprKind::Subscript(Box::new(e), Box::new(index)),
                    line,
                };
            } else {
                return Ok(e);
            }
        }
    }

    /// After `(`: positional, then keyword arguments, then `)`. Mirrors
    /// `arguments`, without `*args`/`**kwargs` unpacking.
    fn call_args(&mut self) -> PResult<CallArgs> {
        let mut args = Vec::new();
        let mut kwargs = Vec::new();
        while !self.is_op(")") {
            if let (Tok::Name(n), Tok::Op("=")) = (self.peek().clone(), self.peek_at(1)) {
                self.advance();
                self.advance();
                kwargs.push((n, self.expr()?));
            } else {
                let line = self.line();
                if self.eat_op("*") {
                    // Unpacked positional arguments may follow keywords.
                    let e = self.expr()?;
                    args.push(Expr {
                        kind: ExprKind::Starred(Box::new(e)),
                        line,
                    });
                    if !self.eat_op(",") {
                        break;
                    }
                    continue;
                }
                if !kwargs.is_empty() {
                    return self.error("positional argument follows keyword argument");
                }
                let e = self.expr()?;
                if self.is_kw("for") {
                    let gens = self.comp_clauses()?;
                    args.push(Expr {
                        kind: ExprKind::ListComp(Box::new(e), gens),
                        line,
                    });
                } else {
                    args.push(e);
                }
            }
            if !self.eat_op(",") {
                break;
            }
        }
        self.expect_op(")")?;
        Ok((args, kwargs))
    }

    /// After `[`: an index, a tuple of them, or a slice `lo:hi:step`.
    /// Mirrors `slices` and `slice`.
    fn subscript(&mut self) -> PResult<Expr> {
        let line = self.line();
        let part = |p: &mut Parser| -> PResult<Option<Box<Expr>>> {
            if p.is_op(":") || p.is_op("]") || p.is_op(",") {
                Ok(None)
            } else {
                Ok(Some(Box::new(p.expr()?)))
            }
        };
        let lo = part(self)?;
        if !self.is_op(":") {
            let first = *lo.expect("an index");
            if self.is_op(",") {
                let mut items = vec![first];
                while self.eat_op(",") {
                    if self.is_op("]") {
                        break;
                    }
                    items.push(self.expr()?);
                }
                return Ok(Expr {
                    kind: ExprKind::Tuple(items),
                    line,
                });
            }
            return Ok(first);
        }
        self.advance();
        let hi = part(self)?;
        let step = if self.eat_op(":") { part(self)? } else { None };
        Ok(Expr {
            kind: ExprKind::Slice(lo, hi, step),
            line,
        })
    }

    /// Mirrors `atom`, with the displays (`tuple`, `group`, `list`,
    /// `listcomp`, `dict`, `dictcomp`) inlined; sets are not supported.
    fn atom(&mut self) -> PResult<Expr> {
        let line = self.line();
        let mk = |kind| Expr { kind, line };
        match self.peek().clone() {
            Tok::Int(n) => {
                self.advance();
                Ok(mk(ExprKind::Const(Const::Int(n))))
            }
            Tok::Float(f) => {
                self.advance();
                Ok(mk(ExprKind::Const(Const::Float(f))))
            }
            Tok::Str(_) | Tok::FStr(_) => {
                // Adjacent literals concatenate.
                let mut parts: Vec<FPart> = Vec::new();
                let mut is_f = false;
                loop {
                    match self.peek().clone() {
                        Tok::Str(s) => parts.push(FPart::Lit(s)),
                        Tok::FStr(s) => {
                            is_f = true;
                            let tok = self.toks[self.pos].clone();
                            parts.extend(fstring_parts(&s, &tok)?);
                        }
                        _ => break,
                    }
                    self.advance();
                }
                if !is_f {
                    let s = parts
                        .into_iter()
                        .map(|p| match p {
                            FPart::Lit(s) => s,
                            FPart::Expr(..) => String::new(),
                        })
                        .collect();
                    return Ok(mk(ExprKind::Const(Const::Str(s))));
                }
                Ok(mk(ExprKind::FString(parts)))
            }
            Tok::Name(n) => match n.as_str() {
                "None" => {
                    self.advance();
                    Ok(mk(ExprKind::Const(Const::None)))
                }
                "True" | "False" => {
                    self.advance();
                    Ok(mk(ExprKind::Const(Const::Bool(n == "True"))))
                }
                _ if is_keyword(&n) => self.error("invalid syntax"),
                _ => {
                    self.advance();
                    Ok(mk(ExprKind::Name(n)))
                }
            },
            Tok::Op("(") => {
                self.advance();
                if self.eat_op(")") {
                    return Ok(mk(ExprKind::Tuple(Vec::new())));
                }
                let first = self.expr()?;
                if self.is_kw("for") {
                    let gens = self.comp_clauses()?;
                    self.expect_op(")")?;
                    return Ok(mk(ExprKind::ListComp(Box::new(first), gens)));
                }
                if self.eat_op(")") {
                    return Ok(first);
                }
                let mut items = vec![first];
                while self.eat_op(",") {
                    if self.is_op(")") {
                        break;
                    }
                    items.push(self.expr()?);
                }
                self.expect_op(")")?;
                Ok(mk(ExprKind::Tuple(items)))
            }
            Tok::Op("[") => {
                self.advance();
                let mut items = Vec::new();
                while !self.is_op("]") {
                    let e = self.expr()?;
                    if items.is_empty() && self.is_kw("for") {
                        let gens = self.comp_clauses()?;
                        self.expect_op("]")?;
                        return Ok(mk(ExprKind::ListComp(Box::new(e), gens)));
                    }
                    items.push(e);
                    if !self.eat_op(",") {
                        break;
                    }
                }
                self.expect_op("]")?;
                Ok(mk(ExprKind::List(items)))
            }
            Tok::Op("{") => {
                self.advance();
                let mut items = Vec::new();
                while !self.is_op("}") {
                    let k = self.expr()?;
                    self.expect_op(":")?;
                    let v = self.expr()?;
                    if items.is_empty() && self.is_kw("for") {
                        let gens = self.comp_clauses()?;
                        self.expect_op("}")?;
                        return Ok(mk(ExprKind::DictComp(Box::new(k), Box::new(v), gens)));
                    }
                    items.push((k, v));
                    if !self.eat_op(",") {
                        break;
                    }
                }
                self.expect_op("}")?;
                Ok(mk(ExprKind::Dict(items)))
            }
            Tok::Indent => self.error("unexpected indent"),
            Tok::Newline | Tok::Eof => self.error("unexpected end of line"),
            _ => self.error("invalid syntax"),
        }
    }
}
