//! Users: the model and the commands that create, change and delete them.

use keyhall_types::{CommunityId, Email, TenantId, Timestamp, UserId};

use super::Identity;
use crate::audit::AuditEvent;
use crate::context::{Caller, Origin};
use crate::credentials::{Credential, CredentialKind, PasswordPolicy};
use crate::error::{DomainError, ErrorCode, Result};
use crate::outbox::Message;
use crate::ports::{MailMessage, UnitOfWork, Write};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserStatus {
    Active,
    /// Signed up, e-mail not confirmed yet.
    Pending,
    /// Locked by an administrator or by a state trigger.
    Locked,
    Disabled,
    /// Refused at sign-in for good (until an administrator changes it).
    Banned,
    /// Closed by the user; kept for the record.
    Deleted,
}

impl UserStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            UserStatus::Active => "active",
            UserStatus::Pending => "pending",
            UserStatus::Locked => "locked",
            UserStatus::Disabled => "disabled",
            UserStatus::Banned => "banned",
            UserStatus::Deleted => "deleted",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "active" => UserStatus::Active,
            "pending" => UserStatus::Pending,
            "locked" => UserStatus::Locked,
            "disabled" => UserStatus::Disabled,
            "banned" => UserStatus::Banned,
            "deleted" => UserStatus::Deleted,
            _ => return None,
        })
    }

    /// Whether a user in this state may hold a session or an API key.
    pub fn may_sign_in(self) -> bool {
        matches!(self, UserStatus::Active | UserStatus::Pending)
    }
}

/// Per-user switches: contact roles, notification choices and security policy.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UserFlags {
    pub is_primary_contact: bool,
    pub is_technical: bool,
    pub is_billing: bool,
    pub notify_weekly_usage: bool,
    pub email_verified: bool,
    /// The user must present a second factor when signing in.
    pub twofa_required: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: UserId,
    /// The public identifier other systems know the user by: `ID` + 10 upper-case hex digits
    /// (`SI` + 10 for service accounts).
    pub uid: String,
    pub tenant_id: TenantId,
    pub community_id: CommunityId,
    pub email: Email,
    /// Optional login name: 4–12 letters or digits, stored in lower case, unique per tenant.
    pub username: Option<String>,
    /// The user who referred this one.
    pub referral_id: Option<UserId>,
    /// Free-form JSON the user attached (a JSON object as text).
    pub data: Option<String>,
    /// For a service account: the user who owns it.
    pub owner_id: Option<UserId>,
    pub contact_name: String,
    pub status: UserStatus,
    pub role: String,
    pub flags: UserFlags,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl User {
    /// A new active user with the default role, and no username, referral or owner.
    pub(crate) fn new_active(
        tenant: TenantId,
        community: CommunityId,
        email: Email,
        contact_name: String,
        flags: UserFlags,
        now: Timestamp,
    ) -> User {
        User {
            id: UserId::new(),
            uid: new_uid(USER_UID_PREFIX),
            tenant_id: tenant,
            community_id: community,
            email,
            username: None,
            referral_id: None,
            data: None,
            owner_id: None,
            contact_name,
            status: UserStatus::Active,
            role: DEFAULT_ROLE.into(),
            flags,
            created_at: now,
            updated_at: now,
        }
    }
}

pub const DEFAULT_ROLE: &str = "member";
/// The role of a tenant's first user, whichever face or command makes it.
pub const SUPERADMIN_ROLE: &str = "superadmin";
pub const USER_UID_PREFIX: &str = "ID";
pub const SERVICE_ACCOUNT_UID_PREFIX: &str = "SI";

/// A fresh public id: `prefix` + 10 upper-case hex digits (40 random bits).
pub fn new_uid(prefix: &str) -> String {
    format!("{prefix}{}", keyhall_crypto::random::string_from(b"0123456789ABCDEF", 10))
}

/// Display names: 1–255 printable characters.
pub fn validate_contact_name(field: &'static str, name: &str) -> Result<String> {
    let name = name.trim();
    if name.is_empty() {
        return Err(DomainError::invalid(field, "must not be empty"));
    }
    if name.chars().count() > 255 || name.chars().any(char::is_control) {
        return Err(DomainError::invalid(field, "must be at most 255 printable characters"));
    }
    Ok(name.to_string())
}

pub fn parse_email(field: &'static str, text: &str) -> Result<Email> {
    Email::parse(text).map_err(|_| DomainError::invalid(field, "is not a valid e-mail address"))
}

/// Input of `create_user`.
#[derive(Debug, Clone, Default)]
pub struct NewUser {
    pub email: String,
    pub contact_name: String,
    pub password: Option<String>,
    pub is_billing: bool,
    pub is_technical: bool,
    pub send_verification_email: bool,
}

