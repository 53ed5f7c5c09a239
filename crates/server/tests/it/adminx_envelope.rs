//! The 1Kosmos envelope as vendor clients speak it: the server key, `requestid` checks
//! (missing, undecryptable, out of its window, replayed, also across nodes), encrypted and
//! plain bodies, and the public endpoints.

use reqwest::Method;
use serde_json::{Value, json};

use crate::adminx_client::{Vendor, community, error};
use crate::harness::{Backend, TestServer};

crate::both!(public_endpoints_name_the_key_the_curve_and_the_window, |srv: TestServer| async move {
    let get = |path: &str| TestServer::send(srv.client.get(srv.url(path)));
    let key = get("/adminapi/publickeys").await.json()["publicKey"].as_str().unwrap().to_string();
    assert_eq!(base64::Engine::decode(&base64::engine::general_purpose::STANDARD, &key).unwrap().len(), 64, "X||Y");
    for path in ["/adminapi/healthz", "/adminapi/platform_health"] {
        let h = get(path).await.json();
        assert_eq!(
            (h["status"].as_str(), h["code"].as_i64(), h["publicKey"].as_str()),
            (Some("ok"), Some(200), Some(key.as_str()))
        );
        assert!(h["version"].as_str().unwrap().starts_with(env!("CARGO_PKG_VERSION")));
    }
    let env = get("/adminapi/environment").await.json();
    assert_eq!((env["allowed_time_span"].as_i64(), env["EC_CURVE_NAME"].as_str()), (Some(60), Some("secp256k1")));
    let sd = get("/adminapi/sd").await.json();
    assert!(sd["adminconsole"].as_str().unwrap().ends_with("/adminapi"), "{sd}");
    let r = get("/adminapi/no/such/thing").await;
    assert_eq!(error(&r, 404), "Route not found");
});

#[tokio::test]
async fn the_curve_is_chosen_by_configuration() {
    let srv = TestServer::start_with(Backend::Sqlite, |c| c.adminx.curve = "prime256v1".into()).await;
    let env = TestServer::send(srv.client.get(srv.url("/adminapi/environment"))).await.json();
    assert_eq!(env["EC_CURVE_NAME"], "prime256v1");
    let key =
        TestServer::send(srv.client.get(srv.url("/adminapi/publickeys"))).await.json()["publicKey"].as_str().unwrap().to_string();
    let client = keyhall_crypto::envelope::EnvelopeKey::generate(keyhall_crypto::envelope::Curve::P256);
    assert!(client.shared_key(&key).is_ok(), "a P-256 key");
}

crate::both!(the_ecdsa_helper_encrypts_and_decrypts_as_the_sdks_do, |srv: TestServer| async move {
    use keyhall_crypto::envelope::{Curve, EnvelopeKey};
    let (a, b) = (EnvelopeKey::generate(Curve::Secp256k1), EnvelopeKey::generate(Curve::Secp256k1));
    let helper = |method: &str, body: Value| {
        TestServer::send(srv.client.post(srv.url(&format!("/adminapi/ecdsa_helper/{method}"))).json(&body))
    };
    let r =
        helper("encrypt", json!({ "dataStr": "hello", "publicKey": b.public_base64(), "privateKey": a.private_base64() })).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let wire = r.json()["data"].as_str().unwrap().to_string();
    assert_eq!(b.shared_key(&a.public_base64()).unwrap().decrypt(&wire).unwrap(), b"hello");
    let r = helper("decrypt", json!({ "dataStr": wire, "publicKey": a.public_base64(), "privateKey": b.private_base64() })).await;
    assert_eq!(r.json()["data"], "hello");
    let r = helper("encrypt", json!({ "dataStr": "x", "publicKey": "not a key", "privateKey": a.private_base64() })).await;
    assert!(error(&r, 400).contains("publicKey"));
    let r = helper("encrypt", json!({ "publicKey": b.public_base64(), "privateKey": a.private_base64() })).await;
    assert_eq!(error(&r, 400), "\"dataStr\" is required");
    let r = helper("sign", json!({ "dataStr": "x", "publicKey": b.public_base64(), "privateKey": a.private_base64() })).await;
    error(&r, 400);
});

