//! Barong's error bodies: `{"errors":["<code>", …]}` with the status its endpoint uses.

use axum::response::{IntoResponse, Response};
use http::StatusCode;
use keyhall_core::{DomainError, ErrorCode, ErrorKind, Rule, Violation};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BarongError {
    pub status: StatusCode,
    pub errors: Vec<String>,
    /// Seconds to wait before trying again (`Retry-After`).
    pub retry_after: Option<i64>,
}

pub type Result<T, E = BarongError> = std::result::Result<T, E>;

impl BarongError {
    pub fn new(status: u16, code: impl Into<String>) -> Self {
        Self::many(status, vec![code.into()])
    }

    pub fn many(status: u16, codes: Vec<String>) -> Self {
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        Self { status, errors: codes, retry_after: None }
    }

    /// With `Retry-After` (whole seconds, at least one) when the core said how long to wait.
    pub fn retry_after(self, wait: Option<time::Duration>) -> Self {
        Self { retry_after: wait.map(|w| w.whole_seconds().max(1)), ..self }
    }

    /// Too many attempts: Barong's answer to a locked account, wherever a secret is guessed.
    pub fn too_many_attempts(wait: time::Duration) -> Self {
        Self::new(429, "identity.session.too_many_attempts").retry_after(Some(wait))
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
        let mut response = (
            self.status,
            [(http::header::CONTENT_TYPE, "application/json")],
            serde_json::json!({ "errors": self.errors }).to_string(),
        )
            .into_response();
        if let Some(wait) = self.retry_after {
            response.headers_mut().insert(http::header::RETRY_AFTER, wait.into());
        }
        response
    }
}

/// A broken model rule as Barong words it: `<field>.<rule>`, with the messages of its file
/// uploader and country check where Barong has them.
pub fn violation(v: &Violation) -> String {
    let message = match &v.rule {
        Rule::CountryCode => "must have alpha2 or alpha3 format".to_string(),
        Rule::FileType { extension, allowed } => {
            format!("You are not allowed to upload {extension:?} files, allowed types: {}", allowed.join(", "))
        }
        Rule::FileEmpty => "File size should be greater than 1 Byte".to_string(),
        Rule::FileTooLarge { max_bytes } => format!("File size should be less than {} MB", max_bytes / (1024 * 1024)),
        rule => rule.name().to_string(),
    };
    format!("{}.{message}", v.field)
}

/// Every rule a request broke, in Barong's words (422).
pub fn violations(list: &[Violation]) -> BarongError {
    BarongError::many(422, list.iter().map(violation).collect())
}

/// Core errors as Barong answers them on any endpoint: the codes whose words Barong shares
/// everywhere, then every other code by its kind. Endpoints whose Barong words differ map
/// those codes first; nothing a face leaves unmapped becomes a 500 unless it is internal.
impl From<DomainError> for BarongError {
    fn from(e: DomainError) -> Self {
        if !e.violations.is_empty() {
            return violations(&e.violations);
        }
        let field = e.field.as_deref().unwrap_or("record");
        match e.code {
            ErrorCode::PasswordRequirements => Self::new(422, "password.requirements"),
            ErrorCode::PasswordWeak => Self::new(422, "password.weak"),
            ErrorCode::EmailTaken => Self::new(422, "email.taken"),
            ErrorCode::UsernameTaken => Self::new(422, "username.taken"),
            ErrorCode::LabelKeyTaken => Self::new(422, "key.taken"),
            ErrorCode::MissingParameter => Self::new(422, format!("{field}.missing")),
            _ => match e.kind() {
                ErrorKind::NotFound => Self::new(404, "record.not_found"),
                ErrorKind::Invalid => Self::new(422, format!("{field}.invalid")),
                ErrorKind::Conflict => Self::new(422, format!("{field}.taken")),
                ErrorKind::Unauthenticated => Self::new(401, "authz.invalid_session"),
                ErrorKind::Forbidden => Self::new(403, "authz.invalid_permission"),
                ErrorKind::RateLimited => Self::too_many_attempts(e.retry_after.unwrap_or(time::Duration::SECOND)),
                ErrorKind::Unavailable => {
                    tracing::warn!(error = %e, "keyhall or a service it depends on is unavailable");
                    Self::new(503, "server.unavailable").retry_after(e.retry_after)
                }
                ErrorKind::Internal => Self::internal(e),
            },
        }
    }
}
