//! The authorize endpoint: pass and block rules, cookie sessions with their binding and CSRF,
//! API-key signatures, role permissions, and the JWT it hands out.

use reqwest::Method;
use serde_json::{Value, json};

use crate::barong;
use crate::barong_client::*;
use crate::harness::TestServer;
use crate::smtp_sink::SmtpSink;

/// The claims of a JWT (bare, or as an `Authorization` value), read without checking it.
pub fn decode_claims(bearer: &str) -> Value {
    use base64::Engine;
    let token = bearer.trim_start_matches("Bearer ");
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

barong!(rules_sessions_and_the_token, |srv: TestServer, sink: SmtpSink| async move {
    let mut anon = Browser::new();
    // Case 29.
    assert_errors(
        &anon.authorize(&srv, Method::GET, "/api/v2/auth/not_in_the_rules_path", false).await,
        401,
        &["authz.invalid_session"],
    );
    let mut b = active_member(&srv, &sink, "az@example.com").await;
    // Case 31: blocked and public paths.
    assert_errors(
        &b.authorize(&srv, Method::PUT, "/api/v2/auth/api/v2/peatio/management/ping", true).await,
        401,
        &["authz.permission_denied"],
    );
    let r = b.authorize(&srv, Method::PUT, "/api/v2/auth/api/v2/peatio/public/ping", true).await;
    assert_eq!((r.status, r.body.len(), r.headers.contains_key("authorization")), (200, 0, false));
    // Case 5/40: a permitted path earns a token with Barong's claims.
    let r = b.authorize(&srv, Method::GET, PERMITTED, false).await;
    assert_eq!((r.status, r.body.len()), (200, 0));
    let bearer = r.headers["authorization"].to_str().unwrap().to_string();
    let claims = decode_claims(&bearer);
    for k in ["uid", "email", "role", "level", "state", "iat", "exp", "sub", "iss", "aud", "jti", "username", "referral_id"] {
        assert!(claims.get(k).is_some(), "claim {k} in {claims}");
    }
    assert_eq!(
        (claims["sub"].as_str(), claims["iss"].as_str(), claims["role"].as_str()),
        (Some("session"), Some("barong"), Some("member"))
    );
    assert_eq!(claims["aud"], json!(["peatio", "barong"]));
    assert_eq!(claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(), 3600);
    // The token verifies against the published JWKS and opens the resource API (case 43).
    let me = resource(&srv, &bearer, Method::GET, "/users/me", None).await;
    assert_eq!((me.status, me.json()["email"].as_str()), (200, Some("az@example.com")));
    assert_errors(&resource(&srv, "Bearer nope", Method::GET, "/users/me", None).await, 401, &["jwt.decode_and_verify"]);
    let r = TestServer::send(srv.client.get(srv.url(&format!("{RES}/users/me")))).await;
    assert_errors(&r, 401, &["jwt.decode_and_verify"]);
    // Case 41: a member may not reach paths outside its permissions.
    assert_errors(
        &b.authorize(&srv, Method::GET, "/api/v2/auth/api/v2/barong/admin/users", false).await,
        401,
        &["authz.invalid_permission"],
    );
    assert_errors(
        &b.authorize(&srv, Method::POST, "/api/v2/auth/api/v2/ranger/x", true).await,
        401,
        &["authz.invalid_permission"],
    );
    assert_eq!(b.authorize(&srv, Method::GET, "/api/v2/auth/api/v2/ranger/x", false).await.status, 200);
});

// Cases 7 and 34 on a node whose sessions last 3 s: each use slides the expiry, so a session
// used every second outlives its lifetime several times; after a longer gap it is gone. The
// node's clock is moved rather than waited for.
barong!(sessions_slide_and_expire, |srv: TestServer, sink: SmtpSink| async move {
    let short = srv.sibling(|c| c.server.session_expire_seconds = 3).await;
    active_member(&srv, &sink, "slide@example.com").await;
    let mut b = Browser::new();
    let r = b.post(&short, &format!("{ID}/sessions"), json!({ "email": "slide@example.com", "password": STRONG })).await;
    assert_eq!(r.status, 200, "{}", r.text());
    for _ in 0..8 {
        short.clock.advance(std::time::Duration::from_millis(1000));
        assert_eq!(b.authorize(&short, Method::GET, PERMITTED, false).await.status, 200);
    }
    short.clock.advance(std::time::Duration::from_millis(4000));
    assert_errors(&b.authorize(&short, Method::GET, PERMITTED, false).await, 401, &["authz.invalid_session"]);
});

barong!(csrf_and_session_binding, |srv: TestServer, sink: SmtpSink| async move {
    let mut b = active_member(&srv, &sink, "csrf@example.com").await;
    // Case 35.
    for method in [Method::POST, Method::PUT, Method::DELETE, Method::PATCH] {
        assert_errors(&b.authorize(&srv, method.clone(), PERMITTED, false).await, 401, &["authz.missing_csrf_token"]);
        assert_eq!(b.authorize(&srv, method, PERMITTED, true).await.status, 200);
    }
    assert_eq!(b.authorize(&srv, Method::HEAD, PERMITTED, false).await.status, 200);
    let mut forged = b.clone();
    forged.csrf = Some("0123456789abcdef0123".into());
    assert_errors(&forged.authorize(&srv, Method::POST, PERMITTED, true).await, 401, &["authz.csrf_token_mismatch"]);
    // Case 32: the session is bound to the client's network.
    let mut here = Browser::new();
    here.forwarded_for = Some("168.238.57.64".into());
    assert_eq!(
        here.post(&srv, &format!("{ID}/sessions"), json!({ "email": "csrf@example.com", "password": STRONG })).await.status,
        200
    );
    let mut moved = here.clone();
    moved.forwarded_for = Some("168.238.1.2".into());
    assert_eq!(moved.authorize(&srv, Method::GET, PERMITTED, false).await.status, 200, "same /16");
    moved.forwarded_for = Some("168.27.3.225".into());
    let r = moved.authorize(&srv, Method::GET, PERMITTED, false).await;
    assert_errors(&r, 401, &["authz.client_session_mismatch"]);
    assert!(!r.headers.contains_key("authorization"));
    // Case 33: a mismatch destroys the session, for the original client too.
    assert_errors(&here.authorize(&srv, Method::GET, PERMITTED, false).await, 401, &["authz.invalid_session"]);
    let mut ua = Browser::new();
    ua.user_agent = "legacy-browser".into();
    ua.post(&srv, &format!("{ID}/sessions"), json!({ "email": "csrf@example.com", "password": STRONG })).await;
    let mut other_ua = ua.clone();
    other_ua.user_agent = "new-browser".into();
    assert_eq!(other_ua.authorize(&srv, Method::GET, PERMITTED, false).await.status, 401);
    assert_eq!(ua.authorize(&srv, Method::GET, PERMITTED, false).await.status, 401);
});

pub async fn enable_otp(srv: &TestServer, bearer: &str) -> String {
    let r = resource(srv, bearer, Method::POST, "/otp/generate_qrcode", None).await;
    assert_eq!(r.status, 201, "{}", r.text());
    let url = r.json()["data"]["url"].as_str().unwrap().to_string();
    let secret = url.split("secret=").nth(1).unwrap().split('&').next().unwrap().to_string();
    let code = totp(&secret, 0);
    let r = resource(srv, bearer, Method::POST, "/otp/enable", Some(json!({ "code": code }))).await;
    assert_eq!(r.status, 201, "{}", r.text());
    secret
}

/// A TOTP code `offset` steps from now, computed independently of keyhall (RFC 6238, SHA-1).
pub fn totp(secret_b32: &str, offset: i64) -> String {
    use hmac_sha1_reference as h;
    let key = h::base32(secret_b32);
    let step = (time::OffsetDateTime::now_utc().unix_timestamp() / 30 + offset) as u64;
    h::hotp(&key, step)
}

/// Plain reference implementations (SHA-1 and HMAC from their definitions) so the codes the
/// tests send do not come from the code under test.
mod hmac_sha1_reference {
    fn sha1(data: &[u8]) -> [u8; 20] {
        let mut h: [u32; 5] = [0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0];
        let mut msg = data.to_vec();
        let bits = (data.len() as u64) * 8;
        msg.push(0x80);
        while msg.len() % 64 != 56 {
            msg.push(0);
        }
        msg.extend_from_slice(&bits.to_be_bytes());
        for chunk in msg.chunks(64) {
            let mut w = [0u32; 80];
            for i in 0..16 {
                w[i] = u32::from_be_bytes([chunk[4 * i], chunk[4 * i + 1], chunk[4 * i + 2], chunk[4 * i + 3]]);
            }
            for i in 16..80 {
                w[i] = (w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16]).rotate_left(1);
            }
            let (mut a, mut b, mut c, mut d, mut e) = (h[0], h[1], h[2], h[3], h[4]);
            for (i, wi) in w.iter().enumerate() {
                let (f, k) = match i {
                    0..=19 => ((b & c) | (!b & d), 0x5A827999),
                    20..=39 => (b ^ c ^ d, 0x6ED9EBA1),
                    40..=59 => ((b & c) | (b & d) | (c & d), 0x8F1BBCDC),
                    _ => (b ^ c ^ d, 0xCA62C1D6),
                };
                let t = a.rotate_left(5).wrapping_add(f).wrapping_add(e).wrapping_add(k).wrapping_add(*wi);
                (e, d, c, b, a) = (d, c, b.rotate_left(30), a, t);
            }
            for (x, v) in h.iter_mut().zip([a, b, c, d, e]) {
                *x = x.wrapping_add(v);
            }
        }
        let mut out = [0u8; 20];
        for (i, v) in h.iter().enumerate() {
            out[4 * i..4 * i + 4].copy_from_slice(&v.to_be_bytes());
        }
        out
    }

    fn hmac(key: &[u8], msg: &[u8]) -> [u8; 20] {
        let mut k = [0u8; 64];
        k[..key.len()].copy_from_slice(key);
        let inner: Vec<u8> = k.iter().map(|b| b ^ 0x36).chain(msg.iter().copied()).collect();
        let outer: Vec<u8> = k.iter().map(|b| b ^ 0x5c).chain(sha1(&inner)).collect();
        sha1(&outer)
    }

    pub fn hotp(key: &[u8], counter: u64) -> String {
        let h = hmac(key, &counter.to_be_bytes());
        let o = (h[19] & 0x0f) as usize;
        let n = u32::from_be_bytes([h[o] & 0x7f, h[o + 1], h[o + 2], h[o + 3]]) % 1_000_000;
        format!("{n:06}")
    }

    pub fn base32(s: &str) -> Vec<u8> {
        let (mut bits, mut value, mut out) = (0u32, 0u32, Vec::new());
        for c in s.chars().filter(|c| *c != '=') {
            let v = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".find(c.to_ascii_uppercase()).unwrap() as u32;
            value = (value << 5) | v;
            bits += 5;
            if bits >= 8 {
                out.push((value >> (bits - 8)) as u8);
                bits -= 8;
            }
        }
        out
    }

    #[test]
    fn rfc4226_vectors() {
        assert_eq!(hotp(b"12345678901234567890", 0), "755224");
        assert_eq!(hotp(b"12345678901234567890", 9), "520489");
    }
}

