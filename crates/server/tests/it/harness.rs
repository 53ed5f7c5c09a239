//! Test harness: boots a real keyhall on 127.0.0.1:0 with a temporary SQLite database or, when
//! `KEYHALL_TEST_DATABASE_URL` is set, a fresh PostgreSQL schema, and speaks HTTP to it.

use std::time::Duration;

use keyhall_core::comet::actions;
use keyhall_core::credentials::PasswordPolicy;
use keyhall_core::tenancy::companies::NewCompany;
use keyhall_server::app::Running;
use keyhall_server::config::Config;
use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Runs the test body once per store: `both!(name, |srv| async move { … })`.
#[macro_export]
macro_rules! both {
    ($name:ident, $body:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let srv = $crate::harness::TestServer::start($crate::harness::Backend::Sqlite).await;
                ($body)(srv).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            #[ignore = "needs PostgreSQL: set KEYHALL_TEST_DATABASE_URL and pass --include-ignored (bin/test does both)"]
            async fn postgres() {
                let srv = $crate::harness::TestServer::start($crate::harness::Backend::Postgres).await;
                ($body)(srv).await;
            }
        }
    };
}

pub fn pg_url() -> Option<String> {
    std::env::var("KEYHALL_TEST_DATABASE_URL").ok().filter(|u| !u.trim().is_empty())
}

/// A fresh schema of `KEYHALL_TEST_DATABASE_URL` for one test (and the siblings of its
/// server), dropped with everything in it when the last holder lets go.
pub struct PgSchema {
    base: String,
    name: String,
    /// A URL whose connections use the schema.
    pub url: String,
}

impl PgSchema {
    /// Panics when `KEYHALL_TEST_DATABASE_URL` is not set: the tests that call this are
    /// `#[ignore]`d unless it is.
    pub async fn create() -> Self {
        use sqlx::Connection;
        let base = pg_url().expect("KEYHALL_TEST_DATABASE_URL must name the PostgreSQL database for this test");
        let name = format!("kh_test_{}", uuid::Uuid::new_v4().simple());
        let mut conn = sqlx::PgConnection::connect(&base).await.expect("connect to KEYHALL_TEST_DATABASE_URL");
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {name}"))).execute(&mut conn).await.expect("create schema");
        let sep = if base.contains('?') { '&' } else { '?' };
        let url = format!("{base}{sep}options=-c%20search_path%3D{name}");
        Self { base, name, url }
    }
}

impl Drop for PgSchema {
    fn drop(&mut self) {
        // Drop runs inside the test's runtime, which cannot be blocked on: a thread of its
        // own with a small runtime does the work and is waited for.
        let (base, name) = (self.base.clone(), self.name.clone());
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
            runtime.block_on(async move {
                use sqlx::Connection;
                let mut conn = sqlx::PgConnection::connect(&base).await?;
                // The servers using it may still be closing their connections.
                sqlx::raw_sql("SET lock_timeout = '10s'").execute(&mut conn).await?;
                sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP SCHEMA IF EXISTS {name} CASCADE"))).execute(&mut conn).await?;
                Ok::<_, sqlx::Error>(())
            })
        })
        .join();
        if let Ok(Err(e)) = dropped {
            eprintln!("could not drop the test schema {}: {e}", self.name);
        }
    }
}

/// How long hosted instances and CloudView take to provision (and instances to be deleted) on
/// a test server.
pub const PROVISIONING: Duration = Duration::from_secs(2);

pub fn test_config(dir: &std::path::Path, database_url: Option<String>) -> Config {
    let mut config = Config { data_dir: dir.to_path_buf(), database_url, ..Config::default() };
    config.server.listen = "127.0.0.1:0".into();
    config.server.log_level = "warn".into();
    config.server.public_url = "http://localhost:8080".into();
    config.comet.provision_seconds = PROVISIONING.as_secs();
    config.comet.delete_seconds = PROVISIONING.as_secs();
    config
}

pub struct TestServer {
    pub running: Running,
    /// The server's clock: `clock.advance(…)` makes time pass for it at once.
    pub clock: std::sync::Arc<keyhall_server::clock::ShiftedClock>,
    pub client: reqwest::Client,
    pub dir: std::sync::Arc<tempfile::TempDir>,
    pub database_url: Option<String>,
    /// The PostgreSQL schema it uses (kept while any sibling runs).
    schema: Option<std::sync::Arc<PgSchema>>,
    /// Where it sends mail and texts: its siblings send there too, as nodes sharing a
    /// database share one outbox.
    outside: (Option<String>, Option<String>),
}

/// A company made for one test: its id, its owner and the owner's all-actions token.
#[derive(Debug, Clone)]
pub struct Company {
    pub id: String,
    pub user_id: String,
    pub email: String,
    pub token: String,
}

pub const OWNER_PASSWORD: &str = "Owner-Pass1";

