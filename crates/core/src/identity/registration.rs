//! Self-service accounts: sign-up with username and referral rules, users another identity
//! provider vouches for, and the state a user's private labels put them in.

use keyhall_types::{Email, TenantId, UserId};

use super::Identity;
use crate::audit::AuditEvent;
use crate::context::{Caller, Origin};
use crate::credentials::{Credential, CredentialKind};
use crate::error::{DomainError, ErrorCode, Result, Rule, Violation};
use crate::identity::labels::{Label, LabelScope};
use crate::identity::users::{DEFAULT_ROLE, SUPERADMIN_ROLE, USER_UID_PREFIX, User, UserFlags, UserStatus, new_uid};
use crate::ports::{UnitOfWork, Write};

/// Usernames: 4–12 ASCII letters or digits, stored in lower case. Returns every broken rule
/// of `username` (too short, too long, invalid), as a form would list them.
pub fn check_username(text: &str) -> std::result::Result<String, Vec<Violation>> {
    let mut broken = Vec::new();
    let n = text.chars().count();
    if n < 4 {
        broken.push(Violation::new("username", Rule::TooShort));
    }
    if n > 12 {
        broken.push(Violation::new("username", Rule::TooLong));
    }
    if n == 0 || !text.chars().all(|c| c.is_ascii_alphanumeric()) {
        broken.push(Violation::new("username", Rule::Invalid));
    }
    if broken.is_empty() { Ok(text.to_ascii_lowercase()) } else { Err(broken) }
}

