//! Downloads, reports, CloudView and company deletion.

use std::io::Read;

use serde_json::Value;

use crate::both;
use crate::harness::TestServer;

fn xlsx_strings(bytes: &[u8]) -> String {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("xlsx is a zip");
    let mut text = String::new();
    for name in ["xl/sharedStrings.xml", "xl/worksheets/sheet1.xml"] {
        let mut f = zip.by_name(name).unwrap_or_else(|_| panic!("{name} in xlsx"));
        f.read_to_string(&mut text).unwrap();
    }
    text
}

both!(downloads, |srv: TestServer| async move {
    let c = srv.company("Downloads Ltd").await;
    let q = srv.post("/api/v1/downloads/meta", &c.token, &[("version_key", "latest-quarterly")]).await.data();
    let v = srv.post("/api/v1/downloads/meta", &c.token, &[("version_key", "latest-voyager")]).await.data();
    assert_eq!(q.as_object().unwrap().len(), 7);
    assert_eq!(q["is_prerelease"], false);
    assert_eq!(q["codename"], "Quarterly");
    assert!(
        v["version"].as_str().unwrap() >= q["version"].as_str().unwrap()
            || v["version"].as_str().unwrap().len() > q["version"].as_str().unwrap().len()
    );
    assert_eq!(q["platforms"].as_array().unwrap().len(), 7);
    assert!(q["platforms"][0]["filesize_bytes"].as_u64().unwrap() > 1_000_000);
    let exact = srv.post("/api/v1/downloads/meta", &c.token, &[("version_key", "24.12.3")]).await.data();
    assert_eq!(exact["release_date"], "2025-02-06");
    assert!(srv.post("/api/v1/downloads/meta", &c.token, &[("version_key", "1.0.0")]).await.error(404).contains("version_key"));
    assert!(srv.post("/api/v1/downloads/meta", &c.token, &[("version_key", "newest")]).await.error(400).contains("version_key"));

    let r = srv
        .post("/api/v1/downloads/get", &c.token, &[("version_key", "24.12.3"), ("platform", "download_linux_arm64_deb")])
        .await;
    assert_eq!(r.status, 301);
    assert_eq!(r.headers["location"], "https://cometbackup.com/download/24.12.3/download_linux_arm64_deb");
    assert!(r.content_type().starts_with("text/plain"));
    let r = srv.post("/api/v1/downloads/get", &c.token, &[("version_key", "24.12.3"), ("platform", "download_macos")]).await;
    assert_eq!(r.status, 400);
    assert!(r.content_type().starts_with("text/plain") && r.text().contains("platform"));
    let r = srv.post("/api/v1/downloads/get", &c.token, &[("version_key", "9.9.9"), ("platform", "download_windows")]).await;
    assert_eq!(r.status, 404);

    let all = srv.post("/api/v1/downloads/list_downloads", &c.token, &[("page_size", "500")]).await.data();
    let all = all.as_array().unwrap();
    assert!(all.len() >= 20);
    let page2 = srv.post("/api/v1/downloads/list_downloads", &c.token, &[("page", "2"), ("page_size", "3")]).await.data();
    assert_eq!(page2[0], all[3]);
    let found = srv.post("/api/v1/downloads/list_downloads", &c.token, &[("target_search_query", "24.6")]).await.data();
    assert!(found.as_array().unwrap().iter().all(|v| v["version"].as_str().unwrap().starts_with("24.6")));
    assert_eq!(found.as_array().unwrap().len(), 2);
    for (k, v) in [("page", "0"), ("page_size", "0"), ("page_size", "501")] {
        assert!(srv.post("/api/v1/downloads/list_downloads", &c.token, &[(k, v)]).await.error(400).contains(k));
    }

    let r = srv.post("/api/v1/downloads/list", &c.token, &[]).await;
    assert!(r.content_type().starts_with("application/json"));
    assert_eq!(r.json().as_array().unwrap().len(), all.len());
    let r = srv.post("/api/v1/downloads/list", &c.token, &[("format", "csv")]).await;
    assert!(r.content_type().starts_with("text/csv"));
    assert!(r.text().starts_with("version,shortstring,codename,release_date,is_prerelease,release_notes_url,platforms\n"));
    assert_eq!(r.text().lines().count(), all.len() + 1);
    let r = srv.post("/api/v1/downloads/list", &c.token, &[("format", "xlsx")]).await;
    assert!(xlsx_strings(&r.body).contains("24.12.3"));
    let r = srv.post("/api/v1/downloads/list", &c.token, &[("format", "pdf")]).await;
    assert_eq!(r.status, 400);
    assert!(r.text().contains("format"));
});

