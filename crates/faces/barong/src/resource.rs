//! `/api/v2/auth/resource/…`: the signed-in user's own account, labels, 2FA and API keys.
//! Every endpoint needs the bearer token authorize issues.

use axum::extract::{Path, State as AxumState};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use http::StatusCode;
use keyhall_core::ErrorCode;
use keyhall_core::audit::AuditQuery;
use keyhall_core::credentials::PasswordPolicy;
use keyhall_core::identity::labels::LabelScope;
use keyhall_core::identity::registration::check_user_data;
use serde_json::{Value, json};

use crate::entities::{self, facts, user_with_full_info};
use crate::errors::{BarongError, Result};
use crate::params::{Input, Params};
use crate::session::Bearer;
use crate::{State, api_keys};

async fn full(state: &State, user: &keyhall_core::identity::users::User) -> Result<Response> {
    let f = facts(&state.core, user, None).await?;
    Ok(axum::Json(user_with_full_info(user, &f, None)).into_response())
}

pub async fn me(AxumState(state): AxumState<State>, b: Bearer) -> Result<Response> {
    full(&state, &b.user).await
}

pub async fn update_me(AxumState(state): AxumState<State>, b: Bearer, Input { p, .. }: Input) -> Result<Response> {
    p.checker("resource.user").requires_filled("data").finish()?;
    let data = check_user_data(&p.text("data").unwrap_or_default()).map_err(|v| crate::errors::violations(&[v]))?;
    let user = state.core.identity().set_user_data(&b.caller, &b.user, data).await?;
    full(&state, &user).await
}

/// Closes the account (label `delete=by_user`) after the password and, with 2FA on, a code.
pub async fn delete_me(AxumState(state): AxumState<State>, b: Bearer, Input { p, .. }: Input) -> Result<Response> {
    p.checker("resource.user").requires_filled("password").finish()?;
    let core = &state.core;
    let now = core.now();
    let password = p.text("password").unwrap_or_default();
    if !core.credentials().recheck_password(&b.user, &password).await?.checked(now)? {
        return Err(BarongError::new(422, "resource.user.invalid_password"));
    }
    if core.credentials().has_totp(b.user.id).await.map_err(BarongError::internal)? {
        let code = match p.text("otp_code") {
            None => return Err(BarongError::new(422, "resource.user.missing_otp_code")),
            Some(c) if c.trim().is_empty() => return Err(BarongError::new(422, "resource.user.empty_otp_code")),
            Some(c) => c,
        };
        if !core.credentials().recheck_totp(&b.user, &code).await?.checked(now)? {
            return Err(BarongError::new(422, "resource.user.invalid_otp"));
        }
    }
    core.identity().set_private_label(&b.caller, &b.user, "delete", Some("by_user")).await.map_err(BarongError::internal)?;
    core.auth().close_user_sessions(b.user.id, None).await.map_err(BarongError::internal)?;
    Ok(StatusCode::OK.into_response())
}

pub async fn change_password(AxumState(state): AxumState<State>, b: Bearer, Input { p, .. }: Input) -> Result<Response> {
    p.checker("resource.user")
        .requires_filled("old_password")
        .requires_filled("new_password")
        .requires_filled("confirm_password")
        .finish()?;
    let (old, new) = (p.text("old_password").unwrap_or_default(), p.text("new_password").unwrap_or_default());
    if Some(&new) != p.text("confirm_password").as_ref() {
        return Err(BarongError::new(422, "resource.password.doesnt_match"));
    }
    if !state.core.credentials().recheck_password(&b.user, &old).await?.checked(state.core.now())? {
        return Err(BarongError::new(400, "resource.password.prev_pass_not_correct"));
    }
    if old == new {
        return Err(BarongError::new(400, "resource.password.no_change_provided"));
    }
    state.core.credentials().set_password(&b.caller, &b.user, &new, &PasswordPolicy::BARONG, None).await?;
    Ok(StatusCode::CREATED.into_response())
}

const TOPICS: &[&str] = &["all", "session", "otp", "password", "account"];

pub(crate) fn pagination(p: &Params) -> Result<(u32, u32)> {
    let page = match p.text("page") {
        None => 1,
        Some(t) => t.parse::<i64>().map_err(|_| BarongError::new(422, "non_integer_page"))?,
    };
    if page < 1 {
        return Err(BarongError::new(422, "non_positive_page"));
    }
    let limit = match p.text("limit") {
        None => 100,
        Some(t) => t.parse::<i64>().map_err(|_| BarongError::new(422, "non_integer_limit"))?,
    };
    if !(1..=1000).contains(&limit) {
        return Err(BarongError::new(422, "invalid_limit"));
    }
    Ok((page as u32, limit as u32))
}

