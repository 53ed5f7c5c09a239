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
use keyhall_http::client::{PublicHost, TrustForwardedFor};
use keyhall_http::layers::{LayerSettings, TooLargeAnswer};
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::config::Config;

pub struct App {
    pub router: Router,
    pub core: Arc<Core>,
    /// `/metrics`, when it is served on its own address (else it is on the API router).
    pub metrics: Option<Router>,
    /// Whether this node builds report downloads.
    pub report_worker: bool,
}

fn seconds(n: u64) -> time::Duration {
    time::Duration::seconds(i64::try_from(n).unwrap_or(i64::MAX))
}

/// Opens the store (running migrations) and builds the core as configured, on the system's
/// clock.
pub async fn build_core(config: &Config) -> anyhow::Result<Arc<Core>> {
    build_core_with(config, Arc::new(crate::clock::SystemClock)).await
}

/// `build_core` on the given clock.
pub async fn build_core_with(config: &Config, clock: Arc<dyn Clock>) -> anyhow::Result<Arc<Core>> {
    // The store first: an unreachable database fails before anything is created on disk.
    let store = keyhall_store::open(config.database_url.as_deref(), &config.data_dir).await?;
    let master_key = crate::keys::load_or_create(&config.data_dir, config.master_key.as_deref())?;
    let (server, comet) = (&config.server, &config.comet);
    let catalogue = match &comet.downloads_file {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
            DownloadCatalogue::from_json(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?
        }
        None => DownloadCatalogue::builtin(),
    };
    let mailer: Arc<dyn Mailer> = match &server.smtp_url {
        Some(url) => match crate::dev_sink::directory_of(url) {
            Some(dir) => Arc::new(crate::dev_sink::FileMailer::new(dir, &server.mail_from)?),
            None => Arc::new(crate::mail::SmtpMailer::new(url, &server.mail_from)?),
        },
        None => Arc::new(LogMailer),
    };
    let sms: Arc<dyn SmsSender> = match &server.sms_webhook_url {
        Some(url) => match crate::dev_sink::directory_of(url) {
            Some(dir) => Arc::new(crate::dev_sink::FileSmsSender::new(dir)?),
            None => Arc::new(crate::sms::WebhookSmsSender::new(url)?),
        },
        None => Arc::new(LogSmsSender),
    };
    let webauthn = keyhall_webauthn::RelyingParty::new(&server.public_url, "keyhall")
        .map_err(|e| anyhow::anyhow!("public URL {:?}: {e}", server.public_url))?;
    let signing_algorithm = keyhall_crypto::jwt::Algorithm::parse(&server.jwt_algorithm.to_ascii_uppercase())
        .ok_or_else(|| anyhow::anyhow!("KEYHALL_JWT_ALGORITHM must be RS256 or ES256, not {:?}", server.jwt_algorithm))?;
    let password_hash_concurrency = server
        .password_hash_concurrency
        .unwrap_or_else(|| std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2))
        .clamp(1, 256);
    let settings = CoreSettings {
        provision_delay: seconds(comet.provision_seconds),
        delete_delay: seconds(comet.delete_seconds),
        hosted_domain: comet.hosted_domain.clone(),
        cloudview_url: comet.cloudview_url.clone(),
        token_cache_ttl: Duration::from_millis(server.token_cache_ms),
        read_cache_ttl: Duration::from_millis(server.read_cache_ms),
        signing_algorithm,
        session_ttl: seconds(server.session_expire_seconds),
        session_max_lifetime: seconds(server.session_max_seconds.max(server.session_expire_seconds)),
        login_max_failures: server.login_max_failures.max(1),
        login_window: seconds(server.login_window_seconds),
        password_hash_concurrency,
        password_hash_queue: server.password_hash_queue.unwrap_or(100 * password_hash_concurrency).max(1),
        prices: Default::default(),
        token_issuer: CoreSettings::TOKEN_ISSUER.into(),
        token_audience: CoreSettings::TOKEN_AUDIENCE.iter().map(|a| a.to_string()).collect(),
        action_token_ttl: CoreSettings::ACTION_TOKEN_TTL,
    };
    let directory = Arc::new(crate::ldap::LdapDirectory);
    let azure = Arc::new(crate::azure::AzureAd::new()?);
    let profile_api = Arc::new(crate::profile_api::HttpProfileApi::new(config.adminx.profile_api_private_hosts)?);
    Ok(Arc::new(Core::new(CoreDeps {
        store,
        clock,
        mailer,
        sms,
        master_key,
        webauthn,
        catalogue,
        directory,
        azure,
        profile_api,
        settings,
    })))
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
    let comet = keyhall_face_comet::router(core.clone(), config.comet.clone());
    let barong = barong_router(&core, config).await?;
    let adminx = config.adminx.face_config(&config.server.public_url).map_err(|e| anyhow::anyhow!(e))?;
    // The envelope key now rather than on the first call (and a bad curve fails the start).
    core.auth().envelope_key(adminx.curve).await.map_err(|e| anyhow::anyhow!("envelope key: {e}"))?;
    let adminx = keyhall_face_adminx::router(core.clone(), adminx);
    let openapi = keyhall_face_comet::openapi::document_text();
    let metrics_router = Router::new().route(
        "/metrics",
        get(move || std::future::ready(([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], metrics.render()))),
    );
    let (api_metrics, metrics) = match config.server.metrics_listen {
        Some(_) => (Router::new(), Some(metrics_router)),
        None => (metrics_router, None),
    };
    let router = Router::new()
        .route("/healthz", get(|| async { ([(header::CONTENT_TYPE, "application/json")], r#"{"status":"ok"}"#) }))
        .merge(api_metrics)
        .route(
            "/api/v1/openapi.json",
            get(move || std::future::ready(([(header::CONTENT_TYPE, "application/json")], openapi.clone()).into_response())),
        )
        .merge(keyhall_http::well_known::router(core.clone()))
        .merge(comet)
        .merge(barong)
        .merge(adminx);
    let layers = LayerSettings {
        body_limit_bytes: config.server.body_limit_bytes,
        request_timeout: Duration::from_secs(config.server.request_timeout_seconds),
        upload_paths: keyhall_face_barong::UPLOAD_PATHS.iter().map(|p| p.to_string()).collect(),
        upload_limit_bytes: config.barong.upload_request_limit(config.server.body_limit_bytes),
        too_large_answers: vec![
            TooLargeAnswer { prefix: "/api/v2/auth/", answer: keyhall_face_barong::body_too_large },
            TooLargeAnswer { prefix: "/api/v1/", answer: keyhall_face_comet::body_too_large },
            TooLargeAnswer { prefix: "/adminapi/", answer: keyhall_face_adminx::body_too_large },
        ],
    };
    let router = keyhall_http::layers::apply(router, &layers)
        .layer(axum::Extension(TrustForwardedFor(config.server.trust_forwarded_for)))
        .layer(axum::Extension(PublicHost::of_url(&config.server.public_url)));
    Ok(App { router, core, metrics, report_worker: config.adminx.report_worker })
}

/// The tenant the Barong face serves: the configured one, or the installation's default
/// tenant (made on first start, or the first company created).
pub async fn barong_tenant(core: &Core, config: &Config) -> anyhow::Result<keyhall_types::TenantId> {
    let configured = config.barong.tenant_id().map_err(|e| anyhow::anyhow!(e))?;
    core.tenancy()
        .default_tenant(configured)
        .await
        .map_err(|e| anyhow::anyhow!("Barong tenant: {}", e.detail.clone().unwrap_or_else(|| e.code.to_string())))
}

async fn barong_router(core: &Arc<Core>, config: &Config) -> anyhow::Result<Router> {
    let tenant = barong_tenant(core, config).await?;
    let https = config.server.public_url.starts_with("https://");
    let barong = config.barong.face_config(tenant, https).map_err(|e| anyhow::anyhow!(e))?;
    Ok(keyhall_face_barong::router(core.clone(), barong))
}

/// Periodic work: write batched token uses every 5 s, apply due lifecycle transitions every
/// second, forget expired API-key nonces every minute, stale failed-login counters and report
/// files past their week every 10 minutes. Stops when `stop` flips,
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
            if n.is_multiple_of(60)
                && let Err(e) = core.auth().purge_nonces().await
            {
                tracing::warn!(error = %e, "purging API-key nonces failed");
            }
            if n.is_multiple_of(600)
                && let Err(e) = core.auth().purge_login_attempts().await
            {
                tracing::warn!(error = %e, "purging stale login-attempt counters failed");
            }
            if n.is_multiple_of(600)
                && let Err(e) = core.adminx().expire_report_files().await
            {
                tracing::warn!(error = %e, "dropping expired report files failed");
            }
        }
        if let Err(e) = core.auth().flush_token_uses().await {
            tracing::warn!(error = %e, "writing token last-use times failed");
        }
    })
}

