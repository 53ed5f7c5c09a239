//! Self-service accounts: sign-up with a password policy, username and referral rules, e-mail
//! confirmation, password reset, and the state a user's private labels put them in.

use keyhall_types::{Email, TenantId, UserId};

use crate::Core;
use crate::audit::AuditEvent;
use crate::context::{Actor, Caller, Origin};
use crate::credentials::{Credential, CredentialKind};
use crate::error::{DomainError, ErrorCode, Result};
use crate::labels::{Label, LabelScope};
use crate::users::{DEFAULT_ROLE, PasswordRule, USER_UID_PREFIX, User, UserFlags, UserStatus, new_uid};

/// A password rule plus, optionally, a minimum entropy (Barong's strength estimate).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PasswordPolicy {
    pub rule: PasswordRule,
    pub min_entropy: Option<f64>,
}

impl PasswordPolicy {
    /// Barong's: 8–80 characters with a lower-case letter, an upper-case letter and a digit,
    /// and an estimated entropy of at least 14 bits.
    pub const BARONG: PasswordPolicy = PasswordPolicy {
        rule: PasswordRule {
            min_len: 8,
            max_len: 80,
            require_lower: true,
            require_upper: true,
            require_digit: true,
            require_symbol: false,
        },
        min_entropy: Some(crate::password_strength::MIN_ENTROPY),
    };

    /// `password.requirements` when the rule fails, then `password.weak` when the estimate is
    /// too low.
    pub fn check(&self, field: &'static str, password: &str) -> Result<()> {
        self.rule.check(field, password)?;
        if let Some(min) = self.min_entropy
            && crate::password_strength::entropy(password) < min
        {
            return Err(DomainError::new(ErrorCode::PasswordWeak).field(field));
        }
        Ok(())
    }
}

/// Usernames: 4–12 ASCII letters or digits, stored in lower case. Returns every broken rule
/// (`too_short`, `too_long`, `invalid`), as a form would list them.
pub fn check_username(text: &str) -> std::result::Result<String, Vec<&'static str>> {
    let mut broken = Vec::new();
    let n = text.chars().count();
    if n < 4 {
        broken.push("too_short");
    }
    if n > 12 {
        broken.push("too_long");
    }
    if n == 0 || !text.chars().all(|c| c.is_ascii_alphanumeric()) {
        broken.push("invalid");
    }
    if broken.is_empty() { Ok(text.to_ascii_lowercase()) } else { Err(broken) }
}

/// User data: a JSON object as text, at most 1024 characters.
pub fn check_user_data(text: &str) -> std::result::Result<String, &'static str> {
    if text.chars().count() > 1024 {
        return Err("too_long");
    }
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(serde_json::Value::Object(_)) => Ok(text.to_string()),
        _ => Err("invalid_format"),
    }
}

/// What a sign-up carries once its fields are checked.
#[derive(Debug, Clone)]
pub struct Registration {
    pub email: Email,
    pub password: String,
    pub username: Option<String>,
    pub referral: Option<UserId>,
    pub data: Option<String>,
    /// The first user of a tenant becomes its superadmin (and is active at once).
    pub first_user_is_superadmin: bool,
}

/// State triggers: a private label with one of these keys puts the user in that state.
const STATE_TRIGGERS: &[(&str, UserStatus)] = &[
    ("ban", UserStatus::Banned),
    ("fraud", UserStatus::Banned),
    ("delete", UserStatus::Deleted),
    ("suspicious", UserStatus::Locked),
    ("lock", UserStatus::Locked),
];

/// The state private labels put a user in, from their current state: a trigger label wins;
/// otherwise `email=verified` makes a pending user active. Users an administrator created
/// active stay active without it; users whose trigger label was removed return to active if
/// their e-mail is verified, else to pending.
pub fn state_from_labels(current: UserStatus, labels: &[Label]) -> UserStatus {
    let private = |k: &str| labels.iter().any(|l| l.scope == LabelScope::Private && l.key == k);
    if let Some((_, s)) = STATE_TRIGGERS.iter().rev().find(|(key, _)| private(key)) {
        return *s;
    }
    let verified = labels.iter().any(|l| l.scope == LabelScope::Private && l.key == "email" && l.value == "verified");
    match current {
        _ if verified => UserStatus::Active,
        UserStatus::Active | UserStatus::Disabled => current,
        _ => UserStatus::Pending,
    }
}

