//! OATH hardware tokens: imported from CSV text or files (seeds never answered), handed to
//! users, resynced from three codes, and accepted once each as the second factor of sign-in.

use keyhall_crypto::totp::{Algorithm, hotp};
use reqwest::Method;
use serde_json::{Value, json};

use crate::adminx_client::{Community, Vendor, basic_user, community, error};
use crate::harness::TestServer;

/// RFC 4226's test seed, in hex and in base32.
const SEED_HEX: &str = "3132333435363738393031323334353637383930";
const SEED_B32: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

fn code(counter: u64) -> String {
    hotp(Algorithm::Sha1, b"12345678901234567890", counter, 6)
}

/// Another seed (its last byte differs).
const BOB_SEED_HEX: &str = "3132333435363738393031323334353637383931";

fn bob_code(counter: u64) -> String {
    hotp(Algorithm::Sha1, b"12345678901234567891", counter, 6)
}

fn totp_code(srv: &TestServer, step_offset: i64) -> String {
    let step = (Vendor::now(srv) / 30 + step_offset) as u64;
    hotp(Algorithm::Sha1, b"12345678901234567890", step, 6)
}

async fn put(srv: &TestServer, v: &Vendor, path: &str, body: Value) -> crate::harness::Resp {
    v.call(srv, Method::PUT, path, Some(body)).await
}

async fn sign_in_with(srv: &TestServer, c: &Community, username: &str, otp: Option<String>) -> crate::harness::Resp {
    let mut body = json!({ "username": username, "password": "Ordinary-Pass-4" });
    if let Some(otp) = otp {
        body["otp"] = json!(otp);
    }
    Vendor::new(srv).await.post(srv, "/verifyuser", c.with(body)).await
}

