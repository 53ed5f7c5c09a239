//! The 1Kosmos Admin API face (`/adminapi/…`): the encrypted envelope (`envelope`), the
//! public endpoints of the platform (`public`), and the groups built on the core's
//! communities, auth modules, users and sign-in.

mod access;
mod authenticate;
mod brokers;
mod captcha;
mod collections;
mod community;
mod config;
mod documents;
mod downloads;
mod envelope;
mod errors;
mod fields;
mod hardware_tokens;
mod images;
mod keys;
mod modules;
pub mod openapi;
mod properties;
mod public;
mod registration;
mod reports;
mod secrets;
mod service_providers;
mod settings;
mod users;
mod wallet;

use std::sync::Arc;

use axum::Router;
use axum::routing::{any, delete, get, patch, post, put};
use keyhall_core::Core;
use keyhall_crypto::envelope::{Curve, EnvelopeKey, SharedKey};

pub use errors::AdminxError;
pub use settings::{AdminxLayer, AdminxSettings};

/// The 1Kosmos answer to a request body over the limit.
pub fn body_too_large() -> axum::response::Response {
    axum::response::IntoResponse::into_response(AdminxError::new(413, "Request body is too large"))
}

/// Where every endpoint of the face is served (the seed's base URL ends in it).
pub const BASE_PATH: &str = "/adminapi";

#[derive(Debug, Clone)]
pub struct AdminxConfig {
    /// Captcha on the public calls that send mail or make accounts (none when unset).
    pub captcha: Option<captcha::Recaptcha>,
    /// The curve of the server's envelope key.
    pub curve: Curve,
    /// How far a `requestid`'s `ts` may be from now, in seconds.
    pub allowed_time_span: i64,
    /// Plain JSON bodies are accepted (and answered plain).
    pub plaintext: bool,
    /// Client events one address may store per minute on this node (0: no limit).
    pub client_events_per_minute: u64,
    /// keyhall's public URL (the service directory names it).
    pub public_url: String,
    /// What `/downloadables/…` offers.
    pub downloadables: Arc<keyhall_core::adminx::downloadables::Downloadables>,
}

/// Shared by every handler.
pub struct Adminx {
    core: Arc<Core>,
    config: AdminxConfig,
    /// Keys shared with recent callers, by their public key (an ECDH per call would cost more
    /// than the rest of it).
    shared_keys: moka::sync::Cache<String, Arc<SharedKey>>,
    public_key: std::sync::OnceLock<Arc<str>>,
    http: reqwest::Client,
    /// Client events stored per address (`PUT /reports/event` needs no sign-in).
    client_events: keyhall_core::auth::rate_limits::NodeRateLimit,
}

pub type State = Arc<Adminx>;

impl Adminx {
    pub(crate) async fn server_key(&self) -> errors::Result<Arc<EnvelopeKey>> {
        Ok(self.core.auth().envelope_key(self.config.curve).await?)
    }

    /// The server key's public half as the SDKs write it (base64 of X‖Y).
    pub(crate) async fn server_public_key(&self) -> errors::Result<Arc<str>> {
        let key = self.server_key().await?;
        Ok(self.public_key.get_or_init(|| key.public_base64().into()).clone())
    }
}

