//! Regression tests of the limits on costly unauthenticated requests: rate limits per client
//! address and per recipient, the durable outbox of mail and texts, and the bounded
//! password-hash queue.

use std::time::Duration;

use reqwest::Method;
use serde_json::json;

use crate::barong;
use crate::barong_client::*;
use crate::harness::{Resp, TestServer};
use crate::smtp_sink::{SmtpSink, token_in};

fn assert_retry_after(r: &Resp) {
    let wait: i64 = r.headers.get("retry-after").and_then(|v| v.to_str().ok()).and_then(|v| v.parse().ok()).unwrap();
    assert!(wait > 0, "{wait}");
}

/// A browser behind the given client address (the test server trusts X-Forwarded-For).
fn from(address: &str) -> Browser {
    Browser { forwarded_for: Some(address.into()), ..Browser::new() }
}

barong!(sign_ups_mailed_codes_and_texts_are_limited_per_client_address, |srv: TestServer, sink: SmtpSink| async move {
    // Sign-ups: ten an hour from one address, then 429 with the time to wait; others go on.
    let users = format!("{ID}/users");
    for i in 0..10 {
        let r = from("203.0.113.20")
            .post(&srv, &users, json!({ "email": format!("bulk-{i}@example.com"), "password": STRONG }))
            .await;
        assert_eq!(r.status, 201, "{}", r.text());
    }
    let r = from("203.0.113.20").post(&srv, &users, json!({ "email": "bulk-10@example.com", "password": STRONG })).await;
    assert_errors(&r, 429, &["identity.user.too_many_requests"]);
    assert_retry_after(&r);
    assert_eq!(srv.stored_texts("SELECT id FROM users WHERE email = 'bulk-10@example.com'").await.len(), 0);
    let r = from("203.0.113.21").post(&srv, &users, json!({ "email": "bulk-10@example.com", "password": STRONG })).await;
    assert_eq!(r.status, 201, "{}", r.text());

    // Mailed codes: ten in 15 minutes from one address (known addresses or not).
    let reset = format!("{ID}/users/password/generate_code");
    for i in 0..10 {
        assert_eq!(
            from("203.0.113.30").post(&srv, &reset, json!({ "email": format!("nobody-{i}@example.com") })).await.status,
            201
        );
    }
    let r = from("203.0.113.30").post(&srv, &reset, json!({ "email": "nobody-x@example.com" })).await;
    assert_errors(&r, 429, &["identity.user.too_many_requests"]);
    assert_retry_after(&r);
    let confirm = format!("{ID}/users/email/generate_code");
    assert_errors(
        &from("203.0.113.30").post(&srv, &confirm, json!({ "email": "bulk-0@example.com" })).await,
        429,
        &["identity.user.too_many_requests"],
    );

    // One mailbox gets at most three codes in 15 minutes, however many clients ask; the
    // answer does not change (it would tell which addresses exist).
    active_member(&srv, &sink, "victim@example.com").await;
    for i in 0..6 {
        let r = from(&format!("198.51.100.{i}")).post(&srv, &reset, json!({ "email": "victim@example.com" })).await;
        assert_eq!(r.status, 201, "{}", r.text());
    }
    sink.wait_for("victim@example.com", 3).await; // the confirmation mail, then three resets
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(sink.count_to("victim@example.com"), 4);
    srv.pass_time(Duration::from_secs(16 * 60)).await;
    assert_eq!(from("198.51.100.9").post(&srv, &reset, json!({ "email": "victim@example.com" })).await.status, 201);
    sink.wait_for("victim@example.com", 4).await;

    // Texts: ten in 15 minutes from one address, whichever users ask for them.
    let text = |bearer: String, path: &'static str, number: &'static str| {
        let srv = &srv;
        async move { resource(srv, &bearer, Method::POST, path, Some(json!({ "phone_number": number }))).await }
    };
    for (email, number) in [("texter-1@example.com", "+12015550111"), ("texter-2@example.com", "+12015550112")] {
        let bearer = active_member(&srv, &sink, email).await.bearer(&srv).await;
        assert_eq!(text(bearer.clone(), "/phones", number).await.status, 201);
        for _ in 0..4 {
            assert_eq!(text(bearer.clone(), "/phones/send_code", number).await.status, 201);
        }
    }
    let bearer = active_member(&srv, &sink, "texter-3@example.com").await.bearer(&srv).await;
    let r = text(bearer, "/phones", "+12015550113").await;
    assert_errors(&r, 429, &["resource.phone.too_many_texts"]);
    assert_retry_after(&r);
    srv.outbox_drained().await;
    assert_eq!(sink.texts.count(10).await, 10, "and not one more");
});