crate::both!(a_requestid_must_decrypt_be_recent_and_be_used_once, |srv: TestServer| async move {
    let c = community(&srv, "envelope.example.com").await;
    let v = &c.admin;
    let body = json!({ "token": v.jwt.clone().unwrap() });
    let send = |headers: Vec<(&'static str, String)>| {
        let mut req = srv.client.post(srv.url("/adminapi/jwt/verifyToken"));
        for (k, val) in headers {
            req = req.header(k, val);
        }
        TestServer::send(req.json(&json!({ "data": v.shared.encrypt(body.to_string().as_bytes()) })))
    };
    let now = Vendor::now(&srv);
    // The happy path: the token's claims come back encrypted.
    let id = v.request_id(now, "11111111-1111-4111-8111-111111111111");
    let r = send(vec![("publickey", v.public.clone()), ("requestid", id.clone())]).await;
    assert_eq!(v.open(&r)["uid"], c.admin_uid);
    // The same requestid again: a replay.
    let r = send(vec![("publickey", v.public.clone()), ("requestid", id.clone())]).await;
    assert!(error(&r, 401).contains("Duplicate"));
    // Another node sharing the store refuses it too (PostgreSQL records the uuids it saw).
    if srv.database_url.is_some() {
        let node = srv.sibling(|_| {}).await;
        let again = v.request_id(now, "11111111-1111-4111-8111-111111111111");
        let r = TestServer::send(
            node.client
                .post(node.url("/adminapi/jwt/verifyToken"))
                .header("publickey", v.public.clone())
                .header("requestid", again)
                .json(&json!({ "data": v.shared.encrypt(body.to_string().as_bytes()) })),
        )
        .await;
        assert!(error(&r, 401).contains("Duplicate"), "replayed on another node");
    }
    for (headers, what) in [
        (vec![("publickey", v.public.clone())], "requestid header is required"),
        (vec![("requestid", v.request_id(now, "a"))], "publickey header is required"),
        (vec![("publickey", v.public.clone()), ("requestid", "bm90IGVuY3J5cHRlZA==".into())], "Invalid requestid"),
        (vec![("publickey", "AAAA".into()), ("requestid", v.request_id(now, "b"))], "Invalid publickey"),
        (vec![("publickey", v.public.clone()), ("requestid", v.request_id(now - 90, "c"))], "Request expired"),
        (vec![("publickey", v.public.clone()), ("requestid", v.request_id(now + 90, "d"))], "Request expired"),
        (vec![("publickey", v.public.clone()), ("requestid", v.shared.encrypt(br#"{"ts":1}"#))], "Invalid requestid"),
    ] {
        let r = send(headers).await;
        assert!(error(&r, 401).starts_with(what), "{what}: {}", r.text());
    }
    // Another client's key cannot make a requestid for this one's.
    let other = Vendor::new(&srv).await;
    let r = send(vec![("publickey", v.public.clone()), ("requestid", other.request_id(now, "e"))]).await;
    assert_eq!(error(&r, 401), "Invalid requestid");
});

crate::both!(bodies_are_encrypted_unless_the_operator_allows_plain_json, |srv: TestServer| async move {
    let c = community(&srv, "bodies.example.com").await;
    let v = &c.admin;
    let plain = v.request(&srv, Method::POST, "/jwt/verifyToken", None).json(&json!({ "token": v.jwt }));
    let r = TestServer::send(plain).await;
    assert!(error(&r, 400).contains("data"), "plain JSON is refused by default");
    let garbled = v.request(&srv, Method::POST, "/jwt/verifyToken", None).json(&json!({ "data": "AAAA" }));
    assert_eq!(error(&TestServer::send(garbled).await, 400), "data could not be decrypted");
    let node = srv.sibling(|c| c.adminx.plaintext = true).await;
    let plain = v.request(&node, Method::POST, "/jwt/verifyToken", None).json(&json!({ "token": v.jwt }));
    let r = TestServer::send(plain).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["uid"], c.admin_uid, "a plain answer to a plain request");
});
