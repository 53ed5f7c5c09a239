//! Broker connections of a directory module (`/broker/…`): listed, turned on and off,
//! renamed and removed by the community's administrators.

use axum::Router;
use axum::extract::{Path, State as AxumState};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, patch, post};
use keyhall_core::adminx::collection_kinds::BROKERS;
use keyhall_core::adminx::collections::CommunityItem;
use keyhall_core::adminx::{Scope, SignedInCaller, parse_module_id};
use keyhall_types::AuthModuleId;
use serde_json::{Value, json};

use crate::envelope::Call;
use crate::errors::{AdminxError, Result};
use crate::fields::{flag, must};
use crate::{BASE_PATH, State};

pub fn routes(router: Router<State>) -> Router<State> {
    let p = |path: &str| format!("{BASE_PATH}{path}");
    router
        .route(&p("/broker/fetch"), post(fetch))
        .route(&p("/broker/changestatus"), patch(change_status))
        .route(&p("/broker/update"), patch(rename))
        .route(&p("/broker/{uid}"), delete(remove))
}

/// A broker as its list shows it.
fn view(item: &CommunityItem) -> Value {
    let mut v = BROKERS.view(item);
    v["_id"] = json!(item.id);
    v["createdAt"] = json!(item.created_at.unix_timestamp() * 1000);
    v["updatedAt"] = json!(item.updated_at.unix_timestamp() * 1000);
    v
}

/// The administrator, the community and the module the body names.
async fn module_call(state: &State, call: &Call) -> Result<(SignedInCaller, Scope, AuthModuleId)> {
    let caller = state.signed_in(call).await?;
    caller.require_admin()?;
    let scope = crate::users::body_scope(&caller, &call.body)?;
    let module = parse_module_id(&must(&call.body, "moduleId")?)?;
    Ok((caller, scope, module))
}

/// `POST /broker/fetch`: the module's brokers.
async fn fetch(AxumState(state): AxumState<State>, call: Call) -> Result<Response> {
    let (_, scope, module) = module_call(&state, &call).await?;
    let brokers = state.core.adminx().brokers(scope, module).await?;
    Ok(call.reply(&Value::Array(brokers.iter().map(view).collect())))
}

/// `PATCH /broker/changestatus`: `enabled` (`"true"`/`"false"`).
async fn change_status(AxumState(state): AxumState<State>, call: Call) -> Result<Response> {
    let (caller, scope, module) = module_call(&state, &call).await?;
    let uid = must(&call.body, "uid")?;
    let enabled =
        flag(call.body.get("enabled").unwrap_or(&Value::Null), "enabled")?.ok_or_else(|| AdminxError::missing("enabled"))?;
    let broker = state.core.adminx().set_broker_enabled(&caller, scope, module, &uid, enabled).await?;
    Ok(call.reply(&view(&broker)))
}

/// `PATCH /broker/update`: a new `name`, the only field this call changes.
async fn rename(AxumState(state): AxumState<State>, call: Call) -> Result<Response> {
    let (caller, scope, module) = module_call(&state, &call).await?;
    let uid = must(&call.body, "uid")?;
    let name = must(&call.body, "name")?;
    let broker = state.core.adminx().rename_broker(&caller, scope, module, &uid, &name).await?;
    Ok(call.reply(&view(&broker)))
}

/// `DELETE /broker/{uid}`: 204.
async fn remove(AxumState(state): AxumState<State>, Path(uid): Path<String>, call: Call) -> Result<Response> {
    let (caller, scope, module) = module_call(&state, &call).await?;
    state.core.adminx().delete_broker(&caller, scope, module, &uid).await?;
    Ok(http::StatusCode::NO_CONTENT.into_response())
}
