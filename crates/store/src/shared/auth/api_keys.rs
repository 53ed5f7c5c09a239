//! Barong's HMAC API keys (their secrets sealed by the core).

use keyhall_core::auth::api_keys::{ApiKey, ApiKeyState};
use keyhall_core::ports;
use keyhall_core::{ErrorCode, Result};
use keyhall_types::{Timestamp, UserId};

use super::rows::{Conn, Run, col, col_id, col_ts, one_row};
use super::{DbRow, Store, ts};
use crate::errors::corrupt;

fn api_key_from_row(row: &DbRow) -> Result<ApiKey> {
    Ok(ApiKey {
        id: col_id(row, "id")?,
        tenant_id: col_id(row, "tenant_id")?,
        holder_id: col_id(row, "holder_id")?,
        kid: col(row, "kid")?,
        algorithm: col(row, "algorithm")?,
        scope: serde_json::from_str(&col::<String>(row, "scope")?).map_err(|_| corrupt("api key scope"))?,
        state: ApiKeyState::parse(&col::<String>(row, "state")?).ok_or_else(|| corrupt("api key state"))?,
        secret_sealed: col(row, "secret_sealed")?,
        created_at: col_ts(row, "created_at")?,
        updated_at: col_ts(row, "updated_at")?,
    })
}

pub(crate) async fn insert_api_key_row(conn: &mut Conn, k: &ApiKey) -> Result<()> {
    sqlx::query(concat!("INSERT INTO api_keys (", api_key_cols!(), ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"))
        .bind(k.id.to_string())
        .bind(k.tenant_id.to_string())
        .bind(k.holder_id.to_string())
        .bind(&k.kid)
        .bind(&k.algorithm)
        .bind(serde_json::to_string(&k.scope).unwrap_or_else(|_| "[]".into()))
        .bind(k.state.as_str())
        .bind(&k.secret_sealed)
        .bind(ts(k.created_at))
        .bind(ts(k.updated_at))
        .run(&mut *conn)
        .await?;
    Ok(())
}

/// State and scope; `api_key.not_found` when the holder has no such key.
pub(crate) async fn update_api_key_row(conn: &mut Conn, k: &ApiKey) -> Result<()> {
    let done = sqlx::query("UPDATE api_keys SET state = $3, scope = $4, updated_at = $5 WHERE holder_id = $1 AND kid = $2")
        .bind(k.holder_id.to_string())
        .bind(&k.kid)
        .bind(k.state.as_str())
        .bind(serde_json::to_string(&k.scope).unwrap_or_else(|_| "[]".into()))
        .bind(ts(k.updated_at))
        .run(&mut *conn)
        .await?;
    one_row(done, ErrorCode::ApiKeyNotFound)
}

/// `api_key.not_found` when the holder has no such key.
pub(crate) async fn delete_api_key_row(conn: &mut Conn, holder: UserId, kid: &str) -> Result<()> {
    let done = sqlx::query("DELETE FROM api_keys WHERE holder_id = $1 AND kid = $2")
        .bind(holder.to_string())
        .bind(kid)
        .run(&mut *conn)
        .await?;
    one_row(done, ErrorCode::ApiKeyNotFound)
}

#[async_trait::async_trait]
impl ports::ApiKeyRepo for Store {
    async fn find_api_key(&self, kid: &str) -> Result<Option<ApiKey>> {
        sqlx::query(concat!("SELECT ", api_key_cols!(), " FROM api_keys WHERE kid = $1"))
            .bind(kid)
            .optional(self.read_pool(), api_key_from_row)
            .await
    }

    async fn list_api_keys(&self, holder: UserId) -> Result<Vec<ApiKey>> {
        sqlx::query(concat!("SELECT ", api_key_cols!(), " FROM api_keys WHERE holder_id = $1 ORDER BY created_at, id"))
            .bind(holder.to_string())
            .all(self.read_pool(), api_key_from_row)
            .await
    }

    async fn deactivate_api_keys(&self, user: UserId, at: Timestamp) -> Result<u64> {
        let done = sqlx::query(
            "UPDATE api_keys SET state = 'inactive', updated_at = $2 WHERE state <> 'inactive' AND \
             (holder_id = $1 OR holder_id IN (SELECT id FROM users WHERE owner_id = $1))",
        )
        .bind(user.to_string())
        .bind(ts(at))
        .run(self.write_pool())
        .await?;
        Ok(done)
    }
}
