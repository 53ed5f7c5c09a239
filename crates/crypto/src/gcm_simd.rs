//! AES-256-GCM sealing with the 256-bit AES and carry-less multiply instructions (VAES,
//! VPCLMULQDQ), for the processors that have them; chosen at run time, never assumed.
//!
//! The 1Kosmos envelope seals every answer, pages of many kilobytes included, under a key
//! that lasts. The RustCrypto AES and GHASH this crate otherwise uses run one 128-bit lane at
//! a time (their 256-bit AES path is only switched on where AVX-512 state is present) and
//! GHASH reverses every block in a separate pass; here two blocks go through each instruction,
//! sixteen blocks are hashed with one reduction, and the block is encrypted and hashed while it
//! is still in a register. It is the only `unsafe` in keyhall: every function that runs these
//! instructions is reachable only through a [`SimdGcm`], made only after the processor said it
//! has them. The tests check it against `aes_gcm` and `ghash` byte for byte.
//!
//! GHASH is computed as POLYVAL (RFC 8452, appendix A): with H' = mulX(reverse(H)),
//! GHASH_H(X1..Xn) = reverse(POLYVAL_H'(reverse(X1)..reverse(Xn))), whose products need no bit
//! reflection.
#![allow(unsafe_code)]

use std::arch::x86_64::*;

use crate::gcm_base64::lengths_block;

const BLOCK: usize = 16;
/// 256-bit registers of two blocks each encrypted and hashed per step: enough independent AES
/// chains to keep the AES units busy through each instruction's latency.
const REGS: usize = 8;
/// Blocks per step.
const WIDE: usize = 2 * REGS;

/// An AES-256 key schedule and its GHASH key powers, for a processor with VAES and VPCLMULQDQ.
#[derive(Clone, Copy)]
pub(crate) struct SimdGcm {
    round_keys: [__m128i; 15],
    /// The same round keys in both halves of a 256-bit register.
    wide_round_keys: [__m256i; 15],
    /// H' (POLYVAL's form of the GHASH key).
    h: __m128i,
    /// H'^16, H'^15 … H'^1, two per register, the higher power in the low half.
    powers: [__m256i; REGS],
}

/// One message being sealed: the next counter block (byte-reversed, so that GCM's 32-bit
/// big-endian counter is the first little-endian lane) and the running POLYVAL value.
pub(crate) struct Running {
    counter: __m128i,
    hash: __m128i,
    tag_mask: __m128i,
}

impl SimdGcm {
    /// The key ready for these instructions, or `None` when the processor lacks one of them.
    pub fn new(key: &[u8; 32]) -> Option<Self> {
        let supported = std::arch::is_x86_feature_detected!("aes")
            && std::arch::is_x86_feature_detected!("pclmulqdq")
            && std::arch::is_x86_feature_detected!("ssse3")
            && std::arch::is_x86_feature_detected!("avx2")
            && std::arch::is_x86_feature_detected!("vaes")
            && std::arch::is_x86_feature_detected!("vpclmulqdq");
        // SAFETY: every instruction `prepare` uses was just reported present.
        supported.then(|| unsafe { prepare(key) })
    }

    /// Starts sealing under `iv` (a 128-bit IV, as NIST SP 800-38D derives J0 from it).
    pub fn start(&self, iv: &[u8; 16]) -> Running {
        // SAFETY: a `SimdGcm` exists only where `new` found the instructions.
        unsafe { start(self, iv) }
    }

    /// Encrypts `text` into `sealed` (same length) and hashes the result. Every call but a
    /// message's last must hand over whole 16-byte blocks.
    pub fn seal(&self, running: &mut Running, text: &[u8], sealed: &mut [u8]) {
        assert_eq!(text.len(), sealed.len());
        // SAFETY: as in `start`; `seal_blocks` reads and writes within the slices' lengths.
        unsafe { seal_blocks(self, running, text, sealed) }
    }

    /// The tag of a message of `text_len` bytes (no associated data).
    pub fn tag(&self, running: Running, text_len: usize) -> [u8; 16] {
        // SAFETY: as in `start`.
        unsafe { tag(self, running, text_len) }
    }
}