/// Serves until `shutdown` completes; in-flight requests finish first.
/// `metrics` is the listener of `/metrics` when it has its own address.
pub async fn serve(
    app: App,
    listener: TcpListener,
    metrics: Option<TcpListener>,
    radius: Option<tokio::net::UdpSocket>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let (stop_tx, stop_rx) = watch::channel(false);
    let radius = radius.map(|socket| crate::radius::spawn(app.core.clone(), socket, stop_rx.clone()));
    let outbox = spawn_outbox_worker(app.core.clone(), stop_rx.clone());
    let reports = app.report_worker.then(|| crate::report_worker::spawn(app.core.clone(), stop_rx.clone()));
    let background = spawn_background(app.core.clone(), stop_rx);
    let metrics_task = match (metrics, app.metrics) {
        (Some(listener), Some(router)) => Some(tokio::spawn(async move { axum::serve(listener, router).await })),
        _ => None,
    };
    let service = app.router.into_make_service_with_connect_info::<SocketAddr>();
    // No Nagle delay: an answer the kernel sends in more than one segment would otherwise
    // have its last, short segment held back until the client acknowledged the ones before.
    let listener = axum::serve::ListenerExt::tap_io(listener, |tcp: &mut tokio::net::TcpStream| {
        let _ = tcp.set_nodelay(true);
    });
    axum::serve(listener, service).with_graceful_shutdown(shutdown).await?;
    if let Some(task) = metrics_task {
        task.abort();
    }
    let _ = stop_tx.send(true);
    let _ = background.await;
    let _ = outbox.await;
    if let Some(reports) = reports {
        let _ = reports.await;
    }
    if let Some(radius) = radius {
        let _ = radius.await;
    }
    Ok(())
}

