//! Pure cryptographic building blocks: password hashing, one-time passwords, sealing of
//! recoverable secrets under the master key, API-token digests, and the 1Kosmos envelope
//! (ECDH + AES-GCM). No I/O, no storage, no HTTP.

pub mod certificate;
pub mod envelope;
mod gcm_base64;
#[cfg(target_arch = "x86_64")]
mod gcm_simd;
pub mod jwt;
pub mod password;
pub mod random;
pub mod seal;
pub mod token;
pub mod totp;

/// Compares two byte strings in constant time (for the same length).
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.ct_eq(b))
}
