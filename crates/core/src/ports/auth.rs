//! Ports of the core: API tokens and keys, sessions, login counters, restrictions, signing keys.

use async_trait::async_trait;
use keyhall_types::{RestrictionId, SessionId, TenantId, Timestamp, TokenId, UserId};

use crate::audit::AuditEvent;
use crate::auth::api_keys::ApiKey;
use crate::auth::api_tokens::{ApiToken, TokenRecord};
use crate::auth::restrictions::Restriction;
use crate::auth::sessions::Session;
use crate::error::Result;

/// An API-key nonce to record: the key, the nonce as signed, and how long to keep it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NonceRecord {
    pub kid: String,
    pub nonce: String,
    pub expires_at: Timestamp,
}

#[async_trait]
pub trait NonceRepo: Send + Sync {
    /// Whether nonces are recorded for the nodes sharing this store. A store no other node
    /// shares (SQLite) leaves them to the node's own memory.
    fn records_nonces(&self) -> bool;
    /// Records the nonces of API-key requests (distinct pairs) for the nodes sharing this
    /// store, each until its expiry; for each, in order, false when it was recorded already
    /// (a replay served by another node).
    async fn remember_nonces(&self, nonces: &[NonceRecord]) -> Result<Vec<bool>>;
    /// Forgets the nonces past their expiry; returns how many went.
    async fn purge_nonces(&self, now: Timestamp) -> Result<u64>;
}

#[async_trait]
pub trait ExternalIdentityRepo: Send + Sync {
    /// The user an identity of another provider (issuer, subject) is linked to in the tenant.
    async fn find_external_identity(&self, tenant: TenantId, issuer: &str, subject: &str) -> Result<Option<UserId>>;
}

#[async_trait]
pub trait TokenRepo: Send + Sync {
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
    async fn find_session_by_id(&self, id: SessionId) -> Result<Option<Session>>;
    async fn extend_session(&self, id: SessionId, expires_at: Timestamp) -> Result<()>;
    async fn delete_session(&self, id: SessionId, audit: Option<&AuditEvent>) -> Result<bool>;
    /// Deletes all sessions of a user except `keep`; returns how many.
    async fn delete_user_sessions(&self, user: UserId, keep: Option<SessionId>) -> Result<u64>;
}

#[async_trait]
pub trait ApiKeyRepo: Send + Sync {
    async fn find_api_key(&self, kid: &str) -> Result<Option<ApiKey>>;
    /// Oldest first.
    async fn list_api_keys(&self, holder: UserId) -> Result<Vec<ApiKey>>;
    /// Sets every key of the user and of its service accounts inactive; returns how many.
    async fn deactivate_api_keys(&self, user: UserId, at: Timestamp) -> Result<u64>;
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

#[async_trait]
pub trait RestrictionRepo: Send + Sync {
    /// Oldest first.
    async fn list_restrictions(&self, tenant: TenantId) -> Result<Vec<Restriction>>;
    async fn delete_restriction(&self, tenant: TenantId, id: RestrictionId, audit: &AuditEvent) -> Result<bool>;
    async fn insert_whitelink(&self, tenant: TenantId, digest: &str, expires_at: Timestamp, audit: &AuditEvent) -> Result<()>;
    async fn whitelink_valid(&self, tenant: TenantId, digest: &str, now: Timestamp) -> Result<bool>;
}
