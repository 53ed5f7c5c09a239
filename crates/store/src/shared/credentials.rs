//! Credentials (passwords, TOTP seeds, WebAuthn keys) and pending challenges.

use keyhall_core::audit::AuditEvent;
use keyhall_core::credentials::{Challenge, ChallengeKind, Credential, CredentialKind};
use keyhall_core::identity::User;
use keyhall_core::ports;
use keyhall_core::{DomainError, Result};
use keyhall_types::{CredentialId, Email, TenantId, Timestamp, UserId};

use super::audit::insert_audit;
use super::identity::user_from_row;
use super::rows::{Conn, Run, col, col_id, col_ts};
use super::{DbRow, Store, ts};
use crate::errors::{corrupt, db};

fn credential_from_row(row: &DbRow) -> Result<Credential> {
    credential_from_named(row, "")
}

/// A credential from columns named with `prefix` (`c_id`, `c_kind`, … beside a user's).
fn credential_from_named(row: &DbRow, prefix: &str) -> Result<Credential> {
    let name = |c: &str| format!("{prefix}{c}");
    Ok(Credential {
        id: col_id(row, &name("id"))?,
        user_id: col_id(row, &name("user_id"))?,
        kind: CredentialKind::parse(&col::<String>(row, &name("kind"))?).ok_or_else(|| corrupt("credential kind"))?,
        secret: col(row, &name("secret"))?,
        label: col(row, &name("label"))?,
        used_steps: parse_steps(&col::<String>(row, &name("used_steps"))?),
        created_at: col_ts(row, &name("created_at"))?,
        updated_at: col_ts(row, &name("updated_at"))?,
    })
}

fn challenge_from_row(row: &DbRow) -> Result<Challenge> {
    Ok(Challenge {
        id: col_id(row, "id")?,
        tenant_id: col_id(row, "tenant_id")?,
        user_id: col_id(row, "user_id")?,
        kind: ChallengeKind::parse(&col::<String>(row, "kind")?).ok_or_else(|| corrupt("challenge kind"))?,
        state: col(row, "state")?,
        created_at: col_ts(row, "created_at")?,
        expires_at: col_ts(row, "expires_at")?,
    })
}

fn parse_steps(text: &str) -> Vec<i64> {
    text.split(',').filter_map(|s| s.trim().parse().ok()).collect()
}

fn format_steps(steps: &[i64]) -> String {
    steps.iter().map(i64::to_string).collect::<Vec<_>>().join(",")
}

