use keyhall_core::comet::actions;
use keyhall_core::{DomainError, ErrorCode};

use crate::dispatch::Ctx;
use crate::reply::{ApiError, Reply};
use crate::wire::CompanyApiToken;

pub async fn create(ctx: Ctx) -> Result<Reply, ApiError> {
    let permissions = ctx.list("permissions");
    let issued = ctx.core.auth().issue_token(&ctx.caller, &permissions, actions::ALL).await?;
    Ok(Reply::data(CompanyApiToken::from_core(&issued.token, Some(issued.secret.expose()))))
}

pub async fn list_actions(_ctx: Ctx) -> Result<Reply, ApiError> {
    Ok(Reply::data(actions::ALL))
}

pub async fn list(ctx: Ctx) -> Result<Reply, ApiError> {
    let tokens = ctx.core.auth().list_tokens(&ctx.caller).await?;
    Ok(Reply::data(tokens.iter().map(|t| CompanyApiToken::from_core(t, None)).collect::<Vec<_>>()))
}

/// The seed names the token to revoke `token`, like the credential. With Bearer
/// authentication the body's `token` is the target; with body authentication the target is
/// `target_token` (and a second `token` is refused as ambiguous by the pipeline).
pub async fn revoke(ctx: Ctx) -> Result<Reply, ApiError> {
    let target = if ctx.bearer {
        match (ctx.text("token"), ctx.text("target_token")) {
            (Some(_), Some(_)) => {
                return Err(DomainError::new(ErrorCode::AmbiguousParameter)
                    .field("token")
                    .detail("give the token to revoke as token or as target_token, not both")
                    .into());
            }
            (Some(t), None) | (None, Some(t)) => t,
            (None, None) => return Err(DomainError::missing("token").into()),
        }
    } else {
        ctx.text("target_token").ok_or_else(|| ApiError::from(DomainError::missing("target_token")))?
    };
    ctx.core.auth().revoke_token_by_secret(&ctx.caller, target).await.map_err(|mut e| {
        if ctx.bearer && ctx.text("token").is_some() {
            e.field = Some("token".into());
        } else {
            e.field = Some("target_token".into());
        }
        ApiError::from(e)
    })?;
    Ok(Reply::null())
}
