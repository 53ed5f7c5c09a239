//! Access codes: what invitations and password-reset messages carry. A code lets its user
//! set a password (`/password_reset/user/fetch`, then `/password_reset`); it is single-use,
//! expires, is kept as a digest, and is mailed (or texted) through the outbox. Asking for
//! one is limited per client address and, silently, per recipient.

use keyhall_types::{Timestamp, UserId};
use serde_json::{Value, json};

use super::templates::Wording;
use super::{Adminx, Member, Scope, SignedInCaller};
use crate::audit::AuditEvent;
use crate::context::{Caller, Origin};
use crate::error::{DomainError, ErrorCode, Result};
use crate::ports::{MailMessage, SmsMessage, UnitOfWork, Write};

pub const INVITATION: &str = "user_invitation";
pub const PASSWORD_RESET: &str = "password_reset";
/// A sign-up's e-mail confirmation (`/register/sendverify`).
pub const REGISTRATION: &str = "registration";
const INVITATION_TTL: time::Duration = time::Duration::days(7);
const RESET_TTL: time::Duration = time::Duration::hours(1);

#[derive(Debug, Clone, PartialEq)]
pub struct AccessCode {
    /// The handle administrators see (not the code).
    pub id: String,
    pub digest: String,
    pub scope: Scope,
    /// The user it is for (none for a sign-up's e-mail confirmation).
    pub user_id: Option<UserId>,
    /// `user_invitation` or `password_reset`.
    pub kind: String,
    /// `pending`, `redeemed` or `revoked`.
    pub status: String,
    pub created_by: String,
    pub payload: Value,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    pub redeemed_at: Option<Timestamp>,
}

impl AccessCode {
    pub fn to_json(&self) -> Value {
        json!({
            "uuid": self.id,
            "type": self.kind,
            "status": self.status,
            "ttl_seconds": (self.expires_at - self.created_at).whole_seconds(),
            "ttl": self.expires_at.unix_timestamp(),
            "phoneRequired": false,
            "createdBy": self.created_by,
            "createdTime": self.created_at.unix_timestamp(),
            "tenantId": self.scope.tenant.to_string(),
            "communityId": self.scope.community.to_string(),
            "accesscodepayload": self.payload,
        })
    }
}

/// Where a code was sent, and the link and code themselves (for the administrator who
/// invited; a reset asked for by a visitor answers nothing of it).
#[derive(Debug, Clone)]
pub struct Sent {
    pub code: AccessCode,
    pub secret: String,
    pub link: String,
    pub to: String,
}

fn digest(code: &str) -> String {
    keyhall_crypto::token::digest(code.trim())
}

