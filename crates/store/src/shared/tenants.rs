// TenantRepo.

async fn insert_user_row(conn: &mut <Db as sqlx::Database>::Connection, u: &User) -> Result<()> {
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
fn user_unique_violation(e: sqlx::Error) -> keyhall_core::DomainError {
    match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => {
            let on_username = d.constraint().is_some_and(|c| c.contains("username")) || d.message().contains("username");
            keyhall_core::DomainError::new(if on_username { ErrorCode::UsernameTaken } else { ErrorCode::EmailTaken })
        }
        _ => db(e),
    }
}

async fn insert_credential_row(conn: &mut <Db as sqlx::Database>::Connection, c: &Credential) -> Result<()> {
    sqlx::query(concat!("INSERT INTO credentials (", credential_cols!(), ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"))
        .bind(c.id.to_string())
        .bind(c.user_id.to_string())
        .bind(c.kind.as_str())
        .bind(&c.secret)
        .bind(&c.label)
        .bind(format_steps(&c.used_steps))
        .bind(ts(c.created_at))
        .bind(ts(c.updated_at))
        .execute(&mut *conn)
        .await
        .map_err(db)?;
    Ok(())
}

async fn insert_token_row(conn: &mut <Db as sqlx::Database>::Connection, t: &ApiToken, digest: &str) -> Result<()> {
    sqlx::query(
        "INSERT INTO api_tokens (id, tenant_id, user_id, digest, visible_prefix, permissions, created_at, updated_at, revoked_at, last_used_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(t.id.to_string())
    .bind(t.tenant_id.to_string())
    .bind(t.user_id.to_string())
    .bind(digest)
    .bind(&t.visible_prefix)
    .bind(serde_json::to_string(&t.permissions).unwrap_or_else(|_| "[]".into()))
    .bind(ts(t.created_at))
    .bind(ts(t.updated_at))
    .bind(t.revoked_at.map(ts))
    .bind(t.last_used_at.map(ts))
    .execute(&mut *conn)
    .await
    .map_err(db)?;
    Ok(())
}

async fn insert_tenant_rows(conn: &mut <Db as sqlx::Database>::Connection, t: &Tenant, c: &Community) -> Result<()> {
        sqlx::query(concat!("INSERT INTO tenants (", tenant_cols!(), ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"))
            .bind(t.id.to_string())
            .bind(&t.name)
            .bind(t.status.as_str())
            .bind(&t.profile.phone)
            .bind(&t.profile.address_street)
            .bind(&t.profile.address_city)
            .bind(&t.profile.address_postcode)
            .bind(&t.profile.address_country)
            .bind(ts(t.created_at))
            .bind(ts(t.updated_at))
            .execute(&mut *conn)
            .await
            .map_err(db)?;
        sqlx::query("INSERT INTO communities (id, tenant_id, name, is_default, created_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(c.id.to_string())
            .bind(c.tenant_id.to_string())
            .bind(&c.name)
            .bind(c.is_default)
            .bind(ts(c.created_at))
            .execute(&mut *conn)
            .await
            .map_err(db)?;
        Ok(())
}

#[async_trait::async_trait]
impl keyhall_core::ports::TenantRepo for Store {
    async fn create_tenant(&self, b: &keyhall_core::ports::NewTenantBundle) -> Result<()> {
        let mut tx = self.begin_write().await?;
        insert_tenant_rows(&mut tx, &b.tenant, &b.community).await?;
        insert_user_row(&mut tx, &b.owner).await?;
        insert_credential_row(&mut tx, &b.owner_password).await?;
        insert_token_row(&mut tx, &b.token, &b.token_digest).await?;
        for e in &b.audit {
            insert_audit(&mut tx, e).await?;
        }
        tx.commit().await.map_err(db)
    }

    async fn create_empty_tenant(&self, tenant: &Tenant, community: &Community, audit: &AuditEvent) -> Result<()> {
        let mut tx = self.begin_write().await?;
        insert_tenant_rows(&mut tx, tenant, community).await?;
        insert_audit(&mut tx, audit).await?;
        tx.commit().await.map_err(db)
    }

    async fn get_tenant(&self, id: TenantId) -> Result<Option<Tenant>> {
        sqlx::query(concat!("SELECT ", tenant_cols!(), " FROM tenants WHERE id = $1"))
            .bind(id.to_string())
            .fetch_optional(self.read_pool())
            .await
            .map_err(db)?
            .as_ref()
            .map(tenant_from_row)
            .transpose()
    }

    async fn any_user(&self) -> Result<bool> {
        let row = sqlx::query("SELECT EXISTS (SELECT 1 FROM users) AS found").fetch_one(self.read_pool()).await.map_err(db)?;
        col(&row, "found")
    }

    async fn default_community(&self, tenant: TenantId) -> Result<Option<Community>> {
        sqlx::query("SELECT id, tenant_id, name, is_default, created_at FROM communities WHERE tenant_id = $1 AND is_default")
            .bind(tenant.to_string())
            .fetch_optional(self.read_pool())
            .await
            .map_err(db)?
            .as_ref()
            .map(community_from_row)
            .transpose()
    }

    async fn close_tenant(&self, id: TenantId, at: Timestamp, audit: &AuditEvent) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query("UPDATE tenants SET status = 'closed', updated_at = $2 WHERE id = $1")
            .bind(id.to_string())
            .bind(ts(at))
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        sqlx::query("UPDATE api_tokens SET revoked_at = $2, updated_at = $2 WHERE tenant_id = $1 AND revoked_at IS NULL")
            .bind(id.to_string())
            .bind(ts(at))
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        sqlx::query("DELETE FROM sessions WHERE tenant_id = $1").bind(id.to_string()).execute(&mut *tx).await.map_err(db)?;
        insert_audit(&mut tx, audit).await?;
        tx.commit().await.map_err(db)
    }

    async fn delete_tenant(&self, id: TenantId, audit: &AuditEvent) -> Result<()> {
        let mut tx = self.begin_write().await?;
        // Users reference communities and tenants; the cascades remove everything else.
        sqlx::query("DELETE FROM tenants WHERE id = $1").bind(id.to_string()).execute(&mut *tx).await.map_err(db)?;
        insert_audit(&mut tx, audit).await?;
        tx.commit().await.map_err(db)
    }

    async fn count_active_services(&self, id: TenantId) -> Result<i64> {
        let row = sqlx::query(
            "SELECT (SELECT COUNT(*) FROM licenses WHERE tenant_id = $1 AND NOT is_archived) + \
                    (SELECT COUNT(*) FROM hosted_instances WHERE tenant_id = $1 AND state <> 'deleted') AS n",
        )
        .bind(id.to_string())
        .fetch_one(self.write_pool())
        .await
        .map_err(db)?;
        col(&row, "n")
    }
}
