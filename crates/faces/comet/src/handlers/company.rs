use crate::dispatch::Ctx;
use crate::reply::{ApiError, Reply};

pub async fn delete(ctx: Ctx) -> Result<Reply, ApiError> {
    let force = ctx.flag("target_force").unwrap_or(false);
    ctx.core.tenancy().close_company(&ctx.caller, force).await.map_err(|e| {
        let detail = e.detail.clone().map(|d| format!("{d}, or pass target_force=true"));
        let e = e.rename_field("force", "target_force");
        ApiError::from(match detail {
            Some(d) => e.detail(d),
            None => e,
        })
    })?;
    Ok(Reply::ok())
}
