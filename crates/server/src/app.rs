//! Wiring: the store, the core and the faces into one router, plus the background work
//! (batched token-use writes, lifecycle transitions) and graceful shutdown.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use keyhall_core::comet::downloads::DownloadCatalogue;
use keyhall_core::ports::{Clock, LogMailer, LogSmsSender, Mailer, SmsSender};
use keyhall_core::{Core, CoreDeps, CoreSettings};
use keyhall_http::client::TrustForwardedFor;
use keyhall_http::layers::{LayerSettings, TooLargeAnswer};
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::config::Config;

pub struct App {
    pub router: Router,
    pub core: Arc<Core>,
}

fn time_duration(d: Duration) -> time::Duration {
    time::Duration::try_from(d).unwrap_or(time::Duration::ZERO)
}

fn upload_rules(config: &Config) -> keyhall_core::identity::documents::UploadRules {
    let mut rules = keyhall_core::identity::documents::UploadRules::default();
    if let Some(mb) = config.upload_max_mb {
        // 1 MiB to 1 GiB: files are held in memory while they are checked.
        rules.max_file_bytes = mb.clamp(1, 1024) * 1024 * 1024;
    }
    if let Some(limit) = config.barong_doc_limit {
        rules.max_documents = limit.max(0);
    }
    if let Some(require) = config.barong_require_doc_expiry {
        rules.require_expiry = require;
    }
    rules
}

/// An upload request may carry three files of the largest size (front, back and selfie).
fn upload_request_limit(config: &Config) -> usize {
    upload_rules(config).max_file_bytes.saturating_mul(3).saturating_add(config.body_limit_bytes)
}

/// Opens the store (running migrations) and builds the core as configured, on the system's
/// clock.
pub async fn build_core(config: &Config) -> anyhow::Result<Arc<Core>> {
    build_core_with(config, Arc::new(crate::clock::SystemClock)).await
}

/// `build_core` on the given clock.
pub async fn build_core_with(config: &Config, clock: Arc<dyn Clock>) -> anyhow::Result<Arc<Core>> {
    let master_key = crate::keys::load_or_create(&config.data_dir, config.master_key.as_deref())?;
    let store = keyhall_store::open(config.database_url.as_deref(), &config.data_dir).await?;
    let catalogue = match &config.downloads_file {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
            DownloadCatalogue::from_json(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?
        }
        None => DownloadCatalogue::builtin(),
    };
    let mailer: Arc<dyn Mailer> = match &config.smtp_url {
        Some(url) => Arc::new(crate::mail::SmtpMailer::new(url, &config.mail_from)?),
        None => Arc::new(LogMailer),
    };
    let sms: Arc<dyn SmsSender> = match &config.sms_webhook_url {
        Some(url) => Arc::new(crate::sms::WebhookSmsSender::new(url)?),
        None => Arc::new(LogSmsSender),
    };
    let webauthn = keyhall_webauthn::RelyingParty::new(&config.public_url, "keyhall")
        .map_err(|e| anyhow::anyhow!("public URL {:?}: {e}", config.public_url))?;
    let signing_algorithm = keyhall_crypto::jwt::Algorithm::parse(&config.jwt_algorithm.to_ascii_uppercase())
        .ok_or_else(|| anyhow::anyhow!("KEYHALL_JWT_ALGORITHM must be RS256 or ES256, not {:?}", config.jwt_algorithm))?;
    let settings = CoreSettings {
        provision_delay: time_duration(config.provision_delay),
        delete_delay: time_duration(config.delete_delay),
        hosted_domain: config.hosted_domain.clone(),
        cloudview_url: config.cloudview_url.clone(),
        token_cache_ttl: config.token_cache_ttl,
        read_cache_ttl: config.read_cache_ttl,
        signing_algorithm,
        session_ttl: time_duration(config.session_expire),
        login_max_failures: config.login_max_failures.max(1),
        login_window: time_duration(config.login_window),
        ..CoreSettings::default()
    };
    let settings = match config.password_hash_concurrency {
        Some(n) => CoreSettings { password_hash_concurrency: n.clamp(1, 256), ..settings },
        None => settings,
    };
    Ok(Arc::new(Core::new(CoreDeps { store, clock, mailer, sms, master_key, webauthn, catalogue, settings })))
}

