// LabelRepo, ApiKeyRepo, SettingsRepo, SigningKeyRepo, LoginAttemptRepo.

use keyhall_core::auth::api_keys::{ApiKey, ApiKeyState};
use keyhall_core::identity::labels::{Label, LabelScope};
use keyhall_core::ports::{Attempt, StoredSigningKey};

const LABEL_COLS: &str = "id, user_id, key, value, scope, description, created_at, updated_at";

fn label_from_row(row: &DbRow) -> Result<Label> {
    Ok(Label {
        id: col_id(row, "id")?,
        user_id: col_id(row, "user_id")?,
        key: col(row, "key")?,
        value: col(row, "value")?,
        scope: LabelScope::parse(&col::<String>(row, "scope")?).ok_or_else(|| crate::errors::corrupt("label scope"))?,
        description: col(row, "description")?,
        created_at: col_ts(row, "created_at")?,
        updated_at: col_ts(row, "updated_at")?,
    })
}

fn api_key_from_row(row: &DbRow) -> Result<ApiKey> {
    Ok(ApiKey {
        id: col_id(row, "id")?,
        tenant_id: col_id(row, "tenant_id")?,
        holder_id: col_id(row, "holder_id")?,
        kid: col(row, "kid")?,
        algorithm: col(row, "algorithm")?,
        scope: serde_json::from_str(&col::<String>(row, "scope")?).map_err(|_| crate::errors::corrupt("api key scope"))?,
        state: ApiKeyState::parse(&col::<String>(row, "state")?).ok_or_else(|| crate::errors::corrupt("api key state"))?,
        secret_sealed: col(row, "secret_sealed")?,
        created_at: col_ts(row, "created_at")?,
        updated_at: col_ts(row, "updated_at")?,
    })
}

async fn insert_label_row(conn: &mut <Db as sqlx::Database>::Connection, l: &Label, upsert: bool) -> Result<()> {
    let sql = if upsert {
        "INSERT INTO labels (id, user_id, key, value, scope, description, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
         ON CONFLICT (user_id, key, scope) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at"
    } else {
        "INSERT INTO labels (id, user_id, key, value, scope, description, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
    };
    sqlx::query(sql)
        .bind(l.id.to_string())
        .bind(l.user_id.to_string())
        .bind(&l.key)
        .bind(&l.value)
        .bind(l.scope.as_str())
        .bind(&l.description)
        .bind(ts(l.created_at))
        .bind(ts(l.updated_at))
        .execute(&mut *conn)
        .await
        .map_err(crate::errors::unique_or(ErrorCode::LabelKeyTaken))?;
    Ok(())
}

#[async_trait::async_trait]
impl keyhall_core::ports::LabelRepo for Store {
    async fn list_labels(&self, user: UserId) -> Result<Vec<Label>> {
        sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {LABEL_COLS} FROM labels WHERE user_id = $1 ORDER BY created_at, id")))
            .bind(user.to_string())
            .fetch_all(self.read_pool())
            .await
            .map_err(db)?
            .iter()
            .map(label_from_row)
            .collect()
    }

    async fn insert_label(&self, label: &Label, audit: Option<&AuditEvent>) -> Result<()> {
        let mut tx = self.begin_write().await?;
        insert_label_row(&mut tx, label, false).await?;
        if let Some(a) = audit {
            insert_audit(&mut tx, a).await?;
        }
        tx.commit().await.map_err(db)
    }

    async fn put_label(&self, label: &Label, audit: Option<&AuditEvent>) -> Result<()> {
        let mut tx = self.begin_write().await?;
        insert_label_row(&mut tx, label, true).await?;
        if let Some(a) = audit {
            insert_audit(&mut tx, a).await?;
        }
        tx.commit().await.map_err(db)
    }

