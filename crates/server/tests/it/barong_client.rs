//! A Barong client for tests: JSON requests, a cookie jar of one session and a device cookie,
//! the CSRF token, and the two ways through authorize (cookie and API-key headers).

use serde_json::{Value, json};

use crate::harness::{Resp, TestServer};

pub const ID: &str = "/api/v2/auth/identity";
pub const RES: &str = "/api/v2/auth/resource";
/// A path members may use, asked of authorize as a gateway would.
pub const PERMITTED: &str = "/api/v2/auth/api/v2/barong/resource/users/me";

#[derive(Clone, Default)]
pub struct Browser {
    /// The session cookie (`name=value`).
    pub cookie: Option<String>,
    /// The device cookie kept from a sign-in.
    pub device: Option<String>,
    pub csrf: Option<String>,
    pub user_agent: String,
    pub forwarded_for: Option<String>,
}

impl Browser {
    pub fn new() -> Self {
        Self { user_agent: "keyhall-tests/1.0".into(), ..Default::default() }
    }

    fn decorate(&self, mut req: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        req = req.header("user-agent", &self.user_agent);
        let cookies: Vec<&str> = [&self.cookie, &self.device].into_iter().flatten().map(String::as_str).collect();
        if !cookies.is_empty() {
            req = req.header("cookie", cookies.join("; "));
        }
        if let Some(ip) = &self.forwarded_for {
            req = req.header("x-forwarded-for", ip);
        }
        req
    }

    /// Sends a request; remembers the session cookie and csrf token it opens.
    pub async fn send(&mut self, srv: &TestServer, method: reqwest::Method, path: &str, body: Option<Value>) -> Resp {
        let mut req = self.decorate(srv.client.request(method, srv.url(path)));
        if let Some(b) = body {
            req = req.json(&b);
        }
        let r = TestServer::send(req).await;
        for set in r.headers.get_all("set-cookie").iter().filter_map(|v| v.to_str().ok()) {
            let pair = set.split(';').next().unwrap_or("").to_string();
            let kept = if pair.ends_with('=') { None } else { Some(pair.clone()) };
            if pair.split('=').next().unwrap_or("").ends_with("keyhall_device") {
                self.device = kept;
            } else {
                self.cookie = kept;
            }
        }
        if let Ok(v) = serde_json::from_slice::<Value>(&r.body)
            && let Some(t) = v.get("csrf_token").and_then(Value::as_str)
        {
            self.csrf = Some(t.to_string());
        }
        r
    }

    pub async fn post(&mut self, srv: &TestServer, path: &str, body: Value) -> Resp {
        self.send(srv, reqwest::Method::POST, path, Some(body)).await
    }

    pub async fn get(&mut self, srv: &TestServer, path: &str) -> Resp {
        self.send(srv, reqwest::Method::GET, path, None).await
    }

    /// Asks authorize about `path` with this browser's cookie (and its csrf token on writes).
    pub async fn authorize(&mut self, srv: &TestServer, method: reqwest::Method, path: &str, with_csrf: bool) -> Resp {
        let mut req = self.decorate(srv.client.request(method, srv.url(path)));
        if with_csrf && let Some(t) = &self.csrf {
            req = req.header("x-csrf-token", t);
        }
        TestServer::send(req).await
    }

    /// The bearer token authorize hands out for this session.
    pub async fn bearer(&mut self, srv: &TestServer) -> String {
        let r = self.authorize(srv, reqwest::Method::GET, PERMITTED, false).await;
        assert_eq!(r.status, 200, "authorize: {}", r.text());
        r.headers["authorization"].to_str().unwrap().to_string()
    }
}

pub fn errors(r: &Resp) -> Vec<String> {
    let v = r.json();
    v["errors"].as_array().unwrap_or_else(|| panic!("no errors in {v}")).iter().map(|e| e.as_str().unwrap().to_string()).collect()
}

pub fn assert_errors(r: &Resp, status: u16, expected: &[&str]) {
    assert_eq!(r.status, status, "{}", r.text());
    assert_eq!(errors(r), expected, "{}", r.text());
}

/// Calls a resource endpoint with a bearer token.
pub async fn resource(srv: &TestServer, bearer: &str, method: reqwest::Method, path: &str, body: Option<Value>) -> Resp {
    let mut req = srv.client.request(method, srv.url(&format!("{RES}{path}"))).header("authorization", bearer);
    if let Some(b) = body {
        req = req.json(&b);
    }
    TestServer::send(req).await
}

pub const STRONG: &str = "eeC2BiCucxWEQ";

/// Signs up `email` (not the first user of the tenant: a pending member) and confirms the
/// address through the mailed token; returns the browser, signed in.
pub async fn active_member(srv: &TestServer, sink: &crate::smtp_sink::SmtpSink, email: &str) -> Browser {
    let mut b = Browser::new();
    let r = b.post(srv, &format!("{ID}/users"), json!({ "email": email, "password": STRONG })).await;
    assert_eq!(r.status, 201, "{}", r.text());
    let mail = sink.wait_for(email, 0).await;
    let token = crate::smtp_sink::token_in(&mail);
    let r = b.post(srv, &format!("{ID}/users/email/confirm_code"), json!({ "token": token })).await;
    assert_eq!(r.status, 201, "{}", r.text());
    assert_eq!(r.json()["state"], "active");
    b
}

/// A server whose Barong face mails and texts through a sink, with the first-user-superadmin
/// seat taken.
pub async fn barong_server(backend: crate::harness::Backend) -> (TestServer, crate::smtp_sink::SmtpSink) {
    let sink = crate::smtp_sink::SmtpSink::start().await;
    let (url, texts_url) = (sink.url(), sink.texts_url.clone());
    let srv = TestServer::start_with(backend, move |c| {
        c.server.smtp_url = Some(url);
        c.server.sms_webhook_url = Some(texts_url);
        c.server.trust_forwarded_for = true;
        c.barong.storage_titles = Some("personal,company,user".into());
    })
    .await;
    let mut admin = Browser::new();
    let r = admin.post(&srv, &format!("{ID}/users"), json!({ "email": "root@example.com", "password": STRONG })).await;
    assert_eq!(r.status, 201, "{}", r.text());
    assert_eq!(r.json()["role"], "superadmin");
    (srv, sink)
}