pub async fn build(config: &Config) -> anyhow::Result<App> {
    build_with(config, Arc::new(crate::clock::SystemClock)).await
}

/// `build` on the given clock.
pub async fn build_with(config: &Config, clock: Arc<dyn Clock>) -> anyhow::Result<App> {
    let core = build_core_with(config, clock).await?;
    // Create (or load) the signing key now rather than on the first token.
    core.auth().signing_keys().await.map_err(|e| anyhow::anyhow!("signing keys: {e}"))?;
    let metrics = crate::telemetry::metrics_handle();
    let comet =
        keyhall_face_comet::router(core.clone(), keyhall_face_comet::CometConfig { legacy_routes: config.comet_legacy_routes });
    let barong = barong_router(&core, config).await?;
    let openapi = keyhall_face_comet::openapi::document_text();
    let router = Router::new()
        .route("/healthz", get(|| async { ([(header::CONTENT_TYPE, "application/json")], r#"{"status":"ok"}"#) }))
        .route(
            "/metrics",
            get(move || std::future::ready(([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], metrics.render()))),
        )
        .route(
            "/api/v1/openapi.json",
            get(move || std::future::ready(([(header::CONTENT_TYPE, "application/json")], openapi.clone()).into_response())),
        )
        .merge(keyhall_http::well_known::router(core.clone()))
        .merge(comet)
        .merge(barong);
    let layers = LayerSettings {
        body_limit_bytes: config.body_limit_bytes,
        request_timeout: config.request_timeout,
        upload_paths: keyhall_face_barong::UPLOAD_PATHS.iter().map(|p| p.to_string()).collect(),
        upload_limit_bytes: upload_request_limit(config),
        too_large_answers: vec![
            TooLargeAnswer { prefix: "/api/v2/auth/", answer: keyhall_face_barong::body_too_large },
            TooLargeAnswer { prefix: "/api/v1/", answer: keyhall_face_comet::body_too_large },
        ],
    };
    let router =
        keyhall_http::layers::apply(router, &layers).layer(axum::Extension(TrustForwardedFor(config.trust_forwarded_for)));
    Ok(App { router, core })
}

/// The tenant the Barong face serves: the configured one, or the one made on first start.
pub async fn barong_tenant(core: &Core, config: &Config) -> anyhow::Result<keyhall_types::TenantId> {
    let configured = match &config.barong_tenant {
        Some(t) => Some(
            keyhall_types::TenantId::parse(t).ok_or_else(|| anyhow::anyhow!("KEYHALL_BARONG_TENANT {t:?} is not a tenant id"))?,
        ),
        None => None,
    };
    core.tenancy()
        .face_tenant("barong.tenant_id", "Barong", configured)
        .await
        .map_err(|e| anyhow::anyhow!("Barong tenant: {}", e.detail.clone().unwrap_or_else(|| e.code.to_string())))
}

async fn barong_router(core: &Arc<Core>, config: &Config) -> anyhow::Result<Router> {
    let tenant = barong_tenant(core, config).await?;
    let mut barong = keyhall_face_barong::BarongConfig::new(tenant);
    barong.csrf_protection = config.barong_csrf;
    barong.jwt_ttl = time::Duration::seconds(3600);
    barong.secure_cookies = config.public_url.starts_with("https://");
    barong.storage_titles = config.barong_storage_titles.clone();
    barong.auth0 = match (&config.auth0_domain, &config.auth0_client_id) {
        (Some(domain), Some(client)) => {
            let mut auth0 = keyhall_face_barong::Auth0Config::new(domain, client);
            if let Some(url) = &config.auth0_jwks_url {
                auth0.jwks_url = url.clone();
            }
            Some(auth0)
        }
        _ => None,
    };
    barong.upload_rules = upload_rules(config);
    if let Some(n) = config.barong_concurrent_uploads {
        barong.max_concurrent_uploads = n.max(1);
    }
    barong.captcha = match config.barong_captcha.as_str() {
        "none" => keyhall_face_barong::Captcha::None,
        "recaptcha" => keyhall_face_barong::Captcha::Recaptcha {
            site_key: config.recaptcha_site_key.clone().unwrap_or_default(),
            secret: config.recaptcha_secret_key.clone().unwrap_or_default(),
            verify_url: config
                .recaptcha_verify_url
                .clone()
                .unwrap_or_else(|| keyhall_face_barong::Captcha::RECAPTCHA_VERIFY_URL.into()),
        },
        "geetest" => keyhall_face_barong::Captcha::Geetest {
            id: config.geetest_id.clone().unwrap_or_default(),
            key: config.geetest_key.clone().unwrap_or_default(),
            api_url: config.geetest_api_url.clone().unwrap_or_else(|| keyhall_face_barong::Captcha::GEETEST_API_URL.into()),
        },
        other => anyhow::bail!("KEYHALL_BARONG_CAPTCHA must be none, recaptcha or geetest, not {other:?}"),
    };
    Ok(keyhall_face_barong::router(core.clone(), barong))
}

/// Periodic work: write batched token uses every 5 s, apply due lifecycle transitions every
/// second, forget stale failed-login counters every 10 minutes. Stops when `stop` flips,
/// after a last flush.
fn spawn_background(core: Arc<Core>, mut stop: watch::Receiver<bool>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        let mut n: u64 = 0;
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                _ = stop.changed() => break,
            }
            n += 1;
            if let Err(e) = core.comet().advance_lifecycles(core.now()).await {
                tracing::warn!(error = %e, "lifecycle sweep failed");
            }
            if n.is_multiple_of(5)
                && let Err(e) = core.auth().flush_token_uses().await
            {
                tracing::warn!(error = %e, "writing token last-use times failed");
            }
            if n.is_multiple_of(600)
                && let Err(e) = core.auth().purge_login_attempts().await
            {
                tracing::warn!(error = %e, "purging stale login-attempt counters failed");
            }
        }
        if let Err(e) = core.auth().flush_token_uses().await {
            tracing::warn!(error = %e, "writing token last-use times failed");
        }
    })
}

