//! Regression tests of the browser session's hardening: its absolute lifetime, its cookie, and
//! what may open one (login CSRF, mailed confirmation links).

use std::time::Duration;

use reqwest::Method;
use serde_json::json;

use crate::barong;
use crate::barong_client::*;
use crate::harness::{Resp, TestServer};
use crate::smtp_sink::{SmtpSink, token_in};

fn set_cookie(r: &Resp) -> Option<String> {
    r.headers.get("set-cookie").and_then(|v| v.to_str().ok()).map(str::to_string)
}

barong!(a_session_ends_at_its_absolute_lifetime_however_active, |srv: TestServer, sink: SmtpSink| async move {
    let mut b = active_member(&srv, &sink, "lifetime@example.com").await;
    let bearer = b.bearer(&srv).await;
    // Used every 25 minutes, the session outlives its 30-minute idle expiry again and again…
    for _ in 0..28 {
        srv.pass_time(Duration::from_secs(25 * 60)).await;
        assert_eq!(b.authorize(&srv, Method::GET, PERMITTED, false).await.status, 200);
    }
    // …but not its twelve hours from sign-in: then it is over, and so are tokens bound to it.
    srv.pass_time(Duration::from_secs(25 * 60)).await;
    assert_errors(&b.authorize(&srv, Method::GET, PERMITTED, false).await, 401, &["authz.invalid_session"]);
    assert_eq!(resource(&srv, &bearer, Method::GET, "/users/me", None).await.status, 401);
    // Signing in again opens a fresh one.
    let login = json!({ "email": "lifetime@example.com", "password": STRONG });
    assert_eq!(b.post(&srv, &format!("{ID}/sessions"), login).await.status, 200);
    assert_eq!(b.authorize(&srv, Method::GET, PERMITTED, false).await.status, 200);
});

barong!(the_session_cookie_is_host_only_and_secure_over_https, |srv: TestServer, sink: SmtpSink| async move {
    active_member(&srv, &sink, "cookie@example.com").await;
    let login = json!({ "email": "cookie@example.com", "password": STRONG });

    // Served over plain HTTP (a browser would drop a Secure cookie there): Barong's name.
    let mut plain = Browser::new();
    let set = set_cookie(&plain.post(&srv, &format!("{ID}/sessions"), login.clone()).await).unwrap();
    assert!(set.starts_with("_barong_session="), "{set}");
    for attribute in ["; Path=/", "; Max-Age=43200", "; HttpOnly", "; SameSite=Lax"] {
        assert!(set.contains(attribute), "{attribute} missing: {set}");
    }
    assert!(!set.contains("Secure"), "{set}");

    // A node whose public URL is https: `__Host-` prefixed, Secure, no Domain.
    let https = srv.sibling(|c| c.server.public_url = "https://id.example.com".into()).await;
    let mut b = Browser::new();
    let set = set_cookie(&b.post(&https, &format!("{ID}/sessions"), login).await).unwrap();
    assert!(set.starts_with("__Host-_barong_session="), "{set}");
    for attribute in ["; Path=/", "; HttpOnly", "; SameSite=Lax", "; Secure"] {
        assert!(set.contains(attribute), "{attribute} missing: {set}");
    }
    assert!(!set.to_ascii_lowercase().contains("domain="), "{set}");
    assert_eq!(b.authorize(&https, Method::GET, PERMITTED, false).await.status, 200);
    // Barong's plain cookie name means nothing there.
    let mut renamed = b.clone();
    renamed.cookie = b.cookie.as_ref().map(|c| c.replacen("__Host-", "", 1));
    assert_errors(&renamed.authorize(&https, Method::GET, PERMITTED, false).await, 401, &["authz.invalid_session"]);
    // Signing out drops the cookie by the same name and attributes.
    let out = b.send(&https, Method::DELETE, &format!("{ID}/sessions"), None).await;
    assert_eq!(out.status, 200, "{}", out.text());
    let set = set_cookie(&out).unwrap();
    assert!(set.starts_with("__Host-_barong_session=;") && set.contains("; Max-Age=0") && set.contains("; Secure"), "{set}");
});

