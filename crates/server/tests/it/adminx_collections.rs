//! The community's collections: the secret store (values sealed, never answered, tags unique
//! in the community) and certificates made for the IdP.

use reqwest::Method;
use serde_json::json;

use crate::adminx_client::{Vendor, community, error};
use crate::harness::TestServer;

crate::both!(secrets_are_kept_by_tag_and_never_shown, |srv: TestServer| async move {
    let c = community(&srv, "secrets.example.com").await;
    let r = c
        .admin
        .post(&srv, "/secret-store/create", c.with(json!({ "tag": "stripe_api_key", "value": "sk_live_VERYSECRET" })))
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
    let made = r.json();
    assert_eq!((made["tag"].as_str(), made["createdBy"].as_str()), (Some("stripe_api_key"), Some("admin@secrets.example.com")));
    assert!(made["createdTs"].as_i64().is_some_and(|t| (t - Vendor::now(&srv)).abs() < 60), "{made}");
    assert_eq!(made["communityId"], c.community_id);
    // The same tag again: 409, and still one secret.
    let again = c.admin.post(&srv, "/secret-store/create", c.with(json!({ "tag": "stripe_api_key", "value": "other" }))).await;
    assert_eq!(error(&again, 409), "A secret with this tag already exists");
    for (body, wrong) in [
        (json!({ "tag": "9lives", "value": "x" }), "\"tag\" must start with a letter"),
        (json!({ "tag": "has-dash", "value": "x" }), "\"tag\" must start with a letter"),
        (json!({ "tag": "ok_tag" }), "\"value\" is required"),
        (json!({ "value": "x" }), "\"tag\" is required"),
        (json!({ "tag": "ok_tag", "value": 5 }), "\"value\" must be a string"),
    ] {
        let message = error(&c.admin.post(&srv, "/secret-store/create", c.with(body)).await, 400);
        assert!(message.starts_with(wrong), "{message}");
    }
    let listed = c.admin.post(&srv, "/secret-store/fetch", c.ids()).await;
    assert_eq!(listed.status, 200, "{}", listed.text());
    assert_eq!(listed.json(), json!([made]));
    assert!(!listed.text().contains("VERYSECRET"));
    // Users who are not administrators, and other tenants, see nothing of it.
    let sam = crate::adminx_client::basic_user(&srv, &c, "sam").await;
    error(&sam.post(&srv, "/secret-store/fetch", c.ids()).await, 403);
    error(&sam.post(&srv, "/secret-store/create", c.with(json!({ "tag": "mine", "value": "x" }))).await, 403);
    error(&sam.post(&srv, "/secret-store/delete", c.with(json!({ "tag": "stripe_api_key" }))).await, 403);
    let other = community(&srv, "other-secrets.example.com").await;
    error(&other.admin.post(&srv, "/secret-store/fetch", c.ids()).await, 404);
    assert_eq!(other.admin.post(&srv, "/secret-store/fetch", other.ids()).await.json(), json!([]));
    // Deleted by tag; a second time it is gone.
    let r = c.admin.post(&srv, "/secret-store/delete", c.with(json!({ "tag": "stripe_api_key" }))).await;
    assert_eq!(r.json(), json!({ "message": "Secret deleted successfully" }));
    assert_eq!(
        error(&c.admin.post(&srv, "/secret-store/delete", c.with(json!({ "tag": "stripe_api_key" }))).await, 404),
        "Secret not found"
    );
    assert_eq!(c.admin.post(&srv, "/secret-store/fetch", c.ids()).await.json(), json!([]));
    // Two administrators racing for one tag: one secret.
    let create = || c.admin.post(&srv, "/secret-store/create", c.with(json!({ "tag": "raced", "value": "x" })));
    let (a, b) = tokio::join!(create(), create());
    let mut statuses = [a.status, b.status];
    statuses.sort();
    assert_eq!(statuses, [201, 409]);
    assert_eq!(c.admin.post(&srv, "/secret-store/fetch", c.ids()).await.json().as_array().map(Vec::len), Some(1));
});

fn openssl(args: &[&str], input: Option<&str>) -> (bool, String) {
    use std::io::Write;
    let mut child = std::process::Command::new("openssl")
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("openssl is installed (bin/test installs it)");
    child.stdin.take().unwrap().write_all(input.unwrap_or_default().as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    (out.status.success(), String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr))
}