crate::both!(hardware_tokens_are_imported_listed_edited_and_deleted, |srv: TestServer| async move {
    let c = community(&srv, "tokens.example.com").await;
    let csv = format!(
        "serialNumber,seed,counter,type,digits\nSR001,{SEED_HEX},0,hotp,6\nSR002,{SEED_B32},5,HOTP,8\nXX900,{SEED_HEX},,totp,\n"
    );
    let made = c.admin.open(&put(&srv, &c.admin, "/hardwaretokens/tokens", json!({ "csv_text": csv })).await);
    assert_eq!((made["requested"].as_u64(), made["created"].as_u64()), (Some(3), Some(3)), "{made}");
    let fetched = c.admin.open(&c.admin.post(&srv, "/hardwaretokens/fetch", json!({ "pSize": 2, "pIndex": 0 })).await);
    assert_eq!(fetched["page"], json!({ "pSize": 2, "pIndex": 0, "total": 3 }));
    let serials: Vec<&str> = fetched["data"].as_array().unwrap().iter().filter_map(|t| t["serialNumber"].as_str()).collect();
    assert_eq!(serials, ["SR001", "SR002"]);
    let sr002 = &fetched["data"][1];
    assert_eq!((sr002["type"].as_str(), sr002["digits"].as_u64(), sr002["counter"].as_i64()), (Some("hotp"), Some(8), Some(5)));
    for secret in [SEED_HEX, SEED_B32, "seed"] {
        assert!(!fetched.to_string().to_lowercase().contains(&secret.to_lowercase()), "no seed answered: {fetched}");
    }
    // Filters: exact serial numbers, `/text/` for containing, the type.
    let only = |query: Value| {
        let c = &c;
        let srv = &srv;
        async move {
            let page = c.admin.open(&c.admin.post(srv, "/hardwaretokens/fetch", json!({ "query": query })).await);
            page["data"].as_array().unwrap().iter().map(|t| t["serialNumber"].as_str().unwrap().to_string()).collect::<Vec<_>>()
        }
    };
    assert_eq!(only(json!({ "serialNumbers": ["SR002"] })).await, ["SR002"]);
    assert_eq!(only(json!({ "serialNumbers": ["/x9/"] })).await, ["XX900"]);
    assert_eq!(only(json!({ "serialNumbers": ["/%/"] })).await, Vec::<String>::new(), "wildcards are literal");
    assert_eq!(only(json!({ "type": "totp" })).await, ["XX900"]);
    // A repeated serial number (in the file or in the community) or a bad row: nothing made.
    for (csv, message) in [
        (format!("serial,seed\nNEW1,{SEED_HEX}\nSR001,{SEED_HEX}"), "A hardware token with serial number SR001 already exists"),
        (format!("serial,seed\nNEW1,{SEED_HEX}\nNEW1,{SEED_HEX}"), "\"csv_text\" line 3 repeats serial number NEW1"),
        ("serial,seed\nNEW1,zz!".into(), "\"csv_text\" line 2 has a seed that is neither hex nor base32"),
        ("serial,seed\nNEW1,3132".into(), "\"csv_text\" line 2 has a seed that is not 80 to 512 bits"),
        (format!("serial,seed,digits\nNEW1,{SEED_HEX},5"), "\"csv_text\" line 2 has a digits that is not a number from 6 to 8"),
        (format!("serial,seed,type\nNEW1,{SEED_HEX},motp"), "\"csv_text\" line 2 has a type that is neither hotp nor totp"),
        ("seed,counter\nabc,1".into(), "\"csv_text\" has no \"serialnumber\" column"),
    ] {
        let status = if message.starts_with("A hardware") { 409 } else { 400 };
        assert_eq!(error(&put(&srv, &c.admin, "/hardwaretokens/tokens", json!({ "csv_text": csv })).await, status), message);
    }
    assert_eq!(error(&put(&srv, &c.admin, "/hardwaretokens/tokens", json!({})).await, 400), "\"csv_text\" is required");
    let total = c.admin.open(&c.admin.post(&srv, "/hardwaretokens/fetch", json!({})).await)["page"]["total"].clone();
    assert_eq!(total, 3, "nothing written by refused imports");
    // Edit: seed and/or counter, 400 when neither.
    let id = fetched["data"][0]["_id"].as_str().unwrap().to_string();
    let path = format!("/hardwaretokens/tokens/{id}");
    assert_eq!(
        error(&c.admin.call(&srv, Method::PATCH, &path, Some(json!({}))).await, 400),
        "\"seed\" or \"counter\" is required"
    );
    let edited = c.admin.open(&c.admin.call(&srv, Method::PATCH, &path, Some(json!({ "counter": 42 }))).await);
    assert_eq!(edited["token"]["counter"], 42);
    error(&c.admin.call(&srv, Method::PATCH, "/hardwaretokens/tokens/nope", Some(json!({ "counter": 1 }))).await, 404);
    // Another community sees none of them; a basic user may not look.
    let other = community(&srv, "other-tokens.example.com").await;
    assert_eq!(other.admin.open(&other.admin.post(&srv, "/hardwaretokens/fetch", json!({})).await)["page"]["total"], 0);
    error(&other.admin.call(&srv, Method::PATCH, &path, Some(json!({ "counter": 1 }))).await, 404);
    error(&other.admin.post(&srv, "/hardwaretokens/fetch", c.ids()).await, 404);
    let sam = basic_user(&srv, &c, "sam").await;
    error(&sam.post(&srv, "/hardwaretokens/fetch", json!({})).await, 403);
    error(&put(&srv, &sam, "/hardwaretokens/tokens", json!({ "csv_text": csv })).await, 403);
    // Delete by serial number: how many there were (plain, as the seed shows).
    let r =
        c.admin.call(&srv, Method::DELETE, "/hardwaretokens/tokens", Some(json!({ "serialNumbers": ["SR001", "NOPE"] }))).await;
    assert_eq!((r.status, r.json()), (200, json!({ "deletedCount": 1 })));
    error(&c.admin.call(&srv, Method::DELETE, "/hardwaretokens/tokens", Some(json!({}))).await, 400);
});

