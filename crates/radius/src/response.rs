//! Signed answers to a request. The order of signing is fixed by the RFCs: the
//! Message-Authenticator (RFC 3579 §3.2) is computed first, over the packet carrying the
//! Request Authenticator; the Response Authenticator (RFC 2865 §3) is computed last, over
//! the packet including that Message-Authenticator, and then replaces the Request
//! Authenticator in the header.

use md5::{Digest, Md5};
use subtle::ConstantTimeEq;

use crate::attribute::{EAP_MESSAGE, MESSAGE_AUTHENTICATOR, PROXY_STATE, REPLY_MESSAGE, SESSION_TIMEOUT, STATE};
use crate::code::Code;
use crate::message_authenticator::compute_message_authenticator;
use crate::packet::{EncodeError, MAX_ATTRIBUTE_VALUE_LEN, Packet, declared_packet, encode_packet};

/// Where the Message-Authenticator value sits: it is always the first attribute.
const MESSAGE_AUTHENTICATOR_VALUE: std::ops::Range<usize> = 22..38;
const AUTHENTICATOR: std::ops::Range<usize> = 4..20;

/// A response being assembled for one request.
#[derive(Debug, Clone)]
pub struct Response {
    code: Code,
    identifier: u8,
    request_authenticator: [u8; 16],
    attributes: Vec<(u8, Vec<u8>)>,
}

impl Response {
    /// Starts a response to `request`: same Identifier, the request's Proxy-State attributes
    /// copied in order (RFC 2865 §5.33 requires it of every server), and the Request
    /// Authenticator kept for signing so that it cannot be mixed up with another request's.
    pub fn new(code: Code, request: &Packet) -> Self {
        let attributes =
            request.attributes.iter().filter(|(attribute_type, _)| *attribute_type == PROXY_STATE).cloned().collect();
        Response { code, identifier: request.identifier, request_authenticator: request.authenticator, attributes }
    }

    /// Appends an attribute with a raw value. Message-Authenticator is refused: [`Self::finish`]
    /// writes it, first, and a second one would make the response invalid.
    pub fn attribute(&mut self, attribute_type: u8, value: &[u8]) -> Result<&mut Self, EncodeError> {
        if attribute_type == MESSAGE_AUTHENTICATOR {
            return Err(EncodeError::ReservedAttribute { attribute_type });
        }
        if value.len() > MAX_ATTRIBUTE_VALUE_LEN {
            return Err(EncodeError::AttributeTooLong { attribute_type, len: value.len() });
        }
        self.attributes.push((attribute_type, value.to_vec()));
        Ok(self)
    }

    /// Appends a 32-bit integer attribute (Service-Type, Session-Timeout, Idle-Timeout, ...).
    pub fn integer(&mut self, attribute_type: u8, value: u32) -> Result<&mut Self, EncodeError> {
        self.attribute(attribute_type, &value.to_be_bytes())
    }

    /// Appends Reply-Message text. Text longer than one attribute holds is split over several,
    /// which RFC 2865 §5.18 says are shown concatenated; splits fall on character boundaries
    /// so each piece stays valid UTF-8 for NASes that display them one by one.
    pub fn reply_message(&mut self, text: &str) -> &mut Self {
        let mut rest = text;
        while !rest.is_empty() {
            let mut cut = rest.len().min(MAX_ATTRIBUTE_VALUE_LEN);
            while !rest.is_char_boundary(cut) {
                cut -= 1;
            }
            let (piece, tail) = rest.split_at(cut);
            self.attributes.push((REPLY_MESSAGE, piece.as_bytes().to_vec()));
            rest = tail;
        }
        self
    }

    /// Appends the State an Access-Challenge hands the client to send back (RFC 2865 §5.24).
    pub fn state(&mut self, state: &[u8]) -> Result<&mut Self, EncodeError> {
        self.attribute(STATE, state)
    }