impl Core {
    pub async fn user_by_uid(&self, tenant: TenantId, uid: &str) -> Result<Option<User>> {
        self.store.find_user_by_uid(tenant, uid).await
    }

    pub async fn user_by_email(&self, tenant: TenantId, email: &str) -> Result<Option<User>> {
        match Email::parse(email) {
            Ok(e) => self.store.find_user_by_email(tenant, &e).await,
            Err(_) => Ok(None),
        }
    }

    pub async fn labels(&self, user: UserId) -> Result<Vec<Label>> {
        self.store.list_labels(user).await
    }

    /// Creates a self-registered user: pending until the e-mail is confirmed, except the very
    /// first user of the tenant when `first_user_is_superadmin` is set.
    pub async fn register_user(&self, tenant: TenantId, r: Registration, origin: &Origin) -> Result<User> {
        let community = self.store.default_community(tenant).await?.ok_or_else(|| DomainError::new(ErrorCode::TenantNotFound))?;
        let first = r.first_user_is_superadmin && self.store.count_users(tenant).await? == 0;
        let phc = self.passwords.hash(&r.password).await?;
        let now = self.now();
        let user = User {
            id: UserId::new(),
            uid: new_uid(USER_UID_PREFIX),
            tenant_id: tenant,
            community_id: community.id,
            contact_name: r.username.clone().unwrap_or_else(|| r.email.local_part().to_string()),
            email: r.email,
            username: r.username,
            referral_id: r.referral,
            data: r.data,
            owner_id: None,
            status: if first { UserStatus::Active } else { UserStatus::Pending },
            role: if first { "superadmin".into() } else { DEFAULT_ROLE.into() },
            flags: UserFlags { email_verified: first, ..Default::default() },
            created_at: now,
            updated_at: now,
        };
        let password = Credential::new(user.id, CredentialKind::Password, phc, String::new(), now);
        let caller = Caller { tenant_id: tenant, actor: Actor::User(user.id), origin: origin.clone() };
        let audit = AuditEvent::new(&caller, "user.signup", "user", Some(user.id.to_string()), now)
            .with_details(serde_json::json!({ "email": user.email, "topic": "account" }));
        self.store.insert_user(&user, Some(&password), &audit).await?;
        if first {
            let label = Label::new(user.id, "email".into(), "verified".into(), LabelScope::Private, now);
            self.store.put_label(&label, None).await?;
        }
        Ok(user)
    }

    /// Sets or removes a private label and recomputes the user's state (and e-mail flag).
    pub async fn set_private_label(&self, caller: &Caller, user: &User, key: &str, value: Option<&str>) -> Result<User> {
        let now = self.now();
        let audit = AuditEvent::new(caller, "label.private_change", "user", Some(user.id.to_string()), now)
            .with_details(serde_json::json!({ "key": key, "value": value }));
        match value {
            Some(v) => {
                self.store.put_label(&Label::new(user.id, key.into(), v.into(), LabelScope::Private, now), Some(&audit)).await?
            }
            None => {
                self.store.delete_label(user.id, key, LabelScope::Private, Some(&audit)).await?;
            }
        }
        self.refresh_user_state(caller, user).await
    }

    /// Recomputes a user's state and e-mail flag from their private labels (reading the user
    /// afresh, so concurrent changes to other fields are not overwritten).
    pub async fn refresh_user_state(&self, caller: &Caller, user: &User) -> Result<User> {
        let user =
            self.store.get_user(user.tenant_id, user.id).await?.ok_or_else(|| DomainError::new(ErrorCode::UserNotFound))?;
        let labels = self.store.list_labels(user.id).await?;
        let mut next = user.clone();
        next.status = state_from_labels(user.status, &labels);
        next.flags.email_verified =
            labels.iter().any(|l| l.scope == LabelScope::Private && l.key == "email" && l.value == "verified");
        if next != user {
            next.updated_at = self.now();
            let audit = AuditEvent::new(caller, "user.state_change", "user", Some(user.id.to_string()), next.updated_at)
                .with_details(serde_json::json!({ "from": user.status.as_str(), "to": next.status.as_str() }));
            self.store.update_user(&next, None, &audit).await?;
            if next.status != UserStatus::Active {
                self.store.deactivate_api_keys(user.id, next.updated_at).await?;
            }
            self.forget_api_keys();
        }
        Ok(next)
    }

