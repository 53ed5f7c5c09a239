//! `/serviceprovider/…`: the applications that sign users in through keyhall (SAML or OpenID
//! Connect), as community collection items; the vendor's `_id` beside keyhall's `id`.

use axum::extract::{Path, State as AxumState};
use axum::response::{IntoResponse, Response};
use keyhall_core::adminx::collection_kinds::SERVICE_PROVIDERS;
use keyhall_core::adminx::collections::CommunityItem;
use serde_json::{Value, json};

use crate::State;
use crate::documents::{named_or_own, without_scope};
use crate::envelope::Call;
use crate::errors::Result;
use crate::fields::strings;

fn sp_json(item: &CommunityItem) -> Value {
    let mut out = SERVICE_PROVIDERS.view(item);
    out["_id"] = json!(item.id);
    out["id"] = json!(item.id);
    out["communityId"] = json!(item.scope.community.to_string());
    out
}

/// `POST /serviceprovider/fetch`: the community's service providers (those `ids` names, if any).
pub async fn fetch(AxumState(state): AxumState<State>, call: Call) -> Result<Response> {
    let (_, scope) = named_or_own(&state, &call).await?;
    let ids = strings(&call.body, "ids", 500)?.unwrap_or_default();
    let items = state.core.adminx().items(scope, &SERVICE_PROVIDERS).await?;
    let found: Vec<Value> = items.iter().filter(|i| ids.is_empty() || ids.contains(&i.id)).map(sp_json).collect();
    Ok(call.reply(&Value::Array(found)))
}

/// `GET /serviceprovider/{id}` (administrators).
pub async fn get_one(AxumState(state): AxumState<State>, Path(id): Path<String>, call: Call) -> Result<Response> {
    let caller = state.signed_in(&call).await?;
    caller.require_admin()?;
    let item = state.core.adminx().item(caller.scope(), &SERVICE_PROVIDERS, &id).await?;
    Ok(call.reply(&sp_json(&item)))
}

/// `GET /serviceprovider/idp-initiated`: the SAML applications a signed-in user may open from
/// the portal ("My Apps").
pub async fn idp_initiated(AxumState(state): AxumState<State>, call: Call) -> Result<Response> {
    let caller = state.signed_in(&call).await?;
    let items = state.core.adminx().items(caller.scope(), &SERVICE_PROVIDERS).await?;
    let apps: Vec<Value> = items
        .iter()
        .filter_map(|i| SERVICE_PROVIDERS.view(i).as_object().cloned().map(|v| (i, v)))
        .filter(|(_, v)| v["type"] == "saml" && v["saml_config"]["idpInitiated"] == Value::Bool(true))
        .map(|(i, v)| json!({ "_id": i.id, "name": v["name"], "logo": v["logo"], "type": "saml", "idpInitiated": true }))
        .collect();
    Ok(call.reply(&Value::Array(apps)))
}

/// `PUT /serviceprovider`: an OpenID Connect provider's answer carries its `client_secret`
/// this once.
pub async fn create(AxumState(state): AxumState<State>, call: Call) -> Result<Response> {
    let (caller, scope) = named_or_own(&state, &call).await?;
    let (item, secret) = state.core.adminx().create_service_provider(&caller, scope, &without_scope(&call.body)).await?;
    let mut out = sp_json(&item);
    if let Some(secret) = secret {
        out["oidc_config"]["client_secret"] = json!(secret);
    }
    Ok(call.reply(&out))
}

/// `PATCH /serviceprovider/{id}`: the fields given.
pub async fn update(AxumState(state): AxumState<State>, Path(id): Path<String>, call: Call) -> Result<Response> {
    let (caller, scope) = named_or_own(&state, &call).await?;
    let item = state.core.adminx().update_service_provider(&caller, scope, &id, &without_scope(&call.body)).await?;
    Ok(call.reply(&sp_json(&item)))
}

/// `DELETE /serviceprovider/{id}`: 204.
pub async fn remove(AxumState(state): AxumState<State>, Path(id): Path<String>, call: Call) -> Result<Response> {
    let (caller, scope) = named_or_own(&state, &call).await?;
    state.core.adminx().delete_item(&caller, scope, &SERVICE_PROVIDERS, &id).await?;
    Ok(http::StatusCode::NO_CONTENT.into_response())
}
