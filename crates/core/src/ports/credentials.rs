//! Ports of the core: Credentials and pending challenges.

use async_trait::async_trait;
use keyhall_types::{CredentialId, Email, TenantId, Timestamp, UserId};

use crate::audit::AuditEvent;
use crate::credentials::{Challenge, ChallengeKind, Credential};
use crate::error::Result;
use crate::identity::User;

#[async_trait]
pub trait CredentialRepo: Send + Sync {
    /// The user with this e-mail in the tenant and all its credentials, read at once.
    async fn find_user_with_credentials(&self, tenant: TenantId, email: &Email) -> Result<Option<(User, Vec<Credential>)>>;
    async fn list_credentials(&self, user: UserId) -> Result<Vec<Credential>>;
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
