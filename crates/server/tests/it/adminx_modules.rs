//! Auth modules, their password policies and the license-gated reads, over a real server.

use reqwest::Method;
use serde_json::json;

use crate::adminx_client::{Vendor, community, error};
use crate::harness::TestServer;

crate::both!(auth_modules_are_created_changed_and_deleted_with_their_secret_sealed, |srv: TestServer| async move {
    let c = community(&srv, "modules.example.com").await;
    let a = &c.admin;
    let list = a.post(&srv, "/auth_modules/fetch", json!({})).await.json();
    let modules = list["modules"].as_array().unwrap();
    assert_eq!(modules.len(), 1, "{list}");
    assert_eq!((modules[0]["_id"].as_str(), modules[0]["type"].as_str()), (Some(c.module_id.as_str()), Some("db")));
    let got = a.open(&a.call(&srv, Method::GET, &format!("/auth_modules/{}", c.module_id), None).await);
    assert_eq!(got["config"]["passwordPolicy"]["rules"]["min"], 8);
    // A directory module: its connection is checked, its bind password sealed and never shown.
    let ldap = json!({ "type": "ldap", "name": "corp", "config": { "server": "127.0.0.1", "serverport": 389, "basedn": "dc=example,dc=com",
        "binddn": "cn=admin,dc=example,dc=com", "bindpassword": "Bind-Secret-9", "serverprotocol": "ldap" } });
    let r = a.call(&srv, Method::PUT, "/auth_modules/create", Some(ldap.clone())).await;
    let made = a.open(&r);
    assert_eq!(
        (made["type"].as_str(), made["subtype"].as_str(), made["enabled"].as_bool()),
        (Some("ldap"), Some("directory"), Some(true))
    );
    assert!(made["config"].get("bindpassword").is_none(), "{made}");
    let stored = srv.stored_texts("SELECT secret FROM auth_modules WHERE name = 'corp'").await;
    assert!(!stored[0].clone().unwrap().contains("Bind-Secret-9"), "sealed");
    let id = made["_id"].as_str().unwrap().to_string();
    let r = a.call(&srv, Method::PUT, "/auth_modules/create", Some(ldap)).await;
    error(&r, 409);
    for (body, message) in [
        (json!({ "name": "x", "config": {} }), "\"type\" is required"),
        (json!({ "type": "ldap", "config": {} }), "\"name\" is required"),
        (json!({ "type": "nis", "name": "x" }), "\"type\" must be db, ldap, ad or azuread"),
        (
            json!({ "type": "ldap", "name": "y", "config": { "server": "h", "basedn": "dc=x" } }),
            "\"config.serverport\" is required",
        ),
        (
            json!({ "type": "ldap", "name": "y", "config": { "server": "h", "serverport": 70000, "basedn": "dc=x" } }),
            "\"config.serverport\" must be a port number",
        ),
        (json!({ "type": "ldap", "name": "y", "config": "text" }), "\"config\" must be an object"),
        (json!({ "type": "db", "name": "second" }), ""),
    ] {
        let r = a.call(&srv, Method::PUT, "/auth_modules/create", Some(body.clone())).await;
        assert!(r.status == 400 || r.status == 409, "{body}: {}", r.text());
        if !message.is_empty() {
            assert!(error(&r, 400).starts_with(message), "{body}: {}", r.text());
        }
    }
    let count = srv.stored_texts("SELECT id FROM auth_modules").await.len();
    assert_eq!(count, 2, "nothing written by the refused creates");
    let r = a
        .call(
            &srv,
            Method::PATCH,
            &format!("/auth_modules/{id}"),
            Some(json!({ "name": "corp-ldap", "mode": "broker", "enabled": "false" })),
        )
        .await;
    let changed = a.open(&r);
    assert_eq!(
        (changed["name"].as_str(), changed["mode"].as_str(), changed["enabled"].as_bool()),
        (Some("corp-ldap"), Some("direct"), Some(false))
    );
    let r = a.call(&srv, Method::PATCH, &format!("/auth_modules/updateJs/{id}"), Some(json!({ "script": "return user;" }))).await;
    assert_eq!(a.open(&r)["name"], "corp-ldap");
    let r = a.call(&srv, Method::DELETE, &format!("/auth_modules/{}", c.module_id), None).await;
    error(&r, 409);
    let r = a.call(&srv, Method::DELETE, &format!("/auth_modules/{id}"), None).await;
    assert_eq!(r.status, 204, "{}", r.text());
    for path in [format!("/auth_modules/{id}"), "/auth_modules/not-an-id".to_string()] {
        assert_eq!(error(&a.call(&srv, Method::GET, &path, None).await, 404), "Auth module not found");
    }
    // The history records the administrator's changes.
    let events = srv.stored_texts("SELECT action FROM audit_log WHERE action LIKE 'E_DIRECTORY_%' ORDER BY created_at").await;
    let events: Vec<String> = events.into_iter().flatten().collect();
    assert_eq!(
        events,
        ["E_DIRECTORY_ADDED", "E_DIRECTORY_MODIFIED", "E_DIRECTORY_ADVANCED_CONFIGURATION_MODIFIED", "E_DIRECTORY_REMOVED"]
    );
    // Another community's administrator sees none of it.
    let other = community(&srv, "other.example.com").await;
    let r = other.admin.call(&srv, Method::GET, &format!("/auth_modules/{}", c.module_id), None).await;
    error(&r, 404);
});