crate::both!(certificates_are_real_self_signed_x509_with_their_key, |srv: TestServer| async move {
    use sha2::Digest;
    let c = community(&srv, "certs.example.com").await;
    let r = c
        .admin
        .post(&srv, "/certificate/generate", json!({ "keySize": 2048, "algorithm": "sha384", "expirationDays": 90 }))
        .await;
    let made = c.admin.open(&r);
    let cert = made["cert"].as_str().unwrap();
    let key = made["privateKey"].as_str().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let cert_path = dir.path().join("cert.pem");
    std::fs::write(&cert_path, cert).unwrap();
    let cert_path = cert_path.to_str().unwrap();
    // A certificate openssl reads, signed by its own key, with the key it came with.
    let (ok, text) = openssl(&["x509", "-noout", "-subject", "-text"], Some(cert));
    assert!(ok && text.contains("certs.example.com") && text.contains("sha384WithRSAEncryption"), "{text}");
    let (ok, text) = openssl(&["verify", "-CAfile", cert_path, cert_path], None);
    assert!(ok, "{text}");
    let (_, cert_modulus) = openssl(&["x509", "-noout", "-modulus"], Some(cert));
    let (_, key_modulus) = openssl(&["rsa", "-noout", "-modulus"], Some(key));
    assert!(cert_modulus.starts_with("Modulus=") && cert_modulus == key_modulus);
    assert!(openssl(&["x509", "-noout", "-checkend", &(89 * 86_400).to_string()], Some(cert)).0, "valid for 90 days");
    assert!(!openssl(&["x509", "-noout", "-checkend", &(91 * 86_400).to_string()], Some(cert)).0, "and not longer");
    // The fingerprints are the DER's digests.
    let body: String = cert.lines().filter(|l| !l.starts_with("-----")).collect();
    let der = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, body).unwrap();
    assert_eq!(made["fingerprints"]["sha256"], hex::encode(sha2::Sha256::digest(&der)));
    assert_eq!((made["keySize"].as_i64(), made["algorithm"].as_str()), (Some(2048), Some("sha384")));
    // Weak or unknown parameters are refused; other users may not make one.
    for (body, wrong) in [
        (json!({ "keySize": 1024, "algorithm": "sha256", "expirationDays": 30 }), "\"keySize\" must be one of"),
        (json!({ "keySize": 2048, "algorithm": "md5", "expirationDays": 30 }), "\"algorithm\" must be one of"),
        (json!({ "keySize": 2048, "algorithm": "sha256", "expirationDays": 0 }), "\"expirationDays\" must be"),
        (json!({ "keySize": "big", "algorithm": "sha256", "expirationDays": 30 }), "\"keySize\" must be a number"),
    ] {
        let message = error(&c.admin.post(&srv, "/certificate/generate", body).await, 400);
        assert!(message.starts_with(wrong), "{message}");
    }
    let visitor = Vendor::new(&srv).await;
    error(
        &visitor
            .post(&srv, "/certificate/generate", json!({ "keySize": 2048, "algorithm": "sha256", "expirationDays": 1 }))
            .await,
        401,
    );
});

crate::both!(journeys_are_listed_changed_and_removed_in_their_community, |srv: TestServer| async move {
    let c = community(&srv, "journeys.example.com").await;
    let journey = json!({ "journeyName": "Contractors", "groups": { "value": ["contractors"], "operator": "overlap" },
        "ip": { "value": ["10.0.0.0/8"], "operator": "in_range" }, "domain": "journeys.example.com",
        "decision": { "action": "mfa_required", "authenticationMethods": ["password_and_otp"] } });
    let made = c.admin.open(&c.admin.call(&srv, Method::PUT, "/authenticationJourney", Some(c.with(journey.clone()))).await);
    let id = made["id"].as_str().unwrap().to_string();
    assert_eq!((made["enabled"].as_bool(), made["communityId"].as_str()), (Some(true), Some(c.community_id.as_str())));
    assert_eq!(made["deviceId"], json!({ "value": [], "operator": "in" }), "defaults for conditions left out");
    // The name is the community's once; bad operators and missing decisions are refused whole.
    let again = c.admin.call(&srv, Method::PUT, "/authenticationJourney", Some(c.with(journey.clone()))).await;
    assert_eq!(error(&again, 409), "An authentication journey with this journeyName already exists");
    let mut bad = journey.clone();
    bad["journeyName"] = json!("Other");
    bad["groups"]["operator"] = json!("sometimes");
    assert!(
        error(&c.admin.call(&srv, Method::PUT, "/authenticationJourney", Some(bad)).await, 400)
            .starts_with("\"groups.operator\"")
    );
    let r = c.admin.call(&srv, Method::PUT, "/authenticationJourney", Some(json!({ "journeyName": "No decision" }))).await;
    assert_eq!(error(&r, 400), "\"decision\" is required");
    let listed = c.admin.open(&c.admin.post(&srv, "/authenticationJourney/fetch", c.ids()).await);
    assert_eq!(listed, json!([made]));
    // Changed field by field.
    let r = c.admin.call(&srv, Method::PATCH, &format!("/authenticationJourney/{id}"), Some(json!({ "enabled": false }))).await;
    let changed = c.admin.open(&r);
    assert_eq!((changed["enabled"].as_bool(), changed["journeyName"].as_str()), (Some(false), Some("Contractors")));
    let fetched = c.admin.open(&c.admin.post(&srv, "/authenticationJourney/fetch", c.with(json!({ "ids": [id] }))).await);
    assert_eq!(fetched, json!([changed]));
    // Another tenant cannot reach it; unknown ids are 404.
    let other = community(&srv, "other-journeys.example.com").await;
    assert_eq!(other.admin.open(&other.admin.post(&srv, "/authenticationJourney/fetch", json!({})).await), json!([]));
    let r =
        other.admin.call(&srv, Method::PATCH, &format!("/authenticationJourney/{id}"), Some(json!({ "enabled": true }))).await;
    assert_eq!(error(&r, 404), "Authentication journey not found");
    error(&other.admin.call(&srv, Method::DELETE, &format!("/authenticationJourney/{id}"), None).await, 404);
    let r = c.admin.call(&srv, Method::DELETE, &format!("/authenticationJourney/{id}"), Some(c.ids())).await;
    assert_eq!(r.status, 204, "{}", r.text());
    error(&c.admin.call(&srv, Method::DELETE, &format!("/authenticationJourney/{id}"), Some(c.ids())).await, 404);
    // v2: found by requesting application and category.
    for (name, app) in [("Linux", "linux_cp"), ("Windows", "windows_cp")] {
        let body = json!({ "name": name, "category": "adaptive_auth_fallback_policy_v2",
            "requestingAppId": { "value": app, "operator": "eq" }, "usernames": { "value": ["root"], "operator": "in" },
            "decision": { "action": "deny" } });
        assert_eq!(c.admin.call(&srv, Method::PUT, "/v2/authenticationJourney", Some(body)).await.status, 200);
    }
    let found =
        c.admin.open(&c.admin.post(&srv, "/v2/authenticationJourney/fetch", json!({ "requestingAppId": "linux_cp" })).await);
    assert_eq!(found.as_array().map(|a| a.iter().map(|j| j["name"].clone()).collect::<Vec<_>>()), Some(vec![json!("Linux")]));
    let none = c.admin.open(&c.admin.post(&srv, "/v2/authenticationJourney/fetch", json!({ "category": "other" })).await);
    assert_eq!(none, json!([]));
});