    /// Appends Session-Timeout in seconds (RFC 2865 §5.27).
    pub fn session_timeout(&mut self, seconds: u32) -> &mut Self {
        self.attributes.push((SESSION_TIMEOUT, seconds.to_be_bytes().to_vec()));
        self
    }

    /// Appends an EAP packet, split over consecutive EAP-Message attributes as RFC 3579 §3.1
    /// requires when it exceeds one attribute.
    pub fn eap_message(&mut self, eap_packet: &[u8]) -> &mut Self {
        for piece in eap_packet.chunks(MAX_ATTRIBUTE_VALUE_LEN) {
            self.attributes.push((EAP_MESSAGE, piece.to_vec()));
        }
        self
    }

    /// The datagram to send: Message-Authenticator first (as BlastRADIUS mitigations
    /// recommend, and always, so that no client configuration can go without it), then the
    /// copied Proxy-State attributes, then the rest in the order they were added.
    pub fn finish(&self, secret: &[u8]) -> Result<Vec<u8>, EncodeError> {
        let zeroed = [0u8; 16];
        let attributes = std::iter::once((MESSAGE_AUTHENTICATOR, zeroed.as_slice()))
            .chain(self.attributes.iter().map(|(attribute_type, value)| (*attribute_type, value.as_slice())));
        let mut bytes = encode_packet(self.code, self.identifier, &self.request_authenticator, attributes)?;
        let message_authenticator = compute_message_authenticator(secret, &bytes);
        bytes[MESSAGE_AUTHENTICATOR_VALUE].copy_from_slice(&message_authenticator);
        let response_authenticator = compute_response_authenticator(secret, &bytes);
        bytes[AUTHENTICATOR].copy_from_slice(&response_authenticator);
        Ok(bytes)
    }
}

/// Checks a response's Response Authenticator against the request it answers, as a client
/// does (RFC 2865 §3). Malformed packets are not authentic.
pub fn verify_response_authenticator(secret: &[u8], request_authenticator: &[u8; 16], datagram: &[u8]) -> bool {
    let Ok(packet) = declared_packet(datagram) else {
        return false;
    };
    let mut signed = packet.to_vec();
    signed[AUTHENTICATOR].copy_from_slice(request_authenticator);
    let expected = compute_response_authenticator(secret, &signed);
    bool::from(expected.ct_eq(&packet[AUTHENTICATOR]))
}

