//! Invitations and password resets: codes mailed through the outbox to the user's own
//! address, single-use, expiring, never handed to a visitor.

use reqwest::Method;
use serde_json::{Value, json};

use crate::adminx_client::{Community, Vendor, community, error};
use crate::harness::{Backend, TestServer};
use crate::smtp_sink::SmtpSink;

const NEW_PASSWORD: &str = "Fresh-Start-42";

/// The code in a mail (the line `Your code: …`).
fn code_in(mail: &crate::smtp_sink::Mail) -> String {
    let body = crate::smtp_sink::body(mail);
    body.lines().find_map(|l| l.trim().strip_prefix("Your code: ")).expect("a code in the mail").trim().to_string()
}

async fn sign_in(srv: &TestServer, c: &Community, username: &str, password: &str) -> u16 {
    let v = Vendor::new(srv).await;
    v.post(srv, "/verifyuser", c.with(json!({ "username": username, "password": password }))).await.status
}

async fn reset_with(srv: &TestServer, c: &Community, code: &str, password: &str) -> crate::harness::Resp {
    let v = Vendor::new(srv).await;
    let r = v.post(srv, "/password_reset/user/fetch", c.with(json!({ "code": code }))).await;
    if r.status != 200 {
        return r;
    }
    let token = r.json()["user_token"].as_str().unwrap().to_string();
    v.post(srv, "/password_reset", c.with(json!({ "code": code, "user_token": token, "newPassword": password }))).await
}

#[tokio::test]
async fn an_invited_user_sets_a_password_with_the_mailed_code_once() {
    for backend in [Backend::Sqlite].into_iter().chain(crate::harness::pg_url().map(|_| Backend::Postgres)) {
        let sink = SmtpSink::start().await;
        let url = sink.url();
        let srv = TestServer::start_with(backend, move |c| c.server.smtp_url = Some(url)).await;
        let c = community(&srv, "invite.example.com").await;
        let a = &c.admin;
        // A user made without a password cannot sign in until invited.
        let user = json!({ "moduleId": c.module_id, "username": "nina", "status": "active", "role": "basic", "firstname": "Nina",
            "lastname": "Ortiz", "email1": "nina@example.com" });
        let uid =
            a.call(&srv, Method::PUT, "/users/create", Some(user)).await.json()["user"]["uid"].as_str().unwrap().to_string();
        let invite = c.with(json!({ "authModuleId": c.module_id, "uid": uid, "userId": "nina", "emailTo": "nina@example.com",
            "firstname": "Nina", "lastname": "Ortiz", "templateKeyPath": "invite.email.default", "captchaToken": "" }));
        let r = a.call(&srv, Method::PUT, "/users/invite", Some(invite.clone())).await;
        assert_eq!(r.status, 200, "{}", r.text());
        let j = r.json();
        assert_eq!(j["emailResult"]["status"], "SUCCESS");
        assert!(j["link"].as_str().unwrap().starts_with("https://invite.example.com/default/invite?code="), "{j}");
        let mail = sink.wait_for("nina@example.com", 0).await;
        let code = code_in(&mail);
        assert_eq!(code, j["code"].as_str().unwrap());
        // The administrator lists and can revoke codes; a second invitation revokes the first.
        let listed = a
            .post(&srv, "/users/accesscodes/fetch", json!({ "user": { "uid": uid }, "community": { "id": c.community_id } }))
            .await
            .json();
        assert_eq!(
            (listed["data"][0]["type"].as_str(), listed["data"][0]["status"].as_str()),
            (Some("user_invitation"), Some("pending")),
            "{listed}"
        );
        let r = a
            .post(
                &srv,
                "/users/resend/invite",
                json!({ "code": code, "emailTo": "nina@example.com", "firstname": "Nina", "lastname": "Ortiz" }),
            )
            .await;
        let second = r.json()["code"].as_str().unwrap().to_string();
        assert_eq!(error(&reset_with(&srv, &c, &code, NEW_PASSWORD).await, 404), "Access code not found");
        // The policy applies; then the code sets the password once.
        assert_eq!(reset_with(&srv, &c, &second, "short").await.status, 400);
        let r = reset_with(&srv, &c, &second, NEW_PASSWORD).await;
        assert_eq!(r.json(), json!({ "code": 200, "message": "Ok" }), "{}", r.text());
        assert_eq!(sign_in(&srv, &c, "nina", NEW_PASSWORD).await, 200);
        assert_eq!(error(&reset_with(&srv, &c, &second, "Another-Pass-9").await, 404), "Access code not found");
        let id = listed["data"][0]["uuid"].as_str().unwrap();
        assert_eq!(a.call(&srv, Method::DELETE, &format!("/users/accesscode/{id}"), None).await.status, 204);
        error(&a.call(&srv, Method::DELETE, &format!("/users/accesscode/{id}"), None).await, 404);
        // An invitation that expired is gone (410).
        let r = a.call(&srv, Method::PUT, "/users/invite", Some(invite)).await;
        let third = r.json()["code"].as_str().unwrap().to_string();
        srv.pass_time(std::time::Duration::from_secs(8 * 24 * 3600)).await;
        let v = Vendor::new(&srv).await;
        assert_eq!(
            error(&v.post(&srv, "/password_reset/user/fetch", c.with(json!({ "code": third }))).await, 410),
            "The code has expired"
        );
        // Only administrators invite; a basic user sees only their own codes.
        let mut nina = Vendor::new(&srv).await;
        let r = nina.post(&srv, "/verifyuser", c.with(json!({ "username": "nina", "password": NEW_PASSWORD }))).await;
        nina.jwt = r.json()["jwt_token"].as_str().map(str::to_string);
        error(&nina.call(&srv, Method::PUT, "/users/invite", Some(json!({}))).await, 403);
        let own = nina.post(&srv, "/users/accesscodes/fetch", json!({ "user": { "uid": uid } })).await;
        assert_eq!(own.status, 200, "{}", own.text());
        error(&nina.post(&srv, "/users/accesscodes/fetch", json!({ "uids": [c.admin_uid] })).await, 403);
    }
}

