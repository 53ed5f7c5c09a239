//! Configuration documents through the core, on two nodes sharing one database: a reader gets
//! the default at revision 0, a writer names the revision it read, and the second of two
//! writers that read the same revision is refused instead of overwriting the first. Reads
//! through the cache see their own node's writes at once, another node's after the cache time.

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

both!(cached_configuration_reads_see_their_nodes_writes_at_once_and_others_after_the_cache_time, |srv: TestServer| async move {
    let company = srv.company("Cached Config Ltd").await;
    let tenant = TenantId::parse(&company.id).unwrap();
    let other = srv.sibling(|c| c.server.read_cache_ms = 300).await;
    let (a, b) = (&srv.running.core, &other.running.core);
    let community = a.tenancy().default_community(tenant).await.unwrap().id;
    let (op_a, op_b) = (a.auth().operator(tenant), b.auth().operator(tenant));
    async fn cached_revision(core: &keyhall_core::Core, tenant: TenantId, community: keyhall_types::CommunityId) -> Option<i64> {
        core.tenancy().cached_config(tenant, community, "login").await.unwrap().as_ref().as_ref().map(|d| d.revision)
    }
    let revision = |core| cached_revision(core, tenant, community);

    // Both nodes remember "never stored"; node A's write shows on node A at once.
    assert_eq!((revision(a).await, revision(b).await), (None, None));
    let first = LoginSettings { otp_required: true, methods: vec!["sms".into()] };
    a.tenancy().put_config(&op_a, community, "login", &first, 0).await.unwrap();
    assert_eq!(revision(a).await, Some(1), "a node reads its own write at once");
    // Node B sees it once its cache time has passed.
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    assert_eq!(revision(b).await, Some(1), "another node's write shows within the cache time");

    // A write refused as stale empties the cache too (another node wrote in between).
    b.tenancy().put_config(&op_b, community, "login", &LoginSettings::default(), 1).await.unwrap();
    assert_eq!(revision(b).await, Some(2));
    let stale = a.tenancy().put_config(&op_a, community, "login", &first, 1).await.unwrap_err();
    assert_eq!(stale.code, ErrorCode::ConfigRevisionStale);
    assert_eq!(revision(a).await, Some(2), "the refused write made node A read again");
});