pub async fn activity(
    AxumState(state): AxumState<State>,
    b: Bearer,
    Path(topic): Path<String>,
    Input { p, .. }: Input,
) -> Result<Response> {
    if topic.trim().is_empty() {
        return Err(BarongError::new(422, "resource.user.empty_topic"));
    }
    if !TOPICS.contains(&topic.as_str()) {
        return Err(BarongError::new(422, "resource.user.wrong_topic"));
    }
    let (page, limit) = pagination(&p)?;
    let records = state
        .core
        .audit()
        .log(&AuditQuery {
            tenant_id: Some(b.user.tenant_id),
            target_id: Some(b.user.id.to_string()),
            limit: 10_000,
            ..Default::default()
        })
        .await
        .map_err(BarongError::internal)?;
    let selected: Vec<Value> = records
        .iter()
        .filter(|e| topic == "all" || entities::topic(&e.action) == topic)
        .enumerate()
        .skip(((page - 1) * limit) as usize)
        .take(limit as usize)
        .map(|(i, e)| entities::activity(e, i + 1))
        .collect();
    if selected.is_empty() {
        return Err(BarongError::new(422, "resource.user.no_activity"));
    }
    Ok(axum::Json(Value::Array(selected)).into_response())
}

pub async fn labels(AxumState(state): AxumState<State>, b: Bearer) -> Result<Response> {
    let labels = state.core.identity().labels(b.user.id).await.map_err(BarongError::internal)?;
    Ok(axum::Json(labels.iter().map(entities::label).collect::<Vec<_>>()).into_response())
}

pub async fn label(AxumState(state): AxumState<State>, b: Bearer, Path(key): Path<String>) -> Result<Response> {
    let labels = state.core.identity().labels(b.user.id).await.map_err(BarongError::internal)?;
    let found = labels
        .iter()
        .find(|l| l.key == key && l.scope == LabelScope::Public)
        .ok_or_else(|| BarongError::new(404, "record.not_found"))?;
    Ok(axum::Json(entities::label(found)).into_response())
}

fn label_error(e: keyhall_core::DomainError) -> BarongError {
    match e.code {
        ErrorCode::LabelPrivate => BarongError::new(400, "resource.labels.private"),
        _ => BarongError::from(e),
    }
}

pub async fn create_label(AxumState(state): AxumState<State>, b: Bearer, Input { p, .. }: Input) -> Result<Response> {
    p.checker("resource.label").requires_filled("key").requires_filled("value").finish()?;
    let label = state
        .core
        .barong()
        .create_public_label(&b.caller, &b.user, &p.text("key").unwrap_or_default(), &p.text("value").unwrap_or_default())
        .await
        .map_err(label_error)?;
    Ok((StatusCode::CREATED, axum::Json(entities::label(&label))).into_response())
}

pub async fn update_label(
    AxumState(state): AxumState<State>,
    b: Bearer,
    Path(key): Path<String>,
    Input { p, .. }: Input,
) -> Result<Response> {
    p.checker("resource.label").requires_filled("value").finish()?;
    let label = state
        .core
        .barong()
        .update_public_label(&b.caller, &b.user, &key, &p.text("value").unwrap_or_default())
        .await
        .map_err(label_error)?;
    Ok(axum::Json(entities::label(&label)).into_response())
}

