use crate::dispatch::Ctx;
use crate::reply::{ApiError, Reply};

pub async fn delete(ctx: Ctx) -> Result<Reply, ApiError> {
    let force = ctx.flag("target_force").unwrap_or(false);
    ctx.core.tenancy().close_company(&ctx.caller, force).await?;
    Ok(Reply::ok())
}
