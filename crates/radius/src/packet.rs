use std::net::Ipv4Addr;
use std::ops::Range;

use crate::code::Code;

/// The smallest packet RFC 2865 §3 allows: the header alone.
pub const MIN_PACKET_LEN: usize = 20;
/// The largest packet RFC 2865 §3 allows.
pub const MAX_PACKET_LEN: usize = 4096;
/// The most an attribute's value can hold, its one-octet Length covering its own two octets of header.
pub const MAX_ATTRIBUTE_VALUE_LEN: usize = 253;

const HEADER_LEN: usize = 20;
const ATTRIBUTE_HEADER_LEN: usize = 2;

/// Why a datagram is not a RADIUS packet. RFC 2865 §3 says such packets are silently
/// discarded, so the variants exist for logs, not for replies.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("datagram of {received} octets is shorter than a RADIUS header")]
    TooShort { received: usize },
    #[error("Length field {declared} is outside 20..=4096")]
    InvalidLength { declared: usize },
    #[error("Length field {declared} exceeds the {received} octets received")]
    Truncated { declared: usize, received: usize },
    #[error("attribute at offset {offset} has a length below 2 or an incomplete header")]
    AttributeTooShort { offset: usize },
    #[error("attribute at offset {offset} runs past the end of the packet")]
    AttributeOverrun { offset: usize },
}

/// Why a packet cannot be put on the wire.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EncodeError {
    #[error("attribute {attribute_type} has {len} octets of value, more than 253 fit")]
    AttributeTooLong { attribute_type: u8, len: usize },
    #[error("packet would be {len} octets, more than 4096")]
    PacketTooLong { len: usize },
    #[error("attribute {attribute_type} is written by the encoder itself")]
    ReservedAttribute { attribute_type: u8 },
}

/// One RADIUS packet, attributes kept in wire order with their raw values (RFC 2865 §3, §5).
///
/// Attributes stay untyped because the same type number can repeat (Proxy-State, Reply-Message,
/// EAP-Message) and their order carries meaning that a map would lose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packet {
    pub code: Code,
    pub identifier: u8,
    pub authenticator: [u8; 16],
    pub attributes: Vec<(u8, Vec<u8>)>,
}

impl Packet {
    /// Reads a received datagram. Octets past the Length field are padding by RFC 2865 §3 and
    /// are ignored; a datagram shorter than its Length field is refused.
    pub fn parse(datagram: &[u8]) -> Result<Packet, ParseError> {
        let packet = declared_packet(datagram)?;
        let attributes = attribute_spans(packet)?
            .into_iter()
            .map(|(attribute_type, value)| (attribute_type, packet[value].to_vec()))
            .collect();
        let mut authenticator = [0u8; 16];
        authenticator.copy_from_slice(&packet[4..HEADER_LEN]);
        Ok(Packet { code: Code::from(packet[0]), identifier: packet[1], authenticator, attributes })
    }

    /// The packet as it goes on the wire, authenticator written as it stands: signing is the
    /// business of [`crate::Response`], which knows which authenticator belongs there.
    pub fn encode(&self) -> Result<Vec<u8>, EncodeError> {
        encode_packet(
            self.code,
            self.identifier,
            &self.authenticator,
            self.attributes.iter().map(|(attribute_type, value)| (*attribute_type, value.as_slice())),
        )
    }

    /// The value of the first attribute of this type.
    pub fn attribute(&self, attribute_type: u8) -> Option<&[u8]> {
        self.attributes(attribute_type).next()
    }

    /// Every value of this type, in wire order.
    pub fn attributes(&self, attribute_type: u8) -> impl Iterator<Item = &[u8]> {
        self.attributes.iter().filter(move |(found, _)| *found == attribute_type).map(|(_, value)| value.as_slice())
    }

    /// The first attribute of this type read as text; `None` when absent or not UTF-8
    /// (RFC 2865 §5 says text is UTF-8, and a server should not guess at other encodings).
    pub fn text(&self, attribute_type: u8) -> Option<&str> {
        self.attribute(attribute_type).and_then(|value| std::str::from_utf8(value).ok())
    }

    /// The first attribute of this type read as a 32-bit integer; `None` unless exactly 4 octets.
    pub fn integer(&self, attribute_type: u8) -> Option<u32> {
        let value: [u8; 4] = self.attribute(attribute_type)?.try_into().ok()?;
        Some(u32::from_be_bytes(value))
    }

