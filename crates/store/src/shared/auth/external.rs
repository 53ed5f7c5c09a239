//! Identities of other providers, linked to users.

use keyhall_core::Result;
use keyhall_core::ports;
use keyhall_types::{TenantId, Timestamp, UserId};

use super::rows::{Conn, Run, col_id};
use super::{Store, ts};

pub(crate) async fn link_external_identity_row(
    conn: &mut Conn,
    tenant: TenantId,
    issuer: &str,
    subject: &str,
    user: UserId,
    at: Timestamp,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO external_identities (tenant_id, issuer, subject, user_id, created_at) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (tenant_id, issuer, subject) DO NOTHING",
    )
    .bind(tenant.to_string())
    .bind(issuer)
    .bind(subject)
    .bind(user.to_string())
    .bind(ts(at))
    .run(&mut *conn)
    .await?;
    Ok(())
}

#[async_trait::async_trait]
impl ports::ExternalIdentityRepo for Store {
    async fn find_external_identity(&self, tenant: TenantId, issuer: &str, subject: &str) -> Result<Option<UserId>> {
        sqlx::query("SELECT user_id FROM external_identities WHERE tenant_id = $1 AND issuer = $2 AND subject = $3")
            .bind(tenant.to_string())
            .bind(issuer)
            .bind(subject)
            .optional(self.read_pool(), |row| col_id(row, "user_id"))
            .await
    }
}
