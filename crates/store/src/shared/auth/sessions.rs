//! Sign-in sessions, found by the digest of their cookie.

use keyhall_core::Result;
use keyhall_core::audit::AuditEvent;
use keyhall_core::auth::sessions::Session;
use keyhall_core::ports;
use keyhall_types::{SessionId, Timestamp, UserId};

use super::audit::{bind_audit, insert_audit};
use super::rows::{Conn, Run, col, col_id, col_ts};
use super::{DbRow, OPEN_SESSION_SQL, Store, ts};
use crate::errors::db;

fn session_from_row(row: &DbRow) -> Result<Session> {
    Ok(Session {
        id: col_id(row, "id")?,
        tenant_id: col_id(row, "tenant_id")?,
        user_id: col_id(row, "user_id")?,
        ip: col(row, "ip")?,
        user_agent: col(row, "user_agent")?,
        csrf_token: col(row, "csrf_token")?,
        created_at: col_ts(row, "created_at")?,
        expires_at: col_ts(row, "expires_at")?,
    })
}

#[async_trait::async_trait]
impl ports::SessionRepo for Store {
    async fn insert_session(&self, s: &Session, digest: &str, audit: &AuditEvent, forget_attempts: Option<&str>) -> Result<()> {
        // One command (see OPEN_SESSION_SQL): a sign-in's last write is on the login path.
        let q = sqlx::query(OPEN_SESSION_SQL)
            .bind(s.id.to_string())
            .bind(s.tenant_id.to_string())
            .bind(s.user_id.to_string())
            .bind(digest)
            .bind(&s.ip)
            .bind(&s.user_agent)
            .bind(&s.csrf_token)
            .bind(ts(s.created_at))
            .bind(ts(s.expires_at))
            .bind(forget_attempts);
        self.execute_atomically(bind_audit(q, audit)).await
    }

    async fn find_session(&self, digest: &str) -> Result<Option<Session>> {
        sqlx::query(
            "SELECT id, tenant_id, user_id, ip, user_agent, csrf_token, created_at, expires_at FROM sessions WHERE digest = $1",
        )
        .bind(digest)
        .optional(self.read_pool(), session_from_row)
        .await
    }

    async fn find_session_by_id(&self, id: SessionId) -> Result<Option<Session>> {
        sqlx::query(
            "SELECT id, tenant_id, user_id, ip, user_agent, csrf_token, created_at, expires_at FROM sessions WHERE id = $1",
        )
        .bind(id.to_string())
        .optional(self.read_pool(), session_from_row)
        .await
    }

    async fn extend_session(&self, id: SessionId, expires_at: Timestamp) -> Result<()> {
        sqlx::query("UPDATE sessions SET expires_at = $2 WHERE id = $1 AND expires_at < $2")
            .bind(id.to_string())
            .bind(ts(expires_at))
            .run(self.write_pool())
            .await?;
        Ok(())
    }

    async fn delete_session(&self, id: SessionId, audit: Option<&AuditEvent>) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query("DELETE FROM sessions WHERE id = $1").bind(id.to_string()).run(&mut *tx).await?;
        if let Some(a) = audit
            && done > 0
        {
            insert_audit(&mut tx, a).await?;
        }
        tx.commit().await.map_err(db)?;
        Ok(done > 0)
    }

    async fn delete_user_sessions(&self, user: UserId, keep: Option<SessionId>) -> Result<u64> {
        let mut conn = self.write_pool().acquire().await.map_err(db)?;
        delete_user_sessions_rows(&mut conn, user, keep).await
    }
}

/// Deletes the user's sessions but `keep`; how many there were.
pub(crate) async fn delete_user_sessions_rows(conn: &mut Conn, user: UserId, keep: Option<SessionId>) -> Result<u64> {
    let keep = keep.map(|k| k.to_string()).unwrap_or_default();
    sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND id <> $2").bind(user.to_string()).bind(keep).run(&mut *conn).await
}
