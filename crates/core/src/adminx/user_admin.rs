//! What administrators (and help desk) do to a community's users: create them in the `db`
//! module (with a password checked against the module's policy, a documented extension of
//! the seed), change their details and role, lock and unlock them. Each change is one unit
//! of work with its audit record (the community's history).

use keyhall_types::AuthModuleId;
use serde_json::json;

use super::members::{MemberProfile, MemberRow, normalise_username};
use super::modules::ModuleKind;
use super::{Adminx, Member, Role, SignedInCaller};
use crate::audit::AuditEvent;
use crate::credentials::{Credential, CredentialKind};
use crate::error::{DomainError, ErrorCode, Result};
use crate::identity::registration::insert_user_unit;
use crate::identity::users::parse_email;
use crate::ports::{UnitOfWork, Write};

/// A user to create.
#[derive(Debug, Clone, Default)]
pub struct NewMember {
    pub module: AuthModuleId,
    pub username: String,
    pub role: String,
    pub status: String,
    pub disabled: bool,
    pub profile: MemberProfile,
    pub email1: String,
    pub password: Option<String>,
}

/// Changes to a user: only the `Some` fields change; an empty `middlename`, `email2` or
/// `phone1` removes it.
#[derive(Debug, Clone, Default)]
pub struct MemberChanges {
    pub firstname: Option<String>,
    pub middlename: Option<String>,
    pub lastname: Option<String>,
    pub email1: Option<String>,
    pub email1_verified: Option<bool>,
    pub email2: Option<String>,
    pub phone1: Option<String>,
    pub address: Option<serde_json::Value>,
    pub disabled: Option<bool>,
    pub status: Option<String>,
    pub role: Option<String>,
}

fn name(field: &'static str, text: &str) -> Result<String> {
    let text = text.trim();
    if text.chars().count() > 255 || text.chars().any(char::is_control) {
        return Err(DomainError::invalid(field, "must be at most 255 printable characters"));
    }
    Ok(text.to_string())
}

fn role(text: &str) -> Result<Role> {
    Role::parse(text).ok_or_else(|| DomainError::invalid("role", "must be tenant_admin, community_admin, helpdesk or basic"))
}

/// A phone number: digits with an optional leading `+`, 5 to 20 of them.
fn phone(text: &str) -> Result<String> {
    let t = text.trim().replace([' ', '-'], "");
    let digits = t.strip_prefix('+').unwrap_or(&t);
    if !(5..=20).contains(&digits.len()) || !digits.chars().all(|c| c.is_ascii_digit()) {
        return Err(DomainError::invalid("phone1", "must be a phone number (digits, optionally with a leading +)"));
    }
    Ok(t)
}

