//! The 1Kosmos envelope, as 1Kosmos's own helper SDKs (Node, PHP, Java, Go) speak it: plain
//! ECDH on secp256k1 (or, where the deployment says so, P-256) between the caller's key and
//! the server's; the raw 32-byte X coordinate of the shared point is the AES-256 key (no KDF);
//! AES-256-GCM with a 16-byte random IV and no associated data; on the wire
//! `base64(IV ‖ ciphertext ‖ tag)`, standard alphabet with padding.
//!
//! Keys travel as standard base64: a private key is the 32-byte scalar (a leading zero byte,
//! as Java's `BigInteger` writes it, is accepted), a public key the 64-byte `X ‖ Y` of the
//! uncompressed point without its `04` prefix (accepted with it too).

use aes_gcm::aead::consts::U16;
use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{AesGcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use crate::gcm_base64::{GcmBase64, IV_LEN, TAG_LEN};

/// AES-256-GCM with the 16-byte nonce the vendor's SDKs use.
type Cipher = AesGcm<aes_gcm::aes::Aes256, U16>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Curve {
    Secp256k1,
    P256,
}

impl Curve {
    /// `secp256k1`, or `prime256v1` (OpenSSL's name for P-256, which the SDKs use).
    pub fn parse(name: &str) -> Option<Self> {
        match name.trim().to_ascii_lowercase().as_str() {
            "secp256k1" => Some(Curve::Secp256k1),
            "prime256v1" | "p-256" | "p256" | "secp256r1" => Some(Curve::P256),
            _ => None,
        }
    }

    /// The name `/environment` reports as `EC_CURVE_NAME`.
    pub fn name(self) -> &'static str {
        match self {
            Curve::Secp256k1 => "secp256k1",
            Curve::P256 => "prime256v1",
        }
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum EnvelopeError {
    #[error("not a private key of the curve")]
    BadPrivateKey,
    #[error("not a public key of the curve")]
    BadPublicKey,
    #[error("not an encrypted value for this key")]
    Undecryptable,
}

/// An EC key pair of the envelope's curve. `Debug` never prints the private key.
#[derive(Clone)]
pub enum EnvelopeKey {
    Secp256k1(k256::SecretKey),
    P256(p256::SecretKey),
}

impl std::fmt::Debug for EnvelopeKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "EnvelopeKey({}, {})", self.curve().name(), self.public_base64())
    }
}

fn decode(text: &str) -> Option<Vec<u8>> {
    STANDARD.decode(text.trim()).ok()
}

impl EnvelopeKey {
    pub fn generate(curve: Curve) -> Self {
        loop {
            let scalar = crate::random::bytes::<32>();
            // Almost every 32 bytes is a valid scalar; the loop only skips zero and values
            // past the group order.
            if let Ok(key) = Self::from_scalar(curve, &scalar) {
                return key;
            }
        }
    }

    fn from_scalar(curve: Curve, scalar: &[u8]) -> Result<Self, EnvelopeError> {
        let scalar = match scalar.len() {
            32 => scalar,
            33 if scalar[0] == 0 => &scalar[1..],
            _ => return Err(EnvelopeError::BadPrivateKey),
        };
        match curve {
            Curve::Secp256k1 => {
                k256::SecretKey::from_slice(scalar).map(Self::Secp256k1).map_err(|_| EnvelopeError::BadPrivateKey)
            }
            Curve::P256 => p256::SecretKey::from_slice(scalar).map(Self::P256).map_err(|_| EnvelopeError::BadPrivateKey),
        }
    }

    /// The private key as the SDKs write it: base64 of the 32-byte scalar.
    pub fn from_private_base64(curve: Curve, text: &str) -> Result<Self, EnvelopeError> {
        Self::from_scalar(curve, &decode(text).ok_or(EnvelopeError::BadPrivateKey)?)
    }

    pub fn private_base64(&self) -> String {
        match self {
            EnvelopeKey::Secp256k1(k) => STANDARD.encode(k.to_bytes()),
            EnvelopeKey::P256(k) => STANDARD.encode(k.to_bytes()),
        }
    }

    pub fn curve(&self) -> Curve {
        match self {
            EnvelopeKey::Secp256k1(_) => Curve::Secp256k1,
            EnvelopeKey::P256(_) => Curve::P256,
        }
    }

