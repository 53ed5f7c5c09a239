use crate::dispatch::Ctx;
use crate::errors::rename;
use crate::reply::{ApiError, Reply};
use crate::wire::ServerLicense;
use keyhall_core::comet::licenses::LicenseChange;

const SERIAL: &[(&str, &str)] = &[("serial", "serial"), ("name", "target_name")];
const TARGET_SERIAL: &[(&str, &str)] = &[("serial", "target_serial"), ("name", "target_name")];

async fn create_license(ctx: &Ctx) -> Result<ServerLicense, ApiError> {
    let license = ctx.core.comet().create_license(&ctx.caller, ctx.text("target_name")).await.map_err(rename(TARGET_SERIAL))?;
    Ok(ServerLicense::from_core(&license, ctx.core.comet().catalogue()))
}

pub async fn create(ctx: Ctx) -> Result<Reply, ApiError> {
    Ok(Reply::data(create_license(&ctx).await?))
}

/// The legacy create answers with the new serial as plain text.
pub async fn create_legacy(ctx: Ctx) -> Result<Reply, ApiError> {
    Ok(Reply::Text(create_license(&ctx).await?.serial_number))
}

async fn licenses(ctx: &Ctx) -> Result<Vec<ServerLicense>, ApiError> {
    let list = ctx.core.comet().list_licenses(&ctx.caller).await?;
    Ok(list.iter().map(|l| ServerLicense::from_core(l, ctx.core.comet().catalogue())).collect())
}

/// The list is the face's hottest read: its JSON is kept for as long as the core serves the
/// same cached list (same `Arc`), so repeated reads cost a copy, not a serialization.
pub async fn list(ctx: Ctx) -> Result<Reply, ApiError> {
    let list = ctx.core.comet().list_licenses(&ctx.caller).await?;
    if let Some((seen, json)) = ctx.rendered.licenses.get(&ctx.caller.tenant_id())
        && std::ptr::eq(seen.as_ptr(), std::sync::Arc::as_ptr(&list))
    {
        return Ok(Reply::Json(json.to_vec()));
    }
    let wire: Vec<ServerLicense> = list.iter().map(|l| ServerLicense::from_core(l, ctx.core.comet().catalogue())).collect();
    let json: std::sync::Arc<[u8]> = serde_json::to_vec(&wire).unwrap_or_default().into();
    ctx.rendered.licenses.insert(ctx.caller.tenant_id(), (std::sync::Arc::downgrade(&list), json.clone()));
    Ok(Reply::Json(json.to_vec()))
}

/// The legacy list is a bare JSON array (text/plain, as the vendor declares it).
pub async fn list_all_legacy(ctx: Ctx) -> Result<Reply, ApiError> {
    Ok(Reply::Text(serde_json::to_string(&licenses(&ctx).await?).unwrap_or_default()))
}

pub async fn relax(ctx: Ctx) -> Result<Reply, ApiError> {
    ctx.core.comet().change_license(&ctx.caller, ctx.required("serial"), LicenseChange::Relax).await.map_err(rename(SERIAL))?;
    Ok(Reply::Text("OK, the serial was relaxed successfully".into()))
}

pub async fn archive(ctx: Ctx) -> Result<Reply, ApiError> {
    ctx.core.comet().change_license(&ctx.caller, ctx.required("serial"), LicenseChange::Archive).await.map_err(rename(SERIAL))?;
    Ok(Reply::Text("OK, the serial was archived successfully".into()))
}

pub async fn resync_all(ctx: Ctx) -> Result<Reply, ApiError> {
    ctx.core.comet().resync_licenses(&ctx.caller).await?;
    Ok(Reply::null())
}

pub async fn set_favourite(ctx: Ctx) -> Result<Reply, ApiError> {
    let change = LicenseChange::Favourite(ctx.flag("target_state").unwrap_or(false));
    ctx.core.comet().change_license(&ctx.caller, ctx.required("target_serial"), change).await.map_err(rename(TARGET_SERIAL))?;
    Ok(Reply::null())
}

pub async fn set_lock_state(ctx: Ctx) -> Result<Reply, ApiError> {
    let change = LicenseChange::Locked(ctx.flag("target_lock_state").unwrap_or(false));
    ctx.core.comet().change_license(&ctx.caller, ctx.required("target_serial"), change).await.map_err(rename(TARGET_SERIAL))?;
    Ok(Reply::null())
}

pub async fn set_name(ctx: Ctx) -> Result<Reply, ApiError> {
    let change = LicenseChange::Name(ctx.required("target_name").to_string());
    ctx.core.comet().change_license(&ctx.caller, ctx.required("target_serial"), change).await.map_err(rename(TARGET_SERIAL))?;
    Ok(Reply::null())
}
