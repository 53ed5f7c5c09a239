//! The Barong auth API face: identity (`/api/v2/auth/identity/…`), resource
//! (`/api/v2/auth/resource/…`), public (`/api/v2/auth/public/…`) and, for every other path
//! under `/api/v2/auth/`, the authorize endpoint a gateway asks before forwarding a request.
//!
//! Route precedence: the three API namespaces win; a path inside them that names no endpoint
//! answers 404 `{"error":"Route is not found"}`; everything else under `/api/v2/auth/` is
//! authorize, whose rule path is the rest of the URL (`/api/v2/auth/api/v2/x` → `api/v2/x`).

mod api_keys;
mod auth0;
mod authorize;
mod captcha;
mod documents;
mod entities;
mod errors;
mod general;
mod identity;
mod kyc;
mod params;
mod qr;
mod resource;
mod service_accounts;
mod session;
mod settings;
mod swagger;

use std::sync::Arc;

use axum::Router;
use axum::routing::{any, get, patch, post, put};
use keyhall_core::Core;
use keyhall_core::barong::gateway::AccessRules;
use keyhall_types::TenantId;

pub use auth0::Auth0Config;
pub use captcha::Captcha;
pub use documents::UPLOAD_PATHS;
pub use errors::BarongError;
pub use settings::{BarongLayer, BarongSettings};
pub use swagger::{BASE_PATH as RESOURCE_BASE_PATH, OPERATIONS as RESOURCE_OPERATIONS};

/// Barong's answer to a request body over the limit.
pub fn body_too_large() -> axum::response::Response {
    axum::response::IntoResponse::into_response(BarongError::payload_too_large())
}

#[derive(Debug, Clone)]
pub struct BarongConfig {
    /// The tenant whose users this face serves.
    pub tenant_id: TenantId,
    pub session_cookie: String,
    /// The cookie a browser that signed in keeps its device token in.
    pub device_cookie: String,
    /// Cookie-authenticated writes through authorize need `X-CSRF-Token`.
    pub csrf_protection: bool,
    /// How far an API-key nonce may be from now, in milliseconds.
    pub nonce_lifetime_ms: i64,
    /// Lifetime of the JWTs authorize issues.
    pub jwt_ttl: time::Duration,
    pub rules: AccessRules,
    /// The first user to sign up becomes superadmin.
    pub first_registration_superadmin: bool,
    pub captcha: Captcha,
    /// Shown in authenticator apps as the TOTP issuer.
    pub app_name: String,
    /// Whether cookies get the `Secure` attribute (keyhall served over HTTPS).
    pub secure_cookies: bool,
    /// The titles users may keep data storages under (none by default, as in Barong).
    pub storage_titles: Vec<String>,
    /// Sign-in with Auth0 ID tokens, when configured.
    pub auth0: Option<Auth0Config>,
    /// Limits on uploaded KYC documents.
    pub upload_rules: keyhall_core::identity::documents::UploadRules,
    /// How long a document's signed URL stays valid.
    pub upload_url_ttl: time::Duration,
    /// Uploads read into memory at once (each up to three of the largest files); more wait.
    pub max_concurrent_uploads: usize,
}

/// Shared by every handler.
pub struct Barong {
    core: Arc<Core>,
    config: BarongConfig,
    /// Tokens authorize handed out recently, per holder, reused until near expiry, kept as
    /// the `Authorization` header they go out in (cloned without copying).
    issued_jwts: moka::sync::Cache<String, http::HeaderValue>,
    /// Session holders seen recently: authorize needs their state and role on every call.
    users: moka::sync::Cache<keyhall_types::UserId, Arc<keyhall_core::identity::users::User>>,
    auth0: Option<auth0::Auth0>,
    captcha: captcha::CaptchaVerifier,
    /// Turns to read an upload into memory: bounds what uploads hold at once.
    uploads: Arc<tokio::sync::Semaphore>,
}

pub type State = Arc<Barong>;