    /// The public key as the SDKs send it: base64 of the 64-byte `X ‖ Y`.
    pub fn public_base64(&self) -> String {
        use k256::elliptic_curve::sec1::ToSec1Point;
        let point = match self {
            EnvelopeKey::Secp256k1(k) => k.public_key().to_sec1_point(false).as_bytes().to_vec(),
            EnvelopeKey::P256(k) => k.public_key().to_sec1_point(false).as_bytes().to_vec(),
        };
        STANDARD.encode(&point[1..])
    }

    /// An ECDSA signature (SHA-256) of `message`: base64 of the 64-byte `r ‖ s`, the form the
    /// vendor's helper code used.
    pub fn sign(&self, message: &[u8]) -> String {
        use p256::ecdsa::signature::Signer;
        let bytes: Vec<u8> = match self {
            EnvelopeKey::Secp256k1(k) => {
                let signature: k256::ecdsa::Signature = k256::ecdsa::SigningKey::from(k).sign(message);
                signature.to_bytes().to_vec()
            }
            EnvelopeKey::P256(k) => {
                let signature: p256::ecdsa::Signature = p256::ecdsa::SigningKey::from(k).sign(message);
                signature.to_bytes().to_vec()
            }
        };
        STANDARD.encode(bytes)
    }

    /// Whether `signature` (base64 of `r ‖ s`) is this key's signature of `message`.
    pub fn verify(&self, message: &[u8], signature: &str) -> bool {
        use p256::ecdsa::signature::Verifier;
        let Some(bytes) = decode(signature) else { return false };
        match self {
            EnvelopeKey::Secp256k1(k) => k256::ecdsa::Signature::from_slice(&bytes)
                .is_ok_and(|s| k256::ecdsa::VerifyingKey::from(k.public_key()).verify(message, &s).is_ok()),
            EnvelopeKey::P256(k) => p256::ecdsa::Signature::from_slice(&bytes)
                .is_ok_and(|s| p256::ecdsa::VerifyingKey::from(k.public_key()).verify(message, &s).is_ok()),
        }
    }

    /// The key both sides of a conversation with `peer` (a public key in the SDKs' form) use.
    pub fn shared_key(&self, peer: &str) -> Result<SharedKey, EnvelopeError> {
        let bytes = decode(peer).ok_or(EnvelopeError::BadPublicKey)?;
        let sec1: Vec<u8> = match bytes.len() {
            64 => [&[4u8][..], &bytes].concat(),
            65 if bytes[0] == 4 => bytes,
            _ => return Err(EnvelopeError::BadPublicKey),
        };
        let x = match self {
            EnvelopeKey::Secp256k1(k) => {
                let peer = k256::PublicKey::from_sec1_bytes(&sec1).map_err(|_| EnvelopeError::BadPublicKey)?;
                let shared = k256::ecdh::diffie_hellman(k.to_nonzero_scalar(), peer.as_affine());
                <[u8; 32]>::try_from(shared.raw_secret_bytes().as_slice()).map_err(|_| EnvelopeError::BadPublicKey)?
            }
            EnvelopeKey::P256(k) => {
                let peer = p256::PublicKey::from_sec1_bytes(&sec1).map_err(|_| EnvelopeError::BadPublicKey)?;
                let shared = p256::ecdh::diffie_hellman(k.to_nonzero_scalar(), peer.as_affine());
                <[u8; 32]>::try_from(shared.raw_secret_bytes().as_slice()).map_err(|_| EnvelopeError::BadPublicKey)?
            }
        };
        Ok(SharedKey::from_bytes(x))
    }
}

/// The length of `encrypt`'s answer for a plaintext of `len` bytes.
pub fn encoded_len(len: usize) -> usize {
    (IV_LEN + len + TAG_LEN).div_ceil(3) * 4
}

/// The AES-256 key two parties share (the X coordinate of their ECDH point). `Debug` never
/// prints it.
/// The cipher is keyed once: a call decrypts and encrypts several values under it.
#[derive(Clone)]
pub struct SharedKey {
    bytes: [u8; 32],
    /// Opens values (and checks their tags).
    cipher: Cipher,
    /// Seals values straight into their wire text.
    sealer: GcmBase64,
}

impl PartialEq for SharedKey {
    fn eq(&self, other: &Self) -> bool {
        use subtle::ConstantTimeEq;
        self.bytes.ct_eq(&other.bytes).into()
    }
}

impl Eq for SharedKey {}

