//! WebAuthn registration: the ceremony's state waits server-side (sealed) between the
//! options and the browser's answer.

use keyhall_types::ChallengeId;

use super::challenges::{Challenge, ChallengeKind};
use super::{Credential, CredentialKind, Credentials, seal_purpose};
use crate::audit::AuditEvent;
use crate::context::Caller;
use crate::error::{DomainError, ErrorCode, Result};
use crate::ports::{UnitOfWork, Write};

const WEBAUTHN_CEREMONY_TTL: time::Duration = time::Duration::minutes(5);

impl Credentials<'_> {
    /// Starts a WebAuthn registration for the calling user; returns the
    /// `PublicKeyCredentialCreationOptions` JSON. The ceremony state is kept server-side.
    pub async fn start_webauthn_registration(self, caller: &Caller) -> Result<String> {
        let user_id = self.self_user_id(caller)?;
        let user = self.core.identity().user(caller, user_id).await?;
        let existing: Vec<String> = self
            .core
            .store
            .list_credentials(user_id)
            .await?
            .into_iter()
            .filter(|c| c.kind == CredentialKind::Webauthn)
            .map(|c| c.label)
            .collect();
        let (options, state) = self
            .core
            .webauthn
            .start_registration(user_id.as_uuid(), user.email.as_str(), &user.contact_name, &existing)
            .map_err(DomainError::internal)?;
        let now = self.core.now();
        let challenge = Challenge {
            id: ChallengeId::new(),
            tenant_id: caller.tenant_id(),
            user_id,
            kind: ChallengeKind::WebauthnRegistration,
            state: self.core.keys.seal_str(seal_purpose::WEBAUTHN_CEREMONY, &state),
            created_at: now,
            expires_at: now + WEBAUTHN_CEREMONY_TTL,
        };
        self.core.store.put_challenge(&challenge, None).await?;
        Ok(options)
    }

    /// Finishes the registration started by `start_webauthn_registration` with the browser's
    /// `PublicKeyCredential` JSON. The challenge is single-use, whatever the outcome.
    pub async fn finish_webauthn_registration(self, caller: &Caller, response_json: &str) -> Result<()> {
        let user_id = self.self_user_id(caller)?;
        let now = self.core.now();
        let challenge =
            self.core.store.take_challenge(user_id, ChallengeKind::WebauthnRegistration, now).await?.ok_or_else(|| {
                DomainError::new(ErrorCode::WebauthnNoChallenge).detail("request a challenge first (it is valid for 5 minutes)")
            })?;
        let state =
            self.core.keys.unseal_string(seal_purpose::WEBAUTHN_CEREMONY, &challenge.state).map_err(DomainError::internal)?;
        let registered = self.core.webauthn.finish_registration(&state, response_json).map_err(|e| match e {
            keyhall_webauthn::WebauthnError::Malformed(d) => DomainError::invalid("response", d),
            keyhall_webauthn::WebauthnError::Rejected(d) => DomainError::new(ErrorCode::WebauthnRejected).detail(d),
            other => DomainError::internal(other),
        })?;
        let credential = Credential::new(
            user_id,
            CredentialKind::Webauthn,
            self.core.keys.seal_str(seal_purpose::WEBAUTHN_CREDENTIAL, &registered.credential_json),
            registered.credential_id.clone(),
            now,
        );
        let audit = AuditEvent::new(caller, "mfa.webauthn_enable", "user", Some(user_id.to_string()), now)
            .with_details(serde_json::json!({ "credential_id": registered.credential_id }));
        self.core.store.commit(UnitOfWork::new().write(Write::InsertCredential(credential)).audit(audit)).await
    }
}
