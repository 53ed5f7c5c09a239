//! The Barong identity API: sign-up rules, e-mail confirmation and password reset through real
//! mail, sessions, general endpoints. Cases are numbered as in Barong's own behaviour suite.

use reqwest::Method;
use serde_json::json;

use crate::barong_client::*;
use crate::smtp_sink::token_in;

#[macro_export]
macro_rules! barong {
    ($name:ident, $body:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let (srv, sink) = $crate::barong_client::barong_server($crate::harness::Backend::Sqlite).await;
                ($body)(srv, sink).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            #[ignore = "needs PostgreSQL: set KEYHALL_TEST_DATABASE_URL and pass --include-ignored (bin/test does both)"]
            async fn postgres() {
                let (srv, sink) = $crate::barong_client::barong_server($crate::harness::Backend::Postgres).await;
                ($body)(srv, sink).await;
            }
        }
    };
}

use crate::harness::TestServer;
use crate::smtp_sink::SmtpSink;

barong!(sign_up_validation, |srv: TestServer, _sink: SmtpSink| async move {
    let mut b = Browser::new();
    let up = format!("{ID}/users");
    // Case 12, 13, 14.
    assert_errors(
        &b.post(&srv, &up, json!({ "email": "bad_format", "password": "Password1" })).await,
        422,
        &["email.invalid", "password.weak"],
    );
    assert_errors(
        &b.post(&srv, &up, json!({ "email": "a@example.com", "password": "password" })).await,
        422,
        &["password.requirements"],
    );
    assert_errors(
        &b.post(&srv, &up, json!({})).await,
        422,
        &[
            "identity.user.missing_email",
            "identity.user.empty_email",
            "identity.user.missing_password",
            "identity.user.empty_password",
        ],
    );
    assert_errors(&b.post(&srv, &up, json!({ "email": "", "password": "zieV0Kai" })).await, 422, &["identity.user.empty_email"]);
    // Case 15: referrals.
    assert_errors(
        &b.post(&srv, &up, json!({ "email": "r@example.com", "password": STRONG, "refid": "ID1231231231" })).await,
        422,
        &["identity.user.referral_doesnt_exist"],
    );
    assert_errors(
        &b.post(&srv, &up, json!({ "email": "r@example.com", "password": STRONG, "refid": "UID123" })).await,
        422,
        &["identity.user.invalid_referral_format"],
    );
    // Case 16: usernames.
    for (name, expected) in [
        ("qwe", vec!["username.too_short"]),
        ("qwertyuiopasd", vec!["username.too_long"]),
        ("qwerty@=", vec!["username.invalid"]),
        ("", vec!["username.too_short", "username.invalid"]),
    ] {
        let r = b.post(&srv, &up, json!({ "email": "u@example.com", "password": STRONG, "username": name })).await;
        assert_errors(&r, 422, &expected);
    }
    assert_eq!(
        b.post(&srv, &up, json!({ "email": "nick1@example.com", "password": STRONG, "username": "NICK" })).await.status,
        201
    );
    let r = b.post(&srv, &up, json!({ "email": "nick2@example.com", "password": STRONG, "username": "nick" })).await;
    assert_eq!(r.status, 422);
    assert!(errors(&r).contains(&"username.taken".to_string()));
    // Case 17: data must be a JSON object.
    assert_errors(
        &b.post(&srv, &up, json!({ "email": "d@example.com", "password": STRONG, "data": "phone_number: 380969999999" })).await,
        422,
        &["data.invalid_format"],
    );
    let r = b
        .post(&srv, &up, json!({ "email": "d@example.com", "password": STRONG, "data": "{\"phone_number\":\"380969999999\"}" }))
        .await;
    assert_eq!(r.status, 201);
    assert_eq!(r.json()["data"], "{\"phone_number\":\"380969999999\"}");
    assert_errors(&b.post(&srv, &up, json!({ "email": "D@example.com", "password": STRONG })).await, 422, &["email.taken"]);
    // A referral by an existing uid is recorded.
    let referrer = r.json()["uid"].as_str().unwrap().to_string();
    let r = b.post(&srv, &up, json!({ "email": "ref@example.com", "password": STRONG, "refid": referrer })).await;
    assert_eq!(r.json()["referral_uid"], referrer.as_str());
});