barong!(mail_waits_in_a_durable_outbox_across_a_restart, |srv: TestServer, sink: SmtpSink| async move {
    // The mail server is down: signing up still answers at once, and the mail waits.
    sink.refuse(true);
    let mut b = Browser::new();
    let r = b.post(&srv, &format!("{ID}/users"), json!({ "email": "queued@example.com", "password": STRONG })).await;
    assert_eq!(r.status, 201, "{}", r.text());
    srv.eventually("a failed delivery", || async {
        srv.stored_texts("SELECT last_error FROM outbox").await.first().is_some_and(|e| e.is_some())
    })
    .await;
    // It is kept sealed: neither the address nor the token is readable in the database.
    let stored = srv.stored_texts("SELECT payload FROM outbox").await;
    assert_eq!(stored.len(), 1);
    let payload = stored[0].clone().unwrap();
    assert!(!payload.contains("queued@example.com") && !payload.contains("token"), "{payload}");
    assert_eq!(sink.count_to("queued@example.com"), 0);

    // keyhall restarts (a new node on the same data; the old one stops) and the mail server
    // is back: the retry delivers the mail, whose token works.
    let node = srv.sibling(|_| {}).await;
    drop(srv);
    sink.refuse(false);
    node.clock.advance(Duration::from_secs(60));
    let token = token_in(&sink.wait_for("queued@example.com", 0).await);
    let r = b.post(&node, &format!("{ID}/users/email/confirm_code"), json!({ "token": token })).await;
    assert_eq!((r.status, r.json()["state"].as_str()), (201, Some("active")), "{}", r.text());
    node.eventually("an empty outbox", || async { node.stored_texts("SELECT id FROM outbox").await.is_empty() }).await;
});

barong!(a_flood_of_sign_ins_is_refused_not_queued_without_end, |srv: TestServer, sink: SmtpSink| async move {
    // One hashing thread, and room for one hash to wait.
    let node = srv
        .sibling(|c| {
            c.server.password_hash_concurrency = Some(1);
            c.server.password_hash_queue = Some(1);
            c.server.trust_forwarded_for = true;
        })
        .await;
    let mut flood = tokio::task::JoinSet::new();
    for i in 0..24 {
        let req = node
            .client
            .post(node.url(&format!("{ID}/sessions")))
            .header("x-forwarded-for", format!("192.0.2.{i}"))
            .json(&json!({ "email": format!("flood-{i}@example.com"), "password": "guess" }));
        flood.spawn(TestServer::send(req));
    }
    let answers = flood.join_all().await;
    let busy: Vec<&Resp> = answers.iter().filter(|r| r.status == 503).collect();
    assert!(!busy.is_empty(), "some sign-ins are turned away: {:?}", answers.iter().map(|r| r.status).collect::<Vec<_>>());
    for r in &busy {
        assert_errors(r, 503, &["server.unavailable"]);
        assert_retry_after(r);
    }
    assert!(answers.iter().all(|r| r.status == 503 || r.status == 401));
    // A turned-away attempt is not a failed guess: the account is not locked by them.
    let mut owner = from("192.0.2.200");
    active_member(&srv, &sink, "flooded@example.com").await;
    for _ in 0..8 {
        let r = owner.post(&node, &format!("{ID}/sessions"), json!({ "email": "flooded@example.com", "password": STRONG })).await;
        if r.status == 200 {
            return;
        }
        assert_eq!(r.status, 503, "{}", r.text());
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("the owner never got in once the flood was over");
});
