//! Self-registration where the community allows it: a mailed code confirms the address, the
//! account is made in the db module and signed in; the installation's switch closes it.

use keyhall_core::adminx::init::InitInput;
use reqwest::Method;
use serde_json::json;

use crate::adminx_client::{ADMIN, ADMIN_PASSWORD, Vendor, community, error};
use crate::harness::{Backend, TestServer};
use crate::smtp_sink::SmtpSink;

#[tokio::test]
async fn visitors_sign_up_with_a_confirmed_address_where_allowed() {
    for backend in [Backend::Sqlite].into_iter().chain(crate::harness::pg_url().map(|_| Backend::Postgres)) {
        let sink = SmtpSink::start().await;
        let url = sink.url();
        let srv = TestServer::start_with(backend, move |c| c.server.smtp_url = Some(url)).await;
        let c = community(&srv, "signup.example.com").await;
        let v = Vendor::new(&srv).await;
        let ask = |email: &str| c.with(json!({ "email": email, "captchaToken": "" }));
        // Closed until the community allows it.
        assert_eq!(
            error(&v.call(&srv, Method::PUT, "/register/sendverify", Some(ask("pat@example.com"))).await, 403),
            "Self-registration is not allowed in this community"
        );
        c.admin.call(&srv, Method::PUT, "/config/self_registration_config", Some(c.with(json!({ "allowed": true })))).await;
        let r = v.call(&srv, Method::PUT, "/register/sendverify", Some(ask("pat@example.com"))).await;
        assert_eq!(r.json(), json!({ "code": 200, "message": "Ok" }), "{}", r.text());
        error(&v.call(&srv, Method::PUT, "/register/sendverify", Some(ask("admin@signup.example.com"))).await, 409);
        error(&v.call(&srv, Method::PUT, "/register/sendverify", Some(ask("not-an-address"))).await, 400);
        let mail = sink.wait_for("pat@example.com", 0).await;
        let code =
            crate::smtp_sink::body(&mail).lines().find_map(|l| l.trim().strip_prefix("Your code: ").map(str::to_string)).unwrap();
        let r = v.post(&srv, "/register/verifyemail", c.with(json!({ "code": code }))).await;
        assert_eq!(r.json()["email"], "pat@example.com");
        error(&v.post(&srv, "/register/verifyemail", c.with(json!({ "code": "nope" }))).await, 404);
        let user = |email: &str, password: &str| {
            c.with(json!({ "moduleId": c.module_id, "firstname": "Pat", "lastname": "Kim", "email": email, "password": password,
                "code": code, "captchaToken": "", "phoneNumber": "+15557654321", "phoneToken": "" }))
        };
        error(&v.call(&srv, Method::PUT, "/register/user", Some(user("other@example.com", "Sign-Up-Pass-7"))).await, 400);
        error(&v.call(&srv, Method::PUT, "/register/user", Some(user("pat@example.com", "weak"))).await, 400);
        let r = v.call(&srv, Method::PUT, "/register/user", Some(user("pat@example.com", "Sign-Up-Pass-7"))).await;
        assert_eq!(r.status, 200, "{}", r.text());
        let j = r.json();
        assert_eq!(
            (j["user"]["username"].as_str(), j["user"]["role"].as_str(), j["user"]["email1_verified"].as_bool()),
            (Some("pat@example.com"), Some("basic"), Some(true))
        );
        assert!(j["jwt_token"].is_string());
        error(&v.call(&srv, Method::PUT, "/register/user", Some(user("pat@example.com", "Sign-Up-Pass-7"))).await, 404);
        let r = v.post(&srv, "/verifyuser", c.with(json!({ "username": "pat@example.com", "password": "Sign-Up-Pass-7" }))).await;
        assert_eq!(r.status, 200);
        // Only the installation's superadmin sets the installation's switch.
        error(
            &c.admin
                .call(&srv, Method::PUT, "/instance_config/self_registration_config", Some(json!({ "allowed": false })))
                .await,
            403,
        );
        let default = srv.running.core.tenancy().default_tenant(None).await.unwrap();
        let root = srv
            .running
            .core
            .adminx()
            .init(InitInput {
                dns: "root.example.com".into(),
                community: "root".into(),
                username: ADMIN.into(),
                email: "root@root.example.com".into(),
                password: ADMIN_PASSWORD.into(),
                tenant: Some(default),
            })
            .await
            .unwrap();
        let mut superadmin = Vendor::new(&srv).await;
        let r = superadmin.post(&srv, "/verifyuser", json!({ "tenantId": default.to_string(), "communityId": root.community.id.to_string(), "username": ADMIN, "password": ADMIN_PASSWORD })).await;
        superadmin.jwt = r.json()["jwt_token"].as_str().map(str::to_string);
        let r = superadmin
            .call(&srv, Method::PUT, "/instance_config/self_registration_config", Some(json!({ "allowed": false })))
            .await;
        assert_eq!(superadmin.open(&r)["allowed"], false);
        assert_eq!(
            superadmin.open(&superadmin.call(&srv, Method::GET, "/instance_config/self_registration_config", None).await)["allowed"],
            false
        );
        error(&v.call(&srv, Method::PUT, "/register/sendverify", Some(ask("lee@example.com"))).await, 403);
    }
}

