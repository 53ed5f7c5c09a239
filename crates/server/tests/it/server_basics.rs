//! What every deployment relies on: health, request ids, metrics, body limits, the master
//! key file, and the OpenAPI document (served, and committed without drift).

use crate::both;
use crate::harness::TestServer;

both!(health_request_ids_and_metrics, |srv: TestServer| async move {
    let r = TestServer::send(srv.client.get(srv.url("/healthz"))).await;
    assert_eq!((r.status, r.json()), (200, serde_json::json!({"status": "ok"})));
    let id = r.headers["x-request-id"].to_str().unwrap();
    assert_eq!(id.len(), 36, "a UUID request id: {id}");
    let r = TestServer::send(srv.client.get(srv.url("/healthz")).header("x-request-id", "trace-me-42")).await;
    assert_eq!(r.headers["x-request-id"], "trace-me-42");
    let c = srv.company("Metrics Ltd").await;
    let r = srv.post("/api/v1/license/list_licenses", &c.token, &[]).await;
    assert!(r.headers.contains_key("x-request-id"));
    srv.post("/api/v1/license/list_licenses", "kh_bad", &[]).await;
    let text = TestServer::send(srv.client.get(srv.url("/metrics"))).await.text();
    assert!(
        text.contains(r#"keyhall_http_requests_total{route="/api/v1/license/list_licenses",method="POST",status="200"}"#),
        "{text}"
    );
    assert!(text.contains(r#"keyhall_http_requests_total{route="/api/v1/license/list_licenses",method="POST",status="401"}"#));
    assert!(text.contains("keyhall_http_request_duration_seconds"));
});

both!(oversized_bodies_are_refused, |srv: TestServer| async move {
    let c = srv.company("Big Ltd").await;
    let auth = format!("Bearer {}", c.token);
    let headers = [("Authorization", auth.as_str()), ("Content-Type", "application/x-www-form-urlencoded")];
    let answer = srv.announce_body("POST", "/api/v1/license/create_license", &headers, 2 * 1024 * 1024).await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    // In the vendor's envelope, as every other error.
    assert!(answer.ends_with(r#"{"status":"error","code":413,"data":{"message":"The request body is too large."}}"#), "{answer}");
    assert!(srv.post("/api/v1/license/list_licenses", &c.token, &[]).await.data().as_array().unwrap().is_empty());
});

#[tokio::test]
async fn master_key_file_is_private() {
    let srv = TestServer::start(crate::harness::Backend::Sqlite).await;
    let path = srv.dir.path().join("master.key");
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(text.trim().len(), 64);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
    }
}

const COMMITTED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../openapi/comet.json");

/// The committed document must equal what the code generates. Regenerate it with
/// `KEYHALL_UPDATE_OPENAPI=1 cargo test -p keyhall-server --test it openapi`.
#[test]
fn openapi_document_is_committed_and_current() {
    let generated = keyhall_face_comet::openapi::document_text();
    if std::env::var("KEYHALL_UPDATE_OPENAPI").is_ok() {
        std::fs::write(COMMITTED, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(COMMITTED).expect("openapi/comet.json is committed");
    assert!(committed == generated, "openapi/comet.json is stale: regenerate it (see this test's doc comment)");
    let doc: serde_json::Value = serde_json::from_str(&committed).unwrap();
    assert_eq!(doc["paths"].as_object().unwrap().len(), 50);
    let create = &doc["paths"]["/api/v1/user/create_user"]["post"];
    let schema = &create["requestBody"]["content"]["application/x-www-form-urlencoded"]["schema"];
    assert_eq!(schema["required"], serde_json::json!(["target_contact_name", "target_email", "target_password"]));
    assert_eq!(
        create["responses"]["200"]["content"]["application/json"]["schema"]["properties"]["data"]["$ref"],
        "#/components/schemas/User"
    );
    assert!(doc["components"]["schemas"]["ServerLicense"]["properties"]["serial_number"].is_object());
}

const COMMITTED_ADMINX: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../openapi/adminx.json");

/// The 1Kosmos face's document, committed and current (regenerated as Comet's is).
#[test]
fn adminx_openapi_document_is_committed_and_current() {
    let generated = keyhall_face_adminx::openapi::document_text();
    if std::env::var("KEYHALL_UPDATE_OPENAPI").is_ok() {
        std::fs::write(COMMITTED_ADMINX, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(COMMITTED_ADMINX).expect("openapi/adminx.json is committed");
    assert!(
        committed == generated,
        "openapi/adminx.json is stale: regenerate it (see openapi_document_is_committed_and_current)"
    );
    let doc: serde_json::Value = serde_json::from_str(&committed).unwrap();
    let verify = &doc["paths"]["/adminapi/verifyuser"]["post"];
    assert_eq!(
        verify["requestBody"]["content"]["application/json"]["schema"]["oneOf"][1]["required"],
        serde_json::json!(["tenantId", "communityId", "username"])
    );
    assert_eq!(
        doc["paths"]["/adminapi/users/fetch"]["post"]["responses"]["200"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/EncryptedAnswer"
    );
}

both!(adminx_openapi_is_served, |srv: TestServer| async move {
    let r = TestServer::send(srv.client.get(srv.url("/adminapi/openapi.json"))).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.text(), keyhall_face_adminx::openapi::document_text());
});

both!(openapi_is_served, |srv: TestServer| async move {
    let r = TestServer::send(srv.client.get(srv.url("/api/v1/openapi.json"))).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.text(), keyhall_face_comet::openapi::document_text());
});
