//! Debug bookkeeping of checked mode under CPython's names
//! (`Objects/object.c` of a `Py_DEBUG` build).

use super::Py_ssize_t;
use type_object::alloc::with_default_heap;

/// The references held to live mortal objects of this thread's default
/// heap, or −1 when checked mode is off (`OBJMODEL_CHECKED=1` turns it on).
/// Mirrors `_Py_GetRefTotal` / `sys.gettotalrefcount()`
/// ([Objects/object.c](https://github.com/python/cpython/blob/v3.14.0/Objects/object.c)),
/// which exist only in debug builds; wraps
/// [`Heap::ref_total`](type_object::Heap::ref_total).
///
/// # Examples
/// ```
/// use objmodel::cpython::_Py_GetRefTotal;
///
/// let total = _Py_GetRefTotal();
/// // -1 unless the test runs with OBJMODEL_CHECKED=1.
/// assert!(total >= -1);
/// ```
pub fn _Py_GetRefTotal() -> Py_ssize_t {
    with_default_heap(|heap| heap.ref_total()).unwrap_or(-1)
}
