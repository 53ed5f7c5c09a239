//! The 1Kosmos error body, always plain JSON: `{"statusCode", "error", "message"}`, with the
//! status the seed documents (400 validation, 401 credentials, 403 role, 404, 409, 429, 500).

use axum::response::{IntoResponse, Response};
use http::StatusCode;
use keyhall_core::{DomainError, ErrorCode, ErrorKind};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminxError {
    pub status: StatusCode,
    pub message: String,
    /// Seconds to wait before trying again (`Retry-After`).
    pub retry_after: Option<i64>,
}

pub type Result<T, E = AdminxError> = std::result::Result<T, E>;

impl AdminxError {
    pub fn new(status: u16, message: impl Into<String>) -> Self {
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        Self { status, message: message.into(), retry_after: None }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(400, message)
    }

    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(401, message)
    }

    pub fn forbidden() -> Self {
        Self::new(403, "You are not authorized to perform this action")
    }

    pub fn not_found(what: &str) -> Self {
        Self::new(404, format!("{what} not found"))
    }

    /// A required field is absent or empty.
    pub fn missing(field: &str) -> Self {
        Self::bad_request(format!("\"{field}\" is required"))
    }

    pub fn internal(e: impl std::fmt::Display) -> Self {
        tracing::error!(error = %e, "internal error");
        Self::new(500, "Internal server error")
    }
}

impl IntoResponse for AdminxError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({
            "statusCode": self.status.as_u16(),
            "error": self.status.canonical_reason().unwrap_or("Error"),
            "message": self.message,
        });
        let mut response = (self.status, [(http::header::CONTENT_TYPE, "application/json")], body.to_string()).into_response();
        if let Some(wait) = self.retry_after {
            response.headers_mut().insert(http::header::RETRY_AFTER, wait.into());
        }
        response
    }
}

/// Core errors by kind, in words a 1Kosmos client shows its user.
impl From<DomainError> for AdminxError {
    fn from(e: DomainError) -> Self {
        let field = e.field.as_deref().unwrap_or("value").to_string();
        if let Some(v) = e.violations.first() {
            return Self::bad_request(format!("\"{}\" {}", v.field, v.rule.describe()));
        }
        let message = |fallback: String| e.detail.clone().unwrap_or(fallback);
        match e.code {
            ErrorCode::MissingParameter => return Self::missing(&field),
            ErrorCode::InvalidCredentials => return Self::unauthorized("Invalid username or password"),
            ErrorCode::InvalidToken => {
                return Self::unauthorized(format!("Invalid or expired {}", e.field.as_deref().unwrap_or("token")));
            }
            ErrorCode::LicenseInvalid => return Self::unauthorized("Invalid licensekey"),
            ErrorCode::AccountLocked => {
                let wait = e.retry_after.map(|w| w.whole_seconds().max(1));
                return Self { retry_after: wait, ..Self::unauthorized("User is locked") };
            }
            _ => {}
        }
        match e.kind() {
            ErrorKind::NotFound => Self::new(404, message(format!("{} not found", entity(e.code)))),
            ErrorKind::Invalid if e.code == ErrorCode::PasswordRequirements => Self::bad_request(format!(
                "Password does not meet the password policy: {}",
                e.detail.as_deref().unwrap_or("see /pwd-policy/fetch")
            )),
            ErrorKind::Invalid => Self::bad_request(match (&e.field, &e.detail) {
                (Some(f), Some(d)) => format!("\"{f}\" {d}"),
                (None, Some(d)) => d.clone(),
                _ => format!("\"{field}\" is not valid"),
            }),
            ErrorKind::Unauthenticated => Self::unauthorized(message("Unauthorized".into())),
            ErrorKind::Forbidden => match &e.detail {
                Some(d) => Self::new(403, d.clone()),
                None => Self::forbidden(),
            },
            ErrorKind::Conflict => Self::new(409, message(format!("{field} already exists"))),
            ErrorKind::RateLimited => Self {
                retry_after: Some(e.retry_after.map(|w| w.whole_seconds().max(1)).unwrap_or(1)),
                ..Self::new(429, "Too many requests, try again later")
            },
            ErrorKind::Unavailable => {
                tracing::warn!(error = %e, "keyhall or a service it depends on is unavailable");
                Self::new(503, "Service unavailable, try again later")
            }
            ErrorKind::Internal => Self::internal(e),
        }
    }
}

/// The thing a catalogue code is about, in words: `auth_module.not_found` → "Auth module".
fn entity(code: ErrorCode) -> String {
    let name = code.as_str().split('.').next().unwrap_or("record").replace('_', " ");
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => "Record".into(),
    }
}
