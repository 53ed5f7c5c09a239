//! Regression tests of the security hardening, each named after the weakness it closes.

use reqwest::Method;
use serde_json::json;

use crate::barong;
use crate::barong_authorize::{decode_claims, enable_otp, totp};
use crate::barong_client::*;
use crate::harness::{Resp, TestServer};
use crate::smtp_sink::SmtpSink;

/// A code that is not the current one (nor, with high likelihood, a neighbour).
fn wrong_code(secret: &str) -> &'static str {
    if (-1..=1).any(|o| totp(secret, o) == "000000") { "111111" } else { "000000" }
}

/// Refused like a locked sign-in: 429 `identity.session.too_many_attempts` with Retry-After.
fn assert_locked(r: &Resp) {
    assert_errors(r, 429, &["identity.session.too_many_attempts"]);
    let wait: i64 = r.headers.get("retry-after").and_then(|v| v.to_str().ok()).and_then(|v| v.parse().ok()).unwrap();
    assert!(wait > 0, "{wait}");
}

// A stolen session must not guess the second factor or the password without limit.
barong!(second_factor_and_password_checks_are_counted_and_locked, |srv: TestServer, sink: SmtpSink| async move {
    // TOTP codes through otp/verify: five wrong ones, then even the right one is refused.
    let mut b = active_member(&srv, &sink, "guess-otp@example.com").await;
    let bearer = b.bearer(&srv).await;
    let secret = enable_otp(&srv, &bearer).await;
    let verify = |code: String| {
        let bearer = bearer.clone();
        let srv = &srv;
        async move { resource(srv, &bearer, Method::POST, "/otp/verify", Some(json!({ "code": code }))).await }
    };
    for _ in 0..5 {
        assert_errors(&verify(wrong_code(&secret).into()).await, 422, &["resource.otp.invalid"]);
    }
    assert_locked(&verify(totp(&secret, 1)).await);
    // The account's lock is the sign-in lock: the password alone no longer opens a session.
    let login = json!({ "email": "guess-otp@example.com", "password": STRONG, "otp_code": totp(&secret, 1) });
    assert_locked(&Browser::new().post(&srv, &format!("{ID}/sessions"), login).await);

    // API keys ask for the TOTP code: counted the same way.
    let mut k = active_member(&srv, &sink, "guess-keys@example.com").await;
    let bearer = k.bearer(&srv).await;
    let secret = enable_otp(&srv, &bearer).await;
    let create = |code: &str| json!({ "algorithm": "HS256", "totp_code": code });
    for _ in 0..5 {
        let r = resource(&srv, &bearer, Method::POST, "/api_keys", Some(create(wrong_code(&secret)))).await;
        assert_errors(&r, 422, &["resource.api_key.invalid_totp"]);
    }
    assert_locked(&resource(&srv, &bearer, Method::POST, "/api_keys", Some(create(&totp(&secret, 0)))).await);

    // Re-entered passwords: closing the account and changing the password.
    let mut p = active_member(&srv, &sink, "guess-password@example.com").await;
    let bearer = p.bearer(&srv).await;
    for _ in 0..3 {
        let r = resource(&srv, &bearer, Method::DELETE, "/users/me", Some(json!({ "password": "Wrong-Pass1" }))).await;
        assert_errors(&r, 422, &["resource.user.invalid_password"]);
    }
    let change = json!({ "old_password": "Wrong-Pass1", "new_password": "Zahsh8ei-2", "confirm_password": "Zahsh8ei-2" });
    for _ in 0..2 {
        let r = resource(&srv, &bearer, Method::PUT, "/users/password", Some(change.clone())).await;
        assert_errors(&r, 400, &["resource.password.prev_pass_not_correct"]);
    }
    assert_locked(&resource(&srv, &bearer, Method::DELETE, "/users/me", Some(json!({ "password": STRONG }))).await);
    // Nothing was closed meanwhile.
    assert_eq!(resource(&srv, &bearer, Method::GET, "/users/me", None).await.json()["state"], "active");
});

// An Auth0 ID token for someone's address must not open their account.
mod auth0_takeover {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use keyhall_crypto::jwt::{Algorithm, JwtSigner};
    use serde_json::{Value, json};

    use super::*;
    use crate::harness::Backend;

