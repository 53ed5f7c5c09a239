//! The community's configuration documents: login settings, branding, the SAML IdP keys and
//! `/config/fetch`. A read gives what the last write stored (or the documented defaults), a
//! refused write changes nothing, secrets never come back, two writers of different fields
//! both keep their change, and the settings change what the community does.

use reqwest::Method;
use serde_json::{Value, json};

use crate::adminx_client::{Community, Vendor, community, error};
use crate::harness::TestServer;

const SETTINGS: &str = "/config/authentication";

async fn get(c: &Community, srv: &TestServer, name: &str) -> Value {
    c.admin.open(&c.admin.call(srv, Method::GET, &format!("{SETTINGS}/{name}"), None).await)
}

async fn put(c: &Community, srv: &TestServer, name: &str, body: Value) -> crate::harness::Resp {
    c.admin.call(srv, Method::PUT, &format!("{SETTINGS}/{name}"), Some(c.with(body))).await
}

crate::both!(login_settings_read_back_what_was_stored_and_refuse_bad_values_whole, |srv: TestServer| async move {
    let c = community(&srv, "settings.example.com").await;
    // Defaults before anything is stored.
    assert_eq!(
        get(&c, &srv, "fido_settings").await,
        json!({ "fido_disabled": false, "fido_platform_authenticator_disabled": false, "fido_security_key_disabled": false })
    );
    assert_eq!(get(&c, &srv, "orion_settings").await["orion_authenticator_wait_time_ms"], 1500);
    assert_eq!(
        get(&c, &srv, "first_time_enrollment_settings").await,
        json!({ "first_time_login_enrollment": false, "allowed_factors": [] })
    );
    let cases = [
        (
            "fido_settings",
            json!({ "fido_disabled": true, "fido_platform_authenticator_disabled": "true", "fido_security_key_disabled": false }),
        ),
        (
            "first_time_enrollment_settings",
            json!({ "first_time_login_enrollment": true, "allowed_factors": ["mobile", "smartphone"] }),
        ),
        ("liveid_selfie_settings", json!({ "liveid_selfie_enabled": true })),
        ("orion_settings", json!({ "orion_authenticator_enabled": true, "orion_authenticator_wait_time_ms": 2500 })),
        ("password_reset", json!({ "default_input_method": "email", "mobile_enabled": false, "sspr": { "enabled": true } })),
    ];
    for (name, body) in cases {
        let r = put(&c, &srv, name, body.clone()).await;
        let written = c.admin.open(&r);
        let read = get(&c, &srv, name).await;
        assert_eq!(written, read, "{name}: the answer is the stored document");
        for (field, value) in body.as_object().unwrap() {
            let expected = match value {
                Value::String(s) if s == "true" => json!(true),
                Value::Object(inner) => {
                    for (k, v) in inner {
                        assert_eq!(read[field][k], *v, "{name}.{field}.{k}");
                    }
                    continue;
                }
                v => v.clone(),
            };
            assert_eq!(read[field], expected, "{name}.{field}");
        }
    }
    // A bad value anywhere refuses the whole write.
    for (name, body, wrong) in [
        (
            "fido_settings",
            json!({ "fido_disabled": false, "fido_platform_authenticator_disabled": "maybe", "fido_security_key_disabled": true }),
            "fido_platform_authenticator_disabled",
        ),
        (
            "orion_settings",
            json!({ "orion_authenticator_enabled": false, "orion_authenticator_wait_time_ms": -5 }),
            "orion_authenticator_wait_time_ms",
        ),
        ("password_reset", json!({ "default_input_method": "pigeon" }), "default_input_method"),
        (
            "password_reset",
            json!({ "default_input_method": "email", "sspr": { "user_profile_api": { "api": { "url": "ftp://x" } } } }),
            "sspr.user_profile_api.api.url",
        ),
        ("first_time_enrollment_settings", json!({ "allowed_factors": "mobile" }), "allowed_factors"),
    ] {
        let before = get(&c, &srv, name).await;
        let message = error(&put(&c, &srv, name, body).await, 400);
        assert!(message.contains(wrong), "{name}: {message}");
        assert_eq!(get(&c, &srv, name).await, before, "{name}: nothing written");
    }
    // Windows MFA takes its community from the token (its body has no ids).
    let r = c
        .admin
        .call(
            &srv,
            Method::PUT,
            &format!("{SETTINGS}/windows_mfa_settings"),
            Some(json!({ "allowed_enrollments": { "behavior_auth": true, "user_pin": false }, "maxAuthAttemptsBeforeFallback": 4 })),
        )
        .await;
    assert_eq!(c.admin.open(&r)["allowed_enrollments"], json!({ "behavior_auth": true, "user_pin": false }));
    let missing = c
        .admin
        .call(
            &srv,
            Method::PUT,
            &format!("{SETTINGS}/windows_mfa_settings"),
            Some(json!({ "allowed_enrollments": { "behavior_auth": true } })),
        )
        .await;
    assert_eq!(error(&missing, 400), "\"allowed_enrollments.user_pin\" is required");
    assert_eq!(get(&c, &srv, "windows_mfa_settings").await["maxAuthAttemptsBeforeFallback"], 4);
    // Another tenant's administrator sees only their own, and not even that the first exists.
    let other = community(&srv, "other-settings.example.com").await;
    assert_eq!(get(&other, &srv, "liveid_selfie_settings").await["liveid_selfie_enabled"], false);
    error(
        &other
            .admin
            .call(
                &srv,
                Method::PUT,
                &format!("{SETTINGS}/liveid_selfie_settings"),
                Some(c.with(json!({ "liveid_selfie_enabled": false }))),
            )
            .await,
        404,
    );
    assert_eq!(get(&c, &srv, "liveid_selfie_settings").await["liveid_selfie_enabled"], true);
});

