//! The community's configuration documents (`keyhall_core::adminx::document_schemas`): the
//! login settings pairs, branding, the SAML IdP keys, and `/config/fetch` by key path. Every
//! document is read and written the same way; the routes say which document and where its
//! community comes from.

use axum::Router;
use axum::extract::{Path, State as AxumState};
use axum::response::Response;
use axum::routing::{get, post, put};
use keyhall_core::adminx::document_schemas::{
    BRANDING, FIDO, FIRST_TIME_ENROLLMENT, IDP_CONFIG, LIVEID_SELFIE, MFA, ORION, PASSWORD_RESET, PASSWORDLESS, WINDOWS_MFA,
};
use keyhall_core::adminx::documents::DocumentSchema;
use keyhall_core::adminx::{Scope, SignedInCaller};
use serde_json::Value;

use crate::envelope::Call;
use crate::errors::{AdminxError, Result};
use crate::fields::{given, must};
use crate::{BASE_PATH, State};

/// Where a document's community comes from.
#[derive(Clone, Copy)]
pub(crate) enum ScopeFrom {
    /// The signed-in administrator's community.
    Caller,
    /// `tenantId`/`communityId` in the body, which must be the caller's.
    Body,
}

/// A handler reading `$schema` (`GET`, or `POST …/fetch` with the community in the body).
macro_rules! reader {
    ($schema:expr) => {
        |s: AxumState<State>, call: Call| read(s, call, $schema, ScopeFrom::Caller)
    };
    ($schema:expr, $from:expr) => {
        |s: AxumState<State>, call: Call| read(s, call, $schema, $from)
    };
}

/// A handler writing `$schema`, its community taken from `$from`.
macro_rules! writer {
    ($schema:expr, $from:expr) => {
        |s: AxumState<State>, call: Call| write(s, call, $schema, $from)
    };
}

pub fn routes(router: Router<State>) -> Router<State> {
    use ScopeFrom::{Body, Caller};
    let p = |path: &str| format!("{BASE_PATH}{path}");
    router
        .route(&p("/config/authentication/mfa_settings"), get(reader!(&MFA)).put(writer!(&MFA, Body)))
        .route(&p("/config/authentication/fido_settings"), get(reader!(&FIDO)).put(writer!(&FIDO, Body)))
        .route(
            &p("/config/authentication/first_time_enrollment_settings"),
            get(reader!(&FIRST_TIME_ENROLLMENT)).put(writer!(&FIRST_TIME_ENROLLMENT, Body)),
        )
        .route(
            &p("/config/authentication/liveid_selfie_settings"),
            get(reader!(&LIVEID_SELFIE)).put(writer!(&LIVEID_SELFIE, Body)),
        )
        .route(&p("/config/authentication/orion_settings"), get(reader!(&ORION)).put(writer!(&ORION, Body)))
        .route(&p("/config/authentication/password_reset"), get(reader!(&PASSWORD_RESET)).put(writer!(&PASSWORD_RESET, Body)))
        .route(&p("/config/authentication/windows_mfa_settings"), get(reader!(&WINDOWS_MFA)).put(writer!(&WINDOWS_MFA, Caller)))
        .route(&p("/config/authentication/sspr/execute_transformation_script"), post(execute_transformation))
        .route(&p("/config/authentication/pwdless_settings"), put(put_passwordless))
        .route(&p("/config/authentication/pwdless_settings/{dns}/{communityName}"), get(get_passwordless))
        .route(&p("/branding/fetch"), post(fetch_branding))
        .route(&p("/branding"), put(writer!(&BRANDING, Body)))
        .route(&p("/config/idp_config/fetch"), post(reader!(&IDP_CONFIG, Body)))
        .route(&p("/config/idp_config"), put(writer!(&IDP_CONFIG, Body)))
        .route(&p("/config/fetch"), post(fetch_key_paths))
        .route(&p("/config/template/fetch"), post(fetch_templates))
        .route(&p("/config/template"), put(put_templates).delete(delete_templates))
        .route(&p("/config/session_attributes/fetch"), post(fetch_session_attributes))
        .route(&p("/config/session_attributes"), put(put_session_attributes))
}

/// The fields a document's own content never holds.
pub(crate) fn without_scope(body: &Value) -> Value {
    let mut fields = body.as_object().cloned().unwrap_or_default();
    for name in ["tenantId", "communityId"] {
        fields.remove(name);
    }
    Value::Object(fields)
}

