//! The Comet-only domain: licenses, hosted instances, CloudView and billing records.

use keyhall_core::audit::AuditEvent;
use keyhall_core::comet::billing::BillingRecord;
use keyhall_core::comet::cloudview::{CloudView, CloudViewMode, CloudViewStatus};
use keyhall_core::comet::hosted::{HostedInstance, HostedState};
use keyhall_core::comet::licenses::License;
use keyhall_core::ports;
use keyhall_core::{ErrorCode, Result};
use keyhall_types::{TenantId, Timestamp};

use super::audit::insert_audit;
use super::rows::{Conn, DbQuery, Run, col, col_id, col_ts, col_ts_opt, commit_if_changed};
use super::{DbRow, Store, ts};
use crate::errors::{corrupt, db};

fn license_from_row(row: &DbRow) -> Result<License> {
    Ok(License {
        id: col_id(row, "id")?,
        tenant_id: col_id(row, "tenant_id")?,
        serial: col(row, "serial")?,
        name: col(row, "name")?,
        comment: col(row, "comment")?,
        server_version: col(row, "server_version")?,
        num_clients_online: col(row, "num_clients_online")?,
        num_boosters_online: col(row, "num_boosters_online")?,
        is_archived: col(row, "is_archived")?,
        enabled: col(row, "enabled")?,
        allowed_ip_address: col(row, "allowed_ip_address")?,
        allowed_machine_id: col(row, "allowed_machine_id")?,
        favourited: col(row, "favourited")?,
        region_code: col(row, "region_code")?,
        created_at: col_ts(row, "created_at")?,
        updated_at: col_ts(row, "updated_at")?,
        revision: col(row, "revision")?,
    })
}

fn hosted_from_row(row: &DbRow) -> Result<HostedInstance> {
    Ok(HostedInstance {
        id: col_id(row, "id")?,
        tenant_id: col_id(row, "tenant_id")?,
        server_name: col(row, "server_name")?,
        region: col(row, "region")?,
        user_dns: col(row, "user_dns")?,
        admin_username: col(row, "admin_username")?,
        admin_password_sealed: col(row, "admin_password_sealed")?,
        send_as_display_name: col(row, "send_as_display_name")?,
        send_as_email_address: col(row, "send_as_email_address")?,
        send_as_email_verified: col(row, "send_as_email_verified")?,
        send_as_dmarc_verified: col(row, "send_as_dmarc_verified")?,
        use_custom_dns: col(row, "use_custom_dns")?,
        user_custom_dns: col(row, "user_custom_dns")?,
        smtp_mode: col(row, "smtp_mode")?,
        smtp_host: col(row, "smtp_host")?,
        smtp_port: col(row, "smtp_port")?,
        smtp_username: col(row, "smtp_username")?,
        smtp_password_sealed: col(row, "smtp_password_sealed")?,
        smtp_security: col(row, "smtp_security")?,
        smtp_accept_invalid_certificate: col(row, "smtp_accept_invalid_certificate")?,
        storage_type: col(row, "storage_type")?,
        storage_bucket: col(row, "storage_bucket")?,
        storage_keys_sealed: col(row, "storage_keys_sealed")?,
        favourited: col(row, "favourited")?,
        num_devices_online: col(row, "num_devices_online")?,
        num_boosters_online: col(row, "num_boosters_online")?,
        version: col(row, "version")?,
        state: HostedState::parse(&col::<String>(row, "state")?).ok_or_else(|| corrupt("hosted state"))?,
        state_due_at: col_ts_opt(row, "state_due_at")?,
        pending_delete_failed: col(row, "pending_delete_failed")?,
        created_at: col_ts(row, "created_at")?,
        date_deleted: col_ts_opt(row, "date_deleted")?,
        updated_at: col_ts(row, "updated_at")?,
        revision: col(row, "revision")?,
    })
}

