//! TOTP (RFC 6238): a seed chosen by the client (Comet) or generated for enrolment (Barong),
//! sealed under the master key; each code's time step is accepted once.

use keyhall_crypto::totp::{self, TotpParams};
use keyhall_types::{ChallengeId, Timestamp, UserId};

use super::challenges::{Challenge, ChallengeKind};
use super::{Credential, CredentialKind, Credentials, seal_purpose};
use crate::audit::AuditEvent;
use crate::context::Caller;
use crate::error::{DomainError, ErrorCode, Result};
use crate::identity::User;
use crate::ports::{UnitOfWork, Write};

fn unix(at: Timestamp) -> u64 {
    at.unix_timestamp().max(0) as u64
}

impl Credentials<'_> {
    /// Enables TOTP with a client-chosen secret, after checking that `code` is valid for it now
    /// (±1 step). The code's step is recorded as used, so the same code cannot be replayed.
    pub async fn enable_totp(self, caller: &Caller, secret_b32: &str, code: &str) -> Result<()> {
        let user_id = self.self_user_id(caller)?;
        let secret = totp::decode_secret(secret_b32).ok_or_else(|| {
            DomainError::new(ErrorCode::TotpInvalidSecret).field("secret").detail("must be a base32 secret of at least 80 bits")
        })?;
        let code = code.trim();
        if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
            return Err(DomainError::invalid("code", "must be a 6-digit code"));
        }
        let now = self.core.now();
        let params = TotpParams::default();
        let step = totp::verify(&params, &secret, code, unix(now))
            .ok_or_else(|| DomainError::new(ErrorCode::TotpInvalidCode).field("code"))? as i64;
        let existing = self.core.store.list_credentials(user_id).await?;
        for c in existing.iter().filter(|c| c.kind == CredentialKind::Totp) {
            let same_seed = self.core.keys.unseal(seal_purpose::TOTP_SEED, &c.secret).map(|s| s == secret).unwrap_or(false);
            if same_seed && c.used_steps.contains(&step) {
                return Err(DomainError::new(ErrorCode::TotpCodeReused).field("code"));
            }
        }
        let mut credential = Credential::new(
            user_id,
            CredentialKind::Totp,
            self.core.keys.seal(seal_purpose::TOTP_SEED, &secret),
            String::new(),
            now,
        );
        credential.used_steps = vec![step];
        let audit = AuditEvent::new(caller, "mfa.totp_enable", "user", Some(user_id.to_string()), now);
        self.core.store.commit(UnitOfWork::new().write(Write::ReplaceTotp(credential)).audit(audit)).await?;
        self.core.auth().forget_api_keys();
        Ok(())
    }

    /// The user's account OTP now and the seconds left in its step: a TOTP of a seed of its
    /// own (made on first use), which no sign-in accepts, so that showing it to a signed-in user
    /// gives away no second factor of any face.
    pub async fn account_otp(self, user_id: UserId) -> Result<(String, i64)> {
        let credentials = self.core.store.list_credentials(user_id).await?;
        let secret = match credentials.iter().find(|c| c.kind == CredentialKind::AccountOtp) {
            Some(c) => self.core.keys.unseal(seal_purpose::TOTP_SEED, &c.secret).map_err(DomainError::internal)?,
            None => {
                let secret = keyhall_crypto::random::bytes::<20>().to_vec();
                let credential = Credential::new(
                    user_id,
                    CredentialKind::AccountOtp,
                    self.core.keys.seal(seal_purpose::TOTP_SEED, &secret),
                    String::new(),
                    self.core.now(),
                );
                self.core.store.commit(UnitOfWork::new().write(Write::InsertCredential(credential))).await?;
                secret
            }
        };
        let params = TotpParams::default();
        let now = unix(self.core.now());
        let left = params.step_seconds - now % params.step_seconds;
        Ok((totp::totp_at(&params, &secret, now), left as i64))
    }

    /// Checks a TOTP code of `user` and burns its time step. Errors: no TOTP enrolled
    /// (`mfa.totp_invalid_code`), wrong code, or a code whose step was already used.
    pub async fn verify_totp(self, user_id: UserId, code: &str) -> Result<()> {
        let now = self.core.now();
        let credentials = self.core.store.list_credentials(user_id).await?;
        let invalid = || DomainError::new(ErrorCode::TotpInvalidCode).field("code");
        let credential = credentials.iter().find(|c| c.kind == CredentialKind::Totp).ok_or_else(invalid)?;
        let secret = self.core.keys.unseal(seal_purpose::TOTP_SEED, &credential.secret).map_err(DomainError::internal)?;
        let step = totp::verify(&TotpParams::default(), &secret, code, unix(now)).ok_or_else(invalid)? as i64;
        if self.core.store.consume_totp_step(credential.id, step).await? {
            Ok(())
        } else {
            Err(DomainError::new(ErrorCode::TotpCodeReused).field("code"))
        }
    }

    /// Checks a TOTP code of a signed-in user (to confirm a sensitive change): a guess,
    /// counted and locked like sign-in's. A wrong or reused code is `Wrong`.
    pub async fn recheck_totp(self, user: &User, code: &str) -> Result<crate::auth::Guess> {
        let check = || async {
            match self.verify_totp(user.id, code).await {
                Ok(()) => Ok(true),
                Err(e) if e.is(ErrorCode::TotpInvalidCode) || e.is(ErrorCode::TotpCodeReused) => Ok(false),
                Err(e) => Err(e),
            }
        };
        self.core.auth().guess(user, check).await
    }

    pub async fn has_totp(self, user: UserId) -> Result<bool> {
        Ok(super::has_totp(&self.core.store.list_credentials(user).await?))
    }
}

