//! The errors of the type layer: every message names the object's type,
//! its address and its count.

use core::fmt;

use object_header::CountError;

/// An operation on an object was refused; nothing was changed or freed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ObjectError {
    /// The count word refused a decrement (CPython's `_Py_NegativeRefcount`).
    NegativeRefcount {
        /// The object's type name (`"<freed>"` when the type pointer was
        /// poisoned).
        type_name: &'static str,
        /// The object's address.
        addr: usize,
        /// What the count word reported.
        cause: CountError,
    },
    /// A type failed `PyType_Ready`'s checks.
    BadType {
        /// The type's `tp_name`.
        type_name: &'static str,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// Checked mode: a block that is not a live object was deallocated or
    /// freed (a double dealloc or a free of a foreign pointer).
    NotLive {
        /// The type name recorded when the block was last freed, if any.
        type_name: &'static str,
        /// The block's address.
        addr: usize,
    },
    /// Checked mode: an immortal object reached dealloc.
    DeallocOfImmortal {
        /// The object's type name.
        type_name: &'static str,
        /// The object's address.
        addr: usize,
        /// Its count.
        count: isize,
    },
    /// Checked mode: `tp_dealloc` returned without freeing the object.
    DeallocLeftAllocated {
        /// The object's type name.
        type_name: &'static str,
        /// The object's address.
        addr: usize,
    },
}

impl fmt::Display for ObjectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ObjectError::NegativeRefcount {
                type_name,
                addr,
                cause,
            } => write!(f, "`{type_name}` object at {addr:#x}: {cause}"),
            ObjectError::BadType { type_name, reason } => {
                write!(f, "type `{type_name}` is not ready: {reason}")
            }
            ObjectError::NotLive { type_name, addr } => write!(
                f,
                "`{type_name}` block at {addr:#x} is not a live object (count 0): \
                 double dealloc or foreign pointer"
            ),
            ObjectError::DeallocOfImmortal {
                type_name,
                addr,
                count,
            } => write!(
                f,
                "`{type_name}` object at {addr:#x} is immortal (count {count}) and must \
                 never be deallocated"
            ),
            ObjectError::DeallocLeftAllocated { type_name, addr } => write!(
                f,
                "tp_dealloc of `{type_name}` returned but the object at {addr:#x} is still \
                 allocated (count 0): it must end with tp_free"
            ),
        }
    }
}

impl core::error::Error for ObjectError {}
