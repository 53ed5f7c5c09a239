//! The users of a community as 1Kosmos knows them: the core's user plus its module, login
//! name, role and profile (`MemberRow`). Every user made in a community that has auth
//! modules gets a row (the store writes one with the user: a `basic` user of the default
//! module, known by its username or e-mail), so any face's users sign in here.

use keyhall_types::{AuthModuleId, CommunityId, Timestamp, UserId};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Adminx, Role, Scope};
use crate::error::{DomainError, ErrorCode, Result};
use crate::identity::User;

/// Names, contacts and address (the profile's JSON in the store).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct MemberProfile {
    pub firstname: String,
    pub middlename: String,
    pub lastname: String,
    pub email2: String,
    pub phone1: String,
    pub address: Option<Value>,
    pub mobiles: Vec<String>,
    pub landlines: Vec<String>,
    /// `alias1` … `alias8` (each unique in the community: the store keeps them apart too).
    pub aliases: std::collections::BTreeMap<String, String>,
    pub disabled: bool,
    /// Whether the e-mail address was confirmed (1Kosmos's `email1_verified`).
    pub email1_verified: bool,
}

/// A user's 1Kosmos row.
#[derive(Debug, Clone, PartialEq)]
pub struct MemberRow {
    pub user_id: UserId,
    pub community_id: CommunityId,
    pub module_id: AuthModuleId,
    /// The login name, lower case, unique per module.
    pub username: String,
    pub role: Role,
    pub profile: MemberProfile,
    /// Locked by an administrator (or too many wrong OTPs) until then.
    pub locked_until: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// A user of a community.
#[derive(Debug, Clone, PartialEq)]
pub struct Member {
    pub user: User,
    pub community_id: CommunityId,
    pub module_id: AuthModuleId,
    pub username: String,
    pub role: Role,
    pub profile: MemberProfile,
    pub locked_until: Option<Timestamp>,
}

impl Member {
    pub fn of(user: User, row: MemberRow) -> Self {
        let mut profile = row.profile;
        if profile.firstname.is_empty() && profile.lastname.is_empty() {
            // A user made by another face has only a contact name.
            let mut parts = user.contact_name.splitn(2, ' ');
            profile.firstname = parts.next().unwrap_or_default().to_string();
            profile.lastname = parts.next().unwrap_or_default().trim().to_string();
        }
        Member {
            community_id: row.community_id,
            module_id: row.module_id,
            username: row.username,
            role: row.role,
            profile,
            locked_until: row.locked_until,
            user,
        }
    }

    pub fn is_locked(&self, now: Timestamp) -> bool {
        self.locked_until.is_some_and(|until| until > now)
    }

    /// `active`, `locked` or `disabled`.
    pub fn status(&self, now: Timestamp) -> &'static str {
        if self.profile.disabled || !self.user.status.may_sign_in() {
            "disabled"
        } else if self.is_locked(now) {
            "locked"
        } else {
            "active"
        }
    }

    /// The user as 1Kosmos answers it.
    pub fn to_json(&self, now: Timestamp) -> Value {
        serde_json::to_value(self.view(now)).unwrap_or(Value::Null)
    }

    /// The same, to serialize without building a JSON tree (pages of users).
    pub fn view(&self, now: Timestamp) -> MemberView<'_> {
        let p = &self.profile;
        MemberView {
            uid: self.user.id,
            username: &self.username,
            tenant_id: self.user.tenant_id,
            community_id: self.community_id,
            module_id: self.module_id,
            auth_module_id: self.module_id,
            kind: "basic",
            role: self.role.as_str(),
            role_value: self.role.as_str(),
            firstname: &p.firstname,
            middlename: &p.middlename,
            lastname: &p.lastname,
            email1: self.user.email.as_str(),
            email1_verified: p.email1_verified || self.user.flags.email_verified,
            email2: &p.email2,
            phone1: &p.phone1,
            address: p.address.as_ref(),
            mobiles: &p.mobiles,
            landlines: &p.landlines,
            aliases: &p.aliases,
            status: self.status(now),
            disabled: p.disabled,
            is_locked: self.is_locked(now),
            lock_duration: self.locked_until.map(|u| (u - now).whole_seconds().max(0)).unwrap_or(0),
            created_at: self.user.created_at.to_string(),
        }
    }

    pub fn row(&self) -> MemberRow {
        MemberRow {
            user_id: self.user.id,
            community_id: self.community_id,
            module_id: self.module_id,
            username: self.username.clone(),
            role: self.role,
            profile: self.profile.clone(),
            locked_until: self.locked_until,
            created_at: self.user.created_at,
            updated_at: self.user.updated_at,
        }
    }
}

