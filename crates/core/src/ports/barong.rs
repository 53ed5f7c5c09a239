//! Ports of the core: The Barong-only domain.

use async_trait::async_trait;
use keyhall_types::UserId;

use crate::audit::AuditEvent;
use crate::barong::data_storage::DataStorage;
use crate::error::Result;
use crate::identity::Label;

#[async_trait]
pub trait DataStorageRepo: Send + Sync {
    /// Oldest first.
    async fn list_data_storages(&self, user: UserId) -> Result<Vec<DataStorage>>;
    /// Inserts the document with its label; the same title twice → `data_storage.title_taken`.
    async fn insert_data_storage(&self, doc: &DataStorage, label: &Label, audit: &AuditEvent) -> Result<()>;
}
