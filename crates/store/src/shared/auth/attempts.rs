//! Failed-attempt counters and their locks, each decided by one atomic statement.

use keyhall_core::Result;
use keyhall_core::ports::{self, Attempt};
use keyhall_types::Timestamp;

use super::rows::{Run, col, col_ts, col_ts_opt};
use super::{Store, ts};
use crate::errors::db;

#[async_trait::async_trait]
impl ports::LoginAttemptRepo for Store {
    async fn reserve_attempt(&self, key: &str, limit: i64, window_start: Timestamp, now: Timestamp) -> Result<Attempt> {
        Ok(reserve_and_peek(self, key, limit, window_start, now, None).await?.0)
    }

    async fn reserve_attempt_and_peek(
        &self,
        key: &str,
        limit: i64,
        window_start: Timestamp,
        now: Timestamp,
        peek: &str,
    ) -> Result<(Attempt, (i64, Option<Timestamp>))> {
        reserve_and_peek(self, key, limit, window_start, now, Some(peek)).await
    }

    async fn lock_attempts(&self, key: &str, until: Timestamp) -> Result<()> {
        sqlx::query("UPDATE login_attempts SET locked_until = $2, lockouts = lockouts + 1 WHERE key = $1")
            .bind(key)
            .bind(ts(until))
            .run(self.write_pool())
            .await?;
        Ok(())
    }

    async fn release_attempt(&self, key: &str) -> Result<()> {
        sqlx::query("UPDATE login_attempts SET failures = failures - 1 WHERE key = $1 AND failures > 0")
            .bind(key)
            .run(self.write_pool())
            .await?;
        Ok(())
    }

    async fn peek_attempts(&self, key: &str, window_start: Timestamp) -> Result<(i64, Option<Timestamp>)> {
        let row = sqlx::query("SELECT failures, window_started_at, locked_until FROM login_attempts WHERE key = $1")
            .bind(key)
            .fetch_optional(self.write_pool())
            .await
            .map_err(db)?;
        let Some(r) = row else { return Ok((0, None)) };
        let failures = if col_ts(&r, "window_started_at")? < window_start { 0 } else { col(&r, "failures")? };
        Ok((failures, col_ts_opt(&r, "locked_until")?))
    }

    async fn clear_attempts(&self, key: &str) -> Result<()> {
        sqlx::query("DELETE FROM login_attempts WHERE key = $1").bind(key).run(self.write_pool()).await?;
        Ok(())
    }

    async fn purge_attempts(&self, window_start: Timestamp, lock_ended_before: Timestamp) -> Result<u64> {
        let done = sqlx::query(
            "DELETE FROM login_attempts WHERE window_started_at < $1 AND (locked_until IS NULL OR locked_until < $2)",
        )
        .bind(ts(window_start))
        .bind(ts(lock_ended_before))
        .run(self.write_pool())
        .await?;
        Ok(done)
    }
}

/// Counts one attempt against `key` (see `LoginAttemptRepo::reserve_attempt`) and, in the
/// same statement, reads the counter `peek` as `peek_attempts` does (nothing when `None`).
async fn reserve_and_peek(
    store: &Store,
    key: &str,
    limit: i64,
    window_start: Timestamp,
    now: Timestamp,
    peek: Option<&str>,
) -> Result<(Attempt, (i64, Option<Timestamp>))> {
    // One statement decides, atomically: a new key starts at 1, a stale window restarts
    // at 1, a live one counts up only while below the limit and not locked.
    let row = sqlx::query(
        "INSERT INTO login_attempts (key, failures, window_started_at, locked_until, lockouts) VALUES ($1, 1, $3, NULL, 0) \
         ON CONFLICT (key) DO UPDATE SET \
           failures = CASE WHEN login_attempts.window_started_at < $2 THEN 1 ELSE login_attempts.failures + 1 END, \
           window_started_at = CASE WHEN login_attempts.window_started_at < $2 THEN $3 ELSE login_attempts.window_started_at END \
         WHERE (login_attempts.locked_until IS NULL OR login_attempts.locked_until <= $3) \
           AND (login_attempts.window_started_at < $2 OR login_attempts.failures < $4) \
         RETURNING failures, lockouts, \
           (SELECT CASE WHEN p.window_started_at < $2 THEN 0 ELSE p.failures END FROM login_attempts p WHERE p.key = $5) \
             AS peek_failures, \
           (SELECT p.locked_until FROM login_attempts p WHERE p.key = $5) AS peek_locked_until",
    )
    .bind(key)
    .bind(ts(window_start))
    .bind(ts(now))
    .bind(limit)
    .bind(peek)
    .fetch_optional(store.write_pool())
    .await
    .map_err(db)?;
    if let Some(r) = row {
        let attempt = Attempt::Allowed { failures: col(&r, "failures")?, lockouts: col(&r, "lockouts")? };
        let peeked = (col::<Option<i64>>(&r, "peek_failures")?.unwrap_or(0), col_ts_opt(&r, "peek_locked_until")?);
        return Ok((attempt, peeked));
    }
    // Refused: read the lock (the row may be gone meanwhile, cleared by a sign-in).
    let r = sqlx::query("SELECT locked_until FROM login_attempts WHERE key = $1")
        .bind(key)
        .fetch_optional(store.write_pool())
        .await
        .map_err(db)?;
    let until = match r {
        Some(r) => col_ts_opt(&r, "locked_until")?.filter(|u| *u > now),
        None => None,
    };
    Ok((Attempt::Locked { until: until.unwrap_or(now) }, (0, None)))
}