pub fn router(core: Arc<Core>, config: BarongConfig) -> Router {
    let auth0 = config.auth0.clone().map(auth0::Auth0::new);
    let captcha = captcha::CaptchaVerifier::new(config.captcha.clone());
    let uploads = Arc::new(tokio::sync::Semaphore::new(config.max_concurrent_uploads.max(1)));
    let state = Arc::new(Barong {
        auth0,
        captcha,
        uploads,
        core,
        config,
        issued_jwts: moka::sync::Cache::builder().max_capacity(100_000).time_to_live(std::time::Duration::from_secs(30)).build(),
        users: moka::sync::Cache::builder().max_capacity(100_000).time_to_live(std::time::Duration::from_secs(2)).build(),
    });
    let id = "/api/v2/auth/identity";
    let res = "/api/v2/auth/resource";
    let public = "/api/v2/auth/public";
    Router::new()
        .route(&format!("{id}/users"), post(identity::sign_up))
        .route(&format!("{id}/users/access"), post(identity::access))
        .route(&format!("{id}/users/register_geetest"), get(identity::register_geetest))
        .route(&format!("{id}/users/email/generate_code"), post(identity::email_generate_code))
        .route(&format!("{id}/users/email/confirm_code"), post(identity::email_confirm_code))
        .route(&format!("{id}/users/password/generate_code"), post(identity::password_generate_code))
        .route(&format!("{id}/users/password/confirm_code"), post(identity::password_confirm_code))
        .route(&format!("{id}/sessions"), post(identity::session_create).delete(identity::session_destroy))
        .route(&format!("{id}/sessions/auth0"), post(identity::session_auth0))
        .route(&format!("{id}/password/validate"), post(general::password_validate))
        .route(&format!("{id}/ping"), get(general::ping))
        .route(&format!("{id}/time"), get(general::time))
        .route(&format!("{id}/version"), get(general::version))
        .route(&format!("{id}/configs"), get(general::configs))
        .route(&format!("{id}/jwks.json"), get(general::jwks))
        .route(&format!("{public}/password/validate"), post(general::password_validate))
        .route(&format!("{public}/ping"), get(general::ping))
        .route(&format!("{public}/time"), get(general::time))
        .route(&format!("{public}/version"), get(general::version))
        .route(&format!("{public}/configs"), get(general::configs))
        .route(&format!("{public}/configs/auth0"), get(general::configs_auth0))
        .route(&format!("{public}/kyc"), post(general::kyc))
        .route(&format!("{res}/users/me"), get(resource::me).put(resource::update_me).delete(resource::delete_me))
        .route(&format!("{res}/users/password"), put(resource::change_password))
        .route(&format!("{res}/users/activity/{{topic}}"), get(resource::activity))
        .route(&format!("{res}/labels"), get(resource::labels).post(resource::create_label))
        .route(
            &format!("{res}/labels/{{key}}"),
            get(resource::label).patch(resource::update_label).delete(resource::delete_label),
        )
        .route(&format!("{res}/otp/generate_qrcode"), post(resource::otp_generate_qrcode))
        .route(&format!("{res}/otp/enable"), post(resource::otp_enable))
        .route(&format!("{res}/otp/disable"), post(resource::otp_disable))
        .route(&format!("{res}/otp/verify"), post(resource::otp_verify))
        .route(&format!("{res}/api_keys"), get(resource::api_keys).post(resource::create_api_key))
        .route(&format!("{res}/api_keys/{{kid}}"), patch(resource::update_api_key).delete(resource::delete_api_key))
        .route(&format!("{res}/data_storage"), post(resource::create_data_storage))
        .route(&format!("{res}/profiles/me"), get(kyc::my_profiles))
        .route(&format!("{res}/profiles"), post(kyc::create_profile).put(kyc::update_profile))
        .route(&format!("{res}/phones"), get(kyc::phones).post(kyc::add_phone))
        .route(&format!("{res}/phones/send_code"), post(kyc::send_phone_code))
        .route(&format!("{res}/phones/verify"), post(kyc::verify_phone))
        .route(
            &format!("{res}/documents"),
            get(documents::list).post(documents::upload).layer(axum::extract::DefaultBodyLimit::disable()),
        )
        .route(&format!("{res}/addresses"), post(documents::upload_address).layer(axum::extract::DefaultBodyLimit::disable()))
        .route(&format!("{public}/uploads/{{id}}/{{name}}"), get(documents::file))
        .route(&format!("{res}/swagger_doc"), get(swagger::all))
        .route(&format!("{res}/swagger_doc/{{name}}"), get(swagger::named))
        .route(&format!("{res}/service_accounts"), get(service_accounts::list))
        .route(
            &format!("{res}/service_accounts/api_keys"),
            get(service_accounts::api_keys).post(service_accounts::create_api_key),
        )
        .route(
            &format!("{res}/service_accounts/api_keys/{{kid}}"),
            put(service_accounts::update_api_key).delete(service_accounts::delete_api_key),
        )
        .route(&format!("{id}/{{*rest}}"), any(general::route_not_found))
        .route(&format!("{res}/{{*rest}}"), any(general::route_not_found))
        .route(&format!("{public}/{{*rest}}"), any(general::route_not_found))
        .route("/api/v2/auth/{*path}", any(authorize::authorize))
        .with_state(state)
}
