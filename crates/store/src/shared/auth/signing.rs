//! Token-signing keys, sealed by the core.

use keyhall_core::Result;
use keyhall_core::ports::{self, StoredSigningKey};

use super::rows::{Run, col, col_ts};
use super::{Store, ts};
use crate::errors::db;

#[async_trait::async_trait]
impl ports::SigningKeyRepo for Store {
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
            .run(self.write_pool())
            .await?;
        Ok(())
    }
}