    /// Replaces a user's password (reset or change) and ends their other sessions.
    pub async fn set_password(
        &self,
        caller: &Caller,
        user: &User,
        password: &str,
        policy: &PasswordPolicy,
        keep_session: Option<keyhall_types::SessionId>,
    ) -> Result<()> {
        policy.check("password", password)?;
        let now = self.now();
        let credential =
            Credential::new(user.id, CredentialKind::Password, self.passwords.hash(password).await?, String::new(), now);
        let mut next = user.clone();
        next.updated_at = now;
        let audit = AuditEvent::new(caller, "user.password_change", "user", Some(user.id.to_string()), now)
            .with_details(serde_json::json!({ "topic": "password" }));
        self.store.update_user(&next, Some(&credential), &audit).await?;
        self.close_user_sessions(user.id, keep_session).await?;
        Ok(())
    }
}

impl Core {
    /// Replaces the user's free-form data (already checked with `check_user_data`).
    pub async fn set_user_data(&self, caller: &Caller, user: &User, data: String) -> Result<User> {
        let mut next = user.clone();
        next.data = Some(data);
        next.updated_at = self.now();
        let audit = AuditEvent::new(caller, "user.update", "user", Some(user.id.to_string()), next.updated_at)
            .with_details(serde_json::json!({ "changed": ["data"], "topic": "account" }));
        self.store.update_user(&next, None, &audit).await?;
        Ok(next)
    }

    /// Public labels: the user's own key/value pairs (private ones are read-only to them).
    pub async fn create_public_label(&self, caller: &Caller, user: &User, key: &str, value: &str) -> Result<Label> {
        let key = crate::labels::normalise("key", key)?;
        let value = crate::labels::normalise("value", value)?;
        let label = Label::new(user.id, key, value, LabelScope::Public, self.now());
        let audit = AuditEvent::new(caller, "label.create", "user", Some(user.id.to_string()), label.created_at)
            .with_details(serde_json::json!({ "key": label.key }));
        self.store.insert_label(&label, Some(&audit)).await?;
        Ok(label)
    }

    /// Changes the value of one of the user's labels; private labels are refused.
    pub async fn update_public_label(&self, caller: &Caller, user: &User, key: &str, value: &str) -> Result<Label> {
        let labels = self.store.list_labels(user.id).await?;
        let Some(current) = labels.iter().find(|l| l.key == key) else {
            return Err(DomainError::new(ErrorCode::LabelNotFound));
        };
        if current.scope == LabelScope::Private && !labels.iter().any(|l| l.key == key && l.scope == LabelScope::Public) {
            return Err(DomainError::new(ErrorCode::LabelPrivate));
        }
        let value = crate::labels::normalise("value", value)?;
        let now = self.now();
        let audit = AuditEvent::new(caller, "label.update", "user", Some(user.id.to_string()), now)
            .with_details(serde_json::json!({ "key": key }));
        if !self.store.update_label(user.id, key, LabelScope::Public, &value, now, &audit).await? {
            return Err(DomainError::new(ErrorCode::LabelNotFound));
        }
        let mut label = labels.into_iter().find(|l| l.key == key && l.scope == LabelScope::Public).expect("found above");
        label.value = value;
        label.updated_at = now;
        Ok(label)
    }

    pub async fn delete_public_label(&self, caller: &Caller, user: &User, key: &str) -> Result<()> {
        let labels = self.store.list_labels(user.id).await?;
        if !labels.iter().any(|l| l.key == key) {
            return Err(DomainError::new(ErrorCode::LabelNotFound));
        }
        if !labels.iter().any(|l| l.key == key && l.scope == LabelScope::Public) {
            return Err(DomainError::new(ErrorCode::LabelPrivate));
        }
        let audit = AuditEvent::new(caller, "label.delete", "user", Some(user.id.to_string()), self.now())
            .with_details(serde_json::json!({ "key": key }));
        self.store.delete_label(user.id, key, LabelScope::Public, Some(&audit)).await?;
        Ok(())
    }
}

