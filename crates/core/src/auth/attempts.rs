//! Limits on guessing any secret a user knows: the password at sign-in and when it is asked
//! again, TOTP codes, later 1Kosmos OTPs. Every guess goes through the account's failure
//! counter (the one sign-in counts on): it is reserved before the secret is checked, so that
//! concurrent guesses never get more than the limit checked; a wrong guess stays counted and,
//! at the limit, locks the account for a time that doubles with each lockout (up to a day); a
//! right one clears the count. A locked account is refused without a check.

use keyhall_types::{TenantId, Timestamp};

use super::Auth;
use crate::error::{DomainError, ErrorCode, Result};
use crate::identity::User;
use crate::ports::Attempt;

const MAX_LOCK: time::Duration = time::Duration::hours(24);

/// The outcome of a guarded guess.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Guess {
    Right,
    /// Wrong (and counted).
    Wrong,
    /// Too many wrong guesses: nothing is checked until this instant.
    Locked {
        until: Timestamp,
    },
}

impl Guess {
    /// `Ok(true)` right, `Ok(false)` wrong, `session.account_locked` (with the time to wait)
    /// when locked.
    pub fn checked(self, now: Timestamp) -> Result<bool> {
        match self {
            Guess::Right => Ok(true),
            Guess::Wrong => Ok(false),
            Guess::Locked { until } => Err(locked(until, now)),
        }
    }
}

/// `session.account_locked`, saying how long to wait.
pub(crate) fn locked(until: Timestamp, now: Timestamp) -> DomainError {
    DomainError::new(ErrorCode::AccountLocked).retry_after((until - now).max(time::Duration::SECOND))
}

/// The failure counter of an account, keyed by its address (so that an unknown address is
/// counted like a known one).
pub(crate) fn account_key(tenant: TenantId, email: &str) -> String {
    format!("account:{tenant}:{}", email.trim().to_lowercase())
}

impl Auth<'_> {
    /// How long the account is locked after its `lockouts`-th lockout: the window, doubled
    /// each time, at most a day.
    pub(crate) fn lock_length(self, lockouts: i64) -> time::Duration {
        (self.core.settings.login_window * 2i32.saturating_pow(lockouts.clamp(0, 10) as u32)).min(MAX_LOCK)
    }

    /// Locks the counter `key` when the attempt just counted reached the limit.
    pub(crate) async fn lock_if_limit(self, key: &str, failures: i64, lockouts: i64, now: Timestamp) -> Result<()> {
        if failures >= self.core.settings.login_max_failures {
            self.core.store.lock_attempts(key, now + self.lock_length(lockouts)).await?;
        }
        Ok(())
    }

    /// Checks a guess at one of `user`'s secrets (`check` says whether it is right) through
    /// the account's failure counter.
    pub async fn guess<F, Fut>(self, user: &User, check: F) -> Result<Guess>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<bool>>,
    {
        self.guess_on(&account_key(user.tenant_id, user.email.as_str()), check).await
    }

    /// `guess` on the counter `key` (a secret with a counter of its own, such as the codes
    /// texted to a user's phones).
    pub(crate) async fn guess_on<F, Fut>(self, key: &str, check: F) -> Result<Guess>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<bool>>,
    {
        let key = key.to_string();
        let now = self.core.now();
        let limit = self.core.settings.login_max_failures;
        let window_start = now - self.core.settings.login_window;
        let (failures, lockouts) = match self.core.store.reserve_attempt(&key, limit, window_start, now).await? {
            Attempt::Allowed { failures, lockouts } => (failures, lockouts),
            Attempt::Locked { until } => return Ok(Guess::Locked { until: until.max(now) }),
        };
        let right = match check().await {
            Ok(right) => right,
            Err(e) => {
                // Not a guess: the check itself failed.
                self.core.store.release_attempt(&key).await?;
                return Err(e);
            }
        };
        if right {
            self.core.store.clear_attempts(&key).await?;
            Ok(Guess::Right)
        } else {
            self.lock_if_limit(&key, failures, lockouts, now).await?;
            Ok(Guess::Wrong)
        }
    }
}
