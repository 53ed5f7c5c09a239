//! A short-lived cache for hot per-tenant lists (the license list is read on every portal page
//! load and by every monitoring client). Writes made through this node invalidate it at once,
//! so a node always reads its own writes; writes made by other nodes sharing a PostgreSQL
//! database show up after at most the configured time to live.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use keyhall_types::TenantId;

/// A per-tenant cache (see `KeyedCache`).
pub type TenantCache<T> = KeyedCache<TenantId, T>;

/// A short-lived cache of values by key, invalidated by this node's writes. Concurrent misses
/// of one key share one load (when an entry expires under load, one read refills it rather
/// than one per waiting request).
pub struct KeyedCache<K, T: Send + Sync + 'static>
where
    K: std::hash::Hash + Eq + Send + Sync + 'static,
{
    /// Each value with the generation that was current when its load began, and when that was.
    entries: moka::future::Cache<K, Loaded<T>>,
    /// What `entries` holds of the current generation, for a hit without the asynchronous
    /// cache's bookkeeping (these caches are read on every call of their face, and a hit here
    /// is a read lock and a lookup). Bounded like `entries`: when full, what has expired goes.
    hits: RwLock<HashMap<K, Loaded<T>>>,
    ttl: Duration,
    /// Bumped by every invalidation. An entry loaded under an older generation is never
    /// served, so a slow read can never put back data older than a write.
    generation: AtomicU64,
}

/// A value, the generation its load began in, and when.
struct Loaded<T> {
    generation: u64,
    at: Instant,
    value: Arc<T>,
}

impl<T> Clone for Loaded<T> {
    fn clone(&self) -> Self {
        Self { generation: self.generation, at: self.at, value: self.value.clone() }
    }
}

const CAPACITY: usize = 10_000;

