//! Cookies, client details and the bearer-token check of the resource API.

use axum::extract::FromRequestParts;
use http::request::Parts;
use http::{HeaderMap, HeaderValue, header};
use keyhall_core::auth::DeviceToken;
use keyhall_core::identity::users::User;
use keyhall_core::{Caller, ErrorCode, Origin};

use crate::errors::BarongError;
use crate::{BarongConfig, State};

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

/// The session cookie's name: Barong's `_barong_session`, and `__Host-_barong_session` when
/// keyhall is served over HTTPS, so that browsers accept it only from this host, over HTTPS,
/// for the whole site (no subdomain or plain-HTTP page can plant or shadow it).
pub fn session_cookie_name(secure: bool) -> &'static str {
    if secure { "__Host-_barong_session" } else { "_barong_session" }
}

/// The device cookie's name (see `keyhall_core::auth::devices`), prefixed like the session's.
pub fn device_cookie_name(secure: bool) -> &'static str {
    if secure { "__Host-keyhall_device" } else { "keyhall_device" }
}

/// The session cookie: HTTP-only, whole site, `SameSite=Lax`, `Secure` over HTTPS; the browser
/// keeps it as long as the session can live at most, while the server-side session also ends
/// after inactivity.
pub fn session_cookie(config: &BarongConfig, value: &str, max_age: time::Duration) -> HeaderValue {
    set_cookie(config, &config.session_cookie, value, max_age.whole_seconds())
}

/// Tells the browser to drop the session cookie.
pub fn expired_cookie(config: &BarongConfig) -> HeaderValue {
    set_cookie(config, &config.session_cookie, "", 0)
}

/// The device cookie, kept as long as the device token is good (it outlives sign-out: that is
/// its purpose).
pub fn device_cookie(config: &BarongConfig, device: &DeviceToken) -> HeaderValue {
    set_cookie(config, &config.device_cookie, &device.token, device.lifetime.whole_seconds())
}

fn set_cookie(config: &BarongConfig, name: &str, value: &str, max_age: i64) -> HeaderValue {
    let secure = if config.secure_cookies { "; Secure" } else { "" };
    let max_age = max_age.max(0);
    HeaderValue::from_str(&format!("{name}={value}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Lax{secure}"))
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

    /// Refuses a request that would sign a browser in when another site's page sent it: a
    /// form posted from elsewhere must not sign a visitor into the attacker's account (login
    /// CSRF). Programs, and pages of this site, are not affected.
    pub fn refuse_cross_site(&self, prefix: &str) -> Result<(), BarongError> {
        if self.info.cross_site {
            return Err(BarongError::new(403, format!("{prefix}.cross_site_request")));
        }
        Ok(())
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
