//! The server's key pair for the 1Kosmos envelope (ECDH + AES-GCM, see
//! `keyhall_crypto::envelope`), one per curve. Made on first use and kept sealed under the
//! master key in the installation settings, so that every node sharing the database answers
//! with the same public key and can read what was encrypted for any of them.

use std::sync::Arc;

use keyhall_crypto::envelope::{Curve, EnvelopeKey};
use tokio::sync::OnceCell;

use super::Auth;
use crate::error::{DomainError, Result};

const SEAL_PURPOSE: &str = "envelope_key";

#[derive(Default)]
pub struct EnvelopeKeyState {
    secp256k1: OnceCell<Arc<EnvelopeKey>>,
    p256: OnceCell<Arc<EnvelopeKey>>,
}

impl Auth<'_> {
    /// The server's envelope key on `curve`, loaded (or created) on first use.
    pub async fn envelope_key(self, curve: Curve) -> Result<Arc<EnvelopeKey>> {
        let cell = match curve {
            Curve::Secp256k1 => &self.core.envelope_keys.secp256k1,
            Curve::P256 => &self.core.envelope_keys.p256,
        };
        cell.get_or_try_init(|| self.load_envelope_key(curve)).await.cloned()
    }

    async fn load_envelope_key(self, curve: Curve) -> Result<Arc<EnvelopeKey>> {
        let setting = format!("envelope_key.{}", curve.name());
        let sealed = match self.core.store.get_setting(&setting).await? {
            Some(sealed) => sealed,
            None => {
                // Nodes starting together may each make one: the first stored wins, and every
                // node reads that one back.
                let made = EnvelopeKey::generate(curve);
                let sealed = self.core.keys.seal_str(SEAL_PURPOSE, &made.private_base64());
                let stored = self.core.store.put_setting_if_absent(&setting, &sealed, self.core.now()).await?;
                if stored == sealed {
                    tracing::info!(curve = curve.name(), public_key = %made.public_base64(), "created the envelope key");
                }
                stored
            }
        };
        let private = self.core.keys.unseal_string(SEAL_PURPOSE, &sealed).map_err(DomainError::internal)?;
        let key = EnvelopeKey::from_private_base64(curve, &private).map_err(DomainError::internal)?;
        Ok(Arc::new(key))
    }
}
