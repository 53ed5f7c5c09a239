//! HOTP (RFC 4226) and TOTP (RFC 6238), with base32 secrets and otpauth:// URIs.

use hmac::{Hmac, KeyInit, Mac};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    Sha1,
    Sha256,
    Sha512,
}

impl Algorithm {
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::Sha1 => "SHA1",
            Algorithm::Sha256 => "SHA256",
            Algorithm::Sha512 => "SHA512",
        }
    }
}

/// The parameters every authenticator app understands by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TotpParams {
    pub algorithm: Algorithm,
    pub digits: u32,
    pub step_seconds: u64,
    /// Steps accepted either side of the current one (clock drift).
    pub skew: u64,
}

impl Default for TotpParams {
    fn default() -> Self {
        Self { algorithm: Algorithm::Sha1, digits: 6, step_seconds: 30, skew: 1 }
    }
}

fn mac(algorithm: Algorithm, key: &[u8], msg: &[u8]) -> Vec<u8> {
    macro_rules! run {
        ($d:ty) => {{
            let mut m = <Hmac<$d> as KeyInit>::new_from_slice(key).expect("HMAC takes keys of any length");
            m.update(msg);
            m.finalize().into_bytes().to_vec()
        }};
    }
    match algorithm {
        Algorithm::Sha1 => run!(sha1::Sha1),
        Algorithm::Sha256 => run!(sha2::Sha256),
        Algorithm::Sha512 => run!(sha2::Sha512),
    }
}

/// RFC 4226 §5.3: dynamic truncation of HMAC(key, counter) to `digits` decimal digits.
pub fn hotp(algorithm: Algorithm, key: &[u8], counter: u64, digits: u32) -> String {
    let h = mac(algorithm, key, &counter.to_be_bytes());
    let offset = (h[h.len() - 1] & 0x0f) as usize;
    let binary = u32::from_be_bytes([h[offset] & 0x7f, h[offset + 1], h[offset + 2], h[offset + 3]]);
    let code = binary as u64 % 10u64.pow(digits);
    format!("{code:0width$}", width = digits as usize)
}

/// The time step that contains `unix_seconds`.
pub fn step_at(params: &TotpParams, unix_seconds: u64) -> u64 {
    unix_seconds / params.step_seconds
}

pub fn totp_at(params: &TotpParams, key: &[u8], unix_seconds: u64) -> String {
    hotp(params.algorithm, key, step_at(params, unix_seconds), params.digits)
}

/// Checks `code` against the steps around `unix_seconds`; returns the matching step so the
/// caller can refuse a second use of the same step. Comparison is constant-time per step.
pub fn verify(params: &TotpParams, key: &[u8], code: &str, unix_seconds: u64) -> Option<u64> {
    let code = code.trim();
    if code.len() != params.digits as usize || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let now = step_at(params, unix_seconds);
    let mut found = None;
    for step in now.saturating_sub(params.skew)..=now + params.skew {
        let expected = hotp(params.algorithm, key, step, params.digits);
        if crate::constant_time_eq(expected.as_bytes(), code.as_bytes()) && found.is_none() {
            found = Some(step);
        }
    }
    found
}

/// Decodes a base32 secret as users type it: case-insensitive, spaces and hyphens ignored,
/// padding optional. Refuses secrets shorter than 80 bits (RFC 4226 §4 asks for 128, and
/// 160 is recommended; 80 bits is the least any common authenticator generates).
pub fn decode_secret(text: &str) -> Option<Vec<u8>> {
    let cleaned: String = text.chars().filter(|c| !c.is_whitespace() && *c != '-').map(|c| c.to_ascii_uppercase()).collect();
    let cleaned = cleaned.trim_end_matches('=');
    if cleaned.is_empty() {
        return None;
    }
    let bytes = data_encoding::BASE32_NOPAD.decode(cleaned.as_bytes()).ok()?;
    (bytes.len() >= 10).then_some(bytes)
}

pub fn encode_secret(key: &[u8]) -> String {
    data_encoding::BASE32_NOPAD.encode(key)
}

