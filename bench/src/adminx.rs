//! The 1Kosmos face under load: the envelope and JWT alone (`GET /adminapi/users/user/ip`),
//! a login settings document (`GET …/config/authentication/mfa_settings`), and an encrypted, JWT-authenticated `POST /adminapi/users/fetch`
//! (a page of 20 of 200 users), (a) with one client key reused, as an SDK keeps its key pair,
//! and (b) with a fresh client key per request (an ECDH on each side every time; the load
//! generator's key pair and ECDH share the machine's CPUs with the server); then 100,000
//! client events stored (`PUT /adminapi/reports/event`) and a Reports page of 50 of them
//! (`POST /adminapi/reports/events`).

use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, bail};
use keyhall_crypto::envelope::{Curve, EnvelopeKey, SharedKey};
use serde_json::{Value, json};

use crate::http::Connection;
use crate::{MakeReq, Options, Req, drive, drive_interleaved, print_table};

const USERNAME: &str = "bench-admin";
const PASSWORD: &str = "Load-Test-Pass-1";
const USERS: usize = 200;
/// How many client events the reports bench stores before reading pages of them.
const REPORT_EVENTS: usize = 100_000;

/// A client of the envelope: its public key and the key it shares with the server.
struct Client {
    public: String,
    shared: SharedKey,
}

impl Client {
    fn new(server: &str) -> anyhow::Result<Self> {
        let key = EnvelopeKey::generate(Curve::Secp256k1);
        let shared = key.shared_key(server).map_err(|e| anyhow::anyhow!("server key: {e}"))?;
        Ok(Self { public: key.public_base64(), shared })
    }

