//! Opaque API tokens. A token is 43 random alphanumeric characters (≈ 256 bits) after a short
//! readable prefix; only its SHA-256 digest is stored. SHA-256 (not argon2) is right here:
//! the input already has full entropy, so a slow hash would buy nothing and cost every request.

use sha2::{Digest, Sha256};

/// Characters of a token shown in listings after masking.
pub const VISIBLE_PREFIX: usize = 8;

/// A new secret token, e.g. `kh_3q7Z…`.
pub fn generate(prefix: &str) -> String {
    format!("{prefix}{}", crate::random::alphanumeric(43))
}

/// The digest under which a token is stored and looked up (lower-case hex).
pub fn digest(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// The form shown in listings: the first characters, then asterisks.
pub fn mask(visible: &str) -> String {
    format!("{visible}{}", "*".repeat(24))
}

pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_is_sha256_hex() {
        // FIPS 180-2 test vector.
        assert_eq!(digest("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }

    #[test]
    fn generated_tokens_are_long_and_distinct() {
        let a = generate("kh_");
        assert!(a.starts_with("kh_") && a.len() == 46);
        assert_ne!(a, generate("kh_"));
        assert_eq!(mask(&a[..VISIBLE_PREFIX]).len(), VISIBLE_PREFIX + 24);
    }
}
