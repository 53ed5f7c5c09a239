//! User properties: aliases unique per community (the database refuses a second holder),
//! phone numbers, and the user PIN.

use reqwest::Method;
use serde_json::json;

use crate::adminx_client::{ADMIN, Vendor, community, error};
use crate::harness::TestServer;

crate::both!(aliases_are_unique_per_community_and_numbers_are_kept, |srv: TestServer| async move {
    let c = community(&srv, "props.example.com").await;
    let a = &c.admin;
    let user = json!({ "moduleId": c.module_id, "username": "ivy", "status": "active", "role": "basic", "firstname": "Ivy",
        "lastname": "Lee", "email1": "ivy@example.com", "password": "Green-Secret-9" });
    assert_eq!(a.call(&srv, Method::PUT, "/users/create", Some(user)).await.status, 200);
    let set = |username: &str, aliases: serde_json::Value| {
        c.with(json!({ "user": { "username": username }, "aliases": aliases, "mobiles": ["+1 555 000 1111"], "landlines": [] }))
    };
    let r = a.post(&srv, "/user_properties/update", set("ivy", json!({ "alias1": "IVY-L", "alias2": "ivy.lee" }))).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["aliases"], json!({ "alias1": "ivy-l", "alias2": "ivy.lee" }));
    assert_eq!(r.json()["mobiles"], json!(["+15550001111"]));
    let unique = |alias: &str| a.post(&srv, "/user_properties/check_unique/alias", c.with(json!({ "alias": alias })));
    assert_eq!(unique("ivy-l").await.json()["isUnique"], false);
    assert_eq!(unique("free").await.json()["isUnique"], true);
    let r = a.post(&srv, "/user_properties/update", set(ADMIN, json!({ "alias1": "ivy-l" }))).await;
    assert_eq!(r.status, 409, "{}", r.text());
    let admin =
        a.open(&a.post(&srv, "/users/fetch", c.with(json!({ "moduleId": c.module_id, "query": { "username": ADMIN } }))).await);
    assert_eq!(admin["data"][0]["mobiles"], json!([]), "nothing written by the refused update");
    for bad in [json!({ "alias9": "x" }), json!("ivy")] {
        error(&a.post(&srv, "/user_properties/update", set("ivy", bad)).await, 400);
    }
    error(&a.post(&srv, "/user_properties/check_unique/alias", c.with(json!({}))).await, 400);
    // The caller's own numbers: only where the community lets users add them.
    let mut ivy = Vendor::new(&srv).await;
    let r = ivy.post(&srv, "/verifyuser", c.with(json!({ "username": "ivy", "password": "Green-Secret-9" }))).await;
    ivy.jwt = r.json()["jwt_token"].as_str().map(str::to_string);
    let refused = ivy
        .post(&srv, "/users/user/update_phone_numbers", c.with(json!({ "updatePhones": { "mobiles": ["+447700900123"] } })))
        .await;
    assert!(error(&refused, 403).contains("self_enroll_phone_allowed"));
    let settings = json!({ "show_otp_email": false, "show_otp_phone": false, "show_otp_voice": false, "show_otp_hardware": false, "self_enroll_phone_allowed": "true" });
    a.call(&srv, Method::PUT, "/config/authentication/mfa_settings", Some(c.with(settings))).await;
    let mut ivy = Vendor::new(&srv).await;
    let r = ivy.post(&srv, "/verifyuser", c.with(json!({ "username": "ivy", "password": "Green-Secret-9" }))).await;
    ivy.jwt = r.json()["jwt_token"].as_str().map(str::to_string);
    let change = c.with(json!({ "updatePhones": { "mobiles": ["+44 7700 900123"], "landlines": ["+44 20 7946 0000"] }, "removePhones": { "mobiles": ["+15550001111"] } }));
    let r = ivy.post(&srv, "/users/user/update_phone_numbers", change).await;
    assert_eq!(
        (r.json()["mobiles"].clone(), r.json()["landlines"].clone()),
        (json!(["+447700900123"]), json!(["+442079460000"])),
        "{}",
        r.text()
    );
    error(
        &ivy.post(&srv, "/users/user/update_phone_numbers", c.with(json!({ "updatePhones": { "mobiles": ["call me"] } }))).await,
        400,
    );
    error(&ivy.post(&srv, "/users/user/update_phone_numbers", c.with(json!({ "user": { "username": ADMIN } }))).await, 403);
    // A basic user may not set properties.
    error(&ivy.post(&srv, "/user_properties/update", set("ivy", json!({}))).await, 403);
    // The PIN: registered once, updated, deleted; stored as an argon2id hash.
    let r = ivy.post(&srv, "/user_pin/register", json!({ "pin": "1234" })).await;
    assert_eq!(r.json(), json!({ "data": { "status": "success" } }));
    assert_eq!(
        error(&ivy.post(&srv, "/user_pin/register", json!({ "pin": "9999" })).await, 405),
        "A PIN is registered already: update it instead"
    );
    error(&ivy.post(&srv, "/user_pin/register", json!({ "pin": "12a4" })).await, 400);
    let stored = srv.stored_texts("SELECT secret FROM credentials WHERE kind = 'pin'").await;
    assert!(stored[0].clone().unwrap().starts_with("$argon2id$"));
    assert_eq!(
        ivy.call(&srv, Method::PUT, "/users/user/user_pin/update", Some(json!({ "newPin": "87654321" }))).await.status,
        200
    );
    let r = ivy.call(&srv, Method::DELETE, "/user_pin", Some(json!({}))).await;
    assert_eq!(r.json()["data"]["message"], "PIN deleted");
    error(&ivy.call(&srv, Method::DELETE, "/user_pin", Some(json!({}))).await, 404);
    error(&Vendor::new(&srv).await.post(&srv, "/user_pin/register", json!({ "pin": "1234" })).await, 401);
});
