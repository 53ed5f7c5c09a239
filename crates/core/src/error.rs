//! The core's one error type: a stable code from the catalogue, the parameter it concerns
//! (if any) and a human-readable detail. Faces turn it into their vendor's wire format.

use std::borrow::Cow;

pub use keyhall_types::ErrorCode;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DomainError {
    pub code: ErrorCode,
    /// The request parameter or field the error is about, in the core's vocabulary
    /// (faces may rename it to their own parameter names).
    pub field: Option<Cow<'static, str>>,
    /// A sentence for the caller, or for internal errors the cause for the log only.
    pub detail: Option<String>,
}

pub type Result<T, E = DomainError> = std::result::Result<T, E>;

impl DomainError {
    pub fn new(code: ErrorCode) -> Self {
        Self { code, field: None, detail: None }
    }

    pub fn field(mut self, field: impl Into<Cow<'static, str>>) -> Self {
        self.field = Some(field.into());
        self
    }

    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    pub fn invalid(field: impl Into<Cow<'static, str>>, detail: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidParameter).field(field).detail(detail)
    }

    pub fn missing(field: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::MissingParameter).field(field)
    }

    /// An unexpected failure (storage down, corrupt row, …). The detail is for the log only;
    /// faces must never echo it.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        Self::new(ErrorCode::Internal).detail(cause.to_string())
    }

    pub fn is(&self, code: ErrorCode) -> bool {
        self.code == code
    }
}

impl std::fmt::Display for DomainError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.code)?;
        if let Some(field) = &self.field {
            write!(f, " ({field})")?;
        }
        if let Some(detail) = &self.detail {
            write!(f, ": {detail}")?;
        }
        Ok(())
    }
}

impl std::error::Error for DomainError {}

impl From<ErrorCode> for DomainError {
    fn from(code: ErrorCode) -> Self {
        Self::new(code)
    }
}