/// The signed-in administrator and the community a document call acts in.
pub(crate) async fn administrator(state: &State, call: &Call, from: ScopeFrom) -> Result<(SignedInCaller, Scope)> {
    let caller = state.signed_in(call).await?;
    caller.require_admin()?;
    let scope = match from {
        ScopeFrom::Caller => caller.scope(),
        ScopeFrom::Body => crate::users::body_scope(&caller, &call.body)?,
    };
    Ok((caller, scope))
}

/// A document of the administrator's community (`GET`), or of the community the body names
/// (`POST …/fetch`).
async fn read(
    AxumState(state): AxumState<State>,
    call: Call,
    schema: &'static DocumentSchema,
    from: ScopeFrom,
) -> Result<Response> {
    let (_, scope) = administrator(&state, &call, from).await?;
    Ok(call.reply(&state.core.adminx().document(scope, schema).await?))
}

/// `PUT` of a document: the fields given replace the stored ones; the answer is the document.
async fn write(
    AxumState(state): AxumState<State>,
    call: Call,
    schema: &'static DocumentSchema,
    from: ScopeFrom,
) -> Result<Response> {
    let (caller, scope) = administrator(&state, &call, from).await?;
    let view = state.core.adminx().put_document(&caller, scope, schema, &without_scope(&call.body)).await?;
    Ok(call.reply(&view))
}

/// The community a passwordless request names by DNS and community name: one of the caller's
/// tenant (another tenant's is as unknown as a missing one).
async fn named_community(state: &State, caller: &SignedInCaller, dns: &str, name: &str) -> Result<Scope> {
    let adminx = state.core.adminx();
    let not_found = || AdminxError::not_found("Community");
    let domain = adminx.tenant_by_dns(dns).await?.filter(|d| d.tenant_id == caller.scope().tenant).ok_or_else(not_found)?;
    let community = adminx.community_by_name(domain.tenant_id, name).await?.ok_or_else(not_found)?;
    Ok(Scope { tenant: domain.tenant_id, community: community.id })
}

/// `GET /config/authentication/pwdless_settings/{dns}/{communityName}`: members of the tenant
/// read it (their apps ask which passwordless methods to offer).
async fn get_passwordless(
    AxumState(state): AxumState<State>,
    Path((dns, name)): Path<(String, String)>,
    call: Call,
) -> Result<Response> {
    let caller = state.signed_in(&call).await?;
    let scope = named_community(&state, &caller, &dns, &name).await?;
    if scope != caller.scope() {
        caller.require_admin()?;
    }
    Ok(call.reply(&state.core.adminx().document(scope, &PASSWORDLESS).await?))
}

/// `PUT /config/authentication/pwdless_settings`: `dns`/`communityName` must name the same
/// community as `tenantId`/`communityId`; the answer carries the FIDO switches beside.
async fn put_passwordless(AxumState(state): AxumState<State>, call: Call) -> Result<Response> {
    let (caller, scope) = administrator(&state, &call, ScopeFrom::Body).await?;
    let mut input = without_scope(&call.body);
    if let Some(fields) = input.as_object_mut() {
        fields.remove("dns");
        fields.remove("communityName");
    }
    // The settings are checked before the names are looked up: a bad request is told what is wrong with it.
    PASSWORDLESS.apply(None, &input, &|_| String::new())?;
    let named = named_community(&state, &caller, &must(&call.body, "dns")?, &must(&call.body, "communityName")?).await?;
    if named != scope {
        return Err(AdminxError::bad_request("\"dns\" and \"communityName\" must name the community of \"communityId\""));
    }
    let adminx = state.core.adminx();
    let mut view = adminx.put_document(&caller, scope, &PASSWORDLESS, &input).await?;
    if let (Some(out), Value::Object(fido)) = (view.as_object_mut(), adminx.document(scope, &FIDO).await?) {
        out.extend(fido);
    }
    Ok(call.reply(&view))
}

/// `POST /branding/fetch`: public (the login page asks before anyone signs in); a signed-in
/// caller may leave out the community, which is then theirs.
async fn fetch_branding(AxumState(state): AxumState<State>, call: Call) -> Result<Response> {
    let b = &call.body;
    let scope = match (given(b, "tenantId")?, given(b, "communityId")?) {
        (Some(tenant), Some(community)) => state.scope(&Some(tenant), &Some(community)).await?,
        _ if call.bearer.is_some() => state.signed_in(&call).await?.scope(),
        (None, _) => return Err(AdminxError::missing("tenantId")),
        (Some(_), None) => return Err(AdminxError::missing("communityId")),
    };
    Ok(call.reply(&state.core.adminx().document(scope, &BRANDING).await?))
}

