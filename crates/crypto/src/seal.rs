//! Sealing of secrets that must be recovered later (TOTP seeds, HMAC secrets, signing keys,
//! third-party passwords): AES-256-GCM under the master key, with a fresh 96-bit nonce per
//! value and the value's purpose as associated data, so a sealed TOTP seed cannot be replayed
//! as, say, a sealed SMTP password.
//!
//! Format: `v1.` + base64url(nonce ‖ ciphertext ‖ tag).

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

const PREFIX: &str = "v1.";

fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; 32] {
    use hmac::{KeyInit as _, Mac};
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(data);
    mac.finalize().into_bytes().into()
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SealError {
    #[error("the master key must be 32 bytes")]
    BadKey,
    #[error("sealed value is malformed or was not sealed under this key")]
    Unseal,
}

/// The 256-bit master key. `Debug` never prints it.
#[derive(Clone)]
pub struct MasterKey {
    cipher: Aes256Gcm,
    /// Derived from the key (never the key itself) for authentication codes.
    mac_key: [u8; 32],
}

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey(***)")
    }
}

impl MasterKey {
    pub fn from_bytes(key: &[u8]) -> Result<Self, SealError> {
        let cipher = Aes256Gcm::new_from_slice(key).map_err(|_| SealError::BadKey)?;
        let mac_key = hmac_sha256(key, b"keyhall mac key");
        Ok(Self { cipher, mac_key })
    }

    /// Parses the text form kept in the key file or `KEYHALL_MASTER_KEY`: 64 hex digits or
    /// base64 (standard or URL-safe, padded or not) of 32 bytes.
    pub fn from_text(text: &str) -> Result<Self, SealError> {
        let text = text.trim();
        let bytes = if text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
            hex::decode(text).map_err(|_| SealError::BadKey)?
        } else {
            let cleaned: String = text.trim_end_matches('=').replace('+', "-").replace('/', "_");
            URL_SAFE_NO_PAD.decode(cleaned).map_err(|_| SealError::BadKey)?
        };
        Self::from_bytes(&bytes)
    }

    /// An authentication code for `data` (e.g. a signed URL), bound to `purpose` and to this
    /// master key: HMAC-SHA256 under a key derived from it.
    pub fn mac(&self, purpose: &str, data: &[u8]) -> [u8; 32] {
        let mut message = Vec::with_capacity(purpose.len() + 1 + data.len());
        message.extend_from_slice(purpose.as_bytes());
        message.push(0);
        message.extend_from_slice(data);
        hmac_sha256(&self.mac_key, &message)
    }

    /// A new random key and its text form (hex).
    pub fn generate() -> (Self, String) {
        let bytes = crate::random::bytes::<32>();
        let key = Self::from_bytes(&bytes).expect("32 bytes");
        (key, hex::encode(bytes))
    }

    pub fn seal(&self, purpose: &str, plaintext: &[u8]) -> String {
        let nonce_bytes = crate::random::bytes::<12>();
        let nonce = Nonce::try_from(&nonce_bytes[..]).expect("12-byte nonce");
        let ciphertext = self
            .cipher
            .encrypt(&nonce, Payload { msg: plaintext, aad: purpose.as_bytes() })
            .expect("AES-GCM encryption of an in-memory buffer cannot fail");
        let mut out = Vec::with_capacity(12 + ciphertext.len());
        out.extend_from_slice(&nonce_bytes);
        out.extend_from_slice(&ciphertext);
        format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(out))
    }

    pub fn unseal(&self, purpose: &str, sealed: &str) -> Result<Vec<u8>, SealError> {
        let body = sealed.strip_prefix(PREFIX).ok_or(SealError::Unseal)?;
        let raw = URL_SAFE_NO_PAD.decode(body).map_err(|_| SealError::Unseal)?;
        if raw.len() < 12 + 16 {
            return Err(SealError::Unseal);
        }
        let (nonce_bytes, ciphertext) = raw.split_at(12);
        let nonce = Nonce::try_from(nonce_bytes).map_err(|_| SealError::Unseal)?;
        self.cipher.decrypt(&nonce, Payload { msg: ciphertext, aad: purpose.as_bytes() }).map_err(|_| SealError::Unseal)
    }

    pub fn seal_str(&self, purpose: &str, plaintext: &str) -> String {
        self.seal(purpose, plaintext.as_bytes())
    }

    pub fn unseal_string(&self, purpose: &str, sealed: &str) -> Result<String, SealError> {
        String::from_utf8(self.unseal(purpose, sealed)?).map_err(|_| SealError::Unseal)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn macs_are_bound_to_key_and_purpose() {
        let (key, text) = MasterKey::generate();
        let mac = key.mac("upload", b"doc-1:1700000000");
        assert_eq!(mac, MasterKey::from_text(&text).unwrap().mac("upload", b"doc-1:1700000000"));
        assert_ne!(mac, key.mac("upload", b"doc-1:1700000001"));
        assert_ne!(mac, key.mac("other", b"doc-1:1700000000"));
        assert_ne!(mac, MasterKey::generate().0.mac("upload", b"doc-1:1700000000"));
    }

    #[test]
    fn round_trip_and_purpose_binding() {
        let (key, text) = MasterKey::generate();
        let sealed = key.seal("totp", b"JBSWY3DPEHPK3PXP");
        assert!(sealed.starts_with("v1."));
        assert!(!sealed.contains("JBSWY3DPEHPK3PXP"));
        assert_eq!(key.unseal("totp", &sealed).unwrap(), b"JBSWY3DPEHPK3PXP");
        assert_eq!(key.unseal("smtp", &sealed), Err(SealError::Unseal));
        let same = MasterKey::from_text(&text).unwrap();
        assert_eq!(same.unseal("totp", &sealed).unwrap(), b"JBSWY3DPEHPK3PXP");
        let (other, _) = MasterKey::generate();
        assert_eq!(other.unseal("totp", &sealed), Err(SealError::Unseal));
    }

    #[test]
    fn nonces_differ_and_tampering_fails() {
        let (key, _) = MasterKey::generate();
        let a = key.seal("p", b"x");
        assert_ne!(a, key.seal("p", b"x"));
        let mut tampered = a.clone().into_bytes();
        let last = tampered.len() - 2;
        tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
        assert!(key.unseal("p", std::str::from_utf8(&tampered).unwrap()).is_err());
    }

    #[test]
    fn key_text_forms() {
        let hex_key = "00".repeat(32);
        assert!(MasterKey::from_text(&hex_key).is_ok());
        assert!(MasterKey::from_text("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=").is_ok());
        assert_eq!(MasterKey::from_text("short").unwrap_err(), SealError::BadKey);
    }
}
