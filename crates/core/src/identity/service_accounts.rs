//! Service accounts: users owned by another user, without a password, that hold API keys
//! (whose second factor is their owner's).

use keyhall_types::UserId;

use super::Identity;
use super::users::{SERVICE_ACCOUNT_UID_PREFIX, User, UserFlags, UserStatus, new_uid, parse_email};
use crate::audit::AuditEvent;
use crate::context::Caller;
use crate::error::Result;
use crate::ports::{UnitOfWork, Write};

/// The role service accounts get unless told otherwise.
pub const SERVICE_ACCOUNT_ROLE: &str = "service_account";

impl Identity<'_> {
    /// Creates a service account owned by `owner`: a user of the same tenant with an `SI` uid,
    /// no password, active at once, that can hold API keys (whose 2FA is the owner's). Its
    /// e-mail defaults to `<owner>+<uid>@<owner's domain>`.
    pub async fn create_service_account(
        self,
        caller: &Caller,
        owner: &User,
        email: Option<&str>,
        role: Option<&str>,
    ) -> Result<User> {
        let uid = new_uid(SERVICE_ACCOUNT_UID_PREFIX);
        let email = match email {
            Some(e) => parse_email("email", e)?,
            None => {
                parse_email("email", &format!("{}+{}@{}", owner.email.local_part(), uid.to_lowercase(), owner.email.domain()))?
            }
        };
        let now = self.core.now();
        let account = User {
            id: UserId::new(),
            uid,
            tenant_id: owner.tenant_id,
            community_id: owner.community_id,
            contact_name: format!("service account of {}", owner.uid),
            email,
            username: None,
            referral_id: None,
            data: None,
            owner_id: Some(owner.id),
            status: UserStatus::Active,
            role: role.unwrap_or(SERVICE_ACCOUNT_ROLE).to_string(),
            flags: UserFlags::default(),
            created_at: now,
            updated_at: now,
        };
        let audit = AuditEvent::new(caller, "service_account.create", "user", Some(account.id.to_string()), now)
            .with_details(serde_json::json!({ "owner": owner.uid, "uid": account.uid }));
        let work = UnitOfWork::new().write(Write::InsertUser(account.clone())).audit(audit);
        self.core.store.commit(work).await.map_err(super::users::email_field("email"))?;
        Ok(account)
    }

    pub async fn service_accounts_of(self, owner: &User) -> Result<Vec<User>> {
        self.core.store.list_service_accounts(owner.id).await
    }
}
