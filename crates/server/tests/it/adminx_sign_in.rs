//! 1Kosmos sign-in over a real server: the password step and its lock, the second factor the
//! community's MFA settings ask for (mailed code, `/authenticate`), session-bound JWTs that
//! `/logout` ends, and users of other faces signing in here.

use keyhall_core::adminx::init::InitInput;
use reqwest::Method;
use serde_json::json;

use crate::adminx_client::{ADMIN, ADMIN_PASSWORD, Community, Vendor, community, error};
use crate::harness::{Backend, TestServer};
use crate::smtp_sink::SmtpSink;

async fn sign_in(srv: &TestServer, c: &Community, username: &str, password: &str) -> crate::harness::Resp {
    let v = Vendor::new(srv).await;
    v.post(srv, "/verifyuser", c.with(json!({ "username": username, "password": password }))).await
}

crate::both!(a_password_sign_in_gives_a_token_bound_to_its_session, |srv: TestServer| async move {
    let c = community(&srv, "signin.example.com").await;
    let r = sign_in(&srv, &c, "ADMIN", ADMIN_PASSWORD).await;
    let j = r.json();
    assert_eq!(r.status, 200, "{j}");
    assert_eq!((j["user"]["username"].as_str(), j["user"]["role"].as_str()), (Some(ADMIN), Some("tenant_admin")));
    assert!(j["next"].is_null() && j["user_token"].is_string() && j["pon_data"]["personId"] == c.admin_uid, "{j}");
    let mut v = Vendor::new(&srv).await;
    v.jwt = j["jwt_token"].as_str().map(str::to_string);
    async fn verify(srv: &TestServer, v: &Vendor) -> crate::harness::Resp {
        v.post(srv, "/jwt/verifyToken", json!({ "token": v.jwt.clone().unwrap() })).await
    }
    let claims = v.open(&verify(&srv, &v).await);
    assert_eq!((claims["username"].as_str(), claims["communityId"].as_str()), (Some(ADMIN), Some(c.community_id.as_str())));
    // Signing out ends the session: the same token is refused from then on.
    let r = v.call(&srv, Method::GET, "/logout", None).await;
    assert_eq!(r.status, 204, "{}", r.text());
    assert_eq!(error(&verify(&srv, &v).await, 401), "Invalid or expired token");
    assert_eq!(error(&v.call(&srv, Method::GET, "/logout", None).await, 401), "Invalid or expired token");
    // The other session (the fixture's) still stands.
    assert_eq!(c.admin.open(&c.admin.post(&srv, "/jwt/verifyToken", json!({ "token": c.admin.jwt })).await)["uid"], c.admin_uid);
    // No token at all.
    let anonymous = Vendor::new(&srv).await;
    assert_eq!(error(&anonymous.call(&srv, Method::GET, "/logout", None).await, 401), "authorization header is required");
});

crate::both!(wrong_passwords_are_refused_alike_counted_and_lock_the_account, |srv: TestServer| async move {
    let c = community(&srv, "lock.example.com").await;
    let unknown = sign_in(&srv, &c, "nobody", ADMIN_PASSWORD).await;
    assert_eq!(error(&unknown, 401), "Invalid username or password");
    for _ in 0..5 {
        let r = sign_in(&srv, &c, ADMIN, "Wrong-Pass-1").await;
        assert_eq!(error(&r, 401), "Invalid username or password");
    }
    let r = sign_in(&srv, &c, ADMIN, ADMIN_PASSWORD).await;
    assert_eq!(error(&r, 401), "User is locked", "locked after five failures, even with the right password");
    assert!(r.headers.get("retry-after").is_some());
    // The failures are in the community's history.
    let failed = srv.stored_texts("SELECT action FROM audit_log WHERE action = 'E_LOGIN_FAILED'").await;
    assert_eq!(failed.len(), 6);
    // Bad requests name what is wrong.
    let v = Vendor::new(&srv).await;
    let r = v.post(&srv, "/verifyuser", json!({ "communityId": c.community_id, "username": ADMIN, "password": "x" })).await;
    assert_eq!(error(&r, 400), "\"tenantId\" is required");
    let r = v.post(&srv, "/verifyuser", c.with(json!({ "password": "x" }))).await;
    assert_eq!(error(&r, 400), "\"username\" is required");
    let r = v.post(&srv, "/verifyuser", c.with(json!({ "username": ADMIN }))).await;
    assert_eq!(error(&r, 400), "\"password\" is required");
    let r = v
        .post(&srv, "/verifyuser", json!({ "tenantId": c.tenant_id, "communityId": "nope", "username": ADMIN, "password": "x" }))
        .await;
    assert_eq!(error(&r, 404), "Community not found");
    let r = v.post(&srv, "/verifyuser", c.with(json!({ "username": 5, "password": "x" }))).await;
    error(&r, 400);
});

