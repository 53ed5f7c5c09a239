//! A software WebAuthn authenticator for tests: answers a `PublicKeyCredentialCreationOptions`
//! with a P-256 credential and a "none" attestation, built byte by byte as a browser and an
//! authenticator would (CBOR, authenticator data, client data JSON).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

fn cbor_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    match bytes.len() {
        n if n < 24 => out.push(0x40 | n as u8),
        n if n < 256 => out.extend_from_slice(&[0x58, n as u8]),
        n => {
            out.push(0x59);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
    }
    out.extend_from_slice(bytes);
}

fn cbor_text(out: &mut Vec<u8>, text: &str) {
    assert!(text.len() < 24);
    out.push(0x60 | text.len() as u8);
    out.extend_from_slice(text.as_bytes());
}

/// The COSE_Key of an ES256 public key: {1: 2, 3: -7, -1: 1, -2: x, -3: y}.
fn cose_key(x: &[u8], y: &[u8]) -> Vec<u8> {
    let mut k = vec![0xa5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x01, 0x21];
    cbor_bytes(&mut k, x);
    k.push(0x22);
    cbor_bytes(&mut k, y);
    k
}

/// Produces the `PublicKeyCredential` JSON for `options` (the JSON the server sent), as seen
/// from `origin`, with the user-verified flag set.
pub fn register(options_json: &str, origin: &str) -> String {
    let options: Value = serde_json::from_str(options_json).expect("options JSON");
    let pk = &options["publicKey"];
    let challenge = pk["challenge"].as_str().expect("challenge");
    let rp_id = pk["rp"]["id"].as_str().expect("rp id");

    let secret = p256::SecretKey::from_slice(&keyhall_crypto::random::bytes::<32>()).expect("P-256 key");
    let point = secret.public_key().to_sec1_bytes();
    let (x, y) = (&point[1..33], &point[33..65]);
    let credential_id = keyhall_crypto::random::bytes::<16>();

    let mut auth_data = Sha256::digest(rp_id.as_bytes()).to_vec();
    auth_data.push(0x45); // user present, user verified, attested credential data
    auth_data.extend_from_slice(&0u32.to_be_bytes());
    auth_data.extend_from_slice(&[0u8; 16]); // AAGUID
    auth_data.extend_from_slice(&(credential_id.len() as u16).to_be_bytes());
    auth_data.extend_from_slice(&credential_id);
    auth_data.extend_from_slice(&cose_key(x, y));

    let mut attestation = vec![0xa3];
    cbor_text(&mut attestation, "fmt");
    cbor_text(&mut attestation, "none");
    cbor_text(&mut attestation, "attStmt");
    attestation.push(0xa0);
    cbor_text(&mut attestation, "authData");
    cbor_bytes(&mut attestation, &auth_data);

    let client_data =
        json!({ "type": "webauthn.create", "challenge": challenge, "origin": origin, "crossOrigin": false }).to_string();
    let id = URL_SAFE_NO_PAD.encode(credential_id);
    json!({
        "id": id,
        "rawId": id,
        "type": "public-key",
        "response": {
            "attestationObject": URL_SAFE_NO_PAD.encode(&attestation),
            "clientDataJSON": URL_SAFE_NO_PAD.encode(client_data.as_bytes()),
        },
        "extensions": {}
    })
    .to_string()
}