/// A user as 1Kosmos answers it (`Member::view`).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MemberView<'a> {
    uid: UserId,
    username: &'a str,
    tenant_id: keyhall_types::TenantId,
    community_id: CommunityId,
    module_id: AuthModuleId,
    auth_module_id: AuthModuleId,
    #[serde(rename = "type")]
    kind: &'static str,
    role: &'static str,
    role_value: &'static str,
    firstname: &'a str,
    middlename: &'a str,
    lastname: &'a str,
    email1: &'a str,
    #[serde(rename = "email1_verified")]
    email1_verified: bool,
    email2: &'a str,
    phone1: &'a str,
    #[serde(serialize_with = "object_or_empty")]
    address: Option<&'a Value>,
    mobiles: &'a [String],
    landlines: &'a [String],
    aliases: &'a std::collections::BTreeMap<String, String>,
    status: &'static str,
    disabled: bool,
    is_locked: bool,
    #[serde(rename = "lock_duration")]
    lock_duration: i64,
    created_at: String,
}

fn object_or_empty<S: serde::Serializer>(value: &Option<&Value>, s: S) -> std::result::Result<S::Ok, S::Error> {
    match value {
        Some(v) => v.serialize(s),
        None => serde_json::Map::new().serialize(s),
    }
}

/// A page of users: which module, which filter, which order (also the key of a cached page).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct MemberQuery {
    pub module: Option<AuthModuleId>,
    /// Users whose username or e-mail contains this (case-insensitive).
    pub search: Option<String>,
    pub username: Option<String>,
    pub email: Option<String>,
    pub role: Option<Role>,
    /// `username` (default) or `createdAt`, and whether descending.
    pub sort_by_created: bool,
    pub descending: bool,
    pub offset: i64,
    pub limit: i64,
}

/// A new user of a community (any face's user fields at their defaults).
pub(crate) fn new_user(
    scope: Scope,
    email: keyhall_types::Email,
    contact_name: String,
    email_verified: bool,
    now: Timestamp,
) -> User {
    let flags = crate::identity::users::UserFlags { email_verified, ..Default::default() };
    User::new_active(scope.tenant, scope.community, email, contact_name, flags, now)
}

/// A login name as stored: trimmed, lower case, 1–255 printable characters.
pub fn normalise_username(text: &str) -> Result<String> {
    let name = text.trim().to_lowercase();
    if name.is_empty() {
        return Err(DomainError::missing("username"));
    }
    if name.chars().count() > 255 || name.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(DomainError::invalid("username", "must be 1-255 characters without spaces"));
    }
    Ok(name)
}

impl Adminx<'_> {
    /// A keyed digest of a username, address or number (lower-cased): lets a client compare
    /// what it was told without the value being recoverable by trying candidates.
    pub fn contact_digest(self, text: &str) -> String {
        if text.is_empty() {
            return String::new();
        }
        hex::encode(self.core.keys.mac("adminx.contact", text.trim().to_lowercase().as_bytes()))
    }

    /// The user `username` of the community (any of its modules), if there is one.
    pub async fn member_by_username(self, community: CommunityId, username: &str) -> Result<Option<Member>> {
        let Ok(name) = normalise_username(username) else { return Ok(None) };
        Ok(self.core.store.find_member(community, &name).await?.map(|(u, row)| Member::of(u, row)))
    }

    /// The user with id `uid` in the community: `user.not_found` otherwise.
    pub async fn member(self, scope: Scope, uid: &str) -> Result<Member> {
        let id = UserId::parse(uid.trim()).ok_or_else(|| DomainError::new(ErrorCode::UserNotFound))?;
        match self.core.store.member(id).await? {
            Some((user, row)) if row.community_id == scope.community && user.tenant_id == scope.tenant => {
                Ok(Member::of(user, row))
            }
            _ => Err(DomainError::new(ErrorCode::UserNotFound)),
        }
    }

    /// A page of the community's users and how many match in all.
    pub async fn members(self, scope: Scope, query: &MemberQuery) -> Result<(Vec<Member>, i64)> {
        let page = self.cached_page(scope.community, query).await?;
        let (rows, total) = page.as_ref();
        Ok((rows.iter().map(|(u, r)| Member::of(u.clone(), r.clone())).collect(), *total))
    }
}
