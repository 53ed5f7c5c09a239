//! Two-factor authentication: TOTP enable (RFC 6238, ±1 step, single use), WebAuthn
//! registration ceremony, disable.

use keyhall_crypto::totp::{self, TotpParams};

use crate::both;
use crate::harness::{Company, TestServer};
use crate::soft_authenticator;

const SECRET: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"; // "12345678901234567890"

fn code_at(offset_steps: i64) -> String {
    let now = time::OffsetDateTime::now_utc().unix_timestamp() + offset_steps * 30;
    totp::totp_at(&TotpParams::default(), b"12345678901234567890", now as u64)
}

async fn twofa(srv: &TestServer, c: &Company) -> bool {
    let users = srv.post("/api/v1/user/list_company_users", &c.token, &[]).await.data();
    users[0]["twofa_required"].as_bool().unwrap()
}

both!(totp_enable_is_verified_and_single_use, |srv: TestServer| async move {
    let c = srv.company("Totp Ltd").await;
    let before = srv.snapshot(&c).await;
    let wrong = if code_at(0) == "000000" { "111111" } else { "000000" };
    for (secret, code, field) in [
        (SECRET, wrong, "totp_verify_code"),
        (SECRET, code_at(-3).as_str(), "totp_verify_code"),
        ("not base32!", code_at(0).as_str(), "totp_secret"),
        ("JBSWY3DP", code_at(0).as_str(), "totp_secret"),
        (SECRET, "12ab56", "totp_verify_code"),
    ] {
        let r = srv.post("/api/v1/user/mfa/enable-totp", &c.token, &[("totp_secret", secret), ("totp_verify_code", code)]).await;
        assert!(r.error(400).contains(field), "{secret}/{code}: {}", r.text());
    }
    assert_eq!(before, srv.snapshot(&c).await);
    // One step of clock drift is tolerated.
    let code = code_at(-1);
    assert_eq!(
        srv.post("/api/v1/user/mfa/enable-totp", &c.token, &[("totp_secret", SECRET), ("totp_verify_code", &code)]).await.data(),
        "OK"
    );
    assert!(twofa(&srv, &c).await);
    // The same code cannot be used again, for the login or a second enable.
    let r = srv.post("/api/v1/user/mfa/enable-totp", &c.token, &[("totp_secret", SECRET), ("totp_verify_code", &code)]).await;
    assert!(r.error(400).contains("already used"));
    let user = keyhall_types::UserId::parse(&c.user_id).unwrap();
    let e = srv.running.core.credentials().verify_totp(user, &code).await.unwrap_err();
    assert_eq!(e.code, keyhall_core::ErrorCode::TotpCodeReused);
    srv.running.core.credentials().verify_totp(user, &code_at(1)).await.expect("a later code works once");
    assert!(srv.running.core.credentials().verify_totp(user, &code_at(1)).await.is_err());
    assert_eq!(srv.post("/api/v1/user/mfa/disable", &c.token, &[]).await.data(), "OK");
    assert!(!twofa(&srv, &c).await);
    assert!(srv.running.core.credentials().verify_totp(user, &code_at(0)).await.is_err(), "no TOTP after disable");
});

both!(webauthn_registration_ceremony, |srv: TestServer| async move {
    let c = srv.company("Keys Ltd").await;
    let r = srv.post("/api/v1/user/mfa/webauthn/enable", &c.token, &[("webauthn_challenge_response", "{}")]).await;
    assert!(r.error(400).contains("No WebAuthn challenge"));
    let d = srv.post("/api/v1/user/mfa/webauthn/request-challenge", &c.token, &[]).await.data();
    let options = d["webauthn_challenge"].as_str().unwrap().to_string();
    let parsed: serde_json::Value = serde_json::from_str(&options).unwrap();
    assert_eq!(parsed["publicKey"]["rp"]["id"], "localhost");
    assert_eq!(parsed["publicKey"]["user"]["name"], c.email.as_str());

    // A response for another origin is rejected, and burns the challenge.
    let forged = soft_authenticator::register(&options, "https://evil.example");
    let r = srv.post("/api/v1/user/mfa/webauthn/enable", &c.token, &[("webauthn_challenge_response", &forged)]).await;
    assert!(r.error(400).contains("rejected"), "{}", r.text());
    let good = soft_authenticator::register(&options, "http://localhost:8080");
    let r = srv.post("/api/v1/user/mfa/webauthn/enable", &c.token, &[("webauthn_challenge_response", &good)]).await;
    assert!(r.error(400).contains("No WebAuthn challenge"));
    assert!(!twofa(&srv, &c).await);

    // A fresh ceremony succeeds.
    let d = srv.post("/api/v1/user/mfa/webauthn/request-challenge", &c.token, &[]).await.data();
    let options = d["webauthn_challenge"].as_str().unwrap().to_string();
    let r = srv.post("/api/v1/user/mfa/webauthn/enable", &c.token, &[("webauthn_challenge_response", "not json")]).await;
    assert!(r.error(400).contains("webauthn_challenge_response"));
    let d = srv.post("/api/v1/user/mfa/webauthn/request-challenge", &c.token, &[]).await.data();
    let options = {
        let _ = options;
        d["webauthn_challenge"].as_str().unwrap().to_string()
    };
    let good = soft_authenticator::register(&options, "http://localhost:8080");
    assert_eq!(
        srv.post("/api/v1/user/mfa/webauthn/enable", &c.token, &[("webauthn_challenge_response", &good)]).await.data(),
        "OK"
    );
    assert!(twofa(&srv, &c).await);
    // Replaying the same response fails: the challenge was single-use.
    let r = srv.post("/api/v1/user/mfa/webauthn/enable", &c.token, &[("webauthn_challenge_response", &good)]).await;
    assert_eq!(r.status, 400);
    // The next challenge excludes the registered credential.
    let d = srv.post("/api/v1/user/mfa/webauthn/request-challenge", &c.token, &[]).await.data();
    let next: serde_json::Value = serde_json::from_str(d["webauthn_challenge"].as_str().unwrap()).unwrap();
    assert_eq!(next["publicKey"]["excludeCredentials"].as_array().map(|a| a.len()), Some(1));
    assert_eq!(srv.post("/api/v1/user/mfa/disable", &c.token, &[]).await.data(), "OK");
    assert!(!twofa(&srv, &c).await);
});
