//! The signed-in user's devices, login options, managed wallet, documents and account OTP.

use axum::extract::State as AxumState;
use axum::response::Response;
use keyhall_core::ErrorCode;
use serde_json::{Value, json};

use crate::State;
use crate::envelope::Call;
use crate::errors::{AdminxError, Result};

/// The user a body's `user` names (the caller's own unless an administrator names another).
async fn subject(
    state: &State,
    caller: &keyhall_core::adminx::SignedInCaller,
    body: &Value,
) -> Result<keyhall_core::adminx::Member> {
    let Some(who) = body.get("user").filter(|u| u.is_object()) else { return Ok(caller.member.as_ref().clone()) };
    let member = crate::users::named_member(state, caller, who).await?;
    if member.user.id != caller.user_id() {
        caller.require_admin()?;
    }
    Ok(member)
}

fn person(member: &keyhall_core::adminx::Member) -> Value {
    let uid = member.user.id.to_string();
    json!([{ "personId": uid, "userIdList": [uid], "communityId": member.community_id.to_string(), "publickey": "",
             "poi_ial": keyhall_core::adminx::wallet::BASELINE_IAL, "pon_ial": keyhall_core::adminx::wallet::BASELINE_IAL,
             "updatedTS": member.user.updated_at.unix_timestamp(), "id": uid }])
}

pub async fn devices(AxumState(state): AxumState<State>, call: Call) -> Result<Response> {
    let caller = state.signed_in(&call).await?;
    let member = subject(&state, &caller, &call.body).await?;
    let devices = state.core.adminx().devices(&member).await?;
    Ok(call.reply_plain(&json!({ "list": person(&member), "devices": devices })))
}

pub async fn login_options(AxumState(state): AxumState<State>, call: Call) -> Result<Response> {
    let caller = state.signed_in(&call).await?;
    let member = subject(&state, &caller, &call.body).await?;
    let adminx = state.core.adminx();
    let devices = adminx.devices(&member).await?;
    let pin = member.user.id == caller.user_id() && adminx.pin_enrolled(&caller).await?;
    Ok(call.reply_plain(
        &json!({ "list": person(&member), "devices": devices, "is_user_pin_enrolled": pin, "is_typing_phrase_enrolled": false }),
    ))
}

/// `POST /users/user/devices/has_security_key` (anyone): whether a user has a security key.
pub async fn has_security_key(AxumState(state): AxumState<State>, call: Call) -> Result<Response> {
    let b = &call.body;
    let must = |k: &str| crate::fields::must(b, k);
    let (community, tag, username) = (must("communityName")?, must("tenantTag")?, must("username")?);
    let has = state.core.adminx().has_security_key(&tag, &community, &username).await?;
    Ok(call.reply(&json!({ "hasSecurityKey": has })))
}

/// `PATCH /users/unlinkuser`: remove one of a user's devices by `did`.
pub async fn unlink(AxumState(state): AxumState<State>, call: Call) -> Result<Response> {
    let caller = state.signed_in(&call).await?;
    let member = subject(&state, &caller, &call.body).await?;
    let did = call
        .body
        .get("did")
        .and_then(Value::as_str)
        .filter(|d| !d.trim().is_empty())
        .ok_or_else(|| AdminxError::missing("did"))?;
    state
        .core
        .adminx()
        .unlink_device(&caller, &member, did)
        .await
        .map_err(|e| if e.is(ErrorCode::CredentialNotFound) { AdminxError::not_found("Device") } else { e.into() })?;
    Ok(call.reply_plain(&json!({ "message": "Device unlinked" })))
}

pub async fn create_wallet(AxumState(state): AxumState<State>, call: Call) -> Result<Response> {
    let caller = state.signed_in(&call).await?;
    let adminx = state.core.adminx();
    adminx
        .create_wallet(&caller, &crate::fields::secret(&call.body, "pin")?)
        .await
        .map_err(|e| if e.is(ErrorCode::PinExists) { AdminxError::new(409, "The wallet exists already") } else { e.into() })?;
    Ok(call.reply(&json!({ "jwt_token": adminx.refreshed_token(&caller).await? })))
}

pub async fn open_wallet(AxumState(state): AxumState<State>, call: Call) -> Result<Response> {
    let caller = state.signed_in(&call).await?;
    let adminx = state.core.adminx();
    adminx
        .open_wallet(&caller, &crate::fields::secret(&call.body, "pin")?)
        .await
        .map_err(|e| if e.is(ErrorCode::CredentialNotFound) { AdminxError::not_found("Wallet") } else { e.into() })?;
    Ok(call.reply(&json!({ "jwt_token": adminx.refreshed_token(&caller).await? })))
}

pub async fn has_wallet(AxumState(state): AxumState<State>, call: Call) -> Result<Response> {
    let caller = state.signed_in(&call).await?;
    Ok(call.reply(&json!({ "has_wallet": state.core.adminx().has_wallet(&caller).await? })))
}

/// The wallet's documents: none until identity enrolment puts some there.
pub async fn documents(AxumState(state): AxumState<State>, call: Call) -> Result<Response> {
    state.signed_in(&call).await?;
    Ok(call.reply(&json!([])))
}

pub async fn document(AxumState(state): AxumState<State>, call: Call) -> Result<Response> {
    state.signed_in(&call).await?;
    for field in ["type", "id"] {
        if call.body.get(field).and_then(Value::as_str).is_none_or(|v| v.trim().is_empty()) {
            return Err(AdminxError::missing(field));
        }
    }
    Err(AdminxError::not_found("Document"))
}

pub async fn ial(AxumState(state): AxumState<State>, call: Call) -> Result<Response> {
    state.signed_in(&call).await?;
    Ok(call.reply(&json!({ "ial": keyhall_core::adminx::wallet::BASELINE_IAL })))
}

pub async fn recovery_method(AxumState(state): AxumState<State>, call: Call) -> Result<Response> {
    state.signed_in(&call).await?;
    Ok(call.reply(&json!({ "method": "liveid_selfie" })))
}

/// `PUT /generate/account_otp`: the caller's TOTP now (404 when none is enrolled).
pub async fn account_otp(AxumState(state): AxumState<State>, call: Call) -> Result<Response> {
    let caller = state.signed_in(&call).await?;
    let (code, left) = state
        .core
        .adminx()
        .account_otp(&caller)
        .await
        .map_err(|e| if e.is(ErrorCode::CredentialNotFound) { AdminxError::not_found("Account OTP") } else { e.into() })?;
    Ok(call.reply(&json!({ "code": code, "secondsRemaining": left })))
}
