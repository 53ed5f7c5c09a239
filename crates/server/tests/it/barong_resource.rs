//! The resource API of a signed-in user, sign-in protection, and the identity shared with the
//! Comet face.

use reqwest::Method;
use serde_json::json;

use crate::barong;
use crate::barong_authorize::totp;
use crate::barong_client::*;
use crate::harness::TestServer;
use crate::smtp_sink::SmtpSink;

barong!(account_labels_and_activity, |srv: TestServer, sink: SmtpSink| async move {
    let mut b = active_member(&srv, &sink, "me@example.com").await;
    let bearer = b.bearer(&srv).await;
    // Case 44 and a valid update.
    assert_errors(
        &resource(&srv, &bearer, Method::PUT, "/users/me", Some(json!({ "data": "not json" }))).await,
        422,
        &["data.invalid_format"],
    );
    let r = resource(&srv, &bearer, Method::PUT, "/users/me", Some(json!({ "data": "{\"lang\":\"en\"}" }))).await;
    assert_eq!((r.status, r.json()["data"].as_str()), (200, Some("{\"lang\":\"en\"}")));
    // Case 53: labels.
    let r = resource(&srv, &bearer, Method::POST, "/labels", Some(json!({ "key": "Color", "value": "green" }))).await;
    assert_eq!((r.status, r.json()["key"].as_str(), r.json()["scope"].as_str()), (201, Some("color"), Some("public")));
    let r = resource(&srv, &bearer, Method::POST, "/labels", Some(json!({ "key": "color", "value": "red" }))).await;
    assert!(r.status == 422 && errors(&r).contains(&"key.taken".to_string()), "{}", r.text());
    assert_errors(
        &resource(&srv, &bearer, Method::POST, "/labels", Some(json!({ "key": "x", "value": "y" }))).await,
        422,
        &["key.too_short"],
    );
    assert_errors(
        &resource(&srv, &bearer, Method::POST, "/labels", Some(json!({}))).await,
        422,
        &["resource.label.missing_key", "resource.label.empty_key", "resource.label.missing_value", "resource.label.empty_value"],
    );
    assert_eq!(
        resource(&srv, &bearer, Method::PATCH, "/labels/color", Some(json!({ "value": "blue" }))).await.json()["value"],
        "blue"
    );
    assert_errors(
        &resource(&srv, &bearer, Method::PATCH, "/labels/email", Some(json!({ "value": "x-y-z" }))).await,
        400,
        &["resource.labels.private"],
    );
    assert_errors(&resource(&srv, &bearer, Method::DELETE, "/labels/email", None).await, 400, &["resource.labels.private"]);
    assert_errors(&resource(&srv, &bearer, Method::GET, "/labels/blah", None).await, 404, &["record.not_found"]);
    assert_eq!(resource(&srv, &bearer, Method::GET, "/labels/color", None).await.json()["value"], "blue");
    let all = resource(&srv, &bearer, Method::GET, "/labels", None).await.json();
    assert_eq!(all.as_array().unwrap().len(), 2, "email=verified and color");
    assert_eq!(resource(&srv, &bearer, Method::DELETE, "/labels/color", None).await.status, 204);
    // Case 46: activity.
    assert_errors(
        &resource(&srv, &bearer, Method::GET, "/users/activity/invalid", None).await,
        422,
        &["resource.user.wrong_topic"],
    );
    assert_errors(&resource(&srv, &bearer, Method::GET, "/users/activity/otp", None).await, 422, &["resource.user.no_activity"]);
    let sessions = resource(&srv, &bearer, Method::GET, "/users/activity/session", None).await.json();
    assert!(sessions.as_array().unwrap().iter().all(|a| a["topic"] == "session"));
    assert!(sessions[0]["user_agent"].as_str().unwrap().contains("keyhall-tests"));
    let everything = resource(&srv, &bearer, Method::GET, "/users/activity/all?limit=2", None).await.json();
    assert_eq!(everything.as_array().unwrap().len(), 2);
    assert_errors(&resource(&srv, &bearer, Method::GET, "/users/activity/all?page=0", None).await, 422, &["non_positive_page"]);
});

