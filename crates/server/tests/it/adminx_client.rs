//! A 1Kosmos client for tests, doing what the vendor's helper SDKs do: its own EC key pair,
//! the server key from `/publickeys`, the shared key by ECDH, `requestid` and bodies
//! encrypted under it, answers `{data, publicKey}` decrypted with it.

use keyhall_core::adminx::init::InitInput;
use keyhall_crypto::envelope::{Curve, EnvelopeKey, SharedKey};
use serde_json::{Value, json};

use crate::harness::{Resp, TestServer};

pub const ADMIN: &str = "admin";
pub const ADMIN_PASSWORD: &str = "Strong-Pass-1";

pub struct Vendor {
    pub key: EnvelopeKey,
    pub shared: SharedKey,
    pub public: String,
    server: String,
    /// Sent as `authorization: Bearer` when set.
    pub jwt: Option<String>,
    /// Sent encrypted as `licensekey` when set.
    pub license: Option<String>,
}

/// A community made for a test, with its administrator signed in.
pub struct Community {
    pub dns: String,
    pub tenant_id: String,
    pub community_id: String,
    pub module_id: String,
    pub admin_uid: String,
    pub license_key: String,
    pub admin: Vendor,
}

impl Community {
    pub fn ids(&self) -> Value {
        json!({ "tenantId": self.tenant_id, "communityId": self.community_id })
    }

    /// `ids` plus `more`.
    pub fn with(&self, more: Value) -> Value {
        let mut body = self.ids();
        for (k, v) in more.as_object().expect("an object") {
            body[k] = v.clone();
        }
        body
    }
}

impl Vendor {
    pub async fn new(srv: &TestServer) -> Self {
        let r = TestServer::send(srv.client.get(srv.url("/adminapi/publickeys"))).await;
        assert_eq!(r.status, 200, "{}", r.text());
        let server = r.json()["publicKey"].as_str().expect("publicKey").to_string();
        let key = EnvelopeKey::generate(Curve::Secp256k1);
        let shared = key.shared_key(&server).expect("the server key is a secp256k1 key");
        let public = key.public_base64();
        Self { key, shared, public, server, jwt: None, license: None }
    }

    /// The server's public key, as this client fetched it.
    pub fn open_key(&self) -> String {
        self.server.clone()
    }

    pub fn request_id(&self, ts: i64, uuid: &str) -> String {
        let body = json!({ "ts": ts, "appid": "com.keyhall.tests", "uuid": uuid });
        self.shared.encrypt(body.to_string().as_bytes())
    }

    pub fn now(srv: &TestServer) -> i64 {
        srv.running.core.now().unix_timestamp()
    }

    /// A request with fresh envelope headers and (if any) an encrypted body.
    pub fn request(
        &self,
        srv: &TestServer,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
    ) -> reqwest::RequestBuilder {
        let uuid = uuid::Uuid::new_v4().to_string();
        let mut req = srv
            .client
            .request(method, srv.url(&format!("/adminapi{path}")))
            .header("publickey", &self.public)
            .header("requestid", self.request_id(Self::now(srv), &uuid));
        if let Some(jwt) = &self.jwt {
            req = req.header("authorization", format!("Bearer {jwt}"));
        }
        if let Some(license) = &self.license {
            req = req.header("licensekey", self.shared.encrypt(license.as_bytes()));
        }
        if let Some(b) = body {
            req = req.json(&json!({ "data": self.shared.encrypt(b.to_string().as_bytes()) }));
        }
        req
    }

    pub async fn call(&self, srv: &TestServer, method: reqwest::Method, path: &str, body: Option<Value>) -> Resp {
        TestServer::send(self.request(srv, method, path, body.as_ref())).await
    }

    pub async fn post(&self, srv: &TestServer, path: &str, body: Value) -> Resp {
        self.call(srv, reqwest::Method::POST, path, Some(body)).await
    }

    /// The decrypted `data` of an encrypted 200 answer (asserts the envelope).
    pub fn open(&self, r: &Resp) -> Value {
        assert_eq!(r.status, 200, "{}", r.text());
        let j = r.json();
        let data = j["data"].as_str().unwrap_or_else(|| panic!("not an encrypted answer: {j}"));
        let server = j["publicKey"].as_str().expect("publicKey beside data");
        let shared = self.key.shared_key(server).expect("publicKey is a key of the curve");
        serde_json::from_slice(&shared.decrypt(data).expect("decrypts")).expect("JSON inside")
    }
}

/// The error body of a refused call (asserts the status and the 1Kosmos shape).
pub fn error(r: &Resp, status: u16) -> String {
    assert_eq!(r.status, status, "expected {status}: {}", r.text());
    let j = r.json();
    assert_eq!(j["statusCode"], status, "{j}");
    assert!(j["error"].is_string(), "{j}");
    j["message"].as_str().expect("message").to_string()
}

/// Makes a community with its administrator and signs the administrator in.
pub async fn community(srv: &TestServer, dns: &str) -> Community {
    let done = srv
        .running
        .core
        .adminx()
        .init(InitInput {
            dns: dns.into(),
            community: "default".into(),
            username: ADMIN.into(),
            email: format!("admin@{dns}"),
            password: ADMIN_PASSWORD.into(),
            tenant: None,
        })
        .await
        .expect("community made");
    let mut admin = Vendor::new(srv).await;
    let (tenant_id, community_id) = (done.tenant.id.to_string(), done.community.id.to_string());
    let r = admin
        .post(
            srv,
            "/verifyuser",
            json!({ "tenantId": tenant_id, "communityId": community_id, "username": ADMIN, "password": ADMIN_PASSWORD }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    admin.jwt = Some(r.json()["jwt_token"].as_str().expect("jwt_token").to_string());
    Community {
        dns: dns.to_string(),
        tenant_id,
        community_id,
        module_id: done.module.id.to_string(),
        admin_uid: done.admin.user.id.to_string(),
        license_key: done.license_key.expose().clone(),
        admin,
    }
}

/// A `basic` user of the community's `db` module, made by its administrator and signed in
/// (password `Ordinary-Pass-4`, e-mail `<username>@<dns>`).
pub async fn basic_user(srv: &TestServer, c: &Community, username: &str) -> Vendor {
    let user = json!({ "moduleId": c.module_id, "username": username, "status": "active", "role": "basic",
        "firstname": "Basic", "lastname": "User", "email1": format!("{username}@{}", c.dns), "password": "Ordinary-Pass-4" });
    let r = c.admin.call(srv, reqwest::Method::PUT, "/users/create", Some(user)).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let mut v = Vendor::new(srv).await;
    let r = v.post(srv, "/verifyuser", c.with(json!({ "username": username, "password": "Ordinary-Pass-4" }))).await;
    v.jwt = Some(r.json()["jwt_token"].as_str().expect("signed in").to_string());
    v
}
