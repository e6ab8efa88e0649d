//! Tokens to the syntax tree: a hand-written recursive-descent parser for
//! the subset of Python that minipy runs.
//!
//! CPython generates its parser from a PEG grammar,
//! [Grammar/python.gram](https://github.com/python/cpython/blob/v3.14.0/Grammar/python.gram).
//! minipy writes the same rules by hand, one method per rule, and each
//! method's doc names the rule it follows, so the two can be read side by
//! side. Where the grammar tries alternatives in order and may backtrack,
//! minipy looks at the next token (two at most) and commits; that is
//! enough for the subset it parses.
//!
//! The parts, from the whole file down to the smallest expression:
//!
//! - this module: [`parse`] (the grammar's `file` rule) and the token cursor
//!   every rule uses ([`Parser`]: peek, eat, expect, report);
//! - [`stmt`]: statements, compound (`if`, `while`, `def`, …) then simple;
//! - [`expr`]: expressions, one method per precedence level, loosest first;
//! - [`primary`]: calls, attributes, subscripts and atoms, the tightest level;
//! - [`targets`]: what may be assigned to, and the `for … in … if …` clauses
//!   of comprehensions, which bind targets too;
//! - [`fstring`]: the `{…}` fields of f-strings, each parsed by a nested
//!   parser.

// Explicit paths, because `benches/vm.rs` also loads this file through
// `#[path]`, and a file loaded that way looks for its children beside it
// rather than in `parser/`.
#[path = "parser/expr.rs"]
mod expr;
#[path = "parser/fstring.rs"]
mod fstring;
#[path = "parser/primary.rs"]
mod primary;
#[path = "parser/stmt.rs"]
mod stmt;
#[path = "parser/targets.rs"]
mod targets;

use crate::ast::*;
use crate::lexer::{tokenize, SyntaxError, Tok, Token};

/// Parses a whole module. Mirrors the rule `file: [statements] ENDMARKER`.
///
/// # Errors
/// The first [`SyntaxError`], with its line and column.
pub fn parse(src: &str) -> Result<Vec<Stmt>, SyntaxError> {
    let toks = tokenize(src)?;
    let mut p = Parser { toks, pos: 0 };
    let mut body = Vec::new();
    while !p.at_eof() {
        if p.eat_newline() {
            continue;
        }
        body.extend(p.statement()?);
    }
    Ok(body)
}

/// The token cursor. The rule methods live in the submodules; this module
/// holds only the moves they share. CPython's generated parser keeps the
/// same state (`Parser *p`: its tokens and `p->mark`), but may rewind `mark`
/// to try another alternative; minipy only moves forward.
struct Parser {
    toks: Vec<Token>,
    pos: usize,
}

type PResult<T> = Result<T, SyntaxError>;

/// The words a name may not be. The grammar spells them as quoted tokens
/// (`'if'`); CPython's generated `Parser/parser.c` lists them in
/// `reserved_keywords`.
fn is_keyword(s: &str) -> bool {
    matches!(
        s,
        "False"
            | "None"
            | "True"
            | "and"
            | "as"
            | "assert"
            | "break"
            | "class"
            | "continue"
            | "def"
            | "del"
            | "elif"
            | "else"
            | "except"
            | "finally"
            | "for"
            | "from"
            | "global"
            | "if"
            | "import"
            | "in"
            | "is"
            | "lambda"
            | "nonlocal"
            | "not"
            | "or"
            | "pass"
            | "raise"
            | "return"
            | "try"
            | "while"
            | "with"
            | "yield"
    )
}

impl Parser {
    fn peek(&self) -> &Tok {
        &self.toks[self.pos].tok
    }
    fn peek_at(&self, n: usize) -> &Tok {
        &self.toks[(self.pos + n).min(self.toks.len() - 1)].tok
    }
    fn line(&self) -> u32 {
        self.toks[self.pos].line
    }
    fn at_eof(&self) -> bool {
        matches!(self.peek(), Tok::Eof)
    }
    fn advance(&mut self) -> Tok {
        let t = self.toks[self.pos].tok.clone();
        if self.pos < self.toks.len() - 1 {
            self.pos += 1;
        }
        t
    }
    fn error<T>(&self, msg: &str) -> PResult<T> {
        let t = &self.toks[self.pos];
        Err(SyntaxError {
            msg: msg.to_string(),
            line: t.line,
            col: t.col,
        })
    }
    fn is_op(&self, op: &str) -> bool {
        matches!(self.peek(), Tok::Op(o) if *o == op)
    }
    fn is_kw(&self, kw: &str) -> bool {
        matches!(self.peek(), Tok::Name(n) if n == kw)
    }
    fn eat_op(&mut self, op: &str) -> bool {
        if self.is_op(op) {
            self.advance();
            true
        } else {
            false
        }
    }
    fn eat_kw(&mut self, kw: &str) -> bool {
        if self.is_kw(kw) {
            self.advance();
            true
        } else {
            false
        }
    }
    fn eat_newline(&mut self) -> bool {
        if matches!(self.peek(), Tok::Newline) {
            self.advance();
            true
        } else {
            false
        }
    }
    fn expect_op(&mut self, op: &str) -> PResult<()> {
        if self.eat_op(op) {
            Ok(())
        } else {
            self.error(&format!("expected '{op}'"))
        }
    }
    fn expect_kw(&mut self, kw: &str) -> PResult<()> {
        if self.eat_kw(kw) {
            Ok(())
        } else {
            self.error(&format!("expected '{kw}'"))
        }
    }
    fn name(&mut self) -> PResult<String> {
        match self.peek().clone() {
            Tok::Name(n) if !is_keyword(&n) => {
                self.advance();
                Ok(n)
            }
            _ => self.error("expected a name"),
        }
    }
    fn end_of_simple(&mut self) -> PResult<()> {
        if self.eat_newline() || matches!(self.peek(), Tok::Eof | Tok::Dedent) || self.is_op(";") {
            Ok(())
        } else {
            self.error("invalid syntax")
        }
    }
}
