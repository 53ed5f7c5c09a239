//! One identity core behind two faces: a user made through the Comet API signs in through the
//! Barong API of the same tenant, and a second factor enabled through either face is required
//! by the other.

use reqwest::Method;
use serde_json::json;

use crate::barong_authorize::totp;
use crate::barong_client::*;
use crate::harness::{Backend, TestServer};

async fn cross_face(backend: Backend) {
    // The company is created first; the Barong face is then pointed at it.
    let first = TestServer::start(backend).await;
    let company = first.company("Shared Ltd").await;
    let tenant = company.id.clone();
    let srv = first.sibling(move |c| c.barong.tenant = Some(tenant)).await;

    let r = srv
        .post(
            "/api/v1/user/create_user",
            &company.token,
            &[("target_contact_name", "Casey"), ("target_email", "casey@shared.example"), ("target_password", "Casey-Pass-9x")],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    // The Comet user signs in through Barong with the same password.
    let mut b = Browser::new();
    let r =
        b.post(&srv, &format!("{ID}/sessions"), json!({ "email": "casey@shared.example", "password": "Casey-Pass-9x" })).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["uid"].as_str().unwrap().len(), 12);
    let bearer = b.bearer(&srv).await;

    // TOTP enabled through Comet is required at the Barong sign-in.
    let secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
    let r = srv
        .post("/api/v1/user/mfa/enable-totp", &company.token, &[("totp_secret", secret), ("totp_verify_code", &totp(secret, 0))])
        .await;
    assert_eq!(r.data(), "OK");
    let owner = Browser::new()
        .post(&srv, &format!("{ID}/sessions"), json!({ "email": company.email, "password": crate::harness::OWNER_PASSWORD }))
        .await;
    assert_errors(&owner, 401, &["identity.session.missing_otp"]);
    let owner = Browser::new()
        .post(
            &srv,
            &format!("{ID}/sessions"),
            json!({ "email": company.email, "password": crate::harness::OWNER_PASSWORD, "otp_code": totp(secret, 1) }),
        )
        .await;
    assert_eq!(owner.status, 200, "{}", owner.text());

    // TOTP enabled through Barong shows in the Comet user list.
    let r = resource(&srv, &bearer, Method::POST, "/otp/generate_qrcode", None).await;
    let url = r.json()["data"]["url"].as_str().unwrap().to_string();
    let s = url.split("secret=").nth(1).unwrap().split('&').next().unwrap().to_string();
    assert_eq!(resource(&srv, &bearer, Method::POST, "/otp/enable", Some(json!({ "code": totp(&s, 0) }))).await.status, 201);
    let users = srv.post("/api/v1/user/list_company_users", &company.token, &[]).await.data();
    let casey = users.as_array().unwrap().iter().find(|u| u["email"] == "casey@shared.example").unwrap();
    assert_eq!(casey["twofa_required"], true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_is_the_same_in_both_faces_sqlite() {
    cross_face(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL: set KEYHALL_TEST_DATABASE_URL and pass --include-ignored (bin/test does both)"]
async fn a_user_is_the_same_in_both_faces_postgres() {
    cross_face(Backend::Postgres).await;
}
