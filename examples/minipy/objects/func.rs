//! Callables: user functions with their closures, cells, built-in
//! functions and types, bound methods.

use core::cell::RefCell;
use std::rc::Rc;

use objmodel::cycles::traverse::{gc_type, Clear, Traverse, VisitResult, Visitor};
use objmodel::{RustType, TypeObject};

use crate::compiler::Code;
use crate::obj::Obj;
use crate::vm::PyResult;

/// `function`.
pub static FUNCTION: RustType<Function> = gc_type("function");
/// `cell` (a closed-over variable).
pub static CELL: RustType<Cell> = gc_type("cell");
/// `builtin_function_or_method`.
pub static BUILTIN: RustType<Builtin> = gc_type("builtin_function_or_method");
/// `method` (a function bound to an instance).
pub static METHOD: RustType<Method> = gc_type("method");
/// The built-in types (`int`, `str`, `list`, ...) as callable values.
pub static BUILTIN_TYPE: RustType<BuiltinType> = RustType::new("type");

/// A user function.
pub struct Function {
    /// Its compiled body.
    pub code: Rc<Code>,
    /// The module namespace it runs in.
    pub globals: Obj,
    /// Default values of its last parameters.
    pub defaults: Vec<Obj>,
    /// The cells of its free variables.
    pub closure: Vec<Obj>,
}

impl Traverse for Function {
    fn traverse(&self, visitor: &mut Visitor<'_>) -> VisitResult {
        self.globals.traverse(visitor)?;
        self.defaults.traverse(visitor)?;
        self.closure.traverse(visitor)
    }
}

/// A function's references are fixed; cycles through it are broken by
/// clearing the dicts and cells it refers to.
impl Clear for Function {
    fn clear(&self) {}
}

/// A cell: one closed-over variable, shared by the frames that use it.
#[derive(Default)]
pub struct Cell(pub RefCell<Option<Obj>>);

impl Traverse for Cell {
    fn traverse(&self, visitor: &mut Visitor<'_>) -> VisitResult {
        self.0.traverse(visitor)
    }
}

impl Clear for Cell {
    fn clear(&self) {
        self.0.clear();
    }
}

/// A built-in function: positional arguments (a bound one gets its
/// receiver first) and keyword arguments as (name, value).
pub type BuiltinFn = fn(&[Obj], &[(Obj, Obj)]) -> PyResult<Obj>;

/// A built-in function or method.
pub struct Builtin {
    /// Its name.
    pub name: &'static str,
    /// The code.
    pub f: BuiltinFn,
    /// The receiver of a bound method (`[].append`).
    pub bound: Option<Obj>,
}

impl Traverse for Builtin {
    fn traverse(&self, visitor: &mut Visitor<'_>) -> VisitResult {
        self.bound.traverse(visitor)
    }
}

impl Clear for Builtin {
    fn clear(&self) {}
}

/// A built-in type as a value: `int`, `str`, ... (callable, and the second
/// argument of `isinstance`).
pub struct BuiltinType {
    /// Its name.
    pub name: &'static str,
    /// The objmodel type of its instances (null for `object`).
    pub tp: *const TypeObject,
    /// What calling it does.
    pub ctor: BuiltinFn,
}

/// A function bound to its instance.
pub struct Method {
    /// The function.
    pub func: Obj,
    /// The instance.
    pub receiver: Obj,
}

impl Traverse for Method {
    fn traverse(&self, visitor: &mut Visitor<'_>) -> VisitResult {
        self.func.traverse(visitor)?;
        self.receiver.traverse(visitor)
    }
}

impl Clear for Method {
    fn clear(&self) {}
}

/// A new cell holding `value`.
pub fn cell(value: Option<Obj>) -> Obj {
    Obj::new_gc(&CELL, Cell(RefCell::new(value)))
}

/// A new built-in function object.
pub fn builtin(name: &'static str, f: BuiltinFn, bound: Option<Obj>) -> Obj {
    Obj::new_gc(&BUILTIN, Builtin { name, f, bound })
}
