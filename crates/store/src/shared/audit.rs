// AuditRepo.

#[async_trait::async_trait]
impl keyhall_core::ports::AuditRepo for Store {
    async fn append_audit(&self, event: &AuditEvent) -> Result<()> {
        let mut tx = self.begin_write().await?;
        insert_audit(&mut tx, event).await?;
        tx.commit().await.map_err(db)
    }

    async fn list_audit(&self, q: &AuditQuery) -> Result<Vec<AuditEvent>> {
        // Unset filters are bound as NULL and switch their condition off.
        sqlx::query(
            "SELECT id, tenant_id, actor_kind, actor_id, action, target_kind, target_id, ip, user_agent, details, created_at \
             FROM audit_log \
             WHERE ($1 IS NULL OR tenant_id = $1) AND ($2 IS NULL OR actor_id = $2) AND ($3 IS NULL OR target_id = $3) \
               AND ($4 IS NULL OR action LIKE $4 ESCAPE '\\') \
             ORDER BY created_at DESC, id DESC LIMIT $5 OFFSET $6",
        )
        .bind(q.tenant_id.map(|t| t.to_string()))
        .bind(&q.actor_id)
        .bind(&q.target_id)
        .bind(q.action_prefix.as_ref().map(|p| format!("{}%", p.replace('%', "").replace('_', "\\_"))))
        .bind(i64::from(if q.limit == 0 { 100 } else { q.limit }))
        .bind(i64::from(q.offset))
        .fetch_all(self.read_pool())
        .await
        .map_err(db)?
        .iter()
        .map(audit_from_row)
        .collect()
    }
}
