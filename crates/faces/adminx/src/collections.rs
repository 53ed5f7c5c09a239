//! The collection groups that share one shape (digest (d)4): `fetch` with `ids`, `PUT` to
//! create, `PATCH /{id}`, `DELETE /{id}`: authentication journeys (v1 and v2); and its
//! variant keyed by the administrator's `uid`: RADIUS and auth-proxy configurations
//! (`PUT /…/config/{uid}` creates or replaces, `DELETE /…/config/{uid}`); and message
//! gateways (`POST` create, fetch, update; `DELETE` with the id in the body). Identity
//! providers (keyhall's own, one per protocol) and external IdPs take the first shape.

use axum::Router;
use axum::extract::{Path, State as AxumState};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, patch, post, put};
use keyhall_core::adminx::collection_kinds::{
    AUTH_PROXY, EXTERNAL_IDPS, GATEWAYS, IDENTITY_PROVIDERS, JOURNEYS, JOURNEYS_V2, RADIUS,
};
use keyhall_core::adminx::collections::{Collection, CommunityItem};
use serde_json::{Value, json};

use crate::documents::{ScopeFrom, administrator, named_or_own, without_scope};
use crate::envelope::Call;
use crate::errors::Result;
use crate::fields::strings;
use crate::{BASE_PATH, State};

macro_rules! fetcher {
    ($c:expr, $from:expr) => {
        |s: AxumState<State>, call: Call| fetch(s, call, $c, $from)
    };
}

macro_rules! creator {
    ($c:expr) => {
        |s: AxumState<State>, call: Call| create(s, call, $c)
    };
}

macro_rules! updater {
    ($c:expr) => {
        |s: AxumState<State>, id: Path<String>, call: Call| update(s, id, call, $c)
    };
}

macro_rules! deleter {
    ($c:expr) => {
        |s: AxumState<State>, id: Path<String>, call: Call| remove(s, id, call, $c)
    };
}

macro_rules! replacer {
    ($c:expr) => {
        |s: AxumState<State>, uid: Path<String>, call: Call| replace(s, uid, call, $c)
    };
}

pub fn routes(router: Router<State>) -> Router<State> {
    let p = |path: &str| format!("{BASE_PATH}{path}");
    router
        .route(&p("/authenticationJourney/fetch"), post(fetcher!(&JOURNEYS, None)))
        .route(&p("/authenticationJourney"), put(creator!(&JOURNEYS)))
        .route(&p("/authenticationJourney/{id}"), patch(updater!(&JOURNEYS)).delete(deleter!(&JOURNEYS)))
        .route(&p("/v2/authenticationJourney/fetch"), post(fetcher!(&JOURNEYS_V2, None)))
        .route(&p("/v2/authenticationJourney"), put(creator!(&JOURNEYS_V2)))
        .route(&p("/v2/authenticationJourney/{id}"), patch(updater!(&JOURNEYS_V2)).delete(deleter!(&JOURNEYS_V2)))
        .route(&p("/radius/fetch"), post(fetcher!(&RADIUS, Some(ScopeFrom::Body))))
        .route(&p("/radius/config/{uid}"), put(replacer!(&RADIUS)).delete(remove_radius))
        .route(&p("/authproxy/fetch"), post(fetcher!(&AUTH_PROXY, Some(ScopeFrom::Body))))
        .route(&p("/authproxy/config/{id}"), put(replacer!(&AUTH_PROXY)).delete(deleter!(&AUTH_PROXY)))
        .route(&p("/idp/fetch"), post(fetch_identity_providers))
        .route(&p("/idp"), put(creator!(&IDENTITY_PROVIDERS)))
        .route(&p("/idp/{id}"), patch(updater!(&IDENTITY_PROVIDERS)).delete(deleter!(&IDENTITY_PROVIDERS)))
        .route(&p("/external_idp/fetch"), post(fetcher!(&EXTERNAL_IDPS, None)))
        .route(&p("/external_idp"), put(creator!(&EXTERNAL_IDPS)))
        .route(&p("/external_idp/{id}"), patch(updater!(&EXTERNAL_IDPS)).delete(deleter!(&EXTERNAL_IDPS)))
        .route(&p("/msg_gateway/create"), post(create_gateway))
        .route(&p("/msg_gateway/fetch"), post(fetcher!(&GATEWAYS, None)))
        .route(&p("/msg_gateway/fetch/{id}"), post(fetch_gateway))
        .route(&p("/msg_gateway/update"), post(update_gateway))
        .route(&p("/msg_gateway"), delete(delete_gateway))
}