crate::both!(two_administrators_writing_different_fields_both_keep_their_change, |srv: TestServer| async move {
    let c = community(&srv, "concurrent.example.com").await;
    for round in 0..6 {
        let flag = round % 2 == 0;
        let factors = json!([format!("factor{round}")]);
        let (a, b) = tokio::join!(
            put(&c, &srv, "first_time_enrollment_settings", json!({ "first_time_login_enrollment": flag })),
            put(&c, &srv, "first_time_enrollment_settings", json!({ "allowed_factors": factors })),
        );
        assert_eq!(a.status, 200, "{}", a.text());
        assert_eq!(b.status, 200, "{}", b.text());
        let doc = get(&c, &srv, "first_time_enrollment_settings").await;
        assert_eq!(doc, json!({ "first_time_login_enrollment": flag, "allowed_factors": factors }), "round {round}");
    }
});

crate::both!(the_password_reset_settings_decide_which_channels_a_reset_may_use, |srv: TestServer| async move {
    let c = community(&srv, "reset-settings.example.com").await;
    let v = Vendor::new(&srv).await;
    let found = v.post(&srv, "/users/find", c.with(json!({ "username": "admin" }))).await.json();
    let token = found["users"][0]["user_token"].as_str().unwrap().to_string();
    let ask = || c.with(json!({ "user_token": token, "destination": "admin@reset-settings.example.com", "captchaToken": "" }));
    let r = v.call(&srv, Method::PUT, "/password_reset/sendverify", Some(ask())).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let r =
        put(&c, &srv, "password_reset", json!({ "default_input_method": "username", "adminx_via_email_enabled": false })).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let refused = v.call(&srv, Method::PUT, "/password_reset/sendverify", Some(ask())).await;
    assert_eq!(error(&refused, 403), "Password reset by e-mail is turned off for this community");
    // The login page learns it before anyone signs in.
    let info = v
        .post(&srv, "/community_auth_info/fetch", json!({ "dns": "reset-settings.example.com", "communityName": "default" }))
        .await;
    assert_eq!(info.status, 200, "{}", info.text());
    assert_eq!(info.json()["password_reset_options"]["email"], false);
    assert_eq!(info.json()["password_reset_options"]["sms"], true);
    // Secrets of the profile API are kept, never shown.
    let r = put(&c, &srv, "password_reset", json!({ "default_input_method": "email",
        "sspr": { "user_profile_api": { "api": { "url": "https://profiles.example.com", "credential": { "username": "svc", "password": "hunter2-secret", "token": "tok-secret" } } } } })).await;
    assert!(!r.text().contains("secret"), "{}", r.text());
    let read = get(&c, &srv, "password_reset").await;
    assert_eq!(read["sspr"]["user_profile_api"]["api"]["credential"], json!({ "username": "svc" }));
    assert!(!read.to_string().contains("hunter2"), "{read}");
});

const PIXEL: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==";

