//! Passwords, in one place: the policy a new password must meet (data, so that a face or a
//! community can keep its own), the strength estimate some policies add, hashing on dedicated
//! threads, and the commands that check and replace a user's password.

mod hashing;
pub mod strength;

use keyhall_types::SessionId;
use serde::{Deserialize, Serialize};

pub use hashing::PasswordPool;

use super::{Credential, CredentialKind, Credentials};
use crate::audit::AuditEvent;
use crate::context::Caller;
use crate::error::{DomainError, ErrorCode, Result};
use crate::identity::User;
use crate::ports::{UnitOfWork, Write};

/// What a new password must be. Plain data: faces pick the preset their vendor documents,
/// and a policy can be stored and served as a document (1Kosmos serves one per auth module).
/// Every way of setting a password checks it here.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PasswordPolicy {
    pub min_length: usize,
    /// The upper bound keeps hashing cost predictable.
    pub max_length: usize,
    pub min_lowercase: usize,
    pub min_uppercase: usize,
    pub min_digits: usize,
    /// Characters that are neither letters, digits nor white space.
    pub min_symbols: usize,
    /// A minimum estimated entropy in bits (Barong's strength check), if any.
    pub min_entropy: Option<f64>,
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        Self::STANDARD
    }
}

impl PasswordPolicy {
    /// At least 8 characters with an upper-case letter, a lower-case letter and a digit.
    pub const STANDARD: PasswordPolicy = PasswordPolicy {
        min_length: 8,
        max_length: 128,
        min_lowercase: 1,
        min_uppercase: 1,
        min_digits: 1,
        min_symbols: 0,
        min_entropy: None,
    };

    /// Barong's: 8–80 characters with a lower-case letter, an upper-case letter and a digit,
    /// and an estimated entropy of at least 14 bits.
    pub const BARONG: PasswordPolicy = PasswordPolicy {
        min_length: 8,
        max_length: 80,
        min_lowercase: 1,
        min_uppercase: 1,
        min_digits: 1,
        min_symbols: 0,
        min_entropy: Some(strength::MIN_ENTROPY),
    };

    /// The rule in words: `must have at least 8 characters, one uppercase letter, one
    /// lowercase letter and one number`.
    pub fn describe(&self) -> String {
        fn count(n: usize, one: &str, many: &str) -> Option<String> {
            match n {
                0 => None,
                1 => Some(format!("one {one}")),
                n => Some(format!("{n} {many}")),
            }
        }
        let mut parts = vec![format!("at least {} characters", self.min_length)];
        parts.extend(count(self.min_uppercase, "uppercase letter", "uppercase letters"));
        parts.extend(count(self.min_lowercase, "lowercase letter", "lowercase letters"));
        parts.extend(count(self.min_digits, "number", "numbers"));
        parts.extend(count(self.min_symbols, "symbol", "symbols"));
        let last = parts.pop().unwrap_or_default();
        if parts.is_empty() { format!("must have {last}") } else { format!("must have {} and {last}", parts.join(", ")) }
    }

    /// `password.requirements` when the rule fails (its detail says what the rule is), then
    /// `password.weak` when the entropy estimate is too low.
    pub fn check(&self, field: &'static str, password: &str) -> Result<()> {
        let len = password.chars().count();
        let has = |min: usize, class: fn(&char) -> bool| password.chars().filter(class).count() >= min;
        let ok = len >= self.min_length
            && len <= self.max_length
            && has(self.min_lowercase, |c| c.is_lowercase())
            && has(self.min_uppercase, |c| c.is_uppercase())
            && has(self.min_digits, char::is_ascii_digit)
            && has(self.min_symbols, |c| !c.is_alphanumeric() && !c.is_whitespace());
        if !ok {
            let detail =
                if len > self.max_length { format!("must have at most {} characters", self.max_length) } else { self.describe() };
            return Err(DomainError::new(ErrorCode::PasswordRequirements).field(field).detail(detail));
        }
        if let Some(min) = self.min_entropy
            && strength::entropy(password) < min
        {
            return Err(DomainError::new(ErrorCode::PasswordWeak).field(field));
        }
        Ok(())
    }
}

/// The rows of a password change: the user (its `updated_at`) and the new credential.
/// A new password, with the end of the user's sessions but `keep` in the same transaction.
fn password_change(user: User, credential: Credential, keep: Option<SessionId>, audit: AuditEvent) -> UnitOfWork {
    let end = Write::EndSessions { user: user.id, keep };
    UnitOfWork::new().write(Write::UpdateUser(user)).write(Write::ReplacePassword(credential)).write(end).audit(audit)
}

