//! The nonces of API-key requests this node has accepted, so that a signed request is served
//! once: a signature covers only the nonce and the key id, so a replay would otherwise work
//! on any method and path for as long as the nonce is in its window. A nonce is accepted
//! within a window either side of the clock, so it stays valid for up to two windows after it
//! was first accepted (one dated a window ahead); nonces are kept at least that long (two
//! generations, each two windows long), in shards so that concurrent requests rarely wait on
//! each other. Nodes sharing a database also record them there.
//!
//! Recording every nonce in a shared database would cost each signed request a round trip
//! of its own; instead one writer per node records them in batches: the nonces that arrive
//! while a batch is being written make the next one (`NonceLedger`), so a busy node writes
//! dozens of nonces per statement and an idle one writes each at once.
//!
//! A nonce is remembered as a 128-bit keyed hash of (kid, nonce) rather than as its text: no
//! allocation per request, and a generation is one buffer to drop. Two different nonces
//! would have to share all 128 bits (under keys an outsider never sees) to be confused.

use std::collections::HashSet;
use std::hash::BuildHasher;
use std::sync::{Arc, Mutex, OnceLock};

use tokio::sync::{mpsc, oneshot};

use crate::error::{DomainError, Result};
use crate::ports::{NonceRecord, Store};

const SHARDS: usize = 16;

/// A set of fingerprints: they are keyed hashes already, so their own bits index the table
/// (hashing them again would cost each request another SipHash).
type Fingerprints = HashSet<u128, std::hash::BuildHasherDefault<FingerprintHasher>>;

#[derive(Default)]
struct FingerprintHasher(u64);

impl std::hash::Hasher for FingerprintHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write_u128(&mut self, fingerprint: u128) {
        self.0 = (fingerprint >> 64) as u64 ^ fingerprint as u64;
    }
    fn write(&mut self, bytes: &[u8]) {
        // Only `u128`s are hashed here; any other input still hashes, just not as fast.
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.0 = self.0.rotate_left(29) ^ u64::from_le_bytes(word);
        }
    }
}

#[derive(Default)]
struct Generations {
    /// The window the current generation belongs to.
    window: i64,
    current: Fingerprints,
    previous: Fingerprints,
}

pub struct NonceMemory {
    shards: Vec<Mutex<Generations>>,
    /// Two independently keyed hashers: their outputs make a nonce's 128-bit fingerprint.
    hashers: [std::collections::hash_map::RandomState; 2],
}

impl Default for NonceMemory {
    fn default() -> Self {
        Self { shards: (0..SHARDS).map(|_| Mutex::default()).collect(), hashers: Default::default() }
    }
}

impl NonceMemory {
    /// Records the nonce `(kid, nonce)` (as signed: a client may tell apart requests of one
    /// millisecond by what follows the digits) seen at `now_ms`, nonces being valid for
    /// `window_ms`; false when it was seen already.
    pub fn first_use(&self, kid: &str, nonce: &str, now_ms: i64, window_ms: i64) -> bool {
        let [high, low] = self.hashers.each_ref().map(|h| h.hash_one((kid, nonce)));
        let key = (u128::from(high) << 64) | u128::from(low);
        let shard = &self.shards[(low as usize) % SHARDS];
        let mut g = shard.lock().unwrap_or_else(|e| e.into_inner());
        // A generation spans two windows: a nonce accepted in it is still remembered two
        // windows later, when even one dated a window ahead of the clock has expired.
        let window = now_ms / (2 * window_ms).max(1);
        if window != g.window {
            // One generation on: the current one becomes the previous one; further on,
            // everything remembered is outside any window. The new generation starts as large
            // as the last one was, so that it does not grow (and copy itself) step by step.
            let size = g.current.len();
            let current = std::mem::replace(&mut g.current, Fingerprints::with_capacity_and_hasher(size, Default::default()));
            g.previous = if window == g.window + 1 { current } else { Fingerprints::default() };
            g.window = window;
        }
        if g.previous.contains(&key) {
            return false;
        }
        g.current.insert(key)
    }
}