fn cloudview_from_row(row: &DbRow) -> Result<CloudView> {
    Ok(CloudView {
        tenant_id: col_id(row, "tenant_id")?,
        status: CloudViewStatus::parse(&col::<String>(row, "status")?).ok_or_else(|| corrupt("cloudview status"))?,
        mode: CloudViewMode::parse(&col::<String>(row, "mode")?).ok_or_else(|| corrupt("cloudview mode"))?,
        status_due_at: col_ts_opt(row, "status_due_at")?,
        updated_at: col_ts(row, "updated_at")?,
        revision: col(row, "revision")?,
    })
}

fn billing_from_row(row: &DbRow) -> Result<BillingRecord> {
    Ok(BillingRecord {
        id: col_id(row, "id")?,
        tenant_id: col_id(row, "tenant_id")?,
        occurred_at: col_ts(row, "occurred_at")?,
        description: col(row, "description")?,
        service_kind: col(row, "service_kind")?,
        service_ref: col(row, "service_ref")?,
        quantity: col(row, "quantity")?,
        unit_price_cents: col(row, "unit_price_cents")?,
        amount_cents: col(row, "amount_cents")?,
        currency: col(row, "currency")?,
    })
}

async fn insert_billing_row(conn: &mut Conn, b: &BillingRecord) -> Result<()> {
    sqlx::query(
        "INSERT INTO billing_records (id, tenant_id, occurred_at, description, service_kind, service_ref, quantity, \
         unit_price_cents, amount_cents, currency) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(b.id.to_string())
    .bind(b.tenant_id.to_string())
    .bind(ts(b.occurred_at))
    .bind(&b.description)
    .bind(&b.service_kind)
    .bind(&b.service_ref)
    .bind(b.quantity)
    .bind(b.unit_price_cents)
    .bind(b.amount_cents)
    .bind(&b.currency)
    .run(&mut *conn)
    .await?;
    Ok(())
}

/// Binds every hosted-instance column in `hosted_cols!()` order.
fn bind_hosted<'q>(q: DbQuery<'q>, h: &'q HostedInstance) -> DbQuery<'q> {
    q.bind(h.id.to_string())
        .bind(h.tenant_id.to_string())
        .bind(&h.server_name)
        .bind(&h.region)
        .bind(&h.user_dns)
        .bind(&h.admin_username)
        .bind(&h.admin_password_sealed)
        .bind(&h.send_as_display_name)
        .bind(&h.send_as_email_address)
        .bind(h.send_as_email_verified)
        .bind(h.send_as_dmarc_verified)
        .bind(h.use_custom_dns)
        .bind(&h.user_custom_dns)
        .bind(&h.smtp_mode)
        .bind(&h.smtp_host)
        .bind(h.smtp_port)
        .bind(&h.smtp_username)
        .bind(&h.smtp_password_sealed)
        .bind(&h.smtp_security)
        .bind(h.smtp_accept_invalid_certificate)
        .bind(&h.storage_type)
        .bind(&h.storage_bucket)
        .bind(&h.storage_keys_sealed)
        .bind(h.favourited)
        .bind(h.num_devices_online)
        .bind(h.num_boosters_online)
        .bind(&h.version)
        .bind(h.state.as_str())
        .bind(h.state_due_at.map(ts))
        .bind(h.pending_delete_failed)
        .bind(ts(h.created_at))
        .bind(h.date_deleted.map(ts))
        .bind(ts(h.updated_at))
        .bind(h.revision)
}

#[async_trait::async_trait]
impl ports::CometRepo for Store {
    async fn insert_license(&self, l: &License, charge: &BillingRecord, audit: &AuditEvent) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query(concat!(
            "INSERT INTO licenses (",
            license_cols!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)"
        ))
        .bind(l.id.to_string())
        .bind(l.tenant_id.to_string())
        .bind(&l.serial)
        .bind(&l.name)
        .bind(&l.comment)
        .bind(&l.server_version)
        .bind(l.num_clients_online)
        .bind(l.num_boosters_online)
        .bind(l.is_archived)
        .bind(l.enabled)
        .bind(&l.allowed_ip_address)
        .bind(&l.allowed_machine_id)
        .bind(l.favourited)
        .bind(&l.region_code)
        .bind(ts(l.created_at))
        .bind(ts(l.updated_at))
        .bind(l.revision)
        .run(&mut *tx)
        .await?;
        insert_billing_row(&mut tx, charge).await?;
        insert_audit(&mut tx, audit).await?;
        tx.commit().await.map_err(db)
    }

    async fn get_license(&self, tenant: TenantId, serial: &str) -> Result<Option<License>> {
        sqlx::query(concat!("SELECT ", license_cols!(), " FROM licenses WHERE tenant_id = $1 AND serial = $2"))
            .bind(tenant.to_string())
            .bind(serial)
            .optional(self.read_pool(), license_from_row)
            .await
    }

    async fn list_licenses(&self, tenant: TenantId) -> Result<Vec<License>> {
        sqlx::query(concat!("SELECT ", license_cols!(), " FROM licenses WHERE tenant_id = $1 ORDER BY created_at, id"))
            .bind(tenant.to_string())
            .all(self.read_pool(), license_from_row)
            .await
    }

    async fn update_license(&self, l: &License, expected_revision: i64, audit: &AuditEvent) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query(
            "UPDATE licenses SET name = $3, comment = $4, is_archived = $5, enabled = $6, allowed_ip_address = $7, \
             allowed_machine_id = $8, favourited = $9, updated_at = $10, revision = $11 \
             WHERE tenant_id = $1 AND id = $2 AND revision = $12",
        )
        .bind(l.tenant_id.to_string())
        .bind(l.id.to_string())
        .bind(&l.name)
        .bind(&l.comment)
        .bind(l.is_archived)
        .bind(l.enabled)
        .bind(&l.allowed_ip_address)
        .bind(&l.allowed_machine_id)
        .bind(l.favourited)
        .bind(ts(l.updated_at))
        .bind(l.revision)
        .bind(expected_revision)
        .run(&mut *tx)
        .await?;
        commit_if_changed(tx, done, audit).await
    }

    async fn mark_licenses_synced(&self, tenant: TenantId, at: Timestamp, audit: &AuditEvent) -> Result<u64> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query("UPDATE licenses SET synced_at = $2 WHERE tenant_id = $1")
            .bind(tenant.to_string())
            .bind(ts(at))
            .run(&mut *tx)
            .await?;
        insert_audit(&mut tx, audit).await?;
        tx.commit().await.map_err(db)?;
        Ok(done)
    }

    async fn insert_hosted(&self, h: &HostedInstance, charge: &BillingRecord, audit: &AuditEvent) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let q = sqlx::query(concat!(
            "INSERT INTO hosted_instances (",
            hosted_cols!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, \
             $21, $22, $23, $24, $25, $26, $27, $28, $29, $30, $31, $32, $33, $34)"
        ));
        bind_hosted(q, h).execute(&mut *tx).await.map_err(crate::errors::unique_or(ErrorCode::HostedDomainTaken))?;
        insert_billing_row(&mut tx, charge).await?;
        insert_audit(&mut tx, audit).await?;
        tx.commit().await.map_err(db)
    }

    async fn get_hosted(&self, tenant: TenantId, id: keyhall_types::HostedInstanceId) -> Result<Option<HostedInstance>> {
        sqlx::query(concat!("SELECT ", hosted_cols!(), " FROM hosted_instances WHERE tenant_id = $1 AND id = $2"))
            .bind(tenant.to_string())
            .bind(id.to_string())
            .optional(self.read_pool(), hosted_from_row)
            .await
    }

    async fn list_hosted(&self, tenant: TenantId) -> Result<Vec<HostedInstance>> {
        sqlx::query(concat!("SELECT ", hosted_cols!(), " FROM hosted_instances WHERE tenant_id = $1 ORDER BY created_at, id"))
            .bind(tenant.to_string())
            .all(self.read_pool(), hosted_from_row)
            .await
    }

    async fn update_hosted(&self, h: &HostedInstance, expected_revision: i64, audit: &AuditEvent) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        // Rewrites the whole row (same column order as the insert) if the revision still matches.
        let q = sqlx::query(
            "UPDATE hosted_instances SET server_name = $3, region = $4, user_dns = $5, admin_username = $6, \
             admin_password_sealed = $7, send_as_display_name = $8, send_as_email_address = $9, send_as_email_verified = $10, \
             send_as_dmarc_verified = $11, use_custom_dns = $12, user_custom_dns = $13, smtp_mode = $14, smtp_host = $15, \
             smtp_port = $16, smtp_username = $17, smtp_password_sealed = $18, smtp_security = $19, \
             smtp_accept_invalid_certificate = $20, storage_type = $21, storage_bucket = $22, storage_keys_sealed = $23, \
             favourited = $24, num_devices_online = $25, num_boosters_online = $26, version = $27, state = $28, \
             state_due_at = $29, pending_delete_failed = $30, created_at = $31, date_deleted = $32, updated_at = $33, \
             revision = $34 WHERE id = $1 AND tenant_id = $2 AND revision = $35",
        );
        let done = bind_hosted(q, h).bind(expected_revision).run(&mut *tx).await?;
        commit_if_changed(tx, done, audit).await
    }

    async fn get_cloudview(&self, tenant: TenantId) -> Result<Option<CloudView>> {
        sqlx::query("SELECT tenant_id, status, mode, status_due_at, updated_at, revision FROM cloudview WHERE tenant_id = $1")
            .bind(tenant.to_string())
            .optional(self.read_pool(), cloudview_from_row)
            .await
    }

    async fn put_cloudview(&self, c: &CloudView, expected_revision: i64, audit: &AuditEvent) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        // Revision 0 means "no row yet": insert, and lose the race if another writer did.
        let (sql, expected) = if expected_revision == 0 {
            (
                "INSERT INTO cloudview (tenant_id, status, mode, status_due_at, updated_at, revision) VALUES ($1, $2, $3, $4, $5, $6) \
                 ON CONFLICT (tenant_id) DO NOTHING",
                None,
            )
        } else {
            (
                "UPDATE cloudview SET status = $2, mode = $3, status_due_at = $4, updated_at = $5, revision = $6 \
                 WHERE tenant_id = $1 AND revision = $7",
                Some(expected_revision),
            )
        };
        let mut q = sqlx::query(sql)
            .bind(c.tenant_id.to_string())
            .bind(c.status.as_str())
            .bind(c.mode.as_str())
            .bind(c.status_due_at.map(ts))
            .bind(ts(c.updated_at))
            .bind(c.revision);
        if let Some(expected) = expected {
            q = q.bind(expected);
        }
        let done = q.run(&mut *tx).await?;
        commit_if_changed(tx, done, audit).await
    }

    async fn advance_lifecycles(&self, now: Timestamp) -> Result<u64> {
        let mut tx = self.begin_write().await?;
        let mut n = 0;
        n += sqlx::query(
            "UPDATE hosted_instances SET state = 'ready', state_due_at = NULL, revision = revision + 1 \
             WHERE state = 'provisioning' AND state_due_at <= $1",
        )
        .bind(ts(now))
        .run(&mut *tx)
        .await?;
        n += sqlx::query(
            "UPDATE hosted_instances SET state = 'deleted', date_deleted = state_due_at, state_due_at = NULL, revision = revision + 1 \
             WHERE state = 'deleting' AND state_due_at <= $1",
        )
        .bind(ts(now))
        .run(&mut *tx).await?;
        n += sqlx::query(
            "UPDATE cloudview SET status = 'READY', status_due_at = NULL, revision = revision + 1 \
             WHERE status = 'PROVISIONING' AND status_due_at <= $1",
        )
        .bind(ts(now))
        .run(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM challenges WHERE expires_at <= $1").bind(ts(now)).run(&mut *tx).await?;
        sqlx::query("DELETE FROM sessions WHERE expires_at <= $1").bind(ts(now)).run(&mut *tx).await?;
        tx.commit().await.map_err(db)?;
        Ok(n)
    }

    async fn list_billing(&self, tenant: TenantId) -> Result<Vec<BillingRecord>> {
        sqlx::query(
            "SELECT id, tenant_id, occurred_at, description, service_kind, service_ref, quantity, unit_price_cents, amount_cents, currency \
             FROM billing_records WHERE tenant_id = $1 ORDER BY occurred_at, id",
        )
        .bind(tenant.to_string())
        .all(self.read_pool(), billing_from_row).await
    }
}