#[target_feature(enable = "ssse3")]
fn reverse(x: __m128i) -> __m128i {
    _mm_shuffle_epi8(x, _mm_set_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15))
}

#[target_feature(enable = "avx2")]
fn reverse_wide(x: __m256i) -> __m256i {
    let mask = _mm_set_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    _mm256_shuffle_epi8(x, _mm256_broadcastsi128_si256(mask))
}

fn load(bytes: &[u8; 16]) -> __m128i {
    // SAFETY: reads exactly the 16 bytes of the array; unaligned loads are allowed.
    unsafe { _mm_loadu_si128(bytes.as_ptr().cast()) }
}

fn store(x: __m128i) -> [u8; 16] {
    let mut out = [0u8; 16];
    // SAFETY: writes exactly the 16 bytes of the array.
    unsafe { _mm_storeu_si128(out.as_mut_ptr().cast(), x) };
    out
}

/// x ⊕ (x ≪ 32) ⊕ (x ≪ 64) ⊕ (x ≪ 96): the running XOR of a key-schedule row.
#[target_feature(enable = "sse2")]
fn spread(x: __m128i) -> __m128i {
    let x = _mm_xor_si128(x, _mm_slli_si128::<4>(x));
    _mm_xor_si128(x, _mm_slli_si128::<8>(x))
}

/// The AES-256 key schedule (FIPS 197 §5.2) with AESKEYGENASSIST.
#[target_feature(enable = "aes,sse2")]
fn expand_key(key: &[u8; 32]) -> [__m128i; 15] {
    let mut keys = [_mm_setzero_si128(); 15];
    let mut even = load(key[..16].try_into().expect("16 bytes"));
    let mut odd = load(key[16..].try_into().expect("16 bytes"));
    keys[0] = even;
    keys[1] = odd;
    // Even rows: the previous even row spread, plus SubWord(RotWord(last word)) ⊕ Rcon of the
    // odd row; odd rows: the previous odd row spread, plus SubWord(last word) of the even row.
    macro_rules! even {
        ($i:expr, $rcon:expr) => {
            even = _mm_xor_si128(spread(even), _mm_shuffle_epi32::<0xff>(_mm_aeskeygenassist_si128::<$rcon>(odd)));
            keys[$i] = even;
        };
    }
    macro_rules! odd {
        ($i:expr) => {
            odd = _mm_xor_si128(spread(odd), _mm_shuffle_epi32::<0xaa>(_mm_aeskeygenassist_si128::<0>(even)));
            keys[$i] = odd;
        };
    }
    even!(2, 0x01);
    odd!(3);
    even!(4, 0x02);
    odd!(5);
    even!(6, 0x04);
    odd!(7);
    even!(8, 0x08);
    odd!(9);
    even!(10, 0x10);
    odd!(11);
    even!(12, 0x20);
    odd!(13);
    even!(14, 0x40);
    keys
}

#[target_feature(enable = "aes")]
fn encrypt_block(keys: &[__m128i; 15], block: __m128i) -> __m128i {
    let mut x = _mm_xor_si128(block, keys[0]);
    for key in &keys[1..14] {
        x = _mm_aesenc_si128(x, *key);
    }
    _mm_aesenclast_si128(x, keys[14])
}

/// The 256-bit carry-less product of a and b, as (low, high) halves.
#[target_feature(enable = "pclmulqdq,sse2")]
fn multiply(a: __m128i, b: __m128i) -> (__m128i, __m128i) {
    let low = _mm_clmulepi64_si128::<0x00>(a, b);
    let high = _mm_clmulepi64_si128::<0x11>(a, b);
    let middle = _mm_xor_si128(_mm_clmulepi64_si128::<0x01>(a, b), _mm_clmulepi64_si128::<0x10>(a, b));
    (_mm_xor_si128(low, _mm_slli_si128::<8>(middle)), _mm_xor_si128(high, _mm_srli_si128::<8>(middle)))
}

