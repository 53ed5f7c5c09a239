//! Sign-in: `/verifyuser` (password, then the code when the community asks for one),
//! `/authenticate` (`user_token` + passcode), code delivery (`/authenticate/otp` and its
//! twin `/generate/otp`), `/logout`, `/jwt/verifyToken`, and the login-session calls.

use axum::extract::State as AxumState;
use axum::response::{IntoResponse, Response};
use keyhall_core::adminx::sign_in::PasswordOutcome;
use keyhall_core::adminx::{Member, Scope};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::State;
use crate::envelope::Call;
use crate::errors::{AdminxError, Result};
use crate::fields::required;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VerifyUser {
    tenant_id: Option<String>,
    community_id: Option<String>,
    username: Option<String>,
    password: Option<String>,
    otp: Option<String>,
}

/// What a sign-in answers with: the user, the person (`pon_data`) and the token.
pub(crate) fn signed_in(state: &State, member: &Member, jwt: &str) -> Value {
    json!({
        "user": member.to_json(state.core.now()),
        "pon_data": pon_data(member),
        "jwt_token": jwt,
    })
}

/// The person behind the user (1Kosmos's "PON"): one person per user here.
fn pon_data(member: &Member) -> Value {
    let uid = member.user.id.to_string();
    json!({ "personId": uid, "userIdList": [uid], "communityId": member.community_id.to_string() })
}

pub async fn verify_user(AxumState(state): AxumState<State>, call: Call) -> Result<Response> {
    let req: VerifyUser = call.parse()?;
    let scope = state.scope(&req.tenant_id, &req.community_id).await?;
    let username = required(&req.username, "username")?;
    let adminx = state.core.adminx();
    match (req.password.as_deref().filter(|p| !p.is_empty()), req.otp.as_deref().filter(|o| !o.trim().is_empty())) {
        (Some(password), otp) => match adminx.verify_password(scope, username, password, &call.origin).await? {
            PasswordOutcome::SignedIn { member, jwt } => {
                let mut body = signed_in(&state, &member, &jwt);
                body["user_token"] = json!(adminx.user_token(&member, "password"));
                Ok(call.reply_plain(&body))
            }
            PasswordOutcome::NeedsOtp { member, user_token } => match otp {
                Some(code) => {
                    let (member, jwt) = adminx.second_step_with_token(scope, &user_token, code, &call.origin).await?;
                    Ok(call.reply_plain(&signed_in(&state, &member, &jwt)))
                }
                None => Ok(call.reply_plain(&json!({
                    "user": member.to_json(state.core.now()),
                    "user_token": user_token,
                    "next": "otp",
                }))),
            },
        },
        (None, Some(code)) => {
            let (member, jwt) = adminx.second_step_for(scope, username, code, &call.origin).await?;
            Ok(call.reply_plain(&signed_in(&state, &member, &jwt)))
        }
        (None, None) => Err(AdminxError::missing("password")),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthenticateRequest {
    tenant_id: Option<String>,
    community_id: Option<String>,
    #[serde(rename = "user_token")]
    user_token: Option<String>,
    passcode: Option<String>,
}

pub async fn authenticate(AxumState(state): AxumState<State>, call: Call) -> Result<Response> {
    let req: AuthenticateRequest = call.parse()?;
    let scope = state.scope(&req.tenant_id, &req.community_id).await?;
    let token = required(&req.user_token, "user_token")?;
    let passcode = required(&req.passcode, "passcode")?;
    let (member, jwt) = state.core.adminx().second_step_with_token(scope, token, passcode, &call.origin).await?;
    Ok(call.reply_plain(&signed_in(&state, &member, &jwt)))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OtpRequest {
    tenant_id: Option<String>,
    community_id: Option<String>,
    #[serde(rename = "user_token")]
    user_token: Option<String>,
    delivery_method: Option<String>,
    destination: Option<String>,
}

/// `PUT /authenticate/otp` and `PUT /generate/otp`: a code to the user of a `user_token`.
pub async fn deliver_otp(AxumState(state): AxumState<State>, call: Call) -> Result<Response> {
    let req: OtpRequest = call.parse()?;
    let scope = state.scope(&req.tenant_id, &req.community_id).await?;
    let token = required(&req.user_token, "user_token")?;
    let method = required(&req.delivery_method, "deliveryMethod")?;
    let adminx = state.core.adminx();
    let to = adminx.deliver_otp(scope, token, method, req.destination.as_deref(), &call.origin).await?;
    Ok(call.reply(&json!({
        "status": "SUCCESS",
        "message": "OTP sent",
        "deliveryMethod": method.to_ascii_lowercase(),
        "destination": crate::users::mask(&to),
    })))
}

pub async fn logout(AxumState(state): AxumState<State>, call: Call) -> Result<Response> {
    let caller = state.signed_in(&call).await?;
    state.core.adminx().logout(&caller).await?;
    Ok(http::StatusCode::NO_CONTENT.into_response())
}

#[derive(Deserialize)]
pub struct VerifyToken {
    token: Option<String>,
}

/// The token's claims, when it verifies and its login session lives.
pub async fn verify_token(AxumState(state): AxumState<State>, call: Call) -> Result<Response> {
    let req: VerifyToken = call.parse()?;
    let token = required(&req.token, "token")?;
    let adminx = state.core.adminx();
    adminx
        .authenticate(Some(token), call.origin.clone())
        .await
        .map_err(|_| AdminxError::unauthorized("Invalid or expired token"))?;
    let claims = adminx.token_claims(token).await?;
    Ok(call.reply(&claims))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionsRequest {
    username: Option<String>,
}

/// `DELETE /loginsessions/admin/user/all`: every session of a user of the community.
pub async fn end_user_sessions(AxumState(state): AxumState<State>, call: Call) -> Result<Response> {
    let caller = state.signed_in(&call).await?;
    caller.require_admin()?;
    let req: SessionsRequest = call.parse()?;
    let username = required(&req.username, "username")?;
    let adminx = state.core.adminx();
    let member =
        adminx.member_by_username(caller.member.community_id, username).await?.ok_or_else(|| AdminxError::not_found("User"))?;
    adminx.end_sessions(&caller, &member, false).await?;
    Ok(http::StatusCode::NO_CONTENT.into_response())
}

/// `DELETE /loginsessions/user/other`: the caller's sessions but this one.
pub async fn end_other_sessions(AxumState(state): AxumState<State>, call: Call) -> Result<Response> {
    let caller = state.signed_in(&call).await?;
    let member = caller.member.clone();
    state.core.adminx().end_sessions(&caller, &member, true).await?;
    Ok(http::StatusCode::NO_CONTENT.into_response())
}

impl crate::Adminx {
    /// The community a call names (`tenantId`, `communityId`): both required.
    pub(crate) async fn scope(&self, tenant: &Option<String>, community: &Option<String>) -> Result<Scope> {
        let tenant = required(tenant, "tenantId")?;
        let community = required(community, "communityId")?;
        self.core.adminx().scope(tenant, community).await.map_err(|_| AdminxError::not_found("Community"))
    }

    /// The caller behind the call's JWT: 401 without one or with one that no longer stands.
    pub(crate) async fn signed_in(&self, call: &Call) -> Result<keyhall_core::adminx::SignedInCaller> {
        if call.bearer.is_none() {
            return Err(AdminxError::unauthorized("authorization header is required"));
        }
        self.core
            .adminx()
            .authenticate(call.bearer.as_deref(), call.origin.clone())
            .await
            .map_err(|_| AdminxError::unauthorized("Invalid or expired token"))
    }
}
