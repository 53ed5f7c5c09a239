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

/// `PUT /serviceprovider/{type}`: a featured application (the path names its catalogue
/// entry: auth0, okta, salesforce, forgerock, gsuite, zendesk) as a SAML provider.
pub async fn create_featured(AxumState(state): AxumState<State>, Path(kind): Path<String>, call: Call) -> Result<Response> {
    let (caller, scope) = named_or_own(&state, &call).await?;
    let item = state.core.adminx().create_featured_provider(&caller, scope, &kind, &without_scope(&call.body)).await?;
    Ok(call.reply(&sp_json(&item)))
}

/// `GET /spcatalog/list`: the featured applications (administrators).
pub async fn catalog(AxumState(state): AxumState<State>, call: Call) -> Result<Response> {
    let caller = state.signed_in(&call).await?;
    caller.require_admin()?;
    Ok(call.reply(&keyhall_core::adminx::sp_catalog::catalog_json()))
}

/// `POST /serviceprovider/publicinfo/fetch` (open: the login page asks before sign-in): the
/// provider a `SAMLRequest` or `OIDCRequest` comes from.
pub async fn public_info(AxumState(state): AxumState<State>, call: Call) -> Result<Response> {
    let text = |key: &str| call.body.get(key).and_then(Value::as_str).map(str::to_string);
    let scope = state.scope(&text("tenantId"), &text("communityId")).await?;
    let (saml, oidc) = (crate::fields::given(&call.body, "SAMLRequest")?, crate::fields::given(&call.body, "OIDCRequest")?);
    let info = state.core.adminx().provider_public_info(scope, saml.as_deref(), oidc.as_deref()).await?;
    Ok(call.reply(&info))
}

/// `POST /user_consent/check` (anyone signed in): which of the scopes a provider asks for the
/// caller has not granted it yet.
pub async fn consent_check(AxumState(state): AxumState<State>, call: Call) -> Result<Response> {
    let caller = state.signed_in(&call).await?;
    let sp = crate::fields::must(&call.body, "spId")?;
    let scopes = strings(&call.body, "scopeIds", 50)?.ok_or_else(|| crate::errors::AdminxError::missing("scopeIds"))?;
    Ok(call.reply(&state.core.adminx().ungranted_scopes(&caller, &sp, &scopes).await?))
}
