//! Captcha on the protected identity endpoints, verified against stand-ins for Google
//! reCAPTCHA and Geetest served on loopback (cases 6 and 19), and failing closed when the
//! provider cannot be reached.

use md5::{Digest, Md5};
use serde_json::{Value, json};

use crate::barong;
use crate::barong_client::*;
use crate::harness::TestServer;
use crate::smtp_sink::SmtpSink;

const GEETEST_KEY: &str = "geetest-private-key";
const CHALLENGE: &str = "f00dfeedchallenge";

fn md5_hex(text: &str) -> String {
    hex::encode(Md5::digest(text.as_bytes()))
}

/// A reCAPTCHA siteverify that says yes to `human` under the secret `s3cret`, and a Geetest
/// API that registers `CHALLENGE` and confirms the seccode `good-seccode`.
async fn provider() -> String {
    use axum::routing::{get, post};
    type Form = axum::extract::Form<std::collections::HashMap<String, String>>;
    let app = axum::Router::new()
        .route(
            "/recaptcha/api/siteverify",
            post(|axum::extract::Form(f): Form| async move {
                let ok = f.get("secret").map(String::as_str) == Some("s3cret")
                    && f.get("response").map(String::as_str) == Some("human");
                axum::Json(json!({ "success": ok }))
            }),
        )
        .route("/geetest/register.php", get(|| async { CHALLENGE }))
        .route(
            "/geetest/validate.php",
            post(|axum::extract::Form(f): Form| async move {
                let seccode = f.get("seccode").cloned().unwrap_or_default();
                if seccode == "good-seccode" { md5_hex(&seccode) } else { "false".to_string() }
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}")
}

/// A loopback address nothing listens on.
async fn unreachable() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    format!("http://{}", listener.local_addr().unwrap())
}

fn sign_in(captcha: Value) -> Value {
    json!({ "email": "root@example.com", "password": STRONG, "captcha_response": captcha })
}

barong!(recaptcha_guards_sign_in_and_sign_up, |srv: TestServer, _sink: SmtpSink| async move {
    let google = provider().await;
    let verify_url = format!("{google}/recaptcha/api/siteverify");
    let node = srv
        .sibling(|c| {
            c.barong.captcha = "recaptcha".into();
            c.barong.recaptcha_site_key = Some("site-key-1".into());
            c.barong.recaptcha_secret_key = Some("s3cret".into());
            c.barong.recaptcha_verify_url = verify_url;
        })
        .await;
    let mut b = Browser::new();
    let configs = b.get(&node, &format!("{ID}/configs")).await.json();
    assert_eq!((configs["captcha_type"].as_str(), configs["captcha_id"].as_str()), (Some("recaptcha"), Some("site-key-1")));
    // Case 6.
    let login = format!("{ID}/sessions");
    let r = b.post(&node, &login, json!({ "email": "root@example.com", "password": STRONG })).await;
    assert_errors(&r, 400, &["identity.captcha.required"]);
    assert_errors(&b.post(&node, &login, sign_in(json!(""))).await, 400, &["identity.captcha.required"]);
    assert_errors(&b.post(&node, &login, sign_in(json!("robot"))).await, 422, &["identity.captcha.verification_failed"]);
    assert_errors(&b.post(&node, &login, sign_in(json!(17))).await, 422, &["identity.session.invalid_captcha_format"]);
    assert_eq!(b.post(&node, &login, sign_in(json!("human"))).await.status, 200);
    let up = json!({ "email": "captcha@example.com", "password": STRONG, "captcha_response": "robot" });
    assert_errors(&b.post(&node, &format!("{ID}/users"), up).await, 422, &["identity.captcha.verification_failed"]);
    let up = json!({ "email": "captcha@example.com", "password": STRONG, "captcha_response": "human" });
    assert_eq!(b.post(&node, &format!("{ID}/users"), up).await.status, 201);
    let reset = json!({ "email": "captcha@example.com" });
    assert_errors(
        &b.post(&node, &format!("{ID}/users/password/generate_code"), reset).await,
        400,
        &["identity.captcha.required"],
    );
    // Without the provider nothing gets through.
    let dead = unreachable().await;
    let closed = srv
        .sibling(|c| {
            c.barong.captcha = "recaptcha".into();
            c.barong.recaptcha_secret_key = Some("s3cret".into());
            c.barong.recaptcha_verify_url = format!("{dead}/siteverify");
        })
        .await;
    assert_errors(&b.post(&closed, &login, sign_in(json!("human"))).await, 422, &["identity.captcha.verification_failed"]);
});

barong!(geetest_guards_sign_up, |srv: TestServer, _sink: SmtpSink| async move {
    let api = provider().await;
    let node = srv
        .sibling(|c| {
            c.barong.captcha = "geetest".into();
            c.barong.geetest_id = Some("gt-id-1".into());
            c.barong.geetest_key = Some(GEETEST_KEY.into());
            c.barong.geetest_api_url = format!("{api}/geetest");
        })
        .await;
    let mut b = Browser::new();
    let r = b.get(&node, &format!("{ID}/users/register_geetest")).await;
    assert_eq!(r.json(), json!({ "gt": "gt-id-1", "challenge": md5_hex(&format!("{CHALLENGE}{GEETEST_KEY}")) }));
    let up = format!("{ID}/users");
    let with = |captcha: Value| json!({ "email": "gee@example.com", "password": STRONG, "captcha_response": captcha });
    // Case 19.
    assert_errors(&b.post(&node, &up, with(json!({ "empty": "string" }))).await, 400, &["identity.captcha.mandatory_fields"]);
    assert_errors(&b.post(&node, &up, with(json!({}))).await, 400, &["identity.captcha.required"]);
    let validate = md5_hex(&format!("{GEETEST_KEY}geetest{CHALLENGE}"));
    let answer = |validate: &str, seccode: &str| json!({ "geetest_challenge": CHALLENGE, "geetest_validate": validate, "geetest_seccode": seccode });
    let forged = answer("0123456789abcdef0123456789abcdef", "good-seccode");
    assert_errors(&b.post(&node, &up, with(forged)).await, 422, &["identity.captcha.verification_failed"]);
    let unconfirmed = answer(&validate, "bad-seccode");
    assert_errors(&b.post(&node, &up, with(unconfirmed)).await, 422, &["identity.captcha.verification_failed"]);
    // A widget may also hand the answer over as a JSON string.
    let good = answer(&validate, "good-seccode").to_string();
    let r = b.post(&node, &up, with(json!(good))).await;
    assert_eq!(r.status, 201, "{}", r.text());
    // Geetest out of reach: registration answers an empty string, as Barong does.
    let dead = unreachable().await;
    let closed = srv
        .sibling(|c| {
            c.barong.captcha = "geetest".into();
            c.barong.geetest_id = Some("gt-id-1".into());
            c.barong.geetest_api_url = dead;
        })
        .await;
    assert_eq!(b.get(&closed, &format!("{ID}/users/register_geetest")).await.json(), json!(""));
});
