//! The identity core, one folder per bounded context: `tenancy` (tenants, communities and
//! their configuration documents), `identity` (users and what they say about themselves),
//! `credentials` (passwords, TOTP, WebAuthn), `auth` (sign-in, sessions, tokens, keys),
//! `audit`, the `outbox` of mail and texts, and the vendor-only domains `comet` and `barong`.
//! Each context has its own service type, reached from `Core` (`core.identity().user(…)`),
//! and its own port file under `ports`. `Core` itself is only the shared plumbing: store,
//! clock, keys, caches.
//!
//! It knows no HTTP and no SQL: faces call its commands, the store implements its ports.

pub mod access;
pub mod adminx;
pub mod audit;
pub mod auth;
pub mod barong;
pub mod cache;
pub mod comet;
pub mod context;
pub mod credentials;
pub mod error;
pub mod identity;
pub mod outbox;
pub mod ports;
pub mod tenancy;

use std::sync::Arc;

pub use access::Capability;
pub use context::{Actor, Caller, Origin};
pub use error::{DomainError, ErrorCode, ErrorKind, Result, Rule, Violation};
use keyhall_crypto::seal::MasterKey;
use keyhall_types::Timestamp;
use keyhall_webauthn::RelyingParty;

use crate::auth::api_tokens::TokenUses;
use crate::comet::billing::PriceList;
use crate::comet::downloads::DownloadCatalogue;
use crate::credentials::password::PasswordPool;
use crate::ports::{Clock, Mailer, SmsSender, Store};

/// Tunables of the core, filled from the server's configuration (whose sections hold their
/// defaults).
#[derive(Debug, Clone)]
pub struct CoreSettings {
    /// How long a hosted instance or CloudView takes to provision.
    pub provision_delay: time::Duration,
    /// How long a hosted instance takes to be deleted.
    pub delete_delay: time::Duration,
    /// Host names of hosted instances are `<subdomain>.<hosted_domain>`.
    pub hosted_domain: String,
    /// Base URL of the CloudView portal.
    pub cloudview_url: String,
    pub prices: PriceList,
    /// How long a verified API token is trusted before the store is asked again. Revocations
    /// made on this node apply at once; on other nodes after at most this long.
    pub token_cache_ttl: std::time::Duration,
    /// How long a cached per-tenant list may be served. Writes on this node invalidate it at
    /// once; writes by other nodes sharing the database appear after at most this long.
    pub read_cache_ttl: std::time::Duration,
    /// How long a session lives without activity (each use slides it forward).
    pub session_ttl: time::Duration,
    /// How long a session lives at most from sign-in, however active.
    pub session_max_lifetime: time::Duration,
    /// Failed sign-ins allowed per account within `login_window` before it is locked
    /// (per client address: ten times as many).
    pub login_max_failures: i64,
    pub login_window: time::Duration,
    /// `iss` and `aud` of the tokens keyhall signs (Barong's values by default, so relying
    /// services configured for Barong accept them).
    pub token_issuer: String,
    pub token_audience: Vec<String>,
    /// Lifetime of mailed confirmation and reset tokens, and of access tokens.
    pub action_token_ttl: time::Duration,
    /// The algorithm of the token-signing key.
    pub signing_algorithm: keyhall_crypto::jwt::Algorithm,
    /// Concurrent password hashes (each takes ≈ 19 MiB and one core for ≈ 20 ms).
    pub password_hash_concurrency: usize,
    /// Password hashes that may wait for a hashing thread; more are refused (`server.busy`).
    pub password_hash_queue: usize,
}

impl CoreSettings {
    /// `iss` of the tokens keyhall signs, unless configured: Barong's, so that relying services
    /// configured for Barong accept them.
    pub const TOKEN_ISSUER: &'static str = "barong";
    /// `aud` of the tokens keyhall signs, unless configured: Barong's.
    pub const TOKEN_AUDIENCE: &'static [&'static str] = &["peatio", "barong"];
    /// Lifetime of mailed confirmation and reset tokens, unless configured.
    pub const ACTION_TOKEN_TTL: time::Duration = time::Duration::hours(1);
}

/// Everything the core needs from outside, handed over once at start-up.
pub struct CoreDeps {
    pub store: Arc<dyn Store>,
    pub clock: Arc<dyn Clock>,
    pub mailer: Arc<dyn Mailer>,
    pub sms: Arc<dyn SmsSender>,
    pub master_key: MasterKey,
    pub webauthn: RelyingParty,
    pub catalogue: DownloadCatalogue,
    /// LDAP and Active Directory auth modules bind through it.
    pub directory: Arc<dyn ports::DirectoryClient>,
    /// Azure AD auth modules sign users in through it.
    pub azure: Arc<dyn ports::AzureAdClient>,
    /// Self-service password reset looks users up at the community's profile API through it.
    pub profile_api: Arc<dyn ports::ProfileApiClient>,
    pub settings: CoreSettings,
}