pub struct Resp {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|_| panic!("not JSON ({}): {}", self.status, self.text()))
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn content_type(&self) -> String {
        self.headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_string()
    }

    /// `data` of a 200 envelope (asserts the envelope).
    pub fn data(&self) -> Value {
        let j = self.json();
        assert_eq!(self.status, 200, "expected 200, got {}: {}", self.status, self.text());
        assert_eq!(j["status"], "ok", "{j}");
        assert_eq!(j["code"], 200, "{j}");
        j["data"].clone()
    }

    /// The message of an error envelope with the given status (asserts the envelope).
    pub fn error(&self, status: u16) -> String {
        assert_eq!(self.status, status, "expected {status}, got {}: {}", self.status, self.text());
        let j = self.json();
        assert_eq!(j["status"], "error", "{j}");
        assert_eq!(j["code"], status, "{j}");
        j["data"]["message"].as_str().unwrap_or_default().to_string()
    }
}

impl TestServer {
    pub async fn start(backend: Backend) -> Self {
        Self::start_with(backend, |_| {}).await
    }

    /// A server on a fresh store: a temporary SQLite database, or a new schema of
    /// `KEYHALL_TEST_DATABASE_URL` (the PostgreSQL variants are `#[ignore]`d, so that a run
    /// without the variable counts them as not run; run with the variable they fail loudly
    /// when it is missing).
    pub async fn start_with(backend: Backend, adjust: impl FnOnce(&mut Config)) -> Self {
        let schema = match backend {
            Backend::Sqlite => None,
            Backend::Postgres => Some(std::sync::Arc::new(PgSchema::create().await)),
        };
        keyhall_server::telemetry::init_logging(keyhall_server::config::LogFormat::Text, "warn");
        let dir = tempfile::tempdir().expect("temp dir");
        Self::boot(std::sync::Arc::new(dir), schema, (None, None), adjust).await
    }

    async fn boot(
        dir: std::sync::Arc<tempfile::TempDir>,
        schema: Option<std::sync::Arc<PgSchema>>,
        outside: (Option<String>, Option<String>),
        adjust: impl FnOnce(&mut Config),
    ) -> Self {
        let database_url = schema.as_ref().map(|s| s.url.clone());
        let mut config = test_config(dir.path(), database_url.clone());
        (config.server.smtp_url, config.server.sms_webhook_url) = outside;
        adjust(&mut config);
        let outside = (config.server.smtp_url.clone(), config.server.sms_webhook_url.clone());
        let clock = std::sync::Arc::new(keyhall_server::clock::ShiftedClock::new());
        let running = keyhall_server::app::start_with(config, clock.clone()).await.expect("server starts");
        let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
        Self { running, clock, client, dir, database_url, schema, outside }
    }

    /// The first column of every row `sql` selects, read straight from the database (to see
    /// what is stored, below the API).
    pub async fn stored_texts(&self, sql: &str) -> Vec<Option<String>> {
        use sqlx::{Connection, Row};
        let sql = sqlx::AssertSqlSafe(sql.to_string());
        match &self.database_url {
            Some(url) => {
                let mut c = sqlx::PgConnection::connect(url).await.expect("connect");
                sqlx::query(sql).fetch_all(&mut c).await.expect("query").iter().map(|r| r.get(0)).collect()
            }
            None => {
                let path = self.dir.path().join("keyhall.db");
                let mut c = sqlx::SqliteConnection::connect(&format!("sqlite:{}", path.display())).await.expect("connect");
                sqlx::query(sql).fetch_all(&mut c).await.expect("query").iter().map(|r| r.get(0)).collect()
            }
        }
    }

    /// Another server on the same data directory and database (a second node), sending mail
    /// and texts where this one does.
    pub async fn sibling(&self, adjust: impl FnOnce(&mut Config)) -> TestServer {
        Self::boot(self.dir.clone(), self.schema.clone(), self.outside.clone(), adjust).await
    }

    pub fn url(&self, path: &str) -> String {
        self.running.url(path)
    }

    /// Creates a company the way `keyhall company create` does.
    pub async fn company(&self, name: &str) -> Company {
        let email = format!("owner-{}@example.com", uuid::Uuid::new_v4().simple());
        let created = self
            .running
            .core
            .tenancy()
            .create_company(
                NewCompany {
                    name: name.into(),
                    email: email.clone(),
                    password: OWNER_PASSWORD.into(),
                    contact_name: Some("Owner".into()),
                    token_permissions: actions::all(),
                    // Each test's company is a tenant of its own; the default tenant stays
                    // the Barong face's, with its first sign-up as superadmin.
                    claim_default_tenant: false,
                },
                &PasswordPolicy::STANDARD,
            )
            .await
            .expect("company created");
        Company {
            id: created.tenant.id.to_string(),
            user_id: created.owner.id.to_string(),
            email,
            token: created.token_secret.expose().clone(),
        }
    }

