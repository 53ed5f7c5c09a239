//! The community and its settings: the login page's bootstrap (`/community_auth_info/fetch`),
//! password policies, the MFA settings, roles and permissions.

use axum::extract::{Path, State as AxumState};
use axum::response::Response;
use keyhall_core::adminx::document_schemas::{BRANDING, PASSWORD_RESET};
use keyhall_core::adminx::{Role, Scope, parse_module_id};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::State;
use crate::envelope::Call;
use crate::errors::{AdminxError, Result};
use crate::fields::required;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthInfoRequest {
    dns: Option<String>,
    community_name: Option<String>,
}

/// What the login page needs before anyone signs in.
pub async fn community_auth_info(AxumState(state): AxumState<State>, call: Call) -> Result<Response> {
    let req: AuthInfoRequest = call.parse()?;
    let dns = required(&req.dns, "dns")?;
    let name = required(&req.community_name, "communityName")?;
    let adminx = state.core.adminx();
    let not_found = || AdminxError::not_found("Community");
    let domain = adminx.tenant_by_dns(dns).await?.ok_or_else(not_found)?;
    let community = adminx.community_by_name(domain.tenant_id, name).await?.ok_or_else(not_found)?;
    let tenant = state.core.tenancy().tenant(domain.tenant_id).await?;
    let scope = Scope { tenant: tenant.id, community: community.id };
    let modules = adminx.auth_modules(scope).await?;
    if modules.is_empty() {
        return Err(not_found());
    }
    let mfa = adminx.mfa_settings(scope).await?.value;
    let reset = adminx.document(scope, &PASSWORD_RESET).await?;
    let visitor = state.core.auth().visitor(scope.tenant, call.origin.clone());
    let chosen = state.core.tenancy().config::<crate::config::AuthScheme>(&visitor, scope.community, "auth_scheme").await?;
    let scheme =
        crate::config::scheme_json(&state, scope, (chosen.revision > 0).then_some(chosen.value.modules.as_slice())).await?;
    let public_key = state.server_public_key().await?;
    Ok(call.reply_plain(&json!({
        "community": { "id": community.id.to_string(), "name": community.name, "publicKey": &*public_key },
        "tenant": { "id": tenant.id.to_string(), "name": tenant.name, "tag": domain.tag, "dns": domain.dns, "type": "tenant" },
        "authScheme": scheme,
        "settings": {
            "mfa": { "required": mfa.requires_otp(), "show_otp_email": mfa.show_otp_email, "show_otp_phone": mfa.show_otp_phone,
                     "show_otp_voice": mfa.show_otp_voice, "show_otp_hardware": mfa.show_otp_hardware, "otp_prompt_text": mfa.otp_prompt_text },
        },
        "branding": adminx.document(scope, &BRANDING).await?,
        "password_reset_options": {
            "email": reset["adminx_via_email_enabled"], "sms": reset["mobile_enabled"], "sspr": reset["sspr"]["enabled"],
            "default_input_method": reset["default_input_method"],
        },
    })))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ModuleRequest {
    tenant_id: Option<String>,
    community_id: Option<String>,
    module_id: Option<String>,
}

/// `/pwd-policy/fetch`: any license of the tenant may read a module's password policy.
pub async fn password_policy(AxumState(state): AxumState<State>, call: Call) -> Result<Response> {
    let req: ModuleRequest = call.parse()?;
    let scope = state.scope(&req.tenant_id, &req.community_id).await?;
    if call.license_key.is_none() {
        return Err(AdminxError::unauthorized("licensekey header is required"));
    }
    let adminx = state.core.adminx();
    adminx.license(Some(scope), call.license_key.as_deref()).await?;
    let module = adminx.auth_module(scope, parse_module_id(required(&req.module_id, "moduleId")?)?).await?;
    let policy = module.policy();
    let c = &policy.counts;
    Ok(call.reply(&json!({
        "rules": {
            "min": c.min_length,
            "special": c.min_symbols,
            "number": c.min_digits,
            "capital": c.min_uppercase,
            "noUsername": policy.no_username,
            "noSpaces": policy.no_spaces,
            "allowInRow": policy.allow_in_row.unwrap_or(0),
        },
        "descriptions": policy.descriptions(),
    })))
}

/// The community's role names.
pub async fn roles(AxumState(state): AxumState<State>, call: Call) -> Result<Response> {
    state.signed_in(&call).await?;
    Ok(call.reply(&json!(Role::ALL.iter().map(|r| r.as_str()).collect::<Vec<_>>())))
}

fn role_json(role: Role, scope: Scope) -> Value {
    json!({
        "id": role.as_str(),
        "name": role.as_str(),
        "description": role.description(),
        "createdBy": "system",
        "permissions": role.permissions(),
        "tenantId": scope.tenant.to_string(),
        "communityId": scope.community.to_string(),
    })
}

pub async fn role(AxumState(state): AxumState<State>, Path(name): Path<String>, call: Call) -> Result<Response> {
    let caller = state.signed_in(&call).await?;
    let role = Role::parse(&name).ok_or_else(|| AdminxError::not_found("Role"))?;
    Ok(call.reply(&role_json(role, caller.scope())))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthorizationRequest {
    object_type: Option<String>,
    object_id: Option<String>,
    subject_type: Option<String>,
    subject_id: Option<String>,
}

/// A user's role bindings in the community (admins only).
pub async fn authorizations(AxumState(state): AxumState<State>, call: Call) -> Result<Response> {
    let caller = state.signed_in(&call).await?;
    caller.require_admin()?;
    let req: AuthorizationRequest = call.parse()?;
    let object_type = required(&req.object_type, "objectType")?;
    let object_id = required(&req.object_id, "objectId")?;
    let subject_type = required(&req.subject_type, "subjectType")?;
    let subject_id = required(&req.subject_id, "subjectId")?;
    if object_type != "user" || subject_type != "community" {
        return Err(AdminxError::bad_request("objectType must be user and subjectType community"));
    }
    let scope = caller.require_scope(&caller.scope().tenant.to_string(), subject_id)?;
    let member = state.core.adminx().member(scope, object_id).await?;
    let role = role_json(member.role, scope);
    Ok(call.reply(&json!([{
        "id": format!("{}:{}", scope.community, member.user.id),
        "subjectType": "community",
        "subjectId": scope.community.to_string(),
        "objectType": "user",
        "objectId": member.user.id.to_string(),
        "role": role,
    }])))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PermissionRequest {
    tenant_id: Option<String>,
    community_id: Option<String>,
    uid: Option<String>,
}

/// `/permission/fetch`: a user's permissions (an admin, with a license of the tenant).
pub async fn permissions(AxumState(state): AxumState<State>, call: Call) -> Result<Response> {
    let caller = state.signed_in(&call).await?;
    caller.require_admin()?;
    let req: PermissionRequest = call.parse()?;
    let scope = caller.require_scope(required(&req.tenant_id, "tenantId")?, required(&req.community_id, "communityId")?)?;
    if call.license_key.is_none() {
        return Err(AdminxError::unauthorized("licensekey header is required"));
    }
    let adminx = state.core.adminx();
    adminx.license(Some(scope), call.license_key.as_deref()).await?;
    let member = adminx.member(scope, required(&req.uid, "uid")?).await?;
    let list: Vec<Value> = member
        .role
        .permissions()
        .iter()
        .map(|p| {
            json!({
                "_id": format!("{}:{p}", member.user.id),
                "permission": p,
                "objectId": member.user.id.to_string(),
                "objectType": "user",
                "subjectId": scope.community.to_string(),
                "subjectType": "community",
                "createdBy": "system",
            })
        })
        .collect();
    Ok(call.reply_plain(&json!(list)))
}
