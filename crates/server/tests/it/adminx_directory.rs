//! Directory auth modules against a real OpenLDAP: the connection test, and sign-in by
//! binding as the user (a directory user becomes a user of the community on first sign-in).

use reqwest::Method;
use serde_json::json;

use crate::adminx_client::{Vendor, community, error};
use crate::harness::TestServer;
use crate::slapd::{ADMIN_DN, ADMIN_PASSWORD, BASE_DN, LENA_PASSWORD, Slapd};

crate::both!(ldap_modules_bind_against_the_directory, |srv: TestServer| async move {
    let slapd = Slapd::start().await;
    let c = community(&srv, "ldap.example.com").await;
    let a = &c.admin;
    let module = |password: &str| {
        json!({ "type": "ldap", "name": "corp", "config": { "serverprotocol": "ldap", "server": "127.0.0.1", "serverport": slapd.port,
            "basedn": BASE_DN, "binddn": ADMIN_DN, "bindpassword": password } })
    };
    let id = a.open(&a.call(&srv, Method::PUT, "/auth_modules/create", Some(module(ADMIN_PASSWORD))).await)["_id"]
        .as_str()
        .unwrap()
        .to_string();
    let mut licensed = Vendor::new(&srv).await;
    licensed.license = Some(c.license_key.clone());
    let tested = licensed.open(&licensed.post(&srv, "/test-connection", c.with(json!({ "moduleId": id }))).await);
    assert_eq!(tested["status"], "success", "{tested}");
    assert!(tested["message"].as_str().unwrap().starts_with("connection success"));
    // A wrong service password, then a directory that is not there.
    a.call(&srv, Method::PATCH, &format!("/auth_modules/{id}"), Some(json!({ "config": { "bindpassword": "wrong" } }))).await;
    let tested = licensed.open(&licensed.post(&srv, "/test-connection", c.with(json!({ "moduleId": id }))).await);
    assert_eq!(tested["status"], "failed", "{tested}");
    a.call(&srv, Method::PATCH, &format!("/auth_modules/{id}"), Some(json!({ "config": { "bindpassword": ADMIN_PASSWORD } })))
        .await;
    error(&Vendor::new(&srv).await.post(&srv, "/test-connection", c.with(json!({ "moduleId": id }))).await, 401);
    // Lena signs in with her directory password and becomes a user of the module.
    let v = Vendor::new(&srv).await;
    let r = v.post(&srv, "/verifyuser", c.with(json!({ "username": "lena", "password": LENA_PASSWORD }))).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let user = &r.json()["user"];
    assert_eq!(
        (user["moduleId"].as_str(), user["email1"].as_str(), user["firstname"].as_str()),
        (Some(id.as_str()), Some("lena@corp.example"), Some("Lena"))
    );
    // Again (now a known user), and with a wrong password (the directory says no; counted).
    assert_eq!(v.post(&srv, "/verifyuser", c.with(json!({ "username": "lena", "password": LENA_PASSWORD }))).await.status, 200);
    let r = v.post(&srv, "/verifyuser", c.with(json!({ "username": "lena", "password": "Not-Hers-1" }))).await;
    assert_eq!(error(&r, 401), "Invalid username or password");
    let r = v.post(&srv, "/verifyuser", c.with(json!({ "username": "nobody", "password": "Whatever-1" }))).await;
    assert_eq!(error(&r, 401), "Invalid username or password");
    let r = v.post(&srv, "/verifyuser", c.with(json!({ "username": "omar", "password": "Omar-Ldap-Pass-1" }))).await;
    assert!(r.json()["user"]["email1"].as_str().unwrap().ends_with(".directory.invalid"), "no mail in the directory");
    let listed = a.open(&a.post(&srv, "/users/fetch", c.with(json!({ "moduleId": id }))).await);
    assert_eq!(listed["page"]["total"], 2);
    // A directory that cannot be reached: 503, not a wrong password.
    drop(slapd);
    let r = v.post(&srv, "/verifyuser", c.with(json!({ "username": "lena", "password": LENA_PASSWORD }))).await;
    assert_eq!(r.status, 503, "{}", r.text());
});
