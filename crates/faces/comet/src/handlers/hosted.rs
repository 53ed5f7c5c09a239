use keyhall_core::comet::hosted::{BrandingUpdate, HostedChange, HostedInstance, HostedState, NewHosted, REGIONS};
use keyhall_core::comet::regions;
use keyhall_types::rfc3339;
use serde_json::json;

use crate::dispatch::Ctx;
use crate::errors::rename;
use crate::reply::{ApiError, Reply};
use crate::wire::{HostedCometListRegionsResponse, HostedCometTenant};

const CREATE: &[(&str, &str)] = &[
    ("name", "target_name"),
    ("region", "target_region"),
    ("domain", "target_domain"),
    ("email_send_as", "target_email_send_as"),
    ("email_from", "target_email_from"),
    ("storage_type", "target_storage_type"),
    ("storage_bucket_name", "target_storage_bucket_name"),
];
const CHANGE: &[(&str, &str)] = &[
    ("hosted_server_id", "target_hosted_server_id"),
    ("name", "target_name"),
    ("custom_domain", "target_custom_domain"),
    ("email_send_as", "target_email_send_as"),
    ("email_from", "target_email_from"),
    ("email_delivery_method", "target_email_delivery_method"),
    ("smtp_host", "target_smtp_host"),
    ("smtp_port", "target_smtp_port"),
    ("smtp_security", "target_smtp_security"),
];
const LEGACY: &[(&str, &str)] = &[("domain", "subdomain"), ("name", "server_name")];

fn tenant(ctx: &Ctx, h: HostedInstance) -> Result<HostedCometTenant, ApiError> {
    Ok(HostedCometTenant::from_core(&ctx.core, h)?)
}

pub async fn create(ctx: Ctx) -> Result<Reply, ApiError> {
    let input = NewHosted {
        name: ctx.text("target_name").map(str::to_string),
        region: ctx.required("target_region").to_string(),
        subdomain: ctx.text("target_domain").map(str::to_string),
        email_send_as: ctx.required("target_email_send_as").to_string(),
        email_from: ctx.required("target_email_from").to_string(),
        storage_type: ctx.required("target_storage_type").to_string(),
        storage_bucket: ctx.text("target_storage_bucket_name").map(str::to_string),
        wasabi_access_key: ctx.text("target_storage_wasabi_access_key").map(str::to_string),
        wasabi_secret_key: ctx.raw("target_storage_wasabi_secret_key").map(str::to_string),
        b2_application_key: ctx.raw("target_storage_b2_application_key").map(str::to_string),
        b2_application_key_id: ctx.text("target_storage_b2_application_key_id").map(str::to_string),
    };
    let created = ctx.core.comet().create_hosted(&ctx.caller, input).await.map_err(rename(CREATE))?;
    Ok(Reply::data(created.id.to_string()))
}

pub async fn delete(ctx: Ctx) -> Result<Reply, ApiError> {
    ctx.core
        .comet()
        .change_hosted(&ctx.caller, ctx.required("target_hosted_server_id"), HostedChange::Delete)
        .await
        .map_err(rename(CHANGE))?;
    Ok(Reply::ok())
}

pub async fn describe(ctx: Ctx) -> Result<Reply, ApiError> {
    let h = ctx.core.comet().hosted(&ctx.caller, ctx.required("target_hosted_server_id")).await.map_err(rename(CHANGE))?;
    Ok(Reply::data(tenant(&ctx, h)?))
}

pub async fn list(ctx: Ctx) -> Result<Reply, ApiError> {
    let all = ctx.core.comet().list_hosted(&ctx.caller).await?;
    let out: Result<Vec<_>, _> = all.into_iter().map(|h| tenant(&ctx, h)).collect();
    Ok(Reply::data(out?))
}

pub async fn list_regions(_ctx: Ctx) -> Result<Reply, ApiError> {
    let regions: Vec<_> = REGIONS
        .iter()
        .map(|(id, description)| HostedCometListRegionsResponse { id: (*id).into(), description: (*description).into() })
        .collect();
    Ok(Reply::data(regions))
}

pub async fn set_favourite(ctx: Ctx) -> Result<Reply, ApiError> {
    let change = HostedChange::Favourite(ctx.flag("target_state").unwrap_or(false));
    ctx.core.comet().change_hosted(&ctx.caller, ctx.required("target_hosted_server_id"), change).await.map_err(rename(CHANGE))?;
    Ok(Reply::null())
}