pub struct Core {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    mailer: Arc<dyn Mailer>,
    sms: Arc<dyn SmsSender>,
    keys: MasterKey,
    webauthn: RelyingParty,
    catalogue: DownloadCatalogue,
    directory: Arc<dyn ports::DirectoryClient>,
    azure: Arc<dyn ports::AzureAdClient>,
    profile_api: Arc<dyn ports::ProfileApiClient>,
    settings: CoreSettings,
    passwords: PasswordPool,
    token_uses: TokenUses,
    licenses: cache::TenantCache<Vec<comet::licenses::License>>,
    /// The 1Kosmos face's hot reads (modules, users, pages of users, verified tokens).
    adminx_cache: adminx::cache::AdminxCache,
    /// Communities' configuration documents read recently (`Tenancy::cached_config`).
    config_cache: tenancy::config::ConfigCache,
    signing: auth::signing::SigningState,
    envelope_keys: auth::envelope_keys::EnvelopeKeyState,
    /// Sessions seen recently (the authorize hot path), keyed by cookie digest.
    session_cache: moka::sync::Cache<String, auth::sessions::Session>,
    /// Sessions tokens are bound to, seen recently (the resource API's hot path), by id.
    live_sessions: moka::sync::Cache<keyhall_types::SessionId, auth::sessions::Session>,
    /// API keys seen recently, with their unsealed secrets, keyed by kid.
    api_key_cache: moka::sync::Cache<String, auth::api_keys::CachedKey>,
    /// Barong session tokens that verified, with their claims (the resource API's hot path).
    session_token_cache: moka::sync::Cache<String, serde_json::Value>,
    /// The API-key nonces this node accepted (each is served once).
    nonces: auth::nonces::NonceMemory,
    /// Records them, in batches, for the nodes sharing the store.
    nonce_ledger: auth::nonces::NonceLedger,
    /// Rung when a message is queued, so that this node's outbox worker sends it at once.
    outbox_ready: tokio::sync::Notify,
    /// A report download was asked for on this node.
    report_jobs_waiting: tokio::sync::Notify,
    /// Each tenant's access restrictions (authorize reads them on every request).
    restriction_cache: moka::sync::Cache<keyhall_types::TenantId, Arc<Vec<auth::restrictions::Restriction>>>,
}

impl Core {
    pub fn new(deps: CoreDeps) -> Self {
        let passwords = PasswordPool::new(deps.settings.password_hash_concurrency, deps.settings.password_hash_queue);
        let token_uses = TokenUses::new(deps.settings.token_cache_ttl);
        let licenses = cache::TenantCache::new(deps.settings.read_cache_ttl);
        let adminx_cache = adminx::cache::AdminxCache::new(deps.settings.read_cache_ttl);
        let config_cache = tenancy::config::ConfigCache::new(deps.settings.read_cache_ttl);
        Self {
            store: deps.store,
            clock: deps.clock,
            mailer: deps.mailer,
            sms: deps.sms,
            keys: deps.master_key,
            webauthn: deps.webauthn,
            catalogue: deps.catalogue,
            directory: deps.directory,
            azure: deps.azure,
            profile_api: deps.profile_api,
            settings: deps.settings,
            passwords,
            token_uses,
            licenses,
            adminx_cache,
            config_cache,
            signing: Default::default(),
            envelope_keys: Default::default(),
            session_cache: moka::sync::Cache::builder()
                .max_capacity(200_000)
                .time_to_live(std::time::Duration::from_secs(5))
                .build(),
            api_key_cache: moka::sync::Cache::builder()
                .max_capacity(100_000)
                .time_to_live(std::time::Duration::from_secs(5))
                .build(),
            live_sessions: moka::sync::Cache::builder()
                .max_capacity(200_000)
                .time_to_live(std::time::Duration::from_secs(5))
                .build(),
            session_token_cache: moka::sync::Cache::builder()
                .max_capacity(100_000)
                .time_to_live(std::time::Duration::from_secs(60))
                .build(),
            nonces: Default::default(),
            nonce_ledger: Default::default(),
            outbox_ready: tokio::sync::Notify::new(),
            report_jobs_waiting: tokio::sync::Notify::new(),
            restriction_cache: moka::sync::Cache::builder()
                .max_capacity(10_000)
                .time_to_live(std::time::Duration::from_secs(5))
                .build(),
        }
    }

    pub fn now(&self) -> Timestamp {
        self.clock.now()
    }

    pub fn settings(&self) -> &CoreSettings {
        &self.settings
    }
}

/// Each context's service, reached from `Core`: `core.identity().user(…)`.
macro_rules! services {
    ($($(#[$doc:meta])* $method:ident => $module:ident::$ty:ident),* $(,)?) => {
        impl Core {
            $(
                $(#[$doc])*
                pub fn $method(&self) -> $module::$ty<'_> {
                    $module::$ty { core: self }
                }
            )*
        }
    };
}

services! {
    /// Tenants, communities and their configuration.
    tenancy => tenancy::Tenancy,
    /// Users and what they say about themselves.
    identity => identity::Identity,
    /// Passwords, TOTP and WebAuthn.
    credentials => credentials::Credentials,
    /// Sign-in, sessions, API tokens and keys, restrictions, signing keys.
    auth => auth::Auth,
    /// The audit log.
    audit => audit::Audit,
    /// The Comet-only domain.
    comet => comet::Comet,
    /// The Barong-only domain.
    barong => barong::Barong,
    /// The 1Kosmos domain.
    adminx => adminx::Adminx,
    /// Mail and texts waiting to be delivered.
    outbox => outbox::Outbox,
}

/// Declares a context's service type: a view of `Core` that carries the context's commands
/// (`impl Identity<'_> { … }` in the context's files).
macro_rules! service {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy)]
        pub struct $name<'a> {
            pub(crate) core: &'a $crate::Core,
        }
    };
}
pub(crate) use service;
