// ProfileRepo, PhoneRepo and DocumentRepo: what users submit for KYC.

use keyhall_core::identity::phones::Phone;
use keyhall_core::identity::profiles::{Profile, ProfileDetails, ProfileState};

/// The details' columns, in the order `bind_details` binds them.
const DETAIL_COLS: &str = "first_name, last_name, dob, address, postcode, city, country, metadata";
const PHONE_COLS: &str =
    "id, tenant_id, user_id, country, number_sealed, number_digest, code_sealed, validated_at, created_at, updated_at";

/// A calendar date, kept as `YYYY-MM-DD` text on both stores.
fn col_date(row: &DbRow, name: &str) -> Result<Option<time::Date>> {
    match col::<Option<String>>(row, name)? {
        Some(text) => keyhall_types::parse_iso_date(&text).map(Some).ok_or_else(|| crate::errors::corrupt(name)),
        None => Ok(None),
    }
}

fn profile_from_row(row: &DbRow) -> Result<Profile> {
    Ok(Profile {
        id: col_id(row, "id")?,
        user_id: col_id(row, "user_id")?,
        details: ProfileDetails {
            first_name: col(row, "first_name")?,
            last_name: col(row, "last_name")?,
            dob: col_date(row, "dob")?,
            address: col(row, "address")?,
            postcode: col(row, "postcode")?,
            city: col(row, "city")?,
            country: col(row, "country")?,
            metadata: col(row, "metadata")?,
        },
        state: ProfileState::parse(&col::<String>(row, "state")?).ok_or_else(|| crate::errors::corrupt("profile state"))?,
        created_at: col_ts(row, "created_at")?,
        updated_at: col_ts(row, "updated_at")?,
    })
}

/// Binds the eight detail columns (`DETAIL_COLS`) as the next parameters.
fn bind_details<'q>(
    q: sqlx::query::Query<'q, Db, <Db as sqlx::Database>::Arguments>,
    d: &'q ProfileDetails,
) -> sqlx::query::Query<'q, Db, <Db as sqlx::Database>::Arguments> {
    q.bind(&d.first_name)
        .bind(&d.last_name)
        .bind(d.dob.map(keyhall_types::iso_date))
        .bind(&d.address)
        .bind(&d.postcode)
        .bind(&d.city)
        .bind(&d.country)
        .bind(&d.metadata)
}

fn phone_from_row(row: &DbRow) -> Result<Phone> {
    Ok(Phone {
        id: col_id(row, "id")?,
        tenant_id: col_id(row, "tenant_id")?,
        user_id: col_id(row, "user_id")?,
        country: col(row, "country")?,
        number_sealed: col(row, "number_sealed")?,
        number_digest: col(row, "number_digest")?,
        code_sealed: col(row, "code_sealed")?,
        validated_at: col_ts_opt(row, "validated_at")?,
        created_at: col_ts(row, "created_at")?,
        updated_at: col_ts(row, "updated_at")?,
    })
}

#[async_trait::async_trait]
impl keyhall_core::ports::ProfileRepo for Store {
    async fn list_profiles(&self, user: UserId) -> Result<Vec<Profile>> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT id, user_id, {DETAIL_COLS}, state, created_at, updated_at FROM profiles WHERE user_id = $1 ORDER BY created_at, id"
        )))
            .bind(user.to_string())
            .fetch_all(self.read_pool())
            .await
            .map_err(db)?
            .iter()
            .map(profile_from_row)
            .collect()
    }

    async fn insert_profile(&self, p: &Profile, label: &Label, audit: &AuditEvent) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let insert = sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO profiles (id, user_id, {DETAIL_COLS}, state, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
        )))
        .bind(p.id.to_string())
        .bind(p.user_id.to_string());
        bind_details(insert, &p.details)
            .bind(p.state.as_str())
            .bind(ts(p.created_at))
            .bind(ts(p.updated_at))
            .execute(&mut *tx)
            .await
            .map_err(crate::errors::unique_or(ErrorCode::ProfileOpenExists))?;
        insert_label_row(&mut tx, label, true).await?;
        insert_audit(&mut tx, audit).await?;
        tx.commit().await.map_err(db)
    }

    async fn update_drafted_profile(&self, p: &Profile, label: &Label, audit: &AuditEvent) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let update = sqlx::query(
            "UPDATE profiles SET first_name = $1, last_name = $2, dob = $3, address = $4, postcode = $5, city = $6, \
             country = $7, metadata = $8, state = $9, updated_at = $10 WHERE id = $11 AND state = 'drafted'",
        );
        let done = bind_details(update, &p.details)
            .bind(p.state.as_str())
            .bind(ts(p.updated_at))
            .bind(p.id.to_string())
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        if done.rows_affected() > 0 {
            insert_label_row(&mut tx, label, true).await?;
        }
        commit_if_changed(tx, done.rows_affected(), audit).await
    }
}

