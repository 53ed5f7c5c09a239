//! Ports of the core: Users and what they say about themselves.

use async_trait::async_trait;
use keyhall_types::{DocumentId, Email, TenantId, Timestamp, UserId};

use crate::audit::AuditEvent;
use crate::error::Result;
use crate::identity::documents::Document;
use crate::identity::phones::Phone;
use crate::identity::profiles::Profile;
use crate::identity::{Label, User};

#[async_trait]
pub trait UserRepo: Send + Sync {
    async fn get_user(&self, tenant: TenantId, id: UserId) -> Result<Option<User>>;
    async fn find_user_by_email(&self, tenant: TenantId, email: &Email) -> Result<Option<User>>;
    async fn find_user_by_uid(&self, tenant: TenantId, uid: &str) -> Result<Option<User>>;
    /// The service accounts a user owns, oldest first.
    async fn list_service_accounts(&self, owner: UserId) -> Result<Vec<User>>;
    async fn count_users(&self, tenant: TenantId) -> Result<i64>;
    /// The tenant's primary contact (the company's owner), if it has one.
    async fn primary_contact(&self, tenant: TenantId) -> Result<Option<User>>;
    /// A primary contact, in any tenant, with this e-mail address (the oldest).
    async fn primary_contact_by_email(&self, email: &Email) -> Result<Option<User>>;
    async fn list_users(&self, tenant: TenantId) -> Result<Vec<User>>;
    /// Deletes the user with its credentials and sessions, and revokes its tokens.
    async fn delete_user(&self, tenant: TenantId, id: UserId, at: Timestamp, audit: &AuditEvent) -> Result<bool>;
}

#[async_trait]
pub trait LabelRepo: Send + Sync {
    /// Oldest first.
    async fn list_labels(&self, user: UserId) -> Result<Vec<Label>>;
}

#[async_trait]
pub trait ProfileRepo: Send + Sync {
    /// Oldest first.
    async fn list_profiles(&self, user: UserId) -> Result<Vec<Profile>>;
}

#[async_trait]
pub trait PhoneRepo: Send + Sync {
    /// Oldest first.
    async fn list_phones(&self, user: UserId) -> Result<Vec<Phone>>;
    async fn find_user_phone(&self, user: UserId, digest: &str) -> Result<Option<Phone>>;
    /// Whether some user of the tenant verified the number.
    async fn phone_verified_in(&self, tenant: TenantId, digest: &str) -> Result<bool>;
}

#[async_trait]
pub trait DocumentRepo: Send + Sync {
    /// Oldest first, without their files.
    async fn list_documents(&self, user: UserId) -> Result<Vec<Document>>;
    async fn document_file(&self, id: DocumentId) -> Result<Option<(Document, Vec<u8>)>>;
}
