use crate::dispatch::Ctx;
use crate::errors::rename;
use crate::reply::{ApiError, Reply};
use crate::wire::UserMfaEnableWebauthnChallengeResponse;

pub async fn enable_totp(ctx: Ctx) -> Result<Reply, ApiError> {
    ctx.core
        .credentials()
        .enable_totp(&ctx.caller, ctx.required("totp_secret"), ctx.required("totp_verify_code"))
        .await
        .map_err(rename(&[("secret", "totp_secret"), ("code", "totp_verify_code")]))?;
    Ok(Reply::ok())
}

pub async fn disable(ctx: Ctx) -> Result<Reply, ApiError> {
    ctx.core.credentials().disable_mfa(&ctx.caller).await?;
    Ok(Reply::ok())
}

pub async fn webauthn_challenge(ctx: Ctx) -> Result<Reply, ApiError> {
    let options = ctx.core.credentials().start_webauthn_registration(&ctx.caller).await?;
    Ok(Reply::data(UserMfaEnableWebauthnChallengeResponse { webauthn_challenge: options }))
}

pub async fn webauthn_enable(ctx: Ctx) -> Result<Reply, ApiError> {
    ctx.core
        .credentials()
        .finish_webauthn_registration(&ctx.caller, ctx.required("webauthn_challenge_response"))
        .await
        .map_err(rename(&[("response", "webauthn_challenge_response")]))?;
    Ok(Reply::ok())
}