fn branding() -> Value {
    json!({ "bg_color_left_panel": "#112233", "bg_color_right_panel": "#fff", "heading_text_color": "#000000",
        "primary_button_color": "#2f6fed", "active_tab_text_color": "#2f6fed", "links_color": "#2F6FED",
        "community_logo_img": PIXEL, "bg_img_left_panel": format!("data:image/png;base64,{PIXEL}"),
        "default_login_method": "qr", "heading_label": "Welcome to Acme" })
}

crate::both!(branding_is_what_the_login_page_shows, |srv: TestServer| async move {
    let c = community(&srv, "brand.example.com").await;
    let visitor = Vendor::new(&srv).await;
    let before = visitor.open(&visitor.post(&srv, "/branding/fetch", c.ids()).await);
    assert_eq!(before["default_login_method"], "username");
    let r = c.admin.call(&srv, Method::PUT, "/branding", Some(c.with(branding()))).await;
    assert_eq!(c.admin.open(&r)["heading_label"], "Welcome to Acme");
    let shown = visitor.open(&visitor.post(&srv, "/branding/fetch", c.ids()).await);
    assert_eq!(shown["bg_color_left_panel"], "#112233");
    assert_eq!(shown["default_login_method"], "qr");
    let info =
        visitor.post(&srv, "/community_auth_info/fetch", json!({ "dns": "brand.example.com", "communityName": "default" })).await;
    assert_eq!(info.json()["branding"]["heading_label"], "Welcome to Acme");
    // Refused: a colour that is not one, an image that is not one, an override without its URL,
    // a visitor, a missing community; none of them changes anything.
    for (change, wrong) in [
        (json!({ "links_color": "blue" }), "links_color"),
        (json!({ "community_logo_img": "not an image!" }), "community_logo_img"),
        (json!({ "app_download_override": { "enabled": true, "content": "Get the app" } }), "app_download_override.url"),
        (json!({ "default_login_method": "telepathy" }), "default_login_method"),
    ] {
        let mut body = branding();
        for (k, v) in change.as_object().unwrap() {
            body[k] = v.clone();
        }
        let message = error(&c.admin.call(&srv, Method::PUT, "/branding", Some(c.with(body))).await, 400);
        assert!(message.contains(wrong), "{message}");
    }
    error(&visitor.call(&srv, Method::PUT, "/branding", Some(c.with(branding()))).await, 401);
    assert_eq!(error(&visitor.post(&srv, "/branding/fetch", json!({})).await, 400), "\"tenantId\" is required");
    assert_eq!(visitor.open(&visitor.post(&srv, "/branding/fetch", c.ids()).await), shown);
});

const CERT: &str = "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUQ==\n-----END CERTIFICATE-----\n";
const KEY: &str =
    "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgVERYSECRET\n-----END PRIVATE KEY-----\n";

crate::both!(the_idp_keys_are_kept_sealed_and_never_read_back, |srv: TestServer| async move {
    let c = community(&srv, "idp.example.com").await;
    let config = json!({ "signingCert": CERT, "signingKey": KEY, "encryptionCert": CERT, "encryptionKey": KEY,
        "entityId": "https://idp.example.com/saml", "authnRequestsSigned": true, "sso_bindings": ["post", "redirect"], "slo_bindings": ["redirect"] });
    let r = c.admin.call(&srv, Method::PUT, "/config/idp_config", Some(c.with(config.clone()))).await;
    let written = c.admin.open(&r);
    assert!(!r.text().contains("VERYSECRET") && !written.to_string().contains("VERYSECRET"), "{written}");
    let read = c.admin.open(&c.admin.post(&srv, "/config/idp_config/fetch", c.ids()).await);
    assert_eq!(read["entityId"], "https://idp.example.com/saml");
    assert_eq!(read["sso_bindings"], json!(["post", "redirect"]));
    assert!(read.get("signingKey").is_none() && read.get("encryptionKey").is_none(), "{read}");
    let mut bad = config.clone();
    bad["sso_bindings"] = json!(["carrier-pigeon"]);
    assert!(error(&c.admin.call(&srv, Method::PUT, "/config/idp_config", Some(c.with(bad))).await, 400).contains("sso_bindings"));
    let mut bad = config;
    bad["signingCert"] = json!("just text");
    assert!(error(&c.admin.call(&srv, Method::PUT, "/config/idp_config", Some(c.with(bad))).await, 400).contains("signingCert"));
    assert_eq!(c.admin.open(&c.admin.post(&srv, "/config/idp_config/fetch", c.ids()).await), read);
});

