//! Companies: creating a tenant with its owner and first token, the installation's default
//! tenant, and closing or deleting a company.

/// The name of the default tenant until a company takes it over.
pub const DEFAULT_TENANT_NAME: &str = "Default";

use keyhall_types::{CommunityId, Secret, TenantId, UserId};

use super::Tenancy;
use crate::audit::AuditEvent;
use crate::auth::api_tokens::{ApiToken, new_token};
use crate::context::Caller;
use crate::credentials::PasswordPolicy;
use crate::credentials::{Credential, CredentialKind};
use crate::error::{DomainError, ErrorCode, Result};
use crate::identity::registration::{insert_user_unit, make_first};
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
    /// Take the installation's default tenant if no company holds it yet.
    pub claim_default_tenant: bool,
}

#[derive(Debug, Clone)]
pub struct CompanyCreated {
    pub tenant: Tenant,
    pub owner: User,
    pub token: ApiToken,
    pub token_secret: Secret<String>,
    /// Whether the company is the installation's default tenant (the faces serve it).
    pub default_tenant: bool,
}

impl Tenancy<'_> {
    /// Creates a company: its owner (the primary contact, with a password) and an API token
    /// for the owner, in a new tenant with its default community, or in the installation's
    /// default tenant when `claim_default_tenant` is set and no company holds it yet (see
    /// `default_tenant`). The owner is the tenant's superadmin when they are its first user.
    /// An e-mail address that is already a company's primary contact is refused
    /// (`tenant.email_taken`): running the command twice must not make two companies.
    pub async fn create_company(self, input: NewCompany, rule: &PasswordPolicy) -> Result<CompanyCreated> {
        let name = crate::tenancy::tenants::validate_name("name", &input.name)?;
        let email = parse_email("email", &input.email)?;
        rule.check("password", &input.password)?;
        let contact_name = match &input.contact_name {
            Some(n) => crate::identity::users::validate_contact_name("contact_name", n)?,
            None => email.local_part().to_string(),
        };
        if let Some(existing) = self.core.store.primary_contact_by_email(&email).await? {
            return Err(DomainError::new(ErrorCode::CompanyEmailTaken)
                .field("email")
                .detail(format!("{email} is already the primary contact of company {}", existing.tenant_id)));
        }
        let phc = self.core.passwords.hash(&input.password).await?;
        let now = self.core.now();
        let place = self.place_for_company(name, input.claim_default_tenant, now).await?;
        let tenant = place.tenant.id;
        let draft = CompanyDraft { place, email, contact_name, phc, permissions: input.token_permissions };
        self.core.identity().first_or_not(tenant, true, |first| self.insert_company(&draft, first, now)).await
    }

    /// Where a new company goes: the default tenant if asked for and nobody holds it (renamed
    /// after the company), else a new tenant.
    async fn place_for_company(self, name: String, claim_default: bool, now: keyhall_types::Timestamp) -> Result<Place> {
        if claim_default && let Some(id) = self.recorded_default_tenant().await? {
            let held = self.core.store.primary_contact(id).await?.is_some();
            if let (false, Some(mut tenant), Some(community)) =
                (held, self.core.store.get_tenant(id).await?, self.core.store.default_community(id).await?)
            {
                tenant.name = name;
                tenant.updated_at = now;
                return Ok(Place { tenant, community, new: false, becomes_default: false });
            }
        }
        let (tenant, community) = new_tenant(name, now);
        let becomes_default = claim_default && self.recorded_default_tenant().await?.is_none();
        Ok(Place { tenant, community, new: true, becomes_default })
    }

    /// Writes the company drafted by `create_company`, its owner as the tenant's first user
    /// (an active superadmin with a verified address: `user.first_taken` if someone else
    /// was first) or as a member.
    async fn insert_company(self, d: &CompanyDraft, first: bool, now: keyhall_types::Timestamp) -> Result<CompanyCreated> {
        let Place { tenant, community, new, becomes_default } = &d.place;
        let mut owner = User {
            id: UserId::new(),
            uid: crate::identity::users::new_uid(crate::identity::users::USER_UID_PREFIX),
            tenant_id: tenant.id,
            community_id: community.id,
            email: d.email.clone(),
            username: None,
            referral_id: None,
            data: None,
            owner_id: None,
            contact_name: d.contact_name.clone(),
            status: UserStatus::Active,
            role: DEFAULT_ROLE.into(),
            flags: UserFlags { is_primary_contact: true, is_technical: true, is_billing: true, ..Default::default() },
            created_at: now,
            updated_at: now,
        };
        if first {
            make_first(&mut owner);
        }
        let password = Credential::new(owner.id, CredentialKind::Password, d.phc.clone(), String::new(), now);
        let (token, secret, digest) = new_token(tenant.id, owner.id, d.permissions.clone(), now);
        let operator = Caller::operator(tenant.id);
        let mut work = UnitOfWork::new().write(if *new {
            Write::InsertTenant { tenant: tenant.clone(), community: community.clone() }
        } else {
            Write::UpdateTenant(tenant.clone())
        });
        let then = vec![Write::InsertCredential(password), Write::InsertToken { token: token.clone(), digest }];
        work.writes.extend(insert_user_unit(&owner, first, then, now).writes);
        let work = work
            .audit(
                AuditEvent::new(
                    &operator,
                    if *new { "tenant.create" } else { "tenant.claim" },
                    "tenant",
                    Some(tenant.id.to_string()),
                    now,
                )
                .with_details(serde_json::json!({ "name": tenant.name, "default": !*new || *becomes_default })),
            )
            .audit(
                AuditEvent::new(&operator, "user.create", "user", Some(owner.id.to_string()), now)
                    .with_details(serde_json::json!({ "email": owner.email, "primary_contact": true, "role": owner.role })),
            )
            .audit(
                AuditEvent::new(&operator, "token.create", "token", Some(token.id.to_string()), now)
                    .with_details(serde_json::json!({ "permissions": token.permissions })),
            );
        self.core.store.commit(work).await?;
        let default_tenant = if *becomes_default {
            // Another process may have recorded a default tenant meanwhile: then this company
            // simply stays a tenant of its own.
            let id = tenant.id.to_string();
            self.core.store.put_setting_if_absent(DEFAULT_TENANT_SETTING, &id, now).await? == id
        } else {
            !*new
        };
        Ok(CompanyCreated { tenant: tenant.clone(), owner, token, token_secret: Secret::new(secret), default_tenant })
    }

    /// Every company: each tenant with its primary contact (none for a tenant that only a
    /// face's sign-ups use), oldest first.
    pub async fn companies(self) -> Result<Vec<(Tenant, Option<User>)>> {
        let mut out = Vec::new();
        for tenant in self.core.store.list_tenants().await? {
            let contact = self.core.store.primary_contact(tenant.id).await?;
            out.push((tenant, contact));
        }
        Ok(out)
    }

    /// The company's primary contact.
    pub async fn primary_contact(self, tenant: TenantId) -> Result<User> {
        self.tenant(tenant).await?;
        self.core
            .store
            .primary_contact(tenant)
            .await?
            .ok_or_else(|| DomainError::new(ErrorCode::UserNotFound).detail(format!("tenant {tenant} has no primary contact")))
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
        self.core.licenses.invalidate_all();
        Ok(())
    }
}

