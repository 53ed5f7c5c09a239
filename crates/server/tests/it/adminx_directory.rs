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

/// A stand-in for Azure AD's token endpoint: `client-1`/`client-secret` for tenant `t-1`;
/// the user `kim@corp.example` with `Kim-Azure-Pass-1`.
async fn azure_stand_in() -> String {
    use axum::routing::post;
    async fn token(
        axum::extract::Path(tenant): axum::extract::Path<String>,
        axum::Form(form): axum::Form<std::collections::HashMap<String, String>>,
    ) -> axum::response::Response {
        use axum::response::IntoResponse;
        let get = |k: &str| form.get(k).map(String::as_str).unwrap_or_default();
        if tenant != "t-1" || get("client_id") != "client-1" || get("client_secret") != "client-secret" {
            return (http::StatusCode::UNAUTHORIZED, axum::Json(json!({ "error": "invalid_client" }))).into_response();
        }
        match get("grant_type") {
            "client_credentials" => axum::Json(json!({ "access_token": "at", "token_type": "Bearer" })).into_response(),
            "password" if get("username") == "kim@corp.example" && get("password") == "Kim-Azure-Pass-1" => {
                use base64::Engine;
                let b64 = |v: serde_json::Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
                let id = format!(
                    "{}.{}.sig",
                    b64(json!({ "alg": "RS256" })),
                    b64(
                        json!({ "oid": "0000-kim", "preferred_username": "kim@corp.example", "given_name": "Kim", "family_name": "Lee" })
                    )
                );
                axum::Json(json!({ "access_token": "at", "id_token": id })).into_response()
            }
            _ => (http::StatusCode::BAD_REQUEST, axum::Json(json!({ "error": "invalid_grant" }))).into_response(),
        }
    }
    let app = axum::Router::new().route("/{tenant}/oauth2/v2.0/token", post(token));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    url
}

crate::both!(azuread_modules_sign_users_in_through_the_token_endpoint, |srv: TestServer| async move {
    let base = azure_stand_in().await;
    let c = community(&srv, "azure.example.com").await;
    let a = &c.admin;
    let module = json!({ "type": "azuread", "name": "entra", "config": { "appName": "keyhall", "tenantId": "t-1", "tenantName": "corp",
        "clientId": "client-1", "clientSecret": "client-secret", "loginBasePath": base } });
    let made = a.open(&a.call(&srv, Method::PUT, "/auth_modules/create", Some(module)).await);
    assert!(made["config"].get("clientSecret").is_none(), "{made}");
    let id = made["_id"].as_str().unwrap().to_string();
    let mut licensed = Vendor::new(&srv).await;
    licensed.license = Some(c.license_key.clone());
    let tested = licensed.open(&licensed.post(&srv, "/test-connection", c.with(json!({ "moduleId": id }))).await);
    assert_eq!(tested["status"], "success", "{tested}");
    let v = Vendor::new(&srv).await;
    let r = v.post(&srv, "/verifyuser", c.with(json!({ "username": "kim@corp.example", "password": "Kim-Azure-Pass-1" }))).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!((r.json()["user"]["moduleId"].as_str(), r.json()["user"]["lastname"].as_str()), (Some(id.as_str()), Some("Lee")));
    let r = v.post(&srv, "/verifyuser", c.with(json!({ "username": "kim@corp.example", "password": "wrong" }))).await;
    assert_eq!(error(&r, 401), "Invalid username or password");
    // A wrong client secret: the connection test says so.
    a.call(&srv, Method::PATCH, &format!("/auth_modules/{id}"), Some(json!({ "config": { "clientSecret": "nope" } }))).await;
    let tested = licensed.open(&licensed.post(&srv, "/test-connection", c.with(json!({ "moduleId": id }))).await);
    assert_eq!(tested["status"], "failed", "{tested}");
});
