//! The ports the core needs from the outside world: storage (role-sized repositories), time
//! and mail. The store crate implements the repositories for SQLite and PostgreSQL; each
//! writing method is one transaction that also appends the given audit record(s).

use async_trait::async_trait;
use keyhall_types::{CredentialId, Email, HostedInstanceId, SessionId, TenantId, Timestamp, TokenId, UserId};

use crate::api_keys::ApiKey;
use crate::audit::{AuditEvent, AuditQuery};
use crate::comet::billing::BillingRecord;
use crate::comet::cloudview::CloudView;
use crate::comet::hosted::HostedInstance;
use crate::comet::licenses::License;
use crate::credentials::Credential;
use crate::error::Result;
use crate::labels::{Label, LabelScope};
use crate::mfa::{Challenge, ChallengeKind};
use crate::sessions::Session;
use crate::tenants::{Community, Tenant};
use crate::tokens::{ApiToken, TokenRecord};
use crate::users::User;

/// Everything `create_company` writes, in one transaction.
#[derive(Debug, Clone)]
pub struct NewTenantBundle {
    pub tenant: Tenant,
    pub community: Community,
    pub owner: User,
    pub owner_password: Credential,
    pub token: ApiToken,
    pub token_digest: String,
    pub audit: Vec<AuditEvent>,
}

#[async_trait]
pub trait TenantRepo: Send + Sync {
    async fn create_tenant(&self, bundle: &NewTenantBundle) -> Result<()>;
    /// A tenant with its default community and nobody in it yet.
    async fn create_empty_tenant(&self, tenant: &Tenant, community: &Community, audit: &AuditEvent) -> Result<()>;
    async fn get_tenant(&self, id: TenantId) -> Result<Option<Tenant>>;
    /// Whether anyone has an account yet (a fresh installation has nobody).
    async fn any_user(&self) -> Result<bool>;
    async fn default_community(&self, tenant: TenantId) -> Result<Option<Community>>;
    /// Marks the tenant closed and revokes all its tokens; data stays.
    async fn close_tenant(&self, id: TenantId, at: Timestamp, audit: &AuditEvent) -> Result<()>;
    /// Deletes the tenant and everything it owns; the audit log is kept.
    async fn delete_tenant(&self, id: TenantId, audit: &AuditEvent) -> Result<()>;
    /// Non-archived licenses plus hosted instances not yet deleted.
    async fn count_active_services(&self, id: TenantId) -> Result<i64>;
}

#[async_trait]
pub trait UserRepo: Send + Sync {
    /// Inserts the user and its password credential. Duplicate e-mail → `user.email_taken`.
    async fn insert_user(&self, user: &User, password: Option<&Credential>, audit: &AuditEvent) -> Result<()>;
    async fn get_user(&self, tenant: TenantId, id: UserId) -> Result<Option<User>>;
    async fn find_user_by_email(&self, tenant: TenantId, email: &Email) -> Result<Option<User>>;
    async fn find_user_by_uid(&self, tenant: TenantId, uid: &str) -> Result<Option<User>>;
    /// The service accounts a user owns, oldest first.
    async fn list_service_accounts(&self, owner: UserId) -> Result<Vec<User>>;
    async fn count_users(&self, tenant: TenantId) -> Result<i64>;
    async fn list_users(&self, tenant: TenantId) -> Result<Vec<User>>;
    /// Writes the user's fields and, if given, replaces its password credential.
    async fn update_user(&self, user: &User, new_password: Option<&Credential>, audit: &AuditEvent) -> Result<()>;
    /// Writes the user's settings and its tenant's name and profile together.
    async fn update_account(&self, user: &User, tenant: &Tenant, audit: &AuditEvent) -> Result<()>;
    /// Deletes the user with its credentials and sessions, and revokes its tokens.
    async fn delete_user(&self, tenant: TenantId, id: UserId, at: Timestamp, audit: &AuditEvent) -> Result<bool>;
}