/// POLYVAL's reduction: (low + high·x^128)·x^-128 modulo x^128 + x^127 + x^126 + x^121 + 1,
/// two folds of 64 bits each by the polynomial's upper word.
#[target_feature(enable = "pclmulqdq,sse2")]
fn reduce(low: __m128i, high: __m128i) -> __m128i {
    let poly = _mm_set_epi64x(0xc200_0000_0000_0000_u64 as i64, 1);
    let fold = |x: __m128i| _mm_xor_si128(_mm_shuffle_epi32::<0x4e>(x), _mm_clmulepi64_si128::<0x10>(x, poly));
    _mm_xor_si128(high, fold(fold(low)))
}

/// POLYVAL's product a·b·x^-128.
#[target_feature(enable = "pclmulqdq,sse2")]
fn dot(a: __m128i, b: __m128i) -> __m128i {
    let (low, high) = multiply(a, b);
    reduce(low, high)
}

/// Hashes one GCM block (as GCM orders its bytes) into the running POLYVAL value.
#[target_feature(enable = "pclmulqdq,ssse3")]
fn absorb(hash: __m128i, h: __m128i, block: __m128i) -> __m128i {
    dot(_mm_xor_si128(hash, reverse(block)), h)
}

#[target_feature(enable = "aes,pclmulqdq,ssse3,avx2")]
fn prepare(key: &[u8; 32]) -> SimdGcm {
    let round_keys = expand_key(key);
    let ghash_key = u128::from_be_bytes(store(encrypt_block(&round_keys, _mm_setzero_si128())));
    // mulX in POLYVAL's field: a shift, and the polynomial's low terms when x^128 falls out.
    let h = (ghash_key << 1) ^ ((ghash_key >> 127) * 0xc200_0000_0000_0000_0000_0000_0000_0001);
    let h = load(&h.to_le_bytes());
    let mut power = [h; WIDE];
    for i in 1..WIDE {
        power[i] = dot(power[i - 1], h);
    }
    let pair = |high_power: usize| _mm256_set_m128i(power[high_power - 2], power[high_power - 1]);
    SimdGcm {
        round_keys,
        wide_round_keys: round_keys.map(|k| _mm256_broadcastsi128_si256(k)),
        h,
        powers: std::array::from_fn(|i| pair(WIDE - 2 * i)),
    }
}

#[target_feature(enable = "aes,pclmulqdq,ssse3,avx2")]
fn start(gcm: &SimdGcm, iv: &[u8; 16]) -> Running {
    // J0 = GHASH(IV ‖ 0^64 ‖ [128]_64).
    let lengths = lengths_block(0, iv.len());
    let hash = absorb(absorb(_mm_setzero_si128(), gcm.h, load(iv)), gcm.h, load(&lengths));
    let j0 = reverse(hash);
    Running {
        counter: _mm_add_epi32(hash, _mm_set_epi32(0, 0, 0, 1)),
        hash: _mm_setzero_si128(),
        tag_mask: encrypt_block(&gcm.round_keys, j0),
    }
}

#[target_feature(enable = "aes,pclmulqdq,ssse3,avx2,vaes,vpclmulqdq")]
fn encrypt_wide(keys: &[__m256i; 15], mut blocks: [__m256i; REGS]) -> [__m256i; REGS] {
    for b in &mut blocks {
        *b = _mm256_xor_si256(*b, keys[0]);
    }
    for key in &keys[1..14] {
        for b in &mut blocks {
            *b = _mm256_aesenc_epi128(*b, *key);
        }
    }
    for b in &mut blocks {
        *b = _mm256_aesenclast_epi128(*b, keys[14]);
    }
    blocks
}

/// A step's counter blocks from the next one on, as GCM orders their bytes.
#[target_feature(enable = "avx2")]
fn counters(next: __m128i) -> [__m256i; REGS] {
    let pair = _mm256_add_epi32(_mm256_broadcastsi128_si256(next), _mm256_set_epi32(0, 0, 0, 1, 0, 0, 0, 0));
    std::array::from_fn(|i| {
        let n = 2 * i as i32;
        reverse_wide(_mm256_add_epi32(pair, _mm256_set_epi32(0, 0, 0, n, 0, 0, 0, n)))
    })
}

