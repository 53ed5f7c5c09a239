//! What a signed-in user holds: devices (the security keys registered on any face), login
//! options, the managed wallet (opened with an 8-character PIN), its documents and identity
//! assurance level, and the account OTP (a TOTP of a seed of the account's own).

use keyhall_types::CredentialId;
use serde_json::{Value, json};

use super::{Adminx, Member, Scope, SignedInCaller};
use crate::audit::AuditEvent;
use crate::credentials::{Credential, CredentialKind};
use crate::error::{DomainError, ErrorCode, Result};
use crate::ports::{UnitOfWork, Write};

/// The identity assurance level of a user whose identity no document proved yet.
pub const BASELINE_IAL: i64 = 1;

impl Adminx<'_> {
    /// The user's devices: its registered security keys (WebAuthn credentials).
    pub async fn devices(self, member: &Member) -> Result<Vec<Value>> {
        let credentials = self.core.store.list_credentials(member.user.id).await?;
        Ok(credentials
            .iter()
            .filter(|c| c.kind == CredentialKind::Webauthn)
            .map(|c| {
                json!({
                    "uid": member.user.id.to_string(),
                    "did": c.id.to_string(),
                    "id": c.id.to_string(),
                    "os": "",
                    "publickey": "",
                    "deviceName": if c.label.is_empty() { "Security key".to_string() } else { c.label.clone() },
                    "authenticatorId": c.label,
                    "authenticatorName": "security key",
                    "authenticatorVersion": "",
                    "clientIp": "",
                    "userAgent": "",
                    "updatedTS": c.updated_at.unix_timestamp(),
                })
            })
            .collect())
    }

    /// Whether the user `username` of the community named by tenant tag and name has a
    /// security key (an unknown user has none).
    pub async fn has_security_key(self, tenant_tag: &str, community: &str, username: &str) -> Result<bool> {
        let Some(domain) = self.core.store.tenant_domain_by_tag(tenant_tag.trim()).await? else { return Ok(false) };
        let Some(community) = self.community_by_name(domain.tenant_id, community).await? else { return Ok(false) };
        let Some(member) = self.member_by_username(community.id, username).await? else { return Ok(false) };
        Ok(!self.devices(&member).await?.is_empty())
    }

    /// Removes one of a user's devices (the caller's own, or, for an administrator, anyone's
    /// in the community).
    pub async fn unlink_device(self, caller: &SignedInCaller, member: &Member, did: &str) -> Result<()> {
        if member.user.id != caller.user_id() {
            caller.require_admin()?;
            caller.require_over(member)?;
        }
        let id = CredentialId::parse(did.trim()).ok_or_else(|| DomainError::new(ErrorCode::CredentialNotFound))?;
        let known = self
            .core
            .store
            .list_credentials(member.user.id)
            .await?
            .iter()
            .any(|c| c.id == id && c.kind == CredentialKind::Webauthn);
        if !known {
            return Err(DomainError::new(ErrorCode::CredentialNotFound));
        }
        let audit =
            AuditEvent::new(&caller.caller, "E_DEVICE_UNLINKED", "user", Some(member.user.id.to_string()), self.core.now())
                .with_details(json!({ "did": did }));
        self.commit(UnitOfWork::new().write(Write::DeleteCredential { user: member.user.id, id }).audit(audit)).await
    }

    async fn wallet_pin(self, caller: &SignedInCaller) -> Result<Option<Credential>> {
        Ok(self.core.store.list_credentials(caller.user_id()).await?.into_iter().find(|c| c.kind == CredentialKind::WalletPin))
    }

    pub async fn has_wallet(self, caller: &SignedInCaller) -> Result<bool> {
        Ok(self.wallet_pin(caller).await?.is_some())
    }

    /// Creates the caller's managed wallet under `pin` (8 letters or digits): `pin.exists`
    /// when there is one.
    pub async fn create_wallet(self, caller: &SignedInCaller, pin: &str) -> Result<()> {
        if pin.chars().count() != 8 || !pin.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(DomainError::invalid("pin", "must be 8 letters or digits"));
        }
        if self.has_wallet(caller).await? {
            return Err(DomainError::new(ErrorCode::PinExists).detail("The wallet exists already"));
        }
        let phc = self.core.passwords.hash(pin).await?;
        let now = self.core.now();
        let credential = Credential::new(caller.user_id(), CredentialKind::WalletPin, phc, String::new(), now);
        let audit = AuditEvent::new(&caller.caller, "E_WALLET_CREATED", "user", Some(caller.user_id().to_string()), now);
        self.commit(UnitOfWork::new().write(Write::InsertCredential(credential)).audit(audit)).await
    }

    /// Opens the caller's wallet: the PIN is a guess, counted and locked like a password.
    pub async fn open_wallet(self, caller: &SignedInCaller, pin: &str) -> Result<()> {
        let stored = self.wallet_pin(caller).await?.ok_or_else(|| DomainError::new(ErrorCode::CredentialNotFound))?;
        let key = format!("wallet:{}", caller.user_id());
        let guess = self.core.auth().guess_on(&key, || self.core.credentials().verify_phc(Some(&stored.secret), pin)).await?;
        if guess.checked(self.core.now())? { Ok(()) } else { Err(DomainError::invalid("pin", "is not the wallet's PIN")) }
    }

    /// A fresh token for the caller's session (the wallet calls answer one).
    pub async fn refreshed_token(self, caller: &SignedInCaller) -> Result<String> {
        let session =
            self.core.auth().live_session(caller.session).await?.ok_or_else(|| DomainError::new(ErrorCode::InvalidToken))?;
        let idle =
            self.session_idle(Scope { tenant: caller.member.user.tenant_id, community: caller.member.community_id }).await?;
        self.sign_token(&caller.member, &session, idle).await
    }

    /// The account OTP: a TOTP of the account's own seed (never a sign-in factor).
    pub async fn account_otp(self, caller: &SignedInCaller) -> Result<(String, i64)> {
        self.core.credentials().account_otp(caller.user_id()).await
    }
}