/// Input of `patch_user`: only the `Some` fields change.
#[derive(Debug, Clone, Default)]
pub struct UserPatch {
    pub contact_name: Option<String>,
    pub email: Option<String>,
    pub password: Option<String>,
    pub is_billing: Option<bool>,
    pub is_technical: Option<bool>,
}

impl Identity<'_> {
    pub async fn user(self, caller: &Caller, id: UserId) -> Result<User> {
        self.core
            .store
            .get_user(caller.tenant_id(), id)
            .await?
            .ok_or_else(|| DomainError::new(ErrorCode::UserNotFound).field("id"))
    }

    /// The user the caller acts for.
    pub async fn current_user(self, caller: &Caller) -> Result<User> {
        let id = caller.actor().user_id().ok_or_else(|| DomainError::new(ErrorCode::PermissionDenied))?;
        self.user(caller, id).await
    }

    pub async fn find_user(self, tenant: TenantId, id_text: &str) -> Result<Option<User>> {
        match UserId::parse(id_text) {
            Some(id) => self.core.store.get_user(tenant, id).await,
            None => Ok(None),
        }
    }

    /// The people of the caller's tenant (service accounts are not listed).
    pub async fn list_users(self, caller: &Caller) -> Result<Vec<User>> {
        Ok(self.core.store.list_users(caller.tenant_id()).await?.into_iter().filter(|u| u.owner_id.is_none()).collect())
    }

    pub async fn create_user(self, caller: &Caller, input: NewUser, rule: &PasswordPolicy) -> Result<User> {
        let contact_name = validate_contact_name("contact_name", &input.contact_name)?;
        let email = parse_email("email", &input.email)?;
        if let Some(p) = &input.password {
            rule.check("password", p)?;
        }
        let community = self
            .core
            .store
            .default_community(caller.tenant_id())
            .await?
            .ok_or_else(|| DomainError::new(ErrorCode::TenantNotFound))?;
        let phc = match &input.password {
            Some(p) => Some(self.core.passwords.hash(p).await?),
            None => None,
        };
        let now = self.core.now();
        let flags = UserFlags { is_billing: input.is_billing, is_technical: input.is_technical, ..Default::default() };
        let user = User::new_active(caller.tenant_id(), community.id, email, contact_name, flags, now);
        let password = phc.map(|phc| Credential::new(user.id, CredentialKind::Password, phc, String::new(), now));
        let audit = AuditEvent::new(caller, "user.create", "user", Some(user.id.to_string()), now).with_details(
            serde_json::json!({ "email": user.email, "is_billing": input.is_billing, "is_technical": input.is_technical }),
        );
        let mut work = UnitOfWork::new().write(Write::InsertUser(user.clone()));
        work.writes.extend(password.map(Write::InsertCredential));
        self.core.store.commit(work.audit(audit)).await.map_err(email_field("email"))?;
        if input.send_verification_email {
            self.send_email_verification(caller, &user).await?;
        }
        Ok(user)
    }

    /// Mails the user a single-use token that confirms their address.
    pub async fn send_email_verification(self, caller: &Caller, user: &User) -> Result<()> {
        self.mail_action_token(caller, user, crate::auth::action_tokens::Purpose::Confirmation).await
    }

    /// A visitor asks for a new confirmation token for `user` (found by their address): the
    /// request is recorded as the user's own.
    pub async fn request_email_verification(self, user: &User, origin: Origin) -> Result<()> {
        self.send_email_verification(&Caller::user(user.tenant_id, user.id, origin), user).await
    }

    /// A visitor asks for a code to be mailed to `email`: a password reset token, or a new
    /// confirmation token for an address not confirmed yet. Whether the address is known or
    /// not, the answer is the same and takes the same time (the mail waits in the outbox);
    /// requests are limited per client address (`request.rate_limited`) and, silently, per
    /// recipient. The request is recorded as the user's own; the token goes to the user's
    /// mailbox only.
    pub async fn request_mailed_code(
        self,
        tenant: TenantId,
        email: &str,
        purpose: crate::auth::action_tokens::Purpose,
        origin: Origin,
    ) -> Result<()> {
        use crate::auth::action_tokens::Purpose;
        use crate::auth::rate_limits::{MAILED_CODES_PER_ADDRESS, MAILS_PER_RECIPIENT};
        self.core.auth().count_request(tenant, &MAILED_CODES_PER_ADDRESS, &origin).await?;
        if self.core.auth().count(tenant, &MAILS_PER_RECIPIENT, email).await?.is_some() {
            return Ok(());
        }
        let Some(user) = self.user_by_email(tenant, email).await? else {
            return Ok(());
        };
        if purpose == Purpose::Confirmation && user.status == crate::identity::users::UserStatus::Active {
            return Ok(());
        }
        let caller = Caller::user(user.tenant_id, user.id, origin);
        self.mail_action_token(&caller, &user, purpose).await
    }

    async fn mail_action_token(self, caller: &Caller, user: &User, purpose: crate::auth::action_tokens::Purpose) -> Result<()> {
        use crate::auth::action_tokens::Purpose;
        let token = self.core.auth().issue_action_token(user, purpose).await?;
        let minutes = self.core.settings.action_token_ttl.whole_minutes();
        let (action, subject, what, unexpected) = match purpose {
            Purpose::Confirmation => (
                "user.email_verification_sent",
                "Confirm your e-mail address",
                "confirm your e-mail address",
                "If you did not create an account, ignore this message.",
            ),
            Purpose::Reset => (
                "user.password_reset_requested",
                "Reset your password",
                "choose a new password",
                "If you did not ask for a new password, ignore this message: your password is unchanged.",
            ),
        };
        let audit = AuditEvent::new(caller, action, "user", Some(user.id.to_string()), self.core.now())
            .with_details(serde_json::json!({ "topic": if purpose == Purpose::Reset { "password" } else { "account" } }));
        let message = MailMessage {
            to: user.email.clone(),
            subject: subject.into(),
            body: format!(
                "Hello {},\n\nuse this token to {what} (it is valid for {minutes} minutes and works once):\n\n{token}\n\n{unexpected}\n",
                user.contact_name
            ),
        };
        let outbox = self.core.outbox();
        let work = UnitOfWork::new().write(outbox.queue(&Message::Mail(message))).audit(audit);
        self.core.store.commit(work).await?;
        outbox.wake();
        Ok(())
    }

    pub async fn patch_user(self, caller: &Caller, id: UserId, patch: UserPatch, rule: &PasswordPolicy) -> Result<User> {
        let mut user = self.user(caller, id).await?;
        let mut changed = Vec::new();
        if let Some(name) = &patch.contact_name {
            user.contact_name = validate_contact_name("contact_name", name)?;
            changed.push("contact_name");
        }
        if let Some(email) = &patch.email {
            let email = parse_email("email", email)?;
            if email != user.email {
                user.email = email;
                user.flags.email_verified = false;
            }
            changed.push("email");
        }
        if let Some(b) = patch.is_billing {
            user.flags.is_billing = b;
            changed.push("is_billing");
        }
        if let Some(t) = patch.is_technical {
            user.flags.is_technical = t;
            changed.push("is_technical");
        }
        let now = self.core.now();
        let password = match &patch.password {
            Some(p) => {
                rule.check("password", p)?;
                changed.push("password");
                Some(Credential::new(user.id, CredentialKind::Password, self.core.passwords.hash(p).await?, String::new(), now))
            }
            None => None,
        };
        user.updated_at = now;
        let audit = AuditEvent::new(caller, "user.update", "user", Some(user.id.to_string()), now)
            .with_details(serde_json::json!({ "changed": changed }));
        let new_password = password.is_some();
        let mut work = UnitOfWork::new().write(Write::UpdateUser(user.clone()));
        if let Some(password) = password {
            // A new password ends the user's sessions, on every face, in the same transaction.
            work = work.write(Write::ReplacePassword(password)).write(Write::EndSessions { user: user.id, keep: None });
        }
        self.core.store.commit(work.audit(audit)).await.map_err(email_field("email"))?;
        if new_password {
            self.core.auth().forget_sessions();
        }
        Ok(user)
    }

    /// Deletes a user of the caller's company (with credentials and sessions; their tokens
    /// are revoked). The primary contact cannot be deleted.
    pub async fn delete_user(self, caller: &Caller, id: UserId) -> Result<()> {
        let user = self.user(caller, id).await?;
        if user.flags.is_primary_contact {
            return Err(DomainError::new(ErrorCode::PrimaryContactUndeletable)
                .field("id")
                .detail("the primary contact of the company cannot be deleted"));
        }
        let now = self.core.now();
        let audit = AuditEvent::new(caller, "user.delete", "user", Some(user.id.to_string()), now)
            .with_details(serde_json::json!({ "email": user.email }));
        if !self.core.store.delete_user(caller.tenant_id(), id, now, &audit).await? {
            return Err(DomainError::new(ErrorCode::UserNotFound).field("id"));
        }
        self.core.auth().forget_verified_tokens();
        Ok(())
    }
}

/// Names the field of an `email_taken` error raised by the store's unique constraint.
pub(crate) fn email_field(field: &'static str) -> impl Fn(DomainError) -> DomainError {
    move |e| if e.is(ErrorCode::EmailTaken) { e.field(field) } else { e }
}