    /// An Auth0 tenant's JWK set, counting how often it is fetched.
    async fn jwks_server(jwks: Value) -> (String, Arc<AtomicUsize>) {
        let fetches = Arc::new(AtomicUsize::new(0));
        let counter = fetches.clone();
        let app = axum::Router::new().route(
            "/.well-known/jwks.json",
            axum::routing::get(move || {
                counter.fetch_add(1, Ordering::SeqCst);
                std::future::ready(axum::Json(jwks.clone()))
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        (format!("http://{addr}/.well-known/jwks.json"), fetches)
    }

    fn id_token(key: &JwtSigner, sub: &str, email: &str, verified: bool) -> Value {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        json!({ "id_token": key.sign(&json!({
            "iss": "https://tenant.auth0.test/", "aud": "client-1", "sub": sub,
            "iat": now - 10, "exp": now + 600, "email": email, "email_verified": verified,
        })) })
    }

    async fn run(backend: Backend) {
        let key = JwtSigner::generate(Algorithm::Rs256).unwrap();
        let (url, fetches) = jwks_server(json!({ "keys": [key.public_jwk()] })).await;
        let sink = crate::smtp_sink::SmtpSink::start().await;
        let mail = sink.url();
        let srv = TestServer::start_with(backend, move |c| {
            c.server.smtp_url = Some(mail);
            c.barong.auth0_domain = Some("tenant.auth0.test".into());
            c.barong.auth0_client_id = Some("client-1".into());
            c.barong.auth0_jwks_url = Some(url);
        })
        .await;
        let path = format!("{ID}/sessions/auth0");
        // The victim: a superadmin (the first user) with TOTP on.
        let mut victim = Browser::new();
        let r = victim.post(&srv, &format!("{ID}/users"), json!({ "email": "boss@example.com", "password": STRONG })).await;
        assert_eq!(r.json()["role"], "superadmin");
        let bearer = victim.bearer(&srv).await;
        let secret = enable_otp(&srv, &bearer).await;

        // An unverified address opens nobody's account.
        let forged = id_token(&key, "auth0|attacker", "boss@example.com", false);
        assert_errors(&Browser::new().post(&srv, &path, forged).await, 401, &["identity.session.auth0.invalid_params"]);
        // A verified one finds the user, whose second factor is still asked; wrong codes count.
        let verified = |otp: Option<String>| {
            let mut body = id_token(&key, "auth0|boss", "boss@example.com", true);
            if let Some(code) = otp {
                body["otp_code"] = json!(code);
            }
            body
        };
        assert_errors(&Browser::new().post(&srv, &path, verified(None)).await, 401, &["identity.session.missing_otp"]);
        let wrong = super::wrong_code(&secret).to_string();
        assert_errors(&Browser::new().post(&srv, &path, verified(Some(wrong))).await, 403, &["identity.session.invalid_otp"]);
        let r = Browser::new().post(&srv, &path, verified(Some(totp(&secret, 1)))).await;
        assert_eq!((r.status, r.json()["email"].as_str()), (201, Some("boss@example.com")), "{}", r.text());
        // The identity is now linked by issuer and subject: another subject with the same
        // (even verified) address is another identity, not this account.
        let tenant = keyhall_types::TenantId::parse(&srv.barong_tenant().await).unwrap();
        let auth = srv.running.core.auth();
        assert!(auth.linked_user(tenant, "https://tenant.auth0.test/", "auth0|boss").await.unwrap().is_some());
        assert!(auth.linked_user(tenant, "https://tenant.auth0.test/", "auth0|attacker").await.unwrap().is_none());

        // A locked account is refused here too.
        for _ in 0..5 {
            let body = verified(Some(super::wrong_code(&secret).into()));
            assert_errors(&Browser::new().post(&srv, &path, body).await, 403, &["identity.session.invalid_otp"]);
        }
        super::assert_locked(&Browser::new().post(&srv, &path, verified(Some(totp(&secret, -1)))).await);

        // Unknown key ids refetch the JWK set at most once a minute.
        let before = fetches.load(Ordering::SeqCst);
        for _ in 0..5 {
            let stranger = JwtSigner::generate(Algorithm::Rs256).unwrap();
            let r = Browser::new().post(&srv, &path, id_token(&stranger, "auth0|x", "x@example.com", true)).await;
            assert_eq!(r.status, 422);
        }
        assert!(fetches.load(Ordering::SeqCst) - before <= 1, "{} fetches", fetches.load(Ordering::SeqCst) - before);
        srv.clock.advance(std::time::Duration::from_secs(61));
        let stranger = JwtSigner::generate(Algorithm::Rs256).unwrap();
        Browser::new().post(&srv, &path, id_token(&stranger, "auth0|x", "x@example.com", true)).await;
        assert!(fetches.load(Ordering::SeqCst) > before, "a minute later the set is fetched again");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        run(Backend::Sqlite).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    #[ignore = "needs PostgreSQL: set KEYHALL_TEST_DATABASE_URL and pass --include-ignored (bin/test does both)"]
    async fn postgres() {
        run(Backend::Postgres).await;
    }
}

// The token authorize hands out ends with its session, its user's right to
// sign in, and a password change made through any face; mailed tokens are not session tokens.
barong!(a_session_token_ends_with_its_session, |srv: TestServer, sink: SmtpSink| async move {
    let me = |bearer: &str| {
        let (srv, bearer) = (&srv, bearer.to_string());
        async move { resource(srv, &bearer, Method::GET, "/users/me", None).await }
    };
    // Signing out.
    let mut b = active_member(&srv, &sink, "bound@example.com").await;
    let bearer = b.bearer(&srv).await;
    assert!(decode_claims(&bearer).get("sid").is_some(), "bound to the session");
    assert_eq!(me(&bearer).await.status, 200);
    assert_eq!(b.send(&srv, Method::DELETE, &format!("{ID}/sessions"), None).await.status, 200);
    assert_errors(&me(&bearer).await, 401, &["jwt.decode_and_verify"]);

    // A ban.
    let mut b = Browser::new();
    b.post(&srv, &format!("{ID}/sessions"), json!({ "email": "bound@example.com", "password": STRONG })).await;
    let bearer = b.bearer(&srv).await;
    assert_eq!(me(&bearer).await.status, 200);
    let tenant = keyhall_types::TenantId::parse(&srv.barong_tenant().await).unwrap();
    let core = &srv.running.core;
    let user = core.identity().user_by_email(tenant, "bound@example.com").await.unwrap().unwrap();
    core.identity().set_private_label(&core.auth().operator(tenant), &user, "ban", Some("fraud")).await.unwrap();
    assert_errors(&me(&bearer).await, 401, &["jwt.decode_and_verify"]);

    // A password reset through the mailed token, which is no session token itself.
    let mut b = active_member(&srv, &sink, "reset@example.com").await;
    let bearer = b.bearer(&srv).await;
    let r =
        Browser::new().post(&srv, &format!("{ID}/users/password/generate_code"), json!({ "email": "reset@example.com" })).await;
    assert_eq!(r.status, 201);
    let token = crate::smtp_sink::token_in(&sink.wait_for("reset@example.com", 1).await);
    let aud = decode_claims(&token)["aud"].clone();
    assert_eq!(aud, json!(["keyhall:reset"]), "an audience no session-token service accepts");
    assert_errors(&me(&format!("Bearer {token}")).await, 401, &["jwt.decode_and_verify"]);
    let reset = json!({ "reset_password_token": token, "password": "Zahsh8ei-2x", "confirm_password": "Zahsh8ei-2x" });
    assert_eq!(Browser::new().post(&srv, &format!("{ID}/users/password/confirm_code"), reset).await.status, 201);
    assert_errors(&me(&bearer).await, 401, &["jwt.decode_and_verify"]);
});

// A password changed through the Comet face ends the Barong sessions of the user.
crate::both!(a_password_change_on_any_face_ends_every_session, |first: TestServer| async move {
    let company = first.company("Shared Ltd").await;
    let tenant = company.id.clone();
    let srv = first.sibling(move |c| c.barong.tenant = Some(tenant)).await;
    let create =
        [("target_contact_name", "Casey"), ("target_email", "casey@shared.example"), ("target_password", "Casey-Pass-9x")];
    let id = srv.post("/api/v1/user/create_user", &company.token, &create).await.data()["id"].as_str().unwrap().to_string();
    let mut b = Browser::new();
    let r =
        b.post(&srv, &format!("{ID}/sessions"), json!({ "email": "casey@shared.example", "password": "Casey-Pass-9x" })).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let bearer = b.bearer(&srv).await;
    assert_eq!(resource(&srv, &bearer, Method::GET, "/users/me", None).await.status, 200);
    let patch = [("target_id", id.as_str()), ("target_password", "Casey-Pass-10x")];
    assert_eq!(srv.post("/api/v1/user/patch_user", &company.token, &patch).await.status, 200);
    assert_errors(&resource(&srv, &bearer, Method::GET, "/users/me", None).await, 401, &["jwt.decode_and_verify"]);
    assert_eq!(b.authorize(&srv, Method::GET, PERMITTED, false).await.status, 401, "the session is gone too");
});

/// Asks authorize about a raw request path (sent as is: no client library normalises it),
/// with the browser's cookie; returns the status line's code and the body.
async fn authorize_raw(srv: &TestServer, b: &Browser, raw_path: &str) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(srv.running.addr).await.unwrap();
    let cookie = b.cookie.as_ref().map(|c| format!("Cookie: {c}\r\n")).unwrap_or_default();
    let request = format!(
        "GET /api/v2/auth/{raw_path} HTTP/1.1\r\nHost: {}\r\nUser-Agent: {}\r\n{cookie}Connection: close\r\n\r\n",
        srv.running.addr, b.user_agent
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    let status = answer.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    (status, answer.split("\r\n\r\n").nth(1).unwrap_or("").to_string())
}

// Gateway rules judge the path the service behind will see.
barong!(gateway_rules_judge_the_normalised_path, |srv: TestServer, sink: SmtpSink| async move {
    let member = active_member(&srv, &sink, "paths@example.com").await;
    let anonymous = Browser::new();
    // Climbing out of a permitted prefix into one the member may not reach.
    for raw in [
        "api/v2/peatio/account/../admin/members",
        "api/v2/peatio/account/%2e%2e/admin/members",
        "api/v2/peatio/account/%2E%2E%2Fadmin/members",
        "api/v2/peatio/account/..%5cadmin/members",
    ] {
        let (status, body) = authorize_raw(&srv, &member, raw).await;
        assert_eq!((status, body.contains("authz.invalid_permission")), (401, true), "{raw}: {body}");
    }
    assert_eq!(authorize_raw(&srv, &member, "api/v2/peatio/account/balances").await.0, 200);
    // Whole segments only.
    assert_eq!(authorize_raw(&srv, &member, "api/v2/applogicX/y").await.0, 401);
    assert_eq!(authorize_raw(&srv, &member, "api/v2/applogic/y").await.0, 200);
    // Blocked prefixes stay blocked however they are spelled, for anyone.
    for raw in [
        "api/v2/barong//management/x",
        "api/v2/auth/./management/x",
        "api/v2/peatio/public/../management/x",
        "api/v2/peatio/public/%2e%2e/management/x",
    ] {
        let (status, body) = authorize_raw(&srv, &anonymous, raw).await;
        assert_eq!((status, body.contains("authz.permission_denied")), (401, true), "{raw}: {body}");
    }
    // A path that climbs above its root is refused.
    let (status, body) = authorize_raw(&srv, &anonymous, "api/v2/peatio/public/../../../../../x").await;
    assert_eq!((status, body.contains("authz.permission_denied")), (401, true), "{body}");
});

// Of concurrent first sign-ups on a fresh install, exactly one is the superadmin.
crate::both!(the_first_sign_up_is_decided_once, |srv: TestServer| async move {
    let sign_up = |i: usize| {
        let srv = &srv;
        async move {
            let body = json!({ "email": format!("racer{i}@example.com"), "password": STRONG });
            Browser::new().post(srv, &format!("{ID}/users"), body).await
        }
    };
    let (a, b, c, d, e, f) = tokio::join!(sign_up(0), sign_up(1), sign_up(2), sign_up(3), sign_up(4), sign_up(5));
    let answers = [a, b, c, d, e, f];
    let roles: Vec<String> = answers
        .iter()
        .map(|r| {
            assert_eq!(r.status, 201, "{}", r.text());
            r.json()["role"].as_str().unwrap().to_string()
        })
        .collect();
    assert_eq!(roles.iter().filter(|r| *r == "superadmin").count(), 1, "{roles:?}");
    assert_eq!(roles.iter().filter(|r| *r == "member").count(), 5, "{roles:?}");
});

// A signed API-key request is served once, on any method and path, on any node.
barong!(an_api_key_signature_is_served_once, |srv: TestServer, sink: SmtpSink| async move {
    use crate::barong_authorize::{fresh_nonce, signed_headers};
    let mut b = active_member(&srv, &sink, "replay@example.com").await;
    let bearer = b.bearer(&srv).await;
    let otp = enable_otp(&srv, &bearer).await;
    let body = json!({ "algorithm": "HS256", "totp_code": totp(&otp, 1) });
    let key = resource(&srv, &bearer, Method::POST, "/api_keys", Some(body)).await.json();
    let (kid, secret) = (key["kid"].as_str().unwrap().to_string(), key["secret"].as_str().unwrap().to_string());
    let az = srv.url(PERMITTED);
    let nonce = fresh_nonce();
    let first = TestServer::send(signed_headers(srv.client.get(&az), &kid, &secret, &nonce)).await;
    assert_eq!(first.status, 200, "{}", first.text());
    // The same headers again, on another method and path: refused.
    assert_errors(
        &TestServer::send(signed_headers(srv.client.get(&az), &kid, &secret, &nonce)).await,
        401,
        &["authz.nonce_reused"],
    );
    let other = srv.url("/api/v2/auth/api/v2/peatio/account/balances");
    let replay = TestServer::send(signed_headers(srv.client.delete(&other), &kid, &secret, &nonce)).await;
    assert_errors(&replay, 401, &["authz.nonce_reused"]);
    // Two requests of one millisecond are told apart after the digits.
    let ms = nonce.split('.').next().unwrap().to_string();
    for suffix in ["", ".a", ".b"] {
        let r = TestServer::send(signed_headers(srv.client.get(&az), &kid, &secret, &format!("{ms}{suffix}"))).await;
        assert_eq!(r.status, 200, "{suffix}: {}", r.text());
    }
    // A second node sharing the database refuses what the first served (PostgreSQL; a SQLite
    // database is one node's).
    if srv.database_url.is_some() {
        let node = srv.sibling(|_| {}).await;
        let replay = TestServer::send(signed_headers(node.client.get(node.url(PERMITTED)), &kid, &secret, &nonce)).await;
        assert_errors(&replay, 401, &["authz.nonce_reused"]);
    }
    // A token bound to the key stands for the key's holder only: the same binding under
    // another user's uid (signed with keyhall's own key) is refused.
    let key_jwt = TestServer::send(signed_headers(srv.client.get(&az), &kid, &secret, &fresh_nonce())).await;
    let key_jwt = key_jwt.headers["authorization"].to_str().unwrap().to_string();
    assert_eq!(resource(&srv, &key_jwt, Method::GET, "/users/me", None).await.status, 200);
    let mut other = active_member(&srv, &sink, "not-the-holder@example.com").await;
    let mut forged = decode_claims(&other.bearer(&srv).await);
    let forged = forged.as_object_mut().unwrap();
    forged.remove("sid");
    forged.insert("kid".into(), json!(kid));
    let forged = srv.running.core.auth().sign_jwt(&json!(forged)).await.unwrap();
    assert_eq!(resource(&srv, &format!("Bearer {forged}"), Method::GET, "/users/me", None).await.status, 401);
});

// A name that is a formula stays text in a CSV export.
crate::both!(csv_exports_write_no_formulas, |srv: TestServer| async move {
    let c = srv.company("Csv Ltd").await;
    let name = "=HYPERLINK(\"http://evil.example\",\"click\")";
    assert_eq!(srv.post("/api/v1/license/create_license", &c.token, &[("target_name", name)]).await.status, 200);
    let csv = srv.post("/api/v1/report/active_services", &c.token, &[("format", "csv")]).await;
    assert_eq!(csv.status, 200);
    let text = csv.text();
    assert!(text.contains("\"'=HYPERLINK("), "{text}");
    assert!(!text.contains(",\"=HYPERLINK(") && !text.contains(",=HYPERLINK("), "{text}");
    // JSON keeps the name as it is.
    let json = srv.post("/api/v1/report/active_services", &c.token, &[]).await.json();
    assert_eq!(json[0]["name"], name);
});

// /metrics can be kept off the API's address.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_can_have_their_own_address() {
    let srv =
        TestServer::start_with(crate::harness::Backend::Sqlite, |c| c.server.metrics_listen = Some("127.0.0.1:0".into())).await;
    assert_eq!(TestServer::send(srv.client.get(srv.url("/metrics"))).await.status, 404, "not on the API's address");
    let metrics = srv.running.metrics_addr.expect("its own address");
    let r = TestServer::send(srv.client.get(format!("http://{metrics}/metrics"))).await;
    assert_eq!(r.status, 200);
    assert!(r.content_type().starts_with("text/plain"));
    // By default it stays where it was.
    let plain = TestServer::start(crate::harness::Backend::Sqlite).await;
    assert_eq!(TestServer::send(plain.client.get(plain.url("/metrics"))).await.status, 200);
}

// Phone codes expire, are replaced on resend, and are guessed on one counter per user;
// a user has few numbers waiting; a refused request stores nothing.
barong!(phone_verification_cannot_be_brute_forced, |srv: TestServer, sink: SmtpSink| async move {
    let gateway = &sink.texts;
    let mut b = active_member(&srv, &sink, "phones@example.com").await;
    let bearer = b.bearer(&srv).await;
    let post = |path: &str, body: serde_json::Value| {
        let (srv, bearer, path) = (&srv, bearer.clone(), path.to_string());
        async move { resource(srv, &bearer, Method::POST, &path, Some(body)).await }
    };
    let numbers = ["+12015550101", "+12015550102", "+12015550103", "+12015550104"];
    for n in &numbers[..3] {
        assert_eq!(post("/phones", json!({ "phone_number": n })).await.status, 201);
    }
    // A fourth number waiting for verification is refused, and not stored.
    assert_errors(&post("/phones", json!({ "phone_number": numbers[3] })).await, 400, &["resource.phone.limit_reached"]);
    let phones = || async { resource(&srv, &bearer, Method::GET, "/phones", None).await.json().as_array().unwrap().len() };
    assert_eq!(phones().await, 3);
    // A resent code replaces the one before.
    let old = gateway.code_for(numbers[0], 1).await;
    assert_eq!(post("/phones/send_code", json!({ "phone_number": numbers[0] })).await.status, 201);
    let new = gateway.code_for(numbers[0], 2).await;
    let verify = |n: &str, code: &str| json!({ "phone_number": n, "verification_code": code });
    if old != new {
        let r = post("/phones/verify", verify(numbers[0], &old)).await;
        assert_errors(&r, 404, &["resource.phone.verification_invalid"]);
    }
    // A code is good for ten minutes.
    srv.clock.advance(std::time::Duration::from_secs(11 * 60));
    assert_errors(&post("/phones/verify", verify(numbers[0], &new)).await, 404, &["resource.phone.verification_invalid"]);
    // Guesses add up across the user's phones: the lock covers all of them.
    let wrong = |code: String| if code == "00000" { "11111".to_string() } else { "00000".to_string() };
    let refused_so_far = 1 + usize::from(old != new);
    for n in numbers[1..3].iter().cycle().take(5 - refused_so_far) {
        let r = post("/phones/verify", verify(n, &wrong(gateway.code_for(n, 1).await))).await;
        assert_errors(&r, 404, &["resource.phone.verification_invalid"]);
    }
    let r = post("/phones/verify", verify(numbers[2], &gateway.code_for(numbers[2], 1).await)).await;
    assert_errors(&r, 429, &["identity.session.too_many_attempts"]);
    // Texts are limited before anything is stored: once a user's texts are spent, adding a
    // number is refused and keeps nothing.
    let mut c = active_member(&srv, &sink, "texts@example.com").await;
    let bearer = c.bearer(&srv).await;
    let post = |path: &str, body: serde_json::Value| {
        let (srv, bearer, path) = (&srv, bearer.clone(), path.to_string());
        async move { resource(srv, &bearer, Method::POST, &path, Some(body)).await }
    };
    assert_eq!(post("/phones", json!({ "phone_number": "+12015550105" })).await.status, 201);
    for _ in 0..4 {
        assert_eq!(post("/phones/send_code", json!({ "phone_number": "+12015550105" })).await.status, 201);
    }
    let spent = post("/phones", json!({ "phone_number": "+12015550106" })).await;
    assert_errors(&spent, 429, &["resource.phone.too_many_texts"]);
    assert!(spent.headers.get("retry-after").is_some());
    let wait: i64 = spent.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!(wait > 60, "the user waits for the window to pass, not a second: {wait}");
    let listed = resource(&srv, &bearer, Method::GET, "/phones", None).await.json();
    assert_eq!(listed.as_array().unwrap().len(), 1, "nothing stored by the refused request");
});