#[async_trait]
pub trait CredentialRepo: Send + Sync {
    /// The user with this e-mail in the tenant and all its credentials, read at once.
    async fn find_user_with_credentials(&self, tenant: TenantId, email: &Email) -> Result<Option<(User, Vec<Credential>)>>;
    async fn list_credentials(&self, user: UserId) -> Result<Vec<Credential>>;
    /// Replaces any TOTP credential of the user with `credential`.
    async fn replace_totp(&self, credential: &Credential, audit: &AuditEvent) -> Result<()>;
    async fn add_credential(&self, credential: &Credential, audit: &AuditEvent) -> Result<()>;
    /// Removes every second factor (TOTP and WebAuthn); returns how many.
    async fn remove_second_factors(&self, user: UserId, audit: &AuditEvent) -> Result<u64>;
    /// Records `step` as used unless it was used already: the atomic guard that makes a TOTP
    /// code single-use. False when the step was used before.
    async fn consume_totp_step(&self, credential: CredentialId, step: i64) -> Result<bool>;
}

#[async_trait]
pub trait ChallengeRepo: Send + Sync {
    /// Stores a challenge, replacing the user's previous one of the same kind.
    async fn put_challenge(&self, challenge: &Challenge, audit: Option<&AuditEvent>) -> Result<()>;
    /// Removes and returns the user's challenge of `kind` if it has not expired.
    async fn take_challenge(&self, user: UserId, kind: ChallengeKind, now: Timestamp) -> Result<Option<Challenge>>;
}

#[async_trait]
pub trait TokenRepo: Send + Sync {
    async fn insert_token(&self, token: &ApiToken, digest: &str, audit: &AuditEvent) -> Result<()>;
    async fn find_token(&self, digest: &str) -> Result<Option<TokenRecord>>;
    async fn list_tokens(&self, tenant: TenantId) -> Result<Vec<ApiToken>>;
    /// Sets `revoked_at` if not set yet; false when no such live token exists in the tenant.
    async fn revoke_token(&self, tenant: TenantId, id: TokenId, at: Timestamp, audit: &AuditEvent) -> Result<bool>;
    /// Batched `last_used_at` updates (never moves a value backwards).
    async fn touch_tokens(&self, uses: &[(TokenId, Timestamp)]) -> Result<()>;
}

#[async_trait]
pub trait SessionRepo: Send + Sync {
    /// Stores a new session and its audit record; with `forget_attempts`, also clears that
    /// login-attempt counter in the same transaction (a successful sign-in).
    async fn insert_session(
        &self,
        session: &Session,
        digest: &str,
        audit: &AuditEvent,
        forget_attempts: Option<&str>,
    ) -> Result<()>;
    async fn find_session(&self, digest: &str) -> Result<Option<Session>>;
    async fn extend_session(&self, id: SessionId, expires_at: Timestamp) -> Result<()>;
    async fn delete_session(&self, id: SessionId, audit: Option<&AuditEvent>) -> Result<bool>;
    /// Deletes all sessions of a user except `keep`; returns how many.
    async fn delete_user_sessions(&self, user: UserId, keep: Option<SessionId>) -> Result<u64>;
}

#[async_trait]
pub trait AuditRepo: Send + Sync {
    async fn append_audit(&self, event: &AuditEvent) -> Result<()>;
    /// Newest first.
    async fn list_audit(&self, query: &AuditQuery) -> Result<Vec<AuditEvent>>;
}

#[async_trait]
pub trait CometRepo: Send + Sync {
    /// Inserts the license and its first charge.
    async fn insert_license(&self, license: &License, charge: &BillingRecord, audit: &AuditEvent) -> Result<()>;
    async fn get_license(&self, tenant: TenantId, serial: &str) -> Result<Option<License>>;
    /// Oldest first.
    async fn list_licenses(&self, tenant: TenantId) -> Result<Vec<License>>;
    /// Writes `next` if the stored revision is still `expected_revision`.
    async fn update_license(&self, next: &License, expected_revision: i64, audit: &AuditEvent) -> Result<bool>;
    async fn mark_licenses_synced(&self, tenant: TenantId, at: Timestamp, audit: &AuditEvent) -> Result<u64>;

