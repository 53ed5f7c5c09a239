// Row mapping: column lists and `*_from_row` functions, written by hand (no sqlx macros).

use keyhall_core::audit::{AuditEvent, AuditQuery};
use keyhall_core::comet::billing::BillingRecord;
use keyhall_core::comet::cloudview::{CloudView, CloudViewMode, CloudViewStatus};
use keyhall_core::comet::hosted::{HostedInstance, HostedState};
use keyhall_core::comet::licenses::License;
use keyhall_core::credentials::{Credential, CredentialKind};
use keyhall_core::credentials::challenges::{Challenge, ChallengeKind};
use keyhall_core::auth::sessions::Session;
use keyhall_core::tenancy::tenants::{Community, CompanyProfile, Tenant, TenantStatus};
use keyhall_core::auth::api_tokens::{ApiToken, TokenRecord};
use keyhall_core::identity::users::{User, UserFlags, UserStatus};
use keyhall_core::{DomainError, ErrorCode};
use keyhall_types::{Email, TenantId, UserId};
use sqlx::Row;

fn col<'r, T>(row: &'r DbRow, name: &str) -> Result<T>
where
    T: sqlx::Decode<'r, Db> + sqlx::Type<Db>,
{
    row.try_get(name).map_err(db)
}

fn col_ts(row: &DbRow, name: &str) -> Result<Timestamp> {
    read_ts(col::<DbTime>(row, name)?)
}

fn col_ts_opt(row: &DbRow, name: &str) -> Result<Option<Timestamp>> {
    col::<Option<DbTime>>(row, name)?.map(read_ts).transpose()
}

fn col_id<T: std::str::FromStr>(row: &DbRow, name: &str) -> Result<T> {
    col::<String>(row, name)?.parse().map_err(|_| crate::errors::corrupt(name))
}

macro_rules! tenant_cols {
    () => {
        "id, name, status, phone, address_street, address_city, address_postcode, address_country, created_at, updated_at"
    };
}

fn tenant_from_row(row: &DbRow) -> Result<Tenant> {
    Ok(Tenant {
        id: col_id(row, "id")?,
        name: col(row, "name")?,
        status: TenantStatus::parse(&col::<String>(row, "status")?).ok_or_else(|| crate::errors::corrupt("tenant status"))?,
        profile: CompanyProfile {
            phone: col(row, "phone")?,
            address_street: col(row, "address_street")?,
            address_city: col(row, "address_city")?,
            address_postcode: col(row, "address_postcode")?,
            address_country: col(row, "address_country")?,
        },
        created_at: col_ts(row, "created_at")?,
        updated_at: col_ts(row, "updated_at")?,
    })
}

fn community_from_row(row: &DbRow) -> Result<Community> {
    Ok(Community {
        id: col_id(row, "id")?,
        tenant_id: col_id(row, "tenant_id")?,
        name: col(row, "name")?,
        is_default: col(row, "is_default")?,
        created_at: col_ts(row, "created_at")?,
    })
}

macro_rules! user_cols {
    () => {
        "id, tenant_id, community_id, email, contact_name, status, role, is_primary_contact, is_technical, \
         is_billing, notify_weekly_usage, email_verified, twofa_required, created_at, updated_at, uid, username, \
         referral_id, data, owner_id"
    };
}

