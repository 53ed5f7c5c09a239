//! Hosted instances: regions, create with its validation, describe, list, rename, favourite,
//! branding, the delete lifecycle, and the CometGo! legacy routes.

use serde_json::Value;

use crate::both;
use crate::harness::{PROVISIONING, TestServer};

const CREATE: &str = "/api/v1/hosted_comet/create";

fn base<'a>(extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut f = vec![
        ("target_region", "eu-west-2"),
        ("target_email_send_as", "backups@acme.example"),
        ("target_email_from", "Acme Backups"),
        ("target_storage_type", "none"),
    ];
    for (k, v) in extra {
        f.retain(|(key, _)| key != k);
        f.push((k, v));
    }
    f
}

both!(regions_and_create_describe_list, |srv: TestServer| async move {
    let c = srv.company("Hosted Ltd").await;
    let regions = srv.post("/api/v1/hosted_comet/list_regions", &c.token, &[]).await.data();
    let ids: Vec<&str> = regions.as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["us-west-1", "us-east-1", "eu-central-1", "eu-west-2", "ap-southeast-2"]);
    assert!(regions[0]["description"].as_str().unwrap().len() > 3);

    let id = srv.post(CREATE, &c.token, &base(&[("target_name", "London"), ("target_domain", "acme-london")])).await.data();
    let id = id.as_str().unwrap();
    let d = srv.post("/api/v1/hosted_comet/describe", &c.token, &[("target_hosted_server_id", id)]).await.data();
    assert_eq!(d.as_object().unwrap().len(), 27, "{d}");
    assert_eq!(d["id"], id);
    assert_eq!(d["server_name"], "London");
    assert_eq!(d["region"], "eu-west-2");
    assert_eq!(d["user_dns"], "acme-london.hosted.keyhall.example");
    assert_eq!(d["send_as_email_address"], "backups@acme.example");
    assert_eq!(d["send_as_display_name"], "Acme Backups");
    assert_eq!(d["pending_delete"], false);
    assert_eq!(d["admin_username"], "admin");
    assert_eq!(d["admin_password"].as_str().unwrap().len(), 20);
    assert_eq!(d["date_deleted"], "");
    let list = srv.post("/api/v1/hosted_comet/list", &c.token, &[]).await.data();
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0], d);
    // The instance provisions, as the active-services report shows.
    srv.pass_time(PROVISIONING).await;
    let r = srv.post("/api/v1/report/active_services", &c.token, &[]).await;
    let rows: Value = serde_json::from_slice(&r.body).unwrap();
    assert!(rows.as_array().unwrap().iter().any(|row| row["id"] == id && row["status"] == "ready"), "{rows}");
    let r = srv.post("/api/v1/hosted_comet/describe", &c.token, &[("target_hosted_server_id", "not-an-id")]).await;
    assert!(r.error(404).contains("target_hosted_server_id"));
    let other = srv.company("Other").await;
    let r = srv.post("/api/v1/hosted_comet/describe", &other.token, &[("target_hosted_server_id", id)]).await;
    assert_eq!(r.status, 404);
});

both!(create_validation_changes_nothing, |srv: TestServer| async move {
    let c = srv.company("Strict Ltd").await;
    srv.post(CREATE, &c.token, &base(&[("target_domain", "taken-name")])).await.data();
    let before = srv.snapshot(&c).await;
    for (form, param) in [
        (base(&[("target_region", "mars-north-1")]), "target_region"),
        (base(&[("target_email_send_as", "not an email")]), "target_email_send_as"),
        (base(&[("target_storage_type", "dropbox")]), "target_storage_type"),
        (base(&[("target_storage_type", "wasabi")]), "target_storage_bucket_name"),
        (base(&[("target_domain", "-bad-")]), "target_domain"),
        (base(&[("target_domain", "taken-name")]), "target_domain"),
    ] {
        let r = srv.post(CREATE, &c.token, &form).await;
        assert!(r.error(400).contains(param), "{param}: {}", r.text());
    }
    assert_eq!(before, srv.snapshot(&c).await);
    let id = srv
        .post(
            CREATE,
            &c.token,
            &base(&[
                ("target_storage_type", "backblaze"),
                ("target_storage_bucket_name", "b1"),
                ("target_storage_b2_application_key", "k"),
                ("target_storage_b2_application_key_id", "i"),
            ]),
        )
        .await
        .data();
    assert!(id.is_string());
});