crate::both!(passwordless_settings_are_found_by_dns_and_community_name, |srv: TestServer| async move {
    let c = community(&srv, "pwdless.example.com").await;
    let path = format!("{SETTINGS}/pwdless_settings/pwdless.example.com/default");
    let defaults = c.admin.open(&c.admin.call(&srv, Method::GET, &path, None).await);
    assert_eq!(defaults["primaryMethod"], "Fingerprint");
    let body = json!({ "primaryMethod": "Face", "selfOnBoard": true, "selfOnBoardFromUserProfile": false, "accountsPerPerson": 3,
        "personsPerAccount": 1, "personLimitRule": "cleanup", "passwordless_disabled": false, "qr_disabled": true,
        "push_disabled": false, "dns": "pwdless.example.com", "communityName": "default" });
    let r = put(&c, &srv, "pwdless_settings", body.clone()).await;
    let written = c.admin.open(&r);
    assert_eq!(written["primaryMethod"], "Face");
    assert_eq!(written["fido_disabled"], false, "the FIDO switches come beside");
    let read = c.admin.open(&c.admin.call(&srv, Method::GET, &path, None).await);
    assert_eq!(read["accountsPerPerson"], 3);
    assert_eq!(read["qr_disabled"], true);
    let mut elsewhere = body.clone();
    elsewhere["dns"] = json!("nowhere.example.com");
    error(&put(&c, &srv, "pwdless_settings", elsewhere).await, 404);
    error(&c.admin.call(&srv, Method::GET, &format!("{SETTINGS}/pwdless_settings/pwdless.example.com/nope"), None).await, 404);
    // Another tenant's community is as unknown as a missing one.
    let other = community(&srv, "pwdless-other.example.com").await;
    error(&other.admin.call(&srv, Method::GET, &path, None).await, 404);
});

crate::both!(config_fetch_reads_documents_by_key_path, |srv: TestServer| async move {
    let c = community(&srv, "caas.example.com").await;
    assert_eq!(put(&c, &srv, "liveid_selfie_settings", json!({ "liveid_selfie_enabled": true })).await.status, 200);
    let r = c
        .admin
        .post(&srv, "/config/fetch", c.with(json!({ "key_paths": ["liveid_selfie_settings.liveid_selfie_enabled", "mfa_settings", "nothing.here", "branding.heading_label"] })))
        .await;
    let got = c.admin.open(&r);
    assert_eq!(got["liveid_selfie_settings.liveid_selfie_enabled"], true);
    assert_eq!(got["mfa_settings"]["otpMaxAttempts"], 5);
    assert_eq!(got["branding.heading_label"], "Sign in");
    assert!(got.get("nothing.here").is_none(), "{got}");
    assert_eq!(
        error(&c.admin.post(&srv, "/config/fetch", c.with(json!({ "key_paths": "mfa_settings" }))).await, 400),
        "\"key_paths\" must be an array of at most 100 strings"
    );
});

