// UserRepo.

async fn update_user_row(conn: &mut <Db as sqlx::Database>::Connection, u: &User) -> Result<bool> {
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
    .map_err(user_unique_violation)?;
    Ok(done.rows_affected() == 1)
}

#[async_trait::async_trait]
impl keyhall_core::ports::UserRepo for Store {
    async fn insert_user(&self, user: &User, password: Option<&Credential>, audit: &AuditEvent) -> Result<()> {
        let mut tx = self.begin_write().await?;
        insert_user_row(&mut tx, user).await?;
        if let Some(p) = password {
            insert_credential_row(&mut tx, p).await?;
        }
        insert_audit(&mut tx, audit).await?;
        tx.commit().await.map_err(db)
    }

    async fn get_user(&self, tenant: TenantId, id: UserId) -> Result<Option<User>> {
        sqlx::query(concat!("SELECT ", user_cols!(), " FROM users WHERE tenant_id = $1 AND id = $2"))
            .bind(tenant.to_string())
            .bind(id.to_string())
            .fetch_optional(self.read_pool())
            .await
            .map_err(db)?
            .as_ref()
            .map(user_from_row)
            .transpose()
    }

    async fn find_user_by_email(&self, tenant: TenantId, email: &Email) -> Result<Option<User>> {
        sqlx::query(concat!("SELECT ", user_cols!(), " FROM users WHERE tenant_id = $1 AND email = $2"))
            .bind(tenant.to_string())
            .bind(email.as_str())
            .fetch_optional(self.read_pool())
            .await
            .map_err(db)?
            .as_ref()
            .map(user_from_row)
            .transpose()
    }

    async fn find_user_by_uid(&self, tenant: TenantId, uid: &str) -> Result<Option<User>> {
        sqlx::query(concat!("SELECT ", user_cols!(), " FROM users WHERE tenant_id = $1 AND uid = $2"))
            .bind(tenant.to_string())
            .bind(uid)
            .fetch_optional(self.read_pool())
            .await
            .map_err(db)?
            .as_ref()
            .map(user_from_row)
            .transpose()
    }

    async fn list_service_accounts(&self, owner: UserId) -> Result<Vec<User>> {
        sqlx::query(concat!("SELECT ", user_cols!(), " FROM users WHERE owner_id = $1 ORDER BY created_at, id"))
            .bind(owner.to_string())
            .fetch_all(self.read_pool())
            .await
            .map_err(db)?
            .iter()
            .map(user_from_row)
            .collect()
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
            .fetch_all(self.read_pool())
            .await
            .map_err(db)?
            .iter()
            .map(user_from_row)
            .collect()
    }

    async fn update_user(&self, user: &User, new_password: Option<&Credential>, audit: &AuditEvent) -> Result<()> {
        let mut tx = self.begin_write().await?;
        if !update_user_row(&mut tx, user).await? {
            return Err(DomainError::new(ErrorCode::UserNotFound));
        }
        if let Some(p) = new_password {
            sqlx::query("DELETE FROM credentials WHERE user_id = $1 AND kind = 'password'")
                .bind(user.id.to_string())
                .execute(&mut *tx)
                .await
                .map_err(db)?;
            insert_credential_row(&mut tx, p).await?;
        }
        insert_audit(&mut tx, audit).await?;
        tx.commit().await.map_err(db)
    }

    async fn update_account(&self, user: &User, tenant: &Tenant, audit: &AuditEvent) -> Result<()> {
        let mut tx = self.begin_write().await?;
        if !update_user_row(&mut tx, user).await? {
            return Err(DomainError::new(ErrorCode::UserNotFound));
        }
        let p = &tenant.profile;
        sqlx::query(
            "UPDATE tenants SET name = $2, phone = $3, address_street = $4, address_city = $5, address_postcode = $6, \
             address_country = $7, updated_at = $8 WHERE id = $1",
        )
        .bind(tenant.id.to_string())
        .bind(&tenant.name)
        .bind(&p.phone)
        .bind(&p.address_street)
        .bind(&p.address_city)
        .bind(&p.address_postcode)
        .bind(&p.address_country)
        .bind(ts(tenant.updated_at))
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        insert_audit(&mut tx, audit).await?;
        tx.commit().await.map_err(db)
    }

    async fn delete_user(&self, tenant: TenantId, id: UserId, at: Timestamp, audit: &AuditEvent) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        sqlx::query("UPDATE api_tokens SET revoked_at = $3, updated_at = $3 WHERE tenant_id = $1 AND user_id = $2 AND revoked_at IS NULL")
            .bind(tenant.to_string())
            .bind(id.to_string())
            .bind(ts(at))
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        let done = sqlx::query("DELETE FROM users WHERE tenant_id = $1 AND id = $2")
            .bind(tenant.to_string())
            .bind(id.to_string())
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        commit_if_changed(tx, done.rows_affected(), audit).await
    }
}
