//! User properties (`/user_properties/…`), the caller's phone numbers and PIN.

use std::collections::BTreeMap;

use axum::extract::State as AxumState;
use axum::response::Response;
use keyhall_core::ErrorCode;
use serde_json::{Value, json};

use crate::State;
use crate::envelope::Call;
use crate::errors::{AdminxError, Result};

fn strings(value: Option<&Value>, field: &str) -> Result<Option<Vec<String>>> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| v.as_str().map(str::to_string))
            .collect::<Option<Vec<_>>>()
            .map(Some)
            .ok_or_else(|| AdminxError::bad_request(format!("\"{field}\" must be a list of strings"))),
        Some(_) => Err(AdminxError::bad_request(format!("\"{field}\" must be a list of strings"))),
    }
}

pub async fn check_alias(AxumState(state): AxumState<State>, call: Call) -> Result<Response> {
    let caller = state.signed_in(&call).await?;
    caller.require_admin()?;
    let alias = call
        .body
        .get("alias")
        .and_then(Value::as_str)
        .filter(|a| !a.trim().is_empty())
        .ok_or_else(|| AdminxError::missing("alias"))?;
    let unique = state.core.adminx().alias_is_unique(&caller, alias).await?;
    Ok(call.reply_plain(&json!({ "isUnique": unique })))
}

/// `POST /user_properties/update` (administrators): a user's mobiles, landlines and aliases.
pub async fn update(AxumState(state): AxumState<State>, call: Call) -> Result<Response> {
    let caller = state.signed_in(&call).await?;
    caller.require_admin()?;
    let b = &call.body;
    let scope = crate::users::body_scope(&caller, b)?;
    let who = b.get("user").filter(|u| u.is_object()).ok_or_else(|| AdminxError::missing("user"))?;
    let member = crate::users::named_member(&state, &caller, who).await?;
    let aliases = match b.get("aliases") {
        None | Some(Value::Null) => None,
        Some(Value::Object(map)) => Some(
            map.iter()
                .map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_string())))
                .collect::<Option<BTreeMap<_, _>>>()
                .ok_or_else(|| AdminxError::bad_request("\"aliases\" values must be strings"))?,
        ),
        Some(_) => return Err(AdminxError::bad_request("\"aliases\" must be an object (alias1 … alias8)")),
    };
    let member = state
        .core
        .adminx()
        .set_properties(
            &caller,
            member,
            strings(b.get("mobiles"), "mobiles")?,
            strings(b.get("landlines"), "landlines")?,
            aliases,
        )
        .await
        .map_err(|e| {
            if e.is(ErrorCode::AliasTaken) { AdminxError::new(409, e.detail.clone().unwrap_or_default()) } else { e.into() }
        })?;
    let p = &member.profile;
    Ok(call.reply_plain(&json!({
        "tenantId": scope.tenant.to_string(),
        "communityId": scope.community.to_string(),
        "user": { "username": member.username, "uid": member.user.id.to_string(), "authModuleId": member.module_id.to_string() },
        "aliases": p.aliases,
        "mobiles": p.mobiles,
        "landlines": p.landlines,
    })))
}

/// `POST /users/user/update_phone_numbers`: the caller's own numbers.
pub async fn update_phone_numbers(AxumState(state): AxumState<State>, call: Call) -> Result<Response> {
    let caller = state.signed_in(&call).await?;
    let b = &call.body;
    let scope = crate::users::body_scope(&caller, b)?;
    if let Some(who) = b.get("user").filter(|u| u.is_object()) {
        let named = crate::users::named_member(&state, &caller, who).await?;
        if named.user.id != caller.user_id() {
            return Err(AdminxError::forbidden());
        }
    }
    let pair = |key: &str| -> Result<(Vec<String>, Vec<String>)> {
        let part = b.get(key);
        Ok((
            strings(part.and_then(|p| p.get("mobiles")), &format!("{key}.mobiles"))?.unwrap_or_default(),
            strings(part.and_then(|p| p.get("landlines")), &format!("{key}.landlines"))?.unwrap_or_default(),
        ))
    };
    let member = state.core.adminx().change_own_phones(&caller, pair("updatePhones")?, pair("removePhones")?).await?;
    Ok(call.reply_plain(&json!({
        "tenantId": scope.tenant.to_string(),
        "communityId": scope.community.to_string(),
        "user": { "username": member.username, "uid": member.user.id.to_string(), "authModuleId": member.module_id.to_string() },
        "mobiles": member.profile.mobiles,
        "landlines": member.profile.landlines,
    })))
}

/// `POST /user_pin/register`: 405 when the caller has a PIN already.
pub async fn register_pin(AxumState(state): AxumState<State>, call: Call) -> Result<Response> {
    let caller = state.signed_in(&call).await?;
    let pin = crate::fields::secret(&call.body, "pin")?;
    state.core.adminx().register_pin(&caller, &pin).await.map_err(|e| {
        if e.is(ErrorCode::PinExists) {
            AdminxError::new(405, "A PIN is registered already: update it instead")
        } else {
            e.into()
        }
    })?;
    Ok(call.reply_plain(&json!({ "data": { "status": "success" } })))
}

pub async fn update_pin(AxumState(state): AxumState<State>, call: Call) -> Result<Response> {
    let caller = state.signed_in(&call).await?;
    let pin = crate::fields::secret(&call.body, "newPin")?;
    state.core.adminx().update_pin(&caller, &pin).await?;
    Ok(call.reply_plain(&json!({ "data": { "status": "success" } })))
}

pub async fn delete_pin(AxumState(state): AxumState<State>, call: Call) -> Result<Response> {
    let caller = state.signed_in(&call).await?;
    match state.core.adminx().delete_pin(&caller).await {
        Ok(()) => Ok(call.reply_plain(&json!({ "data": { "message": "PIN deleted" } }))),
        Err(e) if e.is(ErrorCode::CredentialNotFound) => Err(AdminxError::not_found("PIN")),
        Err(e) => Err(e.into()),
    }
}
