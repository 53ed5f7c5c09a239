//! HMAC API keys (Barong's `kid`/`secret` pairs). A request proves possession of the secret by
//! signing `nonce ‖ kid` with HMAC-SHA256; the secret must therefore be recoverable and is
//! sealed under the master key. Creating, changing and deleting keys requires a TOTP code.

use hmac::{Hmac, KeyInit, Mac};
use keyhall_types::{TenantId, Timestamp, UserId};
use sha2::Sha256;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiKeyState {
    Active,
    Inactive,
}

impl ApiKeyState {
    pub fn as_str(self) -> &'static str {
        match self {
            ApiKeyState::Active => "active",
            ApiKeyState::Inactive => "inactive",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "active" => Some(ApiKeyState::Active),
            "inactive" => Some(ApiKeyState::Inactive),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKey {
    pub id: String,
    pub tenant_id: TenantId,
    /// The user or service account the key acts for.
    pub holder_id: UserId,
    /// 16 lower-case hex digits.
    pub kid: String,
    /// Only `HS256` is supported.
    pub algorithm: String,
    pub scope: Vec<String>,
    pub state: ApiKeyState,
    pub secret_sealed: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

pub const ALGORITHMS: &[&str] = &["HS256"];

/// `lowercase_hex(HMAC-SHA256(key = secret, message = nonce ‖ kid))`.
pub fn signature(secret: &str, nonce: &str, kid: &str) -> String {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(nonce.as_bytes());
    mac.update(kid.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

#[cfg(test)]
mod tests {
    #[test]
    fn signature_is_hmac_sha256_hex_of_nonce_then_kid() {
        // RFC 4231 test case 2, with the message split into "nonce" and "kid" parts.
        assert_eq!(
            super::signature("Jefe", "what do ya want ", "for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
