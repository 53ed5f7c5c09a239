//! The outbox of mail and texts.

use keyhall_core::Result;
use keyhall_core::ports::{self, QueuedMessage};
use keyhall_types::Timestamp;

use super::rows::{Conn, Run, col, col_ts};
use super::{DbRow, Store, ts};

pub(crate) async fn queue_message_row(conn: &mut Conn, m: &QueuedMessage) -> Result<()> {
    sqlx::query(
        "INSERT INTO outbox (id, kind, payload, attempts, next_attempt_at, created_at, last_error) \
         VALUES ($1, $2, $3, $4, $5, $6, NULL)",
    )
    .bind(&m.id)
    .bind(&m.kind)
    .bind(&m.payload)
    .bind(m.attempts)
    .bind(ts(m.next_attempt_at))
    .bind(ts(m.created_at))
    .run(&mut *conn)
    .await?;
    Ok(())
}

fn read_message(row: &DbRow) -> Result<QueuedMessage> {
    Ok(QueuedMessage {
        id: col(row, "id")?,
        kind: col(row, "kind")?,
        payload: col(row, "payload")?,
        attempts: col(row, "attempts")?,
        next_attempt_at: col_ts(row, "next_attempt_at")?,
        created_at: col_ts(row, "created_at")?,
    })
}

#[async_trait::async_trait]
impl ports::OutboxRepo for Store {
    async fn claim_messages(&self, now: Timestamp, lease_until: Timestamp, limit: i64) -> Result<Vec<QueuedMessage>> {
        // The outer condition is checked again on each row as it is updated: of two nodes
        // that picked the same message, the second finds it leased and leaves it.
        sqlx::query(
            "UPDATE outbox SET next_attempt_at = $2 \
             WHERE id IN (SELECT id FROM outbox WHERE next_attempt_at <= $1 ORDER BY next_attempt_at LIMIT $3) \
               AND next_attempt_at <= $1 \
             RETURNING id, kind, payload, attempts, next_attempt_at, created_at",
        )
        .bind(ts(now))
        .bind(ts(lease_until))
        .bind(limit)
        .all(self.write_pool(), read_message)
        .await
    }

    async fn delete_message(&self, id: &str) -> Result<()> {
        sqlx::query("DELETE FROM outbox WHERE id = $1").bind(id).run(self.write_pool()).await?;
        Ok(())
    }

    async fn retry_message(&self, id: &str, attempts: i64, next_attempt_at: Timestamp, error: &str) -> Result<()> {
        sqlx::query("UPDATE outbox SET attempts = $2, next_attempt_at = $3, last_error = $4 WHERE id = $1")
            .bind(id)
            .bind(attempts)
            .bind(ts(next_attempt_at))
            .bind(error.chars().take(500).collect::<String>())
            .run(self.write_pool())
            .await?;
        Ok(())
    }
}
