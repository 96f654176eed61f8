//! The one error type of the core.
//!
//! [`Error`] is opaque: callers match on [`Error::kind`], so new kinds can be
//! added without breaking them. The Python layer maps each kind to one
//! exception class in `src/python/errors.rs`.

use std::fmt;

/// What went wrong, in broad strokes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A parameter is out of range or inconsistent.
    InvalidParameter,
    /// The input cannot be analysed as given (e.g. wrong embedding shape).
    InvalidInput,
    /// A model file is damaged, from a newer schema, or not a model at all.
    ModelFormat,
    /// The run was interrupted (Ctrl-C, kernel interrupt).
    Cancelled,
    /// An analyst edit names a problem that does not exist, or is otherwise invalid.
    InvalidEdit,
}

/// An error from painpoints' core.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    kind: ErrorKind,
    message: String,
}

impl Error {
    pub(crate) fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error { kind, message: message.into() }
    }
    pub(crate) fn param(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidParameter, message)
    }
    pub(crate) fn input(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::InvalidInput, message)
    }
    pub(crate) fn format(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::ModelFormat, message)
    }
    pub(crate) fn edit(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidEdit, message)
    }
    pub(crate) fn cancelled() -> Self {
        Self::new(ErrorKind::Cancelled, "interrupted")
    }
    /// The broad kind of this error.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }
    /// The human-readable message, saying what to do where possible.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

/// Result alias used across the core.
pub type Result<T> = std::result::Result<T, Error>;
