//! JSON Web Tokens (RFC 7519) signed with RS256 or ES256, and verification against a JWK set.
//! Small on purpose: the tokens keyhall issues and the ID tokens it accepts need nothing more
//! than compact JWS with these two algorithms.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use p256::ecdsa::signature::{SignatureEncoding, Signer, Verifier};
use p256::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use rsa::traits::PublicKeyParts;
use serde_json::{Value, json};
use sha2::Sha256;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    Rs256,
    Es256,
}

impl Algorithm {
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::Rs256 => "RS256",
            Algorithm::Es256 => "ES256",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "RS256" => Some(Algorithm::Rs256),
            "ES256" => Some(Algorithm::Es256),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JwtError {
    #[error("not a compact JWS (header.payload.signature)")]
    Segments,
    #[error("a segment is not valid base64url JSON")]
    Encoding,
    #[error("unsupported or unexpected algorithm")]
    Algorithm,
    #[error("no key matches the token")]
    UnknownKey,
    #[error("signature verification failed")]
    Signature,
    #[error("the token has expired")]
    Expired,
    #[error("the token is not valid yet")]
    Immature,
    #[error("the token was issued in the future")]
    IssuedInFuture,
    #[error("claim {0} does not have the expected value")]
    Claim(&'static str),
    #[error("key material is invalid")]
    Key,
}

impl JwtError {
    /// The last word of the message the Ruby JWT library gives for the same failure, which
    /// Barong appends to `jwt.decode_and_verify.`.
    pub fn reason(&self) -> &'static str {
        match self {
            JwtError::Segments => "segments",
            JwtError::Encoding => "encoding",
            JwtError::Algorithm => "algorithm",
            JwtError::UnknownKey | JwtError::Key => "key",
            JwtError::Signature => "failed",
            JwtError::Expired => "expired",
            JwtError::Immature => "reached",
            JwtError::IssuedInFuture => "iat",
            JwtError::Claim(name) => name,
        }
    }
}

enum SignerKey {
    Rsa(Box<rsa::pkcs1v15::SigningKey<Sha256>>, rsa::RsaPublicKey),
    Ec(p256::ecdsa::SigningKey),
}

/// A private signing key with its key id.
pub struct JwtSigner {
    kid: String,
    key: SignerKey,
}

impl std::fmt::Debug for JwtSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "JwtSigner({}, {})", self.algorithm().name(), self.kid)
    }
}

fn b64(data: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(data)
}

impl JwtSigner {
    /// A new key: RSA-2048 for RS256, P-256 for ES256. The key id is random.
    pub fn generate(algorithm: Algorithm) -> Result<Self, JwtError> {
        let kid = hex::encode(crate::random::bytes::<8>());
        let der = match algorithm {
            Algorithm::Rs256 => {
                let private = rsa::RsaPrivateKey::new(&mut rand::rng(), 2048).map_err(|_| JwtError::Key)?;
                private.to_pkcs8_der().map_err(|_| JwtError::Key)?.as_bytes().to_vec()
            }
            Algorithm::Es256 => {
                let secret = p256::SecretKey::from_slice(&crate::random::bytes::<32>()).map_err(|_| JwtError::Key)?;
                secret.to_pkcs8_der().map_err(|_| JwtError::Key)?.as_bytes().to_vec()
            }
        };
        Self::from_pkcs8_der(algorithm, &kid, &der)
    }

    pub fn from_pkcs8_der(algorithm: Algorithm, kid: &str, der: &[u8]) -> Result<Self, JwtError> {
        let key = match algorithm {
            Algorithm::Rs256 => {
                let private = rsa::RsaPrivateKey::from_pkcs8_der(der).map_err(|_| JwtError::Key)?;
                let public = private.to_public_key();
                SignerKey::Rsa(Box::new(rsa::pkcs1v15::SigningKey::<Sha256>::new(private)), public)
            }
            Algorithm::Es256 => SignerKey::Ec(p256::ecdsa::SigningKey::from_pkcs8_der(der).map_err(|_| JwtError::Key)?),
        };
        Ok(Self { kid: kid.to_string(), key })
    }

    /// The private key as PKCS#8 DER (to be sealed before it is stored).
    pub fn to_pkcs8_der(&self) -> Vec<u8> {
        match &self.key {
            SignerKey::Rsa(k, _) => {
                let private: &rsa::RsaPrivateKey = k.as_ref().as_ref();
                private.to_pkcs8_der().map(|d| d.as_bytes().to_vec()).unwrap_or_default()
            }
            SignerKey::Ec(k) => k.to_pkcs8_der().map(|d| d.as_bytes().to_vec()).unwrap_or_default(),
        }
    }

    pub fn kid(&self) -> &str {
        &self.kid
    }