    /// Inserts the instance and its first charge. Host name in use → `hosted.domain_taken`.
    async fn insert_hosted(&self, instance: &HostedInstance, charge: &BillingRecord, audit: &AuditEvent) -> Result<()>;
    async fn get_hosted(&self, tenant: TenantId, id: HostedInstanceId) -> Result<Option<HostedInstance>>;
    /// Oldest first, deleted ones included.
    async fn list_hosted(&self, tenant: TenantId) -> Result<Vec<HostedInstance>>;
    async fn update_hosted(&self, next: &HostedInstance, expected_revision: i64, audit: &AuditEvent) -> Result<bool>;

    async fn get_cloudview(&self, tenant: TenantId) -> Result<Option<CloudView>>;
    async fn put_cloudview(&self, next: &CloudView, expected_revision: i64, audit: &AuditEvent) -> Result<bool>;

    /// Persists every lifecycle transition due at `now` (all tenants); returns how many.
    async fn advance_lifecycles(&self, now: Timestamp) -> Result<u64>;

    /// Oldest first.
    async fn list_billing(&self, tenant: TenantId) -> Result<Vec<BillingRecord>>;
}

#[async_trait]
pub trait LabelRepo: Send + Sync {
    /// Oldest first.
    async fn list_labels(&self, user: UserId) -> Result<Vec<Label>>;
    /// Inserts a label; a label with the same key and scope → `label.key_taken`.
    async fn insert_label(&self, label: &Label, audit: Option<&AuditEvent>) -> Result<()>;
    /// Inserts or overwrites the value of (user, key, scope).
    async fn put_label(&self, label: &Label, audit: Option<&AuditEvent>) -> Result<()>;
    async fn update_label(
        &self,
        user: UserId,
        key: &str,
        scope: LabelScope,
        value: &str,
        at: Timestamp,
        audit: &AuditEvent,
    ) -> Result<bool>;
    async fn delete_label(&self, user: UserId, key: &str, scope: LabelScope, audit: Option<&AuditEvent>) -> Result<bool>;
}

#[async_trait]
pub trait DataStorageRepo: Send + Sync {
    /// Oldest first.
    async fn list_data_storages(&self, user: UserId) -> Result<Vec<crate::data_storage::DataStorage>>;
    /// Inserts the document with its label; the same title twice → `data_storage.title_taken`.
    async fn insert_data_storage(&self, doc: &crate::data_storage::DataStorage, label: &Label, audit: &AuditEvent) -> Result<()>;
}

#[async_trait]
pub trait ApiKeyRepo: Send + Sync {
    async fn insert_api_key(&self, key: &ApiKey, audit: &AuditEvent) -> Result<()>;
    async fn find_api_key(&self, kid: &str) -> Result<Option<ApiKey>>;
    /// Oldest first.
    async fn list_api_keys(&self, holder: UserId) -> Result<Vec<ApiKey>>;
    /// Writes state and scope.
    async fn update_api_key(&self, key: &ApiKey, audit: &AuditEvent) -> Result<bool>;
    async fn delete_api_key(&self, holder: UserId, kid: &str, audit: &AuditEvent) -> Result<bool>;
    /// Sets every key of the user and of its service accounts inactive; returns how many.
    async fn deactivate_api_keys(&self, user: UserId, at: Timestamp) -> Result<u64>;
}

#[async_trait]
pub trait SettingsRepo: Send + Sync {
    async fn get_setting(&self, key: &str) -> Result<Option<String>>;
    /// Stores `value` unless the key is set already; returns the value that is stored.
    async fn put_setting_if_absent(&self, key: &str, value: &str, at: Timestamp) -> Result<String>;
}

/// A token-signing key as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredSigningKey {
    pub kid: String,
    pub algorithm: String,
    pub private_sealed: String,
    pub created_at: Timestamp,
}

#[async_trait]
pub trait SigningKeyRepo: Send + Sync {
    /// Keys not retired, newest first.
    async fn signing_keys(&self) -> Result<Vec<StoredSigningKey>>;
    async fn insert_signing_key(&self, key: &StoredSigningKey) -> Result<()>;
}

