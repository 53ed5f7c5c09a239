//! Featured applications from the service-provider catalogue, what a login page learns of a
//! provider from the request that brought the user, and the brokers of directory modules.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use reqwest::Method;
use serde_json::{Value, json};

use crate::adminx_client::{Vendor, basic_user, community, error};
use crate::harness::TestServer;

crate::both!(featured_applications_are_saml_providers_made_from_the_catalogue, |srv: TestServer| async move {
    let c = community(&srv, "catalog.example.com").await;
    let catalog = c.admin.open(&c.admin.call(&srv, Method::GET, "/spcatalog/list", None).await);
    for key in ["auth0", "okta", "salesforce", "forgerock", "gsuite", "zendesk"] {
        assert!(
            catalog[key]["name"].is_string() && catalog[key]["sso_url"].is_string() && catalog[key]["template"] == "saml",
            "{key}: {catalog}"
        );
    }
    let sam = basic_user(&srv, &c, "sam").await;
    error(&sam.call(&srv, Method::GET, "/spcatalog/list", None).await, 403);

    let put = |kind: &str, body: Value| {
        let path = format!("/serviceprovider/{kind}");
        let (c, srv) = (&c, &srv);
        async move { c.admin.call(srv, Method::PUT, &path, Some(body)).await }
    };
    let made = c.admin.open(&put("zendesk", json!({ "name": "Help desk", "domain": "https://Acme.Zendesk.com" })).await);
    assert_eq!(made["type"], "saml");
    assert_eq!(made["saml_config"]["entityId"], "https://acme.zendesk.com");
    assert_eq!(made["saml_config"]["assertionConsumerServiceURL"], "https://acme.zendesk.com/access/saml");
    assert_eq!(
        (made["featured"]["type"].as_str(), made["featured"]["domain"].as_str()),
        (Some("zendesk"), Some("acme.zendesk.com"))
    );
    // Vendor secrets are kept sealed: never answered.
    let okta = json!({ "name": "Okta", "domain": "acme.okta.com", "ssoUrl": "https://acme.okta.com/sso/saml2/0oa1", "apiToken": "00-SECRET-TOKEN" });
    let made = put("okta", okta).await;
    let opened = c.admin.open(&made);
    assert_eq!(opened["saml_config"]["assertionConsumerServiceURL"], "https://acme.okta.com/sso/saml2/0oa1");
    assert!(!made.text().contains("SECRET") && !opened.to_string().contains("SECRET"), "{opened}");
    let listed = c.admin.open(&c.admin.post(&srv, "/serviceprovider/fetch", json!({})).await);
    assert!(!listed.to_string().contains("SECRET"), "{listed}");
    for (kind, body, message) in [
        (
            "myspace",
            json!({ "name": "X", "domain": "x.example.com" }),
            "\"type\" must be one of gsuite, salesforce, zendesk, okta, auth0, forgerock",
        ),
        ("gsuite", json!({ "name": "G" }), "\"domain\" is required"),
        ("gsuite", json!({ "name": "G", "domain": "not a domain" }), "\"domain\" must be a host name such as acme.example.com"),
        ("gsuite", json!({ "name": "Help desk", "domain": "acme.com" }), "A service provider with this name already exists"),
    ] {
        let status = if message.starts_with("A service") { 409 } else { 400 };
        assert_eq!(error(&put(kind, body).await, status), message);
    }
    error(&sam.call(&srv, Method::PUT, "/serviceprovider/gsuite", Some(json!({ "name": "G", "domain": "acme.com" }))).await, 403);
});