/// Hashes a step's ciphertext blocks with one reduction: (hash ⊕ X1)·H^16 ⊕ X2·H^15 ⊕ … ⊕ X16·H.
#[target_feature(enable = "pclmulqdq,ssse3,avx2,vpclmulqdq")]
fn absorb_wide(gcm: &SimdGcm, hash: __m128i, sealed: [__m256i; REGS]) -> __m128i {
    let zero = _mm256_setzero_si256();
    let (mut low, mut high, mut middle) = (zero, zero, zero);
    for (i, block) in sealed.into_iter().enumerate() {
        let mut x = reverse_wide(block);
        if i == 0 {
            x = _mm256_xor_si256(x, _mm256_set_m128i(_mm_setzero_si128(), hash));
        }
        let p = gcm.powers[i];
        low = _mm256_xor_si256(low, _mm256_clmulepi64_epi128::<0x00>(x, p));
        high = _mm256_xor_si256(high, _mm256_clmulepi64_epi128::<0x11>(x, p));
        middle = _mm256_xor_si256(middle, _mm256_clmulepi64_epi128::<0x01>(x, p));
        middle = _mm256_xor_si256(middle, _mm256_clmulepi64_epi128::<0x10>(x, p));
    }
    let halves = |x: __m256i| _mm_xor_si128(_mm256_castsi256_si128(x), _mm256_extracti128_si256::<1>(x));
    let (low, high, middle) = (halves(low), halves(high), halves(middle));
    reduce(_mm_xor_si128(low, _mm_slli_si128::<8>(middle)), _mm_xor_si128(high, _mm_srli_si128::<8>(middle)))
}

#[target_feature(enable = "aes,pclmulqdq,ssse3,avx2,vaes,vpclmulqdq")]
fn seal_blocks(gcm: &SimdGcm, running: &mut Running, text: &[u8], sealed: &mut [u8]) {
    let mut texts = text.chunks_exact(WIDE * BLOCK);
    let mut outs = sealed.chunks_exact_mut(WIDE * BLOCK);
    for (text, out) in (&mut texts).zip(&mut outs) {
        let keystream = encrypt_wide(&gcm.wide_round_keys, counters(running.counter));
        running.counter = _mm_add_epi32(running.counter, _mm_set_epi32(0, 0, 0, WIDE as i32));
        let mut ciphertext = [_mm256_setzero_si256(); REGS];
        for (i, c) in ciphertext.iter_mut().enumerate() {
            // SAFETY: `text` and `out` are 32·REGS bytes; each access is 32 bytes at 32·i.
            unsafe {
                let t = _mm256_loadu_si256(text.as_ptr().add(32 * i).cast());
                *c = _mm256_xor_si256(t, keystream[i]);
                _mm256_storeu_si256(out.as_mut_ptr().add(32 * i).cast(), *c);
            }
        }
        running.hash = absorb_wide(gcm, running.hash, ciphertext);
    }
    // Fewer than a step's blocks left: one more keystream step, of which only what is needed.
    let text = texts.remainder();
    if text.is_empty() {
        return;
    }
    let out = outs.into_remainder();
    let keystream = encrypt_wide(&gcm.wide_round_keys, counters(running.counter));
    let mut stream = [0u8; WIDE * BLOCK];
    for (i, k) in keystream.iter().enumerate() {
        // SAFETY: writes 32 bytes at 32·i of the 32·REGS-byte buffer.
        unsafe { _mm256_storeu_si256(stream.as_mut_ptr().add(32 * i).cast(), *k) };
    }
    for ((o, t), k) in out.iter_mut().zip(text).zip(stream) {
        *o = t ^ k;
    }
    let blocks = text.len().div_ceil(BLOCK);
    running.counter = _mm_add_epi32(running.counter, _mm_set_epi32(0, 0, 0, blocks as i32));
    for block in out.chunks(BLOCK) {
        // GHASH pads a final partial block with zeros.
        let mut padded = [0u8; BLOCK];
        padded[..block.len()].copy_from_slice(block);
        running.hash = absorb(running.hash, gcm.h, load(&padded));
    }
}