#[async_trait::async_trait]
impl keyhall_core::ports::PhoneRepo for Store {
    async fn list_phones(&self, user: UserId) -> Result<Vec<Phone>> {
        sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {PHONE_COLS} FROM phones WHERE user_id = $1 ORDER BY created_at, id")))
            .bind(user.to_string())
            .fetch_all(self.read_pool())
            .await
            .map_err(db)?
            .iter()
            .map(phone_from_row)
            .collect()
    }

    async fn find_user_phone(&self, user: UserId, digest: &str) -> Result<Option<Phone>> {
        sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {PHONE_COLS} FROM phones WHERE user_id = $1 AND number_digest = $2")))
            .bind(user.to_string())
            .bind(digest)
            .fetch_optional(self.read_pool())
            .await
            .map_err(db)?
            .as_ref()
            .map(phone_from_row)
            .transpose()
    }

    async fn phone_verified_in(&self, tenant: TenantId, digest: &str) -> Result<bool> {
        let found = sqlx::query(
            "SELECT id FROM phones WHERE tenant_id = $1 AND number_digest = $2 AND validated_at IS NOT NULL",
        )
        .bind(tenant.to_string())
        .bind(digest)
        .fetch_optional(self.read_pool())
        .await
        .map_err(db)?;
        Ok(found.is_some())
    }

    async fn insert_phone(&self, p: &Phone, audit: &AuditEvent) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO phones ({PHONE_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
        )))
        .bind(p.id.to_string())
        .bind(p.tenant_id.to_string())
        .bind(p.user_id.to_string())
        .bind(&p.country)
        .bind(&p.number_sealed)
        .bind(&p.number_digest)
        .bind(&p.code_sealed)
        .bind(p.validated_at.map(ts))
        .bind(ts(p.created_at))
        .bind(ts(p.updated_at))
        .execute(&mut *tx)
        .await
        .map_err(crate::errors::unique_or(ErrorCode::PhoneExists))?;
        insert_audit(&mut tx, audit).await?;
        tx.commit().await.map_err(db)
    }

    async fn mark_phone_verified(&self, p: &Phone, label: &Label, audit: &AuditEvent) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query("UPDATE phones SET validated_at = $1, updated_at = $2 WHERE id = $3 AND validated_at IS NULL")
            .bind(p.validated_at.map(ts))
            .bind(ts(p.updated_at))
            .bind(p.id.to_string())
            .execute(&mut *tx)
            .await
            .map_err(crate::errors::unique_or(ErrorCode::PhoneVerifiedElsewhere))?;
        if done.rows_affected() > 0 {
            // A `phone` label the user already holds (e.g. set by an administrator) stays.
            sqlx::query(
                "INSERT INTO labels (id, user_id, key, value, scope, description, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (user_id, key, scope) DO NOTHING",
            )
            .bind(label.id.to_string())
            .bind(label.user_id.to_string())
            .bind(&label.key)
            .bind(&label.value)
            .bind(label.scope.as_str())
            .bind(&label.description)
            .bind(ts(label.created_at))
            .bind(ts(label.updated_at))
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        }
        commit_if_changed(tx, done.rows_affected(), audit).await
    }
}

