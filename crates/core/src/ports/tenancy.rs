//! Ports of the core: tenants and communities, their configuration documents, and
//! installation-wide settings.

use async_trait::async_trait;
use keyhall_types::{CommunityId, TenantId, Timestamp};

use crate::audit::AuditEvent;
use crate::error::Result;
use crate::tenancy::{Community, Tenant};

#[async_trait]
pub trait TenantRepo: Send + Sync {
    async fn get_tenant(&self, id: TenantId) -> Result<Option<Tenant>>;
    /// Every tenant, oldest first.
    async fn list_tenants(&self) -> Result<Vec<Tenant>>;
    /// Whether anyone has an account yet (a fresh installation has nobody).
    async fn any_user(&self) -> Result<bool>;
    async fn default_community(&self, tenant: TenantId) -> Result<Option<Community>>;
    /// Marks the tenant closed and revokes all its tokens; data stays.
    async fn close_tenant(&self, id: TenantId, at: Timestamp, audit: &AuditEvent) -> Result<()>;
    /// Deletes the tenant and everything it owns; the audit log is kept.
    async fn delete_tenant(&self, id: TenantId, audit: &AuditEvent) -> Result<()>;
    /// Non-archived licenses plus hosted instances not yet deleted.
    async fn count_active_services(&self, id: TenantId) -> Result<i64>;
}

#[async_trait]
pub trait SettingsRepo: Send + Sync {
    async fn get_setting(&self, key: &str) -> Result<Option<String>>;
    /// Stores `value` unless the key is set already; returns the value that is stored.
    async fn put_setting_if_absent(&self, key: &str, value: &str, at: Timestamp) -> Result<String>;
    /// Stores `value` under the key, replacing what was there.
    async fn put_setting(&self, key: &str, value: &str, at: Timestamp) -> Result<()>;
}

/// A versioned JSON document of a community's configuration, keyed by (tenant, community, key).
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigDocument {
    pub tenant_id: TenantId,
    pub community_id: CommunityId,
    pub key: String,
    /// 1 for the first stored version, one more for each write.
    pub revision: i64,
    pub body: serde_json::Value,
    pub updated_at: Timestamp,
}

#[async_trait]
pub trait ConfigRepo: Send + Sync {
    async fn get_config(&self, tenant: TenantId, community: CommunityId, key: &str) -> Result<Option<ConfigDocument>>;
}