/// Serves until `shutdown` completes; in-flight requests finish first.
pub async fn serve(app: App, listener: TcpListener, shutdown: impl Future<Output = ()> + Send + 'static) -> anyhow::Result<()> {
    let (stop_tx, stop_rx) = watch::channel(false);
    let background = spawn_background(app.core.clone(), stop_rx);
    let service = app.router.into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, service).with_graceful_shutdown(shutdown).await?;
    let _ = stop_tx.send(true);
    let _ = background.await;
    Ok(())
}

/// A server running in the background (for tests and benchmarks).
pub struct Running {
    pub addr: SocketAddr,
    pub core: Arc<Core>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

impl Running {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Graceful stop: waits for in-flight requests and the final flush.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match self.task.take() {
            Some(task) => task.await?,
            None => Ok(()),
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Binds `config.listen` (e.g. `127.0.0.1:0`) and serves in a background task.
pub async fn start(config: Config) -> anyhow::Result<Running> {
    start_with(config, Arc::new(crate::clock::SystemClock)).await
}

/// `start` on the given clock (tests move time with a `ShiftedClock`).
pub async fn start_with(config: Config, clock: Arc<dyn Clock>) -> anyhow::Result<Running> {
    let app = build_with(&config, clock).await?;
    let core = app.core.clone();
    let listener = TcpListener::bind(config.listen_addr()?).await?;
    let addr = listener.local_addr()?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(serve(app, listener, async move {
        let _ = stopped.await;
    }));
    Ok(Running { addr, core, stop: Some(stop), task: Some(task) })
}