async fn insert_credential_row(conn: &mut Conn, c: &Credential) -> Result<()> {
    sqlx::query(concat!("INSERT INTO credentials (", credential_cols!(), ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"))
        .bind(c.id.to_string())
        .bind(c.user_id.to_string())
        .bind(c.kind.as_str())
        .bind(&c.secret)
        .bind(&c.label)
        .bind(format_steps(&c.used_steps))
        .bind(ts(c.created_at))
        .bind(ts(c.updated_at))
        .run(&mut *conn)
        .await?;
    Ok(())
}

/// A new credential; a second factor also marks its user as requiring one.
pub(crate) async fn add_credential_rows(conn: &mut Conn, c: &Credential) -> Result<()> {
    insert_credential_row(conn, c).await?;
    if c.kind.is_second_factor() {
        set_twofa(conn, c.user_id, true, c.updated_at).await?;
    }
    Ok(())
}

/// Replaces the user's credentials of `c.kind` with `c` (the password, the TOTP seed).
pub(crate) async fn replace_credential_rows(conn: &mut Conn, c: &Credential) -> Result<()> {
    sqlx::query("DELETE FROM credentials WHERE user_id = $1 AND kind = $2")
        .bind(c.user_id.to_string())
        .bind(c.kind.as_str())
        .run(&mut *conn)
        .await?;
    add_credential_rows(conn, c).await
}

/// `credential.not_found` when the user has no such credential.
pub(crate) async fn delete_credential_row(conn: &mut Conn, user: UserId, id: keyhall_types::CredentialId) -> Result<()> {
    let rows = sqlx::query("DELETE FROM credentials WHERE user_id = $1 AND id = $2")
        .bind(user.to_string())
        .bind(id.to_string())
        .run(&mut *conn)
        .await?;
    if rows == 0 {
        return Err(keyhall_core::DomainError::new(keyhall_core::ErrorCode::CredentialNotFound));
    }
    Ok(())
}

/// `credential.not_found` when the user has none of `kind`.
pub(crate) async fn delete_credentials_rows(
    conn: &mut Conn,
    user: UserId,
    kind: keyhall_core::credentials::CredentialKind,
) -> Result<()> {
    let rows = sqlx::query("DELETE FROM credentials WHERE user_id = $1 AND kind = $2")
        .bind(user.to_string())
        .bind(kind.as_str())
        .run(&mut *conn)
        .await?;
    if rows == 0 {
        return Err(keyhall_core::DomainError::new(keyhall_core::ErrorCode::CredentialNotFound));
    }
    Ok(())
}

/// Second factors switch the user's "2FA required" flag with them.
async fn set_twofa(conn: &mut Conn, user: UserId, on: bool, at: Timestamp) -> Result<()> {
    sqlx::query("UPDATE users SET twofa_required = $2, updated_at = $3 WHERE id = $1")
        .bind(user.to_string())
        .bind(on)
        .bind(ts(at))
        .run(&mut *conn)
        .await?;
    Ok(())
}

#[async_trait::async_trait]
impl ports::CredentialRepo for Store {
    async fn find_user_with_credentials(&self, tenant: TenantId, email: &Email) -> Result<Option<(User, Vec<Credential>)>> {
        // The user's columns as they are, its credentials' prefixed with `c_`: one row per
        // credential (one row with NULLs when it has none).
        let rows = sqlx::query(concat!(
            "SELECT u.*, c.* FROM (SELECT ",
            user_cols!(),
            " FROM users WHERE tenant_id = $1 AND email = $2) u \
             LEFT JOIN (SELECT id AS c_id, user_id AS c_user_id, kind AS c_kind, secret AS c_secret, label AS c_label, \
               used_steps AS c_used_steps, created_at AS c_created_at, updated_at AS c_updated_at FROM credentials) c \
             ON c.c_user_id = u.id ORDER BY c.c_created_at, c.c_id"
        ))
        .bind(tenant.to_string())
        .bind(email.as_str())
        .fetch_all(self.read_pool())
        .await
        .map_err(db)?;
        let Some(first) = rows.first() else { return Ok(None) };
        let user = user_from_row(first)?;
        let mut credentials = Vec::new();
        for r in &rows {
            if col::<Option<String>>(r, "c_id")?.is_some() {
                credentials.push(credential_from_named(r, "c_")?);
            }
        }
        Ok(Some((user, credentials)))
    }

    async fn list_credentials(&self, user: UserId) -> Result<Vec<Credential>> {
        sqlx::query(concat!("SELECT ", credential_cols!(), " FROM credentials WHERE user_id = $1 ORDER BY created_at, id"))
            .bind(user.to_string())
            .all(self.read_pool(), credential_from_row)
            .await
    }

    async fn remove_second_factors(&self, user: UserId, audit: &AuditEvent) -> Result<u64> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query("DELETE FROM credentials WHERE user_id = $1 AND kind IN ('totp', 'webauthn')")
            .bind(user.to_string())
            .run(&mut *tx)
            .await?;
        set_twofa(&mut tx, user, false, audit.at).await?;
        insert_audit(&mut tx, audit).await?;
        tx.commit().await.map_err(db)?;
        Ok(done)
    }

    async fn consume_totp_step(&self, credential: CredentialId, step: i64) -> Result<bool> {
        // Read, then write conditionally on what was read: of concurrent uses of one code, one
        // wins and the others see the step taken when they retry.
        for _ in 0..16 {
            let Some(row) = sqlx::query("SELECT used_steps FROM credentials WHERE id = $1")
                .bind(credential.to_string())
                .fetch_optional(self.write_pool())
                .await
                .map_err(db)?
            else {
                return Ok(false);
            };
            let before: String = col(&row, "used_steps")?;
            let mut steps = parse_steps(&before);
            if steps.contains(&step) {
                return Ok(false);
            }
            // Steps more than two behind cannot verify any more: forget them.
            steps.retain(|s| *s > step - 3);
            steps.push(step);
            let done =
                sqlx::query("UPDATE credentials SET used_steps = $3, last_used_step = $4 WHERE id = $1 AND used_steps = $2")
                    .bind(credential.to_string())
                    .bind(&before)
                    .bind(format_steps(&steps))
                    .bind(steps.iter().copied().max())
                    .run(self.write_pool())
                    .await?;
            if done == 1 {
                return Ok(true);
            }
        }
        Err(DomainError::internal("TOTP step kept changing concurrently"))
    }
}

#[async_trait::async_trait]
impl ports::ChallengeRepo for Store {
    async fn put_challenge(&self, c: &Challenge, audit: Option<&AuditEvent>) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query(concat!(
            "INSERT INTO challenges (",
            challenge_cols!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $7) \
             ON CONFLICT (user_id, kind) DO UPDATE SET id = excluded.id, state = excluded.state, \
             created_at = excluded.created_at, expires_at = excluded.expires_at"
        ))
        .bind(c.id.to_string())
        .bind(c.tenant_id.to_string())
        .bind(c.user_id.to_string())
        .bind(c.kind.as_str())
        .bind(&c.state)
        .bind(ts(c.created_at))
        .bind(ts(c.expires_at))
        .run(&mut *tx)
        .await?;
        if let Some(a) = audit {
            insert_audit(&mut tx, a).await?;
        }
        tx.commit().await.map_err(db)
    }

    async fn take_challenge(&self, user: UserId, kind: ChallengeKind, now: Timestamp) -> Result<Option<Challenge>> {
        let row = sqlx::query(concat!("DELETE FROM challenges WHERE user_id = $1 AND kind = $2 RETURNING ", challenge_cols!()))
            .bind(user.to_string())
            .bind(kind.as_str())
            .fetch_optional(self.write_pool())
            .await
            .map_err(db)?;
        match row.as_ref().map(challenge_from_row).transpose()? {
            Some(c) if c.expires_at > now => Ok(Some(c)),
            _ => Ok(None),
        }
    }
}
