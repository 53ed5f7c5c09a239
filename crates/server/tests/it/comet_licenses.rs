//! Licenses: create (current and legacy), list (current and legacy), rename, favourite, lock,
//! relax, archive, resync.

use serde_json::Value;

use crate::both;
use crate::harness::TestServer;

const FIELDS: [&str; 14] = [
    "name",
    "serial_number",
    "created_at",
    "num_clients_online",
    "num_boosters_online",
    "server_version",
    "is_archived",
    "is_outdated",
    "enabled",
    "comment",
    "allowed_ip_address",
    "allowed_machine_id",
    "favourited",
    "region",
];

async fn licenses(srv: &TestServer, token: &str) -> Vec<Value> {
    srv.post("/api/v1/license/list_licenses", token, &[]).await.data().as_array().unwrap().clone()
}

both!(create_and_list, |srv: TestServer| async move {
    let c = srv.company("Licenses Ltd").await;
    let d = srv.post("/api/v1/license/create_license", &c.token, &[("target_name", "Main office")]).await.data();
    let obj = d.as_object().unwrap();
    assert_eq!(obj.len(), FIELDS.len(), "{d}");
    for f in FIELDS {
        assert!(obj.contains_key(f), "missing {f}");
    }
    assert_eq!(d["name"], "Main office");
    assert_eq!(d["enabled"], true);
    assert_eq!(d["is_archived"], false);
    assert_eq!(d["is_outdated"], Value::Null);
    let serial = d["serial_number"].as_str().unwrap();
    assert_eq!(serial.len(), 29);
    // Body authentication works the same as Bearer.
    let r = srv.post_body_auth("/api/v1/license/create_license", &c.token, &[]).await;
    assert_eq!(r.data()["name"], "");
    let all = licenses(&srv, &c.token).await;
    assert_eq!(all.len(), 2);
    assert_eq!(all[0]["serial_number"], serial);
    // Another company sees none of them.
    let other = srv.company("Other Ltd").await;
    assert!(licenses(&srv, &other.token).await.is_empty());
    let r = srv.post("/api/v1/license/set_name", &other.token, &[("target_serial", serial), ("target_name", "x")]).await;
    assert!(r.error(404).contains("target_serial"));
    // A name over 255 characters is refused.
    let long = "n".repeat(256);
    let r = srv.post("/api/v1/license/create_license", &c.token, &[("target_name", &long)]).await;
    assert!(r.error(400).contains("target_name"));
    assert_eq!(licenses(&srv, &c.token).await.len(), 2);
});

both!(legacy_create_and_list_are_plain_text, |srv: TestServer| async move {
    let c = srv.company("Legacy Licenses").await;
    let r = srv.post("/api/v1/license/create", &c.token, &[("target_name", "old")]).await;
    assert_eq!(r.status, 200);
    assert!(r.content_type().starts_with("text/plain"));
    let serial = r.text();
    assert_eq!(serial.len(), 29);
    let r = srv.post("/api/v1/license/list_all", &c.token, &[]).await;
    assert!(r.content_type().starts_with("text/plain"));
    let list: Value = serde_json::from_str(&r.text()).unwrap();
    assert_eq!(list[0]["serial_number"], serial.as_str());
    assert_eq!(list[0]["name"], "old");
});

