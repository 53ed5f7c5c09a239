//! keyhall behind a real nginx, configured exactly as the README shows (the configuration is
//! read from the README): anonymous requests refused, cookie and API-key requests forwarded
//! with a JWT the service behind verifies, CSRF and method rules judged on the original
//! request, `..` tricks refused. nginx comes from Debian's package (`bin/test` installs it).

use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};

use reqwest::Method;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::barong;
use crate::barong_authorize::{enable_otp, fresh_nonce, signed_headers, totp};
use crate::barong_client::*;
use crate::harness::{Resp, TestServer};
use crate::smtp_sink::SmtpSink;

/// A request the service behind nginx received.
#[derive(Debug, Clone)]
struct Forwarded {
    method: String,
    uri: String,
    authorization: Option<String>,
}

/// The service behind the gateway: records what reaches it and answers 200.
async fn start_app() -> (SocketAddr, Arc<Mutex<Vec<Forwarded>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let app = axum::Router::new().fallback(move |req: axum::extract::Request| {
        let log = log.clone();
        async move {
            let authorization = req.headers().get("authorization").and_then(|v| v.to_str().ok()).map(str::to_string);
            log.lock().unwrap().push(Forwarded { method: req.method().to_string(), uri: req.uri().to_string(), authorization });
            "served by the app"
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (addr, seen)
}

/// The README's nginx configuration (the ```nginx block of "Behind a gateway").
fn readme_configuration() -> String {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md")).unwrap();
    let start = readme.find("```nginx\n").expect("an nginx block in the README") + "```nginx\n".len();
    readme[start..][..readme[start..].find("```").unwrap()].to_string()
}

struct Nginx {
    child: Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Nginx {
    /// Runs nginx on a free loopback port with the README's configuration, its upstreams
    /// pointed at `keyhall` and `app`.
    async fn start(keyhall: SocketAddr, app: SocketAddr) -> Nginx {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let server = readme_configuration()
            .replace("server 127.0.0.1:8080;", &format!("server {keyhall};"))
            .replace("server 127.0.0.1:3000;", &format!("server {app};"))
            .replace("listen 80;", &format!("listen 127.0.0.1:{port};"));
        assert!(server.contains(&format!("listen 127.0.0.1:{port};")) && server.contains(&keyhall.to_string()));
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().display();
        let conf = format!(
            "pid {d}/nginx.pid;\nerror_log {d}/error.log warn;\nevents {{}}\nhttp {{\n\
             access_log off;\nclient_body_temp_path {d}/body;\nproxy_temp_path {d}/proxy;\n\
             fastcgi_temp_path {d}/fastcgi;\nuwsgi_temp_path {d}/uwsgi;\nscgi_temp_path {d}/scgi;\n{server}\n}}\n"
        );
        std::fs::write(dir.path().join("nginx.conf"), conf).unwrap();
        let nginx = ["/usr/sbin/nginx", "/usr/bin/nginx"]
            .into_iter()
            .find(|p| std::path::Path::new(p).exists())
            .expect("nginx is not installed (Debian's nginx package; bin/test installs it): the gateway test needs a real nginx");
        let mut child = Command::new(nginx)
            .args(["-p", &d.to_string(), "-e", &format!("{d}/error.log"), "-c", &format!("{d}/nginx.conf")])
            .args(["-g", "daemon off; master_process off;"])
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
                return Nginx { child, port, _dir: dir };
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        let _ = child.kill();
        let _ = child.wait();
        panic!("nginx did not start: {}", std::fs::read_to_string(dir.path().join("error.log")).unwrap_or_default());
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// Sends a request line exactly as written (HTTP clients would resolve `..` first).
    async fn raw(&self, method: &str, target: &str, cookie: Option<&str>) -> u16 {
        let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", self.port)).await.unwrap();
        let cookie = cookie.map(|c| format!("Cookie: {c}\r\n")).unwrap_or_default();
        let request = format!(
            "{method} {target} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nUser-Agent: keyhall-tests/1.0\r\n{cookie}Connection: close\r\n\r\n",
            self.port
        );
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).await.unwrap();
        answer.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or_else(|| panic!("no status in {answer:?}"))
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A browser talking to nginx: its session cookie and csrf token.
struct Visitor<'a> {
    nginx: &'a Nginx,
    client: reqwest::Client,
    cookie: Option<String>,
    csrf: Option<String>,
}

impl Visitor<'_> {
    async fn send(&self, method: Method, path: &str, body: Option<Value>, csrf: bool) -> Resp {
        let mut req = self.client.request(method, self.nginx.url(path)).header("user-agent", "keyhall-tests/1.0");
        if let Some(c) = &self.cookie {
            req = req.header("cookie", c);
        }
        if csrf && let Some(t) = &self.csrf {
            req = req.header("x-csrf-token", t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        TestServer::send(req).await
    }
}

/// The JWT the service received, verified with the keys keyhall publishes (through nginx).
async fn verified_claims(nginx: &Nginx, client: &reqwest::Client, forwarded: &Forwarded) -> Value {
    let bearer = forwarded.authorization.as_deref().expect("a JWT for the service");
    let keys: Value = client.get(nginx.url("/api/v2/barong/identity/jwks.json")).send().await.unwrap().json().await.unwrap();
    keyhall_crypto::jwt::JwkSet::from_json(&keys).verify(bearer.strip_prefix("Bearer ").unwrap()).expect("a valid signature")
}

barong!(a_real_nginx_in_front_of_keyhall, |srv: TestServer, sink: SmtpSink| async move {
    let (app_addr, seen) = start_app().await;
    let keyhall: SocketAddr = srv.url("").trim_start_matches("http://").trim_end_matches('/').parse().unwrap();
    let nginx = Nginx::start(keyhall, app_addr).await;
    let last = || seen.lock().unwrap().last().cloned();
    let count = || seen.lock().unwrap().len();
    let client = reqwest::Client::new();
    let mut visitor = Visitor { nginx: &nginx, client: client.clone(), cookie: None, csrf: None };

    // Anonymous: public paths reach the service without a token, the rest are refused.
    let r = visitor.send(Method::GET, "/api/v2/peatio/public/markets", None, false).await;
    assert_eq!((r.status, r.text().as_str()), (200, "served by the app"));
    assert_eq!(last().unwrap().authorization, None);
    let before = count();
    assert_eq!(visitor.send(Method::GET, "/api/v2/peatio/account/balances", None, false).await.status, 401);
    // A token the client brings itself proves nothing and is not passed on.
    let forged = client.get(nginx.url("/api/v2/peatio/account/balances")).bearer_auth("forged").send().await.unwrap();
    assert_eq!(forged.status(), 401);
    assert_eq!(count(), before, "nothing refused reached the service");

    // Signing in through the gateway (keyhall's own API under /api/v2/barong).
    active_member(&srv, &sink, "gate@example.com").await;
    let r = visitor
        .send(
            Method::POST,
            "/api/v2/barong/identity/sessions",
            Some(json!({ "email": "gate@example.com", "password": STRONG })),
            false,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    visitor.cookie = r.headers.get("set-cookie").map(|v| v.to_str().unwrap().split(';').next().unwrap().to_string());
    visitor.csrf = r.json()["csrf_token"].as_str().map(str::to_string);
    let uid = r.json()["uid"].as_str().unwrap().to_string();

    // A cookie request reaches the service with a JWT it can verify.
    let r = visitor.send(Method::GET, "/api/v2/peatio/account/balances", None, false).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let forwarded = last().unwrap();
    assert_eq!((forwarded.method.as_str(), forwarded.uri.as_str()), ("GET", "/api/v2/peatio/account/balances"));
    let claims = verified_claims(&nginx, &client, &forwarded).await;
    assert_eq!((claims["uid"].as_str(), claims["email"].as_str()), (Some(uid.as_str()), Some("gate@example.com")));
    // keyhall's resource API behind the gateway takes the same JWT.
    let r = visitor.send(Method::GET, "/api/v2/barong/resource/users/me", None, false).await;
    assert_eq!((r.status, r.json()["uid"].as_str()), (200, Some(uid.as_str())), "{}", r.text());

    // Writes are judged as writes although nginx asks with a GET: the CSRF token is needed.
    let before = count();
    assert_eq!(visitor.send(Method::POST, "/api/v2/peatio/account/withdraws", Some(json!({})), false).await.status, 401);
    assert_eq!(count(), before);
    let r = visitor.send(Method::POST, "/api/v2/peatio/account/withdraws", Some(json!({})), true).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(last().unwrap().method, "POST");
    // Method rules too: members may only read api/v2/ranger.
    assert_eq!(visitor.send(Method::GET, "/api/v2/ranger/streams", None, false).await.status, 200);
    let before = count();
    assert_eq!(visitor.send(Method::DELETE, "/api/v2/ranger/streams", None, true).await.status, 401);
    assert_eq!(count(), before);

    // `..` in any spelling is resolved before the rules: no way around them.
    let before = count();
    let cookie = visitor.cookie.as_deref();
    for (target, cookie) in [
        ("/api/v2/peatio/account/../admin/members", cookie),
        ("/api/v2/peatio/account/%2e%2e/admin/members", cookie),
        ("/api/v2/peatio/account/%2E%2E%2Fadmin/members", cookie),
        ("/api/v2/peatio/public/../management/x", None),
        ("/api/v2/peatio/public/%2e%2e/management/x", None),
        ("/api/v2/peatio/public/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/x", None),
    ] {
        let status = nginx.raw("GET", target, cookie).await;
        assert!(status == 400 || status == 401 || status == 403, "{target}: {status}");
    }
    assert_eq!(count(), before, "none of them reached the service");

    // API-key requests: signed headers earn a JWT; a replay is refused.
    let bearer = {
        let mut b = Browser::new();
        let r = b.post(&srv, &format!("{ID}/sessions"), json!({ "email": "gate@example.com", "password": STRONG })).await;
        assert_eq!(r.status, 200);
        b.bearer(&srv).await
    };
    let otp = enable_otp(&srv, &bearer).await;
    let r = resource(&srv, &bearer, Method::POST, "/api_keys", Some(json!({ "algorithm": "HS256", "totp_code": totp(&otp, 1) })))
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
    let (kid, secret) = (r.json()["kid"].as_str().unwrap().to_string(), r.json()["secret"].as_str().unwrap().to_string());
    let nonce = fresh_nonce();
    let signed = || signed_headers(client.post(nginx.url("/api/v2/peatio/market/orders")), &kid, &secret, &nonce);
    let r = signed().send().await.unwrap();
    assert_eq!(r.status(), 200);
    let forwarded = last().unwrap();
    assert_eq!(forwarded.method, "POST");
    assert_eq!(verified_claims(&nginx, &client, &forwarded).await["uid"].as_str(), Some(uid.as_str()));
    let before = count();
    assert_eq!(signed().send().await.unwrap().status(), 401);
    assert_eq!(count(), before);
});
