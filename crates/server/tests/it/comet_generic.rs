//! The failure classes every Comet endpoint shares, checked for all 50 endpoints from the
//! face's own endpoint table: wrong method, no or bad credentials, a token without the
//! endpoint's Token Action, each required parameter missing, malformed booleans and numbers —
//! and afterwards, that none of these requests changed anything.

use keyhall_face_comet::ENDPOINTS;

use crate::both;
use crate::harness::{Company, Resp, TestServer};

/// A well-formed value for a parameter, so that a request fails only for the reason a test
/// introduces.
fn valid_value(param: &keyhall_face_comet::Param, serial: &str, hosted: &str, user: &str) -> String {
    match param.kind {
        keyhall_face_comet::Kind::Bool => return "true".into(),
        keyhall_face_comet::Kind::Number => return "1".into(),
        _ => {}
    }
    match param.name {
        "serial" | "target_serial" => serial.into(),
        "target_hosted_server_id" | "hosted_server_id" => hosted.into(),
        "target_id" => user.into(),
        "version_key" => "latest-voyager".into(),
        "platform" => "download_windows".into(),
        "target_region" | "region" => "us-east-1".into(),
        "target_email_send_as" | "target_email" | "user_email" => "ops@example.com".into(),
        "target_storage_type" => "none".into(),
        "target_email_delivery_method" => "ses".into(),
        "totp_secret" => "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP".into(),
        "totp_verify_code" => "123456".into(),
        "webauthn_challenge_response" => "{}".into(),
        "permissions" => "License::ListLicenses".into(),
        "company_address_country" => "US".into(),
        "company_phone_number" => "+1 555 0100".into(),
        "target_password" | "new_password" => "Another-Pass1".into(),
        "format" => "json".into(),
        _ => "Some value".into(),
    }
}

fn assert_error(r: &Resp, json: bool, status: u16) -> String {
    assert_eq!(r.status, status, "expected {status}: {}", r.text());
    if json {
        assert!(r.content_type().starts_with("application/json"), "content type {}", r.content_type());
        r.error(status)
    } else {
        assert!(r.content_type().starts_with("text/plain"), "content type {}", r.content_type());
        r.text()
    }
}

async fn fixtures(srv: &TestServer, c: &Company) -> (String, String, String) {
    let serial =
        srv.post("/api/v1/license/create_license", &c.token, &[]).await.data()["serial_number"].as_str().unwrap().to_string();
    let hosted = srv
        .post(
            "/api/v1/hosted_comet/create",
            &c.token,
            &[
                ("target_region", "us-east-1"),
                ("target_email_send_as", "a@example.com"),
                ("target_email_from", "A"),
                ("target_storage_type", "none"),
            ],
        )
        .await
        .data()
        .as_str()
        .unwrap()
        .to_string();
    let user = srv
        .post(
            "/api/v1/user/create_user",
            &c.token,
            &[("target_contact_name", "U"), ("target_email", "u@example.com"), ("target_password", "User-Pass1")],
        )
        .await
        .data()["id"]
        .as_str()
        .unwrap()
        .to_string();
    (serial, hosted, user)
}

