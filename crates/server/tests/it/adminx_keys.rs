//! The 1Kosmos face's server key: one per curve, made once, kept sealed, the same on every
//! node sharing the store.

use keyhall_crypto::envelope::{Curve, EnvelopeKey};

use crate::harness::TestServer;

crate::both!(the_envelope_key_is_made_once_sealed_and_shared_by_every_node, |srv: TestServer| async move {
    let auth = || srv.running.core.auth();
    let key = auth().envelope_key(Curve::Secp256k1).await.unwrap();
    assert_eq!(auth().envelope_key(Curve::Secp256k1).await.unwrap().public_base64(), key.public_base64());
    assert_eq!(auth().envelope_key(Curve::P256).await.unwrap().curve(), Curve::P256);
    let stored = srv.stored_texts("SELECT value FROM settings WHERE key = 'envelope_key.secp256k1'").await;
    let sealed = stored.first().cloned().flatten().expect("stored");
    assert!(!sealed.contains(&key.private_base64()), "kept sealed under the master key");
    // A second node on the same store answers with the same key, and a client's shared key
    // is the same whichever node it talks to.
    let node = srv.sibling(|_| {}).await;
    let other = node.running.core.auth().envelope_key(Curve::Secp256k1).await.unwrap();
    assert_eq!(other.public_base64(), key.public_base64());
    let client = EnvelopeKey::generate(Curve::Secp256k1);
    let wire = client.shared_key(&key.public_base64()).unwrap().encrypt(b"{\"ts\":1}");
    assert_eq!(other.shared_key(&client.public_base64()).unwrap().decrypt(&wire).unwrap(), b"{\"ts\":1}");
});