barong!(password_change_and_account_deletion, |srv: TestServer, sink: SmtpSink| async move {
    let mut b = active_member(&srv, &sink, "pw@example.com").await;
    let bearer = b.bearer(&srv).await;
    // Case 47.
    assert_errors(
        &resource(
            &srv,
            &bearer,
            Method::PUT,
            "/users/password",
            Some(json!({ "old_password": "", "new_password": "", "confirm_password": "" })),
        )
        .await,
        422,
        &["resource.user.empty_old_password", "resource.user.empty_new_password", "resource.user.empty_confirm_password"],
    );
    let change =
        |old: &str, new: &str, confirm: &str| json!({ "old_password": old, "new_password": new, "confirm_password": confirm });
    assert_errors(
        &resource(&srv, &bearer, Method::PUT, "/users/password", Some(change("Wrong-Pass1", "Tecohvi0", "Tecohvi0"))).await,
        400,
        &["resource.password.prev_pass_not_correct"],
    );
    assert_errors(
        &resource(&srv, &bearer, Method::PUT, "/users/password", Some(change(STRONG, "Tecohvi0", "ZahSh8ei"))).await,
        422,
        &["resource.password.doesnt_match"],
    );
    assert_errors(
        &resource(&srv, &bearer, Method::PUT, "/users/password", Some(change(STRONG, "weak", "weak"))).await,
        422,
        &["password.requirements"],
    );
    assert_eq!(
        resource(&srv, &bearer, Method::PUT, "/users/password", Some(change(STRONG, "Tecohvi0", "Tecohvi0"))).await.status,
        201
    );
    let mut again = Browser::new();
    assert_eq!(
        again.post(&srv, &format!("{ID}/sessions"), json!({ "email": "pw@example.com", "password": "Tecohvi0" })).await.status,
        200
    );
    // Case 45: deleting the account needs the password, and a code when 2FA is on.
    let bearer = again.bearer(&srv).await;
    assert_errors(
        &resource(&srv, &bearer, Method::DELETE, "/users/me", Some(json!({ "password": "nope" }))).await,
        422,
        &["resource.user.invalid_password"],
    );
    let r = resource(&srv, &bearer, Method::POST, "/otp/generate_qrcode", None).await;
    let url = r.json()["data"]["url"].as_str().unwrap().to_string();
    assert!(url.starts_with("otpauth://totp/keyhall:pw@example.com?secret="));
    use base64::Engine;
    let png = base64::engine::general_purpose::STANDARD.decode(r.json()["data"]["barcode"].as_str().unwrap()).unwrap();
    assert_eq!(&png[..4], b"\x89PNG");
    let secret = url.split("secret=").nth(1).unwrap().split('&').next().unwrap().to_string();
    // Case 48: a wrong code changes nothing; a right one enables 2FA (label otp=enabled).
    assert_errors(
        &resource(&srv, &bearer, Method::POST, "/otp/disable", Some(json!({ "code": "123456" }))).await,
        400,
        &["resource.otp.not_enabled"],
    );
    let wrong = if totp(&secret, 0) == "000000" { "111111" } else { "000000" };
    assert_errors(
        &resource(&srv, &bearer, Method::POST, "/otp/enable", Some(json!({ "code": wrong }))).await,
        422,
        &["resource.otp.invalid"],
    );
    assert_eq!(resource(&srv, &bearer, Method::GET, "/users/me", None).await.json()["otp"], false);
    assert_eq!(resource(&srv, &bearer, Method::POST, "/otp/enable", Some(json!({ "code": totp(&secret, 0) }))).await.status, 201);
    let me = resource(&srv, &bearer, Method::GET, "/users/me", None).await.json();
    assert_eq!(me["otp"], true);
    assert!(me["labels"].as_array().unwrap().iter().any(|l| l["key"] == "otp" && l["value"] == "enabled"));
    assert_errors(
        &resource(&srv, &bearer, Method::POST, "/otp/generate_qrcode", None).await,
        400,
        &["resource.otp.already_enabled"],
    );
    assert_errors(
        &resource(&srv, &bearer, Method::DELETE, "/users/me", Some(json!({ "password": "Tecohvi0" }))).await,
        422,
        &["resource.user.missing_otp_code"],
    );
    assert_errors(
        &resource(&srv, &bearer, Method::DELETE, "/users/me", Some(json!({ "password": "Tecohvi0", "otp_code": "" }))).await,
        422,
        &["resource.user.empty_otp_code"],
    );
    assert_errors(
        &resource(&srv, &bearer, Method::DELETE, "/users/me", Some(json!({ "password": "Tecohvi0", "otp_code": wrong }))).await,
        422,
        &["resource.user.invalid_otp"],
    );
    let r = resource(
        &srv,
        &bearer,
        Method::DELETE,
        "/users/me",
        Some(json!({ "password": "Tecohvi0", "otp_code": totp(&secret, 1) })),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    // The account is deleted: sign-in refuses it.
    let r =
        Browser::new().post(&srv, &format!("{ID}/sessions"), json!({ "email": "pw@example.com", "password": "Tecohvi0" })).await;
    assert_errors(&r, 401, &["identity.session.deleted"]);
});

barong!(login_needs_the_second_factor, |srv: TestServer, sink: SmtpSink| async move {
    let mut b = active_member(&srv, &sink, "otp@example.com").await;
    let bearer = b.bearer(&srv).await;
    let r = resource(&srv, &bearer, Method::POST, "/otp/generate_qrcode", None).await;
    let url = r.json()["data"]["url"].as_str().unwrap().to_string();
    let secret = url.split("secret=").nth(1).unwrap().split('&').next().unwrap().to_string();
    resource(&srv, &bearer, Method::POST, "/otp/enable", Some(json!({ "code": totp(&secret, 0) }))).await;
    let login = format!("{ID}/sessions");
    let mut c = Browser::new();
    assert_errors(
        &c.post(&srv, &login, json!({ "email": "otp@example.com", "password": STRONG })).await,
        401,
        &["identity.session.missing_otp"],
    );
    assert_errors(
        &c.post(&srv, &login, json!({ "email": "otp@example.com", "password": STRONG, "otp_code": totp(&secret, 0) })).await,
        403,
        &["identity.session.invalid_otp"],
    );
    assert_eq!(
        c.post(&srv, &login, json!({ "email": "otp@example.com", "password": STRONG, "otp_code": totp(&secret, 1) }))
            .await
            .status,
        200
    );
});

barong!(brute_force_is_capped_even_when_concurrent, |srv: TestServer, sink: SmtpSink| async move {
    active_member(&srv, &sink, "target@example.com").await;
    let url = srv.url(&format!("{ID}/sessions"));
    let mut tasks = Vec::new();
    for i in 0..20 {
        let (client, url) = (srv.client.clone(), url.clone());
        tasks.push(tokio::spawn(async move {
            let r = client
                .post(url)
                .header("user-agent", "attacker")
                .header("x-forwarded-for", format!("10.0.{}.1", i))
                .json(&json!({ "email": "target@example.com", "password": format!("Guess-{i}-Pass") }))
                .send()
                .await
                .unwrap();
            let status = r.status().as_u16();
            let retry_after = r.headers().get("retry-after").is_some();
            let body: serde_json::Value = r.json().await.unwrap();
            (status, body["errors"][0].as_str().unwrap().to_string(), retry_after)
        }));
    }
    let mut checked = 0;
    let mut locked = 0;
    for t in tasks {
        let (status, error, retry_after) = t.await.unwrap();
        match (status, error.as_str()) {
            (401, "identity.session.invalid_params") => checked += 1,
            (429, "identity.session.too_many_attempts") => {
                assert!(retry_after);
                locked += 1;
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!((checked, locked), (5, 15), "at most the limit of 5 passwords was checked");
    // Locked: even the right password waits.
    let r =
        Browser::new().post(&srv, &format!("{ID}/sessions"), json!({ "email": "target@example.com", "password": STRONG })).await;
    assert_errors(&r, 429, &["identity.session.too_many_attempts"]);
    // Only the checked attempts are in the audit log.
    let tenant = srv
        .running
        .core
        .identity()
        .user_by_email(keyhall_types::TenantId::parse(&srv.barong_tenant().await).unwrap(), "target@example.com")
        .await
        .unwrap()
        .unwrap();
    let failures = srv
        .running
        .core
        .audit()
        .log(&keyhall_core::audit::AuditQuery {
            target_id: Some(tenant.id.to_string()),
            action_prefix: Some("session.login_failed".into()),
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(failures.len(), 5);
});

barong!(banned_users_are_refused, |srv: TestServer, sink: SmtpSink| async move {
    let mut b = active_member(&srv, &sink, "ban@example.com").await;
    assert_eq!(b.authorize(&srv, Method::GET, PERMITTED, false).await.status, 200);
    let tenant = keyhall_types::TenantId::parse(&srv.barong_tenant().await).unwrap();
    let core = &srv.running.core;
    let user = core.identity().user_by_email(tenant, "ban@example.com").await.unwrap().unwrap();
    core.identity().set_private_label(&core.auth().operator(tenant), &user, "ban", Some("fraud")).await.unwrap();
    // Case 30 and case 4 (the cached session expires within seconds).
    srv.eventually("the ban reaches authorize", || {
        let mut b = b.clone();
        let srv = &srv;
        async move {
            let r = b.authorize(srv, Method::GET, PERMITTED, false).await;
            r.status == 401 && errors(&r) == ["authz.user_not_active"]
        }
    })
    .await;
    let r = Browser::new().post(&srv, &format!("{ID}/sessions"), json!({ "email": "ban@example.com", "password": STRONG })).await;
    assert_errors(&r, 401, &["identity.session.banned"]);
});

barong!(data_storage, |srv: TestServer, sink: SmtpSink| async move {
    let mut b = active_member(&srv, &sink, "store@example.com").await;
    let bearer = b.bearer(&srv).await;
    // Case 52.
    let post = |title: &str, data: &str| json!({ "title": title, "data": data });
    assert_errors(
        &resource(&srv, &bearer, Method::POST, "/data_storage", Some(post("personal", "not json"))).await,
        422,
        &["data.invalid_format"],
    );
    assert_errors(
        &resource(&srv, &bearer, Method::POST, "/data_storage", Some(post("hobbies", "{}"))).await,
        422,
        &["title.inclusion"],
    );
    assert_errors(
        &resource(&srv, &bearer, Method::POST, "/data_storage", Some(post("user", "{}"))).await,
        422,
        &["title.exclusion"],
    );
    assert_errors(
        &resource(&srv, &bearer, Method::POST, "/data_storage", Some(json!({}))).await,
        422,
        &[
            "resource.data_storage.missing_title",
            "resource.data_storage.empty_title",
            "resource.data_storage.missing_data",
            "resource.data_storage.empty_data",
        ],
    );
    let r = resource(&srv, &bearer, Method::POST, "/data_storage", Some(post("personal", "{\"city\":\"Kyiv\"}"))).await;
    assert_eq!((r.status, r.body.len()), (201, 0));
    assert_errors(
        &resource(&srv, &bearer, Method::POST, "/data_storage", Some(post("personal", "{}"))).await,
        422,
        &["title.taken"],
    );
    let me = resource(&srv, &bearer, Method::GET, "/users/me", None).await.json();
    assert_eq!(me["data_storages"][0]["title"], "personal");
    assert_eq!(me["data_storages"][0]["data"], "{\"city\":\"Kyiv\"}");
    assert!(
        me["labels"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["key"] == "personal" && l["value"] == "recorded" && l["scope"] == "private")
    );
});

barong!(every_resource_endpoint_needs_a_valid_bearer, |srv: TestServer, _sink: SmtpSink| async move {
    // Every operation the swagger document describes (so the document names only routed paths).
    let endpoints: Vec<(Method, String)> = keyhall_face_barong::RESOURCE_OPERATIONS
        .iter()
        .map(|op| {
            let path = op.path.replace("{topic}", "all").replace("{key}", "x").replace("{kid}", "0123456789abcdef");
            (Method::from_bytes(op.method.to_ascii_uppercase().as_bytes()).unwrap(), path)
        })
        .collect();
    assert_eq!(endpoints.len(), 34);
    // A token signed by a key keyhall does not know, and one whose subject is not a session.
    let stranger = keyhall_crypto::jwt::JwtSigner::generate(keyhall_crypto::jwt::Algorithm::Es256).unwrap();
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let forged =
        format!("Bearer {}", stranger.sign(&json!({ "uid": "ID0000000000", "sub": "session", "exp": now + 60, "jti": "x" })));
    for (method, path) in endpoints {
        let r = TestServer::send(srv.client.request(method.clone(), srv.url(&format!("{RES}{path}"))).json(&json!({}))).await;
        assert_errors(&r, 401, &["jwt.decode_and_verify"]);
        assert_errors(&resource(&srv, &forged, method.clone(), &path, Some(json!({}))).await, 401, &["jwt.decode_and_verify"]);
        assert_errors(&resource(&srv, "Token abc", method, &path, Some(json!({}))).await, 401, &["jwt.decode_and_verify"]);
    }
});

barong!(swagger_doc_describes_the_resource_api, |srv: TestServer, _sink: SmtpSink| async move {
    let r = TestServer::send(srv.client.get(srv.url(&format!("{RES}/swagger_doc")))).await;
    assert_eq!((r.status, r.headers["access-control-allow-origin"].to_str().unwrap()), (200, "*"));
    let doc = r.json();
    assert_eq!((doc["swagger"].as_str(), doc["info"]["title"].as_str()), (Some("2.0"), Some("API title")));
    assert_eq!(doc["basePath"], RES);
    assert_eq!(doc["securityDefinitions"]["BearerToken"]["name"], "Authorization");
    let paths = doc["paths"].as_object().unwrap();
    let operations: usize = paths.values().map(|p| p.as_object().unwrap().len()).sum();
    assert_eq!(operations, 34);
    let upload = &paths["/documents"]["post"];
    assert_eq!(upload["consumes"], json!(["multipart/form-data"]));
    let params = upload["parameters"].as_array().unwrap();
    assert!(params.iter().any(|p| p["name"] == "upload" && p["type"] == "file" && p["required"] == true));
    assert!(params.iter().any(|p| p["name"] == "doc_expire" && p["format"] == "date" && p["in"] == "formData"));
    assert_eq!(
        paths["/labels/{key}"]["delete"]["parameters"][0],
        json!({ "in": "path", "name": "key", "required": true, "type": "string" })
    );
    let phones = TestServer::send(srv.client.get(srv.url(&format!("{RES}/swagger_doc/phones")))).await.json();
    let mut only: Vec<&String> = phones["paths"].as_object().unwrap().keys().collect();
    only.sort();
    assert_eq!(only, ["/phones", "/phones/send_code", "/phones/verify"]);
    assert_eq!(phones["tags"], json!([{ "name": "phones", "description": "Operations about phones" }]));
    let r = TestServer::send(srv.client.get(srv.url(&format!("{RES}/swagger_doc/nothing")))).await;
    assert_eq!((r.status, r.json()), (400, json!({ "error": "named resource not exist" })));
});