crate::both!(radius_and_auth_proxy_configurations_are_kept_by_uid, |srv: TestServer| async move {
    let c = community(&srv, "radius.example.com").await;
    let config = json!({ "name": "VPN", "authScheme": ["push"], "pushKeyword": "push", "ivrKeyword": "call" });
    let made = c.admin.open(&c.admin.call(&srv, Method::PUT, "/radius/config/vpn-1", Some(c.with(config.clone()))).await);
    assert_eq!((made["uid"].as_str(), made["name"].as_str()), (Some("vpn-1"), Some("VPN")));
    // Replaced, not added: fields left out go back to their defaults.
    let replaced = json!({ "name": "VPN gateway", "authScheme": ["push", "otp"], "pushKeyword": "p" });
    let r = c.admin.open(&c.admin.call(&srv, Method::PUT, "/radius/config/vpn-1", Some(c.with(replaced))).await);
    assert_eq!(
        (r["name"].as_str(), r["ivrKeyword"].as_str(), r["id"].as_str()),
        (Some("VPN gateway"), Some(""), made["id"].as_str())
    );
    let listed = c.admin.open(&c.admin.post(&srv, "/radius/fetch", c.ids()).await);
    assert_eq!(listed.as_array().map(Vec::len), Some(1));
    assert_eq!(c.admin.open(&c.admin.post(&srv, "/radius/fetch", c.with(json!({ "ids": ["vpn-1"] }))).await), listed);
    let bad = json!({ "name": "X", "authScheme": "push", "pushKeyword": "p" });
    assert!(error(&c.admin.call(&srv, Method::PUT, "/radius/config/vpn-2", Some(bad)).await, 400).starts_with("\"authScheme\""));
    assert_eq!(c.admin.open(&c.admin.post(&srv, "/radius/fetch", c.ids()).await), listed, "nothing written");
    let removed = c.admin.open(&c.admin.call(&srv, Method::DELETE, "/radius/config/vpn-1", None).await);
    assert_eq!(removed["uid"], "vpn-1");
    assert_eq!(
        error(&c.admin.call(&srv, Method::DELETE, "/radius/config/vpn-1", None).await, 404),
        "RADIUS configuration not found"
    );
    // Auth proxy: the same shape; its delete answers 204.
    let proxy = json!({ "name": "Proxy", "authScheme": ["push"], "pushKeyword": "push", "isDefaultAuthMethodEnable": true, "defaultAuthMethod": "ivr" });
    let made = c.admin.open(&c.admin.call(&srv, Method::PUT, "/authproxy/config/p1", Some(proxy)).await);
    assert_eq!(made["defaultAuthMethod"], "ivr");
    let bad = json!({ "name": "Proxy", "authScheme": ["push"], "pushKeyword": "push", "defaultAuthMethod": "fax" });
    assert!(
        error(&c.admin.call(&srv, Method::PUT, "/authproxy/config/p2", Some(bad)).await, 400)
            .starts_with("\"defaultAuthMethod\"")
    );
    assert_eq!(c.admin.call(&srv, Method::DELETE, "/authproxy/config/p1", None).await.status, 204);
    assert_eq!(c.admin.open(&c.admin.post(&srv, "/authproxy/fetch", c.ids()).await), json!([]));
});

