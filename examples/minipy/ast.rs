//! The syntax tree the parser builds and the compiler reads.

/// A literal.
#[derive(Debug, Clone, PartialEq)]
pub enum Const {
    /// `None`.
    None,
    /// `True` / `False`.
    Bool(bool),
    /// An int.
    Int(i64),
    /// A float.
    Float(f64),
    /// A string.
    Str(String),
}

/// A binary operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
    /// `//`
    FloorDiv,
    /// `%`
    Mod,
    /// `**`
    Pow,
    /// `&`
    And,
    /// `|`
    Or,
    /// `^`
    Xor,
    /// `<<`
    Shl,
    /// `>>`
    Shr,
}

/// A unary operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnOp {
    /// `-x`
    Neg,
    /// `+x`
    Pos,
    /// `not x`
    Not,
    /// `~x`
    Invert,
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `is`
    Is,
    /// `is not`
    IsNot,
    /// `in`
    In,
    /// `not in`
    NotIn,
}

/// One `for ... in ... if ...` clause of a comprehension.
#[derive(Debug, Clone)]
pub struct Comp {
    /// The loop target.
    pub target: Expr,
    /// The iterable.
    pub iter: Expr,
    /// The `if` filters.
    pub ifs: Vec<Expr>,
}

/// A piece of an f-string.
#[derive(Debug, Clone)]
pub enum FPart {
    /// Literal text.
    Lit(String),
    /// `{expr!conv:spec}`.
    Expr(Box<Expr>, Option<char>, String),
}

/// An expression with its line.
#[derive(Debug, Clone)]
pub struct Expr {
    /// What it is.
    pub kind: ExprKind,
    /// Its line.
    pub line: u32,
}

/// The expression forms.
#[derive(Debug, Clone)]
#[allow(missing_docs)]
pub enum ExprKind {
    Const(Const),
    Name(String),
    Attr(Box<Expr>, String),
    Subscript(Box<Expr>, Box<Expr>),
    Slice(Option<Box<Expr>>, Option<Box<Expr>>, Option<Box<Expr>>),
    Call(Box<Expr>, Vec<Expr>, Vec<(String, Expr)>),
    /// `*iterable` among a call's positional arguments.
    Starred(Box<Expr>),
    Bin(BinOp, Box<Expr>, Box<Expr>),
    Unary(UnOp, Box<Expr>),
    /// `and` (true) / `or` (false).
    BoolOp(bool, Box<Expr>, Box<Expr>),
    Compare(Box<Expr>, Vec<(CmpOp, Expr)>),
    IfExp(Box<Expr>, Box<Expr>, Box<Expr>),
    List(Vec<Expr>),
    Tuple(Vec<Expr>),
    Dict(Vec<(Expr, Expr)>),
    ListComp(Box<Expr>, Vec<Comp>),
    DictComp(Box<Expr>, Box<Expr>, Vec<Comp>),
    Lambda(Box<FuncDef>),
    FString(Vec<FPart>),
}

/// An `except` clause.
#[derive(Debug, Clone)]
pub struct Handler {
    /// The exception type matched, or none for a bare `except:`.
    pub typ: Option<Expr>,
    /// `as name`.
    pub name: Option<String>,
    /// The body.
    pub body: Vec<Stmt>,
    /// Its line.
    pub line: u32,
}

/// A function definition (also a lambda's).
#[derive(Debug, Clone)]
pub struct FuncDef {
    /// Its name.
    pub name: String,
    /// Positional parameter names.
    pub params: Vec<String>,
    /// Defaults of the last parameters.
    pub defaults: Vec<Expr>,
    /// `*args`.
    pub vararg: Option<String>,
    /// The body (a lambda's is one `return`).
    pub body: Vec<Stmt>,
}

/// A statement with its line.
#[derive(Debug, Clone)]
pub struct Stmt {
    /// What it is.
    pub kind: StmtKind,
    /// Its line.
    pub line: u32,
}

/// The statement forms.
#[derive(Debug, Clone)]
#[allow(missing_docs)]
pub enum StmtKind {
    Expr(Expr),
    Assign(Vec<Expr>, Expr),
    AugAssign(Expr, BinOp, Expr),
    If(Expr, Vec<Stmt>, Vec<Stmt>),
    While(Expr, Vec<Stmt>, Vec<Stmt>),
    For(Expr, Expr, Vec<Stmt>, Vec<Stmt>),
    Def(Box<FuncDef>),
    Class(String, Vec<Expr>, Vec<Stmt>),
    Return(Option<Expr>),
    Break,
    Continue,
    Pass,
    Del(Vec<Expr>),
    Global(Vec<String>),
    Nonlocal(Vec<String>),
    Raise(Option<Expr>),
    Try(Vec<Stmt>, Vec<Handler>, Vec<Stmt>, Vec<Stmt>),
    Import(Vec<(String, Option<String>)>),
    Assert(Expr, Option<Expr>),
}