#[tokio::test]
async fn the_mfa_settings_ask_for_a_code_that_is_mailed_once_and_counted() {
    for backend in [Backend::Sqlite].into_iter().chain(crate::harness::pg_url().map(|_| Backend::Postgres)) {
        let sink = SmtpSink::start().await;
        let url = sink.url();
        let srv = TestServer::start_with(backend, move |c| c.server.smtp_url = Some(url)).await;
        let c = community(&srv, "mfa.example.com").await;
        let settings = json!({
            "show_otp_email": true, "show_otp_phone": false, "show_otp_voice": false, "show_otp_hardware": false,
            "otp_prompt_text": "Code?", "onespan_domain": "", "onespan_url": "", "self_enroll_phone_allowed": "false",
            "sync_window_for_first_usage": 0, "otpMaxAttempts": 2, "lockDurationMinutes": 30, "accountLockEnabled": true,
        });
        let r = c.admin.call(&srv, Method::PUT, "/config/authentication/mfa_settings", Some(c.with(settings))).await;
        assert_eq!(c.admin.open(&r)["otpMaxAttempts"], 2);
        let got = c.admin.open(&c.admin.call(&srv, Method::GET, "/config/authentication/mfa_settings", None).await);
        assert_eq!((got["show_otp_email"].as_bool(), got["self_enroll_phone_allowed"].as_bool()), (Some(true), Some(false)));
        // The password step now stops before the token.
        let r = sign_in(&srv, &c, ADMIN, ADMIN_PASSWORD).await;
        let j = r.json();
        assert_eq!((r.status, j["next"].as_str()), (200, Some("otp")), "{j}");
        assert!(j["jwt_token"].is_null());
        let token = j["user_token"].as_str().unwrap().to_string();
        let v = Vendor::new(&srv).await;
        let deliver = json!({ "user_token": token, "deliveryMethod": "email" });
        let r = v.call(&srv, Method::PUT, "/authenticate/otp", Some(c.with(deliver.clone()))).await;
        assert_eq!(v.open(&r)["destination"], "a***@mfa.example.com");
        let mail = sink.wait_for("admin@mfa.example.com", 0).await;
        let code: String = crate::smtp_sink::body(&mail)
            .split_whitespace()
            .find(|w| w.trim_end_matches('.').len() == 6 && w.trim_end_matches('.').chars().all(|c| c.is_ascii_digit()))
            .unwrap()
            .trim_end_matches('.')
            .to_string();
        // A wrong code, then the right one through /verifyuser (the password step passed).
        // A code for a user merely looked up is not sent (only after the password step).
        let found = v.post(&srv, "/users/find", c.with(json!({ "username": ADMIN }))).await.json();
        let looked_up = c.with(json!({ "user_token": found["users"][0]["user_token"], "deliveryMethod": "email" }));
        error(&v.call(&srv, Method::PUT, "/authenticate/otp", Some(looked_up)).await, 401);
        let sms = c.with(json!({ "user_token": token, "deliveryMethod": "sms" }));
        assert!(error(&v.call(&srv, Method::PUT, "/authenticate/otp", Some(sms)).await, 400).contains("not enabled"));
        let r = v.post(&srv, "/verifyuser", c.with(json!({ "username": ADMIN, "otp": "000000" }))).await;
        assert_eq!(error(&r, 400), "\"otp\" is not valid");
        let r = v.post(&srv, "/verifyuser", c.with(json!({ "username": ADMIN, "otp": code }))).await;
        assert_eq!(r.status, 200, "{}", r.text());
        assert!(r.json()["jwt_token"].is_string());
        // The code works once.
        let r = v.post(&srv, "/authenticate", c.with(json!({ "user_token": token, "passcode": code }))).await;
        assert_eq!(error(&r, 400), "\"otp\" is not valid");
        // Without the password step, a code alone does not sign anyone in.
        let r = v.post(&srv, "/verifyuser", c.with(json!({ "username": ADMIN, "otp": code }))).await;
        assert_eq!(error(&r, 401), "Invalid username or password");
        // The spent code was the first wrong one since the success; a second reaches
        // otpMaxAttempts (2): the account is locked for lockDurationMinutes.
        let token = sign_in(&srv, &c, ADMIN, ADMIN_PASSWORD).await.json()["user_token"].as_str().unwrap().to_string();
        let r = v.post(&srv, "/authenticate", c.with(json!({ "user_token": token, "passcode": "111111" }))).await;
        assert_eq!(error(&r, 400), "\"otp\" is not valid");
        let r = v.post(&srv, "/authenticate", c.with(json!({ "user_token": token, "passcode": "222222" }))).await;
        assert_eq!(error(&r, 401), "User is locked");
        let r = sign_in(&srv, &c, ADMIN, ADMIN_PASSWORD).await;
        assert_eq!(error(&r, 401), "User is locked");
        let r = v.post(&srv, "/authenticate", c.with(json!({ "user_token": "forged", "passcode": "1" }))).await;
        assert_eq!(error(&r, 401), "Invalid or expired user_token");
        let locked = srv.stored_texts("SELECT action FROM audit_log WHERE action = 'E_USER_LOCKED'").await;
        assert_eq!(locked.len(), 1);
    }
}

