//! What may be assigned to, and the clauses that bind names in a
//! comprehension ([Grammar/python.gram](https://github.com/python/cpython/blob/v3.14.0/Grammar/python.gram)).
//!
//! minipy parses the left side of `=` as an ordinary expression and checks
//! afterwards that it names a place (a name, attribute, subscript, or a tuple
//! or list of them). CPython's grammar instead tries `star_targets` first and
//! reports the rest through its `invalid_assignment` rules, which name the
//! kind (`cannot assign to function call`); minipy says `cannot assign to
//! expression` for all of them.

use super::{PResult, Parser};
use crate::ast::*;

impl Parser {
    /// A `for` target: names, attributes, subscripts, tuples of them.
    /// Mirrors `star_targets`, without `*`. Parsed at `bitwise_or` level so
    /// the `in` that follows is not read as a comparison.
    pub(super) fn target_list(&mut self) -> PResult<Expr> {
        let line = self.line();
        let mut items = vec![self.bitor()?];
        let mut tuple = false;
        while self.eat_op(",") {
            tuple = true;
            if self.is_kw("in") {
                break;
            }
            items.push(self.bitor()?);
        }
        let e = if tuple {
            Expr {
                kind: ExprKind::Tuple(items),
                line,
            }
        } else {
            items.pop().expect("one target")
        };
        check_target(&e, self)?;
        Ok(e)
    }

    /// The `for … in … if …` clauses after a comprehension's element.
    /// Mirrors `for_if_clauses`; the iterable is a `disjunction`, so a
    /// conditional expression there needs parentheses, as in CPython.
    pub(super) fn comp_clauses(&mut self) -> PResult<Vec<Comp>> {
        let mut gens = Vec::new();
        while self.eat_kw("for") {
            let target = self.target_list()?;
            self.expect_kw("in")?;
            let iter = self.or_test()?;
            let mut ifs = Vec::new();
            while self.eat_kw("if") {
                ifs.push(self.or_test()?);
            }
            gens.push(Comp { target, iter, ifs });
        }
        Ok(gens)
    }
}

/// Refuses a target that names no place, such as `f() = 1`.
pub(super) fn check_target(e: &Expr, p: &Parser) -> PResult<()> {
    match &e.kind {
        ExprKind::Name(_) | ExprKind::Attr(..) | ExprKind::Subscript(..) => Ok(()),
        ExprKind::Tuple(items) | ExprKind::List(items) => {
            items.iter().try_for_each(|i| check_target(i, p))
        }
        _ => p.error("cannot assign to expression"),
    }
}
