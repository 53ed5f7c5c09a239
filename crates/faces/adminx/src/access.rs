//! Invitations and password resets (`/users/invite`, `/users/resend/invite`,
//! `/users/request/invite`, `/users/accesscodes/fetch`, `/users/accesscode/{code}`,
//! `/password_reset/…`). Codes go to the user's own address or number only; what a visitor
//! asks for is answered without the code.

use axum::extract::{Path, State as AxumState};
use axum::response::{IntoResponse, Response};
use keyhall_core::adminx::access_codes::Sent;
use serde_json::{Value, json};

use crate::State;
use crate::envelope::Call;
use crate::errors::{AdminxError, Result};
use crate::fields::{given, must, secret};

/// The seed's `emailResult` for a message queued for delivery.
fn email_result(sent: &Sent, now: keyhall_types::Timestamp) -> Value {
    json!({
        "status": "SUCCESS",
        "statusCode": 200,
        "message": "Message queued for delivery",
        "error": null,
        "gatewatId": "keyhall",
        "resultId": sent.code.id,
        "messageId": sent.code.id,
        "ts": now.unix_timestamp(),
    })
}

/// `PUT /users/invite` (administrators): an invitation to a user of the community, by mail
/// or text; the answer carries the link and the code, for the administrator.
pub async fn invite(AxumState(state): AxumState<State>, call: Call) -> Result<Response> {
    let caller = state.signed_in(&call).await?;
    caller.require_admin()?;
    let b = &call.body;
    crate::users::body_scope(&caller, b)?;
    for field in ["firstname", "lastname"] {
        must(b, field)?;
    }
    let who = match (given(b, "uid")?, given(b, "userId")?) {
        (Some(uid), _) => json!({ "uid": uid }),
        (None, Some(user)) => json!({ "username": user }),
        (None, None) => return Err(AdminxError::missing("uid")),
    };
    let member = crate::users::named_member(&state, &caller, &who).await?;
    let payload = json!({
        "authModuleId": member.module_id.to_string(),
        "uid": member.user.id.to_string(),
        "userid": member.username,
        "invite_email": given(b, "emailTo")?,
        "templateKeyPath": given(b, "templateKeyPath")?,
        "createdby": given(b, "createdby")?,
    });
    let sent = state
        .core
        .adminx()
        .invite(&caller, &member, given(b, "emailTo")?.as_deref(), given(b, "smsTo")?.as_deref(), payload)
        .await?;
    Ok(call.reply_plain(&json!({ "emailResult": email_result(&sent, state.core.now()), "link": sent.link, "code": sent.secret })))
}

/// `POST /users/resend/invite` (administrators): the invitation again, with a new code.
pub async fn resend_invite(AxumState(state): AxumState<State>, call: Call) -> Result<Response> {
    let caller = state.signed_in(&call).await?;
    let b = &call.body;
    let code = must(b, "code")?;
    let email = must(b, "emailTo")?;
    let sent = state.core.adminx().resend_invitation(&caller, &code, &email).await?;
    Ok(call.reply_plain(&json!({ "emailResult": email_result(&sent, state.core.now()), "link": sent.link, "code": sent.secret })))
}

/// `POST /users/request/invite`: a user asks for an invitation to their own address. The
/// answer never carries the code.
pub async fn request_invite(AxumState(state): AxumState<State>, call: Call) -> Result<Response> {
    let b = &call.body;
    let scope = state.scope(&given(b, "tenantId")?, &given(b, "communityId")?).await?;
    let token = must(b, "user_token")?;
    let which = must(b, "deliveryMethod")?;
    state.check_captcha(&call, scope, "google_token").await?;
    let adminx = state.core.adminx();
    let (member, _) = adminx.user_of_token(scope, &token).await?;
    adminx.request_invitation(scope, &member, &which, &call.origin).await?;
    Ok(call.reply_plain(&json!({ "emailResult": { "status": "SUCCESS", "statusCode": 200, "message": "If the address is the user's, an invitation is on its way" } })))
}