crate::both!(an_active_smtp_gateway_carries_the_communitys_mail, |srv: TestServer| async move {
    use crate::smtp_sink::SmtpSink;
    let installation = SmtpSink::start().await;
    let url = installation.url();
    let node = srv.sibling(move |c| c.server.smtp_url = Some(url)).await;
    let c = community(&node, "gateway.example.com").await;
    let own = SmtpSink::start().await;
    let gateway = c.with(json!({ "type": "smtp", "channels": ["email"], "protocol": "smtp", "name": "Acme mail",
        "username": "mailer", "password": "gw-VERYSECRET", "serviceUrl": own.url(), "senderEmail": "noreply@acme.example" }));
    let made = c.admin.open(&c.admin.post(&node, "/msg_gateway/create", gateway.clone()).await);
    let id = made["id"].as_str().unwrap().to_string();
    assert_eq!(made["status"], "created");
    let listed = c.admin.post(&node, "/msg_gateway/fetch", c.ids()).await;
    let listed_json = c.admin.open(&listed);
    assert_eq!(listed_json[0]["serviceUrl"], own.url());
    assert!(listed_json[0].get("password").is_none() && !listed_json.to_string().contains("VERYSECRET"), "{listed_json}");
    let one = c.admin.open(&c.admin.post(&node, &format!("/msg_gateway/fetch/{id}"), c.ids()).await);
    assert_eq!(one, listed_json);
    // A reset link now leaves through the community's server, signed in as its account.
    let v = Vendor::new(&node).await;
    let found = v.post(&node, "/users/find", c.with(json!({ "username": "admin" }))).await.json();
    let token = found["users"][0]["user_token"].as_str().unwrap().to_string();
    let ask = c.with(json!({ "user_token": token, "destination": "admin@gateway.example.com", "captchaToken": "" }));
    assert_eq!(v.call(&node, Method::PUT, "/password_reset/sendverify", Some(ask.clone())).await.status, 200);
    let mail = own.wait_for("admin@gateway.example.com", 0).await;
    assert!(mail.data.contains("From: noreply@acme.example"), "{}", mail.data);
    assert_eq!(mail.auth.as_deref(), Some("\0mailer\0gw-VERYSECRET"));
    // Switched off: the installation's mailer again.
    let r = c.admin.post(&node, "/msg_gateway/update", c.with(json!({ "id": id, "active": false }))).await;
    assert_eq!(c.admin.open(&r), json!({ "id": id, "status": "updated" }));
    assert_eq!(v.call(&node, Method::PUT, "/password_reset/sendverify", Some(ask)).await.status, 200);
    installation.wait_for("admin@gateway.example.com", 0).await;
    // Refused: no sender for e-mail, an unknown channel; unknown and foreign ids.
    let mut bad = gateway.clone();
    bad.as_object_mut().unwrap().remove("senderEmail");
    assert_eq!(error(&c.admin.post(&node, "/msg_gateway/create", bad).await, 400), "\"senderEmail\" is required");
    let mut bad = gateway.clone();
    bad["channels"] = json!(["fax"]);
    assert!(error(&c.admin.post(&node, "/msg_gateway/create", bad).await, 400).starts_with("\"channels\""));
    assert_eq!(c.admin.open(&c.admin.post(&node, "/msg_gateway/fetch", c.ids()).await).as_array().map(Vec::len), Some(1));
    let other = community(&node, "other-gateway.example.com").await;
    error(&other.admin.post(&node, &format!("/msg_gateway/fetch/{id}"), json!({})).await, 404);
    let gone = other.admin.call(&node, Method::DELETE, "/msg_gateway", Some(other.with(json!({ "gatewayId": id })))).await;
    assert_eq!(error(&gone, 404), "Gateway not found");
    let r = c.admin.call(&node, Method::DELETE, "/msg_gateway", Some(c.with(json!({ "gatewayId": id })))).await;
    assert_eq!(r.status, 204, "{}", r.text());
    assert_eq!(c.admin.open(&c.admin.post(&node, "/msg_gateway/fetch", c.ids()).await), json!([]));
});