    pub fn algorithm(&self) -> Algorithm {
        match self.key {
            SignerKey::Rsa(..) => Algorithm::Rs256,
            SignerKey::Ec(_) => Algorithm::Es256,
        }
    }

    /// Compact JWS of `claims`; the header names the algorithm and key id.
    pub fn sign(&self, claims: &Value) -> String {
        let header = json!({ "alg": self.algorithm().name(), "kid": self.kid, "typ": "JWT" });
        let input = format!("{}.{}", b64(header.to_string().as_bytes()), b64(claims.to_string().as_bytes()));
        let signature = match &self.key {
            SignerKey::Rsa(k, _) => k.sign(input.as_bytes()).to_vec(),
            SignerKey::Ec(k) => {
                let s: p256::ecdsa::Signature = k.sign(input.as_bytes());
                s.to_bytes().to_vec()
            }
        };
        format!("{input}.{}", b64(&signature))
    }

    /// The public half as a JWK (for JWKS documents).
    pub fn public_jwk(&self) -> Value {
        match &self.key {
            SignerKey::Rsa(_, public) => json!({
                "kty": "RSA", "use": "sig", "alg": "RS256", "kid": self.kid,
                "n": b64(&public.n_bytes()), "e": b64(&public.e_bytes()),
            }),
            SignerKey::Ec(k) => {
                let point = k.verifying_key().to_sec1_point(false);
                let bytes = point.as_bytes();
                json!({
                    "kty": "EC", "use": "sig", "alg": "ES256", "crv": "P-256", "kid": self.kid,
                    "x": b64(&bytes[1..33]), "y": b64(&bytes[33..65]),
                })
            }
        }
    }
}

enum VerifierKey {
    Rsa(Box<rsa::pkcs1v15::VerifyingKey<Sha256>>),
    Ec(p256::ecdsa::VerifyingKey),
}

struct Jwk {
    kid: Option<String>,
    key: VerifierKey,
}

/// Public keys a token may be signed with (a JWK set).
#[derive(Default)]
pub struct JwkSet {
    keys: Vec<Jwk>,
}

impl std::fmt::Debug for JwkSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "JwkSet({} keys)", self.keys.len())
    }
}

fn b64_field(jwk: &Value, name: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(jwk.get(name)?.as_str()?.trim_end_matches('=')).ok()
}

impl JwkSet {
    /// Reads `{"keys":[…]}`; keys of other types or curves are skipped.
    pub fn from_json(document: &Value) -> Self {
        let mut keys = Vec::new();
        for jwk in document.get("keys").and_then(Value::as_array).into_iter().flatten() {
            let kid = jwk.get("kid").and_then(Value::as_str).map(str::to_string);
            let key = match jwk.get("kty").and_then(Value::as_str) {
                Some("RSA") => (|| {
                    let n = rsa::BoxedUint::from_be_slice_vartime(&b64_field(jwk, "n")?);
                    let e = rsa::BoxedUint::from_be_slice_vartime(&b64_field(jwk, "e")?);
                    let public = rsa::RsaPublicKey::new(n, e).ok()?;
                    Some(VerifierKey::Rsa(Box::new(rsa::pkcs1v15::VerifyingKey::<Sha256>::new(public))))
                })(),
                Some("EC") if jwk.get("crv").and_then(Value::as_str) == Some("P-256") => (|| {
                    let mut sec1 = vec![4u8];
                    sec1.extend(b64_field(jwk, "x")?);
                    sec1.extend(b64_field(jwk, "y")?);
                    p256::ecdsa::VerifyingKey::from_sec1_bytes(&sec1).ok().map(VerifierKey::Ec)
                })(),
                _ => None,
            };
            if let Some(key) = key {
                keys.push(Jwk { kid, key });
            }
        }
        Self { keys }
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Checks the signature (with the key named by `kid`, or any key of the right type when
    /// the token names none) and returns the claims. Time claims are checked by `check_times`.
    pub fn verify(&self, token: &str) -> Result<Value, JwtError> {
        let mut parts = token.trim().split('.');
        let (Some(h), Some(p), Some(s), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
            return Err(JwtError::Segments);
        };
        let header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(h).map_err(|_| JwtError::Encoding)?)
            .map_err(|_| JwtError::Encoding)?;
        let claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(p).map_err(|_| JwtError::Encoding)?)
            .map_err(|_| JwtError::Encoding)?;
        let signature = URL_SAFE_NO_PAD.decode(s).map_err(|_| JwtError::Encoding)?;
        let alg = header.get("alg").and_then(Value::as_str).and_then(Algorithm::parse).ok_or(JwtError::Algorithm)?;
        let kid = header.get("kid").and_then(Value::as_str);
        let input = &token.trim()[..h.len() + 1 + p.len()];
        let candidates = self.keys.iter().filter(|k| kid.is_none() || k.kid.as_deref() == kid);
        let mut any = false;
        for k in candidates {
            let ok = match (&k.key, alg) {
                (VerifierKey::Rsa(v), Algorithm::Rs256) => {
                    any = true;
                    rsa::pkcs1v15::Signature::try_from(signature.as_slice())
                        .is_ok_and(|sig| v.verify(input.as_bytes(), &sig).is_ok())
                }
                (VerifierKey::Ec(v), Algorithm::Es256) => {
                    any = true;
                    p256::ecdsa::Signature::from_slice(&signature).is_ok_and(|sig| v.verify(input.as_bytes(), &sig).is_ok())
                }
                _ => false,
            };
            if ok {
                return Ok(claims);
            }
        }
        Err(if any { JwtError::Signature } else { JwtError::UnknownKey })
    }
}