crate::both!(login_pages_learn_a_provider_from_its_saml_or_oidc_request, |srv: TestServer| async move {
    let c = community(&srv, "publicinfo.example.com").await;
    let saml = json!({ "name": "Wiki", "type": "saml", "saml_config": { "entityId": "https://wiki.example.com/saml",
        "assertionConsumerServiceURL": "https://wiki.example.com/acs" } });
    c.admin.open(&c.admin.call(&srv, Method::PUT, "/serviceprovider", Some(saml)).await);
    let oidc = json!({ "name": "App", "type": "oidc", "oidc_config": { "redirect_uris": ["https://app.example.com/cb"] } });
    let app = c.admin.open(&c.admin.call(&srv, Method::PUT, "/serviceprovider", Some(oidc)).await);
    let client_id = app["oidc_config"]["client_id"].as_str().unwrap().to_string();

    let visitor = Vendor::new(&srv).await;
    let ask = |body: Value| visitor.post(&srv, "/serviceprovider/publicinfo/fetch", c.with(body));
    let request = r#"<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_a1" Version="2.0" IssueInstant="2026-01-01T00:00:00Z"><saml:Issuer xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion">https://wiki.example.com/saml</saml:Issuer></samlp:AuthnRequest>"#;
    let info = visitor.open(&ask(json!({ "SAMLRequest": STANDARD.encode(request) })).await);
    assert_eq!((info["name"].as_str(), info["type"].as_str()), (Some("Wiki"), Some("saml")), "{info}");
    assert!(info.get("saml_config").is_none(), "public fields only: {info}");
    // The HTTP-Redirect binding's DEFLATE'd form.
    let mut deflated = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut deflated, request.as_bytes()).unwrap();
    let info = visitor.open(&ask(json!({ "SAMLRequest": STANDARD.encode(deflated.finish().unwrap()) })).await);
    assert_eq!(info["name"], "Wiki");
    let url = format!(
        "https://idp.example.com/authorize?client_id={client_id}&redirect_uri=https%3A%2F%2Fapp.example.com%2Fcb&scope=openid"
    );
    assert_eq!(visitor.open(&ask(json!({ "OIDCRequest": url })).await)["name"], "App");
    let wrong = format!("https://idp.example.com/authorize?client_id={client_id}&redirect_uri=https%3A%2F%2Fevil.example.com%2F");
    assert_eq!(
        error(&ask(json!({ "OIDCRequest": wrong })).await, 400),
        "\"OIDCRequest\" has a redirect_uri the provider did not register"
    );
    let unknown = request.replace("wiki.example.com/saml", "other.example.com");
    assert_eq!(error(&ask(json!({ "SAMLRequest": STANDARD.encode(unknown) })).await, 404), "Service provider not found");
    error(&ask(json!({ "SAMLRequest": "%%%" })).await, 400);
    assert_eq!(error(&ask(json!({})).await, 400), "\"SAMLRequest\" is required");
    // Another community's providers are not found through this one.
    let other = community(&srv, "other-publicinfo.example.com").await;
    let there = visitor
        .post(&srv, "/serviceprovider/publicinfo/fetch", other.with(json!({ "SAMLRequest": STANDARD.encode(request) })))
        .await;
    error(&there, 404);
});

crate::both!(brokers_of_a_directory_module_are_listed_switched_renamed_and_removed, |srv: TestServer| async move {
    let c = community(&srv, "brokers.example.com").await;
    let adminx = srv.running.core.adminx();
    let caller = adminx.authenticate(c.admin.jwt.as_deref(), keyhall_core::Origin::default()).await.unwrap();
    let scope = caller.scope();
    let module = keyhall_core::adminx::parse_module_id(&c.module_id).unwrap();
    // What the on-premises agent does when it registers.
    adminx
        .register_broker(&caller, scope, module, &json!({ "uid": "brk-1", "name": "Office DC", "status": "connected" }))
        .await
        .unwrap();
    let with = |more: Value| {
        let mut body = c.with(json!({ "moduleId": c.module_id }));
        body.as_object_mut().unwrap().extend(more.as_object().unwrap().clone());
        body
    };
    let listed = c.admin.open(&c.admin.post(&srv, "/broker/fetch", with(json!({}))).await);
    assert_eq!((listed[0]["uid"].as_str(), listed[0]["enabled"].as_bool()), (Some("brk-1"), Some(true)), "{listed}");
    let off = c.admin.open(
        &c.admin
            .call(&srv, Method::PATCH, "/broker/changestatus", Some(with(json!({ "uid": "brk-1", "enabled": "false" }))))
            .await,
    );
    assert_eq!(off["enabled"], false);
    let renamed = c
        .admin
        .open(&c.admin.call(&srv, Method::PATCH, "/broker/update", Some(with(json!({ "uid": "brk-1", "name": "HQ DC" })))).await);
    assert_eq!((renamed["name"].as_str(), renamed["enabled"].as_bool()), (Some("HQ DC"), Some(false)));
    error(&c.admin.call(&srv, Method::PATCH, "/broker/update", Some(with(json!({ "uid": "nope", "name": "X" })))).await, 404);
    error(
        &c.admin
            .call(&srv, Method::PATCH, "/broker/changestatus", Some(with(json!({ "uid": "brk-1", "enabled": "maybe" }))))
            .await,
        400,
    );
    // The changes are in the audit log under the vendor's names.
    let audit = c.admin.open(&c.admin.post(&srv, "/reports/audit_log", c.with(json!({ "pSize": 100 }))).await);
    let names: Vec<&str> =
        audit["data"]["auditLogEvents"].as_array().unwrap().iter().filter_map(|e| e["eventName"].as_str()).collect();
    assert!(names.contains(&"E_DIRECTORY_BROKER_DISABLED") && names.contains(&"E_DIRECTORY_BROKER_MODIFIED"), "{names:?}");
    let sam = basic_user(&srv, &c, "sam").await;
    error(&sam.post(&srv, "/broker/fetch", with(json!({}))).await, 403);
    let r = c.admin.call(&srv, Method::DELETE, "/broker/brk-1", Some(with(json!({})))).await;
    assert_eq!(r.status, 204, "{}", r.text());
    assert_eq!(c.admin.open(&c.admin.post(&srv, "/broker/fetch", with(json!({}))).await), json!([]));
    error(&c.admin.call(&srv, Method::DELETE, "/broker/brk-1", Some(with(json!({})))).await, 404);
    error(&c.admin.post(&srv, "/broker/fetch", with(json!({ "moduleId": "not-a-module" }))).await, 404);
});