    async fn update_label(&self, user: UserId, key: &str, scope: LabelScope, value: &str, at: Timestamp, audit: &AuditEvent) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query("UPDATE labels SET value = $4, updated_at = $5 WHERE user_id = $1 AND key = $2 AND scope = $3")
            .bind(user.to_string())
            .bind(key)
            .bind(scope.as_str())
            .bind(value)
            .bind(ts(at))
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        commit_if_changed(tx, done.rows_affected(), audit).await
    }

    async fn delete_label(&self, user: UserId, key: &str, scope: LabelScope, audit: Option<&AuditEvent>) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query("DELETE FROM labels WHERE user_id = $1 AND key = $2 AND scope = $3")
            .bind(user.to_string())
            .bind(key)
            .bind(scope.as_str())
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        match audit {
            Some(a) => commit_if_changed(tx, done.rows_affected(), a).await,
            None => {
                tx.commit().await.map_err(db)?;
                Ok(done.rows_affected() > 0)
            }
        }
    }
}

const API_KEY_COLS: &str = "id, tenant_id, holder_id, kid, algorithm, scope, state, secret_sealed, created_at, updated_at";

#[async_trait::async_trait]
impl keyhall_core::ports::ApiKeyRepo for Store {
    async fn insert_api_key(&self, k: &ApiKey, audit: &AuditEvent) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO api_keys ({API_KEY_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
        )))
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
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        insert_audit(&mut tx, audit).await?;
        tx.commit().await.map_err(db)
    }

    async fn find_api_key(&self, kid: &str) -> Result<Option<ApiKey>> {
        sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {API_KEY_COLS} FROM api_keys WHERE kid = $1")))
            .bind(kid)
            .fetch_optional(self.read_pool())
            .await
            .map_err(db)?
            .as_ref()
            .map(api_key_from_row)
            .transpose()
    }

    async fn list_api_keys(&self, holder: UserId) -> Result<Vec<ApiKey>> {
        sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {API_KEY_COLS} FROM api_keys WHERE holder_id = $1 ORDER BY created_at, id")))
            .bind(holder.to_string())
            .fetch_all(self.read_pool())
            .await
            .map_err(db)?
            .iter()
            .map(api_key_from_row)
            .collect()
    }

    async fn update_api_key(&self, k: &ApiKey, audit: &AuditEvent) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query("UPDATE api_keys SET state = $3, scope = $4, updated_at = $5 WHERE holder_id = $1 AND kid = $2")
            .bind(k.holder_id.to_string())
            .bind(&k.kid)
            .bind(k.state.as_str())
            .bind(serde_json::to_string(&k.scope).unwrap_or_else(|_| "[]".into()))
            .bind(ts(k.updated_at))
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        commit_if_changed(tx, done.rows_affected(), audit).await
    }

    async fn delete_api_key(&self, holder: UserId, kid: &str, audit: &AuditEvent) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query("DELETE FROM api_keys WHERE holder_id = $1 AND kid = $2")
            .bind(holder.to_string())
            .bind(kid)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        commit_if_changed(tx, done.rows_affected(), audit).await
    }

    async fn deactivate_api_keys(&self, user: UserId, at: Timestamp) -> Result<u64> {
        let done = sqlx::query(
            "UPDATE api_keys SET state = 'inactive', updated_at = $2 WHERE state <> 'inactive' AND \
             (holder_id = $1 OR holder_id IN (SELECT id FROM users WHERE owner_id = $1))",
        )
        .bind(user.to_string())
        .bind(ts(at))
        .execute(self.write_pool())
        .await
        .map_err(db)?;
        Ok(done.rows_affected())
    }
}

#[async_trait::async_trait]
impl keyhall_core::ports::SettingsRepo for Store {
    async fn get_setting(&self, key: &str) -> Result<Option<String>> {
        let row = sqlx::query("SELECT value FROM settings WHERE key = $1").bind(key).fetch_optional(self.write_pool()).await.map_err(db)?;
        row.map(|r| col(&r, "value")).transpose()
    }

