//! Tenants and their communities, configuration documents, and installation-wide settings.

use keyhall_core::audit::AuditEvent;
use keyhall_core::ports::{self, ConfigDocument};
use keyhall_core::tenancy::{Community, CompanyProfile, Tenant, TenantStatus};
use keyhall_core::{DomainError, ErrorCode, Result};
use keyhall_types::{CommunityId, TenantId, Timestamp};

use super::audit::insert_audit;
use super::rows::{Conn, Run, col, col_id, col_ts, is_unique_violation};
use super::{DbRow, Store, ts};
use crate::errors::{corrupt, db};

pub(crate) fn tenant_from_row(row: &DbRow) -> Result<Tenant> {
    Ok(Tenant {
        id: col_id(row, "id")?,
        name: col(row, "name")?,
        status: TenantStatus::parse(&col::<String>(row, "status")?).ok_or_else(|| corrupt("tenant status"))?,
        profile: CompanyProfile {
            phone: col(row, "phone")?,
            address_street: col(row, "address_street")?,
            address_city: col(row, "address_city")?,
            address_postcode: col(row, "address_postcode")?,
            address_country: col(row, "address_country")?,
        },
        created_at: col_ts(row, "created_at")?,
        updated_at: col_ts(row, "updated_at")?,
    })
}

pub(crate) fn community_from_row(row: &DbRow) -> Result<Community> {
    Ok(Community {
        id: col_id(row, "id")?,
        tenant_id: col_id(row, "tenant_id")?,
        name: col(row, "name")?,
        is_default: col(row, "is_default")?,
        created_at: col_ts(row, "created_at")?,
    })
}