barong!(sign_up_opens_a_pending_session_and_mails_a_confirmation, |srv: TestServer, sink: SmtpSink| async move {
    let mut b = Browser::new();
    let r = b.post(&srv, &format!("{ID}/users"), json!({ "email": "new@example.com", "password": STRONG })).await;
    assert_eq!(r.status, 201);
    let body = r.json();
    let keys: Vec<&str> = body.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "email",
            "uid",
            "role",
            "level",
            "otp",
            "state",
            "referral_uid",
            "data",
            "csrf_token",
            "username",
            "labels",
            "phones",
            "profiles",
            "data_storages",
            "created_at",
            "updated_at"
        ]
    );
    assert_eq!(
        (body["state"].as_str(), body["role"].as_str(), body["level"].as_i64()),
        (Some("pending"), Some("member"), Some(0))
    );
    assert!(body["uid"].as_str().unwrap().starts_with("ID") && body["uid"].as_str().unwrap().len() == 12);
    assert_eq!(body["csrf_token"].as_str().unwrap().len(), 20);
    assert!(b.cookie.as_deref().unwrap().starts_with("_barong_session="));
    // The session is open (a pending user may use it).
    assert_eq!(b.authorize(&srv, Method::GET, PERMITTED, false).await.status, 200);

    // Case 22 and 23: the confirmation token.
    let confirm = format!("{ID}/users/email/confirm_code");
    assert_errors(&b.post(&srv, &confirm, json!({})).await, 422, &["identity.user.missing_token", "identity.user.empty_token"]);
    assert_errors(&b.post(&srv, &confirm, json!({ "token": "invalid token" })).await, 422, &["jwt.decode_and_verify.segments"]);
    let token = token_in(&sink.wait_for("new@example.com", 0).await);
    let r = b.post(&srv, &confirm, json!({ "token": token })).await;
    assert_eq!(r.status, 201, "{}", r.text());
    let body = r.json();
    assert_eq!((body["state"].as_str(), body["level"].as_i64()), (Some("active"), Some(1)));
    assert_eq!(body["labels"][0]["key"], "email");
    assert_eq!(body["labels"][0]["scope"], "private");
    assert!(body["csrf_token"].is_string());
    // Used once: the same token again (the user is active now).
    assert_errors(&b.post(&srv, &confirm, json!({ "token": token })).await, 422, &["identity.user.active_or_doesnt_exist"]);

    // Case 21: generate_code answers 201 for unknown and for active addresses, and mails neither.
    let generate = format!("{ID}/users/email/generate_code");
    for email in ["nobody@example.com", "new@example.com"] {
        assert_eq!(b.post(&srv, &generate, json!({ "email": email })).await.status, 201);
    }
    assert_eq!(sink.count_to("nobody@example.com"), 0);
    assert_eq!(sink.count_to("new@example.com"), 1);
});