/// Delivers the outbox's mail and texts: at once when this node queued one, and every
/// second for other nodes' messages and retries that came due. Stops when `stop` flips
/// (undelivered messages stay in the outbox for the next start).
fn spawn_outbox_worker(core: Arc<Core>, mut stop: watch::Receiver<bool>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            if let Err(e) = core.outbox().deliver_due().await {
                tracing::warn!(error = %e, "delivering the outbox failed");
            }
            tokio::select! {
                _ = core.outbox().wait_for_work(Duration::from_secs(1)) => {}
                _ = stop.changed() => break,
            }
        }
    })
}

/// A server running in the background (for tests and benchmarks).
pub struct Running {
    pub addr: SocketAddr,
    /// Where `/metrics` is served, when it has its own address.
    pub metrics_addr: Option<SocketAddr>,
    /// Where the RADIUS server listens, when it is on.
    pub radius_addr: Option<SocketAddr>,
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
    let listener = TcpListener::bind(config.listen_addr().await?).await?;
    let addr = listener.local_addr()?;
    let metrics = match config.metrics_addr().await? {
        Some(a) => Some(TcpListener::bind(a).await?),
        None => None,
    };
    let metrics_addr = metrics.as_ref().map(TcpListener::local_addr).transpose()?;
    let radius = match config.radius_addr().await? {
        Some(a) => Some(tokio::net::UdpSocket::bind(a).await?),
        None => None,
    };
    let radius_addr = radius.as_ref().map(tokio::net::UdpSocket::local_addr).transpose()?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(serve(app, listener, metrics, radius, async move {
        let _ = stopped.await;
    }));
    Ok(Running { addr, metrics_addr, radius_addr, core, stop: Some(stop), task: Some(task) })
}