crate::both!(templates_are_what_the_community_mails_say, |srv: TestServer| async move {
    let sink = crate::smtp_sink::SmtpSink::start().await;
    let url = sink.url();
    let node = srv.sibling(move |c| c.server.smtp_url = Some(url)).await;
    let c = community(&node, "templates.example.com").await;
    let otp = json!({ "otp": { "email": {
        "plain": { "name": "Plain", "subject": "Your code", "data": "Code: {{code}}", "isDefault": true },
        "branded": { "name": "Branded", "subject": "Acme sign-in for {{ firstname }}", "data": "Use {{code}} within {{minutes}} minutes. {{unknown}}", "isDefault": true },
    } } });
    let r = c.admin.call(&node, Method::PUT, "/config/template", Some(json!({ "templateData": otp }))).await;
    let stored = c.admin.open(&r);
    assert_eq!(stored["otp"]["email"]["plain"]["isDefault"], false, "one default per purpose and channel");
    let fetched = c.admin.open(&c.admin.post(&node, "/config/template/fetch", c.with(json!({ "purposes": ["otp"] }))).await);
    assert_eq!(fetched, stored);
    let none = c.admin.open(&c.admin.post(&node, "/config/template/fetch", c.with(json!({ "purposes": ["invite"] }))).await);
    assert_eq!(none, json!({}));
    // An e-mail template without a subject, an unknown channel: refused, nothing written.
    let bad = json!({ "templateData": { "otp": { "email": { "x": { "name": "X", "data": "D" } } } } });
    assert_eq!(
        error(&c.admin.call(&node, Method::PUT, "/config/template", Some(bad)).await, 400),
        "\"templateData.otp.email.x.subject\" is required"
    );
    let bad = json!({ "templateData": { "otp": { "fax": {} } } });
    assert!(error(&c.admin.call(&node, Method::PUT, "/config/template", Some(bad)).await, 400).contains("templateData.otp.fax"));
    assert_eq!(c.admin.open(&c.admin.post(&node, "/config/template/fetch", c.ids()).await), stored);
    // The sign-in code goes out in the community's words.
    let mfa = json!({ "show_otp_email": true, "show_otp_phone": false, "show_otp_voice": false, "show_otp_hardware": false });
    assert_eq!(c.admin.call(&node, Method::PUT, "/config/authentication/mfa_settings", Some(c.with(mfa))).await.status, 200);
    let v = Vendor::new(&node).await;
    let r = v
        .post(&node, "/verifyuser", c.with(json!({ "username": "admin", "password": crate::adminx_client::ADMIN_PASSWORD })))
        .await;
    let token = r.json()["user_token"].as_str().unwrap().to_string();
    let deliver = c.with(json!({ "user_token": token, "deliveryMethod": "email" }));
    assert_eq!(v.call(&node, Method::PUT, "/authenticate/otp", Some(deliver.clone())).await.status, 200);
    let mail = sink.wait_for("admin@templates.example.com", 0).await;
    assert!(mail.data.contains("Subject: Acme sign-in for"), "{}", mail.data);
    let body = crate::smtp_sink::body(&mail);
    assert!(body.contains("within 5 minutes. {{unknown}}") && !body.contains("{{code}}"), "{body}");
    // Taken out again: keyhall's own wording.
    let r = c
        .admin
        .call(
            &node,
            Method::DELETE,
            "/config/template",
            Some(c.with(json!({ "key_paths": ["otp.email.branded", "otp.email.plain"] }))),
        )
        .await;
    assert_eq!(c.admin.open(&r)["otp"]["email"], json!({}));
    assert_eq!(v.call(&node, Method::PUT, "/authenticate/otp", Some(deliver)).await.status, 200);
    let mail = sink.wait_for("admin@templates.example.com", 1).await;
    assert!(mail.data.contains("Subject: Your one-time passcode"), "{}", mail.data);
});

crate::both!(session_attributes_are_kept_and_users_see_only_identity_ones, |srv: TestServer| async move {
    let c = community(&srv, "attributes.example.com").await;
    let r = c
        .admin
        .call(&srv, Method::PUT, "/config/session_attributes", Some(c.with(json!({ "data": ["first_name", "badge_id"] }))))
        .await;
    assert_eq!(c.admin.open(&r), json!({ "custom": ["first_name", "badge_id"] }));
    let ask = c.with(json!({ "local_key_paths": ["blockid_session_attributes"],
        "global_key_paths": ["blockid_session_attributes", "blockid_ledger_attributes", "identity_attributes"] }));
    let all = c.admin.open(&c.admin.post(&srv, "/config/session_attributes/fetch", ask.clone()).await);
    assert_eq!(all["custom"], json!(["first_name", "badge_id"]));
    assert!(all["baseline"].as_array().is_some_and(|b| b.contains(&json!("ip"))), "{all}");
    assert!(all["ledger"].is_array() && all["identity"][0]["displayName"].is_string(), "{all}");
    // A basic user of the community sees the identity attributes only.
    let uma = crate::adminx_client::basic_user(&srv, &c, "uma").await;
    let seen = uma.open(&uma.post(&srv, "/config/session_attributes/fetch", ask).await);
    assert_eq!(seen.as_object().unwrap().keys().collect::<Vec<_>>(), vec!["identity"]);
    error(&uma.call(&srv, Method::PUT, "/config/session_attributes", Some(c.with(json!({ "data": [] })))).await, 403);
    let bad = c.with(json!({ "global_key_paths": ["everything"] }));
    assert!(error(&c.admin.post(&srv, "/config/session_attributes/fetch", bad).await, 400).contains("global_key_paths"));
    let bad = c.with(json!({ "data": "first_name" }));
    assert!(error(&c.admin.call(&srv, Method::PUT, "/config/session_attributes", Some(bad)).await, 400).starts_with("\"data\""));
});