    /// The first attribute of this type read as an IPv4 address; `None` unless exactly 4 octets.
    pub fn ipv4(&self, attribute_type: u8) -> Option<Ipv4Addr> {
        self.integer(attribute_type).map(Ipv4Addr::from)
    }
}

/// The part of the datagram the Length field covers, after checking RFC 2865 §3's bounds.
pub(crate) fn declared_packet(datagram: &[u8]) -> Result<&[u8], ParseError> {
    if datagram.len() < HEADER_LEN {
        return Err(ParseError::TooShort { received: datagram.len() });
    }
    let declared = usize::from(u16::from_be_bytes([datagram[2], datagram[3]]));
    if !(MIN_PACKET_LEN..=MAX_PACKET_LEN).contains(&declared) {
        return Err(ParseError::InvalidLength { declared });
    }
    if declared > datagram.len() {
        return Err(ParseError::Truncated { declared, received: datagram.len() });
    }
    Ok(&datagram[..declared])
}

/// Type and value range of each attribute of a packet already cut to its Length field.
/// Ranges rather than copies so that the Message-Authenticator check can patch the raw bytes.
pub(crate) fn attribute_spans(packet: &[u8]) -> Result<Vec<(u8, Range<usize>)>, ParseError> {
    let mut spans = Vec::new();
    let mut offset = HEADER_LEN;
    while offset < packet.len() {
        if packet.len() - offset < ATTRIBUTE_HEADER_LEN {
            return Err(ParseError::AttributeTooShort { offset });
        }
        let length = usize::from(packet[offset + 1]);
        if length < ATTRIBUTE_HEADER_LEN {
            return Err(ParseError::AttributeTooShort { offset });
        }
        let end = offset + length;
        if end > packet.len() {
            return Err(ParseError::AttributeOverrun { offset });
        }
        spans.push((packet[offset], offset + ATTRIBUTE_HEADER_LEN..end));
        offset = end;
    }
    Ok(spans)
}

pub(crate) fn encode_packet<'a>(
    code: Code,
    identifier: u8,
    authenticator: &[u8; 16],
    attributes: impl Iterator<Item = (u8, &'a [u8])>,
) -> Result<Vec<u8>, EncodeError> {
    let mut bytes = Vec::with_capacity(MAX_PACKET_LEN);
    bytes.extend_from_slice(&[u8::from(code), identifier, 0, 0]);
    bytes.extend_from_slice(authenticator);
    for (attribute_type, value) in attributes {
        push_attribute(&mut bytes, attribute_type, value)?;
    }
    if bytes.len() > MAX_PACKET_LEN {
        return Err(EncodeError::PacketTooLong { len: bytes.len() });
    }
    // Cannot truncate: the check above keeps the length within 4096.
    let length = bytes.len() as u16;
    bytes[2..4].copy_from_slice(&length.to_be_bytes());
    Ok(bytes)
}

