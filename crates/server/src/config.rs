//! The one typed configuration, read once at start-up: built-in defaults, then an optional
//! TOML file (`--config` / `KEYHALL_CONFIG`), then `KEYHALL_*` environment variables, then
//! command-line flags, each overriding the one before.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

/// Everything `keyhall serve` needs.
#[derive(Debug, Clone)]
pub struct Config {
    pub listen: String,
    pub data_dir: PathBuf,
    pub database_url: Option<String>,
    pub master_key: Option<String>,
    pub log_format: LogFormat,
    pub log_level: String,
    /// The URL users reach keyhall at; WebAuthn binds credentials to its host.
    pub public_url: String,
    pub downloads_file: Option<PathBuf>,
    pub comet_legacy_routes: bool,
    pub provision_delay: Duration,
    pub delete_delay: Duration,
    pub hosted_domain: String,
    pub cloudview_url: String,
    pub smtp_url: Option<String>,
    pub mail_from: String,
    pub trust_forwarded_for: bool,
    pub token_cache_ttl: Duration,
    pub read_cache_ttl: Duration,
    pub request_timeout: Duration,
    pub body_limit_bytes: usize,
    /// The tenant the Barong face serves (default: one created on first start).
    pub barong_tenant: Option<String>,
    pub barong_csrf: bool,
    /// `none`, `recaptcha` or `geetest`.
    pub barong_captcha: String,
    /// Where verification texts are POSTed (none: they are logged, not sent).
    pub sms_webhook_url: Option<String>,
    /// Password hashes computed at once (default: one per CPU).
    pub password_hash_concurrency: Option<usize>,
    /// Documents a user may upload (10 by default).
    pub barong_doc_limit: Option<i64>,
    /// Identity documents need an expiry date not yet passed (true by default).
    pub barong_require_doc_expiry: Option<bool>,
    /// Largest uploaded file, in MiB (10 by default).
    pub upload_max_mb: Option<usize>,
    /// Uploads read into memory at once; more wait their turn (8 by default).
    pub barong_concurrent_uploads: Option<usize>,
    /// reCAPTCHA site key, shown to front ends as `captcha_id`.
    pub recaptcha_site_key: Option<String>,
    /// reCAPTCHA secret key responses are verified with.
    pub recaptcha_secret_key: Option<String>,
    /// Where reCAPTCHA responses are verified (Google's siteverify by default).
    pub recaptcha_verify_url: Option<String>,
    /// Geetest captcha id.
    pub geetest_id: Option<String>,
    /// Geetest private key.
    pub geetest_key: Option<String>,
    /// Geetest API base URL (http://api.geetest.com by default).
    pub geetest_api_url: Option<String>,
    /// `RS256` or `ES256`.
    pub jwt_algorithm: String,
    pub session_expire: Duration,
    pub login_max_failures: i64,
    pub login_window: Duration,
    /// Titles users may keep data storages under (comma-separated in the environment).
    pub barong_storage_titles: Vec<String>,
    /// The Auth0 tenant domain and client id for `sessions/auth0`, and (optionally) where its
    /// JWK set is fetched.
    pub auth0_domain: Option<String>,
    pub auth0_client_id: Option<String>,
    pub auth0_jwks_url: Option<String>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8080".into(),
            data_dir: PathBuf::from("./keyhall-data"),
            database_url: None,
            master_key: None,
            log_format: LogFormat::Text,
            log_level: "info".into(),
            public_url: "http://localhost:8080".into(),
            downloads_file: None,
            comet_legacy_routes: true,
            provision_delay: Duration::from_secs(30),
            delete_delay: Duration::from_secs(30),
            hosted_domain: "hosted.keyhall.example".into(),
            cloudview_url: "https://cloudview.keyhall.example".into(),
            smtp_url: None,
            mail_from: "keyhall <no-reply@keyhall.localhost>".into(),
            trust_forwarded_for: false,
            token_cache_ttl: Duration::from_secs(2),
            read_cache_ttl: Duration::from_secs(1),
            request_timeout: Duration::from_secs(30),
            body_limit_bytes: 1024 * 1024,
            barong_tenant: None,
            barong_csrf: true,
            barong_captcha: "none".into(),
            sms_webhook_url: None,
            password_hash_concurrency: None,
            barong_doc_limit: None,
            barong_require_doc_expiry: None,
            upload_max_mb: None,
            barong_concurrent_uploads: None,
            recaptcha_site_key: None,
            recaptcha_secret_key: None,
            recaptcha_verify_url: None,
            geetest_id: None,
            geetest_key: None,
            geetest_api_url: None,
            jwt_algorithm: "RS256".into(),
            session_expire: Duration::from_secs(1800),
            login_max_failures: 5,
            login_window: Duration::from_secs(900),
            barong_storage_titles: Vec::new(),
            auth0_domain: None,
            auth0_client_id: None,
            auth0_jwks_url: None,
        }
    }
}

