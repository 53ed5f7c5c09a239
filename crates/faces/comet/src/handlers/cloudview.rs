use keyhall_core::comet::cloudview::CloudViewCommand;

use crate::dispatch::Ctx;
use crate::reply::{ApiError, Reply};
use crate::wire::CloudViewLoginCredentials;

async fn command(ctx: &Ctx, command: CloudViewCommand) -> Result<String, ApiError> {
    Ok(ctx.core.comet().cloudview_command(&ctx.caller, command).await?.status.as_str().to_string())
}

pub async fn convert_to_paid(ctx: Ctx) -> Result<Reply, ApiError> {
    command(&ctx, CloudViewCommand::ConvertToPaid).await?;
    Ok(Reply::ok())
}

pub async fn convert_to_trial(ctx: Ctx) -> Result<Reply, ApiError> {
    command(&ctx, CloudViewCommand::ConvertToTrial).await?;
    Ok(Reply::ok())
}

/// Answers with the new status (`PROVISIONING`).
pub async fn provision(ctx: Ctx) -> Result<Reply, ApiError> {
    Ok(Reply::data(command(&ctx, CloudViewCommand::Provision).await?))
}

pub async fn terminate(ctx: Ctx) -> Result<Reply, ApiError> {
    command(&ctx, CloudViewCommand::Terminate).await?;
    Ok(Reply::ok())
}

pub async fn status(ctx: Ctx) -> Result<Reply, ApiError> {
    Ok(Reply::data(ctx.core.comet().cloudview(&ctx.caller).await?.status.as_str()))
}

pub async fn login_credentials(ctx: Ctx) -> Result<Reply, ApiError> {
    let login = ctx.core.comet().cloudview_login(&ctx.caller).await?;
    Ok(Reply::data(CloudViewLoginCredentials {
        status: "OK".into(),
        login_url: login.login_url,
        login_postdata: login.login_postdata,
    }))
}
