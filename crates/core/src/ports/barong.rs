//! Ports of the core: The Barong-only domain.

use async_trait::async_trait;
use keyhall_types::UserId;

use crate::barong::data_storage::DataStorage;
use crate::error::Result;

#[async_trait]
pub trait DataStorageRepo: Send + Sync {
    /// Oldest first.
    async fn list_data_storages(&self, user: UserId) -> Result<Vec<DataStorage>>;
}
