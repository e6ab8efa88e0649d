//! The object header: a count word, then the type pointer.

use core::mem::{align_of, offset_of, size_of};

use object_header::CountWord;

use crate::type_object::TypeObject;

/// The header every object starts with. Mirrors `PyObject` of CPython 3.14's
/// default build ([Include/object.h](https://github.com/python/cpython/blob/v3.14.0/Include/object.h)).
///
/// ```text
///  0                8                16
/// +----------------+----------------+---------------
/// | ob_refcnt      | ob_type        | payload ...
/// | (CountWord)    | *mut TypeObject|
/// +----------------+----------------+---------------
/// ```
///
/// An object struct is `#[repr(C)]` with an `Object` as its first field
/// (invariant T1), so a pointer to the object is a pointer to its header, as
/// in C.
///
/// # Examples
/// ```
/// use type_object::Object;
///
/// #[repr(C)]
/// struct Point {
///     ob_base: Object,
///     x: f64,
///     y: f64,
/// }
/// assert_eq!(core::mem::size_of::<Point>(), 32);
/// ```
#[repr(C)]
pub struct Object {
    /// The reference count word.
    pub ob_refcnt: CountWord,
    /// The object's type; for an instance of a heap type, a counted
    /// reference (T3).
    pub ob_type: *mut TypeObject,
}

// T1: CPython's 16-byte header, the type pointer at offset 8, so object
// layouts written against CPython's carry over.
const _: () = assert!(size_of::<Object>() == 16);
const _: () = assert!(align_of::<Object>() == 8);
const _: () = assert!(offset_of!(Object, ob_type) == 8);
// Freeing an object's block never runs a destructor on its header.
const _: () = assert!(!core::mem::needs_drop::<Object>());

impl Object {
    /// A header for a statically allocated immortal object of type `ty`, for
    /// `static` initialisers. Mirrors `PyObject_HEAD_INIT`.
    pub const fn new_static(ty: *const TypeObject) -> Object {
        Object {
            ob_refcnt: CountWord::new_static_immortal(),
            ob_type: ty.cast_mut(),
        }
    }
}
