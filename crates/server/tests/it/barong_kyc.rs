//! Profiles and phones of the resource API (cases 5, 54, 55 and 56), with verification texts
//! caught by a stand-in SMS gateway on loopback.

use reqwest::Method;
use serde_json::{Value, json};

use crate::barong;
use crate::barong_client::*;
use crate::harness::TestServer;
use crate::smtp_sink::SmtpSink;

barong!(profiles_are_drafted_submitted_and_masked, |srv: TestServer, sink: SmtpSink| async move {
    let mut b = active_member(&srv, &sink, "kyc@example.com").await;
    let bearer = b.bearer(&srv).await;
    assert_eq!(resource(&srv, &bearer, Method::GET, "/profiles/me", None).await.json(), json!([]));
    // Case 56 and the model's rules.
    let bad = json!({ "metadata": "{ bar: baz }" });
    assert_errors(&resource(&srv, &bearer, Method::POST, "/profiles", Some(bad)).await, 422, &["metadata.invalid_format"]);
    let bad = json!({ "first_name": "Bob@", "country": "France", "postcode": "1" });
    assert_errors(
        &resource(&srv, &bearer, Method::POST, "/profiles", Some(bad)).await,
        422,
        &["first_name.invalid", "country.must have alpha2 or alpha3 format", "postcode.too_short"],
    );
    assert_errors(
        &resource(&srv, &bearer, Method::POST, "/profiles", Some(json!({ "dob": "yesterday" }))).await,
        422,
        &["invalid"],
    );
    assert_errors(
        &resource(&srv, &bearer, Method::POST, "/profiles", Some(json!({ "dob": "2999-01-01" }))).await,
        422,
        &["dob.invalid"],
    );
    assert_errors(
        &resource(&srv, &bearer, Method::PUT, "/profiles", Some(json!({ "city": "Kyiv" }))).await,
        404,
        &["resource.profile.doesnt_exist_or_not_editable"],
    );
    let good = json!({
        "first_name": "Chae-won", "last_name": "Berezniy", "dob": "1990-05-12", "address": "12, Main st. #4",
        "postcode": "01001", "city": "  Kyiv  ", "country": "UA", "metadata": "{\"source\":\"web\"}"
    });
    let r = resource(&srv, &bearer, Method::POST, "/profiles", Some(good)).await;
    assert_eq!(r.status, 201, "{}", r.text());
    let p = r.json();
    assert_eq!(
        (p["first_name"].as_str(), p["last_name"].as_str(), p["dob"].as_str(), p["city"].as_str(), p["state"].as_str()),
        (Some("Chae-won"), Some("B*******"), Some("1990-05-**"), Some("Kyiv"), Some("drafted"))
    );
    assert_eq!(
        p.as_object().unwrap().keys().collect::<Vec<_>>(),
        [
            "first_name",
            "last_name",
            "dob",
            "address",
            "postcode",
            "city",
            "country",
            "state",
            "metadata",
            "created_at",
            "updated_at"
        ]
    );
    // One open profile at a time.
    assert_errors(&resource(&srv, &bearer, Method::POST, "/profiles", Some(json!({}))).await, 422, &["state.exists"]);
    // Editing the draft, then submitting it.
    let r = resource(&srv, &bearer, Method::PUT, "/profiles", Some(json!({ "city": "Lviv", "confirm": "bogus" }))).await;
    assert_errors(&r, 422, &["invalid"]);
    let r = resource(&srv, &bearer, Method::PUT, "/profiles", Some(json!({ "city": "Lviv", "confirm": true }))).await;
    assert_eq!((r.status, r.json()["city"].as_str(), r.json()["state"].as_str()), (200, Some("Lviv"), Some("submitted")));
    assert_errors(
        &resource(&srv, &bearer, Method::PUT, "/profiles", Some(json!({ "city": "Odesa" }))).await,
        404,
        &["resource.profile.doesnt_exist_or_not_editable"],
    );
    let labels = resource(&srv, &bearer, Method::GET, "/labels", None).await.json();
    let profile_label = labels.as_array().unwrap().iter().find(|l| l["key"] == "profile").expect("profile label");
    assert_eq!((profile_label["value"].as_str(), profile_label["scope"].as_str()), (Some("submitted"), Some("private")));
    // Case 5: signing in shows the masked profile.
    let mut again = Browser::new();
    let r = again.post(&srv, &format!("{ID}/sessions"), json!({ "email": "kyc@example.com", "password": STRONG })).await;
    assert_eq!(r.status, 200);
    let profiles = &r.json()["profiles"];
    assert_eq!((profiles[0]["last_name"].as_str(), profiles[0]["dob"].as_str()), (Some("B*******"), Some("1990-05-**")));
    // Names and address are stored sealed.
    for column in ["first_name", "last_name", "address"] {
        let stored = srv.stored_texts(&format!("SELECT {column} FROM profiles")).await;
        let stored = stored[0].as_deref().unwrap();
        assert!(stored.starts_with("v1.") && !stored.contains("Chae") && !stored.contains("Berez"), "{column}: {stored}");
    }
    // Bad input changed nothing: one profile, as submitted.
    let mine = resource(&srv, &bearer, Method::GET, "/profiles/me", None).await.json();
    assert_eq!((mine.as_array().unwrap().len(), mine[0]["city"].as_str()), (1, Some("Lviv")));
    assert_errors(&resource(&srv, "Bearer nope", Method::GET, "/profiles/me", None).await, 401, &["jwt.decode_and_verify"]);
});

