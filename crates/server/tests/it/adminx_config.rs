//! Service keys, nonce signing, help-desk passcodes and the community's configuration
//! documents (environment, self-registration, auth scheme, attribute mappings).

use keyhall_crypto::envelope::{Curve, EnvelopeKey};
use reqwest::Method;
use serde_json::json;

use crate::adminx_client::{ADMIN, ADMIN_PASSWORD, Vendor, community, error};
use crate::harness::TestServer;

crate::both!(a_system_license_lists_and_resets_service_keys, |srv: TestServer| async move {
    let c = community(&srv, "keys.example.com").await;
    let mut v = Vendor::new(&srv).await;
    assert_eq!(error(&v.call(&srv, Method::GET, "/servicekeys", None).await, 401), "licensekey header is required");
    v.license = Some(c.license_key.clone());
    let keys = v.call(&srv, Method::GET, "/servicekeys", None).await.json();
    let key = &keys[0];
    assert_eq!((key["tag"].as_str(), key["type"].as_str()), (Some("default"), Some("ecdsa")), "{keys}");
    // The pair is a real one: the secret's public half is the key id.
    let pair = EnvelopeKey::from_private_base64(Curve::Secp256k1, key["keySecret"].as_str().unwrap()).unwrap();
    assert_eq!(pair.public_base64(), key["keyId"].as_str().unwrap());
    assert_eq!(v.call(&srv, Method::GET, "/servicekeys", None).await.json(), keys, "made once");
    let stored = srv.stored_texts("SELECT body FROM config_documents WHERE key = 'service_keys'").await;
    assert!(!stored[0].clone().unwrap().contains(key["keySecret"].as_str().unwrap()), "sealed");
    let id = key["keyId"].as_str().unwrap();
    let reset = v.call(&srv, Method::DELETE, &format!("/servicekey/{}", urlencode(id)), None).await.json();
    assert_ne!(reset[0]["keyId"], key["keyId"]);
    assert_eq!(reset[0]["tag"], "default");
    error(&v.call(&srv, Method::DELETE, "/servicekey/nope", None).await, 404);
    v.license = Some("wrong".into());
    error(&v.call(&srv, Method::GET, "/servicekeys", None).await, 401);
});

fn urlencode(text: &str) -> String {
    text.replace('+', "%2B").replace('/', "%2F").replace('=', "%3D")
}

crate::both!(the_server_signs_nonces_with_its_envelope_key, |srv: TestServer| async move {
    let c = community(&srv, "nonce.example.com").await;
    let v = Vendor::new(&srv).await;
    let r = v.post(&srv, "/nonce/sign", c.with(json!({ "nonce": "n-123" }))).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let signature = r.json()["signed_nonce"].as_str().unwrap().to_string();
    let key = srv.running.core.auth().envelope_key(Curve::Secp256k1).await.unwrap();
    assert!(key.verify(b"n-123", &signature));
    error(&v.post(&srv, "/nonce/sign", c.with(json!({}))).await, 400);
    let mut licensed = Vendor::new(&srv).await;
    licensed.license = Some("bad".into());
    error(&licensed.post(&srv, "/nonce/sign", c.with(json!({ "nonce": "x" }))).await, 401);
});

