//! API tokens: create (three array encodings), escalation guard, list (masked), list_actions,
//! revoke (Bearer and body forms), last-use tracking.

use serde_json::Value;

use crate::both;
use crate::harness::TestServer;

both!(create_in_every_array_form, |srv: TestServer| async move {
    let c = srv.company("Tokens Ltd").await;
    for form in [
        vec![("permissions", "License::ListLicenses"), ("permissions", "Token::ListTokens")],
        vec![("permissions[]", "Token::ListTokens"), ("permissions[]", "License::ListLicenses")],
        vec![("permissions", r#"["License::ListLicenses","Token::ListTokens","License::ListLicenses"]"#)],
    ] {
        let d = srv.post("/api/v1/token/create_token", &c.token, &form).await.data();
        assert_eq!(d["permissions"], "License::ListLicenses,Token::ListTokens");
        let secret = d["api_token"].as_str().unwrap();
        assert!(secret.len() >= 32 && secret.starts_with("kh_"));
        assert_eq!(d["revoked_at"], Value::Null);
        assert_eq!(d["last_used_at"], Value::Null);
        assert_eq!(srv.post("/api/v1/license/list_licenses", secret, &[]).await.status, 200);
        assert_eq!(srv.post("/api/v1/license/create_license", secret, &[]).await.status, 401);
    }
    let actions = srv.post("/api/v1/token/list_actions", &c.token, &[]).await.data();
    assert_eq!(actions.as_array().unwrap().len(), 37);
    assert!(actions.as_array().unwrap().contains(&Value::from("CloudView::InstanceProvision")));
});

both!(no_escalation_and_no_unknown_actions, |srv: TestServer| async move {
    let c = srv.company("Escalation Ltd").await;
    let limited = srv.token_with(&c, &["Token::CreateToken", "License::ListLicenses"]).await;
    let before = srv.snapshot(&c).await;
    let msg = srv.post("/api/v1/token/create_token", &limited, &[("permissions", "License::CreateLicense")]).await.error(400);
    assert!(msg.contains("permissions") && msg.contains("License::CreateLicense"), "{msg}");
    let msg = srv.post("/api/v1/token/create_token", &c.token, &[("permissions", "License::Everything")]).await.error(400);
    assert!(msg.contains("unknown action"), "{msg}");
    let msg = srv.post("/api/v1/token/create_token", &c.token, &[("permissions", "[not json")]).await.error(400);
    assert!(msg.contains("permissions"), "{msg}");
    assert_eq!(before, srv.snapshot(&c).await);
    let d = srv.post("/api/v1/token/create_token", &limited, &[("permissions", "License::ListLicenses")]).await.data();
    assert_eq!(d["permissions"], "License::ListLicenses");
});

both!(list_masks_secrets_and_tracks_use, |srv: TestServer| async move {
    let c = srv.company("List Ltd").await;
    let second = srv.token_with(&c, &["License::ListLicenses"]).await;
    let list = srv.post("/api/v1/token/list_tokens", &c.token, &[]).await.data();
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 2);
    for t in list {
        let shown = t["api_token"].as_str().unwrap();
        assert!(shown.ends_with("****") && shown != c.token && shown != second, "{shown}");
        assert_eq!(t.as_object().unwrap().len(), 6);
    }
    assert!(c.token.starts_with(list[0]["api_token"].as_str().unwrap().trim_end_matches('*')));
    assert_eq!(list[1]["last_used_at"], Value::Null);
    srv.post("/api/v1/license/list_licenses", &second, &[]).await.data();
    let list = srv.post("/api/v1/token/list_tokens", &c.token, &[]).await.data();
    assert!(list[1]["last_used_at"].as_str().unwrap().ends_with('Z'));
    // The batched writes reach the store.
    assert!(srv.running.core.auth().flush_token_uses().await.unwrap() >= 1);
    let stored = srv
        .running
        .core
        .auth()
        .list_tokens(&srv.running.core.auth().operator(keyhall_types::TenantId::parse(&c.id).unwrap()))
        .await
        .unwrap();
    assert!(stored.iter().all(|t| t.last_used_at.is_some()));
});

both!(revoke_in_both_forms, |srv: TestServer| async move {
    let c = srv.company("Revoke Ltd").await;
    let a = srv.token_with(&c, &["License::ListLicenses"]).await;
    let b = srv.token_with(&c, &["License::ListLicenses"]).await;
    // Bearer: the body's `token` is the target.
    assert_eq!(srv.post("/api/v1/token/revoke_token", &c.token, &[("token", &a)]).await.data(), Value::Null);
    assert_eq!(srv.post("/api/v1/license/list_licenses", &a, &[]).await.error(401), "Invalid or revoked API token");
    // Body authentication: the target is `target_token`; a second `token` is ambiguous.
    let r = srv.post_body_auth("/api/v1/token/revoke_token", &c.token, &[("token", &b)]).await;
    assert!(r.error(400).contains("token"));
    let r = srv.post_body_auth("/api/v1/token/revoke_token", &c.token, &[]).await;
    assert!(r.error(400).contains("target_token"));
    assert_eq!(srv.post("/api/v1/license/list_licenses", &b, &[]).await.status, 200);
    assert_eq!(srv.post_body_auth("/api/v1/token/revoke_token", &c.token, &[("target_token", &b)]).await.data(), Value::Null);
    assert_eq!(srv.post("/api/v1/license/list_licenses", &b, &[]).await.status, 401);
    let r = srv.post("/api/v1/token/revoke_token", &c.token, &[]).await;
    assert!(r.error(400).contains("token"));
    let r = srv.post("/api/v1/token/revoke_token", &c.token, &[("token", "kh_unknown")]).await;
    assert!(r.error(404).contains("token"));
    let other = srv.company("Other").await;
    let r = srv.post("/api/v1/token/revoke_token", &other.token, &[("token", &c.token)]).await;
    assert_eq!(r.status, 404);
    let list = srv.post("/api/v1/token/list_tokens", &c.token, &[]).await.data();
    let revoked: Vec<bool> = list.as_array().unwrap().iter().map(|t| t["revoked_at"].is_string()).collect();
    assert_eq!(revoked, [false, true, true]);
    // A token may revoke itself.
    assert_eq!(srv.post("/api/v1/token/revoke_token", &c.token, &[("token", &c.token)]).await.data(), Value::Null);
    assert_eq!(srv.post("/api/v1/token/list_tokens", &c.token, &[]).await.status, 401);
});