/// An item as the face answers it: its fields, its id and its community.
fn item_json(c: &Collection, item: &CommunityItem) -> Value {
    let mut out = c.view(item);
    out["id"] = json!(item.id);
    out["tenantId"] = json!(item.scope.tenant.to_string());
    out["communityId"] = json!(item.scope.community.to_string());
    out
}

/// The items an id in `ids` names (by id, or by the name they are known by: a RADIUS `uid`).
fn named_in(item: &CommunityItem, ids: &[String]) -> bool {
    ids.iter().any(|id| *id == item.id || *id == item.name)
}

/// `POST …/fetch`: the community's items, those `ids` names when it names any; v2 journeys
/// also by `requestingAppId` and `category`.
async fn fetch(
    AxumState(state): AxumState<State>,
    call: Call,
    c: &'static Collection,
    from: Option<ScopeFrom>,
) -> Result<Response> {
    let (_, scope) = match from {
        Some(from) => administrator(&state, &call, from).await?,
        None => named_or_own(&state, &call).await?,
    };
    let ids = strings(&call.body, "ids", 500)?.unwrap_or_default();
    let app = crate::fields::given(&call.body, "requestingAppId")?;
    let category = crate::fields::given(&call.body, "category")?;
    let items = state.core.adminx().items(scope, c).await?;
    let found: Vec<Value> = items
        .iter()
        .filter(|i| ids.is_empty() || named_in(i, &ids))
        .filter(|i| app.as_ref().is_none_or(|a| i.body["requestingAppId"]["value"] == json!(a)))
        .filter(|i| category.as_ref().is_none_or(|k| i.body["category"] == json!(k)))
        .map(|i| item_json(c, i))
        .collect();
    Ok(call.reply(&Value::Array(found)))
}

async fn create(AxumState(state): AxumState<State>, call: Call, c: &'static Collection) -> Result<Response> {
    let (caller, scope) = named_or_own(&state, &call).await?;
    let item = state.core.adminx().create_item(&caller, scope, c, &without_scope(&call.body)).await?;
    Ok(call.reply(&item_json(c, &item)))
}

async fn update(
    AxumState(state): AxumState<State>,
    Path(id): Path<String>,
    call: Call,
    c: &'static Collection,
) -> Result<Response> {
    let (caller, scope) = named_or_own(&state, &call).await?;
    let item = state.core.adminx().update_item(&caller, scope, c, &id, &without_scope(&call.body)).await?;
    Ok(call.reply(&item_json(c, &item)))
}

/// `DELETE …/{id}` (by id, or by `uid` for the configurations known by one): 204.
async fn remove(
    AxumState(state): AxumState<State>,
    Path(id): Path<String>,
    call: Call,
    c: &'static Collection,
) -> Result<Response> {
    let (caller, scope) = named_or_own(&state, &call).await?;
    let adminx = state.core.adminx();
    let item = match adminx.item(scope, c, &id).await {
        Ok(item) => item,
        Err(_) => adminx.item_named(scope, c, &id).await?,
    };
    adminx.delete_item(&caller, scope, c, &item.id).await?;
    Ok(http::StatusCode::NO_CONTENT.into_response())
}

/// `PUT …/config/{uid}`: creates or replaces the configuration known by `uid`.
async fn replace(
    AxumState(state): AxumState<State>,
    Path(uid): Path<String>,
    call: Call,
    c: &'static Collection,
) -> Result<Response> {
    let (caller, scope) = named_or_own(&state, &call).await?;
    let mut input = without_scope(&call.body);
    input["uid"] = json!(uid);
    let item = state.core.adminx().replace_item_named(&caller, scope, c, &uid, &input).await?;
    Ok(call.reply(&item_json(c, &item)))
}