const DOCUMENT_COLS: &str = "id, user_id, doc_type, doc_number, doc_expire, doc_category, identificator, metadata, \
                             file_name, file_size, created_at, updated_at";

fn document_from_row(row: &DbRow) -> Result<keyhall_core::identity::documents::Document> {
    Ok(keyhall_core::identity::documents::Document {
        id: col_id(row, "id")?,
        user_id: col_id(row, "user_id")?,
        doc_type: col(row, "doc_type")?,
        doc_number: col(row, "doc_number")?,
        doc_expire: col_date(row, "doc_expire")?,
        doc_category: col(row, "doc_category")?,
        identificator: col(row, "identificator")?,
        metadata: col(row, "metadata")?,
        file_name: col(row, "file_name")?,
        file_size: col(row, "file_size")?,
        created_at: col_ts(row, "created_at")?,
        updated_at: col_ts(row, "updated_at")?,
    })
}

#[async_trait::async_trait]
impl keyhall_core::ports::DocumentRepo for Store {
    async fn list_documents(&self, user: UserId) -> Result<Vec<keyhall_core::identity::documents::Document>> {
        sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {DOCUMENT_COLS} FROM documents WHERE user_id = $1 ORDER BY created_at, id")))
            .bind(user.to_string())
            .fetch_all(self.read_pool())
            .await
            .map_err(db)?
            .iter()
            .map(document_from_row)
            .collect()
    }

    async fn document_file(&self, id: keyhall_types::DocumentId) -> Result<Option<(keyhall_core::identity::documents::Document, Vec<u8>)>> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {DOCUMENT_COLS}, content FROM documents WHERE id = $1")))
            .bind(id.to_string())
            .fetch_optional(self.read_pool())
            .await
            .map_err(db)?;
        match row {
            Some(r) => Ok(Some((document_from_row(&r)?, col(&r, "content")?))),
            None => Ok(None),
        }
    }

    async fn insert_documents(
        &self,
        docs: &[keyhall_core::identity::documents::Document],
        contents: &[Vec<u8>],
        limit: i64,
        label: &Label,
        audit: &AuditEvent,
    ) -> Result<()> {
        let Some(first) = docs.first() else { return Ok(()) };
        let mut tx = self.begin_write().await?;
        // Touching the user's row makes concurrent uploads of one user wait for each other
        // (a row lock on PostgreSQL; SQLite has one writer anyway), so the count holds.
        sqlx::query("UPDATE users SET updated_at = updated_at WHERE id = $1")
            .bind(first.user_id.to_string())
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        let held: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM documents WHERE user_id = $1")
            .bind(first.user_id.to_string())
            .fetch_one(&mut *tx)
            .await
            .map_err(db)?;
        if held > limit {
            return Err(DomainError::new(ErrorCode::DocumentLimitReached));
        }
        if held + docs.len() as i64 > limit {
            return Err(DomainError::new(ErrorCode::DocumentLimitWillBeReached));
        }
        for (d, content) in docs.iter().zip(contents) {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "INSERT INTO documents ({DOCUMENT_COLS}, content) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
            )))
            .bind(d.id.to_string())
            .bind(d.user_id.to_string())
            .bind(&d.doc_type)
            .bind(&d.doc_number)
            .bind(d.doc_expire.map(keyhall_types::iso_date))
            .bind(&d.doc_category)
            .bind(&d.identificator)
            .bind(&d.metadata)
            .bind(&d.file_name)
            .bind(d.file_size)
            .bind(ts(d.created_at))
            .bind(ts(d.updated_at))
            .bind(content.as_slice())
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        }
        insert_label_row(&mut tx, label, true).await?;
        insert_audit(&mut tx, audit).await?;
        tx.commit().await.map_err(db)
    }
}