crate::both!(users_of_other_faces_sign_in_here_as_basic_users, |srv: TestServer| async move {
    let company = srv.company("Cross Ltd").await;
    let tenant = keyhall_types::TenantId::parse(&company.id).unwrap();
    let done = srv
        .running
        .core
        .adminx()
        .init(InitInput {
            dns: "cross.example.com".into(),
            community: "people".into(),
            username: ADMIN.into(),
            email: "root@cross.example.com".into(),
            password: ADMIN_PASSWORD.into(),
            tenant: Some(tenant),
        })
        .await
        .unwrap();
    assert_eq!(done.tenant.id, tenant, "made inside the company");
    // A user made through Comet after the community exists.
    let form = [("target_contact_name", "Dana Ops"), ("target_email", "dana@example.com"), ("target_password", "Dana-Pass1")];
    srv.post("/api/v1/user/create_user", &company.token, &form).await.data();
    let c = Community {
        dns: "cross.example.com".into(),
        tenant_id: company.id.clone(),
        community_id: done.community.id.to_string(),
        module_id: done.module.id.to_string(),
        admin_uid: done.admin.user.id.to_string(),
        license_key: done.license_key.expose().clone(),
        admin: Vendor::new(&srv).await,
    };
    let r = sign_in(&srv, &c, "dana@example.com", "Dana-Pass1").await;
    assert_eq!(r.status, 200, "{}", r.text());
    let j = r.json();
    assert_eq!((j["user"]["role"].as_str(), j["user"]["firstname"].as_str()), (Some("basic"), Some("Dana")));
    // The company's owner, made before the community, is its tenant_admin.
    let r = sign_in(&srv, &c, &company.email, crate::harness::OWNER_PASSWORD).await;
    assert_eq!(r.json()["user"]["role"], "tenant_admin", "{}", r.text());
    // A basic user is refused what administrators may do.
    let mut dana = Vendor::new(&srv).await;
    dana.jwt = j["jwt_token"].as_str().map(str::to_string);
    for (method, path) in [(Method::GET, "/config/authentication/mfa_settings"), (Method::POST, "/auth_modules/fetch")] {
        let r = dana.call(&srv, method, path, Some(json!({}))).await;
        assert_eq!(error(&r, 403), "You are not authorized to perform this action", "{path}");
    }
    // But may list the role names.
    assert_eq!(dana.open(&dana.call(&srv, Method::GET, "/authz/role/fetch", None).await)[3], "basic");
});