impl Adminx<'_> {
    /// The link a code goes out in: the community's login page on the tenant's DNS name.
    async fn link_for(self, scope: Scope, kind: &str, secret: &str) -> Result<String> {
        let dns = self.core.store.tenant_domain(scope.tenant).await?.map(|d| d.dns).unwrap_or_else(|| "localhost".into());
        let community = self.community(scope).await?.name;
        let page = if kind == INVITATION { "invite" } else { "reset" };
        Ok(format!("https://{dns}/{community}/{page}?code={secret}"))
    }

    /// Makes a code for `member` and queues it to `to` (an address, or a number when `text`);
    /// pending codes of the same kind for the user are revoked with it.
    async fn send_code(self, actor: &Caller, member: &Member, kind: &str, to: &str, text: bool, payload: Value) -> Result<Sent> {
        let scope = Scope { tenant: member.user.tenant_id, community: member.community_id };
        let secret = uuid::Uuid::new_v4().to_string();
        let now = self.core.now();
        let ttl = if kind == INVITATION { INVITATION_TTL } else { RESET_TTL };
        let code = AccessCode {
            id: uuid::Uuid::new_v4().to_string(),
            digest: digest(&secret),
            scope,
            user_id: Some(member.user.id),
            kind: kind.into(),
            status: "pending".into(),
            created_by: actor.actor().id().unwrap_or_else(|| actor.actor().kind().to_string()),
            payload,
            created_at: now,
            expires_at: now + ttl,
            redeemed_at: None,
        };
        let link = self.link_for(scope, kind, &secret).await?;
        let (subject, what, purpose) = if kind == INVITATION {
            ("You are invited", "You are invited to sign in. Choose your password here", "invite")
        } else {
            ("Reset your password", "Choose a new password here", "password_reset")
        };
        let hours = ttl.whole_hours().to_string();
        let values = [
            ("link", link.as_str()),
            ("code", secret.as_str()),
            ("hours", hours.as_str()),
            ("firstname", member.profile.firstname.as_str()),
            ("username", member.username.as_str()),
        ];
        let channel = if text { "sms" } else { "email" };
        let fallback = if text {
            Wording { subject: String::new(), body: format!("{what}: {{{{link}}}} (valid {{{{hours}}}} h)") }
        } else {
            Wording {
                subject: subject.into(),
                body: format!(
                    "Hello {{{{firstname}}}},\n\n{what} (the link works once, for {{{{hours}}}} hours):\n\n{{{{link}}}}\n\nYour code: {{{{code}}}}\n"
                ),
            }
        };
        let wording = self.wording(scope, purpose, channel, &values, fallback).await?;
        let message = if text {
            self.community_text(scope, SmsMessage { to: to.into(), body: wording.body, channel: "sms".into(), gateway: None })
                .await?
        } else {
            let to = keyhall_types::Email::parse(to).map_err(|_| DomainError::invalid("emailTo", "is not an e-mail address"))?;
            self.community_mail(scope, MailMessage { to, subject: wording.subject, body: wording.body }).await?
        };
        let audit = AuditEvent::new(
            actor,
            if kind == INVITATION { "E_USER_INVITED" } else { "E_PASSWORD_RESET_REQUESTED" },
            "user",
            Some(member.user.id.to_string()),
            now,
        )
        .with_details(json!({ "accessCode": code.id, "kind": kind }))
        .in_community(scope.community, "");
        let outbox = self.core.outbox();
        let work = UnitOfWork::new()
            .write(Write::RevokeAccessCodes { user: member.user.id, kind: kind.into() })
            .write(Write::InsertAccessCode(code.clone()))
            .write(outbox.queue(&message))
            .audit(audit);
        self.commit(work).await?;
        outbox.wake();
        Ok(Sent { code, secret, link, to: to.into() })
    }

    /// An administrator invites a user of the community (by e-mail, or by text to `sms_to`).
    pub async fn invite(
        self,
        caller: &SignedInCaller,
        member: &Member,
        email_to: Option<&str>,
        sms_to: Option<&str>,
        payload: Value,
    ) -> Result<Sent> {
        caller.require_admin()?;
        caller.require_over(member)?;
        match (email_to.map(str::trim).filter(|e| !e.is_empty()), sms_to.map(str::trim).filter(|s| !s.is_empty())) {
            (Some(email), _) => self.send_code(&caller.caller, member, INVITATION, email, false, payload).await,
            (None, Some(phone)) => self.send_code(&caller.caller, member, INVITATION, phone, true, payload).await,
            (None, None) => Err(DomainError::missing("emailTo")),
        }
    }

    /// Sends a pending invitation again (a new code replaces it).
    pub async fn resend_invitation(self, caller: &SignedInCaller, code: &str, email_to: &str) -> Result<Sent> {
        caller.require_admin()?;
        let old = self.pending_code(caller.scope(), code, Some(INVITATION)).await?;
        let user = old.user_id.ok_or_else(|| DomainError::new(ErrorCode::AccessCodeNotFound))?;
        let member = self.member(caller.scope(), &user.to_string()).await?;
        caller.require_over(&member)?;
        self.send_code(&caller.caller, &member, INVITATION, email_to, false, old.payload).await
    }

    /// A user asks for an invitation to their own address (`email1` or `email2`).
    pub async fn request_invitation(self, scope: Scope, member: &Member, which: &str, origin: &Origin) -> Result<()> {
        let to = match which {
            "email1" => member.user.email.as_str().to_string(),
            "email2" if !member.profile.email2.is_empty() => member.profile.email2.clone(),
            _ => return Err(DomainError::invalid("deliveryMethod", "must be email1, or email2 when the user has one")),
        };
        if !self.may_send(scope, &to, origin).await? {
            return Ok(());
        }
        let actor = Caller::user(scope.tenant, member.user.id, origin.clone());
        self.send_code(&actor, member, INVITATION, &to, false, json!({ "requested": true })).await.map(drop)
    }

    /// A visitor asks for a reset link for the user of a `user_token`, to one of the user's
    /// own addresses or numbers. The answer is the same whether or not anything was sent.
    pub async fn request_password_reset(self, scope: Scope, member: &Member, destination: &str, origin: &Origin) -> Result<()> {
        let wanted = destination.trim().to_lowercase();
        let emails = [member.user.email.as_str().to_string(), member.profile.email2.to_lowercase()];
        // `phone1` only: the numbers users add themselves are not verified.
        let phones: Vec<String> = std::iter::once(member.profile.phone1.clone()).filter(|p| !p.is_empty()).collect();
        let text = if emails.iter().any(|e| !e.is_empty() && *e == wanted) {
            false
        } else if phones.contains(&wanted) {
            true
        } else {
            return Err(DomainError::invalid("destination", "is not an address or number of the user"));
        };
        // The community's password-reset settings say which channels a reset may go through.
        let settings = self.document(scope, &super::document_schemas::PASSWORD_RESET).await?;
        let (switch, channel) = if text { ("mobile_enabled", "text message") } else { ("adminx_via_email_enabled", "e-mail") };
        if settings[switch] != Value::Bool(true) {
            return Err(DomainError::new(ErrorCode::PermissionDenied)
                .detail(format!("Password reset by {channel} is turned off for this community")));
        }
        if !self.may_send(scope, &wanted, origin).await? {
            return Ok(());
        }
        let actor = Caller::user(scope.tenant, member.user.id, origin.clone());
        self.send_code(&actor, member, PASSWORD_RESET, &wanted, text, json!({ "destination": "user" })).await.map(drop)
    }

    /// Counts a request per client address (refused past the limit) and per recipient
    /// (silently nothing sent past it).
    pub(crate) async fn may_send(self, scope: Scope, to: &str, origin: &Origin) -> Result<bool> {
        use crate::auth::rate_limits::{MAILED_CODES_PER_ADDRESS, MAILS_PER_RECIPIENT};
        self.core.auth().count_request(scope.tenant, &MAILED_CODES_PER_ADDRESS, origin).await?;
        Ok(self.core.auth().count(scope.tenant, &MAILS_PER_RECIPIENT, to).await?.is_none())
    }

    /// A pending code of the community: `access_code.not_found` when unknown or not pending,
    /// `access_code.expired` when past its time. `kind` narrows it.
    pub async fn pending_code(self, scope: Scope, code: &str, kind: Option<&str>) -> Result<AccessCode> {
        let found = self.core.store.find_access_code(&digest(code)).await?;
        let code = found
            .filter(|c| c.scope == scope && c.status == "pending" && kind.is_none_or(|k| k == c.kind))
            .ok_or_else(|| DomainError::new(ErrorCode::AccessCodeNotFound))?;
        if code.expires_at <= self.core.now() {
            return Err(DomainError::new(ErrorCode::AccessCodeExpired));
        }
        Ok(code)
    }

    /// A pending invitation or reset code (not a sign-up's).
    async fn user_code(self, scope: Scope, code: &str) -> Result<AccessCode> {
        let found = self.pending_code(scope, code, None).await?;
        if found.kind == REGISTRATION {
            return Err(DomainError::new(ErrorCode::AccessCodeNotFound));
        }
        Ok(found)
    }

    /// The user a code is for, and a `user_token` for the reset.
    pub async fn resolve_code(self, scope: Scope, code: &str) -> Result<(Member, String)> {
        let found = self.user_code(scope, code).await?;
        let user = found.user_id.ok_or_else(|| DomainError::new(ErrorCode::AccessCodeNotFound))?;
        let member = self.member(scope, &user.to_string()).await?;
        let token = self.user_token(&member, "code");
        Ok((member, token))
    }

    /// Sets the password of the code's user (the module's policy applies); the code is spent
    /// and the user's sessions end, in one unit.
    pub async fn reset_password(self, scope: Scope, code: &str, user_token: &str, password: &str, origin: &Origin) -> Result<()> {
        let found = self.user_code(scope, code).await?;
        let (member, _) = self.user_of_token(scope, user_token).await?;
        if Some(member.user.id) != found.user_id {
            return Err(DomainError::new(ErrorCode::InvalidToken).field("user_token"));
        }
        // An invitation sets a first password; a user who has one resets it through its own
        // address instead (so an invitation can never take an account over).
        if found.kind == INVITATION
            && self
                .core
                .store
                .list_credentials(member.user.id)
                .await?
                .iter()
                .any(|c| c.kind == crate::credentials::CredentialKind::Password)
        {
            return Err(DomainError::invalid("code", "the user has a password already: use a password reset"));
        }
        let module = self.auth_module(scope, member.module_id).await?;
        if module.is_directory() {
            return Err(DomainError::invalid("code", "the user's password is kept by its directory"));
        }
        module.policy().check(&member.username, password)?;
        let credential = self.core.credentials().new_password(&member.user, password).await?;
        let now = self.core.now();
        let mut user = member.user.clone();
        user.updated_at = now;
        let actor = Caller::user(scope.tenant, member.user.id, origin.clone()).in_community(scope.community, &member.username);
        let audit = AuditEvent::new(&actor, "E_PASSWORD_RESET", "user", Some(member.user.id.to_string()), now)
            .with_details(json!({ "accessCode": found.id, "kind": found.kind }));
        let work = UnitOfWork::new()
            .write(Write::RedeemAccessCode { id: found.id.clone(), at: now })
            .write(Write::UpdateUser(user))
            .write(Write::ReplacePassword(credential))
            .write(Write::EndSessions { user: member.user.id, keep: None })
            .audit(audit);
        self.commit(work).await?;
        self.core.auth().forget_sessions();
        self.core.store.clear_attempts(&crate::auth::attempts::account_key(scope.tenant, member.user.email.as_str())).await?;
        Ok(())
    }

    /// The codes of the users named (an administrator: anyone in the community; anyone
    /// else: their own).
    pub async fn access_codes(self, caller: &SignedInCaller, users: &[UserId]) -> Result<Vec<AccessCode>> {
        if !caller.member.role.is_admin() && users.iter().any(|u| *u != caller.user_id()) {
            return Err(DomainError::new(ErrorCode::PermissionDenied));
        }
        let codes = self.core.store.list_access_codes(caller.member.community_id, users).await?;
        Ok(codes)
    }

    /// Revokes a code by its handle (administrators).
    pub async fn delete_access_code(self, caller: &SignedInCaller, id: &str) -> Result<()> {
        caller.require_admin()?;
        let audit =
            AuditEvent::new(&caller.caller, "E_ACCESS_CODE_DELETED", "access_code", Some(id.to_string()), self.core.now());
        let work = UnitOfWork::new()
            .write(Write::DeleteAccessCode { community: caller.member.community_id, id: id.to_string() })
            .audit(audit);
        self.commit(work).await
    }
}