    /// POST with `Authorization: Bearer`.
    pub async fn post(&self, path: &str, token: &str, form: &[(&str, &str)]) -> Resp {
        let req = self.client.post(self.url(path)).bearer_auth(token).form(form);
        Self::send(req).await
    }

    /// POST with `auth_type=token` and `token` in the body.
    pub async fn post_body_auth(&self, path: &str, token: &str, form: &[(&str, &str)]) -> Resp {
        let mut all = vec![("auth_type", "token"), ("token", token)];
        all.extend_from_slice(form);
        Self::send(self.client.post(self.url(path)).form(&all)).await
    }

    /// POST a form without credentials.
    pub async fn post_anonymous(&self, path: &str, form: &[(&str, &str)]) -> Resp {
        Self::send(self.client.post(self.url(path)).form(form)).await
    }

    /// Sends only the head of a request announcing a `length`-byte body and returns the raw
    /// answer. The body is never sent, so a server that refuses it from its length alone can
    /// close the connection without the client failing on a half-written upload.
    pub async fn announce_body(&self, method: &str, path: &str, headers: &[(&str, &str)], length: usize) -> String {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let url = reqwest::Url::parse(&self.url("/")).unwrap();
        let mut tcp = tokio::net::TcpStream::connect((url.host_str().unwrap(), url.port().unwrap())).await.unwrap();
        let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {}\r\n", url.authority());
        for (name, value) in headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str(&format!("Content-Length: {length}\r\nConnection: close\r\n\r\n"));
        tcp.write_all(head.as_bytes()).await.unwrap();
        let mut answer = Vec::new();
        tcp.read_to_end(&mut answer).await.unwrap();
        String::from_utf8_lossy(&answer).into_owned()
    }

    pub async fn send(req: reqwest::RequestBuilder) -> Resp {
        let r = req.send().await.expect("request sent");
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        let body = r.bytes().await.expect("body").to_vec();
        Resp { status, headers, body }
    }

    /// Issues a token holding exactly `actions` (through the API, as a client would).
    pub async fn token_with(&self, company: &Company, actions: &[&str]) -> String {
        let form: Vec<(&str, &str)> = actions.iter().map(|a| ("permissions", *a)).collect();
        let r = self.post("/api/v1/token/create_token", &company.token, &form).await;
        r.data()["api_token"].as_str().expect("api_token").to_string()
    }

    /// The tenant the Barong face serves (created on first start).
    pub async fn barong_tenant(&self) -> String {
        let core = &self.running.core;
        core.tenancy().default_tenant(None).await.expect("barong tenant").to_string()
    }

    /// Number of audit records of a company.
    pub async fn audit_count(&self, company: &Company) -> usize {
        let q = keyhall_core::audit::AuditQuery {
            tenant_id: keyhall_types::TenantId::parse(&company.id),
            limit: 100_000,
            ..Default::default()
        };
        self.running.core.audit().log(&q).await.expect("audit log").len()
    }

    /// Everything a company can observe about itself, for "nothing changed" checks.
    pub async fn snapshot(&self, company: &Company) -> Value {
        let t = &company.token;
        let mut out = serde_json::Map::new();
        for path in [
            "/api/v1/license/list_licenses",
            "/api/v1/hosted_comet/list",
            "/api/v1/user/list_company_users",
            "/api/v1/user/account-settings/get",
            "/api/v1/cloudview/status",
        ] {
            out.insert(path.into(), self.post(path, t, &[]).await.data());
        }
        let mut tokens = self.post("/api/v1/token/list_tokens", t, &[]).await.data();
        // last_used_at moves with every request; everything else must not.
        for token in tokens.as_array_mut().into_iter().flatten() {
            token["last_used_at"] = Value::Null;
        }
        out.insert("tokens".into(), tokens);
        let billing = self.post("/api/v1/report/billing_history", t, &[("format", "json")]).await;
        out.insert("billing".into(), billing.json());
        out.insert("audit".into(), Value::from(self.audit_count(company).await));
        Value::Object(out)
    }

    /// Polls `f` until it returns true (for state that changes with time), up to 10 s.
    /// Lets `d` pass for this server at once: its clock moves ahead and the lifecycle
    /// transitions then due are applied, as its background sweep would within a second.
    pub async fn pass_time(&self, d: Duration) {
        self.clock.advance(d);
        let core = &self.running.core;
        core.comet().advance_lifecycles(core.now()).await.expect("lifecycle sweep");
    }

    pub async fn eventually<F, Fut>(&self, what: &str, mut f: F)
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = bool>,
    {
        for _ in 0..100 {
            if f().await {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("timed out waiting for {what}");
    }

    /// Waits until the outbox has delivered everything it holds (delivered messages leave
    /// it), so that counting what arrived counts everything that was sent.
    pub async fn outbox_drained(&self) {
        self.eventually("an empty outbox", || async { self.stored_texts("SELECT id FROM outbox").await.is_empty() }).await;
    }
}
