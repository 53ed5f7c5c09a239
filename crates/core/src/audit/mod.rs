//! The append-only audit log: one record for every state change, written by the store in the
//! same transaction as the change itself, so a change without its record cannot exist.

use keyhall_types::{AuditId, TenantId, Timestamp};
use serde_json::Value;

use crate::context::Caller;
use crate::error::Result;

crate::service! {
    /// The audit log: `core.audit()`.
    Audit
}

impl Audit<'_> {
    /// Appends one audit record that stands alone (no state change goes with it).
    pub async fn record(self, event: &AuditEvent) -> Result<()> {
        self.core.store.append_audit(event).await
    }

    /// Reads the audit log.
    pub async fn log(self, query: &AuditQuery) -> Result<Vec<AuditEvent>> {
        self.core.store.list_audit(query).await
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct AuditEvent {
    pub id: AuditId,
    pub tenant_id: TenantId,
    pub actor_kind: String,
    pub actor_id: Option<String>,
    /// What happened, `<entity>.<verb>`, e.g. `user.create`, `license.archive`.
    pub action: String,
    pub target_kind: String,
    pub target_id: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    /// Non-secret facts about the change (changed field names, new flags, …).
    pub details: Value,
    pub at: Timestamp,
    /// The 1Kosmos community it happened in, and the login name of who did it there: such
    /// records are also the community's report events.
    pub community: Option<(keyhall_types::CommunityId, String)>,
}

impl AuditEvent {
    pub fn new(caller: &Caller, action: &str, target_kind: &str, target_id: Option<String>, at: Timestamp) -> Self {
        Self {
            id: AuditId::new(),
            tenant_id: caller.tenant_id(),
            actor_kind: caller.actor().kind().to_string(),
            actor_id: caller.actor().id(),
            action: action.to_string(),
            target_kind: target_kind.to_string(),
            target_id,
            ip: caller.origin().ip.clone(),
            user_agent: caller.origin().user_agent.clone(),
            details: Value::Object(Default::default()),
            at,
            community: caller.community().map(|(c, login)| (c, login.to_string())),
        }
    }

    /// The record as an event of `community`, by `login` when the caller did not say.
    pub fn in_community(mut self, community: keyhall_types::CommunityId, login: &str) -> Self {
        match &mut self.community {
            Some((c, l)) if *c == community => {
                if l.is_empty() {
                    *l = login.to_string();
                }
            }
            _ => self.community = Some((community, login.to_string())),
        }
        self
    }

    /// A record of something keyhall itself did (no caller behind it).
    pub fn by_system(tenant_id: TenantId, action: &str, target_kind: &str, target_id: Option<String>, at: Timestamp) -> Self {
        Self::new(&Caller::system(tenant_id), action, target_kind, target_id, at)
    }

    pub fn with_details(mut self, details: Value) -> Self {
        self.details = details;
        self
    }
}

/// Which records to read back.
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    pub tenant_id: Option<TenantId>,
    pub actor_id: Option<String>,
    pub target_id: Option<String>,
    /// Matches actions starting with this text, e.g. `user.` or `session.create`.
    pub action_prefix: Option<String>,
    pub limit: u32,
    pub offset: u32,
}