impl Core {
    /// A user whose address another identity provider has verified: active at once, with the
    /// private label `email=verified`, and no password (they sign in through that provider, or
    /// set one with a reset).
    pub async fn create_verified_user(&self, tenant: TenantId, email: &str, origin: &Origin) -> Result<User> {
        let email = crate::users::parse_email("email", email)?;
        let community = self.store.default_community(tenant).await?.ok_or_else(|| DomainError::new(ErrorCode::TenantNotFound))?;
        let now = self.now();
        let user = User {
            id: UserId::new(),
            uid: new_uid(USER_UID_PREFIX),
            tenant_id: tenant,
            community_id: community.id,
            contact_name: email.local_part().to_string(),
            email,
            username: None,
            referral_id: None,
            data: None,
            owner_id: None,
            status: UserStatus::Active,
            role: DEFAULT_ROLE.into(),
            flags: UserFlags { email_verified: true, ..Default::default() },
            created_at: now,
            updated_at: now,
        };
        let caller = Caller { tenant_id: tenant, actor: Actor::User(user.id), origin: origin.clone() };
        let audit = AuditEvent::new(&caller, "user.signup", "user", Some(user.id.to_string()), now)
            .with_details(serde_json::json!({ "email": user.email, "via": "identity_provider", "topic": "account" }));
        self.store.insert_user(&user, None, &audit).await?;
        self.store.put_label(&Label::new(user.id, "email".into(), "verified".into(), LabelScope::Private, now), None).await?;
        Ok(user)
    }
}

/// The role service accounts get unless told otherwise.
pub const SERVICE_ACCOUNT_ROLE: &str = "service_account";

impl Core {
    /// Creates a service account owned by `owner`: a user of the same tenant with an `SI` uid,
    /// no password, active at once, that can hold API keys (whose 2FA is the owner's). Its
    /// e-mail defaults to `<owner>+<uid>@<owner's domain>`.
    pub async fn create_service_account(
        &self,
        caller: &Caller,
        owner: &User,
        email: Option<&str>,
        role: Option<&str>,
    ) -> Result<User> {
        let uid = new_uid(crate::users::SERVICE_ACCOUNT_UID_PREFIX);
        let email = match email {
            Some(e) => crate::users::parse_email("email", e)?,
            None => crate::users::parse_email(
                "email",
                &format!("{}+{}@{}", owner.email.local_part(), uid.to_lowercase(), owner.email.domain()),
            )?,
        };
        let now = self.now();
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
        self.store.insert_user(&account, None, &audit).await.map_err(crate::users::email_field("email"))?;
        Ok(account)
    }

    pub async fn service_accounts_of(&self, owner: &User) -> Result<Vec<User>> {
        self.store.list_service_accounts(owner.id).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn barong_password_policy() {
        let p = PasswordPolicy::BARONG;
        assert_eq!(p.check("password", "password").unwrap_err().code, ErrorCode::PasswordRequirements);
        assert_eq!(p.check("password", "Password1").unwrap_err().code, ErrorCode::PasswordWeak);
        for ok in ["eeC2BiCucxWEQ", "Tecohvi0", "ZahSh8ei"] {
            assert!(p.check("password", ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn usernames() {
        assert_eq!(check_username("NICK"), Ok("nick".into()));
        assert_eq!(check_username("qwe"), Err(vec!["too_short"]));
        assert_eq!(check_username("qwertyuiopasd"), Err(vec!["too_long"]));
        assert_eq!(check_username("qwerty@="), Err(vec!["invalid"]));
        assert_eq!(check_username(""), Err(vec!["too_short", "invalid"]));
    }

    #[test]
    fn user_data() {
        assert_eq!(check_user_data("phone_number: 380969999999"), Err("invalid_format"));
        assert!(check_user_data(r#"{"phone_number":"380969999999"}"#).is_ok());
        assert_eq!(check_user_data("[1]"), Err("invalid_format"));
    }

    #[test]
    fn states_follow_labels() {
        use UserStatus::*;
        let t = time::OffsetDateTime::UNIX_EPOCH;
        let u = UserId::new();
        let l = |k: &str, v: &str| Label::new(u, k.into(), v.into(), LabelScope::Private, t);
        assert_eq!(state_from_labels(Pending, &[]), Pending);
        assert_eq!(state_from_labels(Pending, &[l("email", "verified")]), Active);
        assert_eq!(state_from_labels(Active, &[]), Active, "created active by an administrator");
        assert_eq!(state_from_labels(Active, &[l("email", "verified"), l("ban", "yes")]), Banned);
        assert_eq!(state_from_labels(Active, &[l("lock", "x")]), Locked);
        assert_eq!(state_from_labels(Banned, &[]), Pending, "unbanned, e-mail not verified");
        assert_eq!(state_from_labels(Banned, &[l("email", "verified")]), Active);
    }
}