impl super::Auth<'_> {
    /// Spends the nonce `(scope, nonce)`, valid for `window_ms` either side of now: true the
    /// first time, false for a replay seen by this node or (with a shared store) by any node.
    /// `scope` keeps unrelated nonces apart (an API key's id, the 1Kosmos `requestid`).
    pub async fn spend_nonce(self, scope: &str, nonce: &str, window_ms: i64) -> Result<bool> {
        let now_ms = (self.core.now().unix_timestamp_nanos() / 1_000_000) as i64;
        if !self.core.nonces.first_use(scope, nonce, now_ms, window_ms) {
            return Ok(false);
        }
        if self.core.store.records_nonces() {
            let expires_at = self.core.now() + time::Duration::milliseconds(2 * window_ms);
            let record = NonceRecord { kid: scope.to_string(), nonce: nonce.to_string(), expires_at };
            return self.core.nonce_ledger.remember(&self.core.store, record).await;
        }
        Ok(true)
    }
}

/// Most nonces one statement records.
const BATCH: usize = 512;

/// A nonce waiting for the writer, and who waits for its answer.
struct Pending {
    record: NonceRecord,
    answer: oneshot::Sender<Result<bool>>,
}

/// The node's writer of nonces into the shared store (started on first use).
#[derive(Default)]
pub struct NonceLedger {
    writer: OnceLock<mpsc::UnboundedSender<Pending>>,
}

impl NonceLedger {
    /// Records a nonce in the shared store; false when another request (here or on another
    /// node) recorded it first.
    pub(crate) async fn remember(&self, store: &Arc<dyn Store>, record: NonceRecord) -> Result<bool> {
        let writer = self.writer.get_or_init(|| {
            let (tx, rx) = mpsc::unbounded_channel();
            tokio::spawn(write_batches(store.clone(), rx));
            tx
        });
        let (answer, answered) = oneshot::channel();
        writer.send(Pending { record, answer }).map_err(|_| DomainError::internal("the nonce writer stopped"))?;
        answered.await.map_err(|_| DomainError::internal("the nonce writer dropped a nonce"))?
    }
}

/// Writes what is waiting, one statement at a time, until every sender is gone.
async fn write_batches(store: Arc<dyn Store>, mut waiting: mpsc::UnboundedReceiver<Pending>) {
    let mut batch = Vec::with_capacity(BATCH);
    while waiting.recv_many(&mut batch, BATCH).await > 0 {
        // The same pair twice in one batch: the first is the one recorded, the others are
        // replays of it.
        let mut seen = HashSet::new();
        let (first, repeats): (Vec<Pending>, Vec<Pending>) =
            batch.drain(..).partition(|p| seen.insert((p.record.kid.clone(), p.record.nonce.clone())));
        for p in repeats {
            let _ = p.answer.send(Ok(false));
        }
        let records: Vec<NonceRecord> = first.iter().map(|p| p.record.clone()).collect();
        match store.remember_nonces(&records).await {
            Ok(fresh) => {
                for (p, fresh) in first.into_iter().zip(fresh) {
                    let _ = p.answer.send(Ok(fresh));
                }
            }
            Err(e) => {
                for p in first {
                    let _ = p.answer.send(Err(e.clone()));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_nonce_is_accepted_once_within_its_window() {
        let m = NonceMemory::default();
        assert!(m.first_use("k1", "1000", 1000, 5000));
        assert!(!m.first_use("k1", "1000", 1001, 5000));
        assert!(m.first_use("k2", "1000", 1001, 5000), "another key");
        assert!(m.first_use("k1", "1000.1", 1002, 5000), "another request of the same millisecond");
        // Still refused in the next window (the nonce itself is then near its end).
        assert!(!m.first_use("k1", "1000", 5500, 5000));
    }

    #[test]
    fn a_nonce_is_remembered_for_as_long_as_it_is_valid() {
        const WINDOW: i64 = 5_000;
        let memory = NonceMemory::default();
        // Dated a whole window ahead of the clock, it is accepted now and stays valid until
        // two windows from now.
        let nonce_ms = 9_999 + WINDOW - 1;
        assert!(memory.first_use("kid", &nonce_ms.to_string(), 9_999, WINDOW));
        for now in [10_000, 14_999, 15_000, 19_999, nonce_ms + WINDOW - 1] {
            assert!(!memory.first_use("kid", &nonce_ms.to_string(), now, WINDOW), "replayed at {now}");
        }
        assert!(memory.first_use("other-kid", &nonce_ms.to_string(), 15_000, WINDOW), "keyed by key id too");
    }
}