    async fn put_setting_if_absent(&self, key: &str, value: &str, at: Timestamp) -> Result<String> {
        sqlx::query("INSERT INTO settings (key, value, created_at) VALUES ($1, $2, $3) ON CONFLICT (key) DO NOTHING")
            .bind(key)
            .bind(value)
            .bind(ts(at))
            .execute(self.write_pool())
            .await
            .map_err(db)?;
        let row = sqlx::query("SELECT value FROM settings WHERE key = $1").bind(key).fetch_one(self.write_pool()).await.map_err(db)?;
        col(&row, "value")
    }
}

#[async_trait::async_trait]
impl keyhall_core::ports::SigningKeyRepo for Store {
    async fn signing_keys(&self) -> Result<Vec<StoredSigningKey>> {
        let rows = sqlx::query(
            "SELECT kid, algorithm, private_sealed, created_at FROM signing_keys WHERE retired_at IS NULL ORDER BY created_at DESC, kid",
        )
        .fetch_all(self.write_pool())
        .await
        .map_err(db)?;
        rows.iter()
            .map(|r| {
                Ok(StoredSigningKey {
                    kid: col(r, "kid")?,
                    algorithm: col(r, "algorithm")?,
                    private_sealed: col(r, "private_sealed")?,
                    created_at: col_ts(r, "created_at")?,
                })
            })
            .collect()
    }

    async fn insert_signing_key(&self, k: &StoredSigningKey) -> Result<()> {
        sqlx::query("INSERT INTO signing_keys (kid, algorithm, private_sealed, created_at) VALUES ($1, $2, $3, $4)")
            .bind(&k.kid)
            .bind(&k.algorithm)
            .bind(&k.private_sealed)
            .bind(ts(k.created_at))
            .execute(self.write_pool())
            .await
            .map_err(db)?;
        Ok(())
    }
}

#[async_trait::async_trait]
impl keyhall_core::ports::LoginAttemptRepo for Store {
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
            .execute(self.write_pool())
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn release_attempt(&self, key: &str) -> Result<()> {
        sqlx::query("UPDATE login_attempts SET failures = failures - 1 WHERE key = $1 AND failures > 0")
            .bind(key)
            .execute(self.write_pool())
            .await
            .map_err(db)?;
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
        sqlx::query("DELETE FROM login_attempts WHERE key = $1").bind(key).execute(self.write_pool()).await.map_err(db)?;
        Ok(())
    }

    async fn purge_attempts(&self, window_start: Timestamp, lock_ended_before: Timestamp) -> Result<u64> {
        let done = sqlx::query(
            "DELETE FROM login_attempts WHERE window_started_at < $1 AND (locked_until IS NULL OR locked_until < $2)",
        )
        .bind(ts(window_start))
        .bind(ts(lock_ended_before))
        .execute(self.write_pool())
        .await
        .map_err(db)?;
        Ok(done.rows_affected())
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

#[async_trait::async_trait]
impl keyhall_core::ports::DataStorageRepo for Store {
    async fn list_data_storages(&self, user: UserId) -> Result<Vec<keyhall_core::barong::data_storage::DataStorage>> {
        let rows = sqlx::query("SELECT id, user_id, title, data, created_at, updated_at FROM data_storages WHERE user_id = $1 ORDER BY created_at, id")
            .bind(user.to_string())
            .fetch_all(self.read_pool())
            .await
            .map_err(db)?;
        rows.iter()
            .map(|r| {
                Ok(keyhall_core::barong::data_storage::DataStorage {
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

    async fn insert_data_storage(&self, d: &keyhall_core::barong::data_storage::DataStorage, label: &Label, audit: &AuditEvent) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query("INSERT INTO data_storages (id, user_id, title, data, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(d.id.to_string())
            .bind(d.user_id.to_string())
            .bind(&d.title)
            .bind(&d.data)
            .bind(ts(d.created_at))
            .bind(ts(d.updated_at))
            .execute(&mut *tx)
            .await
            .map_err(crate::errors::unique_or(ErrorCode::DataStorageTitleTaken))?;
        insert_label_row(&mut tx, label, true).await?;
        insert_audit(&mut tx, audit).await?;
        tx.commit().await.map_err(db)
    }
}