crate::both!(identity_providers_are_one_per_protocol_and_external_ones_are_checked, |srv: TestServer| async move {
    let c = community(&srv, "idps.example.com").await;
    // The first fetch makes the default OpenID Connect one.
    let first = c.admin.open(&c.admin.post(&srv, "/idp/fetch", c.ids()).await);
    assert_eq!(first.as_array().map(Vec::len), Some(1));
    assert_eq!((first[0]["type"].as_str(), first[0]["accessTokenLifetime"].as_i64()), (Some("oidc"), Some(3600)));
    assert_eq!(c.admin.open(&c.admin.post(&srv, "/idp/fetch", c.ids()).await), first, "made once");
    let saml =
        c.admin.open(&c.admin.call(&srv, Method::PUT, "/idp", Some(json!({ "type": "saml", "sessionLifetime": 3600 }))).await);
    let again = c.admin.call(&srv, Method::PUT, "/idp", Some(json!({ "type": "saml" }))).await;
    assert_eq!(error(&again, 409), "An identity provider with this type already exists");
    let id = saml["id"].as_str().unwrap();
    let r = c.admin.call(&srv, Method::PATCH, &format!("/idp/{id}"), Some(json!({ "type": "oidc" }))).await;
    assert_eq!(error(&r, 409), "An identity provider with this type already exists");
    let r = c.admin.call(&srv, Method::PATCH, &format!("/idp/{id}"), Some(json!({ "accessTokenLifetime": 10 }))).await;
    assert!(error(&r, 400).starts_with("\"accessTokenLifetime\" must be a number from 60"));
    let only = c.admin.open(&c.admin.post(&srv, "/idp/fetch", json!({ "type": "saml" })).await);
    assert_eq!(only, json!([saml]));
    assert_eq!(c.admin.call(&srv, Method::DELETE, &format!("/idp/{id}"), None).await.status, 204);
    // External IdPs: an OpenID Connect one needs its client and where its provider is.
    let oidc = json!({ "name": "Google", "type": "oidc", "clientId": "abc.apps", "clientSecret": "g-VERYSECRET",
        "discoveryUrl": "https://accounts.google.com/.well-known/openid-configuration" });
    let r = c.admin.call(&srv, Method::PUT, "/external_idp", Some(c.with(oidc.clone()))).await;
    let made = c.admin.open(&r);
    assert!(made.get("clientSecret").is_none() && !r.text().contains("VERYSECRET"), "{made}");
    let r =
        c.admin.call(&srv, Method::PUT, "/external_idp", Some(json!({ "name": "Bare", "type": "oidc", "clientId": "x" }))).await;
    assert_eq!(error(&r, 400), "\"issuer\" is required");
    let r = c
        .admin
        .call(&srv, Method::PUT, "/external_idp", Some(json!({ "name": "Corp", "type": "saml", "entityId": "urn:corp" })))
        .await;
    assert_eq!(error(&r, 400), "\"ssoUrl\" is required");
    let listed = c.admin.open(&c.admin.post(&srv, "/external_idp/fetch", json!({})).await);
    assert_eq!(listed, json!([made]));
    let id = made["id"].as_str().unwrap();
    let r = c.admin.call(&srv, Method::PATCH, &format!("/external_idp/{id}"), Some(json!({ "enabled": false }))).await;
    assert_eq!(c.admin.open(&r)["enabled"], false);
    let other = community(&srv, "other-idps.example.com").await;
    error(&other.admin.call(&srv, Method::DELETE, &format!("/external_idp/{id}"), None).await, 404);
    assert_eq!(c.admin.call(&srv, Method::DELETE, &format!("/external_idp/{id}"), None).await.status, 204);
});

