//! Configuration documents through the core, on two nodes sharing one database: a reader gets
//! the default at revision 0, a writer names the revision it read, and the second of two
//! writers that read the same revision is refused instead of overwriting the first.

use keyhall_core::ErrorCode;
use keyhall_types::TenantId;
use serde::{Deserialize, Serialize};

use crate::both;
use crate::harness::TestServer;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
struct LoginSettings {
    otp_required: bool,
    methods: Vec<String>,
}

both!(configuration_documents_are_versioned_across_nodes, |srv: TestServer| async move {
    let company = srv.company("Config Ltd").await;
    let tenant = TenantId::parse(&company.id).unwrap();
    let other = srv.sibling(|_| {}).await;
    let (a, b) = (&srv.running.core, &other.running.core);
    let community = a.tenancy().default_community(tenant).await.unwrap().id;
    let (op_a, op_b) = (a.auth().operator(tenant), b.auth().operator(tenant));

    let read = a.tenancy().config::<LoginSettings>(&op_a, community, "login").await.unwrap();
    assert_eq!((read.value.clone(), read.revision), (LoginSettings::default(), 0), "the default, never stored");
    let first = LoginSettings { otp_required: true, methods: vec!["email".into()] };
    assert_eq!(a.tenancy().put_config(&op_a, community, "login", &first, 0).await.unwrap(), 1);

    // Both nodes read revision 1; node B writes first, node A's write is then stale.
    let seen_by_b = b.tenancy().config::<LoginSettings>(&op_b, community, "login").await.unwrap();
    assert_eq!((seen_by_b.value.clone(), seen_by_b.revision), (first.clone(), 1));
    let from_b = LoginSettings { otp_required: false, ..first.clone() };
    assert_eq!(b.tenancy().put_config(&op_b, community, "login", &from_b, 1).await.unwrap(), 2);
    let stale = a.tenancy().put_config(&op_a, community, "login", &LoginSettings::default(), 1).await.unwrap_err();
    assert_eq!(stale.code, ErrorCode::ConfigRevisionStale);
    let now = a.tenancy().config::<LoginSettings>(&op_a, community, "login").await.unwrap();
    assert_eq!((now.value, now.revision), (from_b, 2), "node B's write is kept");

    // Every write is in the audit log.
    let q = keyhall_core::audit::AuditQuery {
        tenant_id: Some(tenant),
        action_prefix: Some("config.".into()),
        limit: 10,
        ..Default::default()
    };
    assert_eq!(a.audit().log(&q).await.unwrap().len(), 2);
});
