//! Access restrictions by client address, and whitelist links.

use keyhall_core::audit::AuditEvent;
use keyhall_core::auth::restrictions::Restriction;
use keyhall_core::ports;
use keyhall_core::{ErrorCode, Result};
use keyhall_types::{RestrictionId, TenantId, Timestamp};

use super::audit::insert_audit;
use super::rows::{Conn, Run, col, col_id, col_ts, commit_if_changed};
use super::{DbRow, Store, ts};
use crate::errors::{db, unique_or};

fn restriction_from_row(row: &DbRow) -> Result<Restriction> {
    Ok(Restriction {
        id: col_id(row, "id")?,
        tenant_id: col_id(row, "tenant_id")?,
        category: col(row, "category")?,
        scope: col(row, "scope")?,
        value: col(row, "value")?,
        code: col::<i64>(row, "code")?,
        enabled: col::<String>(row, "state")? == "enabled",
        created_at: col_ts(row, "created_at")?,
        updated_at: col_ts(row, "updated_at")?,
    })
}

/// The same category, scope and value twice is `restriction.taken`.
pub(crate) async fn insert_restriction_row(conn: &mut Conn, r: &Restriction) -> Result<()> {
    sqlx::query(concat!("INSERT INTO restrictions (", restriction_cols!(), ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"))
        .bind(r.id.to_string())
        .bind(r.tenant_id.to_string())
        .bind(&r.category)
        .bind(&r.scope)
        .bind(&r.value)
        .bind(r.code)
        .bind(if r.enabled { "enabled" } else { "disabled" })
        .bind(ts(r.created_at))
        .bind(ts(r.updated_at))
        .execute(&mut *conn)
        .await
        .map_err(unique_or(ErrorCode::RestrictionTaken))?;
    Ok(())
}

#[async_trait::async_trait]
impl ports::RestrictionRepo for Store {
    async fn list_restrictions(&self, tenant: TenantId) -> Result<Vec<Restriction>> {
        sqlx::query(concat!("SELECT ", restriction_cols!(), " FROM restrictions WHERE tenant_id = $1 ORDER BY created_at, id"))
            .bind(tenant.to_string())
            .all(self.read_pool(), restriction_from_row)
            .await
    }

    async fn delete_restriction(&self, tenant: TenantId, id: RestrictionId, audit: &AuditEvent) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query("DELETE FROM restrictions WHERE tenant_id = $1 AND id = $2")
            .bind(tenant.to_string())
            .bind(id.to_string())
            .run(&mut *tx)
            .await?;
        commit_if_changed(tx, done, audit).await
    }

    async fn insert_whitelink(&self, tenant: TenantId, digest: &str, expires_at: Timestamp, audit: &AuditEvent) -> Result<()> {
        let mut tx = self.begin_write().await?;
        // Expired links are of no use to anyone: each new one sweeps them away.
        sqlx::query("DELETE FROM whitelinks WHERE expires_at <= $1").bind(ts(audit.at)).run(&mut *tx).await?;
        sqlx::query("INSERT INTO whitelinks (digest, tenant_id, expires_at, created_at) VALUES ($1, $2, $3, $4)")
            .bind(digest)
            .bind(tenant.to_string())
            .bind(ts(expires_at))
            .bind(ts(audit.at))
            .run(&mut *tx)
            .await?;
        insert_audit(&mut tx, audit).await?;
        tx.commit().await.map_err(db)
    }

    async fn whitelink_valid(&self, tenant: TenantId, digest: &str, now: Timestamp) -> Result<bool> {
        let found = sqlx::query("SELECT digest FROM whitelinks WHERE tenant_id = $1 AND digest = $2 AND expires_at > $3")
            .bind(tenant.to_string())
            .bind(digest)
            .bind(ts(now))
            .fetch_optional(self.read_pool())
            .await
            .map_err(db)?;
        Ok(found.is_some())
    }
}
