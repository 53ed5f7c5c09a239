//! Password hashing with argon2id (PHC strings). Parameters are OWASP's recommendation
//! (m = 19 MiB, t = 2, p = 1); verification reads the parameters stored in the hash, so they
//! can be raised later without breaking existing credentials.

use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};

#[derive(Debug, thiserror::Error)]
#[error("password hashing failed")]
pub struct HashError;

fn hasher() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).expect("static argon2 parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes `password` with a fresh 16-byte random salt; returns the PHC string.
pub fn hash_password(password: &str) -> Result<String, HashError> {
    let salt = crate::random::bytes::<16>();
    hasher().hash_password_with_salt(password.as_bytes(), &salt).map(|h| h.to_string()).map_err(|_| HashError)
}

/// True when `password` matches the PHC string `phc`. A malformed hash never matches.
pub fn verify_password(phc: &str, password: &str) -> bool {
    hasher().verify_password(password.as_bytes(), phc).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_then_verify() {
        let phc = hash_password("Correct-Horse-9").unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify_password(&phc, "Correct-Horse-9"));
        assert!(!verify_password(&phc, "correct-horse-9"));
        assert!(!verify_password("not a hash", "Correct-Horse-9"));
    }

    #[test]
    fn salts_differ() {
        assert_ne!(hash_password("same").unwrap(), hash_password("same").unwrap());
    }
}
