//! The WebAuthn relying party, a thin wrapper around webauthn-rs that speaks JSON strings so
//! that nothing above it depends on webauthn-rs types. The ceremony state returned by `start_*`
//! is an opaque JSON document the caller must keep server-side (it holds the challenge) and
//! hand back to `finish_*`.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use url::Url;
use uuid::Uuid;
use webauthn_rs::prelude::{CredentialID, Passkey, PasskeyRegistration, RegisterPublicKeyCredential, Webauthn, WebauthnBuilder};

#[derive(Debug, thiserror::Error)]
pub enum WebauthnError {
    #[error("invalid relying-party configuration: {0}")]
    Config(String),
    #[error("the credential response is not valid JSON of the expected shape: {0}")]
    Malformed(String),
    #[error("the credential was rejected: {0}")]
    Rejected(String),
    #[error("stored ceremony state is unreadable")]
    State,
}

/// A credential that completed registration.
#[derive(Debug, Clone)]
pub struct RegisteredCredential {
    /// The credential id, base64url without padding.
    pub credential_id: String,
    /// The stored form of the credential (public key, counter, flags) as JSON.
    pub credential_json: String,
}

pub struct RelyingParty {
    inner: Webauthn,
}

impl std::fmt::Debug for RelyingParty {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RelyingParty")
    }
}

impl RelyingParty {
    /// `origin` is the URL the browser sees (e.g. `https://id.example.com`); the relying-party
    /// id is its host.
    pub fn new(origin: &str, rp_name: &str) -> Result<Self, WebauthnError> {
        let url = Url::parse(origin).map_err(|e| WebauthnError::Config(e.to_string()))?;
        let rp_id = url.host_str().ok_or_else(|| WebauthnError::Config("origin has no host".into()))?.to_string();
        let inner = WebauthnBuilder::new(&rp_id, &url)
            .map_err(|e| WebauthnError::Config(e.to_string()))?
            .rp_name(rp_name)
            .build()
            .map_err(|e| WebauthnError::Config(e.to_string()))?;
        Ok(Self { inner })
    }

    /// Starts a registration ceremony. Returns the `PublicKeyCredentialCreationOptions` the
    /// browser needs (as JSON) and the state to keep server-side.
    pub fn start_registration(
        &self,
        user_id: Uuid,
        user_name: &str,
        display_name: &str,
        existing_credential_ids: &[String],
    ) -> Result<(String, String), WebauthnError> {
        let exclude: Vec<CredentialID> =
            existing_credential_ids.iter().filter_map(|id| URL_SAFE_NO_PAD.decode(id).ok()).collect();
        let exclude = (!exclude.is_empty()).then_some(exclude);
        let (options, state) = self
            .inner
            .start_passkey_registration(user_id, user_name, display_name, exclude)
            .map_err(|e| WebauthnError::Config(e.to_string()))?;
        let options = serde_json::to_string(&options).map_err(|_| WebauthnError::State)?;
        let state = serde_json::to_string(&state).map_err(|_| WebauthnError::State)?;
        Ok((options, state))
    }

    /// Verifies the browser's `PublicKeyCredential` (JSON) against the kept state: challenge,
    /// origin, relying-party id hash, flags and attestation.
    pub fn finish_registration(&self, state_json: &str, response_json: &str) -> Result<RegisteredCredential, WebauthnError> {
        let state: PasskeyRegistration = serde_json::from_str(state_json).map_err(|_| WebauthnError::State)?;
        let response: RegisterPublicKeyCredential =
            serde_json::from_str(response_json).map_err(|e| WebauthnError::Malformed(e.to_string()))?;
        let passkey: Passkey =
            self.inner.finish_passkey_registration(&response, &state).map_err(|e| WebauthnError::Rejected(e.to_string()))?;
        let credential_id = URL_SAFE_NO_PAD.encode(passkey.cred_id());
        let credential_json = serde_json::to_string(&passkey).map_err(|_| WebauthnError::State)?;
        Ok(RegisteredCredential { credential_id, credential_json })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_carry_rp_user_and_challenge() {
        let rp = RelyingParty::new("http://localhost:8080", "keyhall").unwrap();
        let (options, state) = rp.start_registration(Uuid::now_v7(), "a@example.com", "Alice", &[]).unwrap();
        let v: serde_json::Value = serde_json::from_str(&options).unwrap();
        assert_eq!(v["publicKey"]["rp"]["id"], "localhost");
        assert_eq!(v["publicKey"]["user"]["name"], "a@example.com");
        assert!(v["publicKey"]["challenge"].as_str().unwrap().len() >= 32);
        assert!(!state.is_empty());
    }

    #[test]
    fn garbage_response_is_malformed() {
        let rp = RelyingParty::new("http://localhost:8080", "keyhall").unwrap();
        let (_, state) = rp.start_registration(Uuid::now_v7(), "a@example.com", "Alice", &[]).unwrap();
        assert!(matches!(rp.finish_registration(&state, "{}"), Err(WebauthnError::Malformed(_))));
    }
}