barong!(password_reset_through_mail, |srv: TestServer, sink: SmtpSink| async move {
    let mut b = active_member(&srv, &sink, "reset@example.com").await;
    let mut other = Browser::new();
    assert_eq!(
        other.post(&srv, &format!("{ID}/sessions"), json!({ "email": "reset@example.com", "password": STRONG })).await.status,
        200
    );
    let generate = format!("{ID}/users/password/generate_code");
    let confirm = format!("{ID}/users/password/confirm_code");
    // Case 24: unknown addresses get the same answer.
    assert_eq!(b.post(&srv, &generate, json!({ "email": "unknown@gmail.com" })).await.status, 201);
    // Case 25.
    assert_errors(
        &b.post(&srv, &confirm, json!({ "reset_password_token": "", "password": "", "confirm_password": "" })).await,
        422,
        &["identity.user.empty_reset_password_token", "identity.user.empty_password", "identity.user.empty_confirm_password"],
    );
    assert_errors(
        &b.post(
            &srv,
            &confirm,
            json!({ "reset_password_token": "invalid", "password": "Tecohvi0", "confirm_password": "Tecohvi0" }),
        )
        .await,
        422,
        &["jwt.decode_and_verify.segments"],
    );
    // Case 27: two codes; the first is stale.
    assert_eq!(b.post(&srv, &generate, json!({ "email": "reset@example.com" })).await.status, 201);
    let first = token_in(&sink.wait_for("reset@example.com", 1).await);
    assert_eq!(b.post(&srv, &generate, json!({ "email": "reset@example.com" })).await.status, 201);
    let latest = token_in(&sink.wait_for("reset@example.com", 2).await);
    // Case 26.
    assert_errors(
        &b.post(&srv, &confirm, json!({ "reset_password_token": latest, "password": "Simple", "confirm_password": "Simple" }))
            .await,
        422,
        &["password.requirements"],
    );
    assert_errors(
        &b.post(
            &srv,
            &confirm,
            json!({ "reset_password_token": latest, "password": "Tecohvi0", "confirm_password": "ZahSh8ei" }),
        )
        .await,
        422,
        &["identity.user.passwords_doesnt_match"],
    );
    assert_errors(
        &b.post(&srv, &confirm, json!({ "reset_password_token": first, "password": "Tecohvi0", "confirm_password": "Tecohvi0" }))
            .await,
        422,
        &["identity.user.utilized_token"],
    );
    let r = b
        .post(&srv, &confirm, json!({ "reset_password_token": latest, "password": "Tecohvi0", "confirm_password": "Tecohvi0" }))
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
    assert_errors(
        &b.post(
            &srv,
            &confirm,
            json!({ "reset_password_token": latest, "password": "ZahSh8ei", "confirm_password": "ZahSh8ei" }),
        )
        .await,
        422,
        &["identity.user.utilized_token"],
    );
    // Every earlier session ended; the new password works, the old does not.
    assert_errors(&other.authorize(&srv, Method::GET, PERMITTED, false).await, 401, &["authz.invalid_session"]);
    let mut fresh = Browser::new();
    assert_eq!(
        fresh.post(&srv, &format!("{ID}/sessions"), json!({ "email": "reset@example.com", "password": "Tecohvi0" })).await.status,
        200
    );
    let r = fresh.post(&srv, &format!("{ID}/sessions"), json!({ "email": "reset@example.com", "password": STRONG })).await;
    assert_errors(&r, 401, &["identity.session.invalid_params"]);
});

barong!(sessions, |srv: TestServer, sink: SmtpSink| async move {
    let mut b = active_member(&srv, &sink, "s@example.com").await;
    let login = format!("{ID}/sessions");
    // Cases 1-3.
    assert_errors(
        &b.post(&srv, &login, json!({})).await,
        422,
        &["identity.session.missing_email", "identity.session.missing_password"],
    );
    assert_errors(&b.post(&srv, &login, json!({ "email": "s@example.com" })).await, 422, &["identity.session.missing_password"]);
    assert_errors(
        &b.post(&srv, &login, json!({ "email": "s@example.com", "password": "password" })).await,
        401,
        &["identity.session.invalid_params"],
    );
    // An unknown address gets exactly the same answer.
    assert_errors(
        &b.post(&srv, &login, json!({ "email": "ghost@example.com", "password": "password" })).await,
        401,
        &["identity.session.invalid_params"],
    );
    // Case 5: a successful login (200) opens a session that authorize accepts.
    let mut fresh = Browser::new();
    let r = fresh.post(&srv, &login, json!({ "email": "s@example.com", "password": STRONG })).await;
    assert_eq!(r.status, 200);
    assert!(r.json()["csrf_token"].is_string());
    assert_eq!(fresh.authorize(&srv, Method::GET, PERMITTED, false).await.status, 200);
    // Case 8: logout.
    let mut nobody = Browser::new();
    assert_errors(&nobody.send(&srv, Method::DELETE, &login, None).await, 404, &["identity.session.not_found"]);
    let r = fresh.send(&srv, Method::DELETE, &login, None).await;
    assert_eq!(r.status, 200);
    assert!(r.headers["set-cookie"].to_str().unwrap().contains("Max-Age=0"));
    let _ = b;
});

