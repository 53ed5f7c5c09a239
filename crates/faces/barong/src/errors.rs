//! Barong's error bodies: `{"errors":["<code>", …]}` with the status its endpoint uses.

use axum::response::{IntoResponse, Response};
use http::StatusCode;
use keyhall_core::{DomainError, ErrorCode};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BarongError {
    pub status: StatusCode,
    pub errors: Vec<String>,
}

pub type Result<T, E = BarongError> = std::result::Result<T, E>;

impl BarongError {
    pub fn new(status: u16, code: impl Into<String>) -> Self {
        Self { status: StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR), errors: vec![code.into()] }
    }

    pub fn many(status: u16, codes: Vec<String>) -> Self {
        Self { status: StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR), errors: codes }
    }

    /// A request body over the limit.
    pub fn payload_too_large() -> Self {
        Self::new(413, "server.payload_too_large")
    }

    pub fn internal(e: impl std::fmt::Display) -> Self {
        tracing::error!(error = %e, "internal error");
        Self::new(500, "server.internal_error")
    }
}

impl IntoResponse for BarongError {
    fn into_response(self) -> Response {
        (
            self.status,
            [(http::header::CONTENT_TYPE, "application/json")],
            serde_json::json!({ "errors": self.errors }).to_string(),
        )
            .into_response()
    }
}

/// Errors the core raises that mean the same thing on every Barong endpoint; anything else
/// an endpoint must map itself (an unmapped one is a 500, logged).
impl From<DomainError> for BarongError {
    fn from(e: DomainError) -> Self {
        let field = e.field.as_deref().unwrap_or("").to_string();
        let detail = e.detail.clone().unwrap_or_default();
        match e.code {
            ErrorCode::PasswordRequirements => Self::new(422, "password.requirements"),
            ErrorCode::PasswordWeak => Self::new(422, "password.weak"),
            ErrorCode::EmailTaken => Self::new(422, "email.taken"),
            ErrorCode::UsernameTaken => Self::new(422, "username.taken"),
            ErrorCode::LabelKeyTaken => Self::new(422, "key.taken"),
            ErrorCode::UserNotFound | ErrorCode::LabelNotFound | ErrorCode::ApiKeyNotFound => Self::new(404, "record.not_found"),
            ErrorCode::InvalidParameter if !field.is_empty() && !detail.is_empty() && !detail.contains(' ') => {
                Self::new(422, format!("{field}.{detail}"))
            }
            // Model rules the core checked all at once: `first_name.invalid,state.exists`.
            ErrorCode::InvalidParameter
                if field.is_empty() && !detail.is_empty() && detail.split(',').all(|r| r.contains('.')) =>
            {
                Self::many(422, detail.split(',').map(str::to_string).collect())
            }
            _ => Self::internal(e),
        }
    }
}
