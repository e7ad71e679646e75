//! Locking the sandbox's shared state.

use std::sync::{Mutex, MutexGuard, PoisonError};

/// Locks a mutex; a poisoned lock (a panic elsewhere) still yields the data,
/// which every handler leaves consistent between statements.
pub(crate) fn locked<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