/// The TOML file: every key optional, named like the long flag with underscores.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub listen: Option<String>,
    pub data_dir: Option<PathBuf>,
    pub database_url: Option<String>,
    pub log_format: Option<LogFormat>,
    pub log_level: Option<String>,
    pub public_url: Option<String>,
    pub downloads_file: Option<PathBuf>,
    pub comet_legacy_routes: Option<bool>,
    pub provision_seconds: Option<u64>,
    pub delete_seconds: Option<u64>,
    pub hosted_domain: Option<String>,
    pub cloudview_url: Option<String>,
    pub smtp_url: Option<String>,
    pub mail_from: Option<String>,
    pub trust_forwarded_for: Option<bool>,
    pub token_cache_ms: Option<u64>,
    pub read_cache_ms: Option<u64>,
    pub barong_tenant: Option<String>,
    pub barong_csrf: Option<bool>,
    pub barong_captcha: Option<String>,
    pub sms_webhook_url: Option<String>,
    pub password_hash_concurrency: Option<usize>,
    pub barong_doc_limit: Option<i64>,
    pub barong_require_doc_expiry: Option<bool>,
    pub upload_max_mb: Option<usize>,
    pub barong_concurrent_uploads: Option<usize>,
    pub recaptcha_site_key: Option<String>,
    pub recaptcha_secret_key: Option<String>,
    pub recaptcha_verify_url: Option<String>,
    pub geetest_id: Option<String>,
    pub geetest_key: Option<String>,
    pub geetest_api_url: Option<String>,
    pub jwt_algorithm: Option<String>,
    pub session_expire_seconds: Option<u64>,
    pub login_max_failures: Option<i64>,
    pub login_window_seconds: Option<u64>,
    pub barong_storage_titles: Option<String>,
    pub auth0_domain: Option<String>,
    pub auth0_client_id: Option<String>,
    pub auth0_jwks_url: Option<String>,
    pub request_timeout_seconds: Option<u64>,
    pub body_limit_bytes: Option<usize>,
}

impl FileConfig {
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
        toml::from_str(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
    }
}

