//! Ports of the core: Users and what they say about themselves.

use async_trait::async_trait;
use keyhall_types::{DocumentId, Email, TenantId, Timestamp, UserId};

use crate::audit::AuditEvent;
use crate::credentials::Credential;
use crate::error::Result;
use crate::identity::documents::Document;
use crate::identity::phones::Phone;
use crate::identity::profiles::Profile;
use crate::identity::{Label, LabelScope, User};
use crate::tenancy::Tenant;

#[async_trait]
pub trait UserRepo: Send + Sync {
    /// Inserts the user and its password credential. Duplicate e-mail → `user.email_taken`.
    async fn insert_user(&self, user: &User, password: Option<&Credential>, audit: &AuditEvent) -> Result<()>;
    async fn get_user(&self, tenant: TenantId, id: UserId) -> Result<Option<User>>;
    async fn find_user_by_email(&self, tenant: TenantId, email: &Email) -> Result<Option<User>>;
    async fn find_user_by_uid(&self, tenant: TenantId, uid: &str) -> Result<Option<User>>;
    /// The service accounts a user owns, oldest first.
    async fn list_service_accounts(&self, owner: UserId) -> Result<Vec<User>>;
    async fn count_users(&self, tenant: TenantId) -> Result<i64>;
    async fn list_users(&self, tenant: TenantId) -> Result<Vec<User>>;
    /// Writes the user's fields and, if given, replaces its password credential.
    async fn update_user(&self, user: &User, new_password: Option<&Credential>, audit: &AuditEvent) -> Result<()>;
    /// Writes the user's settings and its tenant's name and profile together.
    async fn update_account(&self, user: &User, tenant: &Tenant, audit: &AuditEvent) -> Result<()>;
    /// Deletes the user with its credentials and sessions, and revokes its tokens.
    async fn delete_user(&self, tenant: TenantId, id: UserId, at: Timestamp, audit: &AuditEvent) -> Result<bool>;
}

#[async_trait]
pub trait LabelRepo: Send + Sync {
    /// Oldest first.
    async fn list_labels(&self, user: UserId) -> Result<Vec<Label>>;
    /// Inserts a label; a label with the same key and scope → `label.key_taken`.
    async fn insert_label(&self, label: &Label, audit: Option<&AuditEvent>) -> Result<()>;
    /// Inserts or overwrites the value of (user, key, scope).
    async fn put_label(&self, label: &Label, audit: Option<&AuditEvent>) -> Result<()>;
    async fn update_label(
        &self,
        user: UserId,
        key: &str,
        scope: LabelScope,
        value: &str,
        at: Timestamp,
        audit: &AuditEvent,
    ) -> Result<bool>;
    async fn delete_label(&self, user: UserId, key: &str, scope: LabelScope, audit: Option<&AuditEvent>) -> Result<bool>;
}

#[async_trait]
pub trait ProfileRepo: Send + Sync {
    /// Oldest first.
    async fn list_profiles(&self, user: UserId) -> Result<Vec<Profile>>;
    /// Inserts a profile and sets the user's `profile` label; a second open (drafted or
    /// submitted) profile → `profile.open_exists`.
    async fn insert_profile(&self, profile: &Profile, label: &Label, audit: &AuditEvent) -> Result<()>;
    /// Rewrites the profile if it is still drafted; false when it is not.
    async fn update_drafted_profile(&self, profile: &Profile, label: &Label, audit: &AuditEvent) -> Result<bool>;
}

#[async_trait]
pub trait PhoneRepo: Send + Sync {
    /// Oldest first.
    async fn list_phones(&self, user: UserId) -> Result<Vec<Phone>>;
    async fn find_user_phone(&self, user: UserId, digest: &str) -> Result<Option<Phone>>;
    /// Whether some user of the tenant verified the number.
    async fn phone_verified_in(&self, tenant: TenantId, digest: &str) -> Result<bool>;
    /// The same number twice for one user → `phone.exists`.
    async fn insert_phone(&self, phone: &Phone, audit: &AuditEvent) -> Result<()>;
    /// Marks the phone verified and gives the user the label (unless they already hold a
    /// `phone` label); verified by someone else meanwhile → `phone.verified_elsewhere`.
    async fn mark_phone_verified(&self, phone: &Phone, label: &Label, audit: &AuditEvent) -> Result<bool>;
}

#[async_trait]
pub trait DocumentRepo: Send + Sync {
    /// Oldest first, without their files.
    async fn list_documents(&self, user: UserId) -> Result<Vec<Document>>;
    async fn document_file(&self, id: DocumentId) -> Result<Option<(Document, Vec<u8>)>>;
    /// Inserts the documents with their files (`contents[i]` is `docs[i]`'s) and sets the
    /// label, all or nothing. Refused when the user already holds more than `limit`
    /// documents (`document.limit_reached`) or would then (`document.limit_will_be_reached`);
    /// concurrent uploads of one user are counted one after the other.
    async fn insert_documents(
        &self,
        docs: &[Document],
        contents: &[Vec<u8>],
        limit: i64,
        label: &Label,
        audit: &AuditEvent,
    ) -> Result<()>;
}
