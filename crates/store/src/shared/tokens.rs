// TokenRepo.

#[async_trait::async_trait]
impl keyhall_core::ports::TokenRepo for Store {
    async fn insert_token(&self, token: &ApiToken, digest: &str, audit: &AuditEvent) -> Result<()> {
        let mut tx = self.begin_write().await?;
        insert_token_row(&mut tx, token, digest).await?;
        insert_audit(&mut tx, audit).await?;
        tx.commit().await.map_err(db)
    }

    async fn find_token(&self, digest: &str) -> Result<Option<TokenRecord>> {
        let row = sqlx::query(
            "SELECT t.id, t.tenant_id, t.user_id, t.visible_prefix, t.permissions, t.created_at, t.updated_at, \
                    t.revoked_at, t.last_used_at, n.status AS tenant_status \
             FROM api_tokens t JOIN tenants n ON n.id = t.tenant_id WHERE t.digest = $1",
        )
        .bind(digest)
        .fetch_optional(self.read_pool())
        .await
        .map_err(db)?;
        match row {
            None => Ok(None),
            Some(row) => Ok(Some(TokenRecord {
                token: token_from_row(&row)?,
                tenant_active: col::<String>(&row, "tenant_status")? == TenantStatus::Active.as_str(),
            })),
        }
    }

    async fn list_tokens(&self, tenant: TenantId) -> Result<Vec<ApiToken>> {
        sqlx::query(concat!("SELECT ", token_cols!(), " FROM api_tokens WHERE tenant_id = $1 ORDER BY created_at, id"))
            .bind(tenant.to_string())
            .fetch_all(self.read_pool())
            .await
            .map_err(db)?
            .iter()
            .map(token_from_row)
            .collect()
    }

    async fn revoke_token(&self, tenant: TenantId, id: keyhall_types::TokenId, at: Timestamp, audit: &AuditEvent) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query("UPDATE api_tokens SET revoked_at = $3, updated_at = $3 WHERE tenant_id = $1 AND id = $2 AND revoked_at IS NULL")
            .bind(tenant.to_string())
            .bind(id.to_string())
            .bind(ts(at))
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        commit_if_changed(tx, done.rows_affected(), audit).await
    }

    async fn touch_tokens(&self, uses: &[(keyhall_types::TokenId, Timestamp)]) -> Result<()> {
        let mut tx = self.begin_write().await?;
        for (id, at) in uses {
            sqlx::query("UPDATE api_tokens SET last_used_at = $2 WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < $2)")
                .bind(id.to_string())
                .bind(ts(*at))
                .execute(&mut *tx)
                .await
                .map_err(db)?;
        }
        tx.commit().await.map_err(db)
    }
}
