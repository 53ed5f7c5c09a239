//! Cookies, client details and the bearer-token check of the resource API.

use axum::extract::FromRequestParts;
use http::request::Parts;
use http::{HeaderMap, HeaderValue, header};
use keyhall_core::identity::users::User;
use keyhall_core::{Caller, ErrorCode, Origin};

use crate::State;
use crate::errors::BarongError;

pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// The session cookie: HTTP-only, whole site, `SameSite=Lax`; it lives 24 hours in the
/// browser while the server-side session expires after inactivity.
pub fn session_cookie(name: &str, value: &str, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!("{name}={value}; Path=/; Max-Age=86400; HttpOnly; SameSite=Lax{secure}"))
        .unwrap_or_else(|_| HeaderValue::from_static(""))
}

pub fn expired_cookie(name: &str) -> HeaderValue {
    HeaderValue::from_str(&format!("{name}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax"))
        .unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// The client's address and user agent.
#[derive(Debug, Clone)]
pub struct Client {
    pub info: keyhall_http::ClientInfo,
}

impl Client {
    pub fn origin(&self) -> Origin {
        self.info.origin()
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Client {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Client { info: keyhall_http::client::client_info(parts) })
    }
}

/// A resource request's user, proven by `Authorization: Bearer <JWT>` as issued by authorize.
pub struct Bearer {
    pub user: User,
    pub caller: Caller,
}

impl FromRequestParts<State> for Bearer {
    type Rejection = BarongError;

    async fn from_request_parts(parts: &mut Parts, state: &State) -> Result<Self, Self::Rejection> {
        let invalid = || BarongError::new(401, "jwt.decode_and_verify");
        let header = parts.headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).ok_or_else(invalid)?;
        let token = header.strip_prefix("Bearer ").filter(|t| !t.is_empty()).ok_or_else(invalid)?;
        let origin = keyhall_http::client::client_info(parts).origin();
        let (user, caller) =
            state.core.barong().authenticate_session_token(state.config.tenant_id, token, origin).await.map_err(|e| {
                match e.code {
                    ErrorCode::InvalidToken => invalid(),
                    ErrorCode::UserNotFound => BarongError::new(404, "record.not_found"),
                    _ => BarongError::internal(e),
                }
            })?;
        Ok(Bearer { user, caller })
    }
}
