//! Ports of the core: The audit log.

use async_trait::async_trait;

use crate::audit::{AuditEvent, AuditQuery};
use crate::error::Result;

#[async_trait]
pub trait AuditRepo: Send + Sync {
    async fn append_audit(&self, event: &AuditEvent) -> Result<()>;
    /// Newest first.
    async fn list_audit(&self, query: &AuditQuery) -> Result<Vec<AuditEvent>>;
}
