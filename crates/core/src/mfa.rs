//! Second factors: TOTP (RFC 6238) and WebAuthn, plus the short-lived server-side challenges
//! their ceremonies need.

use keyhall_crypto::totp::{self, TotpParams};
use keyhall_types::{ChallengeId, TenantId, Timestamp, UserId};

use crate::Core;
use crate::audit::AuditEvent;
use crate::context::Caller;
use crate::credentials::{Credential, CredentialKind, seal_purpose};
use crate::error::{DomainError, ErrorCode, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChallengeKind {
    /// A WebAuthn registration ceremony in progress (state sealed).
    WebauthnRegistration,
    /// An e-mail address confirmation code (digest).
    EmailVerification,
    /// A one-time CloudView sign-in token (digest).
    CloudViewLogin,
    /// A password reset token (digest of its id).
    PasswordReset,
    /// A TOTP secret generated for enrolment and not confirmed yet (sealed).
    TotpEnrolment,
}

impl ChallengeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ChallengeKind::WebauthnRegistration => "webauthn_registration",
            ChallengeKind::EmailVerification => "email_verification",
            ChallengeKind::CloudViewLogin => "cloudview_login",
            ChallengeKind::PasswordReset => "password_reset",
            ChallengeKind::TotpEnrolment => "totp_enrolment",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "webauthn_registration" => ChallengeKind::WebauthnRegistration,
            "email_verification" => ChallengeKind::EmailVerification,
            "cloudview_login" => ChallengeKind::CloudViewLogin,
            "password_reset" => ChallengeKind::PasswordReset,
            "totp_enrolment" => ChallengeKind::TotpEnrolment,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    pub id: ChallengeId,
    pub tenant_id: TenantId,
    pub user_id: UserId,
    pub kind: ChallengeKind,
    /// Sealed ceremony state or a digest, depending on the kind.
    pub state: String,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
}

const WEBAUTHN_CEREMONY_TTL: time::Duration = time::Duration::minutes(5);

fn unix(at: Timestamp) -> u64 {
    at.unix_timestamp().max(0) as u64
}

impl Core {
    fn self_user_id(&self, caller: &Caller) -> Result<UserId> {
        caller.actor.user_id().ok_or_else(|| DomainError::new(ErrorCode::PermissionDenied).detail("no user is signed in"))
    }