crate::both!(a_visitor_asks_for_a_reset_link_that_only_the_user_receives, |srv: TestServer| async move {
    let sink = SmtpSink::start().await;
    let url = sink.url();
    let node = srv.sibling(move |c| c.server.smtp_url = Some(url)).await;
    let c = community(&node, "reset.example.com").await;
    let v = Vendor::new(&node).await;
    let found = v.post(&node, "/users/find", c.with(json!({ "username": "admin" }))).await.json();
    let token = found["users"][0]["user_token"].as_str().unwrap().to_string();
    let ask = |destination: &str| c.with(json!({ "user_token": token, "destination": destination, "captchaToken": "" }));
    let r = v.call(&node, Method::PUT, "/password_reset/sendverify", Some(ask("admin@reset.example.com"))).await;
    assert_eq!(r.json(), json!({ "code": 200, "message": "Ok" }), "no code in the answer");
    let code = code_in(&sink.wait_for("admin@reset.example.com", 0).await);
    // Anywhere else: refused, nothing sent.
    error(&v.call(&node, Method::PUT, "/password_reset/sendverify", Some(ask("attacker@evil.example"))).await, 400);
    // The user_token from /users/find cannot reset without the mailed code.
    let r = v
        .post(&node, "/password_reset", c.with(json!({ "code": "guess", "user_token": token, "newPassword": NEW_PASSWORD })))
        .await;
    error(&r, 404);
    let r = reset_with(&node, &c, &code, NEW_PASSWORD).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(sign_in(&node, &c, "admin", NEW_PASSWORD).await, 200);
    // The old sessions ended with the reset.
    error(&c.admin.post(&node, "/jwt/verifyToken", json!({ "token": c.admin.jwt })).await, 401);
    for missing in ["user_token", "destination"] {
        let mut body: Value = ask("admin@reset.example.com");
        body.as_object_mut().unwrap().remove(missing);
        error(&v.call(&node, Method::PUT, "/password_reset/sendverify", Some(body)).await, 400);
    }
    // An invitation asked for by the user goes to their own address only, without a code in the answer.
    let r = v
        .post(
            &node,
            "/users/request/invite",
            c.with(json!({ "user_token": token, "deliveryMethod": "email1", "google_token": "" })),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r.json().get("code").is_none());
    error(&v.post(&node, "/users/request/invite", c.with(json!({ "user_token": token, "deliveryMethod": "email2" }))).await, 400);
});