both!(reports_follow_real_records, |srv: TestServer| async move {
    let c = srv.company("Reports Ltd").await;
    let empty = srv.post("/api/v1/report/active_services", &c.token, &[]).await;
    assert_eq!(empty.json(), serde_json::json!([]));
    let serial = srv.post("/api/v1/license/create_license", &c.token, &[("target_name", "HQ")]).await.data()["serial_number"]
        .as_str()
        .unwrap()
        .to_string();
    let archived =
        srv.post("/api/v1/license/create_license", &c.token, &[]).await.data()["serial_number"].as_str().unwrap().to_string();
    srv.post("/api/v1/license/archive", &c.token, &[("serial", &archived)]).await;
    let hosted = srv
        .post(
            "/api/v1/hosted_comet/create",
            &c.token,
            &[
                ("target_name", "Cloud"),
                ("target_region", "us-west-1"),
                ("target_email_send_as", "a@b.example"),
                ("target_email_from", "A"),
                ("target_storage_type", "none"),
            ],
        )
        .await
        .data();
    let r = srv.post("/api/v1/report/active_services", &c.token, &[("format", "json")]).await;
    assert!(r.content_type().starts_with("application/json"));
    let rows = r.json();
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 2, "archived licenses are not active: {rows:?}");
    assert_eq!(rows[0]["id"], serial.as_str());
    assert_eq!(rows[0]["type"], "self_hosted_license");
    assert_eq!(rows[0]["name"], "HQ");
    assert_eq!(rows[0]["devices"], 0);
    assert_eq!(rows[1]["id"], hosted);
    assert_eq!(rows[1]["type"], "hosted_instance");
    let csv = srv.post("/api/v1/report/active_services", &c.token, &[("format", "CSV")]).await;
    assert!(csv.content_type().starts_with("text/csv"));
    assert!(csv.headers["content-disposition"].to_str().unwrap().contains("active_services.csv"));
    let text = csv.text();
    assert!(text.starts_with("id,type,name,status,created_at,devices,boosters\n"));
    assert!(text.contains(&format!("{serial},self_hosted_license,HQ,enabled,")));
    let x = srv.post("/api/v1/report/active_services", &c.token, &[("format", "xlsx")]).await;
    assert_eq!(x.content_type(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
    assert!(xlsx_strings(&x.body).contains(&serial));

    let bill = srv.post("/api/v1/report/billing_history", &c.token, &[]).await.json();
    let bill = bill.as_array().unwrap();
    assert_eq!(bill.len(), 3, "one charge per license and instance created");
    assert_eq!(bill[0]["amount"], "5.00");
    assert_eq!(bill[2]["amount"], "20.00");
    assert!(bill[0]["description"].as_str().unwrap().contains(&serial));
    let csv = srv.post("/api/v1/report/billing_history", &c.token, &[("format", "csv")]).await.text();
    assert!(csv.starts_with("date,description,quantity,unit_price,amount,currency\n"));
    assert_eq!(csv.lines().count(), 4);
    let x = srv.post("/api/v1/report/billing_history", &c.token, &[("format", "xlsx")]).await;
    assert!(xlsx_strings(&x.body).contains("USD"));
    let r = srv.post("/api/v1/report/billing_history", &c.token, &[("format", "html")]).await;
    assert_eq!(r.status, 400);
    assert!(r.content_type().starts_with("text/plain"));
});

both!(cloudview_state_machine, |srv: TestServer| async move {
    let c = srv.company("CloudView Ltd").await;
    let status = || async { srv.post("/api/v1/cloudview/status", &c.token, &[]).await.data() };
    assert_eq!(status().await, "DISABLED");
    for path in ["convert-to-paid", "convert-to-trial", "terminate", "generate-login-credentials"] {
        let r = srv.post(&format!("/api/v1/cloudview/{path}"), &c.token, &[]).await;
        assert_eq!(r.status, 400, "{path}");
    }
    assert_eq!(srv.post("/api/v1/cloudview/provision", &c.token, &[]).await.data(), "PROVISIONING");
    assert_eq!(status().await, "PROVISIONING");
    assert_eq!(srv.post("/api/v1/cloudview/provision", &c.token, &[]).await.status, 400);
    srv.pass_time(crate::harness::PROVISIONING).await;
    assert_eq!(status().await, "READY");
    let login = srv.post("/api/v1/cloudview/generate-login-credentials", &c.token, &[]).await.data();
    assert_eq!(login["status"], "OK");
    assert!(login["login_url"].as_str().unwrap().starts_with("https://"));
    assert!(login["login_postdata"].as_str().unwrap().contains("token="));
    assert_eq!(srv.post("/api/v1/cloudview/convert-to-paid", &c.token, &[]).await.data(), "OK");
    assert_eq!(srv.post("/api/v1/cloudview/convert-to-paid", &c.token, &[]).await.status, 400);
    assert_eq!(srv.post("/api/v1/cloudview/convert-to-trial", &c.token, &[]).await.data(), "OK");
    assert_eq!(srv.post("/api/v1/cloudview/terminate", &c.token, &[]).await.data(), "OK");
    assert_eq!(status().await, "DISABLED");
});

both!(company_close_and_delete, |srv: TestServer| async move {
    let c = srv.company("Closing Ltd").await;
    let serial =
        srv.post("/api/v1/license/create_license", &c.token, &[]).await.data()["serial_number"].as_str().unwrap().to_string();
    let before = srv.snapshot(&c).await;
    let msg = srv.post("/api/v1/company/delete", &c.token, &[]).await.error(400);
    assert!(msg.contains("active service"), "{msg}");
    assert_eq!(srv.post("/api/v1/company/delete", &c.token, &[("target_force", "false")]).await.status, 400);
    assert_eq!(before, srv.snapshot(&c).await);
    srv.post("/api/v1/license/archive", &c.token, &[("serial", &serial)]).await;
    assert_eq!(srv.post("/api/v1/company/delete", &c.token, &[]).await.data(), "OK");
    assert_eq!(srv.post("/api/v1/license/list_licenses", &c.token, &[]).await.status, 401);
    // Closed, not erased: the data is still there.
    let tenant = srv.running.core.tenancy().tenant(keyhall_types::TenantId::parse(&c.id).unwrap()).await.unwrap();
    assert_eq!(tenant.status, keyhall_core::tenancy::tenants::TenantStatus::Closed);

    let d = srv.company("Deleting Ltd").await;
    srv.post("/api/v1/license/create_license", &d.token, &[]).await.data();
    assert_eq!(srv.post("/api/v1/company/delete", &d.token, &[("target_force", "true")]).await.data(), "OK");
    assert_eq!(srv.post("/api/v1/license/list_licenses", &d.token, &[]).await.status, 401);
    let tenant_id = keyhall_types::TenantId::parse(&d.id).unwrap();
    assert!(srv.running.core.tenancy().tenant(tenant_id).await.is_err());
    // The audit log outlives the company.
    let audit = srv
        .running
        .core
        .audit()
        .log(&keyhall_core::audit::AuditQuery { tenant_id: Some(tenant_id), limit: 100, ..Default::default() })
        .await
        .unwrap();
    assert_eq!(audit[0].action, "tenant.delete");
    assert!(audit.iter().any(|a| a.action == "license.create"));
    let _: Value = Value::Null;
});

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_catalogue_replaces_the_built_in_one() {
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(
        file.path(),
        r#"{"download_url":"https://downloads.example/{version}/{platform}.bin","release_notes_url":"https://notes.example/{version}",
            "platforms":[{"platform_id":"download_windows","platform_name":"Windows","platform_icon":"windows"}],
            "versions":[{"version":"30.1.0","channel":"quarterly","release_date":"2030-01-15","filesize_bytes":{"download_windows":123}},
                        {"version":"30.2.0","channel":"voyager","release_date":"2030-02-15","is_prerelease":true,"filesize_bytes":{"download_windows":124}}]}"#,
    )
    .unwrap();
    let path = file.path().to_path_buf();
    let srv = TestServer::start_with(crate::harness::Backend::Sqlite, move |c| c.comet.downloads_file = Some(path)).await;
    let c = srv.company("Catalogue Ltd").await;
    let v = srv.post("/api/v1/downloads/meta", &c.token, &[("version_key", "latest-voyager")]).await.data();
    assert_eq!(v["version"], "30.1.0", "pre-releases are never latest");
    assert_eq!(v["release_notes_url"], "https://notes.example/30.1.0");
    let all = srv.post("/api/v1/downloads/list_downloads", &c.token, &[]).await.data();
    assert_eq!(all.as_array().unwrap().len(), 2);
    let r = srv.post("/api/v1/downloads/get", &c.token, &[("version_key", "30.2.0"), ("platform", "download_windows")]).await;
    assert_eq!(r.headers["location"], "https://downloads.example/30.2.0/download_windows.bin");
    let r = srv.post("/api/v1/downloads/get", &c.token, &[("version_key", "30.2.0"), ("platform", "download_linux_deb")]).await;
    assert_eq!(r.status, 404, "a platform the release does not ship");
}