impl std::fmt::Debug for SharedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SharedKey(***)")
    }
}

impl SharedKey {
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self { bytes, cipher: Cipher::new_from_slice(&bytes).expect("a 32-byte key"), sealer: GcmBase64::new(&bytes) }
    }

    pub fn to_base64(&self) -> String {
        STANDARD.encode(self.bytes)
    }

    /// `base64(IV ‖ ciphertext ‖ tag)` of `plaintext` under a fresh random IV.
    pub fn encrypt(&self, plaintext: &[u8]) -> String {
        self.encrypt_with_iv(&crate::random::bytes::<IV_LEN>(), plaintext)
    }

    fn encrypt_with_iv(&self, iv: &[u8; IV_LEN], plaintext: &[u8]) -> String {
        let mut out = Vec::with_capacity(encoded_len(plaintext.len()));
        self.encrypt_with_iv_into(iv, plaintext, &mut out);
        String::from_utf8(out).expect("base64 is ASCII")
    }

    /// `encrypt`, appending the base64 text to `out`: an answer of many kilobytes is
    /// encrypted straight into its wire buffer and encoded straight into the response.
    pub fn encrypt_into(&self, plaintext: &[u8], out: &mut Vec<u8>) {
        self.encrypt_with_iv_into(&crate::random::bytes::<IV_LEN>(), plaintext, out)
    }

    fn encrypt_with_iv_into(&self, iv: &[u8; IV_LEN], plaintext: &[u8], out: &mut Vec<u8>) {
        self.sealer.seal_into(iv, plaintext, out);
    }

    /// The plaintext of a value `encrypt` (or a vendor SDK) made under this key.
    pub fn decrypt(&self, wire: &str) -> Result<Vec<u8>, EnvelopeError> {
        let bytes = decode(wire).ok_or(EnvelopeError::Undecryptable)?;
        if bytes.len() < IV_LEN + TAG_LEN {
            return Err(EnvelopeError::Undecryptable);
        }
        let (iv, sealed) = bytes.split_at(IV_LEN);
        let nonce = Nonce::<U16>::try_from(iv).map_err(|_| EnvelopeError::Undecryptable)?;
        self.cipher.decrypt(&nonce, sealed).map_err(|_| EnvelopeError::Undecryptable)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The vector cross-checked between 1Kosmos's Node helper (BIDECDSA.js) and an independent
    // implementation: throwaway keys, a `requestid` the Node helper encrypted.
    const CLIENT_PRIVATE: &str = "GZS7QARJ10xJ0qL/GtllyckFGTjJrddD2HzpTmZ+vws=";
    const CLIENT_PUBLIC: &str = "ND2cU65NEhXHmtKRfb8mN/2diaZiomlP3VYWm7kCAc6OcBz8LDjSoowCjSlFUH8GC9c/0rfV1y+5nU8DnBaqZg==";
    const SERVER_PRIVATE: &str = "/9VQ8p/0URrZwPB2eY+HNKKj2uKQP0oKX4oDx0MHsYs=";
    const SERVER_PUBLIC: &str = "NSGuBYx8Yi0uzk/ec/8uDNSovHvPFFVCk1QtUo1aPQYT04H0CjCb+Z0ngZSrYaaYlIDCkhvxB9gj04NKotCGwQ==";
    const SHARED: &str = "Mn6xzqGK5tPH0NG6RS/GXpE5N6hyPS01MQ5aRy5UfVI=";
    const PLAINTEXT: &str = r#"{"ts":1700000000,"appid":"com.example.app","uuid":"123e4567-e89b-42d3-a456-426614174000"}"#;
    const REQUEST_ID: &str = "JiAaeT3flZrWyIkeGzz3xTwxKmBw+SQgBfdcW8nVRjXI5K3OBQSgxiTpgVKXETGxmJegQzsthsAgycVv5AHhmbtVd1Qu6HdD4djfbUOL89Wri10WyORSdgY/BH5Cq5Bx9llni7qKoAfpTbblQI5Chn98tVeBzilyLw==";

    #[test]
    fn the_vendor_sdks_vector() {
        let server = EnvelopeKey::from_private_base64(Curve::Secp256k1, SERVER_PRIVATE).unwrap();
        let client = EnvelopeKey::from_private_base64(Curve::Secp256k1, CLIENT_PRIVATE).unwrap();
        assert_eq!(server.public_base64(), SERVER_PUBLIC);
        assert_eq!(client.public_base64(), CLIENT_PUBLIC);
        let shared = server.shared_key(CLIENT_PUBLIC).unwrap();
        assert_eq!(shared.to_base64(), SHARED);
        assert_eq!(client.shared_key(SERVER_PUBLIC).unwrap(), shared, "ECDH is symmetric");
        assert_eq!(shared.decrypt(REQUEST_ID).unwrap(), PLAINTEXT.as_bytes());
        // The same IV gives the same bytes: our encryption is the SDKs'.
        let wire = STANDARD.decode(REQUEST_ID).unwrap();
        let iv: [u8; IV_LEN] = wire[..IV_LEN].try_into().unwrap();
        assert_eq!(shared.encrypt_with_iv(&iv, PLAINTEXT.as_bytes()), REQUEST_ID);
        assert_eq!(wire.len(), 16 + PLAINTEXT.len() + 16);
    }

    #[test]
    fn keys_in_the_forms_other_sdks_write_them() {
        // Java's BigInteger may prefix a zero byte; a public key may carry its 04 prefix.
        let scalar = STANDARD.decode(SERVER_PRIVATE).unwrap();
        let padded = STANDARD.encode([&[0u8][..], &scalar].concat());
        let server = EnvelopeKey::from_private_base64(Curve::Secp256k1, &padded).unwrap();
        let prefixed = STANDARD.encode([&[4u8][..], &STANDARD.decode(CLIENT_PUBLIC).unwrap()].concat());
        assert_eq!(server.shared_key(&prefixed).unwrap().to_base64(), SHARED);
        assert_eq!(server.shared_key("not base64!"), Err(EnvelopeError::BadPublicKey));
        assert_eq!(server.shared_key(&STANDARD.encode([7u8; 64])), Err(EnvelopeError::BadPublicKey), "not on the curve");
        assert_eq!(EnvelopeKey::from_private_base64(Curve::Secp256k1, "AAAA").unwrap_err(), EnvelopeError::BadPrivateKey);
    }

    #[test]
    fn round_trips_on_both_curves_and_refuses_tampering() {
        for curve in [Curve::Secp256k1, Curve::P256] {
            let (a, b) = (EnvelopeKey::generate(curve), EnvelopeKey::generate(curve));
            assert_eq!(STANDARD.decode(a.public_base64()).unwrap().len(), 64);
            let restored = EnvelopeKey::from_private_base64(curve, &a.private_base64()).unwrap();
            assert_eq!(restored.public_base64(), a.public_base64());
            let key = a.shared_key(&b.public_base64()).unwrap();
            assert_eq!(b.shared_key(&a.public_base64()).unwrap(), key);
            let wire = key.encrypt(b"{\"x\":1}");
            assert_ne!(wire, key.encrypt(b"{\"x\":1}"), "a fresh IV each time");
            assert_eq!(key.decrypt(&wire).unwrap(), b"{\"x\":1}");
            let mut bytes = STANDARD.decode(&wire).unwrap();
            let last = bytes.len() - 1;
            bytes[last] ^= 1;
            assert_eq!(key.decrypt(&STANDARD.encode(&bytes)), Err(EnvelopeError::Undecryptable));
            assert_eq!(key.decrypt("AAAA"), Err(EnvelopeError::Undecryptable));
            let other = EnvelopeKey::generate(curve).shared_key(&b.public_base64()).unwrap();
            assert_eq!(other.decrypt(&wire), Err(EnvelopeError::Undecryptable));
            assert!(!format!("{a:?}{key:?}").contains(&a.private_base64()), "Debug shows no secret");
        }
        assert_eq!(Curve::parse("prime256v1"), Some(Curve::P256));
        assert_eq!(Curve::parse("SECP256K1").map(Curve::name), Some("secp256k1"));
        assert_eq!(Curve::parse("ed25519"), None);
    }

    #[test]
    fn signatures_verify_on_both_curves() {
        for curve in [Curve::Secp256k1, Curve::P256] {
            let key = EnvelopeKey::generate(curve);
            let signature = key.sign(b"nonce-1");
            assert_eq!(STANDARD.decode(&signature).unwrap().len(), 64);
            assert!(key.verify(b"nonce-1", &signature));
            assert!(!key.verify(b"nonce-2", &signature));
            assert!(!EnvelopeKey::generate(curve).verify(b"nonce-1", &signature));
        }
    }
}