both!(every_endpoint_rejects_bad_requests_and_changes_nothing, |srv: TestServer| async move {
    let c = srv.company("Generic Ltd").await;
    let (serial, hosted, user) = fixtures(&srv, &c).await;
    let reader = srv.token_with(&c, &["Token::ListActions"]).await;
    let other = srv.token_with(&c, &["License::ListLicenses"]).await;
    let before = srv.snapshot(&c).await;

    for e in ENDPOINTS {
        let json = e.encoding == keyhall_face_comet::Encoding::Json;
        let valid: Vec<(String, String)> =
            e.params.iter().map(|p| (p.name.to_string(), valid_value(p, &serial, &hosted, &user))).collect();
        let form: Vec<(&str, &str)> = valid.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();

        // Wrong method.
        let r = TestServer::send(srv.client.get(srv.url(e.path)).bearer_auth(&c.token)).await;
        assert_error(&r, json, 405);
        assert_eq!(r.headers.get("allow").unwrap(), "POST", "{}", e.name);

        // No credentials, unknown token, malformed header.
        let r = srv.post_anonymous(e.path, &form).await;
        assert!(assert_error(&r, json, 401).contains("Authentication required"), "{}", e.name);
        let r = srv.post(e.path, "kh_not-a-real-token-000000000000000000000000", &form).await;
        assert!(assert_error(&r, json, 401).contains("Invalid or revoked API token"), "{}", e.name);
        let r =
            TestServer::send(srv.client.post(srv.url(e.path)).header("authorization", format!("Basic {}", c.token)).form(&form))
                .await;
        assert_error(&r, json, 401);

        // Body authentication needs auth_type=token.
        let mut body = vec![("token", c.token.as_str())];
        body.extend_from_slice(&form);
        let r = srv.post_anonymous(e.path, &body).await;
        assert!(assert_error(&r, json, 400).contains("auth_type"), "{}", e.name);
        let mut body = vec![("auth_type", "password"), ("token", c.token.as_str())];
        body.extend_from_slice(&form);
        let r = srv.post_anonymous(e.path, &body).await;
        assert!(assert_error(&r, json, 400).contains("auth_type"), "{}", e.name);

        // A valid token without this endpoint's Token Action.
        let lacking = if e.action == "Token::ListActions" { &other } else { &reader };
        let r = srv.post(e.path, lacking, &form).await;
        assert_eq!(assert_error(&r, json, 401), "You do not have access to this resource.", "{}", e.name);

        // Each required parameter missing, then present but empty.
        for p in e.params.iter().filter(|p| p.required) {
            let without: Vec<(&str, &str)> = form.iter().copied().filter(|(k, _)| *k != p.name).collect();
            let r = srv.post(e.path, &c.token, &without).await;
            let msg = assert_error(&r, json, 400);
            assert!(msg.contains(p.name) && msg.contains("Missing"), "{}: {msg}", e.name);
            let mut empty = without.clone();
            empty.push((p.name, ""));
            let r = srv.post(e.path, &c.token, &empty).await;
            assert!(assert_error(&r, json, 400).contains(p.name), "{}", e.name);
        }

        // Malformed booleans and numbers.
        for p in e.params {
            let bad = match p.kind {
                keyhall_face_comet::Kind::Bool => "maybe",
                keyhall_face_comet::Kind::Number => "twelve",
                _ => continue,
            };
            let mut with_bad: Vec<(&str, &str)> = form.iter().copied().filter(|(k, _)| *k != p.name).collect();
            with_bad.push((p.name, bad));
            let r = srv.post(e.path, &c.token, &with_bad).await;
            let msg = assert_error(&r, json, 400);
            assert!(msg.contains(p.name) && msg.contains("Invalid value"), "{}: {msg}", e.name);
        }
    }

    // A JSON body is refused: the API takes form-encoded bodies only.
    let r = TestServer::send(
        srv.client
            .post(srv.url("/api/v1/license/create_license"))
            .bearer_auth(&c.token)
            .json(&serde_json::json!({"target_name": "x"})),
    )
    .await;
    assert!(r.error(400).contains("x-www-form-urlencoded"));

    let after = srv.snapshot(&c).await;
    assert_eq!(before, after, "a rejected request changed the company");
});

both!(unknown_paths_answer_404_in_the_envelope, |srv: TestServer| async move {
    let c = srv.company("Paths Ltd").await;
    let r = srv.post("/api/v1/license/no_such_thing", &c.token, &[]).await;
    assert_eq!(r.error(404), "Unknown API endpoint.");
});

both!(removed_legacy_routes_answer_410_when_disabled, |srv: TestServer| async move {
    drop(srv);
    let srv = TestServer::start_with(crate::harness::Backend::Sqlite, |c| c.comet.legacy_routes = false).await;
    let c = srv.company("Legacy Ltd").await;
    for e in ENDPOINTS.iter().filter(|e| matches!(e.deprecated, keyhall_face_comet::Deprecation::RemovedAfter(_))) {
        let r = srv.post(e.path, &c.token, &[]).await;
        assert_eq!(r.status, 410, "{}", e.name);
        if e.encoding == keyhall_face_comet::Encoding::Json {
            assert_eq!(r.error(410), "Endpoint removed");
        } else {
            assert_eq!(r.text(), "Endpoint removed");
        }
    }
    // Deprecated routes without a removal date stay.
    assert_eq!(srv.post("/api/v1/cometgo/list", &c.token, &[]).await.status, 200);
    assert_eq!(srv.post("/api/v1/license/create", &c.token, &[]).await.status, 200);
});