barong!(phones_are_verified_with_the_texted_code, |srv: TestServer, sink: SmtpSink| async move {
    let gateway = &sink.texts;
    let mut b = active_member(&srv, &sink, "phone@example.com").await;
    let bearer = b.bearer(&srv).await;
    let mut other = active_member(&srv, &sink, "other-phone@example.com").await;
    let other_bearer = other.bearer(&srv).await;
    let call = |bearer: &str, path: &str, body: Value| {
        let (bearer, path) = (bearer.to_string(), path.to_string());
        let srv = &srv;
        async move { resource(srv, &bearer, Method::POST, &path, Some(body)).await }
    };
    // Case 54.
    assert_errors(&call(&bearer, "/phones", json!({ "phone_number": "" })).await, 422, &["resource.phone.empty_phone_number"]);
    assert_errors(
        &call(&bearer, "/phones", json!({})).await,
        422,
        &["resource.phone.missing_phone_number", "resource.phone.empty_phone_number"],
    );
    assert_errors(
        &call(&bearer, "/phones", json!({ "phone_number": "+447418084106", "channel": "pigeon" })).await,
        422,
        &["resource.phone.invalid_channel"],
    );
    assert_errors(&call(&bearer, "/phones", json!({ "phone_number": "123" })).await, 400, &["resource.phone.invalid_num"]);
    let r = call(&bearer, "/phones", json!({ "phone_number": "+44 07418084106" })).await;
    assert_eq!((r.status, r.json()), (201, json!({ "message": "Code was sent successfully via sms" })));
    assert_errors(&call(&bearer, "/phones", json!({ "phone_number": "447418084106" })).await, 400, &["resource.phone.exists"]);
    let listed = resource(&srv, &bearer, Method::GET, "/phones", None).await.json();
    assert_eq!(listed, json!([{ "country": "GB", "number": "44******4106", "validated_at": null }]));
    let first = gateway.code_for("+447418084106", 1).await;
    assert_eq!(first.len(), 5);
    // Sending again sends a new code, which replaces the first; by call if asked.
    let r = call(&bearer, "/phones/send_code", json!({ "phone_number": "+447418084106", "channel": "call" })).await;
    assert_eq!(r.json(), json!({ "message": "Code was sent successfully via call" }));
    let first = gateway.code_for("+447418084106", 2).await;
    assert_eq!(first.len(), 5);
    assert_errors(
        &call(&bearer, "/phones/send_code", json!({ "phone_number": "+380971232322" })).await,
        404,
        &["resource.phone.doesnt_exist"],
    );
    // Case 55.
    assert_errors(
        &call(&bearer, "/phones/verify", json!({ "phone_number": "", "verification_code": "" })).await,
        422,
        &["resource.phone.empty_phone_number", "resource.phone.empty_verification_code"],
    );
    let wrong = if first == "00000" { "11111" } else { "00000" };
    let verify = |number: &str, code: &str| json!({ "phone_number": number, "verification_code": code });
    assert_errors(&call(&bearer, "/phones/verify", verify("+380971232322", &first)).await, 404, &["resource.phone.doesnt_exist"]);
    assert_errors(
        &call(&bearer, "/phones/verify", verify("+447418084106", wrong)).await,
        404,
        &["resource.phone.verification_invalid"],
    );
    // The other user may add the number too, until someone verifies it.
    assert_eq!(call(&other_bearer, "/phones", json!({ "phone_number": "+447418084106" })).await.status, 201);
    let r = call(&bearer, "/phones/verify", verify("+447418084106", &first)).await;
    assert_eq!(r.status, 201, "{}", r.text());
    let user = r.json();
    assert_eq!(user["level"], 2);
    assert_eq!(user["phones"][0]["number"], "44******4106");
    assert!(user["phones"][0]["validated_at"].as_str().unwrap().ends_with(".000Z"));
    assert!(user["labels"].as_array().unwrap().iter().any(|l| l["key"] == "phone" && l["value"] == "verified"));
    // Case 54: a number verified by someone is taken, for everyone.
    assert_errors(
        &call(&other_bearer, "/phones/verify", verify("+447418084106", "12345")).await,
        400,
        &["resource.phone.number_exist"],
    );
    assert_errors(
        &call(&bearer, "/phones/send_code", json!({ "phone_number": "+447418084106" })).await,
        400,
        &["resource.phone.number_exist"],
    );
    let activity = resource(&srv, &bearer, Method::GET, "/users/activity/account", None).await.json();
    assert!(activity.as_array().unwrap().iter().any(|a| a["action"] == "phone.verify"));
});

