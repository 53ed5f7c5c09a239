//! Self-registration (`/register/sendverify`, `/register/verifyemail`, `/register/user`) and
//! the installation's switch for it (`/instance_config/self_registration_config`).

use axum::extract::State as AxumState;
use axum::response::Response;
use keyhall_core::adminx::parse_module_id;
use keyhall_core::adminx::registration::NewRegistration;
use keyhall_core::{DomainError, ErrorCode};
use serde_json::{Value, json};

use crate::State;
use crate::envelope::Call;
use crate::errors::{AdminxError, Result};
use crate::fields::flag;
use crate::fields::{given, must, secret};

/// The seed's statuses: a taken address is 409, an expired code 410, a closed community 403.
fn registration_error(e: DomainError) -> AdminxError {
    match e.code {
        ErrorCode::EmailTaken => AdminxError::new(409, "A user with this e-mail address exists already"),
        ErrorCode::AccessCodeExpired => AdminxError::new(410, "The code has expired"),
        _ => e.into(),
    }
}

pub async fn send_verify(AxumState(state): AxumState<State>, call: Call) -> Result<Response> {
    let b = &call.body;
    let scope = state.scope(&given(b, "tenantId")?, &given(b, "communityId")?).await?;
    let email = must(b, "email")?;
    state.check_captcha(&call, scope, "captchaToken").await?;
    state.core.adminx().send_registration_code(scope, &email, &call.origin).await.map_err(registration_error)?;
    Ok(call.reply_plain(&json!({ "code": 200, "message": "Ok" })))
}

pub async fn verify_email(AxumState(state): AxumState<State>, call: Call) -> Result<Response> {
    let b = &call.body;
    let scope = state.scope(&given(b, "tenantId")?, &given(b, "communityId")?).await?;
    let code = must(b, "code")?;
    let email = state.core.adminx().registration_email(scope, &code).await.map_err(registration_error)?;
    Ok(call.reply_plain(&json!({ "email": email })))
}

/// `PUT /register/user`: the account, signed in (`{user, pon_data, jwt_token}`).
pub async fn register(AxumState(state): AxumState<State>, call: Call) -> Result<Response> {
    let b = &call.body;
    let scope = state.scope(&given(b, "tenantId")?, &given(b, "communityId")?).await?;
    state.check_captcha(&call, scope, "captchaToken").await?;
    let input = NewRegistration {
        module: parse_module_id(&must(b, "moduleId")?)?,
        firstname: must(b, "firstname")?,
        lastname: must(b, "lastname")?,
        email: must(b, "email")?,
        password: secret(b, "password")?,
        code: must(b, "code")?,
        phone: given(b, "phoneNumber")?,
    };
    let (member, jwt) = state.core.adminx().register(scope, input, &call.origin).await.map_err(registration_error)?;
    Ok(call.reply_plain(&crate::authenticate::signed_in(&state, &member, &jwt)))
}

pub async fn get_instance(AxumState(state): AxumState<State>, call: Call) -> Result<Response> {
    let caller = state.signed_in(&call).await?;
    let adminx = state.core.adminx();
    adminx.require_instance_admin(&caller).await?;
    Ok(call.reply(&json!({ "allowed": adminx.instance_registration_allowed().await? })))
}

pub async fn put_instance(AxumState(state): AxumState<State>, call: Call) -> Result<Response> {
    let caller = state.signed_in(&call).await?;
    let allowed =
        flag(call.body.get("allowed").unwrap_or(&Value::Null), "allowed")?.ok_or_else(|| AdminxError::missing("allowed"))?;
    let allowed = state.core.adminx().set_instance_registration(&caller, allowed).await?;
    Ok(call.reply(&json!({ "allowed": allowed })))
}