/// The flags and variables of `serve` (each `None` when not given).
#[derive(Debug, Default, Clone, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "KEYHALL_LISTEN")]
    pub listen: Option<String>,
    /// Log lines as text or JSON.
    #[arg(long, env = "KEYHALL_LOG_FORMAT", value_enum)]
    pub log_format: Option<LogFormat>,
    /// Log filter, e.g. `info` or `keyhall=debug,info`.
    #[arg(long, env = "KEYHALL_LOG_LEVEL")]
    pub log_level: Option<String>,
    /// The URL users reach keyhall at (WebAuthn relying party).
    #[arg(long, env = "KEYHALL_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// JSON catalogue of self-hosted releases, replacing the built-in one.
    #[arg(long, env = "KEYHALL_DOWNLOADS_FILE")]
    pub downloads_file: Option<PathBuf>,
    /// Serve the Comet routes announced for removal after 2025-06 (true/false).
    #[arg(long, env = "KEYHALL_COMET_LEGACY_ROUTES")]
    pub comet_legacy_routes: Option<bool>,
    /// Seconds a hosted instance or CloudView takes to provision.
    #[arg(long, env = "KEYHALL_PROVISION_SECONDS")]
    pub provision_seconds: Option<u64>,
    /// Seconds a hosted instance takes to be deleted.
    #[arg(long, env = "KEYHALL_DELETE_SECONDS")]
    pub delete_seconds: Option<u64>,
    /// Domain under which hosted instances get their host names.
    #[arg(long, env = "KEYHALL_HOSTED_DOMAIN")]
    pub hosted_domain: Option<String>,
    /// Mail server, e.g. smtp://127.0.0.1:2525 or smtps://user:pass@mail.example.com.
    #[arg(long, env = "KEYHALL_SMTP_URL")]
    pub smtp_url: Option<String>,
    /// Sender address of keyhall's mail.
    #[arg(long, env = "KEYHALL_MAIL_FROM")]
    pub mail_from: Option<String>,
    /// Take the client address from X-Forwarded-For (only behind a trusted proxy).
    #[arg(long, env = "KEYHALL_TRUST_FORWARDED_FOR")]
    pub trust_forwarded_for: Option<bool>,
    /// How long (ms) a verified API token is trusted before the store is asked again.
    #[arg(long, env = "KEYHALL_TOKEN_CACHE_MS")]
    pub token_cache_ms: Option<u64>,
    /// How long (ms) a cached per-company list may be served; writes on this node refresh it
    /// at once, writes by other nodes show after at most this long.
    #[arg(long, env = "KEYHALL_READ_CACHE_MS")]
    pub read_cache_ms: Option<u64>,
    /// The tenant (company id) whose users the Barong API serves.
    #[arg(long, env = "KEYHALL_BARONG_TENANT")]
    pub barong_tenant: Option<String>,
    /// Require X-CSRF-Token on cookie-authenticated writes through authorize (true/false).
    #[arg(long, env = "KEYHALL_BARONG_CSRF")]
    pub barong_csrf: Option<bool>,
    /// Captcha on sign-up and sign-in: none, recaptcha or geetest.
    #[arg(long, env = "KEYHALL_BARONG_CAPTCHA")]
    pub barong_captcha: Option<String>,
    /// SMS gateway: verification texts are POSTed here as JSON {to, body, channel}.
    #[arg(long, env = "KEYHALL_SMS_WEBHOOK_URL")]
    pub sms_webhook_url: Option<String>,
    /// Password hashes (argon2id, 19 MiB each) computed at once; default one per CPU.
    #[arg(long, env = "KEYHALL_PASSWORD_HASH_CONCURRENCY")]
    pub password_hash_concurrency: Option<usize>,
    /// Documents a user may upload (10 by default).
    #[arg(long, env = "KEYHALL_BARONG_DOC_LIMIT")]
    pub barong_doc_limit: Option<i64>,
    /// Identity documents need an expiry date not yet passed (true by default).
    #[arg(long, env = "KEYHALL_BARONG_REQUIRE_DOC_EXPIRY")]
    pub barong_require_doc_expiry: Option<bool>,
    /// Largest uploaded file, in MiB (10 by default).
    #[arg(long, env = "KEYHALL_UPLOAD_MAX_MB")]
    pub upload_max_mb: Option<usize>,
    /// Uploads read into memory at once; more wait their turn (8 by default).
    #[arg(long, env = "KEYHALL_BARONG_CONCURRENT_UPLOADS")]
    pub barong_concurrent_uploads: Option<usize>,
    /// reCAPTCHA site key, shown to front ends as `captcha_id`.
    #[arg(long, env = "KEYHALL_RECAPTCHA_SITE_KEY", hide_env_values = true)]
    pub recaptcha_site_key: Option<String>,
    /// reCAPTCHA secret key responses are verified with.
    #[arg(long, env = "KEYHALL_RECAPTCHA_SECRET_KEY", hide_env_values = true)]
    pub recaptcha_secret_key: Option<String>,
    /// Where reCAPTCHA responses are verified (Google's siteverify by default).
    #[arg(long, env = "KEYHALL_RECAPTCHA_VERIFY_URL", hide_env_values = true)]
    pub recaptcha_verify_url: Option<String>,
    /// Geetest captcha id.
    #[arg(long, env = "KEYHALL_GEETEST_ID", hide_env_values = true)]
    pub geetest_id: Option<String>,
    /// Geetest private key.
    #[arg(long, env = "KEYHALL_GEETEST_KEY", hide_env_values = true)]
    pub geetest_key: Option<String>,
    /// Geetest API base URL (http://api.geetest.com by default).
    #[arg(long, env = "KEYHALL_GEETEST_API_URL", hide_env_values = true)]
    pub geetest_api_url: Option<String>,
    /// Algorithm of the token-signing key: RS256 or ES256.
    #[arg(long, env = "KEYHALL_JWT_ALGORITHM")]
    pub jwt_algorithm: Option<String>,
    /// Seconds a session lives without activity.
    #[arg(long, env = "KEYHALL_SESSION_EXPIRE_SECONDS")]
    pub session_expire_seconds: Option<u64>,
    /// Failed sign-ins per account (within the window) before it is locked.
    #[arg(long, env = "KEYHALL_LOGIN_MAX_FAILURES")]
    pub login_max_failures: Option<i64>,
    /// The window, in seconds, failed sign-ins are counted in (and the first lock's length).
    #[arg(long, env = "KEYHALL_LOGIN_WINDOW_SECONDS")]
    pub login_window_seconds: Option<u64>,
    /// Titles users may keep data storages under, comma-separated (e.g. personal,company).
    #[arg(long, env = "KEYHALL_BARONG_STORAGE_TITLES")]
    pub barong_storage_titles: Option<String>,
    /// Auth0 tenant domain (e.g. example.eu.auth0.com) for sign-in with Auth0 ID tokens.
    #[arg(long, env = "KEYHALL_AUTH0_DOMAIN")]
    pub auth0_domain: Option<String>,
    /// Auth0 application client id (the ID tokens' audience).
    #[arg(long, env = "KEYHALL_AUTH0_CLIENT_ID")]
    pub auth0_client_id: Option<String>,
    /// Where to fetch the Auth0 JWK set (default https://<domain>/.well-known/jwks.json).
    #[arg(long, env = "KEYHALL_AUTH0_JWKS_URL")]
    pub auth0_jwks_url: Option<String>,
}

