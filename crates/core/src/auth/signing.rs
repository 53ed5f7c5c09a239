//! The keys keyhall signs its tokens with. Created on first use (RS256 by default, ES256 if
//! configured), stored sealed in the database so every node of a cluster signs with the same
//! key, and published as a JWK set.

use std::sync::Arc;

use keyhall_crypto::jwt::{Algorithm, JwkSet, JwtSigner};
use serde_json::{Value, json};
use tokio::sync::OnceCell;

use super::Auth;
use crate::error::{DomainError, Result};
use crate::ports::StoredSigningKey;

const SEAL_PURPOSE: &str = "signing_key";

/// The loaded keys: the newest signs, all verify.
pub struct SigningKeys {
    pub active: Arc<JwtSigner>,
    pub all: Vec<Arc<JwtSigner>>,
    pub verifier: JwkSet,
    pub jwks: Value,
}

#[derive(Default)]
pub struct SigningState {
    keys: OnceCell<Arc<SigningKeys>>,
}

impl Auth<'_> {
    fn unseal_key(self, stored: &StoredSigningKey) -> Result<JwtSigner> {
        let alg = Algorithm::parse(&stored.algorithm).ok_or_else(|| DomainError::internal("unknown signing algorithm"))?;
        let der = self.core.keys.unseal(SEAL_PURPOSE, &stored.private_sealed).map_err(DomainError::internal)?;
        JwtSigner::from_pkcs8_der(alg, &stored.kid, &der).map_err(DomainError::internal)
    }

    async fn load_signing_keys(self) -> Result<Arc<SigningKeys>> {
        let wanted = self.core.settings.signing_algorithm;
        let mut stored = self.core.store.signing_keys().await?;
        if !stored.iter().any(|k| k.algorithm == wanted.name()) {
            let signer = tokio::task::spawn_blocking(move || JwtSigner::generate(wanted))
                .await
                .map_err(DomainError::internal)?
                .map_err(DomainError::internal)?;
            let key = StoredSigningKey {
                kid: signer.kid().to_string(),
                algorithm: wanted.name().to_string(),
                private_sealed: self.core.keys.seal(SEAL_PURPOSE, &signer.to_pkcs8_der()),
                created_at: self.core.now(),
            };
            self.core.store.insert_signing_key(&key).await?;
            tracing::info!(kid = %key.kid, algorithm = %key.algorithm, "created a token-signing key");
            stored = self.core.store.signing_keys().await?;
        }
        let mut all = Vec::new();
        for k in &stored {
            all.push(Arc::new(self.unseal_key(k)?));
        }
        // Nodes racing on an empty database may each create a key; everyone signs with the
        // newest of the wanted algorithm, and all of them verify.
        let active =
            all.iter().find(|k| k.algorithm() == wanted).cloned().ok_or_else(|| DomainError::internal("no signing key"))?;
        let jwks = json!({ "keys": all.iter().map(|k| k.public_jwk()).collect::<Vec<_>>() });
        let verifier = JwkSet::from_json(&jwks);
        Ok(Arc::new(SigningKeys { active, all, verifier, jwks }))
    }

    /// The signing keys, loaded (or created) on first use.
    pub async fn signing_keys(self) -> Result<Arc<SigningKeys>> {
        self.core.signing.keys.get_or_try_init(|| self.load_signing_keys()).await.cloned()
    }

    /// Signs `claims` with the active key.
    pub async fn sign_jwt(self, claims: &Value) -> Result<String> {
        Ok(self.signing_keys().await?.active.sign(claims))
    }

    /// The public keys as a JWK set document.
    pub async fn jwks(self) -> Result<Value> {
        Ok(self.signing_keys().await?.jwks.clone())
    }
}
