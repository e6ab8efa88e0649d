//! The fields of an f-string. The lexer hands over the literal's raw text;
//! this module splits it into literal runs and `{expr!conv:spec}` fields,
//! and parses each field's expression with a nested [`Parser`].
//!
//! That is how CPython did it up to 3.11 (`fstring_find_expr` in
//! [Parser/string_parser.c](https://github.com/python/cpython/blob/v3.11.0/Parser/string_parser.c)).
//! Since 3.12 (PEP 701) CPython's tokenizer splits f-strings itself and the
//! grammar's `fstring` rule parses the fields in place.

use super::{PResult, Parser};
use crate::ast::*;
use crate::lexer::{tokenize, SyntaxError, Token};

/// Splits an f-string's text into literal and `{expr!c:spec}` parts.
pub(super) fn fstring_parts(s: &str, tok: &Token) -> PResult<Vec<FPart>> {
    let err = |msg: &str| SyntaxError {
        msg: msg.to_string(),
        line: tok.line,
        col: tok.col,
    };
    let chars: Vec<char> = s.chars().collect();
    let mut parts = Vec::new();
    let mut lit = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '{' && chars.get(i + 1) == Some(&'{') {
            lit.push('{');
            i += 2;
            continue;
        }
        if c == '}' && chars.get(i + 1) == Some(&'}') {
            lit.push('}');
            i += 2;
            continue;
        }
        if c == '\\' {
            match chars.get(i + 1) {
                Some('n') => lit.push('\n'),
                Some('t') => lit.push('\t'),
                Some(&o) => lit.push(o),
                None => {}
            }
            i += 2;
            continue;
        }
        if c != '{' {
            lit.push(c);
            i += 1;
            continue;
        }
        if !lit.is_empty() {
            parts.push(FPart::Lit(core::mem::take(&mut lit)));
        }
        let mut depth = 0;
        let mut j = i + 1;
        let mut end_expr = None;
        while j < chars.len() {
            match chars[j] {
                '(' | '[' | '{' => depth += 1,
                ')' | ']' => depth -= 1,
                '}' if depth == 0 => break,
                '}' => depth -= 1,
                '!' | ':' if depth == 0 && end_expr.is_none() && chars.get(j + 1) != Some(&'=') => {
                    end_expr = Some(j)
                }
                _ => {}
            }
            j += 1;
        }
        if j >= chars.len() {
            return Err(err("f-string: expecting '}'"));
        }
        let e_end = end_expr.unwrap_or(j);
        let src: String = chars[i + 1..e_end].iter().collect();
        let mut conv = None;
        let mut spec = String::new();
        let mut k = e_end;
        if k < j && chars[k] == '!' {
            conv = chars.get(k + 1).copied();
            k += 2;
        }
        if k < j && chars[k] == ':' {
            spec = chars[k + 1..j].iter().collect();
        }
        let mut sub = Parser {
            toks: tokenize(&src).map_err(|e| err(&e.msg))?,
            pos: 0,
        };
        let mut e = sub.expr().map_err(|e| err(&e.msg))?;
        set_line(&mut e, tok.line);
        parts.push(FPart::Expr(Box::new(e), conv, spec));
        i = j + 1;
    }
    if !lit.is_empty() {
        parts.push(FPart::Lit(lit));
    }
    Ok(parts)
}

fn set_line(e: &mut Expr, line: u32) {
    e.line = line;
}
