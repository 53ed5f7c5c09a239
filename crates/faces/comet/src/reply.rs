//! What handlers return, and how it goes on the wire: the `ApiResponse` envelope
//! `{status, code, data}` for JSON endpoints, a bare body for the plain-text ones.

use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode, header};
use keyhall_core::DomainError;
use serde_json::{Value, json};

use crate::endpoints::Encoding;

pub const TEXT_PLAIN: &str = "text/plain;charset=UTF-8";

pub enum Reply {
    /// `data` of a 200 envelope.
    Data(Value),
    /// `data` of a 200 envelope, already serialized to JSON.
    Json(Vec<u8>),
    /// A plain-text body.
    Text(String),
    /// A body of its own type (reports and legacy exports).
    File { content_type: &'static str, body: Vec<u8>, filename: Option<String> },
    /// A 301 redirect with a short text body.
    Redirect(String),
}

impl Reply {
    pub fn ok() -> Self {
        Reply::Data(Value::String("OK".into()))
    }

    pub fn null() -> Self {
        Reply::Data(Value::Null)
    }

    /// Serializes `value` straight to JSON text (no intermediate `Value` tree).
    pub fn data<T: serde::Serialize>(value: T) -> Self {
        match serde_json::to_vec(&value) {
            Ok(bytes) => Reply::Json(bytes),
            Err(_) => Reply::Data(Value::Null),
        }
    }

    pub fn into_response(self, encoding: Encoding) -> Response {
        match self {
            Reply::Data(data) => match encoding {
                Encoding::Json => envelope(StatusCode::OK, data),
                // A plain-text endpoint that returns structured data sends it as JSON text.
                Encoding::Text => text(StatusCode::OK, data.to_string()),
            },
            Reply::Json(data) => match encoding {
                Encoding::Json => {
                    let mut body = Vec::with_capacity(data.len() + 40);
                    body.extend_from_slice(br#"{"status":"ok","code":200,"data":"#);
                    body.extend_from_slice(&data);
                    body.push(b'}');
                    (StatusCode::OK, [(header::CONTENT_TYPE, "application/json")], body).into_response()
                }
                Encoding::Text => (StatusCode::OK, [(header::CONTENT_TYPE, TEXT_PLAIN)], data).into_response(),
            },
            Reply::Text(body) => text(StatusCode::OK, body),
            Reply::File { content_type, body, filename } => {
                let mut response = (StatusCode::OK, [(header::CONTENT_TYPE, content_type)], body).into_response();
                if let Some(name) = filename
                    && let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\""))
                {
                    response.headers_mut().insert(header::CONTENT_DISPOSITION, v);
                }
                response
            }
            Reply::Redirect(location) => {
                let mut response = text(StatusCode::MOVED_PERMANENTLY, format!("Moved Permanently: {location}"));
                if let Ok(v) = HeaderValue::from_str(&location) {
                    response.headers_mut().insert(header::LOCATION, v);
                }
                response
            }
        }
    }
}

fn envelope(status: StatusCode, data: Value) -> Response {
    let status_text = if status.is_success() || status.is_redirection() { "ok" } else { "error" };
    let body = json!({ "status": status_text, "code": status.as_u16(), "data": data });
    (status, [(header::CONTENT_TYPE, "application/json")], body.to_string()).into_response()
}

fn text(status: StatusCode, body: String) -> Response {
    (status, [(header::CONTENT_TYPE, TEXT_PLAIN)], body).into_response()
}

/// An error on the wire: a status code and a message that names the offending parameter.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
    allow_post: bool,
    /// Seconds to wait before trying again (`Retry-After`), for 429 and 503.
    retry_after: Option<i64>,
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self { status, message: message.into(), allow_post: false, retry_after: None }
    }

    /// Says how long to wait before trying again.
    pub fn retry_after(mut self, wait: Option<time::Duration>) -> Self {
        self.retry_after = wait.map(|w| w.whole_seconds().max(1));
        self
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }

    /// A request body over the limit.
    pub fn payload_too_large() -> Self {
        Self::new(StatusCode::PAYLOAD_TOO_LARGE, "The request body is too large.")
    }

    pub fn method_not_allowed() -> Self {
        Self { allow_post: true, ..Self::new(StatusCode::METHOD_NOT_ALLOWED, "Method not allowed: use POST.") }
    }

    pub fn into_response(self, encoding: Encoding) -> Response {
        let mut response = match encoding {
            Encoding::Json => envelope(self.status, json!({ "message": self.message })),
            Encoding::Text => text(self.status, self.message),
        };
        if self.allow_post {
            response.headers_mut().insert(header::ALLOW, HeaderValue::from_static("POST"));
        }
        if let Some(wait) = self.retry_after {
            response.headers_mut().insert(header::RETRY_AFTER, wait.into());
        }
        response
    }

    pub fn into_json_response(self) -> Response {
        self.into_response(Encoding::Json)
    }
}

impl From<DomainError> for ApiError {
    fn from(e: DomainError) -> Self {
        crate::errors::to_api_error(e)
    }
}