    /// Enables TOTP with a client-chosen secret, after checking that `code` is valid for it now
    /// (±1 step). The code's step is recorded as used, so the same code cannot be replayed.
    pub async fn enable_totp(&self, caller: &Caller, secret_b32: &str, code: &str) -> Result<()> {
        let user_id = self.self_user_id(caller)?;
        let secret = totp::decode_secret(secret_b32).ok_or_else(|| {
            DomainError::new(ErrorCode::TotpInvalidSecret)
                .field("totp_secret")
                .detail("must be a base32 secret of at least 80 bits")
        })?;
        let code = code.trim();
        if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
            return Err(DomainError::invalid("totp_verify_code", "must be a 6-digit code"));
        }
        let now = self.now();
        let params = TotpParams::default();
        let step = totp::verify(&params, &secret, code, unix(now))
            .ok_or_else(|| DomainError::new(ErrorCode::TotpInvalidCode).field("totp_verify_code"))? as i64;
        let existing = self.store.list_credentials(user_id).await?;
        for c in existing.iter().filter(|c| c.kind == CredentialKind::Totp) {
            let same_seed = self.keys.unseal(seal_purpose::TOTP_SEED, &c.secret).map(|s| s == secret).unwrap_or(false);
            if same_seed && c.used_steps.contains(&step) {
                return Err(DomainError::new(ErrorCode::TotpCodeReused).field("totp_verify_code"));
            }
        }
        let mut credential =
            Credential::new(user_id, CredentialKind::Totp, self.keys.seal(seal_purpose::TOTP_SEED, &secret), String::new(), now);
        credential.used_steps = vec![step];
        let audit = AuditEvent::new(caller, "mfa.totp_enable", "user", Some(user_id.to_string()), now);
        self.store.replace_totp(&credential, &audit).await?;
        self.forget_api_keys();
        Ok(())
    }

    /// Checks a TOTP code of `user` and burns its time step. Errors: no TOTP enrolled
    /// (`mfa.totp_invalid_code`), wrong code, or a code whose step was already used.
    pub async fn verify_totp(&self, user_id: UserId, code: &str) -> Result<()> {
        let now = self.now();
        let credentials = self.store.list_credentials(user_id).await?;
        let invalid = || DomainError::new(ErrorCode::TotpInvalidCode).field("otp_code");
        let credential = credentials.iter().find(|c| c.kind == CredentialKind::Totp).ok_or_else(invalid)?;
        let secret = self.keys.unseal(seal_purpose::TOTP_SEED, &credential.secret).map_err(DomainError::internal)?;
        let step = totp::verify(&TotpParams::default(), &secret, code, unix(now)).ok_or_else(invalid)? as i64;
        if self.store.consume_totp_step(credential.id, step).await? {
            Ok(())
        } else {
            Err(DomainError::new(ErrorCode::TotpCodeReused).field("otp_code"))
        }
    }

    pub async fn has_second_factor(&self, user_id: UserId) -> Result<bool> {
        Ok(self.store.list_credentials(user_id).await?.iter().any(|c| c.kind.is_second_factor()))
    }

    /// Starts a WebAuthn registration for the calling user; returns the
    /// `PublicKeyCredentialCreationOptions` JSON. The ceremony state is kept server-side.
    pub async fn start_webauthn_registration(&self, caller: &Caller) -> Result<String> {
        let user_id = self.self_user_id(caller)?;
        let user = self.user(caller, user_id).await?;
        let existing: Vec<String> = self
            .store
            .list_credentials(user_id)
            .await?
            .into_iter()
            .filter(|c| c.kind == CredentialKind::Webauthn)
            .map(|c| c.label)
            .collect();
        let (options, state) = self
            .webauthn
            .start_registration(user_id.as_uuid(), user.email.as_str(), &user.contact_name, &existing)
            .map_err(DomainError::internal)?;
        let now = self.now();
        let challenge = Challenge {
            id: ChallengeId::new(),
            tenant_id: caller.tenant_id,
            user_id,
            kind: ChallengeKind::WebauthnRegistration,
            state: self.keys.seal_str(seal_purpose::WEBAUTHN_CEREMONY, &state),
            created_at: now,
            expires_at: now + WEBAUTHN_CEREMONY_TTL,
        };
        self.store.put_challenge(&challenge, None).await?;
        Ok(options)
    }

    /// Finishes the registration started by `start_webauthn_registration` with the browser's
    /// `PublicKeyCredential` JSON. The challenge is single-use, whatever the outcome.
    pub async fn finish_webauthn_registration(&self, caller: &Caller, response_json: &str) -> Result<()> {
        let user_id = self.self_user_id(caller)?;
        let now = self.now();
        let challenge = self.store.take_challenge(user_id, ChallengeKind::WebauthnRegistration, now).await?.ok_or_else(|| {
            DomainError::new(ErrorCode::WebauthnNoChallenge).detail("request a challenge first (it is valid for 5 minutes)")
        })?;
        let state = self.keys.unseal_string(seal_purpose::WEBAUTHN_CEREMONY, &challenge.state).map_err(DomainError::internal)?;
        let registered = self.webauthn.finish_registration(&state, response_json).map_err(|e| match e {
            keyhall_webauthn::WebauthnError::Malformed(d) => DomainError::invalid("webauthn_challenge_response", d),
            keyhall_webauthn::WebauthnError::Rejected(d) => DomainError::new(ErrorCode::WebauthnRejected).detail(d),
            other => DomainError::internal(other),
        })?;
        let credential = Credential::new(
            user_id,
            CredentialKind::Webauthn,
            self.keys.seal_str(seal_purpose::WEBAUTHN_CREDENTIAL, &registered.credential_json),
            registered.credential_id.clone(),
            now,
        );
        let audit = AuditEvent::new(caller, "mfa.webauthn_enable", "user", Some(user_id.to_string()), now)
            .with_details(serde_json::json!({ "credential_id": registered.credential_id }));
        self.store.add_credential(&credential, &audit).await
    }

    /// Removes every second factor of the calling user; returns how many were removed.
    pub async fn disable_mfa(&self, caller: &Caller) -> Result<u64> {
        let user_id = self.self_user_id(caller)?;
        let audit = AuditEvent::new(caller, "mfa.disable", "user", Some(user_id.to_string()), self.now());
        let removed = self.store.remove_second_factors(user_id, &audit).await?;
        self.forget_api_keys();
        Ok(removed)
    }
}