crate::both!(downloadables_list_and_serve_their_files, |srv: TestServer| async move {
    // keyhall's own catalogue: the running program, as the RADIUS software of this platform.
    let c = community(&srv, "downloads.example.com").await;
    let os = std::env::consts::OS;
    let r = c.admin.post(&srv, "/downloadables/versions/fetch", json!({ "software": ["radius"], "os": [os] })).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["artifacts"][0]["version"], env!("CARGO_PKG_VERSION"));
    let ask = c.with(json!({ "moduleId": c.module_id, "type": "radius", "os": os, "version": "latest" }));
    let r = c.admin.post(&srv, "/downloadables/artifact/fetch", ask).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body.len() as u64, std::fs::metadata(std::env::current_exe().unwrap()).unwrap().len());
    // An operator's catalogue replaces it: its files, the newest by version.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("broker-2.msi"), b"broker two").unwrap();
    std::fs::write(dir.path().join("broker-10.msi"), b"broker ten").unwrap();
    let catalogue = json!({ "artifacts": [
        { "software": "broker", "os": "windows", "version": "1.2.0", "file": "broker-2.msi" },
        { "software": "broker", "os": "windows", "version": "1.10.0", "displayVersion": "1.10", "file": "broker-10.msi" },
        { "software": "broker", "os": "linux", "version": "1.1.0", "file": "gone.tar.gz" } ] });
    let path = dir.path().join("downloads.json");
    std::fs::write(&path, catalogue.to_string()).unwrap();
    let node = srv.sibling(move |cfg| cfg.adminx.downloads_file = Some(path)).await;
    let c = community(&node, "catalogue.example.com").await;
    let r = c.admin.post(&node, "/downloadables/versions/fetch", json!({ "software": ["broker"], "os": ["windows"] })).await;
    assert_eq!(
        r.json(),
        json!({ "artifacts": [{ "software": "broker", "os": "windows", "displayVersion": "1.10", "version": "1.10.0" }] })
    );
    let all = c
        .admin
        .post(&node, "/downloadables/versions/fetch", json!({ "software": ["broker"], "os": ["windows"], "latest": false }))
        .await;
    assert_eq!(all.json()["artifacts"].as_array().map(Vec::len), Some(2));
    let r = c.admin.post(&node, "/downloadables/artifact/fetch", c.with(json!({ "moduleId": c.module_id }))).await;
    assert_eq!((r.status, &r.body[..]), (200, &b"broker ten"[..]), "broker, windows, latest by default");
    let r = c
        .admin
        .post(&node, "/downloadables/artifact/fetch", c.with(json!({ "moduleId": c.module_id, "version": "1.2.0" })))
        .await;
    assert_eq!(&r.body[..], b"broker two");
    let missing = c.with(json!({ "moduleId": c.module_id, "os": "linux" }));
    assert_eq!(error(&c.admin.post(&node, "/downloadables/artifact/fetch", missing).await, 404), "Artifact not found");
    let other_module = c.with(json!({ "moduleId": uuid::Uuid::new_v4().to_string() }));
    error(&c.admin.post(&node, "/downloadables/artifact/fetch", other_module).await, 404);
    assert_eq!(
        error(&c.admin.post(&node, "/downloadables/versions/fetch", json!({ "os": ["windows"] })).await, 400),
        "\"software\" is required"
    );
});

crate::both!(uploaded_images_are_served_by_their_url_as_images_only, |srv: TestServer| async move {
    use reqwest::multipart::{Form, Part};
    let c = community(&srv, "images.example.com").await;
    let png: Vec<u8> = base64::Engine::decode(
        &base64::engine::general_purpose::STANDARD,
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==",
    )
    .unwrap();
    let upload = |v: &Vendor, bytes: Vec<u8>, claimed: &str| {
        let form = Form::new().part("file", Part::bytes(bytes).file_name("logo.png").mime_str(claimed).unwrap());
        TestServer::send(v.request(&srv, Method::POST, "/image/upload", None).multipart(form))
    };
    let r = upload(&c.admin, png.clone(), "image/png").await;
    let url = c.admin.open(&r)["url"].as_str().unwrap().to_string();
    let path = url.split("/adminapi").nth(1).unwrap().to_string();
    let got = TestServer::send(srv.client.get(srv.url(&format!("/adminapi{path}")))).await;
    assert_eq!((got.status, &got.body[..]), (200, &png[..]));
    assert_eq!(got.headers["content-type"], "image/png");
    assert_eq!(got.headers["x-content-type-options"], "nosniff");
    // The URL is one branding takes.
    let branding = json!({ "bg_color_left_panel": "#112233", "bg_color_right_panel": "#fff", "heading_text_color": "#000",
        "primary_button_color": "#000", "active_tab_text_color": "#000", "links_color": "#000",
        "community_logo_img": url, "bg_img_left_panel": url });
    assert_eq!(c.admin.call(&srv, Method::PUT, "/branding", Some(c.with(branding))).await.status, 200);
    // What is not an image is refused, whatever the upload claims; so is anyone but an administrator.
    let html = b"<html><script>alert(1)</script></html>".to_vec();
    assert_eq!(error(&upload(&c.admin, html, "image/png").await, 400), "\"file\" must be a PNG, JPEG, GIF or WebP image");
    let svg = b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>".to_vec();
    error(&upload(&c.admin, svg, "image/svg+xml").await, 400);
    error(&upload(&Vendor::new(&srv).await, png.clone(), "image/png").await, 401);
    let r = TestServer::send(c.admin.request(&srv, Method::POST, "/image/upload", None)).await;
    assert_eq!(error(&r, 400), "\"file\" is required");
    error(&TestServer::send(srv.client.get(srv.url("/adminapi/image/00000000-0000-4000-8000-000000000000"))).await, 404);
});

