//! What a signed-in user holds: devices (security keys), login options, the managed wallet,
//! documents and IAL, and the account OTP.

use reqwest::Method;
use serde_json::json;

use crate::adminx_client::{ADMIN, community, error};
use crate::harness::TestServer;

crate::both!(the_wallet_opens_with_its_pin_and_devices_are_listed, |srv: TestServer| async move {
    let c = community(&srv, "wallet.example.com").await;
    let a = &c.admin;
    assert_eq!(a.open(&a.post(&srv, "/users/user/wallet/has_wallet/fetch", json!({})).await)["has_wallet"], false);
    error(&a.post(&srv, "/users/user/wallet/create", json!({ "pin": "1234" })).await, 400);
    error(&a.post(&srv, "/users/user/wallet/fetch", json!({ "pin": "abcd1234" })).await, 404);
    let made = a.open(&a.post(&srv, "/users/user/wallet/create", json!({ "pin": "abcd1234" })).await);
    assert!(made["jwt_token"].is_string());
    error(&a.post(&srv, "/users/user/wallet/create", json!({ "pin": "abcd1234" })).await, 409);
    let opened = a.open(&a.post(&srv, "/users/user/wallet/fetch", json!({ "pin": "abcd1234" })).await);
    let claims = a.open(&a.post(&srv, "/jwt/verifyToken", json!({ "token": opened["jwt_token"] })).await);
    assert_eq!(claims["username"], ADMIN, "a token of the same user and session");
    assert_eq!(
        error(&a.post(&srv, "/users/user/wallet/fetch", json!({ "pin": "zzzz9999" })).await, 400),
        "\"pin\" is not the wallet's PIN"
    );
    assert_eq!(a.open(&a.post(&srv, "/users/user/wallet/has_wallet/fetch", json!({})).await)["has_wallet"], true);
    assert_eq!(a.open(&a.call(&srv, Method::GET, "/users/user/documents", None).await), json!([]));
    assert_eq!(a.open(&a.call(&srv, Method::GET, "/users/user/ial", None).await)["ial"], 1);
    error(&a.post(&srv, "/users/user/document", json!({ "type": "dl", "id": "x" })).await, 404);
    error(&a.post(&srv, "/users/user/document", json!({ "type": "dl" })).await, 400);
    assert_eq!(a.open(&a.post(&srv, "/users/user/wallet_recovery/method/fetch", json!({})).await)["method"], "liveid_selfie");
    // No security key yet: no devices; has_security_key answers false for anyone.
    let options = a.post(&srv, "/users/user/login_options/fetch", json!({ "user": { "username": ADMIN } })).await.json();
    assert_eq!((options["devices"].clone(), options["is_user_pin_enrolled"].as_bool()), (json!([]), Some(false)));
    let asked = json!({ "communityName": "default", "communityPublicKey": "", "tenantTag": "wallet", "username": ADMIN });
    let v = crate::adminx_client::Vendor::new(&srv).await;
    assert_eq!(v.open(&v.post(&srv, "/users/user/devices/has_security_key", asked).await)["hasSecurityKey"], false);
    error(&v.post(&srv, "/users/user/devices/has_security_key", json!({ "username": ADMIN })).await, 400);
    error(&a.call(&srv, Method::PATCH, "/users/unlinkuser", Some(json!({ "did": "nope" }))).await, 404);
    error(&a.call(&srv, Method::PATCH, "/users/unlinkuser", Some(json!({}))).await, 400);
    let devices = a.post(&srv, "/users/user/devices/fetch", json!({})).await.json();
    assert_eq!(devices["list"][0]["personId"], c.admin_uid);
    // The account OTP: a TOTP of the account's own seed, the same within its step.
    let first = a.open(&a.call(&srv, Method::PUT, "/generate/account_otp", None).await);
    assert_eq!(first["code"].as_str().unwrap().len(), 6);
    assert!((1..=30).contains(&first["secondsRemaining"].as_i64().unwrap()));
    let again = a.open(&a.call(&srv, Method::PUT, "/generate/account_otp", None).await);
    if again["secondsRemaining"].as_i64() <= first["secondsRemaining"].as_i64() {
        assert_eq!(again["code"], first["code"]);
    }
    // It is no second factor: the account still signs in with its password alone.
    let v = crate::adminx_client::Vendor::new(&srv).await;
    let r =
        v.post(&srv, "/verifyuser", c.with(json!({ "username": ADMIN, "password": crate::adminx_client::ADMIN_PASSWORD }))).await;
    assert!(r.json()["jwt_token"].is_string(), "{}", r.text());
});
