use keyhall_core::comet::account::AccountSettings as CoreAccountSettings;
use keyhall_core::credentials::PasswordPolicy;
use keyhall_core::identity::users::{NewUser, UserPatch};
use keyhall_core::{DomainError, ErrorCode};
use keyhall_types::UserId;

use crate::dispatch::Ctx;
use crate::errors::rename;
use crate::reply::{ApiError, Reply};
use crate::wire::{AccountSettings, User};

/// Comet's password rule: at least 8 characters, an uppercase letter, a lowercase letter and a
/// number.
const RULE: PasswordPolicy = PasswordPolicy::STANDARD;

const TARGET: &[(&str, &str)] =
    &[("id", "target_id"), ("email", "target_email"), ("contact_name", "target_contact_name"), ("password", "target_password")];

fn target_id(ctx: &Ctx) -> Result<UserId, ApiError> {
    UserId::parse(ctx.required("target_id")).ok_or_else(|| DomainError::new(ErrorCode::UserNotFound).field("target_id").into())
}

pub async fn create(ctx: Ctx) -> Result<Reply, ApiError> {
    let input = NewUser {
        email: ctx.required("target_email").to_string(),
        contact_name: ctx.required("target_contact_name").to_string(),
        password: ctx.raw("target_password").map(str::to_string),
        is_billing: ctx.flag("target_is_billing").unwrap_or(false),
        is_technical: ctx.flag("target_is_technical").unwrap_or(false),
        send_verification_email: ctx.flag("send_verification_email").unwrap_or(false),
    };
    let user = ctx.core.identity().create_user(&ctx.caller, input, &RULE).await.map_err(rename(TARGET))?;
    Ok(Reply::data(User::from(user)))
}

pub async fn list(ctx: Ctx) -> Result<Reply, ApiError> {
    let users = ctx.core.identity().list_users(&ctx.caller).await?;
    Ok(Reply::data(users.into_iter().map(User::from).collect::<Vec<_>>()))
}

pub async fn patch(ctx: Ctx) -> Result<Reply, ApiError> {
    let id = target_id(&ctx)?;
    let patch = UserPatch {
        contact_name: ctx.text("target_contact_name").map(str::to_string),
        email: ctx.text("target_email").map(str::to_string),
        password: ctx.raw("target_password").map(str::to_string),
        is_billing: ctx.flag("target_is_billing"),
        is_technical: ctx.flag("target_is_technical"),
    };
    let user = ctx.core.identity().patch_user(&ctx.caller, id, patch, &RULE).await.map_err(rename(TARGET))?;
    Ok(Reply::data(User::from(user)))
}

pub async fn delete(ctx: Ctx) -> Result<Reply, ApiError> {
    let id = target_id(&ctx)?;
    ctx.core.identity().delete_user(&ctx.caller, id).await.map_err(rename(TARGET))?;
    Ok(Reply::null())
}

pub async fn change_password(ctx: Ctx) -> Result<Reply, ApiError> {
    let password = ctx.raw("new_password").unwrap_or_default();
    ctx.core
        .credentials()
        .change_own_password(&ctx.caller, password, &RULE)
        .await
        .map_err(rename(&[("password", "new_password")]))?;
    Ok(Reply::ok())
}

pub async fn get_account_settings(ctx: Ctx) -> Result<Reply, ApiError> {
    Ok(Reply::data(AccountSettings::from(ctx.core.comet().account_settings(&ctx.caller).await?)))
}

pub async fn set_account_settings(ctx: Ctx) -> Result<Reply, ApiError> {
    let text = |n: &str| ctx.text(n).unwrap_or_default().to_string();
    let flag = |n: &str| ctx.flag(n).unwrap_or(false);
    let settings = CoreAccountSettings {
        user_contact_name: text("user_contact_name"),
        user_email: text("user_email"),
        user_is_2fa_required: flag("user_is_2fa_required"),
        user_notifications_is_technical: flag("user_notifications_is_technical"),
        user_notifications_is_billing: flag("user_notifications_is_billing"),
        user_notifications_email_weekly_usage: flag("user_notifications_email_weekly_usage"),
        company_name: text("company_name"),
        company_phone_number: text("company_phone_number"),
        company_address_street: text("company_address_street"),
        company_address_city: text("company_address_city"),
        company_address_postcode: text("company_address_postcode"),
        company_address_country: text("company_address_country"),
    };
    ctx.core.comet().set_account_settings(&ctx.caller, settings).await?;
    Ok(Reply::ok())
}