crate::both!(service_providers_hold_saml_and_oidc_settings, |srv: TestServer| async move {
    let c = community(&srv, "sps.example.com").await;
    let saml = json!({ "name": "Wiki", "type": "saml", "saml_config": { "idpInitiated": true, "entityId": "https://wiki.example.com/saml",
        "assertionConsumerServiceURL": "https://wiki.example.com/saml/acs",
        "nameid": { "format": "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress", "value": "email1", "attribute_type": "identity" },
        "attributes": [{ "claim_name": "mail", "attribute_name": "email1" }] } });
    let made = c.admin.open(&c.admin.call(&srv, Method::PUT, "/serviceprovider", Some(saml.clone())).await);
    let id = made["_id"].as_str().unwrap().to_string();
    assert_eq!(made["saml_config"]["signingAlgo"], "RSA_SHA256", "defaults filled");
    assert_eq!(made["saml_config"]["attributes"][0]["value_type"], "default");
    let one = c.admin.open(&c.admin.call(&srv, Method::GET, &format!("/serviceprovider/{id}"), None).await);
    assert_eq!(one, made);
    // An OpenID Connect one gets its credentials; the secret is answered once.
    let oidc = json!({ "name": "Portal", "type": "oidc", "oidc_config": { "redirect_uris": ["https://portal.example.com/cb"],
        "grant_types": ["authorization_code", "refresh_token"], "client_id": "mine" } });
    let r = c.admin.call(&srv, Method::PUT, "/serviceprovider", Some(oidc.clone())).await;
    let client = c.admin.open(&r);
    let secret = client["oidc_config"]["client_secret"].as_str().unwrap().to_string();
    assert!(secret.len() >= 40 && client["oidc_config"]["client_id"] != "mine", "{client}");
    let listed = c.admin.open(&c.admin.post(&srv, "/serviceprovider/fetch", json!({})).await);
    assert_eq!(listed.as_array().map(Vec::len), Some(2));
    assert!(!listed.to_string().contains(&secret), "the secret is not answered again");
    // Refused whole: a redirect URI that is not https, an unknown grant, a SAML one without its settings, a taken name.
    for (body, wrong) in [
        (
            json!({ "name": "Bad", "type": "oidc", "oidc_config": { "redirect_uris": ["http://evil.example.com/cb"] } }),
            "\"oidc_config.redirect_uris\"",
        ),
        (
            json!({ "name": "Bad", "type": "oidc", "oidc_config": { "redirect_uris": ["https://a.example.com"], "grant_types": ["password"] } }),
            "\"oidc_config.grant_types\"",
        ),
        (json!({ "name": "Bad", "type": "saml" }), "\"saml_config\" is required"),
        (
            json!({ "name": "Bad", "type": "saml", "saml_config": { "entityId": "x", "assertionConsumerServiceURL": "https://a.example.com",
            "attributes": [{ "claim_name": "mail" }] } }),
            "\"saml_config.attributes[0].attribute_name\" is required",
        ),
    ] {
        let message = error(&c.admin.call(&srv, Method::PUT, "/serviceprovider", Some(body)).await, 400);
        assert!(message.starts_with(wrong), "{message}");
    }
    assert_eq!(
        error(&c.admin.call(&srv, Method::PUT, "/serviceprovider", Some(saml)).await, 409),
        "A service provider with this name already exists"
    );
    // Changed; a user sees the IdP-initiated ones only, in short.
    let r = c.admin.call(&srv, Method::PATCH, &format!("/serviceprovider/{id}"), Some(json!({ "hideBanner": true }))).await;
    assert_eq!(c.admin.open(&r)["hideBanner"], true);
    let ann = crate::adminx_client::basic_user(&srv, &c, "ann").await;
    let apps = ann.open(&ann.call(&srv, Method::GET, "/serviceprovider/idp-initiated", None).await);
    assert_eq!(apps, json!([{ "_id": id, "name": "Wiki", "logo": "", "type": "saml", "idpInitiated": true }]));
    error(&ann.call(&srv, Method::GET, &format!("/serviceprovider/{id}"), None).await, 403);
    assert_eq!(c.admin.call(&srv, Method::DELETE, &format!("/serviceprovider/{id}"), None).await.status, 204);
    error(&c.admin.call(&srv, Method::GET, &format!("/serviceprovider/{id}"), None).await, 404);
});

