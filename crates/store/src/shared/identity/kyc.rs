//! What users submit for KYC: profiles, phones and documents.

use keyhall_core::identity::documents::Document;
use keyhall_core::identity::phones::Phone;
use keyhall_core::identity::profiles::{Profile, ProfileDetails, ProfileState};
use keyhall_core::ports;
use keyhall_core::{DomainError, ErrorCode, Result};
use keyhall_types::{TenantId, UserId};

use super::rows::{Conn, DbQuery, Run, col, col_date, col_id, col_ts, col_ts_opt, one_row};
use super::{DbRow, Store, ts};
use crate::errors::{corrupt, db, unique_or};

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
        state: ProfileState::parse(&col::<String>(row, "state")?).ok_or_else(|| corrupt("profile state"))?,
        created_at: col_ts(row, "created_at")?,
        updated_at: col_ts(row, "updated_at")?,
    })
}

/// Binds the eight detail columns (third to tenth of `profile_cols!`) as the next parameters.
fn bind_details<'q>(q: DbQuery<'q>, d: &'q ProfileDetails) -> DbQuery<'q> {
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

fn document_from_row(row: &DbRow) -> Result<Document> {
    Ok(Document {
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

/// A second open (drafted or submitted) profile of one user is `profile.open_exists`.
pub(crate) async fn insert_profile_row(conn: &mut Conn, p: &Profile) -> Result<()> {
    let insert = sqlx::query(concat!(
        "INSERT INTO profiles (",
        profile_cols!(),
        ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
    ))
    .bind(p.id.to_string())
    .bind(p.user_id.to_string());
    bind_details(insert, &p.details)
        .bind(p.state.as_str())
        .bind(ts(p.created_at))
        .bind(ts(p.updated_at))
        .execute(&mut *conn)
        .await
        .map_err(unique_or(ErrorCode::ProfileOpenExists))?;
    Ok(())
}

/// `profile.not_editable` unless the stored profile is still drafted.
pub(crate) async fn update_drafted_profile_row(conn: &mut Conn, p: &Profile) -> Result<()> {
    let update = sqlx::query(
        "UPDATE profiles SET first_name = $1, last_name = $2, dob = $3, address = $4, postcode = $5, city = $6, \
         country = $7, metadata = $8, state = $9, updated_at = $10 WHERE id = $11 AND state = 'drafted'",
    );
    let done = bind_details(update, &p.details)
        .bind(p.state.as_str())
        .bind(ts(p.updated_at))
        .bind(p.id.to_string())
        .run(&mut *conn)
        .await?;
    one_row(done, ErrorCode::ProfileNotEditable)
}

/// The same number twice for one user is `phone.exists`.
pub(crate) async fn insert_phone_row(conn: &mut Conn, p: &Phone) -> Result<()> {
    sqlx::query(concat!("INSERT INTO phones (", phone_cols!(), ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"))
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
        .execute(&mut *conn)
        .await
        .map_err(unique_or(ErrorCode::PhoneExists))?;
    Ok(())
}

/// A new code for a phone not verified yet; `phone.not_found` when it is verified or gone.
pub(crate) async fn replace_phone_code_row(conn: &mut Conn, p: &Phone) -> Result<()> {
    let done = sqlx::query("UPDATE phones SET code_sealed = $1, updated_at = $2 WHERE id = $3 AND validated_at IS NULL")
        .bind(&p.code_sealed)
        .bind(ts(p.updated_at))
        .bind(p.id.to_string())
        .run(&mut *conn)
        .await?;
    one_row(done, ErrorCode::PhoneNotFound)
}

/// Marks the phone verified: `phone.verified_elsewhere` when it is already, or when another
/// user of the tenant verified the number (a partial unique index).
pub(crate) async fn verify_phone_row(conn: &mut Conn, p: &Phone) -> Result<()> {
    let done = sqlx::query("UPDATE phones SET validated_at = $1, updated_at = $2 WHERE id = $3 AND validated_at IS NULL")
        .bind(p.validated_at.map(ts))
        .bind(ts(p.updated_at))
        .bind(p.id.to_string())
        .execute(&mut *conn)
        .await
        .map_err(unique_or(ErrorCode::PhoneVerifiedElsewhere))?
        .rows_affected();
    one_row(done, ErrorCode::PhoneVerifiedElsewhere)
}

/// Inserts one user's documents with their files, counted against `limit`.
pub(crate) async fn insert_documents_rows(conn: &mut Conn, docs: &[Document], contents: &[Vec<u8>], limit: i64) -> Result<()> {
    let Some(first) = docs.first() else { return Ok(()) };
    // Touching the user's row makes concurrent uploads of one user wait for each other
    // (a row lock on PostgreSQL; SQLite has one writer anyway), so the count holds.
    sqlx::query("UPDATE users SET updated_at = updated_at WHERE id = $1").bind(first.user_id.to_string()).run(&mut *conn).await?;
    let held: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM documents WHERE user_id = $1")
        .bind(first.user_id.to_string())
        .fetch_one(&mut *conn)
        .await
        .map_err(db)?;
    if held > limit {
        return Err(DomainError::new(ErrorCode::DocumentLimitReached));
    }
    if held + docs.len() as i64 > limit {
        return Err(DomainError::new(ErrorCode::DocumentLimitWillBeReached));
    }
    for (d, content) in docs.iter().zip(contents) {
        sqlx::query(concat!(
            "INSERT INTO documents (",
            document_cols!(),
            ", content) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
        ))
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
        .run(&mut *conn)
        .await?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl ports::ProfileRepo for Store {
    async fn list_profiles(&self, user: UserId) -> Result<Vec<Profile>> {
        sqlx::query(concat!("SELECT ", profile_cols!(), " FROM profiles WHERE user_id = $1 ORDER BY created_at, id"))
            .bind(user.to_string())
            .all(self.read_pool(), profile_from_row)
            .await
    }
}

#[async_trait::async_trait]
impl ports::PhoneRepo for Store {
    async fn list_phones(&self, user: UserId) -> Result<Vec<Phone>> {
        sqlx::query(concat!("SELECT ", phone_cols!(), " FROM phones WHERE user_id = $1 ORDER BY created_at, id"))
            .bind(user.to_string())
            .all(self.read_pool(), phone_from_row)
            .await
    }

    async fn find_user_phone(&self, user: UserId, digest: &str) -> Result<Option<Phone>> {
        sqlx::query(concat!("SELECT ", phone_cols!(), " FROM phones WHERE user_id = $1 AND number_digest = $2"))
            .bind(user.to_string())
            .bind(digest)
            .optional(self.read_pool(), phone_from_row)
            .await
    }

    async fn phone_verified_in(&self, tenant: TenantId, digest: &str) -> Result<bool> {
        let found = sqlx::query("SELECT id FROM phones WHERE tenant_id = $1 AND number_digest = $2 AND validated_at IS NOT NULL")
            .bind(tenant.to_string())
            .bind(digest)
            .fetch_optional(self.read_pool())
            .await
            .map_err(db)?;
        Ok(found.is_some())
    }
}

#[async_trait::async_trait]
impl ports::DocumentRepo for Store {
    async fn list_documents(&self, user: UserId) -> Result<Vec<Document>> {
        sqlx::query(concat!("SELECT ", document_cols!(), " FROM documents WHERE user_id = $1 ORDER BY created_at, id"))
            .bind(user.to_string())
            .all(self.read_pool(), document_from_row)
            .await
    }

    async fn document_file(&self, id: keyhall_types::DocumentId) -> Result<Option<(Document, Vec<u8>)>> {
        let row = sqlx::query(concat!("SELECT ", document_cols!(), ", content FROM documents WHERE id = $1"))
            .bind(id.to_string())
            .fetch_optional(self.read_pool())
            .await
            .map_err(db)?;
        match row {
            Some(r) => Ok(Some((document_from_row(&r)?, col(&r, "content")?))),
            None => Ok(None),
        }
    }
}