fn user_from_row(row: &DbRow) -> Result<User> {
    let opt_id = |name| -> Result<Option<UserId>> {
        col::<Option<String>>(row, name)?.map(|t| t.parse().map_err(|_| crate::errors::corrupt(name))).transpose()
    };
    Ok(User {
        id: col_id(row, "id")?,
        uid: col(row, "uid")?,
        tenant_id: col_id(row, "tenant_id")?,
        community_id: col_id(row, "community_id")?,
        email: Email::parse(&col::<String>(row, "email")?).map_err(|_| crate::errors::corrupt("e-mail"))?,
        username: col(row, "username")?,
        referral_id: opt_id("referral_id")?,
        data: col(row, "data")?,
        owner_id: opt_id("owner_id")?,
        contact_name: col(row, "contact_name")?,
        status: UserStatus::parse(&col::<String>(row, "status")?).ok_or_else(|| crate::errors::corrupt("user status"))?,
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

macro_rules! credential_cols {
    () => {
        "id, user_id, kind, secret, label, used_steps, created_at, updated_at"
    };
}

fn credential_from_row(row: &DbRow) -> Result<Credential> {
    credential_from_named(row, "")
}

/// A credential from columns named with `prefix` (`c_id`, `c_kind`, … beside a user's).
fn credential_from_named(row: &DbRow, prefix: &str) -> Result<Credential> {
    let name = |c: &str| format!("{prefix}{c}");
    Ok(Credential {
        id: col_id(row, &name("id"))?,
        user_id: col_id(row, &name("user_id"))?,
        kind: CredentialKind::parse(&col::<String>(row, &name("kind"))?).ok_or_else(|| crate::errors::corrupt("credential kind"))?,
        secret: col(row, &name("secret"))?,
        label: col(row, &name("label"))?,
        used_steps: parse_steps(&col::<String>(row, &name("used_steps"))?),
        created_at: col_ts(row, &name("created_at"))?,
        updated_at: col_ts(row, &name("updated_at"))?,
    })
}

macro_rules! token_cols {
    () => {
        "id, tenant_id, user_id, visible_prefix, permissions, created_at, updated_at, revoked_at, last_used_at"
    };
}

fn token_from_row(row: &DbRow) -> Result<ApiToken> {
    let permissions: Vec<String> =
        serde_json::from_str(&col::<String>(row, "permissions")?).map_err(|_| crate::errors::corrupt("token permissions"))?;
    Ok(ApiToken {
        id: col_id(row, "id")?,
        tenant_id: col_id(row, "tenant_id")?,
        user_id: col_id(row, "user_id")?,
        visible_prefix: col(row, "visible_prefix")?,
        permissions,
        created_at: col_ts(row, "created_at")?,
        updated_at: col_ts(row, "updated_at")?,
        revoked_at: col_ts_opt(row, "revoked_at")?,
        last_used_at: col_ts_opt(row, "last_used_at")?,
    })
}

fn challenge_from_row(row: &DbRow) -> Result<Challenge> {
    Ok(Challenge {
        id: col_id(row, "id")?,
        tenant_id: col_id(row, "tenant_id")?,
        user_id: col_id(row, "user_id")?,
        kind: ChallengeKind::parse(&col::<String>(row, "kind")?).ok_or_else(|| crate::errors::corrupt("challenge kind"))?,
        state: col(row, "state")?,
        created_at: col_ts(row, "created_at")?,
        expires_at: col_ts(row, "expires_at")?,
    })
}

fn session_from_row(row: &DbRow) -> Result<Session> {
    Ok(Session {
        id: col_id(row, "id")?,
        tenant_id: col_id(row, "tenant_id")?,
        user_id: col_id(row, "user_id")?,
        ip: col(row, "ip")?,
        user_agent: col(row, "user_agent")?,
        csrf_token: col(row, "csrf_token")?,
        created_at: col_ts(row, "created_at")?,
        expires_at: col_ts(row, "expires_at")?,
    })
}

fn audit_from_row(row: &DbRow) -> Result<AuditEvent> {
    Ok(AuditEvent {
        id: col_id(row, "id")?,
        tenant_id: col_id(row, "tenant_id")?,
        actor_kind: col(row, "actor_kind")?,
        actor_id: col(row, "actor_id")?,
        action: col(row, "action")?,
        target_kind: col(row, "target_kind")?,
        target_id: col(row, "target_id")?,
        ip: col(row, "ip")?,
        user_agent: col(row, "user_agent")?,
        details: serde_json::from_str(&col::<String>(row, "details")?).map_err(|_| crate::errors::corrupt("audit details"))?,
        at: col_ts(row, "created_at")?,
    })
}

macro_rules! license_cols {
    () => {
        "id, tenant_id, serial, name, comment, server_version, num_clients_online, num_boosters_online, \
         is_archived, enabled, allowed_ip_address, allowed_machine_id, favourited, region_code, created_at, updated_at, revision"
    };
}

fn license_from_row(row: &DbRow) -> Result<License> {
    Ok(License {
        id: col_id(row, "id")?,
        tenant_id: col_id(row, "tenant_id")?,
        serial: col(row, "serial")?,
        name: col(row, "name")?,
        comment: col(row, "comment")?,
        server_version: col(row, "server_version")?,
        num_clients_online: col(row, "num_clients_online")?,
        num_boosters_online: col(row, "num_boosters_online")?,
        is_archived: col(row, "is_archived")?,
        enabled: col(row, "enabled")?,
        allowed_ip_address: col(row, "allowed_ip_address")?,
        allowed_machine_id: col(row, "allowed_machine_id")?,
        favourited: col(row, "favourited")?,
        region_code: col(row, "region_code")?,
        created_at: col_ts(row, "created_at")?,
        updated_at: col_ts(row, "updated_at")?,
        revision: col(row, "revision")?,
    })
}

macro_rules! hosted_cols {
    () => {
        "id, tenant_id, server_name, region, user_dns, admin_username, admin_password_sealed, send_as_display_name, \
         send_as_email_address, send_as_email_verified, send_as_dmarc_verified, use_custom_dns, user_custom_dns, smtp_mode, \
         smtp_host, smtp_port, smtp_username, smtp_password_sealed, smtp_security, smtp_accept_invalid_certificate, \
         storage_type, storage_bucket, storage_keys_sealed, favourited, num_devices_online, num_boosters_online, version, \
         state, state_due_at, pending_delete_failed, created_at, date_deleted, updated_at, revision"
    };
}

fn hosted_from_row(row: &DbRow) -> Result<HostedInstance> {
    Ok(HostedInstance {
        id: col_id(row, "id")?,
        tenant_id: col_id(row, "tenant_id")?,
        server_name: col(row, "server_name")?,
        region: col(row, "region")?,
        user_dns: col(row, "user_dns")?,
        admin_username: col(row, "admin_username")?,
        admin_password_sealed: col(row, "admin_password_sealed")?,
        send_as_display_name: col(row, "send_as_display_name")?,
        send_as_email_address: col(row, "send_as_email_address")?,
        send_as_email_verified: col(row, "send_as_email_verified")?,
        send_as_dmarc_verified: col(row, "send_as_dmarc_verified")?,
        use_custom_dns: col(row, "use_custom_dns")?,
        user_custom_dns: col(row, "user_custom_dns")?,
        smtp_mode: col(row, "smtp_mode")?,
        smtp_host: col(row, "smtp_host")?,
        smtp_port: col(row, "smtp_port")?,
        smtp_username: col(row, "smtp_username")?,
        smtp_password_sealed: col(row, "smtp_password_sealed")?,
        smtp_security: col(row, "smtp_security")?,
        smtp_accept_invalid_certificate: col(row, "smtp_accept_invalid_certificate")?,
        storage_type: col(row, "storage_type")?,
        storage_bucket: col(row, "storage_bucket")?,
        storage_keys_sealed: col(row, "storage_keys_sealed")?,
        favourited: col(row, "favourited")?,
        num_devices_online: col(row, "num_devices_online")?,
        num_boosters_online: col(row, "num_boosters_online")?,
        version: col(row, "version")?,
        state: HostedState::parse(&col::<String>(row, "state")?).ok_or_else(|| crate::errors::corrupt("hosted state"))?,
        state_due_at: col_ts_opt(row, "state_due_at")?,
        pending_delete_failed: col(row, "pending_delete_failed")?,
        created_at: col_ts(row, "created_at")?,
        date_deleted: col_ts_opt(row, "date_deleted")?,
        updated_at: col_ts(row, "updated_at")?,
        revision: col(row, "revision")?,
    })
}

fn cloudview_from_row(row: &DbRow) -> Result<CloudView> {
    Ok(CloudView {
        tenant_id: col_id(row, "tenant_id")?,
        status: CloudViewStatus::parse(&col::<String>(row, "status")?).ok_or_else(|| crate::errors::corrupt("cloudview status"))?,
        mode: CloudViewMode::parse(&col::<String>(row, "mode")?).ok_or_else(|| crate::errors::corrupt("cloudview mode"))?,
        status_due_at: col_ts_opt(row, "status_due_at")?,
        updated_at: col_ts(row, "updated_at")?,
        revision: col(row, "revision")?,
    })
}

fn billing_from_row(row: &DbRow) -> Result<BillingRecord> {
    Ok(BillingRecord {
        id: col_id(row, "id")?,
        tenant_id: col_id(row, "tenant_id")?,
        occurred_at: col_ts(row, "occurred_at")?,
        description: col(row, "description")?,
        service_kind: col(row, "service_kind")?,
        service_ref: col(row, "service_ref")?,
        quantity: col(row, "quantity")?,
        unit_price_cents: col(row, "unit_price_cents")?,
        amount_cents: col(row, "amount_cents")?,
        currency: col(row, "currency")?,
    })
}

/// The columns of an audit record, in the order `bind_audit` binds them.
macro_rules! audit_cols {
    () => {
        "id, tenant_id, actor_kind, actor_id, action, target_kind, target_id, ip, user_agent, details, created_at"
    };
}

type DbQuery<'q> = sqlx::query::Query<'q, Db, <Db as sqlx::Database>::Arguments>;

/// Binds the values of an audit record (`audit_cols!`), after whatever `q` binds already.
fn bind_audit<'q>(q: DbQuery<'q>, e: &AuditEvent) -> DbQuery<'q> {
    q.bind(e.id.to_string())
        .bind(e.tenant_id.to_string())
        .bind(&e.actor_kind)
        .bind(&e.actor_id)
        .bind(&e.action)
        .bind(&e.target_kind)
        .bind(&e.target_id)
        .bind(&e.ip)
        .bind(&e.user_agent)
        .bind(e.details.to_string())
        .bind(ts(e.at))
}

/// Appends one audit record inside the caller's transaction.
async fn insert_audit(conn: &mut <Db as sqlx::Database>::Connection, e: &AuditEvent) -> Result<()> {
    let q = sqlx::query(concat!("INSERT INTO audit_log (", audit_cols!(), ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"));
    bind_audit(q, e).execute(&mut *conn).await.map_err(db)?;
    Ok(())
}

/// Ends a conditional write: when the statement changed no row the transaction is rolled back
/// and `false` returned; otherwise the audit record is appended and the transaction committed.
async fn commit_if_changed(mut tx: sqlx::Transaction<'static, Db>, rows: u64, audit: &AuditEvent) -> Result<bool> {
    if rows == 0 {
        return Ok(false);
    }
    insert_audit(&mut tx, audit).await?;
    tx.commit().await.map_err(db)?;
    Ok(true)
}

fn parse_steps(text: &str) -> Vec<i64> {
    text.split(',').filter_map(|s| s.trim().parse().ok()).collect()
}

fn format_steps(steps: &[i64]) -> String {
    steps.iter().map(i64::to_string).collect::<Vec<_>>().join(",")
}
