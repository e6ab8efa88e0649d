//! Tokens to the syntax tree: recursive descent over Python's grammar
//! (the subset minipy runs).

use crate::ast::*;
use crate::lexer::{tokenize, SyntaxError, Tok, Token};

/// Parses a whole module.
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

struct Parser {
    toks: Vec<Token>,
    pos: usize,
}

type PResult<T> = Result<T, SyntaxError>;

/// Positional and keyword arguments of a call.
type CallArgs = (Vec<Expr>, Vec<(String, Expr)>);

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

    // ---- statements ----------------------------------------------------

    fn statement(&mut self) -> PResult<Vec<Stmt>> {
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
            _ => {
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
        }
    }

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

    fn else_block(&mut self) -> PResult<Vec<Stmt>> {
        if self.eat_kw("else") {
            self.block()
        } else {
            Ok(Vec::new())
        }
    }

    fn block(&mut self) -> PResult<Vec<Stmt>> {
        self.expect_op(":")?;
        if !self.eat_newline() {
            // A one-line body: `if x: y`.
            let mut out = vec![self.simple()?];
            while self.eat_op(";") {
                if matches!(self.peek(), Tok::Newline | Tok::Eof) {
                    break;
                }
                out.push(self.simple()?);
            }
            self.end_of_simple()?;
            return Ok(out);
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

    fn params(&mut self, close: &str) -> PResult<FuncDef> {
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

    // ---- expressions ---------------------------------------------------

    /// `a, b` as a tuple; a single expression otherwise.
    fn expr_list(&mut self) -> PResult<Expr> {
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

    fn ends_expr_list(&self) -> bool {
        matches!(self.peek(), Tok::Newline | Tok::Eof)
            || self.is_op("=")
            || self.is_op(")")
            || self.is_op("]")
            || self.is_op(":")
            || self.is_op(";")
    }

    /// A `for` target: names, attributes, subscripts, tuples of them.
    fn target_list(&mut self) -> PResult<Expr> {
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

    fn expr(&mut self) -> PResult<Expr> {
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

    fn or_test(&mut self) -> PResult<Expr> {
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

    fn bitor(&mut self) -> PResult<Expr> {
        self.binary(&[("|", BinOp::Or)], Parser::bitxor)
    }
    fn bitxor(&mut self) -> PResult<Expr> {
        self.binary(&[("^", BinOp::Xor)], Parser::bitand)
    }
    fn bitand(&mut self) -> PResult<Expr> {
        self.binary(&[("&", BinOp::And)], Parser::shift)
    }
    fn shift(&mut self) -> PResult<Expr> {
        self.binary(&[("<<", BinOp::Shl), (">>", BinOp::Shr)], Parser::arith)
    }
    fn arith(&mut self) -> PResult<Expr> {
        self.binary(&[("+", BinOp::Add), ("-", BinOp::Sub)], Parser::term)
    }
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

    fn primary(&mut self) -> PResult<Expr> {
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

    fn call_args(&mut self) -> PResult<CallArgs> {
        let mut args = Vec::new();
        let mut kwargs = Vec::new();
        while !self.is_op(")") {
            if let (Tok::Name(n), Tok::Op("=")) = (self.peek().clone(), self.peek_at(1)) {
                self.advance();
                self.advance();
                kwargs.push((n, self.expr()?));
            } else {
                if !kwargs.is_empty() {
                    return self.error("positional argument follows keyword argument");
                }
                let line = self.line();
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

    fn comp_clauses(&mut self) -> PResult<Vec<Comp>> {
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

fn check_target(e: &Expr, p: &Parser) -> PResult<()> {
    match &e.kind {
        ExprKind::Name(_) | ExprKind::Attr(..) | ExprKind::Subscript(..) => Ok(()),
        ExprKind::Tuple(items) | ExprKind::List(items) => {
            items.iter().try_for_each(|i| check_target(i, p))
        }
        _ => p.error("cannot assign to expression"),
    }
}

/// Splits an f-string's text into literal and `{expr!c:spec}` parts.
fn fstring_parts(s: &str, tok: &Token) -> PResult<Vec<FPart>> {
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