both!(rename_favourite_lock, |srv: TestServer| async move {
    let c = srv.company("Flags Ltd").await;
    let serial =
        srv.post("/api/v1/license/create_license", &c.token, &[]).await.data()["serial_number"].as_str().unwrap().to_string();
    let s = serial.as_str();
    assert_eq!(
        srv.post("/api/v1/license/set_name", &c.token, &[("target_serial", s), ("target_name", "Renamed")]).await.data(),
        Value::Null
    );
    assert_eq!(
        srv.post("/api/v1/license/set_favourite", &c.token, &[("target_serial", s), ("target_state", "TRUE")]).await.data(),
        Value::Null
    );
    assert_eq!(
        srv.post("/api/v1/license/set_lock_state", &c.token, &[("target_serial", s), ("target_lock_state", "1")]).await.data(),
        Value::Null
    );
    let l = &licenses(&srv, &c.token).await[0];
    assert_eq!(
        (l["name"].as_str(), l["favourited"].as_bool(), l["enabled"].as_bool()),
        (Some("Renamed"), Some(true), Some(false))
    );
    srv.post("/api/v1/license/set_lock_state", &c.token, &[("target_serial", s), ("target_lock_state", "false")]).await.data();
    srv.post("/api/v1/license/set_favourite", &c.token, &[("target_serial", s), ("target_state", "0")]).await.data();
    let l = &licenses(&srv, &c.token).await[0];
    assert_eq!((l["favourited"].as_bool(), l["enabled"].as_bool()), (Some(false), Some(true)));
    let r = srv.post("/api/v1/license/set_name", &c.token, &[("target_serial", "NOPE"), ("target_name", "x")]).await;
    assert!(r.error(404).contains("target_serial"));
});

both!(relax_archive_and_resync, |srv: TestServer| async move {
    let c = srv.company("Archive Ltd").await;
    let serial =
        srv.post("/api/v1/license/create_license", &c.token, &[]).await.data()["serial_number"].as_str().unwrap().to_string();
    let r = srv.post("/api/v1/license/relax", &c.token, &[("serial", &serial)]).await;
    assert_eq!((r.status, r.text()), (200, "OK, the serial was relaxed successfully".to_string()));
    assert!(r.content_type().starts_with("text/plain"));
    let r = srv.post("/api/v1/license/relax", &c.token, &[("serial", "NOPE")]).await;
    assert_eq!(r.status, 404);
    assert!(r.content_type().starts_with("text/plain") && r.text().contains("serial"));
    let r = srv.post("/api/v1/license/archive", &c.token, &[("serial", &serial)]).await;
    assert_eq!((r.status, r.text()), (200, "OK, the serial was archived successfully".to_string()));
    let l = &licenses(&srv, &c.token).await[0];
    assert_eq!((l["is_archived"].as_bool(), l["enabled"].as_bool()), (Some(true), Some(false)));
    // Archived licenses cannot be re-enabled or reused.
    let before = srv.snapshot(&c).await;
    let r =
        srv.post("/api/v1/license/set_lock_state", &c.token, &[("target_serial", &serial), ("target_lock_state", "false")]).await;
    assert!(r.error(400).contains("archived"));
    let r = srv.post("/api/v1/license/archive", &c.token, &[("serial", &serial)]).await;
    assert_eq!(r.status, 400);
    assert_eq!(before, srv.snapshot(&c).await);
    assert_eq!(srv.post("/api/v1/license/resync_all", &c.token, &[]).await.data(), Value::Null);
    let audit = srv
        .running
        .core
        .audit()
        .log(&keyhall_core::audit::AuditQuery {
            tenant_id: keyhall_types::TenantId::parse(&c.id),
            limit: 50,
            ..Default::default()
        })
        .await
        .unwrap();
    let actions: Vec<&str> = audit.iter().map(|a| a.action.as_str()).collect();
    for a in ["license.create", "license.relax", "license.archive", "license.resync_all"] {
        assert!(actions.contains(&a), "{a} not audited: {actions:?}");
    }
});

both!(region_follows_the_company_country, |srv: TestServer| async move {
    let c = srv.company("Region GmbH").await;
    let settings = srv.post("/api/v1/user/account-settings/get", &c.token, &[]).await.data();
    let mut form: Vec<(String, String)> = settings
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string())))
        .collect();
    for (k, v) in form.iter_mut() {
        match k.as_str() {
            "company_address_country" => *v = "DE".into(),
            "company_phone_number" => *v = "+49 30 123456".into(),
            _ => {}
        }
    }
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    assert_eq!(srv.post("/api/v1/user/account-settings/set", &c.token, &form).await.data(), "OK");
    let d = srv.post("/api/v1/license/create_license", &c.token, &[]).await.data();
    assert_eq!(d["region"]["code"], "EU");
    assert_eq!(d["region"]["default_hosted_region"], "eu-central-1");
});
