//! Source text to tokens, with Python's INDENT/DEDENT/NEWLINE structure.

use std::fmt;

/// A token kind.
#[derive(Debug, Clone, PartialEq)]
pub enum Tok {
    /// An identifier or keyword.
    Name(String),
    /// An integer literal.
    Int(i64),
    /// A float literal.
    Float(f64),
    /// A string literal (escapes resolved).
    Str(String),
    /// An f-string literal: the raw text between the quotes.
    FStr(String),
    /// An operator or delimiter.
    Op(&'static str),
    /// End of a logical line.
    Newline,
    /// Deeper indentation.
    Indent,
    /// Shallower indentation.
    Dedent,
    /// End of input.
    Eof,
}

/// A token with its 1-based position.
#[derive(Debug, Clone)]
pub struct Token {
    /// What it is.
    pub tok: Tok,
    /// Line.
    pub line: u32,
    /// Column.
    pub col: u32,
}

/// A syntax error with its position.
#[derive(Debug, Clone, PartialEq)]
pub struct SyntaxError {
    /// The message.
    pub msg: String,
    /// Line (1-based).
    pub line: u32,
    /// Column (1-based).
    pub col: u32,
}

impl fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "SyntaxError: {} (line {}, column {})",
            self.msg, self.line, self.col
        )
    }
}

const OPS: [&str; 47] = [
    "**=", "//=", ">>=", "<<=", "...", "->", "**", "//", "==", "!=", "<=", ">=", "+=", "-=", "*=",
    "/=", "%=", "&=", "|=", "^=", "<<", ">>", ":=", "+", "-", "*", "/", "%", "<", ">", "=", "(",
    ")", "[", "]", "{", "}", ",", ":", ".", ";", "@", "&", "|", "^", "~", "!",
];