/// `POST /users/accesscodes/fetch`: the codes of the users named (`uids`, or the `user`).
pub async fn access_codes(AxumState(state): AxumState<State>, call: Call) -> Result<Response> {
    let caller = state.signed_in(&call).await?;
    let b = &call.body;
    let mut uids: Vec<String> = match b.get("uids") {
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).map(str::to_string).collect(),
        None | Some(Value::Null) => Vec::new(),
        Some(_) => return Err(AdminxError::bad_request("\"uids\" must be a list of user ids")),
    };
    if let Some(uid) = b.get("user").and_then(|u| u.get("uid")).and_then(Value::as_str) {
        uids.push(uid.to_string());
    }
    if uids.is_empty() {
        return Err(AdminxError::missing("user"));
    }
    let adminx = state.core.adminx();
    let mut users = Vec::new();
    for uid in &uids {
        users.push(adminx.member(caller.scope(), uid).await?.user.id);
    }
    let codes = adminx.access_codes(&caller, &users).await?;
    Ok(call.reply_plain(&json!({ "status": "success", "data": codes.iter().map(|c| c.to_json()).collect::<Vec<_>>() })))
}

pub async fn delete_access_code(AxumState(state): AxumState<State>, Path(code): Path<String>, call: Call) -> Result<Response> {
    let caller = state.signed_in(&call).await?;
    state.core.adminx().delete_access_code(&caller, &code).await?;
    Ok(http::StatusCode::NO_CONTENT.into_response())
}

/// `PUT /password_reset/sendverify`: a reset link to one of the user's own addresses or
/// numbers; the same answer whether or not it went.
pub async fn send_reset(AxumState(state): AxumState<State>, call: Call) -> Result<Response> {
    let b = &call.body;
    let scope = state.scope(&given(b, "tenantId")?, &given(b, "communityId")?).await?;
    let token = must(b, "user_token")?;
    let destination = must(b, "destination")?;
    state.check_captcha(&call, scope, "captchaToken").await?;
    let adminx = state.core.adminx();
    let (member, _) = adminx.user_of_token(scope, &token).await?;
    adminx.request_password_reset(scope, &member, &destination, &call.origin).await?;
    Ok(call.reply_plain(&json!({ "code": 200, "message": "Ok" })))
}

/// `POST /password_reset/user/fetch`: the user a code is for (410 once it expired).
pub async fn reset_user(AxumState(state): AxumState<State>, call: Call) -> Result<Response> {
    let b = &call.body;
    let scope = state.scope(&given(b, "tenantId")?, &given(b, "communityId")?).await?;
    let code = must(b, "code")?;
    let (member, token) = state.core.adminx().resolve_code(scope, &code).await.map_err(expired_is_gone)?;
    let p = &member.profile;
    Ok(call.reply_plain(&json!({
        "user": {
            "username": member.username,
            "uid": member.user.id.to_string(),
            "type": "basic",
            "disbaled": p.disabled,
            "disabled": p.disabled,
            "firstname": p.firstname,
            "email": crate::users::mask(member.user.email.as_str()),
            "phone": crate::users::mask(&p.phone1),
            "urn": format!("urn:keyhall:user:{}", member.user.id),
        },
        "user_token": token,
    })))
}

/// `POST /password_reset`: the new password, with the code and the `user_token` it gave.
pub async fn reset(AxumState(state): AxumState<State>, call: Call) -> Result<Response> {
    let b = &call.body;
    let scope = state.scope(&given(b, "tenantId")?, &given(b, "communityId")?).await?;
    let code = must(b, "code")?;
    let token = must(b, "user_token")?;
    let password = secret(b, "newPassword")?;
    state.core.adminx().reset_password(scope, &code, &token, &password, &call.origin).await.map_err(expired_is_gone)?;
    Ok(call.reply_plain(&json!({ "code": 200, "message": "Ok" })))
}

/// An expired code is 410, as the seed documents.
fn expired_is_gone(e: keyhall_core::DomainError) -> AdminxError {
    if e.is(keyhall_core::ErrorCode::AccessCodeExpired) { AdminxError::new(410, "The code has expired") } else { e.into() }
}