/// A TOTP secret generated for enrolment (shown once as a QR code and a URI).
#[derive(Debug, Clone)]
pub struct TotpEnrolment {
    pub secret_b32: keyhall_types::Secret<String>,
    pub otpauth_uri: String,
}

const TOTP_ENROLMENT_TTL: time::Duration = time::Duration::hours(1);

impl Core {
    /// Generates a TOTP secret for the user to scan; it becomes their second factor once
    /// `confirm_totp_enrolment` sees a valid code for it.
    pub async fn start_totp_enrolment(&self, caller: &Caller, issuer: &str) -> Result<TotpEnrolment> {
        let user = self.current_user(caller).await?;
        if self.has_totp(user.id).await? {
            return Err(DomainError::new(ErrorCode::TotpAlreadyEnabled));
        }
        let secret = totp::generate_secret();
        let now = self.now();
        let challenge = Challenge {
            id: ChallengeId::new(),
            tenant_id: user.tenant_id,
            user_id: user.id,
            kind: ChallengeKind::TotpEnrolment,
            state: self.keys.seal_str(seal_purpose::TOTP_SEED, &secret),
            created_at: now,
            expires_at: now + TOTP_ENROLMENT_TTL,
        };
        self.store.put_challenge(&challenge, None).await?;
        let uri = totp::otpauth_uri(issuer, user.email.as_str(), &secret, &TotpParams::default());
        Ok(TotpEnrolment { secret_b32: keyhall_types::Secret::new(secret), otpauth_uri: uri })
    }

    /// Turns the pending secret into the user's TOTP credential if `code` is valid for it.
    pub async fn confirm_totp_enrolment(&self, caller: &Caller, code: &str) -> Result<()> {
        let user = self.current_user(caller).await?;
        if self.has_totp(user.id).await? {
            return Err(DomainError::new(ErrorCode::TotpAlreadyEnabled));
        }
        let now = self.now();
        let pending = self
            .store
            .take_challenge(user.id, ChallengeKind::TotpEnrolment, now)
            .await?
            .ok_or_else(|| DomainError::new(ErrorCode::TotpInvalidCode).field("code"))?;
        let secret_b32 = self.keys.unseal_string(seal_purpose::TOTP_SEED, &pending.state).map_err(DomainError::internal)?;
        let secret = totp::decode_secret(&secret_b32).ok_or_else(|| DomainError::internal("stored TOTP secret is unreadable"))?;
        let Some(step) = totp::verify(&TotpParams::default(), &secret, code, unix(now)) else {
            // A wrong code must not cost the user their QR code: keep it pending.
            self.store.put_challenge(&pending, None).await?;
            return Err(DomainError::new(ErrorCode::TotpInvalidCode).field("code"));
        };
        let mut credential =
            Credential::new(user.id, CredentialKind::Totp, self.keys.seal(seal_purpose::TOTP_SEED, &secret), String::new(), now);
        credential.used_steps = vec![step as i64];
        let audit = AuditEvent::new(caller, "mfa.totp_enable", "user", Some(user.id.to_string()), now)
            .with_details(serde_json::json!({ "topic": "otp" }));
        self.store.replace_totp(&credential, &audit).await?;
        self.forget_api_keys();
        Ok(())
    }

    /// Disables TOTP after checking a current code; the user's API keys stop working.
    pub async fn disable_totp_with_code(&self, caller: &Caller, code: &str) -> Result<()> {
        let user = self.current_user(caller).await?;
        if !self.has_totp(user.id).await? {
            return Err(DomainError::new(ErrorCode::TotpNotEnabled));
        }
        self.verify_totp(user.id, code).await?;
        let now = self.now();
        let audit = AuditEvent::new(caller, "mfa.disable", "user", Some(user.id.to_string()), now)
            .with_details(serde_json::json!({ "topic": "otp" }));
        self.store.remove_second_factors(user.id, &audit).await?;
        self.store.deactivate_api_keys(user.id, now).await?;
        self.forget_api_keys();
        Ok(())
    }
}
