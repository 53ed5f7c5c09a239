//! Configuration documents: one JSON document per (tenant, community, key), versioned. A
//! reader gets the stored value with its revision (or the default at revision 0); a writer
//! says which revision it read, and a write over a newer one is refused
//! (`config.stale_revision`) instead of silently losing the other writer's change. Reads that
//! write nothing back (a sign-in's MFA settings, a console reading a document) go through a
//! short-lived cache, which this node's writes empty at once.

use std::sync::Arc;

use keyhall_types::{CommunityId, TenantId};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::Tenancy;
use crate::audit::AuditEvent;
use crate::context::Caller;
use crate::error::{DomainError, ErrorCode, Result};
use crate::ports::{ConfigDocument, UnitOfWork, Write};

/// The stored documents read recently, by (tenant, community, key); `None`: never stored.
pub(crate) type ConfigCache = crate::cache::KeyedCache<(TenantId, CommunityId, &'static str), Option<ConfigDocument>>;

/// A configuration value and the revision it was read at (0: never stored, the default).
#[derive(Debug, Clone, PartialEq)]
pub struct Versioned<T> {
    pub value: T,
    pub revision: i64,
}

impl Tenancy<'_> {
    /// The document `key` of a community of the caller's tenant, or `T::default()` at revision
    /// 0 when none was stored.
    pub async fn config<T: DeserializeOwned + Default>(
        self,
        caller: &Caller,
        community: CommunityId,
        key: &str,
    ) -> Result<Versioned<T>> {
        match self.core.store.get_config(caller.tenant_id(), community, key).await? {
            None => Ok(Versioned { value: T::default(), revision: 0 }),
            Some(doc) => {
                let value = serde_json::from_value(doc.body)
                    .map_err(|e| DomainError::internal(format!("configuration document {key} is unreadable: {e}")))?;
                Ok(Versioned { value, revision: doc.revision })
            }
        }
    }

    /// The stored document `key` of a community, for a read that writes nothing back: kept for
    /// the read-cache time (this node's writes show at once, other nodes' within that time).
    /// A writer reads with `config`, which goes to the store.
    pub async fn cached_config(
        self,
        tenant: TenantId,
        community: CommunityId,
        key: &'static str,
    ) -> Result<Arc<Option<ConfigDocument>>> {
        let load = || self.core.store.get_config(tenant, community, key);
        self.core.config_cache.get_or_load((tenant, community, key), load).await
    }

    /// Stores `value` as the document `key` of a community of the caller's tenant, over the
    /// revision the caller read (`expected_revision`, 0 when it read the default). Returns the
    /// new revision; `config.stale_revision` when someone wrote in between.
    pub async fn put_config<T: Serialize>(
        self,
        caller: &Caller,
        community: CommunityId,
        key: &str,
        value: &T,
        expected_revision: i64,
    ) -> Result<i64> {
        self.put_config_as(caller, community, key, value, expected_revision, "config.update").await
    }

    /// `put_config`, audited as `action` (a face's own name for the change).
    pub async fn put_config_as<T: Serialize>(
        self,
        caller: &Caller,
        community: CommunityId,
        key: &str,
        value: &T,
        expected_revision: i64,
        action: &str,
    ) -> Result<i64> {
        if expected_revision < 0 {
            return Err(DomainError::new(ErrorCode::ConfigRevisionStale).field("revision"));
        }
        let body = serde_json::to_value(value).map_err(DomainError::internal)?;
        let now = self.core.now();
        let doc = ConfigDocument {
            tenant_id: caller.tenant_id(),
            community_id: community,
            key: key.to_string(),
            revision: expected_revision + 1,
            body,
            updated_at: now,
        };
        let revision = doc.revision;
        let audit = AuditEvent::new(caller, action, "community", Some(community.to_string()), now)
            .with_details(serde_json::json!({ "key": key, "revision": revision }));
        let outcome =
            self.core.store.commit(UnitOfWork::new().write(Write::PutConfig { doc, expected_revision }).audit(audit)).await;
        // Forgotten whatever the outcome: a stale revision means another node wrote.
        self.core.config_cache.invalidate_all();
        outcome.map(|()| revision)
    }
}
