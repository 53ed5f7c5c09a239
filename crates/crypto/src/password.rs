//! Password hashing with argon2id (PHC strings). Parameters are OWASP's recommendation
//! (m = 19 MiB, t = 2, p = 1); verification reads the parameters stored in the hash, so they
//! can be raised later without breaking existing credentials.
//!
//! Each thread keeps its 19 MiB working memory between hashes: allocating it afresh costs a
//! page fault per 4 KiB page every time, about a tenth of the hash.

use std::cell::RefCell;

use argon2::password_hash::phc::{Output, ParamsString, PasswordHash, Salt};
use argon2::{Algorithm, Argon2, Block, Params, Version};

#[derive(Debug, thiserror::Error)]
#[error("password hashing failed")]
pub struct HashError;

thread_local! {
    static MEMORY: RefCell<Vec<Block>> = const { RefCell::new(Vec::new()) };
}

fn params() -> Params {
    Params::new(19 * 1024, 2, 1, None).expect("static argon2 parameters are valid")
}

/// Runs argon2 with this thread's reusable memory.
fn compute(params: Params, password: &[u8], salt: &[u8], out: &mut [u8]) -> Result<(), HashError> {
    let blocks = params.block_count();
    let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
    MEMORY.with(|m| {
        let mut memory = m.borrow_mut();
        if memory.len() < blocks {
            memory.resize(blocks, Block::default());
        }
        argon.hash_password_into_with_memory(password, salt, out, &mut memory[..blocks]).map_err(|_| HashError)
    })
}

/// Hashes `password` with a fresh 16-byte random salt; returns the PHC string.
pub fn hash_password(password: &str) -> Result<String, HashError> {
    let salt = crate::random::bytes::<16>();
    let params = params();
    let mut out = [0u8; 32];
    compute(params.clone(), password.as_bytes(), &salt, &mut out)?;
    let hash = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params).map_err(|_| HashError)?,
        salt: Some(Salt::new(&salt).map_err(|_| HashError)?),
        hash: Some(Output::new(&out).map_err(|_| HashError)?),
    };
    Ok(hash.to_string())
}

/// True when `password` matches the PHC string `phc`. A malformed hash, or one of another
/// algorithm, never matches.
pub fn verify_password(phc: &str, password: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(phc) else {
        return false;
    };
    if parsed.algorithm != Algorithm::Argon2id.ident() {
        return false;
    }
    let (Ok(params), Some(salt), Some(expected)) = (Params::try_from(&parsed), parsed.salt.as_ref(), parsed.hash.as_ref()) else {
        return false;
    };
    let mut out = vec![0u8; expected.len()];
    match compute(params, password.as_bytes(), salt.as_ref(), &mut out) {
        Ok(()) => crate::constant_time_eq(&out, expected.as_ref()),
        Err(_) => false,
    }
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

    #[test]
    fn reference_hash_from_another_implementation() {
        // Produced by the argon2-cffi reference binding (Python) for "password" with
        // m=19456, t=2, p=1 and the salt "c29tZXNhbHQxMjM0NTY3OA" (base64 of "somesalt12345678").
        let phc = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHQxMjM0NTY3OA$DEwLbbIZGUtgBuB4gYok6r6hNvevYZoxkwMQ5/LXSaU";
        let ours = {
            let salt = b"somesalt12345678";
            let mut out = [0u8; 32];
            compute(params(), b"password", salt, &mut out).unwrap();
            out
        };
        let parsed = PasswordHash::new(phc).unwrap();
        assert_eq!(parsed.hash.unwrap().as_ref(), &ours, "argon2id output differs from the reference");
        assert!(verify_password(phc, "password"));
    }
}