impl<K, T: Send + Sync + 'static> KeyedCache<K, T>
where
    K: std::hash::Hash + Eq + Clone + Send + Sync + 'static,
{
    pub fn new(ttl: Duration) -> Self {
        Self {
            entries: moka::future::Cache::builder().max_capacity(CAPACITY as u64).time_to_live(ttl).build(),
            hits: RwLock::new(HashMap::new()),
            ttl,
            generation: AtomicU64::new(0),
        }
    }

    pub async fn get_or_load<F, Fut>(&self, key: K, load: F) -> crate::Result<Arc<T>>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = crate::Result<T>>,
    {
        let wanted = self.generation.load(Ordering::Acquire);
        if let Some(hit) = self.hits.read().unwrap_or_else(|e| e.into_inner()).get(&key)
            && hit.generation == wanted
            && hit.at.elapsed() < self.ttl
        {
            return Ok(hit.value.clone());
        }
        // The asynchronous cache's futures are large: kept out of every caller's future (which
        // is moved, whole, on its way into the runtime) unless this call needs them.
        Box::pin(self.load(key, wanted, load)).await
    }

    /// The rest of `get_or_load`: the asynchronous cache, where misses share one load.
    async fn load<F, Fut>(&self, key: K, wanted: u64, load: F) -> crate::Result<Arc<T>>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = crate::Result<T>>,
    {
        if let Some(hit) = self.entries.get(&key).await {
            if hit.generation == wanted {
                self.remember(key, hit.clone());
                return Ok(hit.value);
            }
            self.entries.invalidate(&key).await;
        }
        let mut load = Some(load);
        let loaded = self
            .entries
            .try_get_with(key.clone(), async {
                let generation = self.generation.load(Ordering::Acquire);
                let at = Instant::now();
                let load = load.take().expect("a load runs once");
                Ok::<_, crate::error::DomainError>(Loaded { generation, at, value: Arc::new(load().await?) })
            })
            .await
            .map_err(|e| e.as_ref().clone())?;
        if loaded.generation < wanted {
            // This call joined a load that began before a write it may have made itself: it
            // reads afresh (its own load did not run), without keeping the answer.
            let load = load.take().expect("the shared load was another call's");
            return Ok(Arc::new(load().await?));
        }
        if loaded.generation != self.generation.load(Ordering::Acquire) {
            // Invalidated while loading: the caller gets the value, the cache does not keep it.
            self.entries.invalidate(&key).await;
            return Ok(loaded.value);
        }
        self.remember(key, loaded.clone());
        Ok(loaded.value)
    }

    /// Keeps a value of the current generation for the fast path (dated by its load, so it
    /// lives no longer there than in `entries`).
    fn remember(&self, key: K, loaded: Loaded<T>) {
        let mut hits = self.hits.write().unwrap_or_else(|e| e.into_inner());
        if loaded.generation != self.generation.load(Ordering::Acquire) {
            return;
        }
        if hits.len() >= CAPACITY {
            // Full: drop what has expired, and everything if that was not enough (the values
            // stay in `entries`; the next read of each puts it back).
            let ttl = self.ttl;
            hits.retain(|_, hit| hit.at.elapsed() < ttl);
            if hits.len() >= CAPACITY {
                hits.clear();
            }
        }
        hits.insert(key, loaded);
    }

    /// Forgets every entry (a write of one key is rare enough that all are read again).
    pub fn invalidate_all(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        self.hits.write().unwrap_or_else(|e| e.into_inner()).clear();
        self.entries.invalidate_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn invalidation_during_a_load_keeps_the_stale_value_out() {
        let cache = TenantCache::<u32>::new(std::time::Duration::from_secs(60));
        let t = TenantId::new();
        assert_eq!(*cache.get_or_load(t, || async { Ok(1) }).await.unwrap(), 1);
        assert_eq!(*cache.get_or_load(t, || async { Ok(2) }).await.unwrap(), 1, "served from the cache");
        cache.invalidate_all();
        // A load that races an invalidation returns its value but does not keep it.
        let v = cache
            .get_or_load(t, || async {
                cache.invalidate_all();
                Ok(3)
            })
            .await
            .unwrap();
        assert_eq!(*v, 3);
        assert_eq!(*cache.get_or_load(t, || async { Ok(4) }).await.unwrap(), 4);
    }

    #[tokio::test]
    async fn a_value_is_served_no_longer_than_its_time_to_live() {
        let cache = TenantCache::<u32>::new(std::time::Duration::from_millis(100));
        let t = TenantId::new();
        assert_eq!(*cache.get_or_load(t, || async { Ok(1) }).await.unwrap(), 1);
        assert_eq!(*cache.get_or_load(t, || async { Ok(2) }).await.unwrap(), 1, "served from the cache");
        tokio::time::sleep(std::time::Duration::from_millis(150)).await;
        assert_eq!(*cache.get_or_load(t, || async { Ok(3) }).await.unwrap(), 3, "read again once expired");
    }

    #[tokio::test]
    async fn the_fast_path_stays_within_its_bound() {
        let cache = KeyedCache::<u32, u32>::new(std::time::Duration::from_secs(60));
        for key in 0..CAPACITY as u32 + 10 {
            assert_eq!(*cache.get_or_load(key, || async move { Ok(key) }).await.unwrap(), key);
        }
        let kept = cache.hits.read().unwrap().len();
        assert!(kept <= CAPACITY, "{kept} kept");
    }

    #[tokio::test]
    async fn concurrent_misses_share_one_load() {
        let cache = Arc::new(TenantCache::<u32>::new(std::time::Duration::from_secs(60)));
        let loads = Arc::new(AtomicU64::new(0));
        let t = TenantId::new();
        let waiters: Vec<_> = (0..16)
            .map(|_| {
                let (cache, loads) = (cache.clone(), loads.clone());
                tokio::spawn(async move {
                    cache
                        .get_or_load(t, || async {
                            loads.fetch_add(1, Ordering::SeqCst);
                            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                            Ok(7)
                        })
                        .await
                        .unwrap()
                })
            })
            .collect();
        for w in waiters {
            assert_eq!(*w.await.unwrap(), 7);
        }
        assert_eq!(loads.load(Ordering::SeqCst), 1, "one read for sixteen waiting callers");
    }

    #[tokio::test]
    async fn a_caller_after_a_write_never_gets_a_load_begun_before_it() {
        let cache = Arc::new(TenantCache::<u32>::new(std::time::Duration::from_secs(60)));
        let t = TenantId::new();
        let (started, release) = (Arc::new(tokio::sync::Notify::new()), Arc::new(tokio::sync::Notify::new()));
        let slow = {
            let (cache, started, release) = (cache.clone(), started.clone(), release.clone());
            tokio::spawn(async move {
                cache
                    .get_or_load(t, || async move {
                        started.notify_one();
                        release.notified().await;
                        Ok(1)
                    })
                    .await
                    .unwrap()
            })
        };
        started.notified().await;
        cache.invalidate_all(); // a write lands while the old read is still running
        let fresh = {
            let cache = cache.clone();
            tokio::spawn(async move { cache.get_or_load(t, || async { Ok(2) }).await.unwrap() })
        };
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        release.notify_one();
        assert_eq!(*slow.await.unwrap(), 1);
        assert_eq!(*fresh.await.unwrap(), 2, "read after the write");
        assert_eq!(*cache.get_or_load(t, || async { Ok(3) }).await.unwrap(), 3, "the old read was not kept");
    }
}