pub async fn set_name(ctx: Ctx) -> Result<Reply, ApiError> {
    let change = HostedChange::Name(ctx.required("target_name").to_string());
    ctx.core.comet().change_hosted(&ctx.caller, ctx.required("target_hosted_server_id"), change).await.map_err(rename(CHANGE))?;
    Ok(Reply::null())
}

pub async fn update_branding(ctx: Ctx) -> Result<Reply, ApiError> {
    let update = BrandingUpdate {
        use_custom_domain: ctx.flag("target_use_custom_domain").unwrap_or(false),
        custom_domain: ctx.text("target_custom_domain").map(str::to_string),
        email_send_as: ctx.required("target_email_send_as").to_string(),
        email_from: ctx.required("target_email_from").to_string(),
        delivery_method: ctx.required("target_email_delivery_method").to_string(),
        smtp_host: ctx.text("target_smtp_host").map(str::to_string),
        smtp_port: ctx.number("target_smtp_port"),
        smtp_username: ctx.text("target_smtp_username").map(str::to_string),
        smtp_password: ctx.raw("target_smtp_password").map(str::to_string),
        smtp_security: ctx.text("target_smtp_security").map(str::to_string),
        smtp_accept_invalid_certificate: ctx.flag("target_smtp_accept_invalid_ssl_certificate"),
    };
    let change = HostedChange::Branding(Box::new(update));
    ctx.core.comet().change_hosted(&ctx.caller, ctx.required("target_hosted_server_id"), change).await.map_err(rename(CHANGE))?;
    Ok(Reply::ok())
}

/// The CometGo! era's object: id, name, region, host name and status.
fn legacy_object(h: &HostedInstance) -> serde_json::Value {
    json!({
        "hosted_server_id": h.id.to_string(),
        "server_name": h.server_name,
        "region": h.region,
        "url": format!("https://{}/", h.user_dns),
        "status": h.state.as_str(),
        "created_at": rfc3339(h.created_at),
    })
}

/// CometGo! create: every setting is optional; defaults come from the company (its region,
/// the calling user's address as sender) and no storage is configured.
pub async fn create_legacy(ctx: Ctx) -> Result<Reply, ApiError> {
    let tenant = ctx.core.tenancy().tenant(ctx.caller.tenant_id()).await?;
    let user = ctx.core.identity().current_user(&ctx.caller).await?;
    let region = match ctx.text("region") {
        Some(r) => r.to_string(),
        None => regions::region_for_country(&tenant.profile.address_country)
            .map(|r| r.default_hosted_region.to_string())
            .unwrap_or_else(|| "us-east-1".into()),
    };
    let input = NewHosted {
        name: ctx.text("server_name").map(str::to_string),
        region,
        subdomain: ctx.text("subdomain").map(str::to_string),
        email_send_as: user.email.to_string(),
        email_from: tenant.name,
        storage_type: "none".into(),
        ..Default::default()
    };
    let created = ctx.core.comet().create_hosted(&ctx.caller, input).await.map_err(rename(LEGACY))?;
    Ok(Reply::data(legacy_object(&created)))
}

pub async fn list_legacy(ctx: Ctx) -> Result<Reply, ApiError> {
    let all = ctx.core.comet().list_hosted(&ctx.caller).await?;
    Ok(Reply::data(all.iter().map(legacy_object).collect::<Vec<_>>()))
}

/// The instance named by `hosted_server_id`, or the account's only live instance.
async fn legacy_target(ctx: &Ctx) -> Result<HostedInstance, ApiError> {
    if let Some(id) = ctx.text("hosted_server_id") {
        return ctx.core.comet().hosted(&ctx.caller, id).await.map_err(rename(LEGACY));
    }
    let mut live: Vec<_> =
        ctx.core.comet().list_hosted(&ctx.caller).await?.into_iter().filter(|h| h.state != HostedState::Deleted).collect();
    if live.len() == 1 {
        Ok(live.remove(0))
    } else {
        Err(ApiError::bad_request(
            "Missing required parameter 'hosted_server_id': the account has more or fewer than one instance",
        ))
    }
}

pub async fn status_legacy(ctx: Ctx) -> Result<Reply, ApiError> {
    Ok(Reply::data(legacy_object(&legacy_target(&ctx).await?)))
}

pub async fn terminate_legacy(ctx: Ctx) -> Result<Reply, ApiError> {
    let target = legacy_target(&ctx).await?;
    ctx.core.comet().change_hosted(&ctx.caller, &target.id.to_string(), HostedChange::Delete).await.map_err(rename(LEGACY))?;
    Ok(Reply::null())
}
