//! A short-lived cache for hot per-tenant lists (the license list is read on every portal page
//! load and by every monitoring client). Writes made through this node invalidate it at once,
//! so a node always reads its own writes; writes made by other nodes sharing a PostgreSQL
//! database show up after at most the configured time to live.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use keyhall_types::TenantId;

/// A per-tenant cache (see `KeyedCache`).
pub type TenantCache<T> = KeyedCache<TenantId, T>;

/// A short-lived cache of values by key, invalidated by this node's writes.
pub struct KeyedCache<K, T: Send + Sync + 'static>
where
    K: std::hash::Hash + Eq + Send + Sync + 'static,
{
    entries: moka::sync::Cache<K, Arc<T>>,
    /// Bumped by every invalidation. A load only fills the cache if no invalidation happened
    /// while it was reading, so a slow read can never put back data older than a write.
    generation: AtomicU64,
}

impl<K, T: Send + Sync + 'static> KeyedCache<K, T>
where
    K: std::hash::Hash + Eq + Clone + Send + Sync + 'static,
{
    pub fn new(ttl: std::time::Duration) -> Self {
        Self {
            entries: moka::sync::Cache::builder().max_capacity(10_000).time_to_live(ttl).build(),
            generation: AtomicU64::new(0),
        }
    }

    pub async fn get_or_load<F, Fut>(&self, tenant: K, load: F) -> crate::Result<Arc<T>>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = crate::Result<T>>,
    {
        if let Some(hit) = self.entries.get(&tenant) {
            return Ok(hit);
        }
        let before = self.generation.load(Ordering::Acquire);
        let value = Arc::new(load().await?);
        if self.generation.load(Ordering::Acquire) == before {
            self.entries.insert(tenant, value.clone());
        }
        Ok(value)
    }

    pub fn invalidate(&self, tenant: K) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        self.entries.invalidate(&tenant);
    }

    pub fn invalidate_all(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
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
        cache.invalidate(t);
        // A load that races an invalidation returns its value but does not keep it.
        let v = cache
            .get_or_load(t, || async {
                cache.invalidate(t);
                Ok(3)
            })
            .await
            .unwrap();
        assert_eq!(*v, 3);
        assert_eq!(*cache.get_or_load(t, || async { Ok(4) }).await.unwrap(), 4);
    }
}
