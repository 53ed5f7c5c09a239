//! API-key handling shared by the user's own keys (`resource/api_keys`) and a service
//! account's (`resource/service_accounts/api_keys`): the two differ only in whose key it is
//! and in the module named by their error strings.

use axum::response::{IntoResponse, Response};
use http::StatusCode;
use keyhall_core::ErrorCode;
use keyhall_core::auth::api_keys::{ApiKey, ApiKeyState};
use keyhall_core::identity::users::User;
use serde_json::Value;

use crate::State;
use crate::entities;
use crate::errors::{BarongError, Result};
use crate::params::Params;
use crate::session::Bearer;

/// Core errors of key commands in the words of `prefix` (`resource.api_key` or
/// `resource.service_accounts`).
fn error(prefix: &'static str) -> impl Fn(keyhall_core::DomainError) -> BarongError {
    move |e| match e.code {
        ErrorCode::TotpNotEnabled => BarongError::new(400, format!("{prefix}.2fa_disabled")),
        ErrorCode::MissingParameter => BarongError::new(422, format!("{prefix}.missing_totp")),
        ErrorCode::TotpInvalidCode | ErrorCode::TotpCodeReused => BarongError::new(422, format!("{prefix}.invalid_totp")),
        ErrorCode::InvalidParameter => BarongError::many(422, vec!["kid.blank".into(), "algorithm.inclusion".into()]),
        _ => BarongError::from(e),
    }
}

/// The `state` parameter of a key update, if given.
fn state_param(p: &Params) -> Result<Option<ApiKeyState>> {
    match p.text("state") {
        None => Ok(None),
        Some(s) => ApiKeyState::parse(&s).map(Some).ok_or_else(|| BarongError::new(422, "state.invalid")),
    }
}

/// `scope` as a list: a JSON array, or one comma-separated string.
fn scope(p: &Params) -> Option<Vec<String>> {
    match p.value("scope")? {
        Value::Array(a) => Some(a.iter().filter_map(Value::as_str).map(str::to_string).collect()),
        other => Some(
            other
                .as_str()
                .map(str::to_string)
                .unwrap_or_else(|| other.to_string())
                .split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect(),
        ),
    }
}

/// A page of keys, ordered as asked (`ordering` asc/desc, `order_by` an attribute).
pub fn page(mut keys: Vec<ApiKey>, p: &Params, prefix: &str) -> Result<Response> {
    let descending = match p.text("ordering").as_deref() {
        None | Some("asc") => false,
        Some("desc") => true,
        Some(_) => return Err(BarongError::new(422, format!("{prefix}.invalid_ordering"))),
    };
    let order_by = p.text("order_by").unwrap_or_else(|| "id".into());
    if !["id", "kid", "state", "algorithm", "created_at", "updated_at"].contains(&order_by.as_str()) {
        return Err(BarongError::new(422, format!("{prefix}.invalid_attribute")));
    }
    let (page, limit) = crate::resource::pagination(p)?;
    keys.sort_by(|a, b| match order_by.as_str() {
        "kid" => a.kid.cmp(&b.kid),
        "state" => a.state.as_str().cmp(b.state.as_str()),
        "algorithm" => a.algorithm.cmp(&b.algorithm),
        "updated_at" => a.updated_at.cmp(&b.updated_at),
        _ => a.created_at.cmp(&b.created_at).then(a.id.cmp(&b.id)),
    });
    if descending {
        keys.reverse();
    }
    let shown: Vec<Value> =
        keys.iter().skip(((page - 1) * limit) as usize).take(limit as usize).map(|k| entities::api_key(k, None)).collect();
    Ok(axum::Json(shown).into_response())
}

/// Creates a key for `holder`; the secret is in the answer, once.
pub async fn create(state: &State, b: &Bearer, holder: &User, p: &Params, prefix: &'static str) -> Result<Response> {
    let (key, secret) = state
        .core
        .auth()
        .create_api_key(
            &b.caller,
            holder,
            &p.text("algorithm").unwrap_or_default(),
            scope(p).unwrap_or_default(),
            p.text("totp_code").as_deref(),
        )
        .await
        .map_err(error(prefix))?;
    Ok((StatusCode::CREATED, axum::Json(entities::api_key(&key, Some(secret.expose())))).into_response())
}

pub async fn update(state: &State, b: &Bearer, holder: &User, kid: &str, p: &Params, prefix: &'static str) -> Result<Response> {
    let new_state = state_param(p)?;
    let key = state
        .core
        .auth()
        .update_api_key(&b.caller, holder, kid, new_state, scope(p), p.text("totp_code").as_deref())
        .await
        .map_err(error(prefix))?;
    Ok(axum::Json(entities::api_key(&key, None)).into_response())
}

pub async fn delete(state: &State, b: &Bearer, holder: &User, kid: &str, p: &Params, prefix: &'static str) -> Result<Response> {
    state.core.auth().delete_api_key(&b.caller, holder, kid, p.text("totp_code").as_deref()).await.map_err(error(prefix))?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