crate::both!(a_license_reads_password_policies_and_permissions, |srv: TestServer| async move {
    let c = community(&srv, "policy.example.com").await;
    let mut v = Vendor::new(&srv).await;
    let body = c.with(json!({ "moduleId": c.module_id }));
    assert_eq!(error(&v.post(&srv, "/pwd-policy/fetch", body.clone()).await, 401), "licensekey header is required");
    v.license = Some("not-a-license".into());
    assert_eq!(error(&v.post(&srv, "/pwd-policy/fetch", body.clone()).await, 401), "Invalid licensekey");
    v.license = Some(c.license_key.clone());
    let policy = v.open(&v.post(&srv, "/pwd-policy/fetch", body).await);
    assert_eq!((policy["rules"]["min"].as_i64(), policy["rules"]["noUsername"].as_bool()), (Some(8), Some(true)));
    assert_eq!(policy["descriptions"][0], "At least 8 characters");
    let r = v.post(&srv, "/pwd-policy/fetch", c.with(json!({}))).await;
    assert_eq!(error(&r, 400), "\"moduleId\" is required");
    // Another tenant's license is not this one's.
    let other = community(&srv, "elsewhere.example.com").await;
    v.license = Some(other.license_key.clone());
    let r = v.post(&srv, "/pwd-policy/fetch", c.with(json!({ "moduleId": c.module_id }))).await;
    assert_eq!(error(&r, 401), "Invalid licensekey");
    // An administrator with the license reads a user's permissions.
    let mut a = Vendor::new(&srv).await;
    a.jwt = c.admin.jwt.clone();
    a.license = Some(c.license_key.clone());
    let r = a.post(&srv, "/permission/fetch", c.with(json!({ "uid": c.admin_uid, "moduleId": c.module_id }))).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r.json().as_array().unwrap().iter().any(|p| p["permission"] == "user.helpdesk-passcode.generate"));
    let role = a.open(&a.call(&srv, Method::GET, "/authz/role/fetch/helpdesk", None).await);
    assert_eq!(role["name"], "helpdesk");
    error(&a.call(&srv, Method::GET, "/authz/role/fetch/nobody", None).await, 404);
    let r = a
        .post(
            &srv,
            "/authz/authorization/fetch",
            json!({ "objectType": "user", "objectId": c.admin_uid, "subjectType": "community", "subjectId": c.community_id }),
        )
        .await;
    assert_eq!(a.open(&r)[0]["role"]["name"], "tenant_admin");
});

crate::both!(the_login_page_reads_its_community_by_dns_and_name, |srv: TestServer| async move {
    let c = community(&srv, "login.example.com").await;
    let v = Vendor::new(&srv).await;
    let r = v.post(&srv, "/community_auth_info/fetch", json!({ "dns": "LOGIN.example.com", "communityName": "default" })).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let info = r.json();
    assert_eq!(
        (info["community"]["id"].as_str(), info["tenant"]["tag"].as_str()),
        (Some(c.community_id.as_str()), Some("login"))
    );
    assert_eq!(info["authScheme"]["dbModule"]["_id"], c.module_id);
    assert_eq!(info["community"]["publicKey"], v.open_key());
    let r = v.post(&srv, "/community_auth_info/fetch", json!({ "dns": "login.example.com", "communityName": "nope" })).await;
    assert_eq!(error(&r, 404), "Community not found");
    let r = v.post(&srv, "/community_auth_info/fetch", json!({ "dns": "login.example.com" })).await;
    assert_eq!(error(&r, 400), "\"communityName\" is required");
});
