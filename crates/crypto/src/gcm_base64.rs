//! AES-256-GCM sealing written straight out as base64 text, a few kilobytes at a time.
//!
//! The 1Kosmos envelope answers pages of many kilobytes as `base64(IV ‖ ciphertext ‖ tag)`.
//! Encrypting a whole page into a buffer, then hashing it, then encoding it walks the page
//! through memory three times over and allocates a page-sized buffer per answer; here each
//! chunk is encrypted into a small buffer, hashed and encoded while the cache still holds it.
//! It is GCM exactly as NIST SP 800-38D defines it for a 128-bit IV, built from the same
//! RustCrypto AES, CTR and GHASH the `aes_gcm` crate composes; `aes_gcm` opens what this seals,
//! and the tests check the two agree byte for byte.

use aes_gcm::aes::Aes256;
use cipher::{BlockCipherEncrypt, InnerIvInit, KeyInit, StreamCipher, StreamCipherCore, StreamCipherCoreWrapper};
use ghash::GHash;
use ghash::universal_hash::UniversalHash;

type Block = ghash::Block;
/// GCM's counter: the last 32 bits of the block count, wrapping (inc32), as in `aes_gcm`.
type Ctr32<'a> = ctr::CtrCore<&'a Aes256, ctr::flavors::Ctr32BE>;

/// Bytes of the wire encoded per step: a multiple of 3 (so that base64 pads only at the very
/// end) and of 16 (so that each step hashes whole GCM blocks), small enough for the L1 cache.
const CHUNK: usize = 3072;
/// The vendor's IV length (not GCM's usual 96 bits), and GCM's full tag.
pub(crate) const IV_LEN: usize = 16;
pub(crate) const TAG_LEN: usize = 16;

/// The most plaintext one GCM message may hold (2^39 - 256 bits).
const MAX_PLAINTEXT: u64 = (1 << 36) - 32;

/// An AES-256 key ready to seal: its key schedule and its GHASH key, computed once, for the
/// wide instructions where the processor has them (`gcm_simd`), for RustCrypto's otherwise.
#[derive(Clone)]
pub(crate) enum GcmBase64 {
    #[cfg(target_arch = "x86_64")]
    Wide(Box<crate::gcm_simd::SimdGcm>),
    Portable(Box<Portable>),
}

/// RustCrypto's key schedule and GHASH key.
#[derive(Clone)]
pub(crate) struct Portable {
    aes: Aes256,
    ghash: GHash,
}

/// One message on its way: encrypts and hashes a chunk at a time, then gives the tag.
trait Sealing {
    fn seal(&mut self, text: &[u8], sealed: &mut [u8]);
    fn tag(self, text_len: usize) -> [u8; TAG_LEN];
}

/// GCM from RustCrypto's AES, CTR and GHASH.
struct PortableSealing<'a> {
    keystream: StreamCipherCoreWrapper<Ctr32<'a>>,
    hash: GHash,
    tag_mask: Block,
}

impl Sealing for PortableSealing<'_> {
    fn seal(&mut self, text: &[u8], sealed: &mut [u8]) {
        self.keystream.apply_keystream_b2b(text, sealed);
        // Whole blocks on every step but the last, so the padding applies to the final
        // partial block only.
        self.hash.update_padded(sealed);
    }

    fn tag(mut self, text_len: usize) -> [u8; TAG_LEN] {
        self.hash.update(&[lengths_block(0, text_len).into()]);
        let tag = self.hash.finalize();
        std::array::from_fn(|i| tag[i] ^ self.tag_mask[i])
    }
}

#[cfg(target_arch = "x86_64")]
struct WideSealing<'a>(&'a crate::gcm_simd::SimdGcm, crate::gcm_simd::Running);

#[cfg(target_arch = "x86_64")]
impl Sealing for WideSealing<'_> {
    fn seal(&mut self, text: &[u8], sealed: &mut [u8]) {
        self.0.seal(&mut self.1, text, sealed);
    }

    fn tag(self, text_len: usize) -> [u8; TAG_LEN] {
        self.0.tag(self.1, text_len)
    }
}

impl GcmBase64 {
    pub fn new(key: &[u8; 32]) -> Self {
        #[cfg(target_arch = "x86_64")]
        if let Some(wide) = crate::gcm_simd::SimdGcm::new(key) {
            return Self::Wide(Box::new(wide));
        }
        Self::portable(key)
    }

    /// RustCrypto's GCM alone, whatever the processor.
    fn portable(key: &[u8; 32]) -> Self {
        let aes = Aes256::new(key.into());
        let mut h = Block::default();
        aes.encrypt_block(&mut h);
        Self::Portable(Box::new(Portable { ghash: GHash::new(&h), aes }))
    }

