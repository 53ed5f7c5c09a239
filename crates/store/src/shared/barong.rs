//! The Barong-only domain: data storages.

use keyhall_core::barong::data_storage::DataStorage;
use keyhall_core::ports;
use keyhall_core::{ErrorCode, Result};
use keyhall_types::UserId;

use super::rows::{Conn, col, col_id, col_ts};
use super::{Store, ts};
use crate::errors::{db, unique_or};

/// The same title twice for one user is `data_storage.title_taken`.
pub(crate) async fn insert_data_storage_row(conn: &mut Conn, d: &DataStorage) -> Result<()> {
    sqlx::query(concat!("INSERT INTO data_storages (", data_storage_cols!(), ") VALUES ($1, $2, $3, $4, $5, $6)"))
        .bind(d.id.to_string())
        .bind(d.user_id.to_string())
        .bind(&d.title)
        .bind(&d.data)
        .bind(ts(d.created_at))
        .bind(ts(d.updated_at))
        .execute(&mut *conn)
        .await
        .map_err(unique_or(ErrorCode::DataStorageTitleTaken))?;
    Ok(())
}

#[async_trait::async_trait]
impl ports::DataStorageRepo for Store {
    async fn list_data_storages(&self, user: UserId) -> Result<Vec<DataStorage>> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            data_storage_cols!(),
            " FROM data_storages WHERE user_id = $1 ORDER BY created_at, id"
        ))
        .bind(user.to_string())
        .fetch_all(self.read_pool())
        .await
        .map_err(db)?;
        rows.iter()
            .map(|r| {
                Ok(DataStorage {
                    id: col_id(r, "id")?,
                    user_id: col_id(r, "user_id")?,
                    title: col(r, "title")?,
                    data: col(r, "data")?,
                    created_at: col_ts(r, "created_at")?,
                    updated_at: col_ts(r, "updated_at")?,
                })
            })
            .collect()
    }
}