crate::both!(an_assigned_token_is_the_second_factor_and_each_code_counts_once, |srv: TestServer| async move {
    let c = community(&srv, "token-users.example.com").await;
    basic_user(&srv, &c, "ann").await;
    basic_user(&srv, &c, "bob").await;
    let csv = format!("serialNumber,seed\nSR1,{SEED_HEX}\nSR2,{BOB_SEED_HEX}");
    c.admin.open(&put(&srv, &c.admin, "/hardwaretokens/tokens", json!({ "csv_text": csv })).await);
    // Before a token is handed out, ann signs in with her password alone.
    assert!(sign_in_with(&srv, &c, "ann", None).await.json()["jwt_token"].is_string());
    let list = json!({ "list": [{ "username": "ann", "serialNumber": "SR1" }] });
    let r = c.admin.open(&put(&srv, &c.admin, "/hardwaretokens/usertokens", list.clone()).await);
    assert_eq!(r["assigned"], 1, "{r}");
    assert_eq!(c.admin.open(&put(&srv, &c.admin, "/hardwaretokens/usertokens", list.clone()).await)["assigned"], 0, "once");
    for (list, status, message) in [
        (json!({ "list": [{ "username": "zed", "serialNumber": "SR2" }] }), 404, "User zed not found"),
        (json!({ "list": [{ "username": "bob", "serialNumber": "SR9" }] }), 404, "Hardware token SR9 not found"),
        (json!({ "list": [{ "username": "bob" }] }), 400, "every item of \"list\" needs \"serialNumber\""),
        (json!({}), 400, "\"list\" is required"),
    ] {
        assert_eq!(error(&put(&srv, &c.admin, "/hardwaretokens/usertokens", list).await, status), message);
    }
    // From CSV text: bob gets SR2.
    let r = c.admin.open(
        &put(&srv, &c.admin, "/hardwaretokens/usertokens/csv_text", json!({ "csv_text": "serialNumber,username\nSR2,bob" }))
            .await,
    );
    assert_eq!(r["assigned"], 1);
    let holders =
        c.admin.open(&c.admin.post(&srv, "/hardwaretokens/usertokens/fetch", json!({ "query": { "username": "ann" } })).await);
    assert_eq!((holders["page"]["total"].as_i64(), holders["data"][0]["serialNumber"].as_str()), (Some(1), Some("SR1")));
    let counted = c.admin.open(
        &c.admin
            .post(&srv, "/hardwaretokens/fetch", json!({ "returnAssignedUserCount": true, "returnActivityStatus": true }))
            .await,
    );
    assert_eq!(
        (counted["data"][0]["assignedUserCount"].as_i64(), counted["data"][0]["activityStatus"].as_str()),
        (Some(1), Some("inactive"))
    );

    // Sign-in now asks for the code; the token's codes pass, each once, in order.
    let first = sign_in_with(&srv, &c, "ann", None).await;
    assert_eq!(first.json()["next"], "otp", "{}", first.text());
    assert!(sign_in_with(&srv, &c, "ann", Some(code(0))).await.json()["jwt_token"].is_string());
    error(&sign_in_with(&srv, &c, "ann", Some(code(0))).await, 400);
    // A code a few presses ahead is good (the look-ahead window), and the ones behind it spent.
    assert!(sign_in_with(&srv, &c, "ann", Some(code(4))).await.json()["jwt_token"].is_string());
    error(&sign_in_with(&srv, &c, "ann", Some(code(3))).await, 400);
    // Bob's token (another seed) does not sign ann in, and signs bob in.
    error(&sign_in_with(&srv, &c, "ann", Some(bob_code(0))).await, 400);
    assert!(sign_in_with(&srv, &c, "bob", Some(bob_code(0))).await.json()["jwt_token"].is_string());
    // Two sign-ins racing with one code: one passes.
    let (a, b) = tokio::join!(sign_in_with(&srv, &c, "ann", Some(code(6))), sign_in_with(&srv, &c, "ann", Some(code(6))));
    let passed = [&a, &b].iter().filter(|r| r.json()["jwt_token"].is_string()).count();
    assert_eq!(passed, 1, "{} / {}", a.text(), b.text());
    let active = c.admin.open(
        &c.admin
            .post(&srv, "/hardwaretokens/fetch", json!({ "returnActivityStatus": true, "query": { "serialNumbers": ["SR1"] } }))
            .await,
    );
    assert_eq!(active["data"][0]["activityStatus"], "active");
    // The token test: a good code is accepted (and spent), a wrong one is not.
    let test = |otp: Value| c.admin.post(&srv, "/hardwareotp/onespan/test", json!({ "user_name": "ann", "otp": otp }));
    assert_eq!(c.admin.open(&test(json!(code(7))).await), json!({ "code": "200", "message": "Success." }));
    assert_eq!(error(&test(json!(code(7))).await, 400), "The passcode is not valid");
    assert_eq!(
        error(&c.admin.post(&srv, "/hardwareotp/onespan/test", json!({ "user_name": "ann" })).await, 400),
        "\"otp\" is required"
    );
    // Unassigned: the password alone signs ann in again.
    let r = c.admin.call(&srv, Method::DELETE, "/hardwaretokens/usertokens", Some(list)).await;
    assert_eq!(r.status, 204, "{}", r.text());
    assert!(sign_in_with(&srv, &c, "ann", None).await.json()["jwt_token"].is_string());
    assert_eq!(error(&test(json!(code(8))).await, 404), "User ann holds no hardware token");
});

