//! The names a VM author uses in nearly every file: `use objmodel::prelude::*;`.

pub use object_header::{
    AtomicRefcounter, CountError, CountWord, RefCount, RefcountError, RefcountedValue, Refcounter,
    Released,
};

pub use type_object::{Heap, HeapType, Object, ObjectError, Ref, RustType, TypeObject};
