//! `/api/v2/auth/resource/profiles` and `/phones`: the personal details and phone numbers a
//! user submits for verification.

use axum::extract::State as AxumState;
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use keyhall_core::identity::profiles::{ProfileChanges, ProfileDetails};
use keyhall_core::{DomainError, ErrorCode};
use serde_json::json;

use crate::State;
use crate::entities::{self, facts, user_with_full_info};
use crate::errors::{BarongError, Result};
use crate::params::{Coerce, Input, Params};
use crate::session::Bearer;

fn profile_changes(p: &Params) -> Result<ProfileChanges> {
    let mut c = Coerce::new(p);
    let details = ProfileDetails {
        first_name: c.text("first_name"),
        last_name: c.text("last_name"),
        dob: c.date("dob", "invalid"),
        address: c.text("address"),
        postcode: c.text("postcode"),
        city: c.text("city"),
        country: c.text("country"),
        metadata: c.text("metadata"),
    };
    let changes = ProfileChanges { details, confirm: c.boolean("confirm").unwrap_or(false) };
    c.finish()?;
    Ok(changes)
}

fn profile_error(e: DomainError) -> BarongError {
    match e.code {
        ErrorCode::ProfileNotEditable => BarongError::new(404, "resource.profile.doesnt_exist_or_not_editable"),
        _ => e.into(),
    }
}

pub async fn my_profiles(AxumState(state): AxumState<State>, b: Bearer) -> Result<Response> {
    let profiles = state.core.identity().profiles(b.user.id).await.map_err(BarongError::internal)?;
    Ok(axum::Json(profiles.iter().map(entities::profile).collect::<Vec<_>>()).into_response())
}

/// Starts a profile: drafted, or submitted for verification with `confirm`.
pub async fn create_profile(AxumState(state): AxumState<State>, b: Bearer, Input { p, .. }: Input) -> Result<Response> {
    let changes = profile_changes(&p)?;
    let profile = state.core.identity().create_profile(&b.caller, &b.user, changes).await.map_err(profile_error)?;
    Ok((StatusCode::CREATED, axum::Json(entities::profile(&profile))).into_response())
}

/// Edits the drafted profile (and submits it with `confirm`).
pub async fn update_profile(AxumState(state): AxumState<State>, b: Bearer, Input { p, .. }: Input) -> Result<Response> {
    let changes = profile_changes(&p)?;
    let profile = state.core.identity().update_profile(&b.caller, &b.user, changes).await.map_err(profile_error)?;
    Ok(axum::Json(entities::profile(&profile)).into_response())
}

fn phone_error(e: DomainError) -> BarongError {
    match e.code {
        ErrorCode::PhoneInvalidNumber => BarongError::new(400, "resource.phone.invalid_num"),
        ErrorCode::PhoneVerifiedElsewhere => BarongError::new(400, "resource.phone.number_exist"),
        ErrorCode::PhoneExists => BarongError::new(400, "resource.phone.exists"),
        ErrorCode::PhoneNotFound => BarongError::new(404, "resource.phone.doesnt_exist"),
        ErrorCode::PhoneCodeInvalid => BarongError::new(404, "resource.phone.verification_invalid"),
        // Texts limited per user or per client address: the same answer.
        ErrorCode::SmsLimitReached | ErrorCode::RequestsLimited => {
            BarongError::new(429, "resource.phone.too_many_texts").retry_after(e.retry_after)
        }
        ErrorCode::PhoneLimitReached => BarongError::new(400, "resource.phone.limit_reached"),
        _ => e.into(),
    }
}

/// `phone_number` (required) and `channel` (`sms` by default, or `call`).
fn number_and_channel(p: &Params) -> Result<(String, String)> {
    let mut check = p.checker("resource.phone");
    check.requires_filled("phone_number");
    let channel = p.text("channel").unwrap_or_else(|| "sms".into());
    if !["sms", "call"].contains(&channel.as_str()) {
        check.errors.push("resource.phone.invalid_channel".into());
    }
    check.finish()?;
    Ok((p.text("phone_number").unwrap_or_default(), channel))
}

fn code_sent(channel: &str) -> Response {
    (StatusCode::CREATED, axum::Json(json!({ "message": format!("Code was sent successfully via {channel}") }))).into_response()
}

pub async fn phones(AxumState(state): AxumState<State>, b: Bearer) -> Result<Response> {
    let phones = state.core.identity().phones(b.user.id).await.map_err(BarongError::internal)?;
    Ok(axum::Json(phones.iter().map(entities::phone).collect::<Vec<_>>()).into_response())
}

pub async fn add_phone(AxumState(state): AxumState<State>, b: Bearer, Input { p, .. }: Input) -> Result<Response> {
    let (number, channel) = number_and_channel(&p)?;
    state.core.identity().add_phone(&b.caller, &b.user, &number, &channel).await.map_err(phone_error)?;
    Ok(code_sent(&channel))
}

pub async fn send_phone_code(AxumState(state): AxumState<State>, b: Bearer, Input { p, .. }: Input) -> Result<Response> {
    let (number, channel) = number_and_channel(&p)?;
    state.core.identity().resend_phone_code(&b.caller, &b.user, &number, &channel).await.map_err(phone_error)?;
    Ok(code_sent(&channel))
}

/// Verifies a phone with its code (201 and the user, now holding `phone=verified`).
pub async fn verify_phone(AxumState(state): AxumState<State>, b: Bearer, Input { p, .. }: Input) -> Result<Response> {
    p.checker("resource.phone").requires_filled("phone_number").requires_filled("verification_code").finish()?;
    let (number, code) = (p.text("phone_number").unwrap_or_default(), p.text("verification_code").unwrap_or_default());
    let user = state.core.identity().verify_phone(&b.caller, &b.user, &number, &code).await.map_err(phone_error)?;
    let f = facts(&state.core, &user, None).await?;
    Ok((StatusCode::CREATED, axum::Json(user_with_full_info(&user, &f, None))).into_response())
}
