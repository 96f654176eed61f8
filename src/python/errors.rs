//! Core errors to Python exceptions, in one place.
//!
//! The exception classes are defined in `painpoints/_errors.py` (so they can
//! subclass both `PainpointsError` and `ValueError`); this maps each
//! [`ErrorKind`] to one of them.

use crate::error::{Error, ErrorKind};
use pyo3::exceptions::{PyKeyboardInterrupt, PyValueError};
use pyo3::prelude::*;

fn class_name(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::InvalidParameter => "ParameterError",
        ErrorKind::InvalidInput => "InputError",
        ErrorKind::ModelFormat => "ModelFormatError",
        ErrorKind::InvalidEdit => "EditError",
        ErrorKind::Cancelled => "KeyboardInterrupt",
    }
}

/// Convert a core error into the matching Python exception.
pub fn to_py(py: Python<'_>, err: Error) -> PyErr {
    if err.kind() == ErrorKind::Cancelled {
        return PyKeyboardInterrupt::new_err("painpoints run interrupted");
    }
    let name = class_name(err.kind());
    match py.import("painpoints._errors").and_then(|m| m.getattr(name)) {
        Ok(cls) => PyErr::from_value(
            cls.call1((err.message().to_string(),)).unwrap_or_else(|e| e.into_value(py).into_bound(py).into_any()),
        ),
        Err(_) => PyValueError::new_err(err.message().to_string()),
    }
}
