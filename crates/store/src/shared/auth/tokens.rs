//! Comet API tokens, stored as digests of their secrets.

use keyhall_core::Result;
use keyhall_core::audit::AuditEvent;
use keyhall_core::auth::api_tokens::{ApiToken, TokenRecord};
use keyhall_core::ports;
use keyhall_core::tenancy::TenantStatus;
use keyhall_types::{TenantId, Timestamp, TokenId};

use super::rows::{Conn, Run, col, col_id, col_ts, col_ts_opt, commit_if_changed};
use super::{DbRow, Store, ts};
use crate::errors::{corrupt, db};

fn token_from_row(row: &DbRow) -> Result<ApiToken> {
    let permissions: Vec<String> =
        serde_json::from_str(&col::<String>(row, "permissions")?).map_err(|_| corrupt("token permissions"))?;
    Ok(ApiToken {
        id: col_id(row, "id")?,
        tenant_id: col_id(row, "tenant_id")?,
        user_id: col_id(row, "user_id")?,
        visible_prefix: col(row, "visible_prefix")?,
        permissions,
        created_at: col_ts(row, "created_at")?,
        updated_at: col_ts(row, "updated_at")?,
        revoked_at: col_ts_opt(row, "revoked_at")?,
        last_used_at: col_ts_opt(row, "last_used_at")?,
    })
}

pub(crate) async fn insert_token_row(conn: &mut Conn, t: &ApiToken, digest: &str) -> Result<()> {
    sqlx::query(
        "INSERT INTO api_tokens (id, tenant_id, user_id, digest, visible_prefix, permissions, created_at, updated_at, revoked_at, last_used_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(t.id.to_string())
    .bind(t.tenant_id.to_string())
    .bind(t.user_id.to_string())
    .bind(digest)
    .bind(&t.visible_prefix)
    .bind(serde_json::to_string(&t.permissions).unwrap_or_else(|_| "[]".into()))
    .bind(ts(t.created_at))
    .bind(ts(t.updated_at))
    .bind(t.revoked_at.map(ts))
    .bind(t.last_used_at.map(ts))
    .run(&mut *conn).await?;
    Ok(())
}

#[async_trait::async_trait]
impl ports::TokenRepo for Store {
    async fn find_token(&self, digest: &str) -> Result<Option<TokenRecord>> {
        let row = sqlx::query(
            "SELECT t.id, t.tenant_id, t.user_id, t.visible_prefix, t.permissions, t.created_at, t.updated_at, \
                    t.revoked_at, t.last_used_at, n.status AS tenant_status \
             FROM api_tokens t JOIN tenants n ON n.id = t.tenant_id WHERE t.digest = $1",
        )
        .bind(digest)
        .fetch_optional(self.read_pool())
        .await
        .map_err(db)?;
        match row {
            None => Ok(None),
            Some(row) => Ok(Some(TokenRecord {
                token: token_from_row(&row)?,
                tenant_active: col::<String>(&row, "tenant_status")? == TenantStatus::Active.as_str(),
            })),
        }
    }

    async fn list_tokens(&self, tenant: TenantId) -> Result<Vec<ApiToken>> {
        sqlx::query(concat!("SELECT ", token_cols!(), " FROM api_tokens WHERE tenant_id = $1 ORDER BY created_at, id"))
            .bind(tenant.to_string())
            .all(self.read_pool(), token_from_row)
            .await
    }

    async fn revoke_token(&self, tenant: TenantId, id: TokenId, at: Timestamp, audit: &AuditEvent) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query(
            "UPDATE api_tokens SET revoked_at = $3, updated_at = $3 WHERE tenant_id = $1 AND id = $2 AND revoked_at IS NULL",
        )
        .bind(tenant.to_string())
        .bind(id.to_string())
        .bind(ts(at))
        .run(&mut *tx)
        .await?;
        commit_if_changed(tx, done, audit).await
    }

    async fn touch_tokens(&self, uses: &[(TokenId, Timestamp)]) -> Result<()> {
        let mut tx = self.begin_write().await?;
        for (id, at) in uses {
            sqlx::query("UPDATE api_tokens SET last_used_at = $2 WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < $2)")
                .bind(id.to_string())
                .bind(ts(*at))
                .run(&mut *tx)
                .await?;
        }
        tx.commit().await.map_err(db)
    }
}
