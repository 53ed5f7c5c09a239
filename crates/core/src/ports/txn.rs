//! One unit of work: the rows a command writes, as typed operations, and the audit records
//! that go with them, committed together or not at all. The command decides what one
//! transaction holds; the store only knows how to write each kind of row.

use async_trait::async_trait;
use keyhall_types::{TenantId, Timestamp, UserId};

use crate::audit::AuditEvent;
use crate::auth::api_keys::ApiKey;
use crate::auth::api_tokens::ApiToken;
use crate::auth::restrictions::Restriction;
use crate::barong::data_storage::DataStorage;
use crate::credentials::Credential;
use crate::error::Result;
use crate::identity::documents::Document;
use crate::identity::phones::Phone;
use crate::identity::profiles::Profile;
use crate::identity::{Label, LabelScope, User};
use crate::ports::tenancy::ConfigDocument;
use crate::tenancy::{Community, Tenant};

/// One row operation. Each says which error aborts the whole unit when its condition fails.
#[derive(Debug, Clone)]
pub enum Write {
    // tenancy
    /// A tenant with its default community.
    InsertTenant {
        tenant: Tenant,
        community: Community,
    },
    /// The tenant's name and profile.
    UpdateTenant(Tenant),
    /// A configuration document at `expected_revision` (0: not stored yet), written as
    /// `doc.revision`; `config.stale_revision` when the stored revision is another.
    PutConfig {
        doc: ConfigDocument,
        expected_revision: i64,
    },
    // identity
    /// Holds the tenant until the unit ends (concurrent claims wait) and checks that it has no
    /// user yet: `user.first_taken` otherwise.
    ClaimFirstUser {
        tenant: TenantId,
    },
    /// `user.email_taken` / `user.username_taken` on a duplicate.
    InsertUser(User),
    /// Every field of the user; `user.not_found` when it is gone.
    UpdateUser(User),
    /// `label.key_taken` when the user has that key in that scope.
    InsertLabel(Label),
    /// Inserts the label or overwrites its value.
    PutLabel(Label),
    /// Inserts the label unless the user has that key in that scope already.
    AddLabelIfAbsent(Label),
    /// `label.not_found` when there is no such label.
    UpdateLabel {
        user: UserId,
        key: String,
        scope: LabelScope,
        value: String,
        at: Timestamp,
    },
    /// Nothing happens when there is no such label.
    DeleteLabel {
        user: UserId,
        key: String,
        scope: LabelScope,
    },
    /// `profile.open_exists` when the user has a drafted or submitted one.
    InsertProfile(Profile),
    /// `profile.not_editable` unless the stored profile is still drafted.
    UpdateDraftedProfile(Profile),
    /// `phone.exists` when the user has the number already.
    InsertPhone(Phone),
    /// Replaces the code of a phone not verified yet (and its time, `updated_at`).
    ReplacePhoneCode(Phone),
    /// Marks the phone verified; `phone.verified_elsewhere` when it is verified already or
    /// the number is verified by another user of the tenant.
    VerifyPhone(Phone),
    /// The documents with their files (`contents[i]` is `docs[i]`'s), all of one user, counted
    /// against `limit`: `document.limit_reached` when the user holds more already,
    /// `document.limit_will_be_reached` when they would then. Concurrent uploads of one user
    /// are counted one after the other.
    InsertDocuments {
        docs: Vec<Document>,
        contents: Vec<Vec<u8>>,
        limit: i64,
    },
    // credentials
    /// A second factor also marks its user as requiring one.
    InsertCredential(Credential),
    /// Replaces the user's password credential.
    ReplacePassword(Credential),
    /// Replaces the user's TOTP credential and marks the user as requiring a second factor.
    ReplaceTotp(Credential),
    /// Replaces the user's PIN.
    ReplacePin(Credential),
    /// One credential of the user; `credential.not_found` when the user has no such one.
    DeleteCredential {
        user: UserId,
        id: keyhall_types::CredentialId,
    },
    /// `credential.not_found` when the user has none of that kind.
    DeleteCredentials {
        user: UserId,
        kind: crate::credentials::CredentialKind,
    },
    /// `item.name_taken` when the community has an item of that kind and name.
    InsertItem(crate::adminx::collections::CommunityItem),
    /// Name, body and time; `item.not_found` when gone, `item.name_taken` as above.
    UpdateItem(crate::adminx::collections::CommunityItem),
    /// `item.not_found` when gone.
    DeleteItem(String),
    /// `item.name_taken` when the community has a token with that serial number.
    InsertHardwareToken(crate::adminx::hardware_tokens::HardwareToken),
    /// Seed, counter, drift and time; `item.not_found` when gone.
    UpdateHardwareToken(crate::adminx::hardware_tokens::HardwareToken),
    /// Counter, drift, last use and time, only while the stored counter is still `expected`
    /// (`hardware_token.counter_moved` otherwise: a code spent twice).
    AdvanceHardwareToken {
        token: crate::adminx::hardware_tokens::HardwareToken,
        expected: i64,
    },
    /// Nothing when gone.
    DeleteHardwareToken(String),
    /// Nothing when the user holds it already.
    AssignHardwareToken(crate::adminx::hardware_tokens::TokenHolder),
    UnassignHardwareToken {
        token: String,
        user: UserId,
    },
    /// A client's event of a community (audited events become report events with their record).
    InsertReportEvent(crate::adminx::reports::ReportEvent),
    InsertReportJob(crate::adminx::report_jobs::ReportJob),
    /// `Cancelled`, while it is `Pending` or `Running` (`item.not_found` otherwise).
    CancelReportJob(String),
    /// Status, size, error, time and file of a `Running` job (`item.not_found` when it is
    /// not: cancelled meanwhile).
    CompleteReportJob {
        job: crate::adminx::report_jobs::ReportJob,
        content: Vec<u8>,
    },
    // auth
    /// An API token, stored as the digest of its secret.
    InsertToken {
        token: ApiToken,
        digest: String,
    },
    InsertApiKey(ApiKey),
    /// State and scope; `api_key.not_found` when the holder has no such key.
    UpdateApiKey(ApiKey),
    /// Deletes every session of the user but `keep` (the tokens bound to them end with them).
    EndSessions {
        user: UserId,
        keep: Option<keyhall_types::SessionId>,
    },
    /// `api_key.not_found` when the holder has no such key.
    DeleteApiKey {
        holder: UserId,
        kid: String,
    },
    /// `restriction.taken` when the same category, scope and value exist.
    InsertRestriction(Restriction),
    /// Links another provider's identity (issuer, subject) to a user; nothing happens when it
    /// is linked already.
    LinkExternalIdentity {
        tenant: TenantId,
        issuer: String,
        subject: String,
        user: UserId,
        at: Timestamp,
    },
    // barong
    /// `data_storage.title_taken` when the user keeps one under that title.
    InsertDataStorage(DataStorage),
    // adminx
    /// `tenant.domain_taken` when the DNS name or tag is another tenant's.
    InsertTenantDomain(crate::adminx::TenantDomain),
    /// A community that is not its tenant's default; `community.name_taken` on a duplicate.
    InsertCommunity(Community),
    /// `community.name_taken` when the tenant has another of that name.
    RenameCommunity {
        id: keyhall_types::CommunityId,
        name: String,
    },
    /// `auth_module.name_taken` when the community has one of that name.
    InsertAuthModule(crate::adminx::AuthModule),
    /// Name, switch, configuration, secret, script; `auth_module.not_found` when gone.
    UpdateAuthModule(crate::adminx::AuthModule),
    /// The module and its users' 1Kosmos rows.
    DeleteAuthModule(keyhall_types::AuthModuleId),
    /// Gives every user of the community without a 1Kosmos row one in `module` (`basic`,
    /// known by its username or e-mail).
    AdoptCommunityUsers {
        community: keyhall_types::CommunityId,
        module: keyhall_types::AuthModuleId,
        at: Timestamp,
    },
    /// Inserts or replaces a user's 1Kosmos row; `user.username_taken` when the module has
    /// another user of that name.
    PutMember(crate::adminx::MemberRow),
    InsertLicense(crate::adminx::AccessLicense),
    InsertAccessCode(crate::adminx::access_codes::AccessCode),
    /// Revokes the user's pending codes of `kind`.
    RevokeAccessCodes {
        user: UserId,
        kind: String,
    },
    /// `access_code.not_found` unless the code is still pending.
    RedeemAccessCode {
        id: String,
        at: Timestamp,
    },
    /// `access_code.not_found` when the community has no such code.
    DeleteAccessCode {
        community: keyhall_types::CommunityId,
        id: String,
    },
    /// The user's aliases in its community (all of them, replacing the old ones);
    /// `alias.taken` when another user of the community has one.
    SetAliases {
        community: keyhall_types::CommunityId,
        user: UserId,
        aliases: Vec<String>,
    },
    // outbox
    /// A message to deliver once the unit is committed.
    QueueMessage(crate::ports::QueuedMessage),
}

/// The writes of one command and its audit records, committed once.
#[derive(Debug, Clone, Default)]
pub struct UnitOfWork {
    pub writes: Vec<Write>,
    pub audit: Vec<AuditEvent>,
}

impl UnitOfWork {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn write(mut self, write: Write) -> Self {
        self.writes.push(write);
        self
    }

    pub fn audit(mut self, event: AuditEvent) -> Self {
        self.audit.push(event);
        self
    }
}

#[async_trait]
pub trait UnitOfWorkRepo: Send + Sync {
    /// Applies the writes in order and appends the audit records, in one transaction: all or
    /// nothing. The first write whose condition fails aborts the unit with its error.
    async fn commit(&self, work: UnitOfWork) -> Result<()>;
}