pub fn router(core: Arc<Core>, config: AdminxConfig) -> Router {
    let client_events =
        keyhall_core::auth::rate_limits::NodeRateLimit::new(config.client_events_per_minute, std::time::Duration::from_secs(60));
    let state = Arc::new(Adminx {
        core,
        config,
        client_events,
        shared_keys: moka::sync::Cache::builder().max_capacity(10_000).build(),
        public_key: Default::default(),
        http: reqwest::Client::builder().timeout(std::time::Duration::from_secs(10)).build().unwrap_or_default(),
    });
    let p = |path: &str| format!("{BASE_PATH}{path}");
    let router = Router::new()
        .route(&p("/publickeys"), get(public::public_keys))
        .route(&p("/healthz"), get(public::healthz))
        .route(&p("/platform_health"), get(public::healthz))
        .route(&p("/environment"), get(public::environment).patch(config::patch_environment))
        .route(&p("/sd"), get(public::service_directory))
        .route(&p("/ecdsa_helper/{method}"), post(public::ecdsa_helper))
        .route(&p("/verifyuser"), post(authenticate::verify_user))
        .route(&p("/authenticate"), post(authenticate::authenticate))
        .route(&p("/authenticate/otp"), put(authenticate::deliver_otp))
        .route(&p("/generate/otp"), put(authenticate::deliver_otp))
        .route(&p("/logout"), get(authenticate::logout))
        .route(&p("/jwt/verifyToken"), post(authenticate::verify_token))
        .route(&p("/loginsessions/admin/user/all"), delete(authenticate::end_user_sessions))
        .route(&p("/loginsessions/user/other"), delete(authenticate::end_other_sessions))
        .route(&p("/community_auth_info/fetch"), post(community::community_auth_info))
        .route(&p("/pwd-policy/fetch"), post(community::password_policy))
        .route(&p("/authz/role/fetch"), get(community::roles))
        .route(&p("/v2/authz/roles/fetch"), get(community::roles))
        .route(&p("/authz/role/fetch/{roleName}"), get(community::role))
        .route(&p("/authz/authorization/fetch"), post(community::authorizations))
        .route(&p("/permission/fetch"), post(community::permissions))
        .route(&p("/auth_modules/fetch"), post(modules::fetch))
        .route(&p("/auth_modules/create"), put(modules::create))
        .route(&p("/auth_modules/updateJs/{moduleId}"), patch(modules::update_script))
        .route(&p("/auth_modules/{moduleId}"), get(modules::get).patch(modules::update).delete(modules::delete))
        .route(&p("/users/create"), put(users::create))
        .route(&p("/users/fetch"), post(users::fetch))
        .route(&p("/users/count"), post(users::count))
        .route(&p("/users/countAll"), post(users::count_all))
        .route(&p("/users/find"), post(users::find))
        .route(&p("/users/user/update"), patch(users::update))
        .route(&p("/users/user/role/update"), patch(users::update_role))
        .route(&p("/users/user/lock"), post(users::lock))
        .route(&p("/users/user/unlock"), post(users::unlock))
        .route(&p("/users/user/profile/fetch"), post(users::profile))
        .route(&p("/users/user/detailProfile/fetch"), post(users::detail_profile))
        .route(&p("/users/user/ip"), get(users::ip))
        .route(&p("/servicekeys"), get(keys::service_keys))
        .route(&p("/servicekey/{keyId}"), delete(keys::reset_service_key))
        .route(&p("/nonce/sign"), post(keys::sign_nonce))
        .route(&p("/helpdesk-passcode/generate"), post(keys::helpdesk_passcode))
        .route(&p("/config/self_registration_config/fetch"), post(config::fetch_self_registration))
        .route(&p("/config/self_registration_config"), put(config::put_self_registration))
        .route(&p("/authscheme/default/modules"), patch(config::patch_auth_scheme))
        .route(&p("/attributes"), get(config::list_attributes).put(config::create_attributes))
        .route(&p("/attributes/{attributeId}"), patch(config::update_attribute).delete(config::delete_attribute))
        .route(&p("/test-connection"), post(modules::test_connection))
        .route(&p("/user_properties/check_unique/alias"), post(properties::check_alias))
        .route(&p("/user_properties/update"), post(properties::update))
        .route(&p("/users/user/update_phone_numbers"), post(properties::update_phone_numbers))
        .route(&p("/user_pin/register"), post(properties::register_pin))
        .route(&p("/user_pin"), delete(properties::delete_pin))
        .route(&p("/users/user/user_pin/update"), put(properties::update_pin))
        .route(&p("/users/invite"), put(access::invite))
        .route(&p("/users/resend/invite"), post(access::resend_invite))
        .route(&p("/users/request/invite"), post(access::request_invite))
        .route(&p("/users/accesscodes/fetch"), post(access::access_codes))
        .route(&p("/users/accesscode/{code}"), delete(access::delete_access_code))
        .route(&p("/password_reset/sendverify"), put(access::send_reset))
        .route(&p("/password_reset/user/fetch"), post(access::reset_user))
        .route(&p("/password_reset"), post(access::reset))
        .route(&p("/register/sendverify"), put(registration::send_verify))
        .route(&p("/register/verifyemail"), post(registration::verify_email))
        .route(&p("/register/user"), put(registration::register))
        .route(&p("/instance_config/self_registration_config"), get(registration::get_instance).put(registration::put_instance))
        .route(&p("/config/consents"), put(config::put_consent))
        .route(&p("/config/consents/ipfs/{ipfsHash}"), get(config::get_consent_version))
        .route(&p("/config/consents/{type}"), get(config::get_consent))
        .route(&p("/users/user/devices/fetch"), post(wallet::devices))
        .route(&p("/users/user/login_options/fetch"), post(wallet::login_options))
        .route(&p("/users/user/devices/has_security_key"), post(wallet::has_security_key))
        .route(&p("/users/unlinkuser"), patch(wallet::unlink))
        .route(&p("/users/user/wallet/create"), post(wallet::create_wallet))
        .route(&p("/users/user/wallet/fetch"), post(wallet::open_wallet))
        .route(&p("/users/user/wallet/has_wallet/fetch"), post(wallet::has_wallet))
        .route(&p("/users/user/wallet_recovery/method/fetch"), post(wallet::recovery_method))
        .route(&p("/users/user/documents"), get(wallet::documents))
        .route(&p("/users/user/document"), post(wallet::document))
        .route(&p("/users/user/ial"), get(wallet::ial))
        .route(&p("/generate/account_otp"), put(wallet::account_otp))
        .route(&p("/secret-store/create"), post(secrets::create))
        .route(&p("/secret-store/fetch"), post(secrets::fetch))
        .route(&p("/secret-store/delete"), post(secrets::delete))
        .route(&p("/certificate/generate"), post(secrets::generate_certificate))
        .route(&p("/downloadables/versions/fetch"), post(downloads::versions))
        .route(&p("/image/upload"), post(images::upload))
        .route(&p("/serviceprovider/fetch"), post(service_providers::fetch))
        .route(&p("/serviceprovider/idp-initiated"), get(service_providers::idp_initiated))
        .route(&p("/serviceprovider/publicinfo/fetch"), post(service_providers::public_info))
        .route(&p("/spcatalog/list"), get(service_providers::catalog))
        .route(&p("/user_consent/check"), post(service_providers::consent_check))
        .route(&p("/serviceprovider"), put(service_providers::create))
        .route(
            &p("/serviceprovider/{id}"),
            get(service_providers::get_one)
                .put(service_providers::create_featured)
                .patch(service_providers::update)
                .delete(service_providers::remove),
        )
        .route(&p("/image/{id}"), get(images::serve))
        .route(&p("/downloadables/artifact/fetch"), post(downloads::artifact))
        .route(
            &p("/openapi.json"),
            get(|| async { ([(http::header::CONTENT_TYPE, "application/json")], openapi::document_text()) }),
        )
        .route(&p("/{*rest}"), any(public::not_found));
    let router = reports::routes(hardware_tokens::routes(collections::routes(documents::routes(router))));
    brokers::routes(router).with_state(state)
}