/// User data: a JSON object as text, at most 1024 characters.
pub fn check_user_data(text: &str) -> std::result::Result<String, Violation> {
    if text.chars().count() > 1024 {
        return Err(Violation::new("data", Rule::TooLong));
    }
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(serde_json::Value::Object(_)) => Ok(text.to_string()),
        _ => Err(Violation::new("data", Rule::InvalidFormat)),
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

/// Makes `user` the tenant's first user: an active superadmin with a verified address.
pub(crate) fn make_first(user: &mut User) {
    user.status = UserStatus::Active;
    user.role = SUPERADMIN_ROLE.into();
    user.flags.email_verified = true;
}

/// The unit that inserts `user` and `then` (its credentials, …); for the tenant's first user
/// it claims the seat before (`user.first_taken` if taken) and labels the address verified.
pub(crate) fn insert_user_unit(user: &User, first: bool, then: Vec<Write>, now: keyhall_types::Timestamp) -> UnitOfWork {
    let mut work = UnitOfWork::new();
    if first {
        work = work.write(Write::ClaimFirstUser { tenant: user.tenant_id });
    }
    work = work.write(Write::InsertUser(user.clone()));
    work.writes.extend(then);
    if first {
        work = work.write(Write::PutLabel(Label::new(user.id, "email".into(), "verified".into(), LabelScope::Private, now)));
    }
    work
}

impl Identity<'_> {
    pub async fn user_by_uid(self, tenant: TenantId, uid: &str) -> Result<Option<User>> {
        self.core.store.find_user_by_uid(tenant, uid).await
    }

    pub async fn user_by_email(self, tenant: TenantId, email: &str) -> Result<Option<User>> {
        match Email::parse(email) {
            Ok(e) => self.core.store.find_user_by_email(tenant, &e).await,
            Err(_) => Ok(None),
        }
    }

    pub async fn labels(self, user: UserId) -> Result<Vec<Label>> {
        self.core.store.list_labels(user).await
    }

    /// Creates a self-registered user: pending until the e-mail is confirmed, except the very
    /// first user of the tenant when `first_user_is_superadmin` is set. Sign-ups are limited
    /// per client address (`SIGN_UPS_PER_ADDRESS`). Which sign-up is the
    /// first is decided in the database, so that of concurrent ones exactly one is.
    pub async fn register_user(self, tenant: TenantId, r: Registration, origin: &Origin) -> Result<User> {
        self.core.auth().count_request(tenant, &crate::auth::rate_limits::SIGN_UPS_PER_ADDRESS, origin).await?;
        let community =
            self.core.store.default_community(tenant).await?.ok_or_else(|| DomainError::new(ErrorCode::TenantNotFound))?;
        let phc = self.core.passwords.hash(&r.password).await?;
        let now = self.core.now();
        self.first_or_not(tenant, r.first_user_is_superadmin, |first| {
            self.insert_registered(tenant, community.id, &r, &phc, now, origin, first)
        })
        .await
    }

    /// Inserts a user of `tenant` with `insert(first)`: as the tenant's first user when
    /// `may_be_first` and it has nobody yet (the unit then carries `first_user_writes`), else,
    /// or when a concurrent insert took the seat (`user.first_taken`), as any other.
    pub(crate) async fn first_or_not<T, Fut>(
        self,
        tenant: TenantId,
        may_be_first: bool,
        mut insert: impl FnMut(bool) -> Fut,
    ) -> Result<T>
    where
        Fut: std::future::Future<Output = Result<T>>,
    {
        // Cheap first look: once a tenant has users, nobody new can be the first.
        if may_be_first && self.core.store.count_users(tenant).await? == 0 {
            match insert(true).await {
                Err(e) if e.is(ErrorCode::FirstUserTaken) => {}
                outcome => return outcome,
            }
        }
        insert(false).await
    }

    /// Inserts a signed-up user: as the tenant's first (an active superadmin with a verified
    /// address, `user.first_taken` unless the tenant still has nobody) or as a pending member.
    #[allow(clippy::too_many_arguments)]
    async fn insert_registered(
        self,
        tenant: TenantId,
        community: keyhall_types::CommunityId,
        r: &Registration,
        phc: &str,
        now: keyhall_types::Timestamp,
        origin: &Origin,
        first: bool,
    ) -> Result<User> {
        let r = r.clone();
        let mut user = User {
            id: UserId::new(),
            uid: new_uid(USER_UID_PREFIX),
            tenant_id: tenant,
            community_id: community,
            contact_name: r.username.clone().unwrap_or_else(|| r.email.local_part().to_string()),
            email: r.email,
            username: r.username,
            referral_id: r.referral,
            data: r.data,
            owner_id: None,
            status: UserStatus::Pending,
            role: DEFAULT_ROLE.into(),
            flags: UserFlags::default(),
            created_at: now,
            updated_at: now,
        };
        let password = Credential::new(user.id, CredentialKind::Password, phc.to_string(), String::new(), now);
        let caller = Caller::user(tenant, user.id, origin.clone());
        let audit = AuditEvent::new(&caller, "user.signup", "user", Some(user.id.to_string()), now)
            .with_details(serde_json::json!({ "email": user.email, "topic": "account" }));
        if first {
            make_first(&mut user);
        }
        let work = insert_user_unit(&user, first, vec![Write::InsertCredential(password)], now);
        self.core.store.commit(work.audit(audit)).await?;
        Ok(user)
    }

    /// Sets or removes a private label and recomputes the user's state (and e-mail flag).
    pub async fn set_private_label(self, caller: &Caller, user: &User, key: &str, value: Option<&str>) -> Result<User> {
        let now = self.core.now();
        let audit = AuditEvent::new(caller, "label.private_change", "user", Some(user.id.to_string()), now)
            .with_details(serde_json::json!({ "key": key, "value": value }));
        let write = match value {
            Some(v) => Write::PutLabel(Label::new(user.id, key.into(), v.into(), LabelScope::Private, now)),
            None => Write::DeleteLabel { user: user.id, key: key.into(), scope: LabelScope::Private },
        };
        self.core.store.commit(UnitOfWork::new().write(write).audit(audit)).await?;
        self.refresh_user_state(caller, user).await
    }

    /// Recomputes a user's state and e-mail flag from their private labels (reading the user
    /// afresh, so concurrent changes to other fields are not overwritten).
    pub async fn refresh_user_state(self, caller: &Caller, user: &User) -> Result<User> {
        let user =
            self.core.store.get_user(user.tenant_id, user.id).await?.ok_or_else(|| DomainError::new(ErrorCode::UserNotFound))?;
        let labels = self.core.store.list_labels(user.id).await?;
        let mut next = user.clone();
        next.status = state_from_labels(user.status, &labels);
        next.flags.email_verified =
            labels.iter().any(|l| l.scope == LabelScope::Private && l.key == "email" && l.value == "verified");
        if next != user {
            next.updated_at = self.core.now();
            let audit = AuditEvent::new(caller, "user.state_change", "user", Some(user.id.to_string()), next.updated_at)
                .with_details(serde_json::json!({ "from": user.status.as_str(), "to": next.status.as_str() }));
            self.core.store.commit(UnitOfWork::new().write(Write::UpdateUser(next.clone())).audit(audit)).await?;
            if next.status != UserStatus::Active {
                self.core.store.deactivate_api_keys(user.id, next.updated_at).await?;
            }
            self.core.auth().forget_api_keys();
        }
        Ok(next)
    }
}

