//! The 1Kosmos face's hot reads, kept briefly: every call of a signed-in caller verifies its
//! JWT and reads its user, and `/users/fetch` reads a page and a count. Every write of this
//! context (`Adminx::commit`) forgets them at once, so a node reads its own writes; writes of
//! other nodes (and other faces) show after at most the read-cache time (one second by
//! default), the user of a token after two seconds, as Barong's sessions do.

use std::sync::Arc;

use keyhall_types::{CommunityId, UserId};
use serde_json::Value;

use super::members::MemberQuery;
use super::{Adminx, AuthModule, MemberRow};
use crate::cache::KeyedCache;
use crate::error::Result;
use crate::identity::User;
use crate::ports::UnitOfWork;

type Page = (Vec<(User, MemberRow)>, i64);

pub struct AdminxCache {
    modules: KeyedCache<CommunityId, Vec<Arc<AuthModule>>>,
    members: KeyedCache<UserId, Option<Arc<super::Member>>>,
    pages: KeyedCache<(CommunityId, MemberQuery), Page>,
    /// Pages as a face rendered them (bytes), by the same key.
    rendered: KeyedCache<(CommunityId, MemberQuery), Vec<u8>>,
    /// How many events a report query matches (a page is read every time; its total, a count
    /// over the whole window, is kept for the read-cache time).
    pub(crate) report_totals: moka::future::Cache<(CommunityId, String), (i64, i64)>,
    /// Claims of tokens whose signature verified (their times are checked on every use).
    pub(crate) claims: moka::sync::Cache<String, Arc<Value>>,
}

impl AdminxCache {
    pub fn new(ttl: std::time::Duration) -> Self {
        Self {
            modules: KeyedCache::new(ttl),
            members: KeyedCache::new(ttl.min(std::time::Duration::from_secs(2))),
            pages: KeyedCache::new(ttl),
            rendered: KeyedCache::new(ttl),
            report_totals: moka::future::Cache::builder().max_capacity(10_000).time_to_live(ttl).build(),
            claims: moka::sync::Cache::builder().max_capacity(100_000).time_to_live(std::time::Duration::from_secs(60)).build(),
        }
    }

    fn forget(&self) {
        self.modules.invalidate_all();
        self.members.invalidate_all();
        self.pages.invalidate_all();
        self.rendered.invalidate_all();
    }
}

impl Adminx<'_> {
    /// Commits a unit of this context and forgets what this node remembers of it.
    pub(crate) async fn commit(self, work: UnitOfWork) -> Result<()> {
        let outcome = self.core.store.commit(work).await;
        self.core.adminx_cache.forget();
        outcome
    }

    pub(crate) async fn cached_modules(self, community: CommunityId) -> Result<Arc<Vec<Arc<AuthModule>>>> {
        let load = || async { Ok(self.core.store.auth_modules(community).await?.into_iter().map(Arc::new).collect()) };
        self.core.adminx_cache.modules.get_or_load(community, load).await
    }

    pub(crate) async fn cached_member(self, user: UserId) -> Result<Option<Arc<super::Member>>> {
        let load = || async { Ok(self.core.store.member(user).await?.map(|(u, row)| Arc::new(super::Member::of(u, row)))) };
        Ok(self.core.adminx_cache.members.get_or_load(user, load).await?.as_ref().clone())
    }

    /// A page of users as `render` writes it, kept as briefly as the page itself (a user's
    /// `lock_duration` in it may be up to that old).
    pub async fn rendered_page<F>(self, scope: super::Scope, query: &MemberQuery, render: F) -> Result<Arc<Vec<u8>>>
    where
        F: FnOnce(&[super::Member], i64) -> Vec<u8>,
    {
        let key = (scope.community, query.clone());
        self.core
            .adminx_cache
            .rendered
            .get_or_load(key, || async {
                let (members, total) = self.members(scope, query).await?;
                Ok(render(&members, total))
            })
            .await
    }

    pub(crate) async fn cached_page(self, community: CommunityId, query: &MemberQuery) -> Result<Arc<Page>> {
        let key = (community, query.clone());
        self.core.adminx_cache.pages.get_or_load(key, || self.core.store.list_members(community, query)).await
    }
}
