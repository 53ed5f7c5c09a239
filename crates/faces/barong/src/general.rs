//! Endpoints without authentication: ping, time, version, configs, password strength, JWKS.

use axum::extract::State as AxumState;
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use serde_json::json;

use crate::errors::{BarongError, Result};
use crate::params::Input;
use crate::{Captcha, State};

pub async fn ping() -> Response {
    axum::Json(json!({ "ping": "pong" })).into_response()
}

pub async fn time(AxumState(state): AxumState<State>) -> Response {
    axum::Json(json!({ "time": state.core.now().unix_timestamp() })).into_response()
}

pub async fn version() -> Response {
    axum::Json(json!({
        "git_tag": env!("CARGO_PKG_VERSION"),
        "git_sha": option_env!("KEYHALL_GIT_SHA").unwrap_or("unknown"),
        "build_date": option_env!("KEYHALL_BUILD_DATE").unwrap_or("unknown"),
        "version": env!("CARGO_PKG_VERSION"),
    }))
    .into_response()
}

pub async fn configs(AxumState(state): AxumState<State>) -> Response {
    let mut body = json!({
        "session_expire_time": state.core.settings().session_ttl.whole_seconds(),
        "captcha_type": state.config.captcha.kind(),
        "phone_verification_type": "twilio_sms",
        "password_min_entropy": keyhall_core::credentials::password::strength::MIN_ENTROPY as i64,
        "password_regexp": "^(?=.*[[:lower:]])(?=.*[[:upper:]])(?=.*[[:digit:]])(?=.*[[:graph:]]).{8,80}$",
    });
    if let Captcha::Recaptcha { site_key, .. } = &state.config.captcha {
        body["captcha_id"] = json!(site_key);
    }
    axum::Json(body).into_response()
}

/// The Auth0 tenant and client a front end signs in with (empty when none is configured).
pub async fn configs_auth0(AxumState(state): AxumState<State>) -> Response {
    let (domain, client) = match &state.config.auth0 {
        Some(a) => (a.domain.clone(), a.client_id.clone()),
        None => (String::new(), String::new()),
    };
    axum::Json(json!({ "auth0_domain": domain, "auth0_client_id": client })).into_response()
}

/// The KYC provider callback; keyhall has no KYC provider configured.
pub async fn kyc() -> Result<Response> {
    Err(BarongError::new(422, "public.kyc.not_configured"))
}

/// `{entropy}` of a candidate password (201, as Barong answers).
pub async fn password_validate(uri: http::Uri, Input { p, .. }: Input) -> Result<Response> {
    let module = if uri.path().contains("/public/") { "public" } else { "identity" };
    p.checker(&format!("{module}.general")).requires("password").finish()?;
    let entropy = keyhall_core::credentials::password::strength::entropy(&p.text("password").unwrap_or_default());
    Ok((StatusCode::CREATED, axum::Json(json!({ "entropy": entropy }))).into_response())
}

pub async fn jwks(AxumState(state): AxumState<State>) -> Result<Response> {
    Ok(axum::Json(state.core.auth().jwks().await.map_err(BarongError::internal)?).into_response())
}

/// Grape's catch-all for unknown routes inside the API namespaces.
pub async fn route_not_found() -> Response {
    (StatusCode::NOT_FOUND, axum::Json(json!({ "error": "Route is not found" }))).into_response()
}