barong!(a_form_from_another_site_cannot_sign_a_browser_in, |srv: TestServer, sink: SmtpSink| async move {
    active_member(&srv, &sink, "attacker@example.com").await;
    let form = [("email", "attacker@example.com"), ("password", STRONG)];
    let own_host = srv.url("").trim_start_matches("http://").trim_end_matches('/').to_string();
    let post = |path: String, headers: Vec<(&'static str, String)>, form: Vec<(&'static str, &'static str)>| {
        let mut req = srv.client.post(srv.url(&path)).header("user-agent", "keyhall-tests/1.0").form(&form);
        for (k, v) in headers {
            req = req.header(k, v);
        }
        TestServer::send(req)
    };
    let sessions = format!("{ID}/sessions");

    // A browser posting another site's form says so (Sec-Fetch-Site), or an older one shows
    // the other site (or none) in Origin: refused, and no cookie is set.
    let cross_site: [Vec<(&str, String)>; 3] = [
        vec![("sec-fetch-site", "cross-site".into()), ("origin", "https://evil.example".into())],
        vec![("origin", "https://evil.example".into())],
        vec![("origin", "null".into())],
    ];
    for headers in cross_site.clone() {
        let r = post(sessions.clone(), headers, form.to_vec()).await;
        assert_errors(&r, 403, &["identity.session.cross_site_request"]);
        assert!(set_cookie(&r).is_none());
    }
    // Sign-up opens a session too: refused the same way, and no account is made.
    let sign_up = vec![("email", "planted@example.com"), ("password", STRONG)];
    for headers in cross_site {
        assert_errors(&post(format!("{ID}/users"), headers, sign_up.clone()).await, 403, &["identity.user.cross_site_request"]);
    }
    assert_eq!(srv.stored_texts("SELECT email FROM users WHERE email = 'planted@example.com'").await.len(), 0);

    // This site's own pages, and programs (no browser headers), still sign in.
    let allowed: [Vec<(&str, String)>; 4] = [
        vec![("sec-fetch-site", "same-origin".into()), ("origin", format!("http://{own_host}"))],
        vec![("origin", format!("http://{own_host}"))],
        vec![("origin", "https://id.example.com".into()), ("x-forwarded-host", "id.example.com".into())],
        vec![],
    ];
    for headers in allowed {
        let r = post(sessions.clone(), headers.clone(), form.to_vec()).await;
        assert_eq!(r.status, 200, "{headers:?}: {}", r.text());
        assert!(set_cookie(&r).is_some());
    }
});

barong!(a_mailed_confirmation_link_opens_no_session, |srv: TestServer, sink: SmtpSink| async move {
    let confirm = format!("{ID}/users/email/confirm_code");
    // The link opened in another browser: the address is confirmed, but nobody is signed in.
    let mut signed_up = Browser::new();
    assert_eq!(
        signed_up
            .post(&srv, &format!("{ID}/users"), json!({ "email": "elsewhere@example.com", "password": STRONG }))
            .await
            .status,
        201
    );
    let token = token_in(&sink.wait_for("elsewhere@example.com", 0).await);
    let mut other = Browser::new();
    let r = other.post(&srv, &confirm, json!({ "token": token })).await;
    assert_eq!(r.status, 201, "{}", r.text());
    assert_eq!((r.json()["state"].as_str(), r.json()["email"].as_str()), (Some("active"), Some("elsewhere@example.com")));
    assert!(set_cookie(&r).is_none() && r.json().get("csrf_token").is_none(), "{}", r.text());
    assert_errors(&other.authorize(&srv, Method::GET, PERMITTED, false).await, 401, &["authz.invalid_session"]);
    // The owner signs in with the password as usual.
    let login = json!({ "email": "elsewhere@example.com", "password": STRONG });
    assert_eq!(other.post(&srv, &format!("{ID}/sessions"), login).await.status, 200);

    // Opened in the browser that signed up: it keeps the session it has, and its csrf token.
    let mut b = Browser::new();
    assert_eq!(
        b.post(&srv, &format!("{ID}/users"), json!({ "email": "same@example.com", "password": STRONG })).await.status,
        201
    );
    let (cookie, csrf) = (b.cookie.clone(), b.csrf.clone());
    let token = token_in(&sink.wait_for("same@example.com", 0).await);
    let r = b.post(&srv, &confirm, json!({ "token": token })).await;
    assert_eq!(r.status, 201, "{}", r.text());
    assert!(set_cookie(&r).is_none());
    assert_eq!((b.cookie.clone(), r.json()["csrf_token"].as_str().map(str::to_string)), (cookie, csrf));
    assert_eq!(b.authorize(&srv, Method::GET, PERMITTED, false).await.status, 200);
});