    /// Headers and body of one call (a fresh requestid each time).
    fn sealed(&self, jwt: Option<&str>, body: &Value) -> (Vec<(&'static str, String)>, String) {
        (self.headers(jwt.map(|jwt| format!("Bearer {jwt}")).as_deref()), self.body(body))
    }

    /// The headers of one call: the client's key, a fresh requestid, `authorization` if given.
    fn headers(&self, authorization: Option<&str>) -> Vec<(&'static str, String)> {
        let request_id = format!(
            r#"{{"ts":{},"appid":"keyhall-bench","uuid":"{}"}}"#,
            time::OffsetDateTime::now_utc().unix_timestamp(),
            keyhall_crypto::random::alphanumeric(32)
        );
        let mut headers = Vec::with_capacity(3);
        headers.push(("publickey", self.public.clone()));
        headers.push(("requestid", self.shared.encrypt(request_id.as_bytes())));
        if let Some(authorization) = authorization {
            headers.push(("authorization", authorization.to_string()));
        }
        headers
    }

    /// A body sealed for the server.
    fn body(&self, body: &Value) -> String {
        json!({ "data": self.shared.encrypt(body.to_string().as_bytes()) }).to_string()
    }
}

async fn call(
    conn: &mut Connection,
    client: &Client,
    method: &str,
    path: &str,
    jwt: Option<&str>,
    body: &Value,
) -> anyhow::Result<Value> {
    let (headers, body) = client.sealed(jwt, body);
    let r = conn.send(method, &format!("/adminapi{path}"), &headers, Some("application/json"), &body).await?;
    if r.status != 200 {
        bail!("{path}: {} {}", r.status, String::from_utf8_lossy(&r.body));
    }
    Ok(serde_json::from_slice(&r.body)?)
}

/// `keyhall adminx init` on the server's data, then the administrator signed in and 200 users.
async fn setup(addr: &str, bin: &Path, data_dir: &Path, o: &Options) -> anyhow::Result<(String, Value)> {
    let mut cmd = std::process::Command::new(bin);
    cmd.arg("--data-dir").arg(data_dir);
    if let Some(url) = &o.database_url {
        cmd.args(["--database-url", url]);
    }
    let out = cmd
        .args(["adminx", "init", "--dns", "bench.example.com", "--community", "bench", "--username", USERNAME])
        .args(["--email", "admin@bench.example.com", "--password", PASSWORD, "--json"])
        .output()?;
    if !out.status.success() {
        bail!("adminx init failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    let made: Value = serde_json::from_slice(&out.stdout)?;
    let server = made["public_key"].as_str().context("public_key")?.to_string();
    let ids = json!({ "tenantId": made["tenant_id"], "communityId": made["community_id"] });
    let client = Client::new(&server)?;
    let mut conn = Connection::open(addr).await?;
    let mut body = ids.clone();
    body["username"] = json!(USERNAME);
    body["password"] = json!(PASSWORD);
    let signed_in = call(&mut conn, &client, "POST", "/verifyuser", None, &body).await?;
    let jwt = signed_in["jwt_token"].as_str().context("jwt_token")?.to_string();
    for i in 0..USERS {
        let user = json!({ "moduleId": made["module_id"], "username": format!("user{i:03}"), "status": "active", "role": "basic",
            "firstname": "Bench", "lastname": format!("User {i}"), "email1": format!("user{i:03}@bench.example.com") });
        let (headers, body) = client.sealed(Some(&jwt), &user);
        let r = conn.send("PUT", "/adminapi/users/create", &headers, Some("application/json"), &body).await?;
        if r.status != 200 {
            bail!("users/create {i}: {} {}", r.status, String::from_utf8_lossy(&r.body));
        }
    }
    let mut page = ids.clone();
    page["moduleId"] = made["module_id"].clone();
    page["pSize"] = json!(20);
    page["pIndex"] = json!(3);
    Ok((jwt, json!({ "server": server, "page": page, "ids": ids })))
}

pub async fn run(addr: &str, bin: &Path, data_dir: &Path, o: &Options, healthz: MakeReq) -> anyhow::Result<()> {
    let (jwt, setup) = setup(addr, bin, data_dir, o).await?;
    let server = setup["server"].as_str().unwrap_or_default().to_string();
    let page = setup["page"].clone();
    // With one client key, the same query is sent sealed once (as a client repeating a call
    // may): the load generator's CPU is the server's too, and the server opens it every time.
    let fetch = |client: Option<Arc<Client>>| -> MakeReq {
        let (jwt, page, server) = (jwt.clone(), page.clone(), server.clone());
        let sealed_page = client.as_ref().map(|c| c.body(&page));
        let authorization = format!("Bearer {jwt}");
        Arc::new(move || {
            let (headers, body) = match (&client, &sealed_page) {
                (Some(c), Some(body)) => (c.headers(Some(&authorization)), body.clone()),
                _ => Client::new(&server).expect("server key").sealed(Some(&jwt), &page),
            };
            Req {
                method: "POST",
                path: "/adminapi/users/fetch".into(),
                headers,
                content_type: Some("application/json"),
                body,
                expect: 200,
            }
        })
    };
    // A GET through the envelope with the JWT, its answer encrypted: the envelope and JWT
    // alone (`users/user/ip`, a few bytes back), and a login settings document.
    let get = |path: &'static str| -> anyhow::Result<MakeReq> {
        let (authorization, client) = (format!("Bearer {jwt}"), Arc::new(Client::new(&server)?));
        Ok(Arc::new(move || {
            let headers = client.headers(Some(&authorization));
            Req { method: "GET", path: path.into(), headers, content_type: None, body: String::new(), expect: 200 }
        }))
    };
    // Client events stored (`PUT /reports/event`, no JWT), then a page of 50 of them.
    let ids = setup["ids"].clone();
    let store_event: MakeReq = {
        let client = Arc::new(Client::new(&server)?);
        let mut event = ids.clone();
        event["eventData"] = json!({ "type": "event", "eventName": "E_LOGIN_VISITED", "event_id": "bench",
            "caller_user_agent": "keyhall-bench", "version": "1", "user_id": "user007" });
        event["serverEventData"] = json!({ "caller_ip": true, "event_ts": true });
        Arc::new(move || {
            let (headers, body) = client.sealed(None, &event);
            Req {
                method: "PUT",
                path: "/adminapi/reports/event".into(),
                headers,
                content_type: Some("application/json"),
                body,
                expect: 200,
            }
        })
    };
    let events_page: MakeReq = {
        let (jwt, client) = (jwt.clone(), Arc::new(Client::new(&server)?));
        let mut query = ids.clone();
        query["pSize"] = json!(50);
        Arc::new(move || {
            let (headers, body) = client.sealed(Some(&jwt), &query);
            Req {
                method: "POST",
                path: "/adminapi/reports/events".into(),
                headers,
                content_type: Some("application/json"),
                body,
                expect: 200,
            }
        })
    };
    let envelope_only = get("/adminapi/users/user/ip")?;
    let login_settings = get("/adminapi/config/authentication/mfa_settings")?;
    let reused = fetch(Some(Arc::new(Client::new(&server)?)));
    let fresh = fetch(None);
    drive(addr, "warm-up", reused.clone(), o.connections, 2_000).await?;
    // The steady reads take turns in five rounds (see `drive_interleaved`); the event store
    // and the reports page after it run once each, in order (the page reads what was stored).
    let steady: Vec<(&str, MakeReq, usize)> = vec![
        ("GET /healthz (baseline)", healthz, o.requests),
        ("users/user/ip (envelope + JWT, a few bytes back)", envelope_only, o.requests),
        ("GET config/authentication/mfa_settings (login settings)", login_settings, o.requests),
        ("users/fetch, page of 20, one client key reused", reused, o.requests),
        ("users/fetch, page of 20, a fresh client key each (ECDH each)", fresh, o.requests / 2),
    ];
    if let Some(wanted) = &o.steady {
        let chosen: Vec<_> = steady.into_iter().filter(|s| wanted.split(',').any(|w| s.0.contains(w))).collect();
        if chosen.is_empty() {
            bail!("--steady {wanted}: no steady read is named so");
        }
        let results = drive_interleaved(addr, &chosen, o.connections, 5).await?;
        print_table(
            "1Kosmos Admin API (encrypted envelope, JWT), the chosen steady reads; ratios to the first",
            &results,
            results[0].rate(),
        );
        return Ok(());
    }
    let mut results = drive_interleaved(addr, &steady, o.connections, 5).await?;
    results.push(
        drive(addr, "PUT reports/event (stores the 100,000 events read next)", store_event, o.connections, REPORT_EVENTS).await?,
    );
    results.push(drive(addr, "reports/events, page of 50 of 100,000+ events", events_page, o.connections, o.requests).await?);
    print_table("1Kosmos Admin API (encrypted envelope, JWT)", &results, results[0].rate());
    Ok(())
}