barong!(general_endpoints, |srv: TestServer, _sink: SmtpSink| async move {
    let mut b = Browser::new();
    // Case 28.
    assert_eq!(b.get(&srv, &format!("{ID}/ping")).await.json(), json!({ "ping": "pong" }));
    let t = b.get(&srv, &format!("{ID}/time")).await.json()["time"].as_i64().unwrap();
    assert!(t <= time::OffsetDateTime::now_utc().unix_timestamp() && t > 1_700_000_000);
    let c = b.get(&srv, &format!("{ID}/configs")).await.json();
    assert_eq!(c["session_expire_time"], 1800);
    assert_eq!(c["captcha_type"], "none");
    assert_eq!(c["password_min_entropy"], 14);
    assert!(c["password_regexp"].as_str().unwrap().contains("{8,80}"));
    assert_eq!(b.get(&srv, &format!("{ID}/version")).await.json()["version"], env!("CARGO_PKG_VERSION"));
    let r = b.post(&srv, &format!("{ID}/password/validate"), json!({ "password": "Tecohvi0" })).await;
    assert_eq!((r.status, r.json()["entropy"].as_f64()), (201, Some(15.5)));
    assert_errors(
        &b.post(&srv, &format!("{ID}/password/validate"), json!({})).await,
        422,
        &["identity.general.missing_password"],
    );
    assert_eq!(b.get(&srv, "/api/v2/auth/public/ping").await.json(), json!({ "ping": "pong" }));
    assert_errors(
        &b.post(&srv, "/api/v2/auth/public/password/validate", json!({})).await,
        422,
        &["public.general.missing_password"],
    );
    let r = b.get(&srv, &format!("{ID}/no_such_route")).await;
    assert_eq!((r.status, r.json()), (404, json!({ "error": "Route is not found" })));
    // The JWKS is published at both addresses and verifies what authorize signs.
    let jwks = b.get(&srv, &format!("{ID}/jwks.json")).await.json();
    assert_eq!(jwks, b.get(&srv, "/.well-known/jwks.json").await.json());
    assert_eq!(jwks["keys"][0]["kty"], "RSA");
    assert_eq!(jwks["keys"][0]["alg"], "RS256");
});

mod auth0 {
    use keyhall_crypto::jwt::{Algorithm, JwtSigner};
    use serde_json::{Value, json};

    use crate::barong_client::*;
    use crate::harness::{Backend, TestServer};

    /// Serves `jwks` at http://127.0.0.1:<port>/.well-known/jwks.json, as an Auth0 tenant does.
    async fn jwks_server(jwks: Value) -> String {
        let app = axum::Router::new()
            .route("/.well-known/jwks.json", axum::routing::get(move || std::future::ready(axum::Json(jwks.clone()))));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        format!("http://{addr}/.well-known/jwks.json")
    }

    fn id_token(key: &JwtSigner, email: &str, verified: bool, exp_in: i64) -> String {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        key.sign(&json!({
            "iss": "https://tenant.auth0.test/", "aud": "client-1", "sub": "auth0|123",
            "iat": now - 10, "exp": now + exp_in, "email": email, "email_verified": verified,
        }))
    }

