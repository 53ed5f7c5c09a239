//! Credentials: what a user proves themselves with. A password is an argon2id PHC string
//! (`password`: policy, strength, hashing); a TOTP seed and a WebAuthn key are sealed under
//! the master key, since they must be read back (`totp`, `webauthn`); ceremonies and mailed
//! tokens wait as `challenges`.

pub mod challenges;
pub mod password;
pub mod totp;
pub mod webauthn;

use keyhall_types::{CredentialId, Timestamp, UserId};

use crate::audit::AuditEvent;
use crate::context::Caller;
use crate::error::{DomainError, ErrorCode, Result};

pub use challenges::{Challenge, ChallengeKind};
pub use password::{PasswordPolicy, PasswordPool};
pub use totp::TotpEnrolment;

crate::service! {
    /// Passwords, TOTP and WebAuthn: `core.credentials()`.
    Credentials
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CredentialKind {
    Password,
    Totp,
    Webauthn,
    /// A 1Kosmos user PIN (argon2id, as a password).
    Pin,
    /// The PIN of a user's 1Kosmos managed wallet (argon2id).
    WalletPin,
    /// The seed of a user's 1Kosmos account OTP (sealed): shown to its user, never a factor.
    AccountOtp,
}

impl CredentialKind {
    pub fn as_str(self) -> &'static str {
        match self {
            CredentialKind::Password => "password",
            CredentialKind::Totp => "totp",
            CredentialKind::Webauthn => "webauthn",
            CredentialKind::Pin => "pin",
            CredentialKind::WalletPin => "wallet_pin",
            CredentialKind::AccountOtp => "account_otp",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "password" => CredentialKind::Password,
            "totp" => CredentialKind::Totp,
            "webauthn" => CredentialKind::Webauthn,
            "pin" => CredentialKind::Pin,
            "wallet_pin" => CredentialKind::WalletPin,
            "account_otp" => CredentialKind::AccountOtp,
            _ => return None,
        })
    }

    pub fn is_second_factor(self) -> bool {
        matches!(self, CredentialKind::Totp | CredentialKind::Webauthn)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credential {
    pub id: CredentialId,
    pub user_id: UserId,
    pub kind: CredentialKind,
    /// PHC string (password) or sealed secret (TOTP seed, WebAuthn credential).
    pub secret: String,
    /// A public handle: the WebAuthn credential id, empty otherwise.
    pub label: String,
    /// The TOTP time steps accepted recently: each is accepted once only.
    pub used_steps: Vec<i64>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// Whether these credentials include a TOTP seed (the user signs in with a code).
pub fn has_totp(credentials: &[Credential]) -> bool {
    credentials.iter().any(|c| c.kind == CredentialKind::Totp)
}

impl Credential {
    pub fn new(user_id: UserId, kind: CredentialKind, secret: String, label: String, at: Timestamp) -> Self {
        Self { id: CredentialId::new(), user_id, kind, secret, label, used_steps: Vec::new(), created_at: at, updated_at: at }
    }
}

/// Purposes under which secrets are sealed (the AES-GCM associated data).
pub mod seal_purpose {
    pub const TOTP_SEED: &str = "credential.totp";
    pub const WEBAUTHN_CREDENTIAL: &str = "credential.webauthn";
    pub const WEBAUTHN_CEREMONY: &str = "challenge.webauthn_registration";
    pub const HOSTED_ADMIN_PASSWORD: &str = "hosted.admin_password";
    pub const HOSTED_SMTP_PASSWORD: &str = "hosted.smtp_password";
    pub const HOSTED_STORAGE_KEYS: &str = "hosted.storage_keys";
}

impl Credentials<'_> {
    /// The signed-in user a self-service command acts for.
    pub(crate) fn self_user_id(self, caller: &Caller) -> Result<UserId> {
        caller.actor().user_id().ok_or_else(|| DomainError::new(ErrorCode::PermissionDenied).detail("no user is signed in"))
    }

    pub async fn has_second_factor(self, user_id: UserId) -> Result<bool> {
        Ok(self.core.store.list_credentials(user_id).await?.iter().any(|c| c.kind.is_second_factor()))
    }

    /// Removes every second factor of the calling user; returns how many were removed.
    pub async fn disable_mfa(self, caller: &Caller) -> Result<u64> {
        let user_id = self.self_user_id(caller)?;
        let audit = AuditEvent::new(caller, "mfa.disable", "user", Some(user_id.to_string()), self.core.now());
        let removed = self.core.store.remove_second_factors(user_id, &audit).await?;
        self.core.auth().forget_api_keys();
        Ok(removed)
    }
}