pub async fn delete_label(AxumState(state): AxumState<State>, b: Bearer, Path(key): Path<String>) -> Result<Response> {
    state.core.barong().delete_public_label(&b.caller, &b.user, &key).await.map_err(label_error)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

pub async fn otp_generate_qrcode(AxumState(state): AxumState<State>, b: Bearer) -> Result<Response> {
    let enrolment =
        state.core.credentials().start_totp_enrolment(&b.caller, &state.config.app_name).await.map_err(|e| match e.code {
            ErrorCode::TotpAlreadyEnabled => BarongError::new(400, "resource.otp.already_enabled"),
            _ => e.into(),
        })?;
    let png = crate::qr::png(&enrolment.otpauth_uri, 6).ok_or_else(|| BarongError::internal("QR code"))?;
    let barcode = base64::engine::general_purpose::STANDARD.encode(png);
    Ok((StatusCode::CREATED, axum::Json(json!({ "data": { "barcode": barcode, "url": enrolment.otpauth_uri } }))).into_response())
}

fn otp_code(p: &Params) -> Result<String> {
    p.checker("resource.otp").requires_filled("code").finish()?;
    Ok(p.text("code").unwrap_or_default())
}

pub async fn otp_enable(AxumState(state): AxumState<State>, b: Bearer, Input { p, .. }: Input) -> Result<Response> {
    let code = otp_code(&p)?;
    state.core.credentials().confirm_totp_enrolment(&b.caller, &code).await.map_err(|e| match e.code {
        ErrorCode::TotpAlreadyEnabled => BarongError::new(400, "resource.otp.already_enabled"),
        ErrorCode::TotpInvalidCode => BarongError::new(422, "resource.otp.invalid"),
        _ => e.into(),
    })?;
    let core = &state.core;
    core.identity().set_private_label(&b.caller, &b.user, "otp", Some("enabled")).await.map_err(BarongError::internal)?;
    Ok(StatusCode::CREATED.into_response())
}

pub async fn otp_disable(AxumState(state): AxumState<State>, b: Bearer, Input { p, .. }: Input) -> Result<Response> {
    let code = otp_code(&p)?;
    state.core.credentials().disable_totp_with_code(&b.caller, &code).await.map_err(|e| match e.code {
        ErrorCode::TotpNotEnabled => BarongError::new(400, "resource.otp.not_enabled"),
        ErrorCode::TotpInvalidCode | ErrorCode::TotpCodeReused => BarongError::new(422, "resource.otp.invalid"),
        _ => e.into(),
    })?;
    state.core.identity().set_private_label(&b.caller, &b.user, "otp", None).await.map_err(BarongError::internal)?;
    Ok(StatusCode::OK.into_response())
}

/// Checks a code without changing anything (the code is spent).
pub async fn otp_verify(AxumState(state): AxumState<State>, b: Bearer, Input { p, .. }: Input) -> Result<Response> {
    let code = otp_code(&p)?;
    if !state.core.credentials().has_totp(b.user.id).await.map_err(BarongError::internal)? {
        return Err(BarongError::new(400, "resource.otp.not_enabled"));
    }
    if !state.core.credentials().recheck_totp(&b.user, &code).await?.checked(state.core.now())? {
        return Err(BarongError::new(422, "resource.otp.invalid"));
    }
    Ok(StatusCode::CREATED.into_response())
}

const KEYS: &str = "resource.api_key";

pub async fn api_keys(AxumState(state): AxumState<State>, b: Bearer, Input { p, .. }: Input) -> Result<Response> {
    let keys = state.core.auth().api_keys_of(&b.user).await.map_err(BarongError::internal)?;
    api_keys::page(keys, &p, KEYS)
}

pub async fn create_api_key(AxumState(state): AxumState<State>, b: Bearer, Input { p, .. }: Input) -> Result<Response> {
    p.checker(KEYS).requires_filled("algorithm").finish()?;
    api_keys::create(&state, &b, &b.user, &p, KEYS).await
}

pub async fn update_api_key(
    AxumState(state): AxumState<State>,
    b: Bearer,
    Path(kid): Path<String>,
    Input { p, .. }: Input,
) -> Result<Response> {
    api_keys::update(&state, &b, &b.user, &kid, &p, KEYS).await
}

pub async fn delete_api_key(
    AxumState(state): AxumState<State>,
    b: Bearer,
    Path(kid): Path<String>,
    Input { p, .. }: Input,
) -> Result<Response> {
    api_keys::delete(&state, &b, &b.user, &kid, &p, KEYS).await
}

/// Keeps a JSON document under one of the configured titles (201, empty body).
pub async fn create_data_storage(AxumState(state): AxumState<State>, b: Bearer, Input { p, .. }: Input) -> Result<Response> {
    p.checker("resource.data_storage").requires_filled("title").requires_filled("data").finish()?;
    let (title, data) = (p.text("title").unwrap_or_default(), p.text("data").unwrap_or_default());
    let broken = keyhall_core::barong::data_storage::check(&title, &data, &state.config.storage_titles);
    if !broken.is_empty() {
        return Err(crate::errors::violations(&broken));
    }
    state.core.barong().create_data_storage(&b.caller, &b.user, &title, &data).await.map_err(|e| match e.code {
        ErrorCode::DataStorageTitleTaken => BarongError::new(422, "title.taken"),
        _ => e.into(),
    })?;
    Ok(StatusCode::CREATED.into_response())
}