/// A new 160-bit secret, base32-encoded.
pub fn generate_secret() -> String {
    encode_secret(&crate::random::bytes::<20>())
}

/// `otpauth://totp/Issuer:account?secret=…&issuer=…` (Key Uri Format).
pub fn otpauth_uri(issuer: &str, account: &str, secret_b32: &str, params: &TotpParams) -> String {
    fn enc(s: &str) -> String {
        let mut out = String::new();
        for b in s.bytes() {
            if b.is_ascii_alphanumeric() || b"-._~@".contains(&b) {
                out.push(b as char);
            } else {
                out.push_str(&format!("%{b:02X}"));
            }
        }
        out
    }
    format!(
        "otpauth://totp/{}:{}?secret={}&issuer={}&algorithm={}&digits={}&period={}",
        enc(issuer),
        enc(account),
        secret_b32,
        enc(issuer),
        params.algorithm.name(),
        params.digits,
        params.step_seconds
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const RFC4226_KEY: &[u8] = b"12345678901234567890";

    #[test]
    fn rfc4226_appendix_d() {
        let expected = ["755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871", "520489"];
        for (counter, code) in expected.iter().enumerate() {
            assert_eq!(hotp(Algorithm::Sha1, RFC4226_KEY, counter as u64, 6), *code);
        }
    }

    #[test]
    fn rfc6238_appendix_b() {
        let sha1 = b"12345678901234567890".to_vec();
        let sha256 = b"12345678901234567890123456789012".to_vec();
        let sha512 = b"1234567890123456789012345678901234567890123456789012345678901234".to_vec();
        let cases: [(u64, &str, &str, &str); 6] = [
            (59, "94287082", "46119246", "90693936"),
            (1111111109, "07081804", "68084774", "25091201"),
            (1111111111, "14050471", "67062674", "99943326"),
            (1234567890, "89005924", "91819424", "93441116"),
            (2000000000, "69279037", "90698825", "38618901"),
            (20000000000, "65353130", "77737706", "47863826"),
        ];
        for (t, c1, c256, c512) in cases {
            let p = |algorithm| TotpParams { algorithm, digits: 8, step_seconds: 30, skew: 1 };
            assert_eq!(totp_at(&p(Algorithm::Sha1), &sha1, t), c1);
            assert_eq!(totp_at(&p(Algorithm::Sha256), &sha256, t), c256);
            assert_eq!(totp_at(&p(Algorithm::Sha512), &sha512, t), c512);
        }
    }

    #[test]
    fn verify_accepts_one_step_of_drift_only() {
        let p = TotpParams::default();
        let key = RFC4226_KEY;
        let now = 1_700_000_000;
        let step = step_at(&p, now);
        assert_eq!(verify(&p, key, &totp_at(&p, key, now), now), Some(step));
        assert_eq!(verify(&p, key, &totp_at(&p, key, now - 30), now), Some(step - 1));
        assert_eq!(verify(&p, key, &totp_at(&p, key, now + 30), now), Some(step + 1));
        assert_eq!(verify(&p, key, &totp_at(&p, key, now - 60), now), None);
        assert_eq!(verify(&p, key, "12345", now), None);
        assert_eq!(verify(&p, key, "abcdef", now), None);
    }

    #[test]
    fn base32_secrets() {
        assert_eq!(decode_secret("jbsw y3dp ehpk 3pxp").unwrap(), b"Hello!\xde\xad\xbe\xef");
        assert!(decode_secret("JBSWY3DP").is_none(), "40-bit secret accepted");
        assert!(decode_secret("not base32!").is_none());
        let s = generate_secret();
        assert_eq!(decode_secret(&s).unwrap().len(), 20);
    }

    #[test]
    fn uri_format() {
        let uri = otpauth_uri("keyhall", "a@b.co", "JBSWY3DPEHPK3PXP", &TotpParams::default());
        assert_eq!(uri, "otpauth://totp/keyhall:a@b.co?secret=JBSWY3DPEHPK3PXP&issuer=keyhall&algorithm=SHA1&digits=6&period=30");
    }
}
