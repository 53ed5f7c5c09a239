//! User-Password hiding (RFC 2865 §5.2): the password, padded with NULs to a multiple of 16,
//! is XORed chunk by chunk with a keystream b1 = MD5(secret ‖ Request Authenticator),
//! bi = MD5(secret ‖ ci-1), where ci-1 is the previous hidden chunk.

use md5::{Digest, Md5};

const CHUNK_LEN: usize = 16;
/// RFC 2865 §5.2 caps the hidden value at 128 octets, so the password too.
const MAX_HIDDEN_LEN: usize = 128;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    #[error("hidden User-Password of {len} octets is not a multiple of 16 within 16..=128")]
    InvalidHiddenLength { len: usize },
    #[error("password of {len} octets does not fit in a User-Password (at most 128)")]
    PasswordTooLong { len: usize },
}

/// Recovers the password from a User-Password value. Trailing NULs are padding and are
/// removed; a password that itself ended in NULs cannot be told apart, as in every RADIUS server.
pub fn decrypt_user_password(secret: &[u8], request_authenticator: &[u8; 16], hidden: &[u8]) -> Result<Vec<u8>, PasswordError> {
    if hidden.is_empty() || hidden.len() > MAX_HIDDEN_LEN || !hidden.len().is_multiple_of(CHUNK_LEN) {
        return Err(PasswordError::InvalidHiddenLength { len: hidden.len() });
    }
    let mut password = Vec::with_capacity(hidden.len());
    let mut previous: &[u8] = request_authenticator;
    for chunk in hidden.chunks(CHUNK_LEN) {
        let keystream = keystream_block(secret, previous);
        password.extend(chunk.iter().zip(keystream).map(|(hidden, key)| hidden ^ key));
        previous = chunk;
    }
    let kept = password.iter().rposition(|&octet| octet != 0).map_or(0, |last| last + 1);
    password.truncate(kept);
    Ok(password)
}

/// Hides a password as a client would send it; the server only needs this to test itself.
pub fn hide_user_password(secret: &[u8], request_authenticator: &[u8; 16], password: &[u8]) -> Result<Vec<u8>, PasswordError> {
    if password.len() > MAX_HIDDEN_LEN {
        return Err(PasswordError::PasswordTooLong { len: password.len() });
    }
    // An empty password still occupies one chunk: the attribute value must not be empty.
    let padded_len = password.len().div_ceil(CHUNK_LEN).max(1) * CHUNK_LEN;
    let mut hidden = password.to_vec();
    hidden.resize(padded_len, 0);
    let mut previous = *request_authenticator;
    for chunk in hidden.chunks_mut(CHUNK_LEN) {
        let keystream = keystream_block(secret, &previous);
        chunk.iter_mut().zip(keystream).for_each(|(octet, key)| *octet ^= key);
        previous.copy_from_slice(chunk);
    }
    Ok(hidden)
}

fn keystream_block(secret: &[u8], previous: &[u8]) -> [u8; 16] {
    let mut md5 = Md5::new();
    md5.update(secret);
    md5.update(previous);
    md5.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"xyzzy5461";
    const AUTHENTICATOR: [u8; 16] = [7; 16];

    #[test]
    fn decrypt_undoes_hide_for_every_length() {
        for len in 0..=128usize {
            let password: Vec<u8> = (0..len).map(|i| b'a' + (i % 26) as u8).collect();
            let hidden = hide_user_password(SECRET, &AUTHENTICATOR, &password).unwrap();
            assert_eq!(hidden.len(), len.div_ceil(16).max(1) * 16);
            if len > 0 {
                assert_ne!(&hidden[..len], password.as_slice());
            }
            assert_eq!(decrypt_user_password(SECRET, &AUTHENTICATOR, &hidden).unwrap(), password);
        }
    }

    #[test]
    fn later_chunks_depend_on_earlier_ones() {
        // Two passwords whose second halves match must still hide to different second chunks,
        // because the keystream for chunk two is keyed by hidden chunk one.
        let first = hide_user_password(SECRET, &AUTHENTICATOR, b"AAAAAAAAAAAAAAAAsame-tail").unwrap();
        let second = hide_user_password(SECRET, &AUTHENTICATOR, b"BBBBBBBBBBBBBBBBsame-tail").unwrap();
        assert_ne!(first[16..], second[16..]);
    }

    #[test]
    fn wrong_secret_does_not_recover_the_password() {
        let hidden = hide_user_password(SECRET, &AUTHENTICATOR, b"arctangent").unwrap();
        assert_ne!(decrypt_user_password(b"other", &AUTHENTICATOR, &hidden).unwrap(), b"arctangent");
    }

    #[test]
    fn bad_hidden_lengths_are_refused() {
        for len in [0, 15, 17, 31, 144] {
            assert_eq!(
                decrypt_user_password(SECRET, &AUTHENTICATOR, &vec![1; len]),
                Err(PasswordError::InvalidHiddenLength { len })
            );
        }
    }

    #[test]
    fn overlong_password_is_refused() {
        assert_eq!(hide_user_password(SECRET, &AUTHENTICATOR, &[b'x'; 129]), Err(PasswordError::PasswordTooLong { len: 129 }));
    }
}