pub(crate) async fn insert_tenant_rows(conn: &mut Conn, t: &Tenant, c: &Community) -> Result<()> {
    sqlx::query(concat!("INSERT INTO tenants (", tenant_cols!(), ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"))
        .bind(t.id.to_string())
        .bind(&t.name)
        .bind(t.status.as_str())
        .bind(&t.profile.phone)
        .bind(&t.profile.address_street)
        .bind(&t.profile.address_city)
        .bind(&t.profile.address_postcode)
        .bind(&t.profile.address_country)
        .bind(ts(t.created_at))
        .bind(ts(t.updated_at))
        .run(&mut *conn)
        .await?;
    insert_community_row(conn, c).await
}

/// `community.name_taken` when the tenant has one of that name.
pub(crate) async fn insert_community_row(conn: &mut Conn, c: &Community) -> Result<()> {
    sqlx::query("INSERT INTO communities (id, tenant_id, name, is_default, created_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(c.id.to_string())
        .bind(c.tenant_id.to_string())
        .bind(&c.name)
        .bind(c.is_default)
        .bind(ts(c.created_at))
        .execute(&mut *conn)
        .await
        .map_err(crate::errors::unique_or(ErrorCode::CommunityNameTaken))?;
    Ok(())
}

/// Writes the tenant's name and profile.
pub(crate) async fn update_tenant_row(conn: &mut Conn, tenant: &Tenant) -> Result<()> {
    let p = &tenant.profile;
    sqlx::query(
        "UPDATE tenants SET name = $2, phone = $3, address_street = $4, address_city = $5, address_postcode = $6, \
         address_country = $7, updated_at = $8 WHERE id = $1",
    )
    .bind(tenant.id.to_string())
    .bind(&tenant.name)
    .bind(&p.phone)
    .bind(&p.address_street)
    .bind(&p.address_city)
    .bind(&p.address_postcode)
    .bind(&p.address_country)
    .bind(ts(tenant.updated_at))
    .run(&mut *conn)
    .await?;
    Ok(())
}

/// Writes a configuration document over `expected` (0: none stored yet); another stored
/// revision, or a concurrent first write, is `config.stale_revision`.
pub(crate) async fn put_config_row(conn: &mut Conn, doc: &ConfigDocument, expected: i64) -> Result<()> {
    let stale = || DomainError::new(ErrorCode::ConfigRevisionStale);
    // Both statements take the document's columns as $1–$6 (`config_cols!` order).
    let (insert, update) = (
        concat!("INSERT INTO config_documents (", config_cols!(), ") VALUES ($1, $2, $3, $4, $5, $6)"),
        "UPDATE config_documents SET revision = $4, body = $5, updated_at = $6 \
         WHERE tenant_id = $1 AND community_id = $2 AND key = $3 AND revision = $7",
    );
    let q = sqlx::query(if expected == 0 { insert } else { update })
        .bind(doc.tenant_id.to_string())
        .bind(doc.community_id.to_string())
        .bind(&doc.key)
        .bind(doc.revision)
        .bind(doc.body.to_string())
        .bind(ts(doc.updated_at));
    let changed = if expected == 0 {
        // A concurrent first write of the same document breaks the primary key.
        q.execute(&mut *conn).await.map_err(|e| if is_unique_violation(&e) { stale() } else { db(e) })?.rows_affected()
    } else {
        q.bind(expected).run(&mut *conn).await?
    };
    if changed == 1 { Ok(()) } else { Err(stale()) }
}

#[async_trait::async_trait]
impl ports::TenantRepo for Store {
    async fn get_tenant(&self, id: TenantId) -> Result<Option<Tenant>> {
        sqlx::query(concat!("SELECT ", tenant_cols!(), " FROM tenants WHERE id = $1"))
            .bind(id.to_string())
            .optional(self.read_pool(), tenant_from_row)
            .await
    }

    async fn list_tenants(&self) -> Result<Vec<Tenant>> {
        sqlx::query(concat!("SELECT ", tenant_cols!(), " FROM tenants ORDER BY created_at, id"))
            .all(self.read_pool(), tenant_from_row)
            .await
    }

    async fn any_user(&self) -> Result<bool> {
        let row = sqlx::query("SELECT EXISTS (SELECT 1 FROM users) AS found").fetch_one(self.read_pool()).await.map_err(db)?;
        col(&row, "found")
    }

    async fn default_community(&self, tenant: TenantId) -> Result<Option<Community>> {
        sqlx::query("SELECT id, tenant_id, name, is_default, created_at FROM communities WHERE tenant_id = $1 AND is_default")
            .bind(tenant.to_string())
            .optional(self.read_pool(), community_from_row)
            .await
    }

    async fn close_tenant(&self, id: TenantId, at: Timestamp, audit: &AuditEvent) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query("UPDATE tenants SET status = 'closed', updated_at = $2 WHERE id = $1")
            .bind(id.to_string())
            .bind(ts(at))
            .run(&mut *tx)
            .await?;
        sqlx::query("UPDATE api_tokens SET revoked_at = $2, updated_at = $2 WHERE tenant_id = $1 AND revoked_at IS NULL")
            .bind(id.to_string())
            .bind(ts(at))
            .run(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM sessions WHERE tenant_id = $1").bind(id.to_string()).run(&mut *tx).await?;
        insert_audit(&mut tx, audit).await?;
        tx.commit().await.map_err(db)
    }

    async fn delete_tenant(&self, id: TenantId, audit: &AuditEvent) -> Result<()> {
        let mut tx = self.begin_write().await?;
        // Users reference communities and tenants; the cascades remove everything else.
        sqlx::query("DELETE FROM tenants WHERE id = $1").bind(id.to_string()).run(&mut *tx).await?;
        insert_audit(&mut tx, audit).await?;
        tx.commit().await.map_err(db)
    }

    async fn count_active_services(&self, id: TenantId) -> Result<i64> {
        let row = sqlx::query(
            "SELECT (SELECT COUNT(*) FROM licenses WHERE tenant_id = $1 AND NOT is_archived) + \
                    (SELECT COUNT(*) FROM hosted_instances WHERE tenant_id = $1 AND state <> 'deleted') AS n",
        )
        .bind(id.to_string())
        .fetch_one(self.write_pool())
        .await
        .map_err(db)?;
        col(&row, "n")
    }
}

#[async_trait::async_trait]
impl ports::SettingsRepo for Store {
    async fn get_setting(&self, key: &str) -> Result<Option<String>> {
        let row = sqlx::query("SELECT value FROM settings WHERE key = $1")
            .bind(key)
            .fetch_optional(self.write_pool())
            .await
            .map_err(db)?;
        row.map(|r| col(&r, "value")).transpose()
    }

    async fn put_setting_if_absent(&self, key: &str, value: &str, at: Timestamp) -> Result<String> {
        sqlx::query("INSERT INTO settings (key, value, created_at) VALUES ($1, $2, $3) ON CONFLICT (key) DO NOTHING")
            .bind(key)
            .bind(value)
            .bind(ts(at))
            .run(self.write_pool())
            .await?;
        let row =
            sqlx::query("SELECT value FROM settings WHERE key = $1").bind(key).fetch_one(self.write_pool()).await.map_err(db)?;
        col(&row, "value")
    }

    async fn put_setting(&self, key: &str, value: &str, at: Timestamp) -> Result<()> {
        sqlx::query("INSERT INTO settings (key, value, created_at) VALUES ($1, $2, $3) ON CONFLICT (key) DO UPDATE SET value = excluded.value")
            .bind(key)
            .bind(value)
            .bind(ts(at))
            .run(self.write_pool())
            .await?;
        Ok(())
    }
}

#[async_trait::async_trait]
impl ports::ConfigRepo for Store {
    async fn get_config(&self, tenant: TenantId, community: CommunityId, key: &str) -> Result<Option<ConfigDocument>> {
        let row = sqlx::query(concat!(
            "SELECT ",
            config_cols!(),
            " FROM config_documents WHERE tenant_id = $1 AND community_id = $2 AND key = $3"
        ))
        .bind(tenant.to_string())
        .bind(community.to_string())
        .bind(key)
        .fetch_optional(self.read_pool())
        .await
        .map_err(db)?;
        row.map(|r| {
            Ok(ConfigDocument {
                tenant_id: col_id(&r, "tenant_id")?,
                community_id: col_id(&r, "community_id")?,
                key: col(&r, "key")?,
                revision: col(&r, "revision")?,
                body: serde_json::from_str(&col::<String>(&r, "body")?).map_err(|_| corrupt("configuration document"))?,
                updated_at: col_ts(&r, "updated_at")?,
            })
        })
        .transpose()
    }
}
