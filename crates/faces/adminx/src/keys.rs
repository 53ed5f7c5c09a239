//! What licenses and help desk get: service keys, the server's signature of a nonce, and
//! help-desk passcodes.

use axum::extract::{Path, State as AxumState};
use axum::response::Response;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::State;
use crate::envelope::Call;
use crate::errors::{AdminxError, Result};
use crate::fields::required;

fn keys_json(keys: &[keyhall_core::adminx::service_keys::ServiceKey]) -> Value {
    json!(
        keys.iter()
            .map(|k| json!({ "tag": k.tag, "keyId": k.key_id, "keySecret": k.key_secret, "type": "ecdsa" }))
            .collect::<Vec<_>>()
    )
}

async fn system_license(state: &State, call: &Call) -> Result<keyhall_core::adminx::AccessLicense> {
    if call.license_key.is_none() {
        return Err(AdminxError::unauthorized("licensekey header is required"));
    }
    Ok(state.core.adminx().system_license(None, call.license_key.as_deref()).await?)
}

/// `GET /servicekeys` (a `system` license).
pub async fn service_keys(AxumState(state): AxumState<State>, call: Call) -> Result<Response> {
    let license = system_license(&state, &call).await?;
    let keys = state.core.adminx().service_keys(&license, state.config.curve, &call.origin).await?;
    Ok(call.reply_plain(&keys_json(&keys)))
}

/// `DELETE /servicekey/{keyId}`: a new pair in its place.
pub async fn reset_service_key(AxumState(state): AxumState<State>, Path(key_id): Path<String>, call: Call) -> Result<Response> {
    let license = system_license(&state, &call).await?;
    let keys = state.core.adminx().reset_service_key(&license, state.config.curve, &key_id, &call.origin).await?;
    Ok(call.reply_plain(&keys_json(&keys)))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NonceRequest {
    tenant_id: Option<String>,
    community_id: Option<String>,
    nonce: Option<String>,
}

/// `POST /nonce/sign`: the server's ECDSA signature (SHA-256, base64 of `r ‖ s`) of the nonce,
/// with the key `/publickeys` names. A `licensekey`, when sent, must be a license of the tenant.
pub async fn sign_nonce(AxumState(state): AxumState<State>, call: Call) -> Result<Response> {
    let req: NonceRequest = call.parse()?;
    let scope = state.scope(&req.tenant_id, &req.community_id).await?;
    let nonce = required(&req.nonce, "nonce")?;
    if nonce.len() > 1024 {
        return Err(AdminxError::bad_request("\"nonce\" must be at most 1024 characters"));
    }
    if call.license_key.is_some() {
        state.core.adminx().license(Some(scope), call.license_key.as_deref()).await?;
    }
    let key = state.server_key().await?;
    Ok(call.reply_plain(&json!({ "signed_nonce": key.sign(nonce.as_bytes()) })))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PasscodeRequest {
    user_id: Option<String>,
    tenant_id: Option<String>,
    community_id: Option<String>,
    validity_seconds: Option<Value>,
    service_name: Option<String>,
}

/// `POST /helpdesk-passcode/generate`: a one-time passcode for a user (by username or e-mail),
/// returned to the help desk, never sent.
pub async fn helpdesk_passcode(AxumState(state): AxumState<State>, call: Call) -> Result<Response> {
    let caller = state.signed_in(&call).await?;
    let req: PasscodeRequest = call.parse()?;
    let scope = caller.require_scope(required(&req.tenant_id, "tenantId")?, required(&req.community_id, "communityId")?)?;
    let user = required(&req.user_id, "userId")?;
    if required(&req.service_name, "serviceName")? != "1KosmosHelpdeskAdminCode" {
        return Err(AdminxError::bad_request("\"serviceName\" must be 1KosmosHelpdeskAdminCode"));
    }
    let seconds = match &req.validity_seconds {
        None | Some(Value::Null) => return Err(AdminxError::missing("validitySeconds")),
        Some(v) => v.as_i64().ok_or_else(|| AdminxError::bad_request("\"validitySeconds\" must be a number"))?,
    };
    if !caller.member.role.permissions().contains(&"user.helpdesk-passcode.generate") {
        return Err(AdminxError::forbidden());
    }
    let adminx = state.core.adminx();
    let mut member = adminx.member_by_username(scope.community, user).await?;
    if member.is_none() && user.contains('@') {
        let query = keyhall_core::adminx::members::MemberQuery { email: Some(user.to_string()), limit: 1, ..Default::default() };
        member = adminx.members(scope, &query).await?.0.into_iter().next();
    }
    let member = member.ok_or_else(|| AdminxError::not_found("User"))?;
    let (code, expires) = adminx.helpdesk_passcode(&caller, &member, time::Duration::seconds(seconds)).await?;
    Ok(call.reply(&json!({
        "passcode": code,
        "validitySeconds": seconds,
        "expiresAt": expires.unix_timestamp(),
        "username": member.username,
    })))
}