both!(rename_favourite_branding, |srv: TestServer| async move {
    let c = srv.company("Brand Ltd").await;
    let id = srv.post(CREATE, &c.token, &base(&[])).await.data().as_str().unwrap().to_string();
    let id = id.as_str();
    let h = [("target_hosted_server_id", id)];
    assert_eq!(
        srv.post("/api/v1/hosted_comet/set_name", &c.token, &[h[0], ("target_name", "Renamed")]).await.data(),
        Value::Null
    );
    assert_eq!(
        srv.post("/api/v1/hosted_comet/set_favourite", &c.token, &[h[0], ("target_state", "true")]).await.data(),
        Value::Null
    );
    let branding = [
        h[0],
        ("target_use_custom_domain", "true"),
        ("target_custom_domain", "backup.brand.example"),
        ("target_email_send_as", "reports@brand.example"),
        ("target_email_from", "Brand Reports"),
        ("target_email_delivery_method", "smtp"),
        ("target_smtp_host", "mail.brand.example"),
        ("target_smtp_port", "465"),
        ("target_smtp_username", "mailer"),
        ("target_smtp_password", "s3cret pass"),
        ("target_smtp_security", "tls"),
        ("target_smtp_accept_invalid_ssl_certificate", "false"),
    ];
    assert_eq!(srv.post("/api/v1/hosted_comet/update_branding", &c.token, &branding).await.data(), "OK");
    let d = srv.post("/api/v1/hosted_comet/describe", &c.token, &h).await.data();
    assert_eq!(d["server_name"], "Renamed");
    assert_eq!(d["favourited"], true);
    assert_eq!(d["use_custom_dns"], true);
    assert_eq!(d["user_custom_dns"], "backup.brand.example");
    assert_eq!(d["smtp_mode"], "smtp");
    assert_eq!(d["smtp_host"], "mail.brand.example");
    assert_eq!(d["smtp_port"], 465);
    assert_eq!(d["smtp_password"], "s3cret pass");
    assert_eq!(d["smtp_security"], "tls");
    assert_eq!(d["send_as_email_address"], "reports@brand.example");
    let before = srv.snapshot(&c).await;
    let mut bad = branding.to_vec();
    bad.retain(|(k, _)| *k != "target_smtp_host");
    let r = srv.post("/api/v1/hosted_comet/update_branding", &c.token, &bad).await;
    assert!(r.error(400).contains("target_smtp_host"));
    let mut bad = branding.to_vec();
    bad.retain(|(k, _)| *k != "target_smtp_security");
    bad.push(("target_smtp_security", "ssl3"));
    assert!(srv.post("/api/v1/hosted_comet/update_branding", &c.token, &bad).await.error(400).contains("target_smtp_security"));
    let mut bad = branding.to_vec();
    bad.retain(|(k, _)| *k != "target_email_delivery_method");
    bad.push(("target_email_delivery_method", "pigeon"));
    assert!(
        srv.post("/api/v1/hosted_comet/update_branding", &c.token, &bad)
            .await
            .error(400)
            .contains("target_email_delivery_method")
    );
    assert_eq!(before, srv.snapshot(&c).await);
    // Back to SES clears the SMTP settings.
    let ses = [
        h[0],
        ("target_email_send_as", "reports@brand.example"),
        ("target_email_from", "Brand"),
        ("target_email_delivery_method", "ses"),
    ];
    srv.post("/api/v1/hosted_comet/update_branding", &c.token, &ses).await.data();
    let d = srv.post("/api/v1/hosted_comet/describe", &c.token, &h).await.data();
    assert_eq!(
        (d["smtp_mode"].as_str(), d["smtp_host"].as_str(), d["smtp_password"].as_str()),
        (Some("ses"), Some(""), Some(""))
    );
});

both!(delete_lifecycle, |srv: TestServer| async move {
    let c = srv.company("Delete Ltd").await;
    let id = srv.post(CREATE, &c.token, &base(&[])).await.data().as_str().unwrap().to_string();
    let h = [("target_hosted_server_id", id.as_str())];
    assert_eq!(srv.post("/api/v1/hosted_comet/delete", &c.token, &h).await.data(), "OK");
    let d = srv.post("/api/v1/hosted_comet/describe", &c.token, &h).await.data();
    assert_eq!(d["pending_delete"], true);
    let r = srv.post("/api/v1/hosted_comet/set_name", &c.token, &[h[0], ("target_name", "x")]).await;
    assert!(r.error(400).contains("deleted"));
    assert_eq!(srv.post("/api/v1/hosted_comet/delete", &c.token, &h).await.status, 400);
    srv.pass_time(PROVISIONING).await;
    assert_eq!(srv.post("/api/v1/hosted_comet/list", &c.token, &[]).await.data(), serde_json::json!([]));
    let d = srv.post("/api/v1/hosted_comet/describe", &c.token, &h).await.data();
    assert_eq!(d["pending_delete"], false);
    assert!(d["date_deleted"].as_str().unwrap().ends_with('Z'));
});

both!(cometgo_legacy_routes, |srv: TestServer| async move {
    let c = srv.company("CometGo Ltd").await;
    let created = srv.post("/api/v1/cometgo", &c.token, &[("server_name", "Go"), ("subdomain", "go-box")]).await.data();
    assert_eq!(created["server_name"], "Go");
    assert_eq!(created["status"], "provisioning");
    assert_eq!(created["url"], "https://go-box.hosted.keyhall.example/");
    let id = created["hosted_server_id"].as_str().unwrap().to_string();
    let list = srv.post("/api/v1/cometgo/list", &c.token, &[]).await.data();
    assert_eq!(list[0]["hosted_server_id"], id.as_str());
    // With exactly one instance, the id may be left out.
    assert_eq!(srv.post("/api/v1/cometgo/status", &c.token, &[]).await.data()["hosted_server_id"], id.as_str());
    srv.post("/api/v1/cometgo", &c.token, &[]).await.data();
    let r = srv.post("/api/v1/cometgo/status", &c.token, &[]).await;
    assert!(r.error(400).contains("hosted_server_id"));
    assert_eq!(srv.post("/api/v1/cometgo/status", &c.token, &[("hosted_server_id", &id)]).await.data()["server_name"], "Go");
    assert_eq!(srv.post("/api/v1/cometgo/terminate", &c.token, &[("hosted_server_id", &id)]).await.data(), Value::Null);
    let d = srv.post("/api/v1/hosted_comet/describe", &c.token, &[("target_hosted_server_id", &id)]).await.data();
    assert_eq!(d["pending_delete"], true);
});