impl Identity<'_> {
    /// Replaces the user's free-form data (already checked with `check_user_data`).
    pub async fn set_user_data(self, caller: &Caller, user: &User, data: String) -> Result<User> {
        let mut next = user.clone();
        next.data = Some(data);
        next.updated_at = self.core.now();
        let audit = AuditEvent::new(caller, "user.update", "user", Some(user.id.to_string()), next.updated_at)
            .with_details(serde_json::json!({ "changed": ["data"], "topic": "account" }));
        self.core.store.commit(UnitOfWork::new().write(Write::UpdateUser(next.clone())).audit(audit)).await?;
        Ok(next)
    }
}

impl Identity<'_> {
    /// A user whose address another identity provider has verified: active at once, with the
    /// private label `email=verified`, and no password (they sign in through that provider, or
    /// set one with a reset), linked to the provider's identity when given.
    pub async fn create_verified_user(
        self,
        tenant: TenantId,
        email: &str,
        origin: &Origin,
        linked: Option<&crate::auth::ExternalIdentity>,
    ) -> Result<User> {
        let email = crate::identity::users::parse_email("email", email)?;
        let community =
            self.core.store.default_community(tenant).await?.ok_or_else(|| DomainError::new(ErrorCode::TenantNotFound))?;
        let now = self.core.now();
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
        let caller = Caller::user(tenant, user.id, origin.clone());
        let audit = AuditEvent::new(&caller, "user.signup", "user", Some(user.id.to_string()), now)
            .with_details(serde_json::json!({ "email": user.email, "via": "identity_provider", "topic": "account" }));
        let verified = Label::new(user.id, "email".into(), "verified".into(), LabelScope::Private, now);
        let mut work = UnitOfWork::new().write(Write::InsertUser(user.clone())).write(Write::PutLabel(verified)).audit(audit);
        if let Some(identity) = linked {
            work = work.write(Write::LinkExternalIdentity {
                tenant,
                issuer: identity.issuer.clone(),
                subject: identity.subject.clone(),
                user: user.id,
                at: now,
            });
        }
        self.core.store.commit(work).await?;
        Ok(user)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames() {
        let rules = |text| check_username(text).unwrap_err().into_iter().map(|v| v.rule).collect::<Vec<_>>();
        assert_eq!(check_username("NICK"), Ok("nick".into()));
        assert_eq!(rules("qwe"), [Rule::TooShort]);
        assert_eq!(rules("qwertyuiopasd"), [Rule::TooLong]);
        assert_eq!(rules("qwerty@="), [Rule::Invalid]);
        assert_eq!(rules(""), [Rule::TooShort, Rule::Invalid]);
    }

    #[test]
    fn user_data() {
        assert_eq!(check_user_data("phone_number: 380969999999"), Err(Violation::new("data", Rule::InvalidFormat)));
        assert!(check_user_data(r#"{"phone_number":"380969999999"}"#).is_ok());
        assert_eq!(check_user_data("[1]"), Err(Violation::new("data", Rule::InvalidFormat)));
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