crate::both!(an_active_text_gateway_names_itself_and_its_number_to_the_sms_sender, |srv: TestServer| async move {
    let (texts, texts_url) = crate::smtp_sink::SmsGateway::start().await;
    let node = srv.sibling(move |c| c.server.sms_webhook_url = Some(texts_url)).await;
    let c = community(&node, "texts.example.com").await;
    let settings =
        c.with(json!({ "show_otp_email": false, "show_otp_phone": true, "show_otp_voice": false, "show_otp_hardware": false }));
    c.admin.open(&c.admin.call(&node, Method::PUT, "/config/authentication/mfa_settings", Some(settings)).await);
    let user = json!({ "moduleId": c.module_id, "username": "tex", "status": "active", "role": "basic", "firstname": "T",
        "lastname": "X", "email1": "tex@texts.example.com", "phone1": "+15557654321", "password": "Ordinary-Pass-4" });
    assert_eq!(c.admin.call(&node, Method::PUT, "/users/create", Some(user)).await.status, 200);
    let gateway = c.with(json!({ "type": "twilio", "channels": ["sms"], "protocol": "https", "name": "Acme texts",
        "username": "AC123", "password": "tw-VERYSECRET", "serviceUrl": "https://api.twilio.example", "senderPhone": "+15550001111" }));
    let made = c.admin.open(&c.admin.post(&node, "/msg_gateway/create", gateway).await);
    let id = made["id"].as_str().unwrap().to_string();
    let send = || async {
        let v = Vendor::new(&node).await;
        let r = v.post(&node, "/verifyuser", c.with(json!({ "username": "tex", "password": "Ordinary-Pass-4" }))).await;
        let token = r.json()["user_token"].as_str().unwrap().to_string();
        let r = v
            .call(&node, Method::PUT, "/authenticate/otp", Some(c.with(json!({ "user_token": token, "deliveryMethod": "sms" }))))
            .await;
        assert_eq!(r.status, 200, "{}", r.text());
    };
    send().await;
    texts.count(1).await;
    let first = texts.texts.lock().unwrap()[0].clone();
    assert_eq!(first["from"], "+15550001111", "{first}");
    assert_eq!(first["gateway"], json!({ "id": id, "type": "twilio", "name": "Acme texts" }));
    assert!(!first.to_string().contains("VERYSECRET"), "no credentials leave keyhall: {first}");
    // Switched off: the installation's sender alone.
    c.admin.open(&c.admin.post(&node, "/msg_gateway/update", c.with(json!({ "id": id, "active": false }))).await);
    send().await;
    texts.count(2).await;
    let second = texts.texts.lock().unwrap()[1].clone();
    assert!(second.get("gateway").is_none() && second["to"] == "+15557654321", "{second}");
});

crate::both!(an_enabled_journey_asks_the_users_it_names_for_a_second_factor, |srv: TestServer| async move {
    let c = community(&srv, "journeys-mfa.example.com").await;
    crate::adminx_client::basic_user(&srv, &c, "sam").await;
    crate::adminx_client::basic_user(&srv, &c, "dan").await;
    let next_of = |username: &'static str| {
        let (c, srv) = (&c, &srv);
        async move {
            let v = Vendor::new(srv).await;
            let r = v.post(srv, "/verifyuser", c.with(json!({ "username": username, "password": "Ordinary-Pass-4" }))).await;
            let j = r.json();
            assert_eq!(r.status, 200, "{j}");
            if j["jwt_token"].is_string() { "signed in".to_string() } else { j["next"].as_str().unwrap_or_default().to_string() }
        }
    };
    let journey = json!({ "journeyName": "Step up sam", "username": { "value": ["sam"], "operator": "in" },
        "decision": { "action": "mfa_required", "authenticationMethods": ["otp"] } });
    let made = c.admin.open(&c.admin.call(&srv, Method::PUT, "/authenticationJourney", Some(c.with(journey))).await);
    let path = format!("/authenticationJourney/{}", made["id"].as_str().unwrap());
    assert_eq!((next_of("sam").await.as_str(), next_of("dan").await.as_str()), ("otp", "signed in"));
    // An address condition the client is outside of: the journey does not apply; inside: it does.
    let outside = json!({ "ip": { "value": ["10.0.0.0/8"], "operator": "in_range" } });
    c.admin.open(&c.admin.call(&srv, Method::PATCH, &path, Some(outside)).await);
    assert_eq!(next_of("sam").await, "signed in");
    let inside = json!({ "ip": { "value": ["127.0.0.1-127.0.0.9"], "operator": "in_range" } });
    c.admin.open(&c.admin.call(&srv, Method::PATCH, &path, Some(inside)).await);
    assert_eq!(next_of("sam").await, "otp");
    // Switched off: the password alone again.
    c.admin.open(&c.admin.call(&srv, Method::PATCH, &path, Some(json!({ "enabled": false }))).await);
    assert_eq!(next_of("sam").await, "signed in");
    // A v2 journey by usernames; one that names an application does not apply to this sign-in.
    let v2 = json!({ "name": "Step up dan", "category": "login", "usernames": { "value": ["dan"], "operator": "in" },
        "decision": { "action": "mfa_required", "authenticationMethods": ["otp"] } });
    c.admin.open(&c.admin.call(&srv, Method::PUT, "/v2/authenticationJourney", Some(c.with(v2))).await);
    assert_eq!(next_of("dan").await, "otp");
    let app = json!({ "name": "Wiki only", "category": "login", "usernames": { "value": ["sam"], "operator": "in" },
        "requestingAppId": { "value": "wiki", "operator": "eq" }, "decision": { "action": "mfa_required" } });
    c.admin.open(&c.admin.call(&srv, Method::PUT, "/v2/authenticationJourney", Some(c.with(app))).await);
    assert_eq!(next_of("sam").await, "signed in");
});
