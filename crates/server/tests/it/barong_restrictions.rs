//! Access restrictions by client address in authorize (case 42, without geolocation) and
//! whitelist links (case 20).

use reqwest::Method;
use serde_json::json;

use crate::barong;
use crate::barong_client::*;
use crate::harness::TestServer;
use crate::smtp_sink::SmtpSink;

const PUBLIC: &str = "/api/v2/auth/api/v2/peatio/public/ping";
const SIGN_IN: &str = "/api/v2/auth/api/v2/barong/identity/sessions";
const ACCESS: &str = "/api/v2/auth/api/v2/barong/identity/users/access";

fn from(ip: &str) -> Browser {
    Browser { forwarded_for: Some(ip.into()), ..Browser::new() }
}

async fn operator(srv: &TestServer) -> keyhall_core::Caller {
    let tenant = keyhall_types::TenantId::parse(&srv.barong_tenant().await).unwrap();
    srv.running.core.auth().operator(tenant)
}

barong!(restrictions_by_address, |srv: TestServer, _sink: SmtpSink| async move {
    let core = srv.running.core.clone();
    let op = operator(&srv).await;
    let add = |category: &'static str, scope: &'static str, value: &'static str| {
        let (core, op) = (core.clone(), op.clone());
        async move { core.auth().add_restriction(&op, category, scope, value, None).await.unwrap() }
    };
    assert_eq!(from("7.7.7.7").authorize(&srv, Method::GET, PUBLIC, false).await.status, 200);
    add("blacklist", "ip", "7.7.7.7").await;
    add("blacklist", "ip_subnet", "8.8.0.0/16").await;
    assert_errors(&from("7.7.7.7").authorize(&srv, Method::GET, PUBLIC, false).await, 401, &["authz.restrict.blacklist"]);
    assert_errors(&from("8.8.4.4").authorize(&srv, Method::GET, PUBLIC, false).await, 403, &["authz.restrict.blacklist"]);
    assert_eq!(from("9.9.9.9").authorize(&srv, Method::GET, PUBLIC, false).await.status, 200);
    // Only the address the proxy saw counts, not what the client wrote before it.
    let r = from("9.9.9.9, 7.7.7.7").authorize(&srv, Method::GET, PUBLIC, false).await;
    assert_errors(&r, 401, &["authz.restrict.blacklist"]);
    assert_errors(&from("::ffff:7.7.7.7").authorize(&srv, Method::GET, PUBLIC, false).await, 401, &["authz.restrict.blacklist"]);
    // Whitelisting one's address is always possible.
    assert_eq!(from("7.7.7.7").authorize(&srv, Method::POST, ACCESS, false).await.status, 200);
    // Maintenance outranks the blacklist; a whitelist outranks both.
    add("maintenance", "all", "all").await;
    add("whitelist", "ip", "9.9.9.9").await;
    assert_errors(&from("7.7.7.7").authorize(&srv, Method::GET, PUBLIC, false).await, 471, &["authz.restrict.maintenance"]);
    assert_errors(&from("1.1.1.1").authorize(&srv, Method::GET, PUBLIC, false).await, 471, &["authz.restrict.maintenance"]);
    assert_eq!(from("9.9.9.9").authorize(&srv, Method::GET, PUBLIC, false).await.status, 200);
    for r in core.auth().restrictions(op.tenant_id()).await.unwrap().iter() {
        assert!(core.auth().remove_restriction(&op, r.id).await.unwrap());
    }
    // blocklogin only refuses signing in.
    core.auth().add_restriction(&op, "blocklogin", "ip", "5.5.5.5", Some(425)).await.unwrap();
    for path in [
        SIGN_IN.to_string(),
        format!("{SIGN_IN}/"),
        SIGN_IN.replace("/api/v2/auth/", "/api/v2/auth//"),
        format!("{SIGN_IN}/auth0"),
    ] {
        let r = from("5.5.5.5").authorize(&srv, Method::POST, &path, false).await;
        assert_errors(&r, 425, &["authz.restrict.blocklogin"]);
    }
    assert_eq!(from("5.5.5.5").authorize(&srv, Method::GET, PUBLIC, false).await.status, 200);
    assert_eq!(from("6.6.6.6").authorize(&srv, Method::POST, SIGN_IN, false).await.status, 200);
    let bad = core.auth().add_restriction(&op, "blacklist", "ip", "1.2.3", None).await.unwrap_err();
    assert_eq!(bad.violations, [keyhall_core::Violation::new("value", keyhall_core::Rule::Invalid)]);
    let q = keyhall_core::audit::AuditQuery {
        tenant_id: Some(op.tenant_id()),
        action_prefix: Some("restriction.".into()),
        limit: 100,
        ..Default::default()
    };
    let audit = core.audit().log(&q).await.unwrap();
    assert_eq!(audit.iter().filter(|e| e.action == "restriction.create").count(), 5);
    assert_eq!(audit.iter().filter(|e| e.action == "restriction.delete").count(), 4);
});

barong!(whitelist_links, |srv: TestServer, _sink: SmtpSink| async move {
    let core = srv.running.core.clone();
    let op = operator(&srv).await;
    let access = format!("{ID}/users/access");
    let mut visitor = from("3.3.3.3");
    // Case 20.
    assert_errors(
        &visitor.post(&srv, &access, json!({})).await,
        422,
        &["identity.user.missing_whitelink_token", "identity.user.empty_whitelink_token"],
    );
    assert_errors(
        &visitor.post(&srv, &access, json!({ "whitelink_token": "nope" })).await,
        422,
        &["identity.user.access.invalid_token"],
    );
    let token = core.auth().create_whitelink(&op, time::Duration::DAY).await.unwrap();
    assert_eq!(token.len(), 64);
    core.auth().add_restriction(&op, "maintenance", "all", "all", None).await.unwrap();
    assert_eq!(visitor.authorize(&srv, Method::GET, PUBLIC, false).await.status, 471);
    assert_eq!(visitor.post(&srv, &access, json!({ "whitelink_token": token })).await.status, 201);
    assert_errors(&visitor.post(&srv, &access, json!({ "whitelink_token": token })).await, 422, &["value.taken"]);
    assert_eq!(visitor.authorize(&srv, Method::GET, PUBLIC, false).await.status, 200, "whitelisted");
    // The link serves other addresses until it expires.
    assert_eq!(from("4.4.4.4").post(&srv, &access, json!({ "whitelink_token": token })).await.status, 201);
    let expired = core.auth().create_whitelink(&op, time::Duration::seconds(-1)).await.unwrap();
    assert_errors(
        &from("4.4.4.5").post(&srv, &access, json!({ "whitelink_token": expired })).await,
        422,
        &["identity.user.access.invalid_token"],
    );
    let list = core.auth().restrictions(op.tenant_id()).await.unwrap();
    assert_eq!(
        list.iter().filter(|r| r.category == "whitelist").map(|r| r.value.as_str()).collect::<Vec<_>>(),
        ["3.3.3.3", "4.4.4.4"]
    );
});
