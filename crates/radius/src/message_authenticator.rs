//! Message-Authenticator (RFC 3579 §3.2): HMAC-MD5, keyed with the shared secret, over the
//! whole packet with the attribute's own value zeroed. Checked on the raw datagram rather
//! than a re-encoding of a parsed [`crate::Packet`], so that what is verified is exactly what
//! the client signed.

use hmac::{Hmac, KeyInit, Mac};
use md5::Md5;
use subtle::ConstantTimeEq;

use crate::attribute::MESSAGE_AUTHENTICATOR;
use crate::packet::{attribute_spans, declared_packet};

const VALUE_LEN: usize = 16;

/// What a packet's Message-Authenticator says about it.
#[must_use]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageAuthenticator {
    /// No Message-Authenticator attribute. Whether that is acceptable is policy: BlastRADIUS
    /// (CVE-2024-3596) hardening is to refuse Access-Requests without one.
    Absent,
    Valid,
    /// Wrong value, wrong length, present more than once, or the packet is malformed.
    Invalid,
}

/// Checks the Message-Authenticator of a received request (Access-Request, Status-Server),
/// whose Request Authenticator is signed as sent.
pub fn verify_message_authenticator(secret: &[u8], datagram: &[u8]) -> MessageAuthenticator {
    verify(secret, datagram, None)
}

/// Checks the Message-Authenticator of a response, which RFC 3579 §3.2 signs with the
/// Request Authenticator of the request in place of the Response Authenticator.
pub fn verify_response_message_authenticator(
    secret: &[u8],
    request_authenticator: &[u8; 16],
    datagram: &[u8],
) -> MessageAuthenticator {
    verify(secret, datagram, Some(request_authenticator))
}

fn verify(secret: &[u8], datagram: &[u8], authenticator_signed: Option<&[u8; 16]>) -> MessageAuthenticator {
    let Ok(packet) = declared_packet(datagram) else {
        return MessageAuthenticator::Invalid;
    };
    let Ok(spans) = attribute_spans(packet) else {
        return MessageAuthenticator::Invalid;
    };
    let mut found = spans.into_iter().filter(|(attribute_type, _)| *attribute_type == MESSAGE_AUTHENTICATOR);
    let Some((_, value)) = found.next() else {
        return MessageAuthenticator::Absent;
    };
    // A second copy would let an attacker choose which one a lenient verifier reads.
    if found.next().is_some() || value.len() != VALUE_LEN {
        return MessageAuthenticator::Invalid;
    }
    let mut signed = packet.to_vec();
    if let Some(authenticator) = authenticator_signed {
        signed[4..20].copy_from_slice(authenticator);
    }
    signed[value.clone()].fill(0);
    let expected = compute_message_authenticator(secret, &signed);
    if bool::from(expected.ct_eq(&packet[value])) { MessageAuthenticator::Valid } else { MessageAuthenticator::Invalid }
}

/// HMAC-MD5 of a packet whose Message-Authenticator value is already zeroed.
pub(crate) fn compute_message_authenticator(secret: &[u8], zeroed_packet: &[u8]) -> [u8; 16] {
    let mut mac = Hmac::<Md5>::new_from_slice(secret).expect("HMAC accepts keys of any length");
    mac.update(zeroed_packet);
    mac.finalize().into_bytes().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"xyzzy5461";

    /// The RFC 2865 §7.1 Access-Request with a Message-Authenticator appended; the value was
    /// computed outside this crate (Python's hmac module) so that a shared mistake cannot hide.
    fn signed_request() -> Vec<u8> {
        let mut bytes = vec![
            0x01, 0x00, 0x00, 0x4a, 0x0f, 0x40, 0x3f, 0x94, 0x73, 0x97, 0x80, 0x57, 0xbd, 0x83, 0xd5, 0xcb, 0x98, 0xf4, 0x22,
            0x7a, 0x01, 0x06, 0x6e, 0x65, 0x6d, 0x6f, 0x02, 0x12, 0x0d, 0xbe, 0x70, 0x8d, 0x93, 0xd4, 0x13, 0xce, 0x31, 0x96,
            0xe4, 0x3f, 0x78, 0x2a, 0x0a, 0xee, 0x04, 0x06, 0xc0, 0xa8, 0x01, 0x10, 0x05, 0x06, 0x00, 0x00, 0x00, 0x03, 0x50,
            0x12,
        ];
        bytes
            .extend_from_slice(&[0x63, 0xb7, 0x8a, 0x6b, 0x9d, 0x2f, 0x14, 0x99, 0x89, 0xfb, 0xf5, 0x7e, 0xa2, 0x1d, 0x19, 0x4c]);
        bytes
    }

    #[test]
    fn independently_computed_value_is_valid() {
        assert_eq!(verify_message_authenticator(SECRET, &signed_request()), MessageAuthenticator::Valid);
    }

    #[test]
    fn padding_after_the_length_field_does_not_matter() {
        let mut bytes = signed_request();
        bytes.extend_from_slice(&[1, 2, 3]);
        assert_eq!(verify_message_authenticator(SECRET, &bytes), MessageAuthenticator::Valid);
    }

    #[test]
    fn any_tampered_octet_is_invalid() {
        let original = signed_request();
        for index in 0..original.len() {
            // The Length field is skipped: changing it makes the packet malformed, which is
            // also Invalid, but for a reason this test does not mean to exercise.
            if index == 2 || index == 3 {
                continue;
            }
            let mut bytes = original.clone();
            bytes[index] ^= 0x01;
            // Renaming the attribute itself leaves a packet without one, which is Absent.
            let expected = if index == 56 { MessageAuthenticator::Absent } else { MessageAuthenticator::Invalid };
            assert_eq!(verify_message_authenticator(SECRET, &bytes), expected, "octet {index}");
        }
    }

    #[test]
    fn wrong_secret_is_invalid() {
        assert_eq!(verify_message_authenticator(b"xyzzy5462", &signed_request()), MessageAuthenticator::Invalid);
    }

    #[test]
    fn missing_attribute_is_absent() {
        let mut bytes = signed_request();
        bytes.truncate(bytes.len() - 18);
        bytes[3] = 0x38;
        assert_eq!(verify_message_authenticator(SECRET, &bytes), MessageAuthenticator::Absent);
    }

    #[test]
    fn second_copy_is_invalid_even_when_both_are_right() {
        let mut bytes = signed_request();
        let value: Vec<u8> = bytes[bytes.len() - 18..].to_vec();
        bytes.extend_from_slice(&value);
        bytes[3] = 0x5c;
        assert_eq!(verify_message_authenticator(SECRET, &bytes), MessageAuthenticator::Invalid);
    }

    #[test]
    fn wrong_attribute_length_is_invalid() {
        let mut bytes = signed_request();
        bytes.pop();
        bytes[3] = 0x49;
        let length_octet = bytes.len() - 16;
        bytes[length_octet] = 17;
        assert_eq!(verify_message_authenticator(SECRET, &bytes), MessageAuthenticator::Invalid);
    }

    #[test]
    fn malformed_packet_is_invalid() {
        let bytes = signed_request();
        assert_eq!(verify_message_authenticator(SECRET, &bytes[..bytes.len() - 1]), MessageAuthenticator::Invalid);
        assert_eq!(verify_message_authenticator(SECRET, &bytes[..10]), MessageAuthenticator::Invalid);
    }
}