impl Credentials<'_> {
    /// Hashes a new password (already checked against its policy) into a credential.
    pub(crate) async fn new_password(self, user: &User, password: &str) -> Result<Credential> {
        let phc = self.core.passwords.hash(password).await?;
        Ok(Credential::new(user.id, CredentialKind::Password, phc, String::new(), self.core.now()))
    }

    /// Checks `password` against the user's password credential. A user without one never
    /// matches; a dummy hash is verified then so the timing does not tell.
    pub async fn check_password(self, user: Option<&User>, password: &str) -> Result<bool> {
        let phc = match user {
            Some(u) => self
                .core
                .store
                .list_credentials(u.id)
                .await?
                .into_iter()
                .find(|c| c.kind == CredentialKind::Password)
                .map(|c| c.secret),
            None => None,
        };
        self.verify_phc(phc.as_deref(), password).await
    }

    /// Checks the password a signed-in user enters again (to close the account, to change the
    /// password): a guess, counted and locked like sign-in's.
    pub async fn recheck_password(self, user: &User, password: &str) -> Result<crate::auth::Guess> {
        self.core.auth().guess(user, || self.check_password(Some(user), password)).await
    }

    /// Verifies `password` against a PHC string, or against a dummy hash when there is none
    /// (which never matches), so that both cost the same time.
    pub(crate) async fn verify_phc(self, phc: Option<&str>, password: &str) -> Result<bool> {
        match phc {
            Some(phc) => self.core.passwords.verify(phc, password).await,
            None => {
                self.core.passwords.verify_dummy(password).await?;
                Ok(false)
            }
        }
    }

    /// Sets the calling user's password; the user's sessions (and the tokens bound to them)
    /// end, on every face.
    pub async fn change_own_password(self, caller: &Caller, new_password: &str, policy: &PasswordPolicy) -> Result<()> {
        let user = self.core.identity().current_user(caller).await?;
        self.set_password(caller, &user, new_password, policy, None).await
    }

    /// Replaces a user's password (reset or change) and ends their other sessions (and the
    /// tokens bound to them), on every face.
    pub async fn set_password(
        self,
        caller: &Caller,
        user: &User,
        password: &str,
        policy: &PasswordPolicy,
        keep_session: Option<SessionId>,
    ) -> Result<()> {
        policy.check("password", password)?;
        let credential = self.new_password(user, password).await?;
        let mut next = user.clone();
        next.updated_at = credential.created_at;
        let audit = AuditEvent::new(caller, "user.password_change", "user", Some(user.id.to_string()), next.updated_at)
            .with_details(serde_json::json!({ "topic": "password" }));
        self.core.store.commit(password_change(next, credential, keep_session, audit)).await?;
        self.core.auth().forget_sessions();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_policy() {
        let r = PasswordPolicy::STANDARD;
        assert!(r.check("p", "Abcdefg1").is_ok());
        for bad in ["Abcdef1", "abcdefg1", "ABCDEFG1", "Abcdefgh", ""] {
            let e = r.check("p", bad).unwrap_err();
            assert_eq!(e.code, ErrorCode::PasswordRequirements, "{bad}");
        }
        assert!(r.check("p", &format!("Aa1{}", "x".repeat(200))).is_err());
        assert_eq!(r.describe(), "must have at least 8 characters, one uppercase letter, one lowercase letter and one number");
    }

    #[test]
    fn barong_policy() {
        let p = PasswordPolicy::BARONG;
        assert_eq!(p.check("password", "password").unwrap_err().code, ErrorCode::PasswordRequirements);
        assert_eq!(p.check("password", "Password1").unwrap_err().code, ErrorCode::PasswordWeak);
        for ok in ["eeC2BiCucxWEQ", "Tecohvi0", "ZahSh8ei"] {
            assert!(p.check("password", ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn a_policy_is_data() {
        let stored: PasswordPolicy =
            serde_json::from_str(r#"{"min_length":12,"min_symbols":2,"min_digits":0,"min_uppercase":0}"#).unwrap();
        assert_eq!(stored.max_length, PasswordPolicy::STANDARD.max_length, "unnamed fields keep the standard value");
        assert_eq!(stored.describe(), "must have at least 12 characters, one lowercase letter and 2 symbols");
        assert!(stored.check("p", "abcdefghij!?").is_ok());
        assert!(stored.check("p", "abcdefghijk!").is_err());
        let json = serde_json::to_value(PasswordPolicy::BARONG).unwrap();
        assert_eq!(serde_json::from_value::<PasswordPolicy>(json).unwrap(), PasswordPolicy::BARONG);
    }
}
