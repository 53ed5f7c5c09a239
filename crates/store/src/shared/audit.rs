//! The audit log: records are appended inside the transaction of the change they describe.

use keyhall_core::Result;
use keyhall_core::audit::{AuditEvent, AuditQuery};
use keyhall_core::ports;

use super::Store;
use super::rows::{Conn, DbQuery, Run, col, col_id, col_ts};
use super::{DbRow, ts};
use crate::errors::{corrupt, db};

pub(crate) fn audit_from_row(row: &DbRow) -> Result<AuditEvent> {
    Ok(AuditEvent {
        id: col_id(row, "id")?,
        tenant_id: col_id(row, "tenant_id")?,
        actor_kind: col(row, "actor_kind")?,
        actor_id: col(row, "actor_id")?,
        action: col(row, "action")?,
        target_kind: col(row, "target_kind")?,
        target_id: col(row, "target_id")?,
        ip: col(row, "ip")?,
        user_agent: col(row, "user_agent")?,
        details: serde_json::from_str(&col::<String>(row, "details")?).map_err(|_| corrupt("audit details"))?,
        at: col_ts(row, "created_at")?,
        // The community is kept with the record's report event, not in the log.
        community: None,
    })
}

/// Binds the values of an audit record (`audit_cols!`), after whatever `q` binds already.
pub(crate) fn bind_audit<'q>(q: DbQuery<'q>, e: &AuditEvent) -> DbQuery<'q> {
    q.bind(e.id.to_string())
        .bind(e.tenant_id.to_string())
        .bind(&e.actor_kind)
        .bind(&e.actor_id)
        .bind(&e.action)
        .bind(&e.target_kind)
        .bind(&e.target_id)
        .bind(&e.ip)
        .bind(&e.user_agent)
        .bind(e.details.to_string())
        .bind(ts(e.at))
}

/// Appends one audit record inside the caller's transaction.
pub(crate) async fn insert_audit(conn: &mut Conn, e: &AuditEvent) -> Result<()> {
    let q =
        sqlx::query(concat!("INSERT INTO audit_log (", audit_cols!(), ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"));
    bind_audit(q, e).run(&mut *conn).await?;
    // A record of a community is also one of its report events.
    if let Some(event) = keyhall_core::adminx::reports::ReportEvent::from_audit(e) {
        super::reports::insert_event_row(conn, &event).await?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl ports::AuditRepo for Store {
    async fn append_audit(&self, event: &AuditEvent) -> Result<()> {
        let mut tx = self.begin_write().await?;
        insert_audit(&mut tx, event).await?;
        tx.commit().await.map_err(db)
    }

    async fn list_audit(&self, q: &AuditQuery) -> Result<Vec<AuditEvent>> {
        // Unset filters are bound as NULL and switch their condition off.
        sqlx::query(
            "SELECT id, tenant_id, actor_kind, actor_id, action, target_kind, target_id, ip, user_agent, details, created_at \
             FROM audit_log \
             WHERE ($1 IS NULL OR tenant_id = $1) AND ($2 IS NULL OR actor_id = $2) AND ($3 IS NULL OR target_id = $3) \
               AND ($4 IS NULL OR action LIKE $4 ESCAPE '\\') \
             ORDER BY created_at DESC, id DESC LIMIT $5 OFFSET $6",
        )
        .bind(q.tenant_id.map(|t| t.to_string()))
        .bind(&q.actor_id)
        .bind(&q.target_id)
        .bind(q.action_prefix.as_ref().map(|p| format!("{}%", p.replace('%', "").replace('_', "\\_"))))
        .bind(i64::from(if q.limit == 0 { 100 } else { q.limit }))
        .bind(i64::from(q.offset))
        .all(self.read_pool(), audit_from_row)
        .await
    }
}
