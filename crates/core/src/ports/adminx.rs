//! Ports of the core: the 1Kosmos domain (tenant domains, communities, auth modules, the
//! users of communities, license keys).

use async_trait::async_trait;
use keyhall_types::{AuthModuleId, CommunityId, TenantId, UserId};

use crate::adminx::members::MemberQuery;
use crate::adminx::{AccessLicense, AuthModule, MemberRow, TenantDomain};
use crate::error::Result;
use crate::identity::User;
use crate::tenancy::Community;

#[async_trait]
pub trait DirectoryRepo: Send + Sync {
    async fn tenant_domain(&self, tenant: TenantId) -> Result<Option<TenantDomain>>;
    async fn tenant_domain_by_dns(&self, dns: &str) -> Result<Option<TenantDomain>>;
    async fn tenant_domain_by_tag(&self, tag: &str) -> Result<Option<TenantDomain>>;
    async fn community(&self, id: CommunityId) -> Result<Option<Community>>;
    async fn community_by_name(&self, tenant: TenantId, name: &str) -> Result<Option<Community>>;
    /// The community's modules, the default first, then by name.
    async fn auth_modules(&self, community: CommunityId) -> Result<Vec<AuthModule>>;
    async fn auth_module(&self, id: AuthModuleId) -> Result<Option<AuthModule>>;
    /// A user with its 1Kosmos row.
    async fn member(&self, user: UserId) -> Result<Option<(User, MemberRow)>>;
    /// The user of the community with the login name `username` (lower case).
    async fn find_member(&self, community: CommunityId, username: &str) -> Result<Option<(User, MemberRow)>>;
    /// A page of the community's users matching `query`, and how many match in all.
    async fn list_members(&self, community: CommunityId, query: &MemberQuery) -> Result<(Vec<(User, MemberRow)>, i64)>;
    /// How many users each module of the community has.
    async fn count_members(&self, community: CommunityId) -> Result<Vec<(AuthModuleId, i64)>>;
    /// Who has `alias` in the community.
    async fn alias_holder(&self, community: CommunityId, alias: &str) -> Result<Option<UserId>>;
    async fn aliases(&self, user: UserId) -> Result<Vec<String>>;
    async fn find_access_code(&self, digest: &str) -> Result<Option<crate::adminx::access_codes::AccessCode>>;
    /// The community's codes for these users, newest first.
    async fn list_access_codes(
        &self,
        community: CommunityId,
        users: &[UserId],
    ) -> Result<Vec<crate::adminx::access_codes::AccessCode>>;
    async fn find_license(&self, digest: &str) -> Result<Option<AccessLicense>>;
}

/// The collections of communities (`adminx::collections`).
#[async_trait]
pub trait CollectionRepo: Send + Sync {
    /// The community's items of `kind`, oldest first.
    async fn community_items(&self, community: CommunityId, kind: &str)
    -> Result<Vec<crate::adminx::collections::CommunityItem>>;
    async fn community_item(&self, id: &str) -> Result<Option<crate::adminx::collections::CommunityItem>>;
    /// The community's item of `kind` named `name`.
    async fn community_item_named(
        &self,
        community: CommunityId,
        kind: &str,
        name: &str,
    ) -> Result<Option<crate::adminx::collections::CommunityItem>>;
    /// Every community's items of `kind` (the RADIUS configurations a datagram is matched to).
    async fn items_of_kind(&self, kind: &str) -> Result<Vec<crate::adminx::collections::CommunityItem>>;
}

/// The OATH hardware tokens of communities and their holders (`adminx::hardware_tokens`).
#[async_trait]
pub trait HardwareTokenRepo: Send + Sync {
    /// A page of the community's tokens matching `query` (by serial number), with how many
    /// users hold each, and how many match in all.
    async fn hardware_tokens(
        &self,
        community: CommunityId,
        query: &crate::adminx::hardware_tokens::TokenQuery,
    ) -> Result<(Vec<(crate::adminx::hardware_tokens::HardwareToken, i64)>, i64)>;
    async fn hardware_token(&self, id: &str) -> Result<Option<crate::adminx::hardware_tokens::HardwareToken>>;
    async fn hardware_token_by_serial(
        &self,
        community: CommunityId,
        serial: &str,
    ) -> Result<Option<crate::adminx::hardware_tokens::HardwareToken>>;
    /// The tokens the user holds.
    async fn user_hardware_tokens(&self, user: UserId) -> Result<Vec<crate::adminx::hardware_tokens::HardwareToken>>;
    /// A page of who holds which token in the community, by username, and how many in all.
    async fn token_holders(
        &self,
        community: CommunityId,
        query: &crate::adminx::hardware_tokens::HolderQuery,
    ) -> Result<(Vec<crate::adminx::hardware_tokens::TokenHolder>, i64)>;
}

/// The Reports of communities: their events and download jobs (`adminx::reports`,
/// `adminx::report_jobs`).
#[async_trait]
pub trait ReportRepo: Send + Sync {
    /// A page of the community's events matching `query`, newest first.
    async fn report_events(
        &self,
        community: CommunityId,
        query: &crate::adminx::reports::EventQuery,
    ) -> Result<Vec<crate::adminx::reports::ReportEvent>>;
    /// How many events match, and (when `users`) how many distinct users they are about.
    async fn count_report_events(
        &self,
        community: CommunityId,
        query: &crate::adminx::reports::EventQuery,
        users: bool,
    ) -> Result<(i64, i64)>;
    /// Matching events counted per `bucket_ms` (from the epoch moved by `shift_ms`: a time
    /// zone's midnight), per application when asked:
    /// (bucket start ms, application, count), in time order.
    async fn report_event_buckets(
        &self,
        community: CommunityId,
        query: &crate::adminx::reports::EventQuery,
        bucket_ms: i64,
        shift_ms: i64,
        by_application: bool,
    ) -> Result<Vec<(i64, Option<String>, i64)>>;
    /// The last `E_LOGIN_SUCCEEDED` of each of these users (ms), for those who have one.
    async fn last_logins(&self, community: CommunityId, usernames: &[String]) -> Result<Vec<(String, i64)>>;
    async fn report_job(&self, id: &str) -> Result<Option<crate::adminx::report_jobs::ReportJob>>;
    async fn report_jobs(
        &self,
        community: CommunityId,
        order: crate::adminx::report_jobs::JobOrder,
        descending: bool,
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<crate::adminx::report_jobs::ReportJob>, i64)>;
    async fn report_job_content(&self, id: &str) -> Result<Option<Vec<u8>>>;
    /// Marks the oldest `Pending` job (or a `Running` one not heard of since `stale_before`)
    /// `Running` under `claim`, atomically, and returns it.
    async fn claim_report_job(
        &self,
        claim: &str,
        now: keyhall_types::Timestamp,
        stale_before: keyhall_types::Timestamp,
    ) -> Result<Option<crate::adminx::report_jobs::ReportJob>>;
    /// Drops the files of jobs completed before `before`, marking them `Expired`; how many.
    async fn expire_report_files(&self, before: keyhall_types::Timestamp) -> Result<u64>;
    /// Moves the heartbeat of a job `claim` is building; false when it no longer is.
    async fn beat_report_job(&self, id: &str, claim: &str, now: keyhall_types::Timestamp) -> Result<bool>;
}