crate::both!(tokens_resync_from_three_codes_and_import_from_files, |srv: TestServer| async move {
    use reqwest::multipart::{Form, Part};
    let c = community(&srv, "token-files.example.com").await;
    basic_user(&srv, &c, "cy").await;
    let upload = |path: &'static str, csv: String| {
        let form = Form::new().part("file", Part::bytes(csv.into_bytes()).file_name("tokens.csv").mime_str("text/csv").unwrap());
        TestServer::send(c.admin.request(&srv, Method::POST, path, None).multipart(form))
    };
    let made = c.admin.open(
        &upload("/hardwaretokens/import_csv", format!("\u{feff}serial,seed,type\nHW1,{SEED_HEX},hotp\nTT1,{SEED_B32},totp"))
            .await,
    );
    assert_eq!(made["created"], 2, "{made}");
    let r = upload("/hardwaretokens/usertokens/import_csv", "serialNumber,username\nTT1,cy".into()).await;
    assert_eq!(c.admin.open(&r)["assigned"], 1);
    error(&upload("/hardwaretokens/import_csv", "serial,seed\n".into()).await, 400);
    // HOTP: a token pressed 200 times unused is out of the sign-in window; three codes find it.
    let resync = |serial: &str, codes: [String; 3]| {
        c.admin.post(
            &srv,
            "/hardwaretokens/resync",
            json!({ "serialNumber": serial, "code1": codes[0], "code2": codes[1], "code3": codes[2] }),
        )
    };
    assert_eq!(
        error(&resync("HW1", [code(200), code(202), code(203)]).await, 400),
        "code1, code2 and code3 are not three consecutive codes of this token"
    );
    let r = c.admin.open(&resync("HW1", [code(200), code(201), code(202)]).await);
    assert_eq!(r["counter"], 203);
    error(&resync("NOPE", [code(1), code(2), code(3)]).await, 404);
    error(&c.admin.post(&srv, "/hardwaretokens/resync", json!({ "serialNumber": "HW1", "code1": "1", "code2": "2" })).await, 400);
    // TOTP: cy's token runs three minutes fast; after a resync its current code signs cy in.
    assert_eq!(sign_in_with(&srv, &c, "cy", None).await.json()["next"], "otp");
    error(&sign_in_with(&srv, &c, "cy", Some(totp_code(&srv, 6))).await, 400);
    c.admin.open(&resync("TT1", [totp_code(&srv, 4), totp_code(&srv, 5), totp_code(&srv, 6)]).await);
    srv.clock.advance(std::time::Duration::from_secs(30));
    assert!(sign_in_with(&srv, &c, "cy", Some(totp_code(&srv, 6))).await.json()["jwt_token"].is_string());
});
