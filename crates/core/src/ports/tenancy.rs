//! Ports of the core: Tenants and communities; installation-wide settings.

use async_trait::async_trait;
use keyhall_types::{TenantId, Timestamp};

use crate::audit::AuditEvent;
use crate::auth::api_tokens::ApiToken;
use crate::credentials::Credential;
use crate::error::Result;
use crate::identity::User;
use crate::tenancy::{Community, Tenant};

/// Everything `create_company` writes, in one transaction.
#[derive(Debug, Clone)]
pub struct NewTenantBundle {
    pub tenant: Tenant,
    pub community: Community,
    pub owner: User,
    pub owner_password: Credential,
    pub token: ApiToken,
    pub token_digest: String,
    pub audit: Vec<AuditEvent>,
}

#[async_trait]
pub trait TenantRepo: Send + Sync {
    async fn create_tenant(&self, bundle: &NewTenantBundle) -> Result<()>;
    /// A tenant with its default community and nobody in it yet.
    async fn create_empty_tenant(&self, tenant: &Tenant, community: &Community, audit: &AuditEvent) -> Result<()>;
    async fn get_tenant(&self, id: TenantId) -> Result<Option<Tenant>>;
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
}
