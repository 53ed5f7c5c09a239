//! The 1Kosmos domain: a tenant's tag and DNS name, the auth modules (user stores) of its
//! communities, the users of a community as 1Kosmos knows them (module, login name, role,
//! profile), license keys, and sign-in with its second factor and session-bound JWTs.
//!
//! A user of the tenant made by any face is a user of the community it lives in: without a
//! row of its own (`MemberRow`) it is a `basic` user of the community's default `db` module,
//! known by its username or e-mail address (its tenant's superadmin is a `tenant_admin`).

pub mod access_codes;
pub mod brokers;
pub mod cache;
pub mod collection_kinds;
pub mod collections;
pub mod directory;
pub mod document_reads;
pub mod document_schemas;
pub mod documents;
pub mod downloadables;
pub mod gateways;
pub mod hardware_tokens;
pub mod init;
pub mod journeys;
pub mod licenses;
pub mod members;
pub mod modules;
pub mod properties;
pub mod radius;
pub mod registration;
pub mod report_jobs;
pub mod report_queries;
pub mod reports;
pub mod scope_consents;
pub mod service_keys;
pub mod service_providers;
pub mod sign_in;
pub mod sp_catalog;
pub mod sspr;
pub mod templates;
pub mod token_csv;
pub mod tokens;
pub mod user_admin;
pub mod wallet;

use keyhall_types::{AuthModuleId, CommunityId, TenantId, Timestamp, UserId};
use serde::{Deserialize, Serialize};

pub use members::{Member, MemberProfile, MemberRow};
pub use modules::{AuthModule, ModuleKind};

crate::service! {
    /// The 1Kosmos domain: `core.adminx()`.
    Adminx
}

/// A user's role in a community.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    TenantAdmin,
    CommunityAdmin,
    Helpdesk,
    Basic,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::TenantAdmin, Role::CommunityAdmin, Role::Helpdesk, Role::Basic];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::TenantAdmin => "tenant_admin",
            Role::CommunityAdmin => "community_admin",
            Role::Helpdesk => "helpdesk",
            Role::Basic => "basic",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Role::ALL.into_iter().find(|r| r.as_str() == text.trim())
    }

    /// Who outranks whom: tenant_admin > community_admin > helpdesk > basic.
    pub fn rank(self) -> u8 {
        match self {
            Role::TenantAdmin => 3,
            Role::CommunityAdmin => 2,
            Role::Helpdesk => 1,
            Role::Basic => 0,
        }
    }

    /// The seed's "administrator": a tenant or community administrator.
    pub fn is_admin(self) -> bool {
        matches!(self, Role::TenantAdmin | Role::CommunityAdmin)
    }

    /// What the role may do, in the seed's words (`/authz/role/fetch/{roleName}`).
    pub fn description(self) -> &'static str {
        match self {
            Role::TenantAdmin => "Administers every community of the tenant",
            Role::CommunityAdmin => "Administers the community",
            Role::Helpdesk => "Helps users of the community: looks them up, unlocks them, issues passcodes",
            Role::Basic => "Uses the community's services",
        }
    }

    /// The named permissions the role holds (`/permission/fetch`).
    pub fn permissions(self) -> &'static [&'static str] {
        match self {
            Role::TenantAdmin | Role::CommunityAdmin => {
                &["user.read", "user.write", "community.config.read", "community.config.write", "user.helpdesk-passcode.generate"]
            }
            Role::Helpdesk => &["user.read", "user.unlock", "user.helpdesk-passcode.generate"],
            Role::Basic => &["self.read", "self.write"],
        }
    }
}

/// How a tenant is known to 1Kosmos clients: its tag and the DNS name its login page is on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantDomain {
    pub tenant_id: TenantId,
    pub tag: String,
    pub dns: String,
    pub created_at: Timestamp,
}

/// A license key (stored as its digest) and what it lets its holder do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessLicense {
    pub digest: String,
    pub tenant_id: TenantId,
    pub community_id: Option<CommunityId>,
    pub tag: String,
    /// `system` or `service`.
    pub auth_level: String,
    pub created_at: Timestamp,
}

/// The community a caller acts in, with the ids every 1Kosmos call names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scope {
    pub tenant: TenantId,
    pub community: CommunityId,
}

/// The caller of a 1Kosmos call signed in with a JWT: who, where, with which role, and the
/// session the token is bound to.
#[derive(Debug, Clone)]
pub struct SignedInCaller {
    /// The caller's user as this node keeps it (shared by its concurrent calls).
    pub member: std::sync::Arc<Member>,
    pub session: keyhall_types::SessionId,
    pub caller: crate::context::Caller,
}

impl SignedInCaller {
    pub fn scope(&self) -> Scope {
        Scope { tenant: self.member.user.tenant_id, community: self.member.community_id }
    }

    pub fn user_id(&self) -> UserId {
        self.member.user.id
    }

    /// `auth.permission_denied` unless the caller administers its community.
    pub fn require_admin(&self) -> crate::Result<()> {
        if self.member.role.is_admin() { Ok(()) } else { Err(crate::DomainError::new(crate::ErrorCode::PermissionDenied)) }
    }

    /// Administrators and help desk.
    pub fn require_helpdesk(&self) -> crate::Result<()> {
        if self.member.role.is_admin() || self.member.role == Role::Helpdesk {
            Ok(())
        } else {
            Err(crate::DomainError::new(crate::ErrorCode::PermissionDenied))
        }
    }

    /// `auth.permission_denied` unless the caller may act on `target`: itself, a user it
    /// outranks, or anyone for a tenant_admin (no one may reach above their own role).
    pub fn require_over(&self, target: &Member) -> crate::Result<()> {
        let me = self.member.role;
        if target.user.id == self.user_id() || me == Role::TenantAdmin || me.rank() > target.role.rank() {
            Ok(())
        } else {
            Err(crate::DomainError::new(crate::ErrorCode::PermissionDenied).detail(format!(
                "A {} cannot act on a {}",
                me.as_str(),
                target.role.as_str()
            )))
        }
    }

    /// `community.not_found` unless `scope` is the caller's own community (ids in a body
    /// never reach another community's objects).
    pub fn require_scope(&self, tenant: &str, community: &str) -> crate::Result<Scope> {
        let scope = self.scope();
        if tenant.trim() != scope.tenant.to_string() || community.trim() != scope.community.to_string() {
            return Err(crate::DomainError::new(crate::ErrorCode::CommunityNotFound));
        }
        Ok(scope)
    }
}

/// A module id from text: `auth_module.not_found` when it is not one.
pub fn parse_module_id(text: &str) -> crate::Result<AuthModuleId> {
    AuthModuleId::parse(text.trim()).ok_or_else(|| crate::DomainError::new(crate::ErrorCode::AuthModuleNotFound))
}