/// `exp` must be in the future, `nbf` (if any) reached, `iat` (if any) not in the future,
/// each with `leeway` seconds of tolerance.
/// Whether the token's `aud` (one string, or a list of them) names `audience`.
pub fn has_audience(claims: &Value, audience: &str) -> bool {
    match claims.get("aud") {
        Some(Value::String(a)) => a == audience,
        Some(Value::Array(a)) => a.iter().any(|v| v.as_str() == Some(audience)),
        _ => false,
    }
}

pub fn check_times(claims: &Value, now: i64, leeway: i64) -> Result<(), JwtError> {
    let num = |name| claims.get(name).and_then(Value::as_i64);
    match num("exp") {
        Some(exp) if now >= exp + leeway => return Err(JwtError::Expired),
        None => return Err(JwtError::Claim("exp")),
        _ => {}
    }
    if num("nbf").is_some_and(|nbf| now + leeway < nbf) {
        return Err(JwtError::Immature);
    }
    if num("iat").is_some_and(|iat| iat > now + leeway) {
        return Err(JwtError::IssuedInFuture);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(alg: Algorithm) {
        let signer = JwtSigner::generate(alg).unwrap();
        let claims = json!({ "sub": "session", "exp": 2_000_000_000i64, "uid": "IDABCDEF0123" });
        let token = signer.sign(&claims);
        let set = JwkSet::from_json(&json!({ "keys": [signer.public_jwk()] }));
        assert_eq!(set.verify(&token).unwrap(), claims);
        // The stored form loads back to the same key.
        let again = JwtSigner::from_pkcs8_der(alg, signer.kid(), &signer.to_pkcs8_der()).unwrap();
        assert_eq!(set.verify(&again.sign(&claims)).unwrap(), claims);
        // Tampering is caught.
        let mut parts: Vec<&str> = token.split('.').collect();
        let forged = b64(json!({ "sub": "session", "exp": 2_000_000_000i64, "uid": "IDEVIL000000" }).to_string().as_bytes());
        parts[1] = &forged;
        assert_eq!(set.verify(&parts.join(".")), Err(JwtError::Signature));
        let other = JwtSigner::generate(alg).unwrap();
        assert_eq!(set.verify(&other.sign(&claims)), Err(JwtError::UnknownKey));
    }

    #[test]
    fn es256_round_trip() {
        round_trip(Algorithm::Es256);
    }

    #[test]
    fn rs256_round_trip() {
        round_trip(Algorithm::Rs256);
    }

    #[test]
    fn malformed_tokens_and_times() {
        let set = JwkSet::default();
        assert_eq!(set.verify("invalid token"), Err(JwtError::Segments));
        assert_eq!(set.verify("a.b.c"), Err(JwtError::Encoding));
        assert_eq!(JwtError::Segments.reason(), "segments");
        let c = json!({ "exp": 100, "iat": 50, "nbf": 60 });
        assert_eq!(check_times(&c, 99, 0), Ok(()));
        assert_eq!(check_times(&c, 100, 0), Err(JwtError::Expired));
        assert_eq!(check_times(&c, 55, 0), Err(JwtError::Immature));
        assert_eq!(check_times(&json!({ "exp": 100, "iat": 90 }), 80, 0), Err(JwtError::IssuedInFuture));
        assert_eq!(check_times(&json!({}), 1, 0), Err(JwtError::Claim("exp")));
    }

    #[test]
    fn an_audience_is_one_string_or_one_of_a_list() {
        use serde_json::json;
        assert!(super::has_audience(&json!({ "aud": "a" }), "a"));
        assert!(super::has_audience(&json!({ "aud": ["b", "a"] }), "a"));
        assert!(!super::has_audience(&json!({ "aud": ["b"] }), "a"));
        assert!(!super::has_audience(&json!({ "aud": 1 }), "a"));
        assert!(!super::has_audience(&json!({}), "a"));
    }
}
