//! Self-signed X.509 certificates (RSA keys, signed with SHA-256/384/512), as an identity
//! provider's SAML signing and encryption keys need them.

use rsa::pkcs8::EncodePrivateKey;

/// RSA modulus sizes offered: 2048 and up (1024-bit keys are breakable and refused).
pub const KEY_SIZES: &[usize] = &[2048, 3072, 4096];
/// Signature digests offered, by their usual names.
pub const DIGESTS: &[&str] = &["sha256", "sha384", "sha512"];

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CertificateError {
    #[error("keySize must be one of 2048, 3072, 4096")]
    KeySize,
    #[error("algorithm must be one of sha256, sha384, sha512")]
    Digest,
    #[error("expirationDays must be 1 to 3650")]
    Days,
    #[error("the certificate could not be made")]
    Failed,
}

impl CertificateError {
    /// The request field a refusal is about, and what it must be (`None`: not the request's fault).
    pub fn rule(&self) -> Option<(&'static str, &'static str)> {
        match self {
            CertificateError::KeySize => Some(("keySize", "must be one of 2048, 3072, 4096")),
            CertificateError::Digest => Some(("algorithm", "must be one of sha256, sha384, sha512")),
            CertificateError::Days => Some(("expirationDays", "must be 1 to 3650")),
            CertificateError::Failed => None,
        }
    }
}

/// A certificate, its private key (PKCS#8 PEM) and the certificate's fingerprints (hex).
#[derive(Clone)]
pub struct SelfSigned {
    pub cert_pem: String,
    pub private_key_pem: String,
    pub sha1: String,
    pub sha256: String,
    pub sha384: String,
    pub sha512: String,
    pub not_after: time::OffsetDateTime,
}

impl std::fmt::Debug for SelfSigned {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SelfSigned").field("sha256", &self.sha256).field("not_after", &self.not_after).finish_non_exhaustive()
    }
}

/// Makes an RSA key of `key_bits` and a certificate for `common_name` it signs itself with
/// `digest`, valid from now for `days`.
pub fn self_signed(
    key_bits: usize,
    digest: &str,
    days: i64,
    common_name: &str,
    now: time::OffsetDateTime,
) -> Result<SelfSigned, CertificateError> {
    if !KEY_SIZES.contains(&key_bits) {
        return Err(CertificateError::KeySize);
    }
    let algorithm = match digest.to_ascii_lowercase().replace('-', "").as_str() {
        "sha256" => &rcgen::PKCS_RSA_SHA256,
        "sha384" => &rcgen::PKCS_RSA_SHA384,
        "sha512" => &rcgen::PKCS_RSA_SHA512,
        _ => return Err(CertificateError::Digest),
    };
    if !(1..=3650).contains(&days) {
        return Err(CertificateError::Days);
    }
    let private = rsa::RsaPrivateKey::new(&mut rand::rng(), key_bits).map_err(|_| CertificateError::Failed)?;
    let pem = private.to_pkcs8_pem(rsa::pkcs8::LineEnding::LF).map_err(|_| CertificateError::Failed)?;
    let key = rcgen::KeyPair::from_pkcs8_pem_and_sign_algo(&pem, algorithm).map_err(|_| CertificateError::Failed)?;
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).map_err(|_| CertificateError::Failed)?;
    params.distinguished_name = rcgen::DistinguishedName::new();
    params.distinguished_name.push(rcgen::DnType::CommonName, common_name);
    params.not_before = now - time::Duration::minutes(5);
    params.not_after = now + time::Duration::days(days);
    params.serial_number = Some(rcgen::SerialNumber::from_slice(&crate::random::bytes::<16>()));
    let cert = params.self_signed(&key).map_err(|_| CertificateError::Failed)?;
    let bytes = cert.der().as_ref();
    Ok(SelfSigned {
        cert_pem: cert.pem(),
        private_key_pem: key.serialize_pem(),
        sha1: hex::encode(<sha1::Sha1 as sha1::Digest>::digest(bytes)),
        sha256: hex::encode(<sha2::Sha256 as sha2::Digest>::digest(bytes)),
        sha384: hex::encode(<sha2::Sha384 as sha2::Digest>::digest(bytes)),
        sha512: hex::encode(<sha2::Sha512 as sha2::Digest>::digest(bytes)),
        not_after: params.not_after,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_certificate_is_signed_by_its_own_key_and_sizes_are_checked() {
        let now = time::OffsetDateTime::now_utc();
        let made = self_signed(2048, "SHA-384", 30, "idp.example.com", now).unwrap();
        assert!(made.cert_pem.starts_with("-----BEGIN CERTIFICATE-----"));
        assert!(made.private_key_pem.starts_with("-----BEGIN PRIVATE KEY-----"));
        assert_eq!((made.sha1.len(), made.sha256.len(), made.sha512.len()), (40, 64, 128));
        assert!(made.not_after > now + time::Duration::days(29));
        assert_eq!(self_signed(1024, "sha256", 30, "x", now).unwrap_err(), CertificateError::KeySize);
        assert_eq!(self_signed(2048, "md5", 30, "x", now).unwrap_err(), CertificateError::Digest);
        assert_eq!(self_signed(2048, "sha256", 0, "x", now).unwrap_err(), CertificateError::Days);
    }
}