barong!(strangers_guessing_a_password_cannot_lock_out_its_owner, |srv: TestServer, sink: SmtpSink| async move {
    active_member(&srv, &sink, "owner@example.com").await;
    active_member(&srv, &sink, "neighbour@example.com").await;
    let sessions = format!("{ID}/sessions");
    let right = json!({ "email": "owner@example.com", "password": STRONG });
    let wrong = json!({ "email": "owner@example.com", "password": "not-the-password" });

    // The owner's browser signed in once: it keeps a device cookie beside the session's.
    let mut owner = Browser::new();
    let r = owner.post(&srv, &sessions, right.clone()).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let device = owner.device.clone().expect("a device cookie");
    let set: Vec<_> = r.headers.get_all("set-cookie").iter().map(|v| v.to_str().unwrap().to_string()).collect();
    let device_set = set.iter().find(|c| c.starts_with("keyhall_device=")).expect("device cookie set");
    for attribute in ["; Path=/", "; Max-Age=7776000", "; HttpOnly", "; SameSite=Lax"] {
        assert!(device_set.contains(attribute), "{attribute} missing: {device_set}");
    }
    // Signing out ends the session; the device cookie stays.
    assert_eq!(owner.send(&srv, Method::DELETE, &sessions, None).await.status, 200);
    assert_eq!(owner.device.as_ref(), Some(&device));

    // A stranger (no device cookie) guesses: the account is locked for every unknown client,
    // the right password included.
    let mut stranger = Browser::new();
    for _ in 0..5 {
        assert_errors(&stranger.post(&srv, &sessions, wrong.clone()).await, 401, &["identity.session.invalid_params"]);
    }
    assert_errors(&stranger.post(&srv, &sessions, right.clone()).await, 429, &["identity.session.too_many_attempts"]);
    assert_errors(&Browser::new().post(&srv, &sessions, right.clone()).await, 429, &["identity.session.too_many_attempts"]);

    // The owner's known device is counted on its own: it still signs in.
    let r = owner.post(&srv, &sessions, right.clone()).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(owner.authorize(&srv, Method::GET, PERMITTED, false).await.status, 200);

    // A device token proves nothing for another account, nor once altered.
    let mut borrowed = Browser::new();
    borrowed.device = owner.device.clone();
    for _ in 0..5 {
        let wrong = json!({ "email": "neighbour@example.com", "password": "not-the-password" });
        assert_errors(&borrowed.post(&srv, &sessions, wrong).await, 401, &["identity.session.invalid_params"]);
    }
    let neighbour = json!({ "email": "neighbour@example.com", "password": STRONG });
    assert_errors(&borrowed.post(&srv, &sessions, neighbour).await, 429, &["identity.session.too_many_attempts"]);
    let mut altered = Browser::new();
    // One character inside the MAC changes (the last one carries only four bits of it, so
    // it could decode to the same bytes).
    let mut token: Vec<char> = owner.device.clone().unwrap().chars().collect();
    let at = token.len() - 5;
    token[at] = if token[at] == 'A' { 'B' } else { 'A' };
    altered.device = Some(token.into_iter().collect());
    assert_errors(&altered.post(&srv, &sessions, right.clone()).await, 429, &["identity.session.too_many_attempts"]);

    // A known device that guesses is limited too: past the limit it counts as unknown, and the
    // account is locked for it as for everyone else.
    for _ in 0..5 {
        assert_errors(&owner.post(&srv, &sessions, wrong.clone()).await, 401, &["identity.session.invalid_params"]);
    }
    assert_errors(&owner.post(&srv, &sessions, right.clone()).await, 429, &["identity.session.too_many_attempts"]);
});

barong!(failures_from_one_address_do_not_lock_out_known_devices_behind_it, |srv: TestServer, sink: SmtpSink| async move {
    active_member(&srv, &sink, "office@example.com").await;
    active_member(&srv, &sink, "colleague@example.com").await;
    let sessions = format!("{ID}/sessions");
    // Everyone reaches keyhall through one address (a gateway that does not forward theirs).
    let behind = |mut b: Browser| {
        b.forwarded_for = Some("198.51.100.7".into());
        b
    };
    let mut owner = behind(Browser::new());
    assert_eq!(owner.post(&srv, &sessions, json!({ "email": "office@example.com", "password": STRONG })).await.status, 200);

    // Fifty failed sign-ins with made-up addresses lock the address for unknown clients…
    let mut stranger = behind(Browser::new());
    for i in 0..50 {
        let guess = json!({ "email": format!("made-up-{i}@example.com"), "password": "guess" });
        assert_eq!(stranger.post(&srv, &sessions, guess).await.status, 401);
    }
    let colleague = json!({ "email": "colleague@example.com", "password": STRONG });
    assert_errors(&behind(Browser::new()).post(&srv, &sessions, colleague).await, 429, &["identity.session.too_many_attempts"]);
    // …but a device that signed in before still gets in.
    let r = owner.post(&srv, &sessions, json!({ "email": "office@example.com", "password": STRONG })).await;
    assert_eq!(r.status, 200, "{}", r.text());
});