    /// Appends `base64(iv ‖ AES-256-GCM(plaintext) ‖ tag)` (no associated data, standard
    /// alphabet, padded) to `out`. The IV must never repeat under this key.
    pub fn seal_into(&self, iv: &[u8; IV_LEN], plaintext: &[u8], out: &mut Vec<u8>) {
        assert!(plaintext.len() as u64 <= MAX_PLAINTEXT, "a GCM message holds at most 64 GiB");
        match self {
            #[cfg(target_arch = "x86_64")]
            Self::Wide(wide) => write_base64(iv, plaintext, out, WideSealing(wide, wide.start(iv))),
            Self::Portable(portable) => {
                let Portable { aes, ghash } = portable.as_ref();
                // J0 = GHASH(IV ‖ 0^64 ‖ [len(IV)]_64) for an IV that is not 96 bits; its first
                // keystream block masks the tag, the following ones encrypt the text (inc32).
                let mut j0_hash = ghash.clone();
                j0_hash.update_padded(iv);
                j0_hash.update(&[lengths_block(0, IV_LEN).into()]);
                let mut counter = Ctr32::inner_iv_init(aes, &j0_hash.finalize());
                let mut tag_mask = Block::default();
                counter.write_keystream_block(&mut tag_mask);
                let keystream = StreamCipherCoreWrapper::from_core(counter);
                write_base64(iv, plaintext, out, PortableSealing { keystream, hash: ghash.clone(), tag_mask });
            }
        }
    }
}

/// Seals a chunk at a time into a small buffer and encodes it while the cache holds it.
fn write_base64(iv: &[u8; IV_LEN], plaintext: &[u8], out: &mut Vec<u8>, mut sealing: impl Sealing) {
    let mut buffer = [0u8; CHUNK + TAG_LEN];
    buffer[..IV_LEN].copy_from_slice(iv);
    let mut filled = IV_LEN;
    let mut rest = plaintext;
    loop {
        // Whole blocks on every step but the last (CHUNK - IV_LEN and CHUNK are both
        // multiples of 16).
        let (now, later) = rest.split_at((CHUNK - filled).min(rest.len()));
        sealing.seal(now, &mut buffer[filled..filled + now.len()]);
        filled += now.len();
        rest = later;
        if rest.is_empty() {
            break;
        }
        base64_simd::STANDARD.encode_append(&buffer[..filled], out);
        filled = 0;
    }
    buffer[filled..filled + TAG_LEN].copy_from_slice(&sealing.tag(plaintext.len()));
    base64_simd::STANDARD.encode_append(&buffer[..filled + TAG_LEN], out);
}

/// GHASH's closing block: the bit lengths of the associated data and of the text (also the
/// last block hashed into J0, with the IV's length as the text's).
pub(crate) fn lengths_block(associated_len: usize, text_len: usize) -> [u8; 16] {
    let mut block = [0u8; 16];
    block[..8].copy_from_slice(&(associated_len as u64 * 8).to_be_bytes());
    block[8..].copy_from_slice(&(text_len as u64 * 8).to_be_bytes());
    block
}

#[cfg(test)]
mod tests {
    use aes_gcm::aead::consts::U16;
    use aes_gcm::aead::{Aead, KeyInit as _};
    use aes_gcm::{AesGcm, Nonce};

    use super::*;

    /// What `aes_gcm` makes of the same key, IV and text, as the envelope's wire text.
    fn reference(key: &[u8; 32], iv: &[u8; 16], plaintext: &[u8]) -> String {
        let cipher = AesGcm::<Aes256, U16>::new(key.into());
        let sealed = cipher.encrypt(&Nonce::<U16>::from(*iv), plaintext).expect("encrypts");
        let mut wire = iv.to_vec();
        wire.extend_from_slice(&sealed);
        base64_simd::STANDARD.encode_to_string(&wire)
    }

    #[test]
    fn agrees_with_aes_gcm_at_every_length_around_the_chunk_edges() {
        let key: [u8; 32] = std::array::from_fn(|i| (i * 7 + 3) as u8);
        let text: Vec<u8> = (0..4 * CHUNK + 100).map(|i| (i * 31 % 251) as u8).collect();
        let edges = [0, CHUNK - IV_LEN, CHUNK, 2 * CHUNK - IV_LEN, 3 * CHUNK - IV_LEN, 4 * CHUNK - IV_LEN];
        let lengths = (0..=70).chain(edges.iter().flat_map(|&e| e.saturating_sub(20)..=(e + 20).min(text.len())));
        // The wide instructions where this processor has them, and RustCrypto's GCM alone.
        for sealer in [GcmBase64::new(&key), GcmBase64::portable(&key)] {
            for (n, len) in lengths.clone().enumerate() {
                let iv: [u8; 16] = std::array::from_fn(|i| (i + n) as u8);
                let mut out = b"prefix".to_vec();
                sealer.seal_into(&iv, &text[..len], &mut out);
                assert_eq!(&out[..6], b"prefix", "appends");
                let wire = String::from_utf8(out[6..].to_vec()).unwrap();
                assert_eq!(wire, reference(&key, &iv, &text[..len]), "length {len}");
            }
        }
    }
}
