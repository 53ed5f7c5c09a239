//! The core's error catalogue in Comet's words: status codes 400/401/404/405/410/500, and a
//! message that names the offending parameter.

use http::StatusCode;
use keyhall_core::{DomainError, ErrorCode, ErrorKind};

use crate::reply::ApiError;

pub const NO_ACCESS: &str = "You do not have access to this resource.";

/// Comet's status and message for a core error: the codes Comet documents first, then every
/// other code by its kind (so a code added for another face needs no line here).
pub fn to_api_error(e: DomainError) -> ApiError {
    use ErrorCode::*;
    let field = e.field.as_deref().unwrap_or("");
    let detail = match (&e.detail, e.violations.first()) {
        (Some(d), _) => d.clone(),
        (None, Some(v)) => v.rule.describe(),
        (None, None) => String::new(),
    };
    let with_detail = |base: String| if detail.is_empty() { base } else { format!("{base}: {detail}") };
    let (status, message) = match e.code {
        MissingParameter => (StatusCode::BAD_REQUEST, with_detail(format!("Missing required parameter '{field}'"))),
        InvalidParameter => (StatusCode::BAD_REQUEST, with_detail(format!("Invalid value for parameter '{field}'"))),
        AmbiguousParameter => (StatusCode::BAD_REQUEST, with_detail(format!("Ambiguous parameter '{field}'"))),
        UnsupportedAuthType => (StatusCode::BAD_REQUEST, with_detail(format!("Invalid value for parameter '{field}'"))),
        MissingCredentials => (
            StatusCode::UNAUTHORIZED,
            "Authentication required: send auth_type=token and token, or an Authorization: Bearer header.".into(),
        ),
        InvalidToken | SessionInvalid | SessionMismatch => {
            (StatusCode::UNAUTHORIZED, with_detail("Invalid or revoked API token".into()))
        }
        PermissionDenied => (StatusCode::UNAUTHORIZED, NO_ACCESS.into()),
        TenantNotFound => (StatusCode::UNAUTHORIZED, "Invalid or revoked API token".into()),
        UserNotFound => (StatusCode::NOT_FOUND, format!("User not found ({field})")),
        TokenNotFound => (StatusCode::NOT_FOUND, format!("API token not found ({field})")),
        LicenseNotFound => (StatusCode::NOT_FOUND, format!("License not found ({field})")),
        HostedInstanceNotFound => (StatusCode::NOT_FOUND, format!("Hosted server not found ({field})")),
        VersionNotFound => (StatusCode::NOT_FOUND, format!("Unknown version ({field})")),
        PlatformNotFound => (StatusCode::NOT_FOUND, format!("No download for this platform in that version ({field})")),
        EmailTaken => {
            (StatusCode::BAD_REQUEST, format!("Invalid value for parameter '{field}': a user with this email already exists"))
        }
        UsernameTaken => (StatusCode::BAD_REQUEST, format!("Invalid value for parameter '{field}': this username is taken")),
        PasswordRequirements | PasswordWeak | TokenEscalation | TokenUnknownAction | TotpInvalidSecret => {
            (StatusCode::BAD_REQUEST, with_detail(format!("Invalid value for parameter '{field}'")))
        }
        TotpInvalidCode => {
            (StatusCode::BAD_REQUEST, format!("Invalid value for parameter '{field}': the code is not valid for this secret now"))
        }
        TotpCodeReused => (StatusCode::BAD_REQUEST, format!("Invalid value for parameter '{field}': this code was already used")),
        WebauthnNoChallenge => (StatusCode::BAD_REQUEST, with_detail("No WebAuthn challenge is pending".into())),
        WebauthnRejected => (
            StatusCode::BAD_REQUEST,
            with_detail("Invalid value for parameter 'webauthn_challenge_response': the credential was rejected".into()),
        ),
        HostedDomainTaken => {
            (StatusCode::BAD_REQUEST, format!("Invalid value for parameter '{field}': this domain is already in use"))
        }
        EndpointRemoved => (StatusCode::GONE, "Endpoint removed".into()),
        _ => match e.kind() {
            ErrorKind::NotFound => (StatusCode::NOT_FOUND, with_detail(format!("Not found ({field})"))),
            ErrorKind::Invalid => (StatusCode::BAD_REQUEST, with_detail(format!("Invalid value for parameter '{field}'"))),
            ErrorKind::Unauthenticated => (StatusCode::UNAUTHORIZED, "Invalid or revoked API token".into()),
            ErrorKind::Forbidden => (StatusCode::UNAUTHORIZED, NO_ACCESS.into()),
            ErrorKind::Conflict => (StatusCode::BAD_REQUEST, with_detail("The request cannot be completed".into())),
            ErrorKind::RateLimited => (StatusCode::TOO_MANY_REQUESTS, "Too many requests; try again later".into()),
            ErrorKind::Unavailable => (StatusCode::SERVICE_UNAVAILABLE, "Service unavailable; try again later".into()),
            ErrorKind::Internal => {
                tracing::error!(error = %e, "internal error");
                (StatusCode::INTERNAL_SERVER_ERROR, "Internal error".into())
            }
        },
    };
    let wait =
        matches!(status, StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE).then_some(e.retry_after).flatten();
    ApiError::new(status, message).retry_after(wait)
}

/// Renames core field names to this endpoint's parameter names (`email` → `target_email`).
pub fn rename(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(DomainError) -> ApiError {
    move |e| to_api_error(pairs.iter().fold(e, |e, (from, to)| e.rename_field(from, to)))
}