pub fn signed_headers(req: reqwest::RequestBuilder, kid: &str, secret: &str, nonce: &str) -> reqwest::RequestBuilder {
    // As a Barong client signs: HMAC-SHA256 over nonce ‖ kid, hex.
    let signature = keyhall_core::auth::api_keys::signature(secret, nonce, kid);
    req.header("x-auth-apikey", kid).header("x-auth-nonce", nonce).header("x-auth-signature", signature)
}

fn now_ms() -> i64 {
    (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64
}

/// A nonce no request has used: the time in milliseconds, then a sequence number (a nonce is
/// served once, and two requests may fall in one millisecond).
pub fn fresh_nonce() -> String {
    static SEQUENCE: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    format!("{}.{}", now_ms(), SEQUENCE.fetch_add(1, std::sync::atomic::Ordering::Relaxed))
}

barong!(api_keys_through_authorize, |srv: TestServer, sink: SmtpSink| async move {
    let mut b = active_member(&srv, &sink, "keys@example.com").await;
    let bearer = b.bearer(&srv).await;
    // Case 49: no 2FA, no key.
    assert_errors(
        &resource(&srv, &bearer, Method::POST, "/api_keys", Some(json!({ "algorithm": "HS256", "totp_code": "123456" }))).await,
        400,
        &["resource.api_key.2fa_disabled"],
    );
    let secret_b32 = enable_otp(&srv, &bearer).await;
    assert_errors(
        &resource(&srv, &bearer, Method::POST, "/api_keys", Some(json!({ "algorithm": "HS256", "totp_code": "000000" }))).await,
        422,
        &["resource.api_key.invalid_totp"],
    );
    assert_errors(
        &resource(
            &srv,
            &bearer,
            Method::POST,
            "/api_keys",
            Some(json!({ "algorithm": "kek", "totp_code": totp(&secret_b32, 1) })),
        )
        .await,
        422,
        &["kid.blank", "algorithm.inclusion"],
    );
    let r = resource(
        &srv,
        &bearer,
        Method::POST,
        "/api_keys",
        Some(json!({ "algorithm": "HS256", "scope": "trade", "totp_code": totp(&secret_b32, -1) })),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text());
    let key = r.json();
    assert_eq!((key["state"].as_str(), key["algorithm"].as_str()), (Some("active"), Some("HS256")));
    assert_eq!(key["scope"], json!(["trade"]));
    let (kid, secret) = (key["kid"].as_str().unwrap().to_string(), key["secret"].as_str().unwrap().to_string());
    assert_eq!((kid.len(), secret.len()), (16, 32));
    let listed = resource(&srv, &bearer, Method::GET, "/api_keys", None).await.json();
    assert!(listed[0].get("secret").is_none(), "the secret is shown once");

    let az = srv.url(PERMITTED);
    // Case 40: valid headers earn a token; no CSRF needed for writes.
    let r = TestServer::send(signed_headers(srv.client.post(&az), &kid, &secret, &fresh_nonce())).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let claims = decode_claims(r.headers["authorization"].to_str().unwrap());
    assert_eq!(claims["email"], "keys@example.com");
    // Case 36.
    let r = TestServer::send(srv.client.get(&az).header("x-auth-apikey", &kid).header("x-auth-nonce", fresh_nonce())).await;
    assert_errors(&r, 422, &["authz.invalid_api_key_headers"]);
    let r = TestServer::send(
        srv.client.get(&az).header("x-auth-apikey", &kid).header("x-auth-nonce", fresh_nonce()).header("x-auth-signature", " "),
    )
    .await;
    assert_errors(&r, 422, &["authz.invalid_api_key_headers"]);
    // Case 37.
    for nonce in ["nonce", "0"] {
        let r = TestServer::send(signed_headers(srv.client.get(&az), &kid, &secret, nonce)).await;
        assert_errors(&r, 401, &["authz.nonce_not_valid_timestamp"]);
    }
    for skew in [-10_000, 10_000] {
        let r = TestServer::send(signed_headers(srv.client.get(&az), &kid, &secret, &(now_ms() + skew).to_string())).await;
        assert_errors(&r, 401, &["authz.nonce_expired"]);
    }
    // Case 38, and an unknown kid.
    let r = TestServer::send(
        srv.client
            .get(&az)
            .header("x-auth-apikey", &kid)
            .header("x-auth-nonce", fresh_nonce())
            .header("x-auth-signature", "some-random-signature"),
    )
    .await;
    assert_errors(&r, 401, &["authz.invalid_signature"]);
    let r = TestServer::send(signed_headers(srv.client.get(&az), "0123456789abcdef", &secret, &fresh_nonce())).await;
    assert_errors(&r, 401, &["authz.unexistent_apikey"]);
    // Case 50: update and delete need a code; a deactivated key stops working (case 39).
    let r = resource(
        &srv,
        &bearer,
        Method::PATCH,
        &format!("/api_keys/{kid}"),
        Some(json!({ "state": "inactive", "totp_code": totp(&secret_b32, 1) })),
    )
    .await;
    assert_eq!((r.status, r.json()["state"].as_str()), (200, Some("inactive")), "{}", r.text());
    let r = TestServer::send(signed_headers(srv.client.get(&az), &kid, &secret, &fresh_nonce())).await;
    assert_errors(&r, 401, &["authz.apikey_not_active"]);
    assert_errors(
        &resource(&srv, &bearer, Method::GET, "/api_keys?ordering=xyz", None).await,
        422,
        &["resource.api_key.invalid_ordering"],
    );
    assert_errors(
        &resource(&srv, &bearer, Method::GET, "/api_keys?order_by=xyz", None).await,
        422,
        &["resource.api_key.invalid_attribute"],
    );
    // Each code works once: the one just used cannot delete the key.
    let r = resource(&srv, &bearer, Method::DELETE, &format!("/api_keys/{kid}?totp_code={}", totp(&secret_b32, 0)), None).await;
    assert_errors(&r, 422, &["resource.api_key.invalid_totp"]);

    // Another member creates a key and deletes it.
    let mut other = active_member(&srv, &sink, "keys2@example.com").await;
    let bearer = other.bearer(&srv).await;
    let secret_b32 = enable_otp(&srv, &bearer).await;
    let r = resource(
        &srv,
        &bearer,
        Method::POST,
        "/api_keys",
        Some(json!({ "algorithm": "HS256", "totp_code": totp(&secret_b32, -1) })),
    )
    .await;
    let kid = r.json()["kid"].as_str().unwrap().to_string();
    let r = resource(&srv, &bearer, Method::DELETE, &format!("/api_keys/{kid}?totp_code={}", totp(&secret_b32, 1)), None).await;
    assert_eq!(r.status, 204, "{}", r.text());
    assert_eq!(resource(&srv, &bearer, Method::GET, "/api_keys", None).await.json(), json!([]));
});

barong!(service_accounts_and_their_keys, |srv: TestServer, sink: SmtpSink| async move {
    let mut b = active_member(&srv, &sink, "owner@example.com").await;
    let bearer = b.bearer(&srv).await;
    let tenant = keyhall_types::TenantId::parse(&srv.barong_tenant().await).unwrap();
    let core = &srv.running.core;
    let owner = core.identity().user_by_email(tenant, "owner@example.com").await.unwrap().unwrap();
    let account =
        core.identity().create_service_account(&core.auth().operator(tenant), &owner, None, Some("sa_maker")).await.unwrap();
    assert!(account.uid.starts_with("SI"));
    // Case 51.
    let list = resource(&srv, &bearer, Method::GET, "/service_accounts", None).await.json();
    assert_eq!(list.as_array().unwrap().len(), 1);
    for k in ["uid", "email", "owner_id", "role", "level", "state"] {
        assert!(list[0].get(k).is_some(), "{k}");
    }
    assert_eq!((list[0]["role"].as_str(), list[0]["state"].as_str()), (Some("sa_maker"), Some("active")));
    let sa = account.uid.clone();
    assert_errors(
        &resource(&srv, &bearer, Method::GET, &format!("/service_accounts/api_keys?service_account_uid={sa}&ordering=up"), None)
            .await,
        422,
        &["resource.service_accounts.invalid_ordering"],
    );
    assert_errors(
        &resource(&srv, &bearer, Method::GET, "/service_accounts/api_keys?service_account_uid=SI0000000000", None).await,
        404,
        &["resource.service_account.doesnt_exist"],
    );
    assert_errors(
        &resource(&srv, &bearer, Method::GET, "/service_accounts/api_keys", None).await,
        422,
        &["resource.service_account.missing_service_account_uid"],
    );
    let create =
        |code: String| json!({ "service_account_uid": sa, "algorithm": "HS256", "scope": "trade,read", "totp_code": code });
    assert_errors(
        &resource(&srv, &bearer, Method::POST, "/service_accounts/api_keys", Some(create("123456".into()))).await,
        400,
        &["resource.service_accounts.2fa_disabled"],
    );
    let secret_b32 = enable_otp(&srv, &bearer).await;
    assert_errors(
        &resource(&srv, &bearer, Method::POST, "/service_accounts/api_keys", Some(create("000000".into()))).await,
        422,
        &["resource.service_accounts.invalid_totp"],
    );
    let r = resource(&srv, &bearer, Method::POST, "/service_accounts/api_keys", Some(create(totp(&secret_b32, -1)))).await;
    assert_eq!(r.status, 201, "{}", r.text());
    let key = r.json();
    assert_eq!(key["scope"], json!(["trade", "read"]));
    let (kid, secret) = (key["kid"].as_str().unwrap().to_string(), key["secret"].as_str().unwrap().to_string());
    // The service account's key works through authorize, within the sa_maker role.
    let allowed = srv.url("/api/v2/auth/api/v2/peatio/account/balances");
    let r = TestServer::send(signed_headers(srv.client.get(&allowed), &kid, &secret, &fresh_nonce())).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let claims = decode_claims(r.headers["authorization"].to_str().unwrap());
    assert_eq!((claims["uid"].as_str(), claims["role"].as_str()), (Some(sa.as_str()), Some("sa_maker")));
    assert!(claims.get("username").is_none(), "service accounts carry no username claim");
    let denied = srv.url("/api/v2/auth/api/v2/barong/resource/api_keys");
    let r = TestServer::send(signed_headers(srv.client.get(&denied), &kid, &secret, &fresh_nonce())).await;
    assert_errors(&r, 401, &["authz.invalid_permission"]);
    let listed =
        resource(&srv, &bearer, Method::GET, &format!("/service_accounts/api_keys?service_account_uid={sa}"), None).await.json();
    assert_eq!(listed.as_array().unwrap().len(), 1);
    let r = resource(
        &srv,
        &bearer,
        Method::DELETE,
        &format!("/service_accounts/api_keys/{kid}?service_account_uid={sa}&totp_code={}", totp(&secret_b32, 1)),
        None,
    )
    .await;
    assert_eq!(r.status, 204, "{}", r.text());
});
