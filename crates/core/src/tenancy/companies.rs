//! Companies: creating a tenant with its owner and first token, and closing or deleting it.

use keyhall_types::{CommunityId, Secret, TenantId, UserId};

use super::Tenancy;
use crate::audit::AuditEvent;
use crate::auth::api_tokens::{ApiToken, new_token};
use crate::context::Caller;
use crate::credentials::PasswordPolicy;
use crate::credentials::{Credential, CredentialKind};
use crate::error::{DomainError, ErrorCode, Result};
use crate::identity::users::{DEFAULT_ROLE, User, UserFlags, UserStatus, parse_email};
use crate::ports::{UnitOfWork, Write};
use crate::tenancy::tenants::{Community, CompanyProfile, DEFAULT_COMMUNITY, Tenant, TenantStatus};

#[derive(Debug, Clone)]
pub struct NewCompany {
    pub name: String,
    pub email: String,
    pub password: String,
    pub contact_name: Option<String>,
    /// The actions the owner's first token holds.
    pub token_permissions: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct CompanyCreated {
    pub tenant: Tenant,
    pub owner: User,
    pub token: ApiToken,
    pub token_secret: Secret<String>,
}

impl Tenancy<'_> {
    /// Creates a tenant, its default community, its owner (the primary contact, with a
    /// password) and an API token for the owner, in one transaction.
    pub async fn create_company(self, input: NewCompany, rule: &PasswordPolicy) -> Result<CompanyCreated> {
        let name = crate::tenancy::tenants::validate_name("name", &input.name)?;
        let email = parse_email("email", &input.email)?;
        rule.check("password", &input.password)?;
        let contact_name = match input.contact_name {
            Some(n) => crate::identity::users::validate_contact_name("contact_name", &n)?,
            None => email.local_part().to_string(),
        };
        let phc = self.core.passwords.hash(&input.password).await?;
        let now = self.core.now();
        let (tenant, community) = new_tenant(name, now);
        let owner = User {
            id: UserId::new(),
            uid: crate::identity::users::new_uid(crate::identity::users::USER_UID_PREFIX),
            tenant_id: tenant.id,
            community_id: community.id,
            email,
            username: None,
            referral_id: None,
            data: None,
            owner_id: None,
            contact_name,
            status: UserStatus::Active,
            role: DEFAULT_ROLE.into(),
            flags: UserFlags { is_primary_contact: true, is_technical: true, is_billing: true, ..Default::default() },
            created_at: now,
            updated_at: now,
        };
        let password = Credential::new(owner.id, CredentialKind::Password, phc, String::new(), now);
        let (token, secret, digest) = new_token(tenant.id, owner.id, input.token_permissions, now);
        let operator = Caller::operator(tenant.id);
        let work = UnitOfWork::new()
            .write(Write::InsertTenant { tenant: tenant.clone(), community })
            .write(Write::InsertUser(owner.clone()))
            .write(Write::InsertCredential(password))
            .write(Write::InsertToken { token: token.clone(), digest })
            .audit(
                AuditEvent::new(&operator, "tenant.create", "tenant", Some(tenant.id.to_string()), now)
                    .with_details(serde_json::json!({ "name": tenant.name })),
            )
            .audit(
                AuditEvent::new(&operator, "user.create", "user", Some(owner.id.to_string()), now)
                    .with_details(serde_json::json!({ "email": owner.email, "primary_contact": true })),
            )
            .audit(
                AuditEvent::new(&operator, "token.create", "token", Some(token.id.to_string()), now)
                    .with_details(serde_json::json!({ "permissions": token.permissions })),
            );
        self.core.store.commit(work).await?;
        Ok(CompanyCreated { tenant, owner, token, token_secret: Secret::new(secret) })
    }

    /// True on a fresh installation (nobody has an account yet).
    pub async fn is_empty(self) -> Result<bool> {
        Ok(!self.core.store.any_user().await?)
    }

    pub async fn tenant(self, id: TenantId) -> Result<Tenant> {
        self.core.store.get_tenant(id).await?.ok_or_else(|| DomainError::new(ErrorCode::TenantNotFound))
    }

    /// Closes the caller's company. Without `force` it refuses while licenses or hosted
    /// instances are active and keeps the data (status `closed`, all tokens revoked); with
    /// `force` it deletes the company and everything it owns for good. Either way the
    /// audit log keeps the record.
    pub async fn close_company(self, caller: &Caller, force: bool) -> Result<()> {
        let tenant = self.tenant(caller.tenant_id()).await?;
        let now = self.core.now();
        if force {
            let audit = AuditEvent::new(caller, "tenant.delete", "tenant", Some(tenant.id.to_string()), now)
                .with_details(serde_json::json!({ "name": tenant.name, "force": true }));
            self.core.store.delete_tenant(tenant.id, &audit).await?;
        } else {
            let active = self.core.store.count_active_services(tenant.id).await?;
            if active > 0 {
                return Err(DomainError::new(ErrorCode::TenantHasActiveServices)
                    .field("force")
                    .detail(format!("the company still has {active} active service(s); archive or delete them")));
            }
            let audit = AuditEvent::new(caller, "tenant.close", "tenant", Some(tenant.id.to_string()), now)
                .with_details(serde_json::json!({ "name": tenant.name, "force": false }));
            self.core.store.close_tenant(tenant.id, now, &audit).await?;
        }
        self.core.auth().forget_verified_tokens();
        self.core.licenses.invalidate(tenant.id);
        Ok(())
    }
}

/// A new active tenant and its default community.
fn new_tenant(name: String, now: keyhall_types::Timestamp) -> (Tenant, Community) {
    let tenant = Tenant {
        id: TenantId::new(),
        name,
        status: TenantStatus::Active,
        profile: CompanyProfile::default(),
        created_at: now,
        updated_at: now,
    };
    let community = Community {
        id: CommunityId::new(),
        tenant_id: tenant.id,
        name: DEFAULT_COMMUNITY.into(),
        is_default: true,
        created_at: now,
    };
    (tenant, community)
}

impl Tenancy<'_> {
    /// The tenant a single-tenant face serves: `configured` if given (it must exist), else the
    /// one recorded under `setting` on an earlier start, else a new empty tenant named `name`
    /// (recorded so every node and every restart agrees).
    pub async fn face_tenant(self, setting: &str, name: &str, configured: Option<TenantId>) -> Result<TenantId> {
        if let Some(id) = configured {
            self.tenant(id)
                .await
                .map_err(|_| DomainError::new(ErrorCode::TenantNotFound).detail(format!("tenant {id} does not exist")))?;
            return Ok(id);
        }
        if let Some(id) = self.core.store.get_setting(setting).await?.and_then(|v| TenantId::parse(&v)) {
            return Ok(id);
        }
        let now = self.core.now();
        let (tenant, community) = new_tenant(name.to_string(), now);
        let audit = AuditEvent::new(&Caller::system(tenant.id), "tenant.create", "tenant", Some(tenant.id.to_string()), now)
            .with_details(serde_json::json!({ "name": name, "for": setting }));
        self.core
            .store
            .commit(UnitOfWork::new().write(Write::InsertTenant { tenant: tenant.clone(), community }).audit(audit))
            .await?;
        let winner = self.core.store.put_setting_if_absent(setting, &tenant.id.to_string(), now).await?;
        TenantId::parse(&winner).ok_or_else(|| DomainError::internal(format!("setting {setting} is not a tenant id")))
    }
}
