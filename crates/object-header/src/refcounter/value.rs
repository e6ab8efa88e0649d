//! [`RefcountedValue`]: a value readable only while referenced.

use core::ops::Deref;

use super::plain::Refcounter;
use crate::error::RefcountError;

/// A value guarded by a [`Refcounter`]: it can be borrowed only while the
/// count is above zero. Mirrors pyrefcount's `RefcountedValue`, whose
/// `.value` raises `NameError('Value referenced with no reference count')`
/// at 0; here the borrow returns [`RefcountError::Unreferenced`].
///
/// The counter is reachable through `Deref`, so `inc`, `dec` and the rest
/// are called on the value directly.
///
/// # Examples
/// ```
/// use object_header::{RefcountError, RefcountedValue};
///
/// let flag = RefcountedValue::new(true);
/// assert_eq!(flag.value(), Ok(&true));
/// flag.dec()?;
/// assert_eq!(flag.value(), Err(RefcountError::Unreferenced));
/// # Ok::<(), RefcountError>(())
/// ```
#[derive(Debug)]
pub struct RefcountedValue<T> {
    counter: Refcounter,
    value: T,
}

impl<T> RefcountedValue<T> {
    /// `value` with one reference, pyrefcount's default.
    pub fn new(value: T) -> Self {
        Self::with_counter(value, Refcounter::default())
    }

    /// `value` guarded by `counter`, which brings its initial count and
    /// callbacks.
    pub fn with_counter(value: T, counter: Refcounter) -> Self {
        RefcountedValue { counter, value }
    }

    /// Borrows the value.
    ///
    /// # Errors
    /// [`RefcountError::Unreferenced`] while the count is 0.
    pub fn value(&self) -> Result<&T, RefcountError> {
        self.check()?;
        Ok(&self.value)
    }

    /// Borrows the value mutably.
    ///
    /// # Errors
    /// [`RefcountError::Unreferenced`] while the count is 0.
    pub fn value_mut(&mut self) -> Result<&mut T, RefcountError> {
        self.check()?;
        Ok(&mut self.value)
    }

    /// Replaces the value, as pyrefcount's `.value` setter.
    ///
    /// # Errors
    /// [`RefcountError::Unreferenced`] while the count is 0; the value is
    /// not replaced.
    pub fn set_value(&mut self, value: T) -> Result<(), RefcountError> {
        *self.value_mut()? = value;
        Ok(())
    }

    /// The value, whatever the count, consuming the guard.
    pub fn into_inner(self) -> T {
        self.value
    }

    fn check(&self) -> Result<(), RefcountError> {
        if self.counter.usecount() == 0 {
            Err(RefcountError::Unreferenced)
        } else {
            Ok(())
        }
    }
}

impl<T> Deref for RefcountedValue<T> {
    type Target = Refcounter;

    fn deref(&self) -> &Refcounter {
        &self.counter
    }
}