crate::both!(help_desk_passcodes_stand_in_for_the_second_factor_once, |srv: TestServer| async move {
    let c = community(&srv, "desk.example.com").await;
    let a = &c.admin;
    let settings =
        json!({ "show_otp_email": true, "show_otp_phone": false, "show_otp_voice": false, "show_otp_hardware": false });
    a.call(&srv, Method::PUT, "/config/authentication/mfa_settings", Some(c.with(settings))).await;
    let body =
        |seconds: i64| c.with(json!({ "userId": ADMIN, "validitySeconds": seconds, "serviceName": "1KosmosHelpdeskAdminCode" }));
    let r = a.post(&srv, "/helpdesk-passcode/generate", body(300)).await;
    let code = a.open(&r)["passcode"].as_str().unwrap().to_string();
    assert_eq!(code.len(), 8);
    for bad in [
        body(30),
        c.with(json!({ "userId": ADMIN, "validitySeconds": 300, "serviceName": "other" })),
        c.with(json!({ "validitySeconds": 300, "serviceName": "1KosmosHelpdeskAdminCode" })),
    ] {
        error(&a.post(&srv, "/helpdesk-passcode/generate", bad).await, 400);
    }
    let v = Vendor::new(&srv).await;
    let token =
        v.post(&srv, "/verifyuser", c.with(json!({ "username": ADMIN, "password": ADMIN_PASSWORD }))).await.json()["user_token"]
            .as_str()
            .unwrap()
            .to_string();
    let r = v.post(&srv, "/authenticate", c.with(json!({ "user_token": token, "passcode": code }))).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let token =
        v.post(&srv, "/verifyuser", c.with(json!({ "username": ADMIN, "password": ADMIN_PASSWORD }))).await.json()["user_token"]
            .as_str()
            .unwrap()
            .to_string();
    error(&v.post(&srv, "/authenticate", c.with(json!({ "user_token": token, "passcode": code }))).await, 400);
});

crate::both!(configuration_documents_are_kept_per_community, |srv: TestServer| async move {
    let c = community(&srv, "conf.example.com").await;
    let a = &c.admin;
    let r = a.call(&srv, Method::PATCH, "/environment", Some(json!({ "sessionMaxAgeMinutes": 45 }))).await;
    assert_eq!(a.open(&r)["sessionMaxAgeMinute"], 45);
    error(&a.call(&srv, Method::PATCH, "/environment", Some(json!({ "sessionMaxAgeMinute": 0 }))).await, 400);
    // The community's sessions now end after 45 idle minutes.
    let mut short = Vendor::new(&srv).await;
    let r = short.post(&srv, "/verifyuser", c.with(json!({ "username": ADMIN, "password": ADMIN_PASSWORD }))).await;
    short.jwt = r.json()["jwt_token"].as_str().map(str::to_string);
    let claims = short.open(&short.post(&srv, "/jwt/verifyToken", json!({ "token": short.jwt })).await);
    assert_eq!(claims["idle"], 45 * 60);
    srv.pass_time(std::time::Duration::from_secs(46 * 60)).await;
    error(&short.post(&srv, "/jwt/verifyToken", json!({ "token": short.jwt })).await, 401);
    let r = a.post(&srv, "/verifyuser", c.with(json!({ "username": ADMIN, "password": ADMIN_PASSWORD }))).await;
    let mut a = Vendor::new(&srv).await;
    a.jwt = r.json()["jwt_token"].as_str().map(str::to_string);
    let a = &a;
    let fetched = a.open(&a.post(&srv, "/config/self_registration_config/fetch", c.ids()).await);
    assert_eq!(fetched["allowed"], false);
    a.call(&srv, Method::PUT, "/config/self_registration_config", Some(c.with(json!({ "allowed": true })))).await;
    assert_eq!(a.open(&a.post(&srv, "/config/self_registration_config/fetch", c.ids()).await)["allowed"], true);
    error(&a.call(&srv, Method::PUT, "/config/self_registration_config", Some(c.with(json!({ "allowed": "maybe" })))).await, 400);
    // The auth scheme lists the modules chosen for it; the login page shows that choice.
    let ldap =
        json!({ "type": "ldap", "name": "corp", "config": { "server": "127.0.0.1", "serverport": 389, "basedn": "dc=x" } });
    let module =
        a.open(&a.call(&srv, Method::PUT, "/auth_modules/create", Some(ldap)).await)["_id"].as_str().unwrap().to_string();
    let r = a.call(&srv, Method::PATCH, "/authscheme/default/modules", Some(c.with(json!({ "modules": [module] })))).await;
    let scheme = a.open(&r);
    assert_eq!(
        (scheme["dbModule"]["_id"].as_str(), scheme["modules"][0]["name"].as_str()),
        (Some(c.module_id.as_str()), Some("corp"))
    );
    error(&a.call(&srv, Method::PATCH, "/authscheme/default/modules", Some(c.with(json!({ "modules": ["nope"] })))).await, 404);
    let info = Vendor::new(&srv)
        .await
        .post(&srv, "/community_auth_info/fetch", json!({ "dns": "conf.example.com", "communityName": "default" }))
        .await
        .json();
    assert_eq!(info["authScheme"]["modules"].as_array().unwrap().len(), 1);
    // Attribute mappings of a module.
    let r = a.call(&srv, Method::PUT, "/attributes", Some(json!({ "moduleId": module, "attributes": [{ "name": "email", "attribute": "mail" }, { "name": "EMAIL", "attribute": "x" }] }))).await;
    let made = a.open(&r);
    assert_eq!((made["created"].as_array().unwrap().len(), made["errors"].as_array().unwrap().len()), (1, 1), "{made}");
    let id = made["created"][0]["_id"].as_str().unwrap().to_string();
    let listed = a.open(&a.call(&srv, Method::GET, &format!("/attributes?moduleId={module}"), None).await);
    assert_eq!(listed[0]["attribute"], "mail");
    let r = a.call(&srv, Method::PATCH, &format!("/attributes/{id}"), Some(json!({ "attribute": "userPrincipalName" }))).await;
    assert_eq!(a.open(&r)["attribute"], "userPrincipalName");
    error(
        &a.call(
            &srv,
            Method::PUT,
            "/attributes",
            Some(json!({ "moduleId": module, "attributes": [{ "name": "bad name!", "attribute": "x" }] })),
        )
        .await,
        400,
    );
    error(&a.call(&srv, Method::GET, "/attributes", None).await, 400);
    assert_eq!(a.call(&srv, Method::DELETE, &format!("/attributes/{id}"), None).await.status, 204);
    error(&a.call(&srv, Method::DELETE, &format!("/attributes/{id}"), None).await, 404);
    // Each community has its own documents.
    let other = community(&srv, "conf2.example.com").await;
    assert_eq!(
        other.admin.open(&other.admin.post(&srv, "/config/self_registration_config/fetch", other.ids()).await)["allowed"],
        false
    );
    error(&other.admin.post(&srv, "/config/self_registration_config/fetch", c.ids()).await, 404);
});

