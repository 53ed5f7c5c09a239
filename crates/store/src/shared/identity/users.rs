//! Users: the rows, and the reads of `UserRepo`.

use keyhall_core::audit::AuditEvent;
use keyhall_core::identity::{User, UserFlags, UserStatus};
use keyhall_core::ports;
use keyhall_core::{DomainError, ErrorCode, Result};
use keyhall_types::{Email, TenantId, Timestamp, UserId};

use super::rows::{Conn, Run, col, col_id, col_ts, commit_if_changed, one_row};
use super::{DbRow, Store, ts};
use crate::errors::{corrupt, db};

pub(crate) fn user_from_row(row: &DbRow) -> Result<User> {
    let opt_id = |name| -> Result<Option<UserId>> {
        col::<Option<String>>(row, name)?.map(|t| t.parse().map_err(|_| corrupt(name))).transpose()
    };
    Ok(User {
        id: col_id(row, "id")?,
        uid: col(row, "uid")?,
        tenant_id: col_id(row, "tenant_id")?,
        community_id: col_id(row, "community_id")?,
        email: Email::parse(&col::<String>(row, "email")?).map_err(|_| corrupt("e-mail"))?,
        username: col(row, "username")?,
        referral_id: opt_id("referral_id")?,
        data: col(row, "data")?,
        owner_id: opt_id("owner_id")?,
        contact_name: col(row, "contact_name")?,
        status: UserStatus::parse(&col::<String>(row, "status")?).ok_or_else(|| corrupt("user status"))?,
        role: col(row, "role")?,
        flags: UserFlags {
            is_primary_contact: col(row, "is_primary_contact")?,
            is_technical: col(row, "is_technical")?,
            is_billing: col(row, "is_billing")?,
            notify_weekly_usage: col(row, "notify_weekly_usage")?,
            email_verified: col(row, "email_verified")?,
            twofa_required: col(row, "twofa_required")?,
        },
        created_at: col_ts(row, "created_at")?,
        updated_at: col_ts(row, "updated_at")?,
    })
}

pub(crate) async fn insert_user_row(conn: &mut Conn, u: &User) -> Result<()> {
    sqlx::query(concat!(
        "INSERT INTO users (",
        user_cols!(),
        ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)"
    ))
    .bind(u.id.to_string())
    .bind(u.tenant_id.to_string())
    .bind(u.community_id.to_string())
    .bind(u.email.as_str())
    .bind(&u.contact_name)
    .bind(u.status.as_str())
    .bind(&u.role)
    .bind(u.flags.is_primary_contact)
    .bind(u.flags.is_technical)
    .bind(u.flags.is_billing)
    .bind(u.flags.notify_weekly_usage)
    .bind(u.flags.email_verified)
    .bind(u.flags.twofa_required)
    .bind(ts(u.created_at))
    .bind(ts(u.updated_at))
    .bind(&u.uid)
    .bind(&u.username)
    .bind(u.referral_id.map(|r| r.to_string()))
    .bind(&u.data)
    .bind(u.owner_id.map(|o| o.to_string()))
    .execute(&mut *conn)
    .await
    .map_err(user_unique_violation)?;
    Ok(())
}

/// Which unique constraint a user write broke: the username's or the e-mail's.
fn user_unique_violation(e: sqlx::Error) -> DomainError {
    match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => {
            let on_username = d.constraint().is_some_and(|c| c.contains("username")) || d.message().contains("username");
            DomainError::new(if on_username { ErrorCode::UsernameTaken } else { ErrorCode::EmailTaken })
        }
        _ => db(e),
    }
}

/// Holds the tenant's row until the transaction ends (a row lock on PostgreSQL; SQLite has one
/// writer anyway), so that concurrent claims run one after the other, then checks that the
/// tenant has no user yet: of concurrent first sign-ups, one is the first.
pub(crate) async fn claim_first_user(conn: &mut Conn, tenant: TenantId) -> Result<()> {
    sqlx::query("UPDATE tenants SET updated_at = updated_at WHERE id = $1").bind(tenant.to_string()).run(&mut *conn).await?;
    let users: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE tenant_id = $1")
        .bind(tenant.to_string())
        .fetch_one(&mut *conn)
        .await
        .map_err(crate::errors::db)?;
    if users == 0 { Ok(()) } else { Err(DomainError::new(ErrorCode::FirstUserTaken)) }
}