#[target_feature(enable = "pclmulqdq,ssse3")]
fn tag(gcm: &SimdGcm, running: Running, text_len: usize) -> [u8; 16] {
    let hash = absorb(running.hash, gcm.h, load(&lengths_block(0, text_len)));
    store(_mm_xor_si128(reverse(hash), running.tag_mask))
}

#[cfg(test)]
mod tests {
    use aes_gcm::aes::Aes256;
    use cipher::{BlockCipherEncrypt, KeyInit};
    use ghash::GHash;
    use ghash::universal_hash::UniversalHash;

    use super::*;

    fn key() -> [u8; 32] {
        std::array::from_fn(|i| (i * 13 + 5) as u8)
    }

    #[test]
    fn the_key_schedule_encrypts_as_aes_256_does() {
        let Some(gcm) = SimdGcm::new(&key()) else { return };
        let block: [u8; 16] = std::array::from_fn(|i| (i * 17) as u8);
        let mut expected = block.into();
        Aes256::new(&key().into()).encrypt_block(&mut expected);
        // SAFETY: `gcm` exists, so the processor has AES-NI.
        let ours = store(unsafe { encrypt_block(&gcm.round_keys, load(&block)) });
        assert_eq!(ours[..], expected[..]);
    }

    #[test]
    fn a_step_of_blocks_at_a_time_hashes_as_ghash_does() {
        let Some(gcm) = SimdGcm::new(&key()) else { return };
        let mut h = [0u8; 16].into();
        Aes256::new(&key().into()).encrypt_block(&mut h);
        let blocks: Vec<[u8; 16]> = (0..2 * WIDE + 8).map(|n| std::array::from_fn(|i| (n * 31 + i * 7 + 1) as u8)).collect();
        let mut expected = GHash::new(&h);
        for b in &blocks {
            expected.update(&[(*b).into()]);
        }
        // SAFETY: `gcm` exists, so the processor has these instructions.
        let ours = unsafe {
            let mut hash = absorb(_mm_setzero_si128(), gcm.h, load(&blocks[0]));
            for step in blocks[1..1 + 2 * WIDE].chunks(WIDE) {
                let pair = |i: usize| _mm256_set_m128i(load(&step[2 * i + 1]), load(&step[2 * i]));
                hash = absorb_wide(&gcm, hash, std::array::from_fn(pair));
            }
            for b in &blocks[1 + 2 * WIDE..] {
                hash = absorb(hash, gcm.h, load(b));
            }
            store(reverse(hash))
        };
        assert_eq!(ours[..], expected.finalize()[..]);
    }

    #[test]
    fn the_counter_wraps_in_its_last_32_bits_as_gcm_says() {
        use cipher::{InnerIvInit, StreamCipher, StreamCipherCoreWrapper};
        let Some(gcm) = SimdGcm::new(&key()) else { return };
        let aes = Aes256::new(&key().into());
        let text: Vec<u8> = (0..40 * BLOCK + 5).map(|i| i as u8).collect();
        for last in [0xffff_fff0_u32, 0xffff_ffff, 0x7fff_fffc] {
            let mut first = [7u8; 16];
            first[12..].copy_from_slice(&last.to_be_bytes());
            let mut expected = text.clone();
            StreamCipherCoreWrapper::from_core(ctr::CtrCore::<&Aes256, ctr::flavors::Ctr32BE>::inner_iv_init(
                &aes,
                &first.into(),
            ))
            .apply_keystream(&mut expected);
            let mut running = Running { counter: reverse_bytes(first), hash: zero(), tag_mask: zero() };
            let mut ours = vec![0u8; text.len()];
            // A step, then five blocks, then the rest: both ways of stepping the counter.
            let (step, five) = (WIDE * BLOCK, (WIDE + 5) * BLOCK);
            gcm.seal(&mut running, &text[..step], &mut ours[..step]);
            gcm.seal(&mut running, &text[step..five], &mut ours[step..five]);
            gcm.seal(&mut running, &text[five..], &mut ours[five..]);
            assert_eq!(ours, expected, "counter from {last:#x}");
        }
    }

    fn reverse_bytes(mut block: [u8; 16]) -> __m128i {
        block.reverse();
        load(&block)
    }

    fn zero() -> __m128i {
        load(&[0; 16])
    }
}
