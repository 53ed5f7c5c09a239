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