/// Writes every field of the user; `user.not_found` when it is gone.
pub(crate) async fn update_user_row(conn: &mut Conn, u: &User) -> Result<()> {
    let done = sqlx::query(
        "UPDATE users SET email = $3, contact_name = $4, status = $5, role = $6, is_primary_contact = $7, is_technical = $8, \
         is_billing = $9, notify_weekly_usage = $10, email_verified = $11, twofa_required = $12, updated_at = $13, \
         username = $14, data = $15 WHERE tenant_id = $1 AND id = $2",
    )
    .bind(u.tenant_id.to_string())
    .bind(u.id.to_string())
    .bind(u.email.as_str())
    .bind(&u.contact_name)
    .bind(u.status.as_str())
    .bind(&u.role)
    .bind(u.flags.is_primary_contact)
    .bind(u.flags.is_technical)
    .bind(u.flags.is_billing)
    .bind(u.flags.notify_weekly_usage)
    .bind(u.flags.email_verified)
    .bind(u.flags.twofa_required)
    .bind(ts(u.updated_at))
    .bind(&u.username)
    .bind(&u.data)
    .execute(&mut *conn)
    .await
    .map_err(user_unique_violation)?
    .rows_affected();
    one_row(done, ErrorCode::UserNotFound)
}

#[async_trait::async_trait]
impl ports::UserRepo for Store {
    async fn get_user(&self, tenant: TenantId, id: UserId) -> Result<Option<User>> {
        sqlx::query(concat!("SELECT ", user_cols!(), " FROM users WHERE tenant_id = $1 AND id = $2"))
            .bind(tenant.to_string())
            .bind(id.to_string())
            .optional(self.read_pool(), user_from_row)
            .await
    }

    async fn find_user_by_email(&self, tenant: TenantId, email: &Email) -> Result<Option<User>> {
        sqlx::query(concat!("SELECT ", user_cols!(), " FROM users WHERE tenant_id = $1 AND email = $2"))
            .bind(tenant.to_string())
            .bind(email.as_str())
            .optional(self.read_pool(), user_from_row)
            .await
    }

    async fn find_user_by_uid(&self, tenant: TenantId, uid: &str) -> Result<Option<User>> {
        sqlx::query(concat!("SELECT ", user_cols!(), " FROM users WHERE tenant_id = $1 AND uid = $2"))
            .bind(tenant.to_string())
            .bind(uid)
            .optional(self.read_pool(), user_from_row)
            .await
    }

    async fn list_service_accounts(&self, owner: UserId) -> Result<Vec<User>> {
        sqlx::query(concat!("SELECT ", user_cols!(), " FROM users WHERE owner_id = $1 ORDER BY created_at, id"))
            .bind(owner.to_string())
            .all(self.read_pool(), user_from_row)
            .await
    }

    async fn primary_contact(&self, tenant: TenantId) -> Result<Option<User>> {
        sqlx::query(concat!(
            "SELECT ",
            user_cols!(),
            " FROM users WHERE tenant_id = $1 AND is_primary_contact ORDER BY created_at, id LIMIT 1"
        ))
        .bind(tenant.to_string())
        .optional(self.read_pool(), user_from_row)
        .await
    }

    async fn primary_contact_by_email(&self, email: &Email) -> Result<Option<User>> {
        sqlx::query(concat!(
            "SELECT ",
            user_cols!(),
            " FROM users WHERE email = $1 AND is_primary_contact ORDER BY created_at, id LIMIT 1"
        ))
        .bind(email.as_str())
        .optional(self.read_pool(), user_from_row)
        .await
    }

    async fn count_users(&self, tenant: TenantId) -> Result<i64> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM users WHERE tenant_id = $1")
            .bind(tenant.to_string())
            .fetch_one(self.write_pool())
            .await
            .map_err(db)?;
        col(&row, "n")
    }

    async fn list_users(&self, tenant: TenantId) -> Result<Vec<User>> {
        sqlx::query(concat!("SELECT ", user_cols!(), " FROM users WHERE tenant_id = $1 ORDER BY created_at, id"))
            .bind(tenant.to_string())
            .all(self.read_pool(), user_from_row)
            .await
    }

    async fn delete_user(&self, tenant: TenantId, id: UserId, at: Timestamp, audit: &AuditEvent) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "UPDATE api_tokens SET revoked_at = $3, updated_at = $3 WHERE tenant_id = $1 AND user_id = $2 AND revoked_at IS NULL",
        )
        .bind(tenant.to_string())
        .bind(id.to_string())
        .bind(ts(at))
        .run(&mut *tx)
        .await?;
        let done = sqlx::query("DELETE FROM users WHERE tenant_id = $1 AND id = $2")
            .bind(tenant.to_string())
            .bind(id.to_string())
            .run(&mut *tx)
            .await?;
        commit_if_changed(tx, done, audit).await
    }
}