/// The outcome of asking to try a password.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attempt {
    /// The attempt may go ahead; it is already counted as a failure until cleared or released.
    /// `lockouts` is how many times the key was locked since its last success.
    Allowed { failures: i64, lockouts: i64 },
    /// Too many failures: no attempt until this instant.
    Locked { until: Timestamp },
}

#[async_trait]
pub trait LoginAttemptRepo: Send + Sync {
    /// Atomically counts one attempt against `key` if fewer than `limit` failures were counted
    /// since `window_start` and the key is not locked. Concurrent callers can never get more
    /// than `limit` attempts through.
    async fn reserve_attempt(&self, key: &str, limit: i64, window_start: Timestamp, now: Timestamp) -> Result<Attempt>;
    /// `reserve_attempt` on `key` and, read in the same statement, `peek_attempts` on `peek`
    /// (what a sign-in asks of its account and of its client's address at once). When the
    /// attempt is refused, the peeked count is not read and comes back as `(0, None)`. `peek`
    /// must be another key than `key` (which state of `key` the read saw differs by store).
    async fn reserve_attempt_and_peek(
        &self,
        key: &str,
        limit: i64,
        window_start: Timestamp,
        now: Timestamp,
        peek: &str,
    ) -> Result<(Attempt, (i64, Option<Timestamp>))>;
    /// Locks `key` until `until` and counts one more lockout.
    async fn lock_attempts(&self, key: &str, until: Timestamp) -> Result<()>;
    /// Un-counts a reserved attempt that turned out not to be a failed guess.
    async fn release_attempt(&self, key: &str) -> Result<()>;
    /// The failures counted since `window_start` and the lock, without counting anything.
    async fn peek_attempts(&self, key: &str, window_start: Timestamp) -> Result<(i64, Option<Timestamp>)>;
    /// A successful sign-in: forget the failures (and past lockouts) of `key`.
    async fn clear_attempts(&self, key: &str) -> Result<()>;
    /// Deletes the counters that no longer count: no failure since `window_start` and no lock
    /// that ended after `lock_ended_before` (a counter keeps its lockouts that long, so that
    /// the next lock still grows). Returns how many went.
    async fn purge_attempts(&self, window_start: Timestamp, lock_ended_before: Timestamp) -> Result<u64>;
}

/// The whole store, as the server wires it.
pub trait Store:
    TenantRepo
    + UserRepo
    + CredentialRepo
    + ChallengeRepo
    + TokenRepo
    + SessionRepo
    + AuditRepo
    + CometRepo
    + LabelRepo
    + ApiKeyRepo
    + SettingsRepo
    + SigningKeyRepo
    + LoginAttemptRepo
    + DataStorageRepo
    + ProfileRepo
    + PhoneRepo
    + DocumentRepo
    + RestrictionRepo
{
}

impl<T> Store for T where
    T: TenantRepo
        + UserRepo
        + CredentialRepo
        + ChallengeRepo
        + TokenRepo
        + SessionRepo
        + AuditRepo
        + CometRepo
        + LabelRepo
        + ApiKeyRepo
        + SettingsRepo
        + SigningKeyRepo
        + LoginAttemptRepo
        + DataStorageRepo
        + ProfileRepo
        + PhoneRepo
        + DocumentRepo
        + RestrictionRepo
{
}

pub trait Clock: Send + Sync {
    fn now(&self) -> Timestamp;
}

#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        time::OffsetDateTime::now_utc()
    }
}

/// One outgoing e-mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailMessage {
    pub to: Email,
    pub subject: String,
    pub body: String,
}

#[async_trait]
pub trait Mailer: Send + Sync {
    async fn send(&self, message: MailMessage) -> std::result::Result<(), String>;
}

/// The mailer used when no mail server is configured: it records that a message would have
/// gone out, without its body (which may hold a code).
#[derive(Debug, Default, Clone, Copy)]
pub struct LogMailer;

#[async_trait]
impl Mailer for LogMailer {
    async fn send(&self, message: MailMessage) -> std::result::Result<(), String> {
        tracing::info!(to = %message.to, subject = %message.subject, "no mail server configured; message not sent");
        Ok(())
    }
}

