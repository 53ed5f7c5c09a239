//! Regression tests of the security hardening, each named after the weakness it closes.

use reqwest::Method;
use serde_json::json;

use crate::barong;
use crate::barong_authorize::{enable_otp, totp};
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

// Item 2: a stolen session must not guess the second factor or the password without limit.
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