/// A stand-in reCAPTCHA verifier: the secret `s3cret` and the token `good` pass.
async fn recaptcha_stand_in() -> String {
    async fn verify(axum::Form(form): axum::Form<std::collections::HashMap<String, String>>) -> axum::Json<serde_json::Value> {
        let ok =
            form.get("secret").map(String::as_str) == Some("s3cret") && form.get("response").map(String::as_str) == Some("good");
        axum::Json(json!({ "success": ok }))
    }
    let app = axum::Router::new().route("/siteverify", axum::routing::post(verify));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/siteverify", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    url
}

crate::both!(a_configured_captcha_guards_the_public_calls_unless_a_license_comes, |srv: TestServer| async move {
    let url = recaptcha_stand_in().await;
    let node = srv
        .sibling(move |c| {
            c.adminx.captcha = "recaptcha".into();
            c.adminx.recaptcha_secret_key = Some("s3cret".into());
            c.adminx.recaptcha_verify_url = url;
        })
        .await;
    let c = community(&node, "captcha.example.com").await;
    c.admin.call(&node, Method::PUT, "/config/self_registration_config", Some(c.with(json!({ "allowed": true })))).await;
    let v = Vendor::new(&node).await;
    let ask = |more: serde_json::Value| {
        let mut body = c.with(json!({ "email": "new@example.com" }));
        for (k, val) in more.as_object().unwrap() {
            body[k] = val.clone();
        }
        body
    };
    assert_eq!(
        error(&v.call(&node, Method::PUT, "/register/sendverify", Some(ask(json!({})))).await, 400),
        "\"captchaToken\" is required"
    );
    assert_eq!(
        error(&v.call(&node, Method::PUT, "/register/sendverify", Some(ask(json!({ "captchaToken": "bad" })))).await, 400),
        "Captcha verification failed"
    );
    assert_eq!(
        v.call(&node, Method::PUT, "/register/sendverify", Some(ask(json!({ "captchaToken": "good" })))).await.status,
        200
    );
    let r = v
        .call(
            &node,
            Method::PUT,
            "/register/sendverify",
            Some(ask(json!({ "email": "other@example.com", "license": c.license_key }))),
        )
        .await;
    assert_eq!(r.status, 200, "a license of the tenant stands in for the captcha: {}", r.text());
    let r = v
        .call(&node, Method::PUT, "/register/sendverify", Some(ask(json!({ "email": "third@example.com", "license": "forged" }))))
        .await;
    assert_eq!(error(&r, 400), "\"captchaToken\" is required");
});