/// `DELETE /radius/config/{uid}`: 200 with the configuration removed, as the seed documents.
async fn remove_radius(AxumState(state): AxumState<State>, Path(uid): Path<String>, call: Call) -> Result<Response> {
    let (caller, scope) = named_or_own(&state, &call).await?;
    let adminx = state.core.adminx();
    let item = adminx.item_named(scope, &RADIUS, &uid).await?;
    let removed = adminx.delete_item(&caller, scope, &RADIUS, &item.id).await?;
    Ok(call.reply(&item_json(&RADIUS, &removed)))
}

/// `POST /msg_gateway/create`: `{id, status}`.
async fn create_gateway(AxumState(state): AxumState<State>, call: Call) -> Result<Response> {
    let (caller, scope) = administrator(&state, &call, ScopeFrom::Body).await?;
    let item = state.core.adminx().create_item(&caller, scope, &GATEWAYS, &without_scope(&call.body)).await?;
    Ok(call.reply(&json!({ "id": item.id, "status": "created" })))
}

/// `POST /msg_gateway/fetch/{id}`: the gateway, in an array as the list answers it.
async fn fetch_gateway(AxumState(state): AxumState<State>, Path(id): Path<String>, call: Call) -> Result<Response> {
    let (_, scope) = named_or_own(&state, &call).await?;
    let item = state.core.adminx().item(scope, &GATEWAYS, &id).await?;
    Ok(call.reply(&json!([item_json(&GATEWAYS, &item)])))
}

/// `POST /msg_gateway/update`: the fields given of the gateway `id` names; `{id, status}`.
async fn update_gateway(AxumState(state): AxumState<State>, call: Call) -> Result<Response> {
    let (caller, scope) = administrator(&state, &call, ScopeFrom::Body).await?;
    let id = crate::fields::must(&call.body, "id")?;
    let mut input = without_scope(&call.body);
    if let Some(fields) = input.as_object_mut() {
        fields.remove("id");
    }
    let item = state.core.adminx().update_item(&caller, scope, &GATEWAYS, &id, &input).await?;
    Ok(call.reply(&json!({ "id": item.id, "status": "updated" })))
}

/// `DELETE /msg_gateway` with `gatewayId`: 204.
async fn delete_gateway(AxumState(state): AxumState<State>, call: Call) -> Result<Response> {
    let (caller, scope) = administrator(&state, &call, ScopeFrom::Body).await?;
    let id = crate::fields::must(&call.body, "gatewayId")?;
    state.core.adminx().delete_item(&caller, scope, &GATEWAYS, &id).await?;
    Ok(http::StatusCode::NO_CONTENT.into_response())
}

/// `POST /idp/fetch`: the community's identity providers, by `id` or `type` when given; a
/// community that has none gets its default (OpenID Connect) one made.
async fn fetch_identity_providers(AxumState(state): AxumState<State>, call: Call) -> Result<Response> {
    let (caller, scope) = named_or_own(&state, &call).await?;
    let adminx = state.core.adminx();
    let mut items = adminx.items(scope, &IDENTITY_PROVIDERS).await?;
    if items.is_empty() {
        let made = adminx.replace_item_named(&caller, scope, &IDENTITY_PROVIDERS, "oidc", &json!({ "type": "oidc" })).await?;
        items.push(made);
    }
    let id = crate::fields::given(&call.body, "id")?;
    let kind = crate::fields::given(&call.body, "type")?;
    let found: Vec<Value> = items
        .iter()
        .filter(|i| id.as_ref().is_none_or(|id| *id == i.id))
        .filter(|i| kind.as_ref().is_none_or(|k| *k == i.name))
        .map(|i| item_json(&IDENTITY_PROVIDERS, i))
        .collect();
    Ok(call.reply(&Value::Array(found)))
}