/// MD5(Code ‖ Identifier ‖ Length ‖ Request Authenticator ‖ Attributes ‖ Secret), given the
/// packet with the Request Authenticator in its header.
fn compute_response_authenticator(secret: &[u8], packet_with_request_authenticator: &[u8]) -> [u8; 16] {
    let mut md5 = Md5::new();
    md5.update(packet_with_request_authenticator);
    md5.update(secret);
    md5.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attribute::{CLASS, SERVICE_TYPE, USER_NAME};
    use crate::{MessageAuthenticator, verify_response_message_authenticator};

    const SECRET: &[u8] = b"s3cret";

    fn request() -> Packet {
        Packet {
            code: Code::AccessRequest,
            identifier: 9,
            authenticator: [0x5a; 16],
            attributes: vec![(PROXY_STATE, b"first".to_vec()), (USER_NAME, b"nemo".to_vec()), (PROXY_STATE, b"second".to_vec())],
        }
    }

    #[test]
    fn proxy_state_is_copied_in_order_and_nothing_else_is() {
        let bytes = Response::new(Code::AccessReject, &request()).finish(SECRET).unwrap();
        let response = Packet::parse(&bytes).unwrap();
        assert_eq!(response.code, Code::AccessReject);
        assert_eq!(response.identifier, 9);
        let proxy_states: Vec<&[u8]> = response.attributes(PROXY_STATE).collect();
        assert_eq!(proxy_states, [b"first".as_slice(), b"second".as_slice()]);
        assert_eq!(response.attribute(USER_NAME), None);
    }

    #[test]
    fn message_authenticator_comes_first_and_once() {
        let mut response = Response::new(Code::AccessAccept, &request());
        response.integer(SERVICE_TYPE, 1).unwrap().session_timeout(3600);
        let parsed = Packet::parse(&response.finish(SECRET).unwrap()).unwrap();
        assert_eq!(parsed.attributes[0].0, MESSAGE_AUTHENTICATOR);
        assert_eq!(parsed.attributes(MESSAGE_AUTHENTICATOR).count(), 1);
        assert_eq!(parsed.integer(SERVICE_TYPE), Some(1));
        assert_eq!(parsed.integer(SESSION_TIMEOUT), Some(3600));
    }

    #[test]
    fn finished_response_verifies_as_a_client_would() {
        let mut response = Response::new(Code::AccessChallenge, &request());
        response.state(b"opaque").unwrap().reply_message("Enter the code");
        let bytes = response.finish(SECRET).unwrap();
        let request_authenticator = request().authenticator;
        assert!(verify_response_authenticator(SECRET, &request_authenticator, &bytes));
        assert_eq!(verify_response_message_authenticator(SECRET, &request_authenticator, &bytes), MessageAuthenticator::Valid);
        assert!(!verify_response_authenticator(b"other", &request_authenticator, &bytes));
        assert!(!verify_response_authenticator(SECRET, &[0; 16], &bytes));
        let mut tampered = bytes.clone();
        *tampered.last_mut().unwrap() ^= 1;
        assert!(!verify_response_authenticator(SECRET, &request_authenticator, &tampered));
        assert_eq!(
            verify_response_message_authenticator(SECRET, &request_authenticator, &tampered),
            MessageAuthenticator::Invalid
        );
    }

    #[test]
    fn long_reply_message_is_split_on_character_boundaries() {
        let text = "é".repeat(200);
        let mut response = Response::new(Code::AccessReject, &request());
        response.reply_message(&text).reply_message("");
        let parsed = Packet::parse(&response.finish(SECRET).unwrap()).unwrap();
        let pieces: Vec<&[u8]> = parsed.attributes(REPLY_MESSAGE).collect();
        assert_eq!(pieces.len(), 2);
        assert_eq!(pieces[0].len(), 252);
        let joined: Vec<String> = pieces.iter().map(|piece| String::from_utf8(piece.to_vec()).unwrap()).collect();
        assert_eq!(joined.concat(), text);
    }

    #[test]
    fn eap_packet_is_split_into_full_attributes() {
        let eap: Vec<u8> = (0..600u16).map(|i| i as u8).collect();
        let mut response = Response::new(Code::AccessChallenge, &request());
        response.eap_message(&eap);
        let parsed = Packet::parse(&response.finish(SECRET).unwrap()).unwrap();
        let lengths: Vec<usize> = parsed.attributes(EAP_MESSAGE).map(<[u8]>::len).collect();
        assert_eq!(lengths, [253, 253, 94]);
        assert_eq!(parsed.attributes(EAP_MESSAGE).flatten().copied().collect::<Vec<u8>>(), eap);
    }

    #[test]
    fn caller_cannot_add_a_message_authenticator_or_oversized_values() {
        let mut response = Response::new(Code::AccessAccept, &request());
        assert_eq!(
            response.attribute(MESSAGE_AUTHENTICATOR, &[0; 16]).err(),
            Some(EncodeError::ReservedAttribute { attribute_type: MESSAGE_AUTHENTICATOR })
        );
        assert_eq!(response.state(&[0; 254]).err(), Some(EncodeError::AttributeTooLong { attribute_type: STATE, len: 254 }));
    }

    #[test]
    fn oversized_response_is_refused() {
        let mut response = Response::new(Code::AccessAccept, &request());
        for _ in 0..16 {
            response.attribute(CLASS, &[1; 253]).unwrap();
        }
        assert!(matches!(response.finish(SECRET), Err(EncodeError::PacketTooLong { .. })));
    }
}