/// A new active tenant and its default community.
pub(crate) fn new_tenant(name: String, now: keyhall_types::Timestamp) -> (Tenant, Community) {
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

/// The installation-wide setting that records the default tenant.
pub const DEFAULT_TENANT_SETTING: &str = "default.tenant_id";
/// Where installations before the default tenant recorded the Barong face's tenant (the same
/// role: it is read as the default tenant).
const LEGACY_DEFAULT_TENANT_SETTING: &str = "barong.tenant_id";

/// A company's tenant: a new one, or the default one it takes over.
struct Place {
    tenant: Tenant,
    community: Community,
    new: bool,
    becomes_default: bool,
}

struct CompanyDraft {
    place: Place,
    email: keyhall_types::Email,
    contact_name: String,
    phc: String,
    permissions: Vec<String>,
}

impl Tenancy<'_> {
    /// The installation's default tenant, which every single-tenant face serves unless it is
    /// configured otherwise: `configured` if given (it must exist), else the one recorded on
    /// an earlier start (or by the first `company create`), else a new empty tenant named
    /// "Default", recorded so that every node and every restart agrees. The first company
    /// created with `claim_default_tenant` takes it over.
    pub async fn default_tenant(self, configured: Option<TenantId>) -> Result<TenantId> {
        if let Some(id) = configured {
            self.tenant(id)
                .await
                .map_err(|_| DomainError::new(ErrorCode::TenantNotFound).detail(format!("tenant {id} does not exist")))?;
            return Ok(id);
        }
        if let Some(id) = self.recorded_default_tenant().await? {
            return Ok(id);
        }
        let now = self.core.now();
        let (tenant, community) = new_tenant(DEFAULT_TENANT_NAME.into(), now);
        let audit = AuditEvent::new(&Caller::system(tenant.id), "tenant.create", "tenant", Some(tenant.id.to_string()), now)
            .with_details(serde_json::json!({ "name": tenant.name, "default": true }));
        self.core
            .store
            .commit(UnitOfWork::new().write(Write::InsertTenant { tenant: tenant.clone(), community }).audit(audit))
            .await?;
        let winner = self.core.store.put_setting_if_absent(DEFAULT_TENANT_SETTING, &tenant.id.to_string(), now).await?;
        TenantId::parse(&winner)
            .ok_or_else(|| DomainError::internal(format!("setting {DEFAULT_TENANT_SETTING} is not a tenant id")))
    }

    /// The default tenant if one was recorded (reading only: nothing is created).
    pub async fn recorded_default_tenant(self) -> Result<Option<TenantId>> {
        for key in [DEFAULT_TENANT_SETTING, LEGACY_DEFAULT_TENANT_SETTING] {
            if let Some(id) = self.core.store.get_setting(key).await?.and_then(|v| TenantId::parse(&v)) {
                return Ok(Some(id));
            }
        }
        Ok(None)
    }
}