/// A TOTP secret generated for enrolment (shown once as a QR code and a URI).
#[derive(Debug, Clone)]
pub struct TotpEnrolment {
    pub secret_b32: keyhall_types::Secret<String>,
    pub otpauth_uri: String,
}

const TOTP_ENROLMENT_TTL: time::Duration = time::Duration::hours(1);

impl Credentials<'_> {
    /// Generates a TOTP secret for the user to scan; it becomes their second factor once
    /// `confirm_totp_enrolment` sees a valid code for it.
    pub async fn start_totp_enrolment(self, caller: &Caller, issuer: &str) -> Result<TotpEnrolment> {
        let user = self.core.identity().current_user(caller).await?;
        if self.has_totp(user.id).await? {
            return Err(DomainError::new(ErrorCode::TotpAlreadyEnabled));
        }
        let secret = totp::generate_secret();
        let now = self.core.now();
        let challenge = Challenge {
            id: ChallengeId::new(),
            tenant_id: user.tenant_id,
            user_id: user.id,
            kind: ChallengeKind::TotpEnrolment,
            state: self.core.keys.seal_str(seal_purpose::TOTP_SEED, &secret),
            created_at: now,
            expires_at: now + TOTP_ENROLMENT_TTL,
        };
        self.core.store.put_challenge(&challenge, None).await?;
        let uri = totp::otpauth_uri(issuer, user.email.as_str(), &secret, &TotpParams::default());
        Ok(TotpEnrolment { secret_b32: keyhall_types::Secret::new(secret), otpauth_uri: uri })
    }

    /// Turns the pending secret into the user's TOTP credential if `code` is valid for it.
    pub async fn confirm_totp_enrolment(self, caller: &Caller, code: &str) -> Result<()> {
        let user = self.core.identity().current_user(caller).await?;
        if self.has_totp(user.id).await? {
            return Err(DomainError::new(ErrorCode::TotpAlreadyEnabled));
        }
        let now = self.core.now();
        let pending = self
            .core
            .store
            .take_challenge(user.id, ChallengeKind::TotpEnrolment, now)
            .await?
            .ok_or_else(|| DomainError::new(ErrorCode::TotpInvalidCode).field("code"))?;
        let secret_b32 = self.core.keys.unseal_string(seal_purpose::TOTP_SEED, &pending.state).map_err(DomainError::internal)?;
        let secret = totp::decode_secret(&secret_b32).ok_or_else(|| DomainError::internal("stored TOTP secret is unreadable"))?;
        let Some(step) = totp::verify(&TotpParams::default(), &secret, code, unix(now)) else {
            // A wrong code must not cost the user their QR code: keep it pending.
            self.core.store.put_challenge(&pending, None).await?;
            return Err(DomainError::new(ErrorCode::TotpInvalidCode).field("code"));
        };
        let mut credential = Credential::new(
            user.id,
            CredentialKind::Totp,
            self.core.keys.seal(seal_purpose::TOTP_SEED, &secret),
            String::new(),
            now,
        );
        credential.used_steps = vec![step as i64];
        let audit = AuditEvent::new(caller, "mfa.totp_enable", "user", Some(user.id.to_string()), now)
            .with_details(serde_json::json!({ "topic": "otp" }));
        self.core.store.commit(UnitOfWork::new().write(Write::ReplaceTotp(credential)).audit(audit)).await?;
        self.core.auth().forget_api_keys();
        Ok(())
    }

    /// Disables TOTP after checking a current code; the user's API keys stop working.
    pub async fn disable_totp_with_code(self, caller: &Caller, code: &str) -> Result<()> {
        let user = self.core.identity().current_user(caller).await?;
        if !self.has_totp(user.id).await? {
            return Err(DomainError::new(ErrorCode::TotpNotEnabled));
        }
        if !self.recheck_totp(&user, code).await?.checked(self.core.now())? {
            return Err(DomainError::new(ErrorCode::TotpInvalidCode).field("code"));
        }
        let now = self.core.now();
        let audit = AuditEvent::new(caller, "mfa.disable", "user", Some(user.id.to_string()), now)
            .with_details(serde_json::json!({ "topic": "otp" }));
        self.core.store.remove_second_factors(user.id, &audit).await?;
        self.core.store.deactivate_api_keys(user.id, now).await?;
        self.core.auth().forget_api_keys();
        Ok(())
    }
}