crate::both!(consent_checks_name_the_scopes_a_user_has_not_granted, |srv: TestServer| async move {
    let c = community(&srv, "consent.example.com").await;
    let oidc = json!({ "name": "App", "type": "oidc", "oidc_config": { "redirect_uris": ["https://app.example.com/cb"], "scope": ["openid", "email"] } });
    let app = c.admin.open(&c.admin.call(&srv, Method::PUT, "/serviceprovider", Some(oidc)).await);
    let sp = app["id"].as_str().unwrap().to_string();
    let sam = basic_user(&srv, &c, "sam").await;
    async fn check(srv: &TestServer, v: &Vendor, sp: &str, scopes: Value) -> crate::harness::Resp {
        v.post(srv, "/user_consent/check", json!({ "spId": sp, "scopeIds": scopes })).await
    }
    let email = "0b6b9d6e-5d7c-4f0e-9a43-6f3a1c1e0003";
    let r = sam.open(&check(&srv, &sam, &sp, json!(["openid", email])).await);
    let names: Vec<&str> = r["nonGrantedScopes"].as_array().unwrap().iter().filter_map(|s| s["name"].as_str()).collect();
    assert_eq!(names, ["openid", "email"]);
    assert_eq!(r["nonGrantedScopes"][1], json!({ "uuid": email, "name": "email", "claims": ["email", "email_verified"] }));
    // Once granted (the consent step of a sign-in), only the rest is asked.
    let adminx = srv.running.core.adminx();
    let caller = adminx.authenticate(sam.jwt.as_deref(), keyhall_core::Origin::default()).await.unwrap();
    adminx.grant_scopes(&caller, &sp, &["openid"]).await.unwrap();
    let r = sam.open(&check(&srv, &sam, &sp, json!(["openid", "email"])).await);
    assert_eq!(r["nonGrantedScopes"].as_array().map(Vec::len), Some(1), "{r}");
    // The admin granted nothing: both are asked of them.
    assert_eq!(
        c.admin.open(&check(&srv, &c.admin, &sp, json!(["openid", "email"])).await)["nonGrantedScopes"].as_array().map(Vec::len),
        Some(2)
    );
    assert_eq!(error(&check(&srv, &sam, &sp, json!(["telepathy"])).await, 400), "\"scopeIds\" names an unknown scope: telepathy");
    assert_eq!(error(&check(&srv, &sam, &sp, json!([])).await, 400), "\"scopeIds\" must name at least one scope");
    error(&sam.post(&srv, "/user_consent/check", json!({ "spId": "nope", "scopeIds": ["openid"] })).await, 404);
    error(&Vendor::new(&srv).await.post(&srv, "/user_consent/check", json!({ "spId": sp, "scopeIds": ["openid"] })).await, 401);
});
