//! The built-in modules `sys`, `gc` and `weakref`.

use objmodel::cpython::PyWeakref_NewRef;
use objmodel::cycles::collector::with_default;

use crate::builtins::{arity, int_arg, intern, Exc};
use crate::obj::Obj;
use crate::objects::func::{builtin, BuiltinFn};
use crate::objects::{self, bool_obj, int, none, Dict, Module, MODULE};
use crate::ops::{self};
use crate::vm::{err, PyResult};

// ---- modules ------------------------------------------------------------------------------------

fn sys_getrefcount(a: &[Obj], _: &[(Obj, Obj)]) -> PyResult<Obj> {
    arity("getrefcount", a, 1, 1)?;
    // The argument's own reference is the one the call holds, as in
    // CPython (where it is the caller's stack slot).
    Ok(int(a[0].refcnt() as i64))
}

fn sys_is_immortal(a: &[Obj], _: &[(Obj, Obj)]) -> PyResult<Obj> {
    arity("_is_immortal", a, 1, 1)?;
    Ok(bool_obj(a[0].is_immortal()))
}

fn sys_getrecursionlimit(_: &[Obj], _: &[(Obj, Obj)]) -> PyResult<Obj> {
    Ok(int(1000))
}

fn gc_collect(a: &[Obj], _: &[(Obj, Obj)]) -> PyResult<Obj> {
    arity("collect", a, 0, 1)?;
    let generation = match a.first() {
        Some(g) => int_arg(g, "generation")?,
        None => 2,
    };
    if !(0..=2).contains(&generation) {
        return Err(err(Exc::ValueError, "invalid generation"));
    }
    Ok(int(with_default(|c| c.collect(generation as i32)) as i64))
}

fn gc_get_count(_: &[Obj], _: &[(Obj, Obj)]) -> PyResult<Obj> {
    let (a, b, c) = with_default(|c| c.get_count());
    Ok(objects::tuple(vec![
        int(a as i64),
        int(b as i64),
        int(c as i64),
    ]))
}

fn gc_freeze(_: &[Obj], _: &[(Obj, Obj)]) -> PyResult<Obj> {
    with_default(|c| c.freeze());
    Ok(none())
}

fn gc_unfreeze(_: &[Obj], _: &[(Obj, Obj)]) -> PyResult<Obj> {
    with_default(|c| c.unfreeze());
    Ok(none())
}

fn gc_get_freeze_count(_: &[Obj], _: &[(Obj, Obj)]) -> PyResult<Obj> {
    Ok(int(with_default(|c| c.get_freeze_count()) as i64))
}

fn gc_is_tracked(a: &[Obj], _: &[(Obj, Obj)]) -> PyResult<Obj> {
    arity("is_tracked", a, 1, 1)?;
    // SAFETY: the argument is live for the call.
    Ok(bool_obj(unsafe {
        objmodel::cpython::gc::is_tracked(a[0].as_ptr())
    }))
}

fn gc_enable(_: &[Obj], _: &[(Obj, Obj)]) -> PyResult<Obj> {
    with_default(|c| c.enable());
    Ok(none())
}

fn gc_disable(_: &[Obj], _: &[(Obj, Obj)]) -> PyResult<Obj> {
    with_default(|c| c.disable());
    Ok(none())
}

fn gc_isenabled(_: &[Obj], _: &[(Obj, Obj)]) -> PyResult<Obj> {
    Ok(bool_obj(with_default(|c| c.isenabled())))
}

fn weakref_ref(a: &[Obj], _: &[(Obj, Obj)]) -> PyResult<Obj> {
    arity("ref", a, 1, 1)?;
    // SAFETY: T3: the type of a live object is live.
    let offset = unsafe { (*a[0].ty()).tp_weaklistoffset };
    if offset <= 0 {
        return Err(err(
            Exc::TypeError,
            format!(
                "cannot create weak reference to '{}' object",
                a[0].type_name()
            ),
        ));
    }
    // SAFETY: a live object whose type has a weak-reference list and whose
    // dealloc clears it; no callback.
    let wr = unsafe { PyWeakref_NewRef(a[0].as_ptr(), core::ptr::null_mut()) };
    // SAFETY: `PyWeakref_NewRef` returns a new reference.
    Ok(unsafe { Obj::from_owned(wr) })
}

fn weakref_getweakrefcount(a: &[Obj], _: &[(Obj, Obj)]) -> PyResult<Obj> {
    arity("getweakrefcount", a, 1, 1)?;
    // SAFETY: the argument is live for the call.
    let n = unsafe { objmodel::cycles::weakref::getweakrefcount(a[0].as_ptr()) };
    Ok(int(n as i64))
}

fn module(name: &'static str, funcs: &[(&'static str, BuiltinFn)], extra: &[(&str, Obj)]) -> Obj {
    let d = objects::dict(Dict::new());
    d.make_immortal();
    for (n, f) in funcs {
        let b = builtin(n, *f, None);
        b.make_immortal();
        let _ = ops::dict_set(&d, intern(n), b);
    }
    for (n, v) in extra {
        v.make_immortal();
        let _ = ops::dict_set(&d, intern(n), v.clone());
    }
    let m = Obj::new_gc(&MODULE, Module { name, dict: d });
    m.make_immortal();
    m
}

/// Creates the built-in modules (immortal, as all of the runtime).
pub fn make_modules() -> Vec<(&'static str, Obj)> {
    let argv = objects::list(vec![intern("minipy")]);
    argv.make_immortal();
    let modules = vec![
        (
            "sys",
            module(
                "sys",
                &[
                    ("getrefcount", sys_getrefcount),
                    ("_is_immortal", sys_is_immortal),
                    ("getrecursionlimit", sys_getrecursionlimit),
                ],
                &[("argv", argv), ("maxsize", int(i64::MAX))],
            ),
        ),
        (
            "gc",
            module(
                "gc",
                &[
                    ("collect", gc_collect),
                    ("get_count", gc_get_count),
                    ("freeze", gc_freeze),
                    ("unfreeze", gc_unfreeze),
                    ("get_freeze_count", gc_get_freeze_count),
                    ("is_tracked", gc_is_tracked),
                    ("enable", gc_enable),
                    ("disable", gc_disable),
                    ("isenabled", gc_isenabled),
                ],
                &[],
            ),
        ),
        (
            "weakref",
            module(
                "weakref",
                &[
                    ("ref", weakref_ref),
                    ("getweakrefcount", weakref_getweakrefcount),
                ],
                &[],
            ),
        ),
    ];
    modules
}