/// One outgoing text message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmsMessage {
    /// E.164, with the `+`.
    pub to: String,
    pub body: String,
    /// `sms` or `call`, as the user asked (a sender that cannot call sends a text).
    pub channel: String,
}

#[async_trait]
pub trait SmsSender: Send + Sync {
    async fn send(&self, message: SmsMessage) -> std::result::Result<(), String>;
}

/// The sender used when no SMS gateway is configured: it records that a message would have
/// gone out, without its body (which holds a code).
#[derive(Debug, Default, Clone, Copy)]
pub struct LogSmsSender;

#[async_trait]
impl SmsSender for LogSmsSender {
    async fn send(&self, message: SmsMessage) -> std::result::Result<(), String> {
        let masked = crate::phones::mask_number(message.to.trim_start_matches('+'));
        tracing::info!(to = %masked, channel = %message.channel, "no SMS gateway configured; message not sent");
        Ok(())
    }
}

#[async_trait]
pub trait ProfileRepo: Send + Sync {
    /// Oldest first.
    async fn list_profiles(&self, user: UserId) -> Result<Vec<crate::profiles::Profile>>;
    /// Inserts a profile and sets the user's `profile` label; a second open (drafted or
    /// submitted) profile → `profile.open_exists`.
    async fn insert_profile(&self, profile: &crate::profiles::Profile, label: &Label, audit: &AuditEvent) -> Result<()>;
    /// Rewrites the profile if it is still drafted; false when it is not.
    async fn update_drafted_profile(&self, profile: &crate::profiles::Profile, label: &Label, audit: &AuditEvent)
    -> Result<bool>;
}

#[async_trait]
pub trait PhoneRepo: Send + Sync {
    /// Oldest first.
    async fn list_phones(&self, user: UserId) -> Result<Vec<crate::phones::Phone>>;
    async fn find_user_phone(&self, user: UserId, digest: &str) -> Result<Option<crate::phones::Phone>>;
    /// Whether some user of the tenant verified the number.
    async fn phone_verified_in(&self, tenant: TenantId, digest: &str) -> Result<bool>;
    /// The same number twice for one user → `phone.exists`.
    async fn insert_phone(&self, phone: &crate::phones::Phone, audit: &AuditEvent) -> Result<()>;
    /// Marks the phone verified and gives the user the label (unless they already hold a
    /// `phone` label); verified by someone else meanwhile → `phone.verified_elsewhere`.
    async fn mark_phone_verified(&self, phone: &crate::phones::Phone, label: &Label, audit: &AuditEvent) -> Result<bool>;
}

#[async_trait]
pub trait DocumentRepo: Send + Sync {
    /// Oldest first, without their files.
    async fn list_documents(&self, user: UserId) -> Result<Vec<crate::documents::Document>>;
    async fn document_file(&self, id: &str) -> Result<Option<(crate::documents::Document, Vec<u8>)>>;
    /// Inserts the documents with their files (`contents[i]` is `docs[i]`'s) and sets the
    /// label, all or nothing. Refused when the user already holds more than `limit`
    /// documents (`document.limit_reached`) or would then (`document.limit_will_be_reached`);
    /// concurrent uploads of one user are counted one after the other.
    async fn insert_documents(
        &self,
        docs: &[crate::documents::Document],
        contents: &[Vec<u8>],
        limit: i64,
        label: &Label,
        audit: &AuditEvent,
    ) -> Result<()>;
}

#[async_trait]
pub trait RestrictionRepo: Send + Sync {
    /// Oldest first.
    async fn list_restrictions(&self, tenant: TenantId) -> Result<Vec<crate::restrictions::Restriction>>;
    /// The same category, scope and value twice → `restriction.taken`.
    async fn insert_restriction(&self, restriction: &crate::restrictions::Restriction, audit: &AuditEvent) -> Result<()>;
    async fn delete_restriction(&self, tenant: TenantId, id: &str, audit: &AuditEvent) -> Result<bool>;
    async fn insert_whitelink(&self, tenant: TenantId, digest: &str, expires_at: Timestamp, audit: &AuditEvent) -> Result<()>;
    async fn whitelink_valid(&self, tenant: TenantId, digest: &str, now: Timestamp) -> Result<bool>;
}