/// Splits `src` into tokens.
///
/// # Errors
/// A [`SyntaxError`] for a bad character, an unterminated string or an
/// inconsistent dedent.
pub fn tokenize(src: &str) -> Result<Vec<Token>, SyntaxError> {
    let chars: Vec<char> = src.chars().collect();
    let mut toks = Vec::new();
    let mut indents = vec![0u32];
    let (mut i, mut line, mut col) = (0usize, 1u32, 1u32);
    let mut depth = 0i32;
    let mut at_line_start = true;
    let err = |msg: &str, line, col| SyntaxError {
        msg: msg.to_string(),
        line,
        col,
    };
    while i < chars.len() {
        if at_line_start && depth == 0 {
            // Measure indentation; skip blank and comment-only lines.
            let mut width = 0u32;
            let mut j = i;
            while j < chars.len() && (chars[j] == ' ' || chars[j] == '\t') {
                width += if chars[j] == '\t' { 8 - width % 8 } else { 1 };
                j += 1;
            }
            if j >= chars.len() || chars[j] == '\n' || chars[j] == '#' || chars[j] == '\r' {
                while j < chars.len() && chars[j] != '\n' {
                    j += 1;
                }
                i = j + 1;
                line += 1;
                col = 1;
                continue;
            }
            col += (j - i) as u32;
            i = j;
            at_line_start = false;
            let top = *indents.last().unwrap_or(&0);
            if width > top {
                indents.push(width);
                toks.push(Token {
                    tok: Tok::Indent,
                    line,
                    col,
                });
            } else {
                while width < *indents.last().unwrap_or(&0) {
                    indents.pop();
                    toks.push(Token {
                        tok: Tok::Dedent,
                        line,
                        col,
                    });
                }
                if width != *indents.last().unwrap_or(&0) {
                    return Err(err(
                        "unindent does not match any outer indentation level",
                        line,
                        col,
                    ));
                }
            }
        }
        let c = chars[i];
        let (tline, tcol) = (line, col);
        let push = |toks: &mut Vec<Token>, tok| {
            toks.push(Token {
                tok,
                line: tline,
                col: tcol,
            })
        };
        if c == '\n' {
            if depth == 0 {
                push(&mut toks, Tok::Newline);
                at_line_start = true;
            }
            i += 1;
            line += 1;
            col = 1;
            continue;
        }
        if c == ' ' || c == '\t' || c == '\r' {
            i += 1;
            col += 1;
            continue;
        }
        if c == '#' {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
            continue;
        }
        if c == '\\' && chars.get(i + 1) == Some(&'\n') {
            i += 2;
            line += 1;
            col = 1;
            continue;
        }
        // String literals, with optional prefixes.
        let mut j = i;
        let mut prefix = String::new();
        while j < chars.len() && j - i < 2 && "rRfFbBuU".contains(chars[j]) {
            prefix.push(chars[j].to_ascii_lowercase());
            j += 1;
        }
        if j < chars.len() && (chars[j] == '\'' || chars[j] == '"') {
            let q = chars[j];
            let triple = chars.get(j + 1) == Some(&q) && chars.get(j + 2) == Some(&q);
            let mut k = j + if triple { 3 } else { 1 };
            let raw = prefix.contains('r');
            let mut text = String::new();
            let (mut l2, mut c2) = (line, col + (k - i) as u32);
            loop {
                let Some(&ch) = chars.get(k) else {
                    return Err(err("unterminated string literal", tline, tcol));
                };
                if ch == q
                    && (!triple || (chars.get(k + 1) == Some(&q) && chars.get(k + 2) == Some(&q)))
                {
                    k += if triple { 3 } else { 1 };
                    c2 += if triple { 3 } else { 1 };
                    break;
                }
                if ch == '\n' {
                    if !triple {
                        return Err(err("unterminated string literal", tline, tcol));
                    }
                    l2 += 1;
                    c2 = 0;
                }
                if ch == '\\' && !raw && !prefix.contains('f') {
                    let nx = chars.get(k + 1).copied().unwrap_or('\\');
                    let esc = match nx {
                        'n' => Some('\n'),
                        't' => Some('\t'),
                        'r' => Some('\r'),
                        '0' => Some('\0'),
                        '\\' => Some('\\'),
                        '\'' => Some('\''),
                        '"' => Some('"'),
                        '\n' => None,
                        _ => {
                            text.push('\\');
                            Some(nx)
                        }
                    };
                    if let Some(e) = esc {
                        text.push(e);
                    } else {
                        l2 += 1;
                        c2 = 0;
                    }
                    k += 2;
                    c2 += 2;
                    continue;
                }
                text.push(ch);
                k += 1;
                c2 += 1;
            }
            let tok = if prefix.contains('f') {
                Tok::FStr(text)
            } else {
                Tok::Str(text)
            };
            push(&mut toks, tok);
            i = k;
            line = l2;
            col = c2;
            continue;
        }
        if c.is_alphabetic() || c == '_' {
            let mut k = i;
            while k < chars.len() && (chars[k].is_alphanumeric() || chars[k] == '_') {
                k += 1;
            }
            let name: String = chars[i..k].iter().collect();
            push(&mut toks, Tok::Name(name));
            col += (k - i) as u32;
            i = k;
            continue;
        }
        if c.is_ascii_digit() || (c == '.' && chars.get(i + 1).is_some_and(char::is_ascii_digit)) {
            let mut k = i;
            let mut is_float = false;
            if c == '0' && matches!(chars.get(i + 1), Some('x' | 'X' | 'o' | 'O' | 'b' | 'B')) {
                let radix = match chars[i + 1].to_ascii_lowercase() {
                    'x' => 16,
                    'o' => 8,
                    _ => 2,
                };
                k += 2;
                while k < chars.len() && (chars[k].is_ascii_alphanumeric() || chars[k] == '_') {
                    k += 1;
                }
                let digits: String = chars[i + 2..k].iter().filter(|&&d| d != '_').collect();
                let v = i64::from_str_radix(&digits, radix)
                    .map_err(|_| err("invalid number literal", tline, tcol))?;
                push(&mut toks, Tok::Int(v));
                col += (k - i) as u32;
                i = k;
                continue;
            }
            while k < chars.len() && (chars[k].is_ascii_digit() || chars[k] == '_') {
                k += 1;
            }
            if k < chars.len() && chars[k] == '.' {
                is_float = true;
                k += 1;
                while k < chars.len() && chars[k].is_ascii_digit() {
                    k += 1;
                }
            }
            if k < chars.len() && (chars[k] == 'e' || chars[k] == 'E') {
                let mut m = k + 1;
                if m < chars.len() && (chars[m] == '+' || chars[m] == '-') {
                    m += 1;
                }
                if m < chars.len() && chars[m].is_ascii_digit() {
                    is_float = true;
                    k = m;
                    while k < chars.len() && chars[k].is_ascii_digit() {
                        k += 1;
                    }
                }
            }
            let text: String = chars[i..k].iter().filter(|&&d| d != '_').collect();
            let tok = if is_float {
                Tok::Float(
                    text.parse()
                        .map_err(|_| err("invalid float literal", tline, tcol))?,
                )
            } else {
                Tok::Int(text.parse().map_err(|_| {
                    err(
                        "integer literal too large (minipy ints are 64-bit)",
                        tline,
                        tcol,
                    )
                })?)
            };
            push(&mut toks, tok);
            col += (k - i) as u32;
            i = k;
            continue;
        }
        let rest: String = chars[i..(i + 3).min(chars.len())].iter().collect();
        let Some(op) = OPS.iter().find(|op| rest.starts_with(*op)) else {
            return Err(err(&format!("invalid character '{c}'"), line, col));
        };
        match *op {
            "(" | "[" | "{" => depth += 1,
            ")" | "]" | "}" => depth -= 1,
            _ => {}
        }
        push(&mut toks, Tok::Op(op));
        i += op.len();
        col += op.len() as u32;
    }
    if !at_line_start {
        toks.push(Token {
            tok: Tok::Newline,
            line,
            col,
        });
    }
    while indents.len() > 1 {
        indents.pop();
        toks.push(Token {
            tok: Tok::Dedent,
            line,
            col,
        });
    }
    toks.push(Token {
        tok: Tok::Eof,
        line,
        col,
    });
    Ok(toks)
}