crate::both!(consents_keep_every_version_by_its_content_address, |srv: TestServer| async move {
    let c = community(&srv, "consent.example.com").await;
    let a = &c.admin;
    error(&a.call(&srv, Method::GET, "/config/consents/biometric", None).await, 404);
    let body = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, "We keep your face template.");
    let consent =
        json!({ "type": "biometric", "isEnabled": true, "title": "Biometrics", "body": body, "acknowledgeText": "I agree" });
    let first = a.open(&a.call(&srv, Method::PUT, "/config/consents", Some(consent.clone())).await);
    let hash = first["ipfsHash"].as_str().unwrap().to_string();
    assert!(hash.starts_with("Qm") && first["history"].as_array().unwrap().len() == 1, "{first}");
    let mut changed = consent.clone();
    changed["title"] = json!("Face and fingerprint");
    let second = a.open(&a.call(&srv, Method::PUT, "/config/consents", Some(changed)).await);
    assert_eq!(second["history"].as_array().unwrap().len(), 2);
    assert_eq!(a.open(&a.call(&srv, Method::GET, "/config/consents/biometric", None).await)["title"], "Face and fingerprint");
    assert_eq!(a.open(&a.call(&srv, Method::GET, &format!("/config/consents/ipfs/{hash}"), None).await)["title"], "Biometrics");
    error(&a.call(&srv, Method::GET, "/config/consents/ipfs/QmNothing", None).await, 404);
    for bad in [
        json!({ "type": "biometric", "isEnabled": "true" }),
        json!({ "type": "biometric", "isEnabled": true, "title": "t", "acknowledgeText": "a" }),
        json!({ "type": "biometric", "isEnabled": false, "body": "not base64!" }),
        json!({ "isEnabled": false }),
    ] {
        error(&a.call(&srv, Method::PUT, "/config/consents", Some(bad)).await, 400);
    }
    let events =
        srv.stored_texts("SELECT details FROM audit_log WHERE action = 'E_BIOMETRIC_CONSENT_UPDATED' ORDER BY created_at").await;
    assert!(events[1].clone().unwrap().contains("changed_title"), "{events:?}");
});