impl Adminx<'_> {
    /// Who may hand out `wanted`: only a tenant administrator makes tenant administrators.
    fn may_grant(caller: &SignedInCaller, wanted: Role) -> Result<()> {
        if wanted == Role::TenantAdmin && caller.member.role != Role::TenantAdmin {
            return Err(DomainError::new(ErrorCode::PermissionDenied).detail("only a tenant_admin grants tenant_admin"));
        }
        Ok(())
    }

    pub async fn create_member(self, caller: &SignedInCaller, input: NewMember) -> Result<Member> {
        caller.require_admin()?;
        let scope = caller.scope();
        let module = self.auth_module(scope, input.module).await?;
        if module.kind != ModuleKind::Db {
            return Err(DomainError::invalid("moduleId", "users of a directory module are managed in the directory"));
        }
        let username = normalise_username(&input.username)?;
        let role = role(&input.role)?;
        Self::may_grant(caller, role)?;
        let disabled = match input.status.trim() {
            "active" => input.disabled,
            "disabled" => true,
            "" => return Err(DomainError::missing("status")),
            _ => return Err(DomainError::invalid("status", "must be active or disabled")),
        };
        let email = parse_email("email1", &input.email1)?;
        let mut profile = input.profile;
        profile.firstname = name("firstname", &profile.firstname)?;
        profile.lastname = name("lastname", &profile.lastname)?;
        profile.middlename = name("middlename", &profile.middlename)?;
        if profile.firstname.is_empty() {
            return Err(DomainError::missing("firstname"));
        }
        if profile.lastname.is_empty() {
            return Err(DomainError::missing("lastname"));
        }
        if !profile.email2.trim().is_empty() {
            profile.email2 = parse_email("email2", &profile.email2)?.as_str().to_string();
        }
        if !profile.phone1.trim().is_empty() {
            profile.phone1 = phone(&profile.phone1)?;
        }
        profile.disabled = disabled;
        let phc = match &input.password {
            Some(p) => {
                module.policy().check(&username, p)?;
                Some(self.core.passwords.hash(p).await?)
            }
            None => None,
        };
        let now = self.core.now();
        let contact_name = format!("{} {}", profile.firstname, profile.lastname);
        let user = super::members::new_user(scope, email, contact_name, profile.email1_verified, now);
        let row = MemberRow {
            user_id: user.id,
            community_id: scope.community,
            module_id: module.id,
            username,
            role,
            profile,
            locked_until: None,
            created_at: now,
            updated_at: now,
        };
        let mut then = vec![Write::PutMember(row.clone())];
        if let Some(phc) = phc {
            then.push(Write::InsertCredential(Credential::new(user.id, CredentialKind::Password, phc, String::new(), now)));
        }
        let audit = AuditEvent::new(&caller.caller, "E_USER_CREATED", "user", Some(user.id.to_string()), now)
            .with_details(json!({ "username": row.username, "role": role.as_str(), "moduleId": module.id.to_string() }));
        let work = insert_user_unit(&user, false, then, now).audit(audit);
        self.commit(work).await.map_err(|e| match e.code {
            ErrorCode::EmailTaken => e.field("email1"),
            ErrorCode::UsernameTaken => e.field("username"),
            _ => e,
        })?;
        Ok(Member::of(user, row))
    }

    /// Writes a changed member (and its user) with the audit record `event`.
    async fn save_member(self, caller: &SignedInCaller, member: &Member, event: &str, details: serde_json::Value) -> Result<()> {
        let audit = AuditEvent::new(&caller.caller, event, "user", Some(member.user.id.to_string()), member.user.updated_at)
            .with_details(details);
        let work =
            UnitOfWork::new().write(Write::UpdateUser(member.user.clone())).write(Write::PutMember(member.row())).audit(audit);
        self.commit(work).await.map_err(|e| if e.is(ErrorCode::EmailTaken) { e.field("email1") } else { e })
    }

    pub async fn update_member(self, caller: &SignedInCaller, mut member: Member, changes: MemberChanges) -> Result<Member> {
        caller.require_admin()?;
        caller.require_over(&member)?;
        let p = &mut member.profile;
        if let Some(v) = &changes.firstname {
            p.firstname = name("firstname", v)?;
        }
        if let Some(v) = &changes.middlename {
            p.middlename = name("middlename", v)?;
        }
        if let Some(v) = &changes.lastname {
            p.lastname = name("lastname", v)?;
        }
        if let Some(v) = &changes.email2 {
            p.email2 = if v.trim().is_empty() { String::new() } else { parse_email("email2", v)?.as_str().to_string() };
        }
        if let Some(v) = &changes.phone1 {
            p.phone1 = if v.trim().is_empty() { String::new() } else { phone(v)? };
        }
        if let Some(v) = &changes.address {
            p.address = Some(v.clone());
        }
        if let Some(v) = changes.email1_verified {
            p.email1_verified = v;
        }
        if let Some(v) = changes.disabled {
            p.disabled = v;
        }
        match changes.status.as_deref().map(str::trim) {
            None | Some("") => {}
            Some("active") => {
                p.disabled = false;
                member.locked_until = None;
            }
            Some("disabled") => p.disabled = true,
            Some("locked") => member.locked_until = Some(self.core.now() + time::Duration::days(36_500)),
            Some(_) => return Err(DomainError::invalid("status", "must be active, locked or disabled")),
        }
        if let Some(v) = &changes.email1 {
            let email = parse_email("email1", v)?;
            if email != member.user.email {
                // A new address is not a confirmed one (unless the change says it is).
                member.user.email = email;
                member.user.flags.email_verified = false;
                member.profile.email1_verified = changes.email1_verified.unwrap_or(false);
            }
        }
        if let Some(r) = &changes.role {
            let r = role(r)?;
            Self::may_grant(caller, r)?;
            member.role = r;
        }
        if member.user.id == caller.user_id() && (!member.role.is_admin() || member.profile.disabled) {
            return Err(DomainError::invalid("role", "administrators cannot demote or disable themselves"));
        }
        member.user.contact_name = format!("{} {}", member.profile.firstname, member.profile.lastname).trim().to_string();
        member.user.updated_at = self.core.now();
        self.save_member(caller, &member, "E_USER_MODIFIED", json!({ "username": member.username })).await?;
        if member.profile.disabled {
            self.core.auth().close_user_sessions(member.user.id, None).await?;
        }
        Ok(member)
    }

    /// Changes a user's role from `old` (which must be the current one) to `new`.
    pub async fn change_role(self, caller: &SignedInCaller, mut member: Member, old: &str, new: &str) -> Result<Member> {
        caller.require_admin()?;
        caller.require_over(&member)?;
        let (old, new) = (role(old)?, role(new)?);
        if member.role != old {
            return Err(DomainError::invalid("oldRole", format!("the user's role is {}", member.role.as_str())));
        }
        Self::may_grant(caller, new)?;
        if old == Role::TenantAdmin {
            Self::may_grant(caller, old)?;
        }
        if member.user.id == caller.user_id() && !new.is_admin() {
            return Err(DomainError::invalid("newRole", "administrators cannot demote themselves"));
        }
        member.role = new;
        member.user.updated_at = self.core.now();
        self.save_member(caller, &member, "E_ROLE_CHANGED", json!({ "oldRole": old.as_str(), "newRole": new.as_str() })).await?;
        Ok(member)
    }

    /// Locks a user for `minutes` (help desk or administrators); their sessions end.
    pub async fn lock_member(self, caller: &SignedInCaller, mut member: Member, minutes: i64) -> Result<Member> {
        caller.require_helpdesk()?;
        caller.require_over(&member)?;
        if !(1..=525_600).contains(&minutes) {
            return Err(DomainError::invalid("lock_duration", "must be 1 to 525600 minutes"));
        }
        if member.user.id == caller.user_id() {
            return Err(DomainError::invalid("username", "you cannot lock yourself"));
        }
        let now = self.core.now();
        member.locked_until = Some(now + time::Duration::minutes(minutes));
        member.user.updated_at = now;
        self.save_member(caller, &member, "E_USER_LOCKED", json!({ "minutes": minutes, "by": "administrator" })).await?;
        self.core.auth().close_user_sessions(member.user.id, None).await?;
        Ok(member)
    }

    /// Unlocks a user: an administrator's lock and the failed-attempt counters both go.
    pub async fn unlock_member(self, caller: &SignedInCaller, mut member: Member) -> Result<Member> {
        caller.require_helpdesk()?;
        caller.require_over(&member)?;
        member.locked_until = None;
        member.user.updated_at = self.core.now();
        self.save_member(caller, &member, "E_USER_UNLOCKED", json!({ "username": member.username })).await?;
        self.core
            .store
            .clear_attempts(&crate::auth::attempts::account_key(member.user.tenant_id, member.user.email.as_str()))
            .await?;
        self.core.store.clear_attempts(&format!("adminx-otp:{}", member.user.id)).await?;
        Ok(member)
    }

    /// How many users each of the community's modules has.
    pub async fn member_counts(self, caller: &SignedInCaller) -> Result<Vec<(AuthModuleId, i64)>> {
        self.core.store.count_members(caller.scope().community).await
    }
}