impl Config {
    /// Layers the file and the flags/environment over the defaults.
    pub fn resolve(
        file: FileConfig,
        data_dir: Option<PathBuf>,
        database_url: Option<String>,
        master_key: Option<String>,
        args: &ServeArgs,
    ) -> Self {
        let d = Config::default();
        let secs = Duration::from_secs;
        Config {
            listen: args.listen.clone().or(file.listen).unwrap_or(d.listen),
            data_dir: data_dir.or(file.data_dir).unwrap_or(d.data_dir),
            database_url: database_url.or(file.database_url).filter(|u| !u.trim().is_empty()),
            master_key: master_key.filter(|k| !k.trim().is_empty()),
            log_format: args.log_format.or(file.log_format).unwrap_or(d.log_format),
            log_level: args.log_level.clone().or(file.log_level).unwrap_or(d.log_level),
            public_url: args.public_url.clone().or(file.public_url).unwrap_or(d.public_url),
            downloads_file: args.downloads_file.clone().or(file.downloads_file),
            comet_legacy_routes: args.comet_legacy_routes.or(file.comet_legacy_routes).unwrap_or(d.comet_legacy_routes),
            provision_delay: args.provision_seconds.or(file.provision_seconds).map(secs).unwrap_or(d.provision_delay),
            delete_delay: args.delete_seconds.or(file.delete_seconds).map(secs).unwrap_or(d.delete_delay),
            hosted_domain: args.hosted_domain.clone().or(file.hosted_domain).unwrap_or(d.hosted_domain),
            cloudview_url: file.cloudview_url.unwrap_or(d.cloudview_url),
            smtp_url: args.smtp_url.clone().or(file.smtp_url).filter(|u| !u.trim().is_empty()),
            mail_from: args.mail_from.clone().or(file.mail_from).unwrap_or(d.mail_from),
            trust_forwarded_for: args.trust_forwarded_for.or(file.trust_forwarded_for).unwrap_or(d.trust_forwarded_for),
            token_cache_ttl: args.token_cache_ms.or(file.token_cache_ms).map(Duration::from_millis).unwrap_or(d.token_cache_ttl),
            read_cache_ttl: args.read_cache_ms.or(file.read_cache_ms).map(Duration::from_millis).unwrap_or(d.read_cache_ttl),
            barong_tenant: args.barong_tenant.clone().or(file.barong_tenant).filter(|t| !t.trim().is_empty()),
            barong_csrf: args.barong_csrf.or(file.barong_csrf).unwrap_or(d.barong_csrf),
            barong_captcha: args.barong_captcha.clone().or(file.barong_captcha).unwrap_or(d.barong_captcha),
            recaptcha_site_key: args.recaptcha_site_key.clone().or(file.recaptcha_site_key).filter(|v| !v.is_empty()),
            recaptcha_secret_key: args.recaptcha_secret_key.clone().or(file.recaptcha_secret_key).filter(|v| !v.is_empty()),
            recaptcha_verify_url: args.recaptcha_verify_url.clone().or(file.recaptcha_verify_url).filter(|v| !v.is_empty()),
            geetest_id: args.geetest_id.clone().or(file.geetest_id).filter(|v| !v.is_empty()),
            geetest_key: args.geetest_key.clone().or(file.geetest_key).filter(|v| !v.is_empty()),
            geetest_api_url: args.geetest_api_url.clone().or(file.geetest_api_url).filter(|v| !v.is_empty()),
            barong_doc_limit: args.barong_doc_limit.or(file.barong_doc_limit),
            barong_require_doc_expiry: args.barong_require_doc_expiry.or(file.barong_require_doc_expiry),
            upload_max_mb: args.upload_max_mb.or(file.upload_max_mb),
            barong_concurrent_uploads: args.barong_concurrent_uploads.or(file.barong_concurrent_uploads),
            password_hash_concurrency: args.password_hash_concurrency.or(file.password_hash_concurrency),
            sms_webhook_url: args.sms_webhook_url.clone().or(file.sms_webhook_url).filter(|v| !v.is_empty()),
            jwt_algorithm: args.jwt_algorithm.clone().or(file.jwt_algorithm).unwrap_or(d.jwt_algorithm),
            session_expire: args.session_expire_seconds.or(file.session_expire_seconds).map(secs).unwrap_or(d.session_expire),
            login_max_failures: args.login_max_failures.or(file.login_max_failures).unwrap_or(d.login_max_failures),
            login_window: args.login_window_seconds.or(file.login_window_seconds).map(secs).unwrap_or(d.login_window),
            barong_storage_titles: args
                .barong_storage_titles
                .clone()
                .or(file.barong_storage_titles)
                .map(|t| t.split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect())
                .unwrap_or(d.barong_storage_titles),
            auth0_domain: args.auth0_domain.clone().or(file.auth0_domain).filter(|v| !v.is_empty()),
            auth0_client_id: args.auth0_client_id.clone().or(file.auth0_client_id).filter(|v| !v.is_empty()),
            auth0_jwks_url: args.auth0_jwks_url.clone().or(file.auth0_jwks_url).filter(|v| !v.is_empty()),
            request_timeout: file.request_timeout_seconds.map(secs).unwrap_or(d.request_timeout),
            body_limit_bytes: file.body_limit_bytes.unwrap_or(d.body_limit_bytes),
        }
    }

    pub fn listen_addr(&self) -> anyhow::Result<SocketAddr> {
        self.listen.parse().map_err(|e| anyhow::anyhow!("invalid listen address {:?}: {e}", self.listen))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_and_env_override_the_file_which_overrides_defaults() {
        let file: FileConfig = toml::from_str(
            "listen = \"0.0.0.0:9000\"\nlog_format = \"json\"\nprovision_seconds = 7\nhosted_domain = \"file.example\"\n",
        )
        .unwrap();
        let args = ServeArgs { listen: Some("127.0.0.1:1234".into()), ..Default::default() };
        let c = Config::resolve(file, None, None, None, &args);
        assert_eq!(c.listen, "127.0.0.1:1234", "flag beats file");
        assert_eq!(c.log_format, LogFormat::Json, "file beats default");
        assert_eq!(c.provision_delay, Duration::from_secs(7));
        assert_eq!(c.hosted_domain, "file.example");
        assert_eq!(c.data_dir, PathBuf::from("./keyhall-data"), "default");
        assert!(toml::from_str::<FileConfig>("no_such_key = 1").is_err(), "unknown keys are refused");
    }
}
