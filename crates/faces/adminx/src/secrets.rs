//! The secret store (`/secret-store/…`) and certificate generation (`/certificate/generate`).

use axum::extract::State as AxumState;
use axum::response::{IntoResponse, Response};
use keyhall_core::adminx::collection_kinds::SECRETS;
use keyhall_core::adminx::collections::CommunityItem;
use serde_json::{Value, json};

use crate::State;
use crate::envelope::Call;
use crate::errors::{AdminxError, Result};
use crate::fields::must;

/// What an answer says of a secret: never its value.
fn metadata(item: &CommunityItem) -> Value {
    json!({
        "tag": item.name,
        "createdBy": item.created_by,
        "createdTs": item.created_at.unix_timestamp(),
        "tenantId": item.scope.tenant.to_string(),
        "communityId": item.scope.community.to_string(),
    })
}

/// `POST /secret-store/create`: 201 with the secret's metadata; 409 for a tag in use.
pub async fn create(AxumState(state): AxumState<State>, call: Call) -> Result<Response> {
    let caller = state.signed_in(&call).await?;
    let scope = crate::users::body_scope(&caller, &call.body)?;
    let input = json!({ "tag": call.body.get("tag"), "value": call.body.get("value") });
    let item = state.core.adminx().create_item(&caller, scope, &SECRETS, &input).await?;
    Ok((http::StatusCode::CREATED, call.reply_plain(&metadata(&item))).into_response())
}

/// `POST /secret-store/fetch`: the community's secrets, metadata only.
pub async fn fetch(AxumState(state): AxumState<State>, call: Call) -> Result<Response> {
    let caller = state.signed_in(&call).await?;
    caller.require_admin()?;
    let scope = crate::users::body_scope(&caller, &call.body)?;
    let items = state.core.adminx().items(scope, &SECRETS).await?;
    Ok(call.reply_plain(&Value::Array(items.iter().map(metadata).collect())))
}

/// `POST /secret-store/delete`: by tag.
pub async fn delete(AxumState(state): AxumState<State>, call: Call) -> Result<Response> {
    let caller = state.signed_in(&call).await?;
    caller.require_admin()?;
    let scope = crate::users::body_scope(&caller, &call.body)?;
    let tag = must(&call.body, "tag")?;
    let adminx = state.core.adminx();
    let item = adminx.item_named(scope, &SECRETS, &tag).await?;
    adminx.delete_item(&caller, scope, &SECRETS, &item.id).await?;
    Ok(call.reply_plain(&json!({ "message": "Secret deleted successfully" })))
}

/// `POST /certificate/generate`: a self-signed certificate and its RSA key (administrators),
/// for the IdP's signing and encryption keys; made off the request threads (a 4096-bit key
/// takes a while).
pub async fn generate_certificate(AxumState(state): AxumState<State>, call: Call) -> Result<Response> {
    let caller = state.signed_in(&call).await?;
    caller.require_admin()?;
    let number = |name: &str| -> Result<i64> {
        match call.body.get(name) {
            None | Some(Value::Null) => Err(AdminxError::missing(name)),
            Some(v) => v
                .as_i64()
                .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
                .ok_or_else(|| AdminxError::bad_request(format!("\"{name}\" must be a number"))),
        }
    };
    let key_size = number("keySize")?;
    let algorithm = must(&call.body, "algorithm")?;
    let days = number("expirationDays")?;
    let domain = state.core.adminx().tenant_domain(caller.scope().tenant).await?;
    let common_name = domain.map(|d| d.dns).unwrap_or_else(|| "keyhall".into());
    let now = state.core.now();
    let digest = algorithm.clone();
    let made = tokio::task::spawn_blocking(move || {
        keyhall_crypto::certificate::self_signed(usize::try_from(key_size).unwrap_or(0), &digest, days, &common_name, now)
    })
    .await
    .map_err(AdminxError::internal)?
    .map_err(|e| match e.rule() {
        Some((field, rule)) => AdminxError::bad_request(format!("\"{field}\" {rule}")),
        None => AdminxError::internal(e),
    })?;
    Ok(call.reply(&json!({
        "cert": made.cert_pem,
        "privateKey": made.private_key_pem,
        "fingerprints": { "sha1": made.sha1, "sha256": made.sha256, "sha384": made.sha384, "sha512": made.sha512 },
        "keySize": key_size,
        "algorithm": algorithm.to_lowercase(),
        "expirationDate": made.not_after.format(&time::format_description::well_known::Rfc3339).unwrap_or_default(),
    })))
}