barong!(phone_codes_cannot_be_guessed, |srv: TestServer, sink: SmtpSink| async move {
    let gateway = &sink.texts;
    let mut b = active_member(&srv, &sink, "guess@example.com").await;
    let bearer = b.bearer(&srv).await;
    let add = json!({ "phone_number": "+12015550123" });
    assert_eq!(resource(&srv, &bearer, Method::POST, "/phones", Some(add)).await.status, 201);
    let code = gateway.code_for("+12015550123", 1).await;
    let wrong = if code == "00000" { "11111" } else { "00000" };
    let attempt = |code: &str| json!({ "phone_number": "+12015550123", "verification_code": code });
    for _ in 0..5 {
        let r = resource(&srv, &bearer, Method::POST, "/phones/verify", Some(attempt(wrong))).await;
        assert_errors(&r, 404, &["resource.phone.verification_invalid"]);
    }
    // Past the limit even the right code is refused until the lock ends, as a locked sign-in is.
    let r = resource(&srv, &bearer, Method::POST, "/phones/verify", Some(attempt(&code))).await;
    assert_errors(&r, 429, &["identity.session.too_many_attempts"]);
    let phones = resource(&srv, &bearer, Method::GET, "/phones", None).await.json();
    assert_eq!(phones[0]["validated_at"], Value::Null);
    // Texts are limited too: five in the window (the first went out when the phone was added).
    let resend = json!({ "phone_number": "+12015550123" });
    for _ in 0..4 {
        assert_eq!(resource(&srv, &bearer, Method::POST, "/phones/send_code", Some(resend.clone())).await.status, 201);
    }
    let r = resource(&srv, &bearer, Method::POST, "/phones/send_code", Some(resend)).await;
    assert_errors(&r, 429, &["resource.phone.too_many_texts"]);
    srv.outbox_drained().await;
    assert_eq!(gateway.count(5).await, 5, "and not one more");
});
