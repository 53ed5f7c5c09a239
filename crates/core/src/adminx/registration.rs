//! Self-registration: a visitor confirms an e-mail address with a mailed code, then makes a
//! `basic` user of the community's `db` module with a password, and is signed in. Open only
//! where the community allows it (`/config/self_registration_config`) and the installation
//! does not forbid it (`/instance_config/self_registration_config`).

use serde_json::json;

use super::access_codes::{AccessCode, REGISTRATION};
use super::members::{MemberProfile, MemberRow, normalise_username};
use super::templates::Wording;
use super::{Adminx, Member, Role, Scope, SignedInCaller};
use crate::audit::AuditEvent;
use crate::context::{Caller, Origin};
use crate::credentials::{Credential, CredentialKind};
use crate::error::{DomainError, ErrorCode, Result};
use crate::identity::registration::insert_user_unit;
use crate::identity::users::parse_email;
use crate::ports::{MailMessage, UnitOfWork, Write};

/// The community's switch (a configuration document).
pub const COMMUNITY_SWITCH: &str = "self_registration_config";
/// The installation's switch (a setting): `false` closes sign-up everywhere.
const INSTANCE_SWITCH: &str = "adminx.self_registration_allowed";
const CODE_TTL: time::Duration = time::Duration::hours(1);

/// What a visitor sends to make their account.
#[derive(Debug, Clone, Default)]
pub struct NewRegistration {
    pub module: keyhall_types::AuthModuleId,
    pub firstname: String,
    pub lastname: String,
    pub email: String,
    pub password: String,
    pub code: String,
    pub phone: Option<String>,
}

