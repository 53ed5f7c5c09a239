//! Cookies, client details and the bearer-token check of the resource API.

use axum::extract::FromRequestParts;
use http::request::Parts;
use http::{HeaderMap, HeaderValue, header};
use keyhall_core::identity::users::User;
use keyhall_core::{Caller, Origin};
use serde_json::Value;

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

async fn verify_bearer(state: &State, parts: &Parts) -> Result<Value, BarongError> {
    let invalid = || BarongError::new(401, "jwt.decode_and_verify");
    let header = parts.headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).ok_or_else(invalid)?;
    let token = header.strip_prefix("Bearer ").filter(|t| !t.is_empty()).ok_or_else(invalid)?;
    let now = state.core.now().unix_timestamp();
    if let Some(claims) = state.verified_jwts.get(token) {
        keyhall_crypto::jwt::check_times(&claims, now, 0).map_err(|_| invalid())?;
        return Ok(claims);
    }
    let keys = state.core.auth().signing_keys().await.map_err(BarongError::internal)?;
    let claims = keys.verifier.verify(token).map_err(|_| invalid())?;
    keyhall_crypto::jwt::check_times(&claims, now, 0).map_err(|_| invalid())?;
    if claims.get("sub").and_then(Value::as_str) != Some("session") || claims.get("jti").and_then(Value::as_str).is_none() {
        return Err(invalid());
    }
    state.verified_jwts.insert(token.to_string(), claims.clone());
    Ok(claims)
}

impl FromRequestParts<State> for Bearer {
    type Rejection = BarongError;

    async fn from_request_parts(parts: &mut Parts, state: &State) -> Result<Self, Self::Rejection> {
        let claims = verify_bearer(state, parts).await?;
        let uid = claims.get("uid").and_then(Value::as_str).unwrap_or_default();
        let user = state
            .core
            .identity()
            .user_by_uid(state.config.tenant_id, uid)
            .await
            .map_err(BarongError::internal)?
            .ok_or_else(|| BarongError::new(404, "record.not_found"))?;
        let origin = keyhall_http::client::client_info(parts).origin();
        let caller = Caller { tenant_id: user.tenant_id, actor: keyhall_core::Actor::User(user.id), origin };
        Ok(Bearer { user, caller })
    }
}
