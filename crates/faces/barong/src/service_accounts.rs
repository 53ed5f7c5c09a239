//! `/api/v2/auth/resource/service_accounts…`: the signed-in user's service accounts and their
//! API keys (every change behind the owner's TOTP code).

use axum::extract::{Path, State as AxumState};
use axum::response::{IntoResponse, Response};
use keyhall_core::identity::users::User;
use keyhall_types::rfc3339;
use serde_json::{Value, json};

use crate::errors::{BarongError, Result};
use crate::params::{Input, Params};
use crate::session::Bearer;
use crate::{State, api_keys};

/// The owner's service account named by `service_account_uid`.
async fn target(state: &State, owner: &User, p: &Params) -> Result<User> {
    p.checker("resource.service_account").requires("service_account_uid").finish()?;
    let uid = p.text("service_account_uid").unwrap_or_default();
    let accounts = state.core.identity().service_accounts_of(owner).await.map_err(BarongError::internal)?;
    accounts.into_iter().find(|a| a.uid == uid).ok_or_else(|| BarongError::new(404, "resource.service_account.doesnt_exist"))
}

const KEYS: &str = "resource.service_accounts";

/// The raw records, as Barong lists them.
pub async fn list(AxumState(state): AxumState<State>, b: Bearer) -> Result<Response> {
    let accounts = state.core.identity().service_accounts_of(&b.user).await.map_err(BarongError::internal)?;
    let mut out = Vec::new();
    for a in &accounts {
        let labels = state.core.identity().labels(a.id).await.map_err(BarongError::internal)?;
        out.push(json!({
            "id": a.id.to_string(),
            "uid": a.uid,
            "owner_id": b.user.id.to_string(),
            "email": a.email,
            "role": a.role,
            "level": keyhall_core::identity::labels::level(&labels),
            "state": a.status.as_str(),
            "created_at": rfc3339(a.created_at),
            "updated_at": rfc3339(a.updated_at),
        }));
    }
    Ok(axum::Json(Value::Array(out)).into_response())
}

pub async fn api_keys(AxumState(state): AxumState<State>, b: Bearer, Input { p, .. }: Input) -> Result<Response> {
    let account = target(&state, &b.user, &p).await?;
    let keys = state.core.auth().api_keys_of(&account).await.map_err(BarongError::internal)?;
    api_keys::page(keys, &p, KEYS)
}

pub async fn create_api_key(AxumState(state): AxumState<State>, b: Bearer, Input { p, .. }: Input) -> Result<Response> {
    p.checker("resource.service_account").requires("service_account_uid").requires_filled("algorithm").finish()?;
    let account = target(&state, &b.user, &p).await?;
    api_keys::create(&state, &b, &account, &p, KEYS).await
}

pub async fn update_api_key(
    AxumState(state): AxumState<State>,
    b: Bearer,
    Path(kid): Path<String>,
    Input { p, .. }: Input,
) -> Result<Response> {
    let account = target(&state, &b.user, &p).await?;
    api_keys::update(&state, &b, &account, &kid, &p, KEYS).await
}

pub async fn delete_api_key(
    AxumState(state): AxumState<State>,
    b: Bearer,
    Path(kid): Path<String>,
    Input { p, .. }: Input,
) -> Result<Response> {
    let account = target(&state, &b.user, &p).await?;
    api_keys::delete(&state, &b, &account, &kid, &p, KEYS).await
}
