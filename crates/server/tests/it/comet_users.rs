//! Users: create, list, patch, delete, change password, account settings.

use keyhall_types::{TenantId, UserId};
use serde_json::Value;

use crate::both;
use crate::harness::{Company, OWNER_PASSWORD, TestServer};

const USER_FIELDS: [&str; 10] = [
    "id",
    "contact_name",
    "email",
    "created_at",
    "is_primary_contact",
    "is_technical",
    "is_billing",
    "is_webpros",
    "email_verified",
    "twofa_required",
];

async fn password_ok(srv: &TestServer, c: &Company, user_id: &str, password: &str) -> bool {
    let tenant = TenantId::parse(&c.id).unwrap();
    let user = srv.running.core.identity().find_user(tenant, user_id).await.unwrap();
    srv.running.core.credentials().check_password(user.as_ref(), password).await.unwrap()
}

async fn create(srv: &TestServer, c: &Company, email: &str) -> Value {
    srv.post(
        "/api/v1/user/create_user",
        &c.token,
        &[
            ("target_contact_name", "Dana Ops"),
            ("target_email", email),
            ("target_password", "Dana-Pass1"),
            ("target_is_billing", "true"),
        ],
    )
    .await
    .data()
}

both!(create_list_and_validation, |srv: TestServer| async move {
    let c = srv.company("Users Ltd").await;
    let u = create(&srv, &c, "Dana@Example.com").await;
    assert_eq!(u.as_object().unwrap().len(), USER_FIELDS.len());
    for f in USER_FIELDS {
        assert!(u.get(f).is_some(), "{f}");
    }
    assert_eq!(u["email"], "dana@example.com");
    assert_eq!(u["is_billing"], true);
    assert_eq!(u["is_technical"], false);
    assert_eq!(u["is_primary_contact"], false);
    assert!(password_ok(&srv, &c, u["id"].as_str().unwrap(), "Dana-Pass1").await);
    let list = srv.post("/api/v1/user/list_company_users", &c.token, &[]).await.data();
    let emails: Vec<&str> = list.as_array().unwrap().iter().map(|u| u["email"].as_str().unwrap()).collect();
    assert_eq!(emails, [c.email.as_str(), "dana@example.com"]);
    assert_eq!(list[0]["is_primary_contact"], true);

    let before = srv.snapshot(&c).await;
    let good = [("target_contact_name", "X"), ("target_email", "x@example.com"), ("target_password", "Good-Pass1")];
    for (field, value, expect) in [
        ("target_password", "short1A", "at least 8 characters"),
        ("target_password", "alllowercase1", "uppercase"),
        ("target_password", "ALLUPPERCASE1", "lowercase"),
        ("target_password", "NoDigitsHere", "number"),
        ("target_email", "not-an-email", "target_email"),
        ("target_email", "DANA@example.com", "already exists"),
    ] {
        let mut form: Vec<(&str, &str)> = good.iter().copied().filter(|(k, _)| *k != field).collect();
        form.push((field, value));
        let msg = srv.post("/api/v1/user/create_user", &c.token, &form).await.error(400);
        assert!(msg.contains(field) && msg.contains(expect), "{field}={value}: {msg}");
    }
    assert_eq!(before, srv.snapshot(&c).await);
    // Other companies may use the same address.
    let other = srv.company("Other").await;
    create(&srv, &other, "dana@example.com").await;
});

both!(patch_and_delete, |srv: TestServer| async move {
    let c = srv.company("Patch Ltd").await;
    let u = create(&srv, &c, "erin@example.com").await;
    let id = u["id"].as_str().unwrap();
    let p = srv
        .post(
            "/api/v1/user/patch_user",
            &c.token,
            &[
                ("target_id", id),
                ("target_contact_name", "Erin Q"),
                ("target_email", "erin.q@example.com"),
                ("target_is_technical", "true"),
                ("target_password", "Erin-New-Pass2"),
            ],
        )
        .await
        .data();
    assert_eq!((p["contact_name"].as_str(), p["email"].as_str()), (Some("Erin Q"), Some("erin.q@example.com")));
    assert_eq!((p["is_technical"].as_bool(), p["is_billing"].as_bool()), (Some(true), Some(true)), "untouched fields stay");
    assert!(password_ok(&srv, &c, id, "Erin-New-Pass2").await);
    assert!(!password_ok(&srv, &c, id, "Dana-Pass1").await);
    let before = srv.snapshot(&c).await;
    let r = srv.post("/api/v1/user/patch_user", &c.token, &[("target_id", id), ("target_password", "weak")]).await;
    assert!(r.error(400).contains("target_password"));
    let r = srv.post("/api/v1/user/patch_user", &c.token, &[("target_id", id), ("target_email", c.email.as_str())]).await;
    assert!(r.error(400).contains("target_email"));
    let r = srv.post("/api/v1/user/patch_user", &c.token, &[("target_id", &UserId::new().to_string())]).await;
    assert!(r.error(404).contains("target_id"));
    let r = srv.post("/api/v1/user/delete_user", &c.token, &[("target_id", &c.user_id)]).await;
    assert!(r.error(400).contains("primary contact"));
    let r = srv.post("/api/v1/user/delete_user", &c.token, &[("target_id", "garbage")]).await;
    assert_eq!(r.status, 404);
    assert_eq!(before, srv.snapshot(&c).await);

    // A deleted user's tokens stop working.
    let operator = srv.running.core.auth().operator(TenantId::parse(&c.id).unwrap());
    let issued = srv
        .running
        .core
        .auth()
        .issue_token_to(
            &operator,
            UserId::parse(id).unwrap(),
            &["License::ListLicenses".to_string()],
            keyhall_core::comet::actions::ALL,
        )
        .await
        .unwrap();
    let user_token = issued.secret.expose().clone();
    assert_eq!(srv.post("/api/v1/license/list_licenses", &user_token, &[]).await.status, 200);
    assert_eq!(srv.post("/api/v1/user/delete_user", &c.token, &[("target_id", id)]).await.data(), Value::Null);
    assert_eq!(srv.post("/api/v1/license/list_licenses", &user_token, &[]).await.status, 401);
    let r = srv.post("/api/v1/user/delete_user", &c.token, &[("target_id", id)]).await;
    assert!(r.error(404).contains("target_id"));
    let list = srv.post("/api/v1/user/list_company_users", &c.token, &[]).await.data();
    assert_eq!(list.as_array().unwrap().len(), 1);
});