fn push_attribute(bytes: &mut Vec<u8>, attribute_type: u8, value: &[u8]) -> Result<(), EncodeError> {
    if value.len() > MAX_ATTRIBUTE_VALUE_LEN {
        return Err(EncodeError::AttributeTooLong { attribute_type, len: value.len() });
    }
    // Cannot truncate: the check above keeps the length within 255.
    bytes.extend_from_slice(&[attribute_type, (value.len() + ATTRIBUTE_HEADER_LEN) as u8]);
    bytes.extend_from_slice(value);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attribute;

    fn sample() -> Packet {
        Packet {
            code: Code::AccessRequest,
            identifier: 42,
            authenticator: [7; 16],
            attributes: vec![
                (attribute::USER_NAME, b"nemo".to_vec()),
                (attribute::NAS_PORT, vec![0, 0, 0, 3]),
                (attribute::PROXY_STATE, b"one".to_vec()),
                (attribute::PROXY_STATE, b"two".to_vec()),
                (attribute::NAS_IP_ADDRESS, vec![192, 168, 1, 16]),
                (attribute::CLASS, Vec::new()),
            ],
        }
    }

    #[test]
    fn parse_reads_back_what_encode_wrote() {
        let bytes = sample().encode().unwrap();
        assert_eq!(bytes.len(), 20 + 6 + 6 + 5 + 5 + 6 + 2);
        assert_eq!(&bytes[..4], &[1, 42, 0, 50]);
        assert_eq!(Packet::parse(&bytes).unwrap(), sample());
    }

    #[test]
    fn helpers_read_typed_values() {
        let packet = sample();
        assert_eq!(packet.text(attribute::USER_NAME), Some("nemo"));
        assert_eq!(packet.integer(attribute::NAS_PORT), Some(3));
        assert_eq!(packet.ipv4(attribute::NAS_IP_ADDRESS), Some(Ipv4Addr::new(192, 168, 1, 16)));
        assert_eq!(packet.integer(attribute::PROXY_STATE), None);
        assert_eq!(packet.attribute(attribute::STATE), None);
        let proxy_states: Vec<&[u8]> = packet.attributes(attribute::PROXY_STATE).collect();
        assert_eq!(proxy_states, [b"one".as_slice(), b"two".as_slice()]);
    }

    #[test]
    fn text_refuses_invalid_utf8() {
        let mut packet = sample();
        packet.attributes[0].1 = vec![0xff, 0xfe];
        assert_eq!(packet.text(attribute::USER_NAME), None);
    }

    #[test]
    fn octets_beyond_the_length_field_are_ignored() {
        let mut bytes = sample().encode().unwrap();
        bytes.extend_from_slice(&[0xde, 0xad, 0xbe, 0xef]);
        assert_eq!(Packet::parse(&bytes).unwrap(), sample());
    }

    #[test]
    fn datagram_shorter_than_a_header_is_refused() {
        let bytes = sample().encode().unwrap();
        assert_eq!(Packet::parse(&bytes[..19]), Err(ParseError::TooShort { received: 19 }));
        assert_eq!(Packet::parse(&[]), Err(ParseError::TooShort { received: 0 }));
    }

    #[test]
    fn length_field_beyond_the_datagram_is_refused() {
        let bytes = sample().encode().unwrap();
        let cut = &bytes[..bytes.len() - 1];
        assert_eq!(Packet::parse(cut), Err(ParseError::Truncated { declared: bytes.len(), received: bytes.len() - 1 }));
    }

    #[test]
    fn length_field_outside_bounds_is_refused() {
        let mut bytes = sample().encode().unwrap();
        bytes[2..4].copy_from_slice(&19u16.to_be_bytes());
        assert_eq!(Packet::parse(&bytes), Err(ParseError::InvalidLength { declared: 19 }));
        let mut huge = vec![0u8; 5000];
        huge[0] = 1;
        huge[2..4].copy_from_slice(&4097u16.to_be_bytes());
        assert_eq!(Packet::parse(&huge), Err(ParseError::InvalidLength { declared: 4097 }));
        huge[2..4].copy_from_slice(&4096u16.to_be_bytes());
        assert!(matches!(Packet::parse(&huge), Err(ParseError::AttributeTooShort { offset: 20 })));
    }

    #[test]
    fn attribute_length_below_two_is_refused() {
        let mut bytes = sample().encode().unwrap();
        bytes[21] = 1;
        assert_eq!(Packet::parse(&bytes), Err(ParseError::AttributeTooShort { offset: 20 }));
        bytes[21] = 0;
        assert_eq!(Packet::parse(&bytes), Err(ParseError::AttributeTooShort { offset: 20 }));
    }

    #[test]
    fn attribute_running_past_the_packet_is_refused() {
        let mut bytes = sample().encode().unwrap();
        let last = bytes.len() - 2;
        bytes[last + 1] = 3;
        assert_eq!(Packet::parse(&bytes), Err(ParseError::AttributeOverrun { offset: last }));
    }

    #[test]
    fn lone_trailing_octet_is_refused() {
        let mut bytes = sample().encode().unwrap();
        bytes.push(attribute::USER_NAME);
        let length = bytes.len() as u16;
        bytes[2..4].copy_from_slice(&length.to_be_bytes());
        assert_eq!(Packet::parse(&bytes), Err(ParseError::AttributeTooShort { offset: bytes.len() - 1 }));
    }

    #[test]
    fn encode_refuses_what_the_wire_cannot_carry() {
        let mut packet = sample();
        packet.attributes.push((attribute::STATE, vec![0; 254]));
        assert_eq!(packet.encode(), Err(EncodeError::AttributeTooLong { attribute_type: attribute::STATE, len: 254 }));
        let mut packet = sample();
        packet.attributes = vec![(attribute::CLASS, vec![0; 253]); 17];
        assert_eq!(packet.encode(), Err(EncodeError::PacketTooLong { len: 20 + 17 * 255 }));
    }
}