impl Adminx<'_> {
    /// The installation-wide switch (on unless turned off).
    pub async fn instance_registration_allowed(self) -> Result<bool> {
        Ok(self.core.store.get_setting(INSTANCE_SWITCH).await?.as_deref() != Some("false"))
    }

    /// Sets the installation-wide switch: the superadmin of the installation's default tenant only.
    pub async fn set_instance_registration(self, caller: &SignedInCaller, allowed: bool) -> Result<bool> {
        self.require_instance_admin(caller).await?;
        let now = self.core.now();
        self.core.store.put_setting(INSTANCE_SWITCH, if allowed { "true" } else { "false" }, now).await?;
        let audit = AuditEvent::new(&caller.caller, "E_INSTANCE_CONFIG_MODIFIED", "installation", None, now)
            .with_details(json!({ "self_registration_allowed": allowed }));
        self.core.store.append_audit(&audit).await?;
        Ok(allowed)
    }

    /// The instance's "super admin": the superadmin of the installation's default tenant.
    pub async fn require_instance_admin(self, caller: &SignedInCaller) -> Result<()> {
        let default = self.core.tenancy().recorded_default_tenant().await?;
        let is =
            caller.member.user.role == crate::identity::users::SUPERADMIN_ROLE && default == Some(caller.member.user.tenant_id);
        if is { Ok(()) } else { Err(DomainError::new(ErrorCode::PermissionDenied)) }
    }

    async fn require_registration_open(self, scope: Scope) -> Result<()> {
        let doc = self.cached_document(scope, COMMUNITY_SWITCH).await?;
        let community =
            doc.as_ref().as_ref().and_then(|d| d.body.get("allowed").and_then(serde_json::Value::as_bool)).unwrap_or(false);
        if community && self.instance_registration_allowed().await? {
            Ok(())
        } else {
            Err(DomainError::new(ErrorCode::PermissionDenied).detail("Self-registration is not allowed in this community"))
        }
    }

    /// Mails a confirmation code to `email`: `user.email_taken` when it is a user's already.
    pub async fn send_registration_code(self, scope: Scope, email: &str, origin: &Origin) -> Result<()> {
        self.require_registration_open(scope).await?;
        let email = parse_email("email", email)?;
        if self.core.store.find_user_by_email(scope.tenant, &email).await?.is_some() {
            return Err(DomainError::new(ErrorCode::EmailTaken).field("email"));
        }
        if !self.may_send(scope, email.as_str(), origin).await? {
            return Ok(());
        }
        let secret = keyhall_crypto::random::string_from(b"0123456789", 6);
        let secret = format!("{secret}-{}", uuid::Uuid::new_v4().simple());
        let now = self.core.now();
        let code = AccessCode {
            id: uuid::Uuid::new_v4().to_string(),
            digest: keyhall_crypto::token::digest(&secret),
            scope,
            user_id: None,
            kind: REGISTRATION.into(),
            status: "pending".into(),
            created_by: "visitor".into(),
            payload: json!({ "email": email.as_str() }),
            created_at: now,
            expires_at: now + CODE_TTL,
            redeemed_at: None,
        };
        let fallback = Wording {
            subject: "Confirm your e-mail address".into(),
            body: "Welcome,\n\nconfirm your address to create your account (valid one hour, works once).\n\nYour code: {{code}}\n\nIf you did not ask for an account, ignore this message.\n".into(),
        };
        let values = [("code", secret.as_str()), ("email", email.as_str())];
        let wording = self.wording(scope, "self_onboarding", "email", &values, fallback).await?;
        let message =
            self.community_mail(scope, MailMessage { to: email.clone(), subject: wording.subject, body: wording.body }).await?;
        let visitor = self.core.auth().visitor(scope.tenant, origin.clone()).in_community(scope.community, "");
        let audit = AuditEvent::new(&visitor, "E_REGISTRATION_EMAIL_SENT", "community", Some(scope.community.to_string()), now);
        let outbox = self.core.outbox();
        self.core
            .store
            .commit(UnitOfWork::new().write(Write::InsertAccessCode(code)).write(outbox.queue(&message)).audit(audit))
            .await?;
        outbox.wake();
        Ok(())
    }

    /// The address a confirmation code was sent to.
    pub async fn registration_email(self, scope: Scope, code: &str) -> Result<String> {
        let found = self.pending_code(scope, code, Some(REGISTRATION)).await?;
        Ok(found.payload.get("email").and_then(serde_json::Value::as_str).unwrap_or_default().to_string())
    }

    /// Makes the account (the code confirms the address) and signs it in.
    pub async fn register(self, scope: Scope, input: NewRegistration, origin: &Origin) -> Result<(Member, String)> {
        self.require_registration_open(scope).await?;
        let found = self.pending_code(scope, &input.code, Some(REGISTRATION)).await?;
        let email = parse_email("email", &input.email)?;
        if found.payload.get("email").and_then(serde_json::Value::as_str) != Some(email.as_str()) {
            return Err(DomainError::invalid("email", "is not the address the code was sent to"));
        }
        let module = self.auth_module(scope, input.module).await?;
        if module.kind != super::ModuleKind::Db {
            return Err(DomainError::invalid("moduleId", "users sign up in the db module"));
        }
        let username = normalise_username(email.as_str())?;
        module.policy().check(&username, &input.password)?;
        let (first, last) = (input.firstname.trim().to_string(), input.lastname.trim().to_string());
        if first.is_empty() || last.is_empty() {
            return Err(DomainError::missing(if first.is_empty() { "firstname" } else { "lastname" }));
        }
        let phc = self.core.passwords.hash(&input.password).await?;
        let now = self.core.now();
        let user = super::members::new_user(scope, email, format!("{first} {last}"), true, now);
        let profile = MemberProfile {
            firstname: first,
            lastname: last,
            phone1: input.phone.unwrap_or_default(),
            email1_verified: true,
            ..Default::default()
        };
        let row = MemberRow {
            user_id: user.id,
            community_id: scope.community,
            module_id: module.id,
            username,
            role: Role::Basic,
            profile,
            locked_until: None,
            created_at: now,
            updated_at: now,
        };
        let actor = Caller::user(scope.tenant, user.id, origin.clone()).in_community(scope.community, &row.username);
        let audit = AuditEvent::new(&actor, "E_USER_REGISTERED", "user", Some(user.id.to_string()), now)
            .with_details(json!({ "username": row.username, "moduleId": module.id.to_string() }));
        let then = vec![
            Write::RedeemAccessCode { id: found.id.clone(), at: now },
            Write::PutMember(row.clone()),
            Write::InsertCredential(Credential::new(user.id, CredentialKind::Password, phc, String::new(), now)),
        ];
        self.commit(insert_user_unit(&user, false, then, now).audit(audit)).await?;
        let member = Member::of(user, row);
        let jwt = self.signed_in_session(scope, &member, origin).await?;
        Ok((member, jwt))
    }
}
