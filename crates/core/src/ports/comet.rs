//! Ports of the core: The Comet-only domain.

use async_trait::async_trait;
use keyhall_types::{HostedInstanceId, TenantId, Timestamp};

use crate::audit::AuditEvent;
use crate::comet::billing::BillingRecord;
use crate::comet::cloudview::CloudView;
use crate::comet::hosted::HostedInstance;
use crate::comet::licenses::License;
use crate::error::Result;

#[async_trait]
pub trait CometRepo: Send + Sync {
    /// Inserts the license and its first charge.
    async fn insert_license(&self, license: &License, charge: &BillingRecord, audit: &AuditEvent) -> Result<()>;
    async fn get_license(&self, tenant: TenantId, serial: &str) -> Result<Option<License>>;
    /// Oldest first.
    async fn list_licenses(&self, tenant: TenantId) -> Result<Vec<License>>;
    /// Writes `next` if the stored revision is still `expected_revision`.
    async fn update_license(&self, next: &License, expected_revision: i64, audit: &AuditEvent) -> Result<bool>;
    async fn mark_licenses_synced(&self, tenant: TenantId, at: Timestamp, audit: &AuditEvent) -> Result<u64>;

    /// Inserts the instance and its first charge. Host name in use → `hosted.domain_taken`.
    async fn insert_hosted(&self, instance: &HostedInstance, charge: &BillingRecord, audit: &AuditEvent) -> Result<()>;
    async fn get_hosted(&self, tenant: TenantId, id: HostedInstanceId) -> Result<Option<HostedInstance>>;
    /// Oldest first, deleted ones included.
    async fn list_hosted(&self, tenant: TenantId) -> Result<Vec<HostedInstance>>;
    async fn update_hosted(&self, next: &HostedInstance, expected_revision: i64, audit: &AuditEvent) -> Result<bool>;

    async fn get_cloudview(&self, tenant: TenantId) -> Result<Option<CloudView>>;
    async fn put_cloudview(&self, next: &CloudView, expected_revision: i64, audit: &AuditEvent) -> Result<bool>;

    /// Persists every lifecycle transition due at `now` (all tenants); returns how many.
    async fn advance_lifecycles(&self, now: Timestamp) -> Result<u64>;

    /// Oldest first.
    async fn list_billing(&self, tenant: TenantId) -> Result<Vec<BillingRecord>>;
}
