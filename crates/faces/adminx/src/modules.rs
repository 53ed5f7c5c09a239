//! Auth modules (`/auth_modules/…`): the community's user stores, administrators only.

use axum::extract::{Path, State as AxumState};
use axum::response::{IntoResponse, Response};
use keyhall_core::adminx::modules::ModuleInput;
use keyhall_core::adminx::parse_module_id;
use serde_json::{Value, json};

use crate::State;
use crate::envelope::Call;
use crate::errors::{AdminxError, Result};
use crate::fields::{flag, given, must, text};

/// A module as a caller writes it (`type`, `name`, `enabled`, `mode`, `config`, and the
/// top-level `kerberos_config` / `enhanced_security_on`, kept in the configuration).
fn module_input(body: &Value) -> Result<ModuleInput> {
    let text = |k: &str| text(body, k);
    let mut config = match body.get("config") {
        None | Some(Value::Null) => None,
        Some(c @ Value::Object(_)) => Some(c.clone()),
        Some(_) => return Err(AdminxError::bad_request("\"config\" must be an object")),
    };
    for key in ["kerberos_config", "enhanced_security_on"] {
        if let Some(v) = body.get(key).filter(|v| !v.is_null()) {
            config.get_or_insert_with(|| json!({}))[key] = v.clone();
        }
    }
    Ok(ModuleInput {
        kind: text("type")?,
        name: text("name")?,
        enabled: flag(body.get("enabled").unwrap_or(&Value::Null), "enabled")?,
        mode: text("mode")?,
        config,
    })
}

pub async fn fetch(AxumState(state): AxumState<State>, call: Call) -> Result<Response> {
    let caller = state.signed_in(&call).await?;
    caller.require_admin()?;
    let modules = state.core.adminx().auth_modules(caller.scope()).await?;
    Ok(call.reply_plain(&json!({ "modules": modules.iter().map(|m| m.to_json()).collect::<Vec<_>>() })))
}

pub async fn get(AxumState(state): AxumState<State>, Path(id): Path<String>, call: Call) -> Result<Response> {
    let caller = state.signed_in(&call).await?;
    caller.require_admin()?;
    let module = state.core.adminx().auth_module(caller.scope(), parse_module_id(&id)?).await?;
    Ok(call.reply(&module.to_json()))
}

pub async fn create(AxumState(state): AxumState<State>, call: Call) -> Result<Response> {
    let caller = state.signed_in(&call).await?;
    caller.require_admin()?;
    let module = state.core.adminx().create_auth_module(&caller, module_input(&call.body)?).await?;
    Ok(call.reply(&module.to_json()))
}

pub async fn update(AxumState(state): AxumState<State>, Path(id): Path<String>, call: Call) -> Result<Response> {
    let caller = state.signed_in(&call).await?;
    caller.require_admin()?;
    let mut input = module_input(&call.body)?;
    // The seed: `mode` is ignored on update.
    input.mode = None;
    let module = state.core.adminx().update_auth_module(&caller, parse_module_id(&id)?, input).await?;
    Ok(call.reply(&module.to_json()))
}

/// `PATCH /auth_modules/updateJs/{id}`: the module's script, as text (`script`, or the whole
/// body when it is a string).
pub async fn update_script(AxumState(state): AxumState<State>, Path(id): Path<String>, call: Call) -> Result<Response> {
    let caller = state.signed_in(&call).await?;
    caller.require_admin()?;
    let script = match &call.body {
        Value::String(s) => s.clone(),
        body => match body.get("script").or_else(|| body.get("js")) {
            Some(Value::String(s)) => s.clone(),
            _ => return Err(AdminxError::missing("script")),
        },
    };
    let module = state.core.adminx().update_auth_module_script(&caller, parse_module_id(&id)?, script).await?;
    Ok(call.reply(&module.to_json()))
}

pub async fn delete(AxumState(state): AxumState<State>, Path(id): Path<String>, call: Call) -> Result<Response> {
    let caller = state.signed_in(&call).await?;
    caller.require_admin()?;
    state.core.adminx().delete_auth_module(&caller, parse_module_id(&id)?).await?;
    Ok(http::StatusCode::NO_CONTENT.into_response())
}

/// `POST /test-connection` (a license of the community): connects to the module's directory
/// and binds as its service account; the module comes back with `status` and `message`.
pub async fn test_connection(AxumState(state): AxumState<State>, call: Call) -> Result<Response> {
    let b = &call.body;
    let scope = state.scope(&given(b, "tenantId")?, &given(b, "communityId")?).await?;
    if call.license_key.is_none() {
        return Err(AdminxError::unauthorized("licensekey header is required"));
    }
    let adminx = state.core.adminx();
    adminx.license(Some(scope), call.license_key.as_deref()).await?;
    let id = must(b, "moduleId")?;
    let module = adminx.auth_module(scope, parse_module_id(&id)?).await?;
    let (ok, message) = adminx.test_connection(&module).await?;
    let mut body = module.to_json();
    body["status"] = json!(if ok { "success" } else { "failed" });
    body["message"] = json!(if ok { format!("connection success: {message}") } else { format!("connection failed: {message}") });
    Ok(call.reply(&body))
}