/// `POST /config/fetch`: values of the community's documents by key path
/// (`mfa_settings.show_otp_email`, `branding`); paths that name nothing are left out.
async fn fetch_key_paths(AxumState(state): AxumState<State>, call: Call) -> Result<Response> {
    let (caller, scope) = administrator(&state, &call, ScopeFrom::Body).await?;
    let paths = crate::fields::strings(&call.body, "key_paths", 100)?.ok_or_else(|| AdminxError::missing("key_paths"))?;
    Ok(call.reply(&state.core.adminx().document_values(&caller, scope, paths).await?))
}

/// `POST /config/template/fetch`: the templates, of the `purposes` named or all.
async fn fetch_templates(AxumState(state): AxumState<State>, call: Call) -> Result<Response> {
    let (_, scope) = administrator(&state, &call, ScopeFrom::Body).await?;
    let purposes = crate::fields::strings(&call.body, "purposes", 100)?;
    Ok(call.reply(&state.core.adminx().templates(scope, purposes.as_deref()).await?))
}

/// The community of a call whose body may name it: the named one (the caller's), else the caller's.
pub(crate) async fn named_or_own(state: &State, call: &Call) -> Result<(SignedInCaller, Scope)> {
    let named = given(&call.body, "tenantId")?.is_some() || given(&call.body, "communityId")?.is_some();
    administrator(state, call, if named { ScopeFrom::Body } else { ScopeFrom::Caller }).await
}

/// `PUT /config/template`: `templateData` laid over the stored templates.
async fn put_templates(AxumState(state): AxumState<State>, call: Call) -> Result<Response> {
    let (caller, scope) = named_or_own(&state, &call).await?;
    let data = call.body.get("templateData").filter(|d| !d.is_null()).ok_or_else(|| AdminxError::missing("templateData"))?;
    let change = keyhall_core::adminx::templates::TemplateChange::Put(data);
    Ok(call.reply(&state.core.adminx().change_templates(&caller, scope, change).await?))
}

/// `DELETE /config/template`: the templates `key_paths` name taken out; the rest answered.
async fn delete_templates(AxumState(state): AxumState<State>, call: Call) -> Result<Response> {
    let (caller, scope) = administrator(&state, &call, ScopeFrom::Body).await?;
    let paths = crate::fields::strings(&call.body, "key_paths", 100)?.ok_or_else(|| AdminxError::missing("key_paths"))?;
    let change = keyhall_core::adminx::templates::TemplateChange::Remove(&paths);
    Ok(call.reply(&state.core.adminx().change_templates(&caller, scope, change).await?))
}

/// `POST /config/session_attributes/fetch`: anyone of the community; administrators get every
/// list asked for, other users only the identity attributes.
async fn fetch_session_attributes(AxumState(state): AxumState<State>, call: Call) -> Result<Response> {
    let caller = state.signed_in(&call).await?;
    let scope = crate::users::body_scope(&caller, &call.body)?;
    let local = crate::fields::strings(&call.body, "local_key_paths", 10)?.unwrap_or_default();
    let global = crate::fields::strings(&call.body, "global_key_paths", 10)?.unwrap_or_default();
    Ok(call.reply(&state.core.adminx().session_attributes(&caller, scope, &local, &global).await?))
}

/// `PUT /config/session_attributes`: the community's own session attributes (`data`).
async fn put_session_attributes(AxumState(state): AxumState<State>, call: Call) -> Result<Response> {
    use keyhall_core::adminx::document_schemas::SESSION_ATTRIBUTES;
    let (caller, scope) = administrator(&state, &call, ScopeFrom::Body).await?;
    let data = call.body.get("data").filter(|d| !d.is_null()).ok_or_else(|| AdminxError::missing("data"))?;
    let input = serde_json::json!({ "blockid_session_attributes": data });
    // The list is kept under the vendor's name for it; a client is told about the field it sent.
    let view = state.core.adminx().put_document(&caller, scope, &SESSION_ATTRIBUTES, &input).await.map_err(|mut e| {
        if e.field.as_deref() == Some("blockid_session_attributes") {
            e.field = Some("data".into());
        }
        e
    })?;
    Ok(call.reply(&serde_json::json!({ "custom": view["blockid_session_attributes"] })))
}

/// `POST /config/authentication/sspr/execute_transformation_script`: the community's
/// user-profile API asked for `username`, its answer mapped as the settings say.
async fn execute_transformation(AxumState(state): AxumState<State>, call: Call) -> Result<Response> {
    let (caller, scope) = named_or_own(&state, &call).await?;
    let username = crate::fields::must(&call.body, "username")?;
    Ok(call.reply(&state.core.adminx().run_profile_transformation(&caller, scope, &username).await?))
}
