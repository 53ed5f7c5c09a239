//! The worked examples of RFC 2865 §7.1, and signing checked against the RFC formulas
//! recomputed here with md-5 and hmac directly, so a mistake in the crate's signing code
//! cannot be mirrored by the test.

use std::net::Ipv4Addr;

use hmac::{Hmac, KeyInit, Mac};
use keyhall_radius::{
    Code, MessageAuthenticator, Packet, Response, attribute, decrypt_user_password, hide_user_password,
    verify_message_authenticator, verify_response_authenticator,
};
use md5::{Digest, Md5};

const SECRET: &[u8] = b"xyzzy5461";

const REQUEST_AUTHENTICATOR: [u8; 16] =
    [0x0f, 0x40, 0x3f, 0x94, 0x73, 0x97, 0x80, 0x57, 0xbd, 0x83, 0xd5, 0xcb, 0x98, 0xf4, 0x22, 0x7a];

const HIDDEN_PASSWORD: [u8; 16] =
    [0x0d, 0xbe, 0x70, 0x8d, 0x93, 0xd4, 0x13, 0xce, 0x31, 0x96, 0xe4, 0x3f, 0x78, 0x2a, 0x0a, 0xee];

/// RFC 2865 §7.1 Access-Request: nemo / arctangent from NAS 192.168.1.16, port 3.
fn rfc_access_request() -> Vec<u8> {
    let mut bytes = vec![0x01, 0x00, 0x00, 0x38];
    bytes.extend_from_slice(&REQUEST_AUTHENTICATOR);
    bytes.extend_from_slice(&[0x01, 0x06, 0x6e, 0x65, 0x6d, 0x6f, 0x02, 0x12]);
    bytes.extend_from_slice(&HIDDEN_PASSWORD);
    bytes.extend_from_slice(&[0x04, 0x06, 0xc0, 0xa8, 0x01, 0x10, 0x05, 0x06, 0x00, 0x00, 0x00, 0x03]);
    bytes
}

/// RFC 2865 §7.1 Access-Accept: Service-Type Login, Login-Service Telnet, Login-IP-Host 192.168.1.3.
fn rfc_access_accept() -> Vec<u8> {
    vec![
        0x02, 0x00, 0x00, 0x26, 0x86, 0xfe, 0x22, 0x0e, 0x76, 0x24, 0xba, 0x2a, 0x10, 0x05, 0xf6, 0xbf, 0x9b, 0x55, 0xe0, 0xb2,
        0x06, 0x06, 0x00, 0x00, 0x00, 0x01, 0x0f, 0x06, 0x00, 0x00, 0x00, 0x00, 0x0e, 0x06, 0xc0, 0xa8, 0x01, 0x03,
    ]
}

#[test]
fn rfc_request_parses_and_reencodes_identically() {
    let bytes = rfc_access_request();
    let request = Packet::parse(&bytes).unwrap();
    assert_eq!(request.code, Code::AccessRequest);
    assert_eq!(request.identifier, 0);
    assert_eq!(request.authenticator, REQUEST_AUTHENTICATOR);
    assert_eq!(request.text(attribute::USER_NAME), Some("nemo"));
    assert_eq!(request.ipv4(attribute::NAS_IP_ADDRESS), Some(Ipv4Addr::new(192, 168, 1, 16)));
    assert_eq!(request.integer(attribute::NAS_PORT), Some(3));
    assert_eq!(request.encode().unwrap(), bytes);
    assert_eq!(verify_message_authenticator(SECRET, &bytes), MessageAuthenticator::Absent);
}

#[test]
fn rfc_password_decrypts_and_hides_to_the_rfc_bytes() {
    let request = Packet::parse(&rfc_access_request()).unwrap();
    let hidden = request.attribute(attribute::USER_PASSWORD).unwrap();
    assert_eq!(decrypt_user_password(SECRET, &request.authenticator, hidden).unwrap(), b"arctangent");
    assert_eq!(hide_user_password(SECRET, &REQUEST_AUTHENTICATOR, b"arctangent").unwrap(), HIDDEN_PASSWORD);
}

#[test]
fn rfc_accept_carries_a_valid_response_authenticator() {
    let accept = rfc_access_accept();
    assert!(verify_response_authenticator(SECRET, &REQUEST_AUTHENTICATOR, &accept));
    let mut tampered = accept.clone();
    tampered[37] ^= 0x01;
    assert!(!verify_response_authenticator(SECRET, &REQUEST_AUTHENTICATOR, &tampered));
}

#[test]
fn response_is_signed_as_the_rfcs_describe() {
    let mut request = Packet::parse(&rfc_access_request()).unwrap();
    request.attributes.push((attribute::PROXY_STATE, b"hop-1".to_vec()));
    request.attributes.push((attribute::PROXY_STATE, b"hop-2".to_vec()));
    let mut response = Response::new(Code::AccessAccept, &request);
    response.integer(attribute::SERVICE_TYPE, 1).unwrap().reply_message("Welcome");
    let bytes = response.finish(SECRET).unwrap();

    assert_eq!(&bytes[..2], &[0x02, 0x00]);
    assert_eq!(usize::from(u16::from_be_bytes([bytes[2], bytes[3]])), bytes.len());
    assert_eq!(&bytes[20..22], &[attribute::MESSAGE_AUTHENTICATOR, 18]);

    // RFC 3579 §3.2: HMAC-MD5 over the packet with the Request Authenticator in the header
    // and the Message-Authenticator value zeroed.
    let mut for_hmac = bytes.clone();
    for_hmac[4..20].copy_from_slice(&REQUEST_AUTHENTICATOR);
    for_hmac[22..38].fill(0);
    let mut mac = Hmac::<Md5>::new_from_slice(SECRET).unwrap();
    mac.update(&for_hmac);
    assert_eq!(mac.finalize().into_bytes().as_slice(), &bytes[22..38]);

    // RFC 2865 §3: MD5 over the packet with the Request Authenticator in the header and the
    // finished Message-Authenticator in place, followed by the secret.
    let mut for_md5 = bytes.clone();
    for_md5[4..20].copy_from_slice(&REQUEST_AUTHENTICATOR);
    let mut md5 = Md5::new();
    md5.update(&for_md5);
    md5.update(SECRET);
    assert_eq!(md5.finalize().as_slice(), &bytes[4..20]);

    let parsed = Packet::parse(&bytes).unwrap();
    let proxy_states: Vec<&[u8]> = parsed.attributes(attribute::PROXY_STATE).collect();
    assert_eq!(proxy_states, [b"hop-1".as_slice(), b"hop-2".as_slice()]);
    assert_eq!(parsed.text(attribute::REPLY_MESSAGE), Some("Welcome"));
}