both!(change_own_password, |srv: TestServer| async move {
    let c = srv.company("Password Ltd").await;
    assert!(password_ok(&srv, &c, &c.user_id, OWNER_PASSWORD).await);
    assert_eq!(srv.post("/api/v1/user/change-password", &c.token, &[("new_password", "Brand-New-Pass9")]).await.data(), "OK");
    assert!(password_ok(&srv, &c, &c.user_id, "Brand-New-Pass9").await);
    assert!(!password_ok(&srv, &c, &c.user_id, OWNER_PASSWORD).await);
    let msg = srv.post("/api/v1/user/change-password", &c.token, &[("new_password", "password")]).await.error(400);
    assert!(msg.contains("new_password") && msg.contains("uppercase"), "{msg}");
    assert!(password_ok(&srv, &c, &c.user_id, "Brand-New-Pass9").await);
});

both!(account_settings_round_trip, |srv: TestServer| async move {
    let c = srv.company("Settings Ltd").await;
    let got = srv.post("/api/v1/user/account-settings/get", &c.token, &[]).await.data();
    assert_eq!(got["company_name"], "Settings Ltd");
    assert_eq!(got["user_email"], c.email.as_str());
    assert_eq!(got.as_object().unwrap().len(), 12);
    let set = [
        ("user_contact_name", "Olive Owner"),
        ("user_email", "olive@settings.example"),
        ("user_is_2fa_required", "true"),
        ("user_notifications_is_technical", "false"),
        ("user_notifications_is_billing", "true"),
        ("user_notifications_email_weekly_usage", "true"),
        ("company_name", "Settings Limited"),
        ("company_phone_number", "+44 20 7946 0000"),
        ("company_address_street", "1 High Street"),
        ("company_address_city", "London"),
        ("company_address_postcode", "EC1A 1AA"),
        ("company_address_country", "gb"),
    ];
    assert_eq!(srv.post("/api/v1/user/account-settings/set", &c.token, &set).await.data(), "OK");
    let got = srv.post("/api/v1/user/account-settings/get", &c.token, &[]).await.data();
    for (k, v) in set {
        let expected = match (k, v) {
            ("company_address_country", _) => Value::from("GB"),
            (_, "true") => Value::Bool(true),
            (_, "false") => Value::Bool(false),
            _ => Value::from(v),
        };
        assert_eq!(got[k], expected, "{k}");
    }
    // Setting what Get returned changes nothing.
    let before = srv.snapshot(&c).await;
    let echo: Vec<(String, String)> = got
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string())))
        .collect();
    let echo: Vec<(&str, &str)> = echo.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    srv.post("/api/v1/user/account-settings/set", &c.token, &echo).await.data();
    let mut after = srv.snapshot(&c).await;
    let mut before = before;
    // The echo is itself an audited write; everything else is identical.
    after["audit"] = Value::Null;
    before["audit"] = Value::Null;
    assert_eq!(before, after);
    let before = srv.snapshot(&c).await;
    for (field, value) in [("company_address_country", "Narnia"), ("company_phone_number", "call me"), ("user_email", "nope")] {
        let mut bad: Vec<(&str, &str)> = set.iter().copied().filter(|(k, _)| *k != field).collect();
        bad.push((field, value));
        assert!(srv.post("/api/v1/user/account-settings/set", &c.token, &bad).await.error(400).contains(field));
    }
    assert_eq!(before, srv.snapshot(&c).await);
});

both!(verification_email_is_requested, |srv: TestServer| async move {
    let c = srv.company("Verify Ltd").await;
    let r = srv
        .post(
            "/api/v1/user/create_user",
            &c.token,
            &[
                ("target_contact_name", "V"),
                ("target_email", "v@example.com"),
                ("target_password", "Verify-Pass1"),
                ("send_verification_email", "true"),
            ],
        )
        .await
        .data();
    assert_eq!(r["email_verified"], false);
    let audit = srv
        .running
        .core
        .audit()
        .log(&keyhall_core::audit::AuditQuery {
            tenant_id: TenantId::parse(&c.id),
            action_prefix: Some("user.email_verification".into()),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0].target_id.as_deref(), r["id"].as_str());
});