/// A user-profile API stand-in: answers the user named in `username=` when the Basic
/// credentials are right; records the authorization it was sent.
async fn profile_api() -> (String, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let recorded = seen.clone();
    let app = axum::Router::new().route(
        "/profile",
        axum::routing::get(
            move |headers: axum::http::HeaderMap,
                  axum::extract::Query(q): axum::extract::Query<std::collections::HashMap<String, String>>| {
                let recorded = recorded.clone();
                async move {
                    let auth = headers.get("authorization").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
                    recorded.lock().unwrap().push(auth.clone());
                    // svc:hunter2
                    if auth != "Basic c3ZjOmh1bnRlcjI=" {
                        return (axum::http::StatusCode::UNAUTHORIZED, axum::Json(json!({ "error": "who are you" })));
                    }
                    let user = q.get("username").cloned().unwrap_or_default();
                    (
                        axum::http::StatusCode::OK,
                        axum::Json(
                            json!({ "data": { "first": "Ada", "last": "Lovelace", "born": "1815-12-10", "login": user } }),
                        ),
                    )
                }
            },
        ),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}/profile"), seen)
}

crate::both!(the_sspr_transformation_maps_the_profile_apis_answer, |srv: TestServer| async move {
    use base64::Engine;
    // The stand-in is on this host: allowed here, refused by a node with the default settings.
    let default = srv;
    let srv = default.sibling(|c| c.adminx.profile_api_private_hosts = true).await;
    let c = community(&srv, "sspr.example.com").await;
    const RUN: &str = "/config/authentication/sspr/execute_transformation_script";
    let run = |username: &str| c.admin.post(&srv, RUN, json!({ "username": username }));
    assert_eq!(
        error(&run("ada").await, 400),
        "The password-reset settings name no user-profile API (sspr.user_profile_api.api.url)"
    );
    let (url, seen) = profile_api().await;
    let mapping = base64::engine::general_purpose::STANDARD.encode(
        r#"{"firstname":"data.first","lastname":"/data/last","dob":"data.born","login":"data.login","missing":"data.none"}"#,
    );
    let settings = c
        .with(json!({ "default_input_method": "email", "sspr": { "enabled": true, "user_profile_api": { "enabled": true, "api": { "url": url, "auth": "basic",
        "credential": { "username": "svc", "password": "hunter2" } }, "transformationB64": mapping } } }));
    c.admin.open(&c.admin.call(&srv, Method::PUT, &format!("{SETTINGS}/password_reset"), Some(settings)).await);
    let out = c.admin.open(&run("ada").await);
    assert_eq!(out, json!({ "firstname": "Ada", "lastname": "Lovelace", "dob": "1815-12-10", "login": "ada", "missing": null }));
    assert_eq!(
        seen.lock().unwrap().last().map(String::as_str),
        Some("Basic c3ZjOmh1bnRlcjI="),
        "the sealed password, unsealed to sign in"
    );
    let calls = seen.lock().unwrap().len();
    error(&c.admin.post(&default, RUN, json!({ "username": "ada" })).await, 503);
    assert_eq!(seen.lock().unwrap().len(), calls, "a node with the default settings never calls a private host");
    // A wrong credential at the API: 503, the API's refusal not passed on as keyhall's own.
    let wrong = c.with(json!({ "default_input_method": "email", "sspr": { "user_profile_api": { "api": { "url": url, "auth": "basic", "credential": { "username": "svc", "password": "nope" } } } } }));
    c.admin.open(&c.admin.call(&srv, Method::PUT, &format!("{SETTINGS}/password_reset"), Some(wrong)).await);
    error(&run("ada").await, 503);
    // A script is not a mapping.
    let script = base64::engine::general_purpose::STANDARD.encode("function transform(p) { return p; }");
    let scripted =
        c.with(json!({ "default_input_method": "email", "sspr": { "user_profile_api": { "transformationB64": script } } }));
    c.admin.open(&c.admin.call(&srv, Method::PUT, &format!("{SETTINGS}/password_reset"), Some(scripted)).await);
    assert!(error(&run("ada").await, 400).starts_with("\"transformationB64\" must be base64 of a JSON object"));
    let sam = crate::adminx_client::basic_user(&srv, &c, "sam").await;
    error(&sam.post(&srv, &format!("{SETTINGS}/sspr/execute_transformation_script"), json!({ "username": "ada" })).await, 403);
});