    async fn run(backend: Backend) {
        let key = JwtSigner::generate(Algorithm::Rs256).unwrap();
        let url = jwks_server(json!({ "keys": [key.public_jwk()] })).await;
        let srv = TestServer::start_with(backend, move |c| {
            c.barong.auth0_domain = Some("tenant.auth0.test".into());
            c.barong.auth0_client_id = Some("client-1".into());
            c.barong.auth0_jwks_url = Some(url);
        })
        .await;
        let path = format!("{ID}/sessions/auth0");
        let mut b = Browser::new();
        assert_eq!(
            b.get(&srv, "/api/v2/auth/public/configs/auth0").await.json(),
            json!({ "auth0_domain": "tenant.auth0.test", "auth0_client_id": "client-1" })
        );
        // Case 9.
        assert_errors(
            &b.post(&srv, &path, json!({})).await,
            422,
            &["identity.session.missing_id_token", "identity.session.empty_id_token"],
        );
        assert_errors(&b.post(&srv, &path, json!({ "id_token": "" })).await, 422, &["identity.session.empty_id_token"]);
        // Case 10.
        assert_errors(
            &b.post(&srv, &path, json!({ "id_token": id_token(&key, "new@idp.example", true, -120) })).await,
            422,
            &["identity.session.auth0.invalid_params"],
        );
        let stranger = JwtSigner::generate(Algorithm::Rs256).unwrap();
        assert_errors(
            &b.post(&srv, &path, json!({ "id_token": id_token(&stranger, "new@idp.example", true, 600) })).await,
            422,
            &["identity.session.auth0.invalid_params"],
        );
        assert_errors(
            &b.post(&srv, &path, json!({ "id_token": id_token(&key, "new@idp.example", false, 600) })).await,
            401,
            &["identity.session.auth0.invalid_params"],
        );
        let tenant = keyhall_types::TenantId::parse(&srv.barong_tenant().await).unwrap();
        assert!(
            srv.running.core.identity().user_by_email(tenant, "new@idp.example").await.unwrap().is_none(),
            "no user was created"
        );
        // Case 11.
        let r = b.post(&srv, &path, json!({ "id_token": id_token(&key, "new@idp.example", true, 600) })).await;
        assert_eq!(r.status, 201, "{}", r.text());
        let body = r.json();
        assert_eq!((body["state"].as_str(), body["level"].as_i64()), (Some("active"), Some(1)));
        assert_eq!(body["labels"].as_array().unwrap().len(), 1);
        assert_eq!(b.authorize(&srv, reqwest::Method::GET, PERMITTED, false).await.status, 200);
        let r = Browser::new().post(&srv, &path, json!({ "id_token": id_token(&key, "new@idp.example", false, 600) })).await;
        assert_eq!(r.status, 201, "the identity linked at its first sign-in signs in whatever email_verified says now");
        let keys: Vec<String> = r.json().as_object().unwrap().keys().cloned().collect();
        assert!(keys.contains(&"csrf_token".to_string()) && keys.contains(&"data_storages".to_string()));
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

// Case 18: the first user to sign up is an active superadmin with a verified address; later
// ones sign up too, and their session opens.
crate::both!(the_first_user_is_an_active_superadmin, |srv: TestServer| async move {
    let mut first = Browser::new();
    let r = first.post(&srv, &format!("{ID}/users"), json!({ "email": "valid.email@gmail.com", "password": STRONG })).await;
    assert_eq!(r.status, 201, "{}", r.text());
    let user = r.json();
    assert_eq!((&user["role"], &user["state"], &user["level"]), (&json!("superadmin"), &json!("active"), &json!(1)));
    let labels: Vec<_> = user["labels"].as_array().unwrap().iter().map(|l| (&l["key"], &l["value"], &l["scope"])).collect();
    assert_eq!(labels, [(&json!("email"), &json!("verified"), &json!("private"))]);
    assert!(user["csrf_token"].as_str().is_some_and(|t| !t.is_empty()));
    let mut second = Browser::new();
    let r = second.post(&srv, &format!("{ID}/users"), json!({ "email": "second@gmail.com", "password": STRONG })).await;
    assert_eq!(r.status, 201, "{}", r.text());
    assert_eq!((&r.json()["role"], &r.json()["state"]), (&json!("member"), &json!("pending")));
    assert_eq!(second.authorize(&srv, Method::GET, PERMITTED, false).await.status, 200);
});
