//! Scope analysis: which names a function binds, which it takes from
//! enclosing functions (free), and which of its locals nested functions
//! close over (cells), as CPython's `symtable.c` decides.

use std::collections::HashSet;

use crate::ast::*;

// ---- scope analysis -------------------------------------------------------

/// The names one body binds and uses.
#[derive(Default)]
pub struct Scan {
    /// Names bound in the body, in order.
    pub assigned: Vec<String>,
    /// `global` names.
    pub globals: HashSet<String>,
    /// `nonlocal` names.
    pub nonlocals: HashSet<String>,
    /// Names read.
    pub used: HashSet<String>,
    /// Names nested functions need from outside themselves.
    pub child_free: HashSet<String>,
}

impl Scan {
    fn assign(&mut self, n: &str) {
        if !self.assigned.iter().any(|a| a == n) {
            self.assigned.push(n.to_string());
        }
    }
    fn target(&mut self, e: &Expr) {
        match &e.kind {
            ExprKind::Name(n) => self.assign(n),
            ExprKind::Tuple(items) | ExprKind::List(items) => {
                items.iter().for_each(|i| self.target(i))
            }
            _ => self.expr(e),
        }
    }
    fn stmts(&mut self, body: &[Stmt]) {
        body.iter().for_each(|s| self.stmt(s));
    }
    fn stmt(&mut self, s: &Stmt) {
        match &s.kind {
            StmtKind::Expr(e) => self.expr(e),
            StmtKind::Assign(ts, v) => {
                ts.iter().for_each(|t| self.target(t));
                self.expr(v);
            }
            StmtKind::AugAssign(t, _, v) => {
                self.target(t);
                if let ExprKind::Name(n) = &t.kind {
                    self.used.insert(n.clone());
                }
                self.expr(v);
            }
            StmtKind::If(c, a, b) | StmtKind::While(c, a, b) => {
                self.expr(c);
                self.stmts(a);
                self.stmts(b);
            }
            StmtKind::For(t, i, a, b) => {
                self.target(t);
                self.expr(i);
                self.stmts(a);
                self.stmts(b);
            }
            StmtKind::Def(f) => {
                self.assign(&f.name);
                self.func(f);
            }
            StmtKind::Class(name, bases, body) => {
                self.assign(name);
                bases.iter().for_each(|b| self.expr(b));
                let mut inner = Scan::default();
                inner.stmts(body);
                // Methods see through the class body to enclosing functions.
                self.child_free.extend(inner.child_free);
                self.used.extend(inner.used);
            }
            StmtKind::Return(e) => e.iter().for_each(|e| self.expr(e)),
            StmtKind::Del(ts) => ts.iter().for_each(|t| self.target(t)),
            StmtKind::Global(ns) => self.globals.extend(ns.iter().cloned()),
            StmtKind::Nonlocal(ns) => self.nonlocals.extend(ns.iter().cloned()),
            StmtKind::Raise(e) => e.iter().for_each(|e| self.expr(e)),
            StmtKind::Try(b, hs, o, f) => {
                self.stmts(b);
                for h in hs {
                    h.typ.iter().for_each(|e| self.expr(e));
                    if let Some(n) = &h.name {
                        self.assign(n);
                    }
                    self.stmts(&h.body);
                }
                self.stmts(o);
                self.stmts(f);
            }
            StmtKind::Import(ns) => {
                for (n, a) in ns {
                    self.assign(a.as_ref().unwrap_or(n));
                }
            }
            StmtKind::Assert(c, m) => {
                self.expr(c);
                m.iter().for_each(|e| self.expr(e));
            }
            StmtKind::Break | StmtKind::Continue | StmtKind::Pass => {}
        }
    }
    fn func(&mut self, f: &FuncDef) {
        f.defaults.iter().for_each(|d| self.expr(d));
        let inner = scan_function(f);
        self.child_free.extend(inner.free());
    }
    fn comps(&mut self, gens: &[Comp]) {
        for g in gens {
            self.target(&g.target);
            self.expr(&g.iter);
            g.ifs.iter().for_each(|e| self.expr(e));
        }
    }
    fn expr(&mut self, e: &Expr) {
        match &e.kind {
            ExprKind::Const(_) => {}
            ExprKind::Name(n) => {
                self.used.insert(n.clone());
            }
            ExprKind::Attr(o, _) => self.expr(o),
            ExprKind::Subscript(a, b) => {
                self.expr(a);
                self.expr(b);
            }
            ExprKind::Slice(a, b, c) => {
                for x in [a, b, c].into_iter().flatten() {
                    self.expr(x);
                }
            }
            ExprKind::Call(f, args, kws) => {
                self.expr(f);
                args.iter().for_each(|a| self.expr(a));
                kws.iter().for_each(|(_, v)| self.expr(v));
            }
            ExprKind::Bin(_, a, b) | ExprKind::BoolOp(_, a, b) => {
                self.expr(a);
                self.expr(b);
            }
            ExprKind::Unary(_, a) | ExprKind::Starred(a) => self.expr(a),
            ExprKind::Compare(a, rest) => {
                self.expr(a);
                rest.iter().for_each(|(_, e)| self.expr(e));
            }
            ExprKind::IfExp(a, b, c) => {
                self.expr(a);
                self.expr(b);
                self.expr(c);
            }
            ExprKind::List(items) | ExprKind::Tuple(items) => {
                items.iter().for_each(|i| self.expr(i))
            }
            ExprKind::Dict(items) => items.iter().for_each(|(k, v)| {
                self.expr(k);
                self.expr(v);
            }),
            ExprKind::ListComp(elt, gens) => {
                self.comps(gens);
                self.expr(elt);
            }
            ExprKind::DictComp(k, v, gens) => {
                self.comps(gens);
                self.expr(k);
                self.expr(v);
            }
            ExprKind::Lambda(f) => self.func(f),
            ExprKind::FString(parts) => {
                for p in parts {
                    if let FPart::Expr(e, _, _) = p {
                        self.expr(e);
                    }
                }
            }
        }
    }
    /// The function's locals: parameters and assigned names, minus
    /// `global`/`nonlocal` ones.
    pub fn locals(&self, params: &[String]) -> Vec<String> {
        let mut out: Vec<String> = params.to_vec();
        for a in &self.assigned {
            if !out.contains(a) && !self.globals.contains(a) && !self.nonlocals.contains(a) {
                out.push(a.clone());
            }
        }
        out
    }
}

/// A function's scan with its parameters.
pub struct FnScan {
    /// What the body binds and uses.
    pub scan: Scan,
    /// Its parameters (and `*args`).
    pub params: Vec<String>,
}

impl FnScan {
    /// Names this function (or its children) needs from enclosing scopes.
    pub fn free(&self) -> HashSet<String> {
        let locals = self.scan.locals(&self.params);
        self.scan
            .used
            .iter()
            .chain(self.scan.child_free.iter())
            .chain(self.scan.nonlocals.iter())
            .filter(|n| !locals.contains(n) && !self.scan.globals.contains(*n))
            .cloned()
            .collect()
    }
}

/// Scans a function body.
pub fn scan_function(f: &FuncDef) -> FnScan {
    let mut scan = Scan::default();
    scan.stmts(&f.body);
    let mut params = f.params.clone();
    params.extend(f.vararg.iter().cloned());
    FnScan { scan, params }
}
