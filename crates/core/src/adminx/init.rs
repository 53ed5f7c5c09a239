//! Bootstrapping a 1Kosmos community (`keyhall adminx init`): the tenant's DNS name and tag,
//! the community with its default `db` module, its first administrator, and a `system`
//! license key. With an existing tenant (a Comet company), the community is made inside it
//! and the tenant's users become users of its `db` module.

use keyhall_types::{CommunityId, Secret, TenantId};
use serde_json::json;

use super::members::{MemberProfile, MemberRow, normalise_username};
use super::modules::{AuthModule, ModulePolicy};
use super::{AccessLicense, Adminx, Member, Role, Scope, TenantDomain};
use crate::audit::AuditEvent;
use crate::context::Caller;
use crate::credentials::{Credential, CredentialKind};
use crate::error::{DomainError, ErrorCode, Result};
use crate::identity::registration::{insert_user_unit, make_first};
use crate::identity::users::parse_email;
use crate::ports::{UnitOfWork, Write};
use crate::tenancy::{Community, Tenant};

#[derive(Debug, Clone)]
pub struct InitInput {
    pub dns: String,
    pub community: String,
    pub username: String,
    pub email: String,
    pub password: String,
    pub tenant: Option<TenantId>,
}

#[derive(Debug, Clone)]
pub struct Initialised {
    pub tenant: Tenant,
    pub domain: TenantDomain,
    pub community: Community,
    pub module: AuthModule,
    pub admin: Member,
    pub license_key: Secret<String>,
}

/// A DNS name: labels of letters, digits and hyphens, lower case.
fn check_dns(text: &str) -> Result<String> {
    let dns = text.trim().trim_end_matches('.').to_ascii_lowercase();
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    };
    if dns.is_empty() || dns.len() > 253 || !dns.split('.').all(label_ok) {
        return Err(DomainError::invalid("dns", "must be a DNS name such as login.example.com"));
    }
    Ok(dns)
}

/// A new license key: what the holder sends (encrypted) as `licensekey`.
pub(crate) fn new_license(
    tenant: TenantId,
    community: Option<CommunityId>,
    tag: &str,
    level: &str,
    now: keyhall_types::Timestamp,
) -> (AccessLicense, Secret<String>) {
    let key = uuid::Uuid::new_v4().to_string();
    let license = AccessLicense {
        digest: keyhall_crypto::token::digest(&key),
        tenant_id: tenant,
        community_id: community,
        tag: tag.to_string(),
        auth_level: level.to_string(),
        created_at: now,
    };
    (license, Secret::new(key))
}

impl Adminx<'_> {
    pub async fn init(self, input: InitInput) -> Result<Initialised> {
        let dns = check_dns(&input.dns)?;
        let community_name = crate::tenancy::tenants::validate_name("community", &input.community)?;
        let username = normalise_username(&input.username)?;
        let email = parse_email("email", &input.email)?;
        ModulePolicy::of(&json!({})).check(&username, &input.password)?;
        let now = self.core.now();
        let store = &self.core.store;
        let mut work = UnitOfWork::new();
        // The tenant and where the community goes.
        let (tenant, community, new_tenant) = match input.tenant {
            Some(id) => {
                let tenant = self.core.tenancy().tenant(id).await?;
                if store.community_by_name(id, &community_name).await?.is_some() {
                    return Err(DomainError::new(ErrorCode::CommunityNameTaken).field("community"));
                }
                let default = self.core.tenancy().default_community(id).await?;
                let community = if store.auth_modules(default.id).await?.is_empty() {
                    // The tenant's own community (where its users are) becomes the 1Kosmos one.
                    work = work.write(Write::RenameCommunity { id: default.id, name: community_name.clone() });
                    Community { name: community_name.clone(), ..default }
                } else {
                    let c = Community {
                        id: CommunityId::new(),
                        tenant_id: id,
                        name: community_name.clone(),
                        is_default: false,
                        created_at: now,
                    };
                    work = work.write(Write::InsertCommunity(c.clone()));
                    c
                };
                (tenant, community, false)
            }
            None => {
                let (tenant, mut community) = crate::tenancy::companies::new_tenant(dns.clone(), now);
                community.name = community_name.clone();
                work = work.write(Write::InsertTenant { tenant: tenant.clone(), community: community.clone() });
                (tenant, community, true)
            }
        };
        // Its DNS name and tag (kept when the tenant has them already).
        let domain = match store.tenant_domain(tenant.id).await? {
            Some(d) if d.dns == dns => d,
            Some(d) => {
                return Err(DomainError::new(ErrorCode::TenantDomainTaken)
                    .field("dns")
                    .detail(format!("the tenant is known as {} already", d.dns)));
            }
            None => {
                let tag = dns.split('.').next().unwrap_or_default().to_string();
                let d = TenantDomain { tenant_id: tenant.id, tag, dns: dns.clone(), created_at: now };
                work = work.write(Write::InsertTenantDomain(d.clone()));
                d
            }
        };
        let scope = Scope { tenant: tenant.id, community: community.id };
        let module = self.new_db_module(scope, now);
        work = work.write(Write::InsertAuthModule(module.clone())).write(Write::AdoptCommunityUsers {
            community: community.id,
            module: module.id,
            at: now,
        });
        if !new_tenant && self.core.identity().user_by_email(tenant.id, email.as_str()).await?.is_some() {
            return Err(DomainError::new(ErrorCode::EmailTaken).field("email"));
        }
        let phc = self.core.passwords.hash(&input.password).await?;
        let (license, license_key) = new_license(tenant.id, Some(community.id), "system", "system", now);
        let draft = (work, phc, license);
        let admin = self
            .core
            .identity()
            .first_or_not(tenant.id, true, |first| {
                let (work, phc, license) = draft.clone();
                let (username, email, community) = (username.clone(), email.clone(), community.clone());
                let module_id = module.id;
                async move {
                    let mut user = super::members::new_user(
                        Scope { tenant: tenant.id, community: community.id },
                        email,
                        username.clone(),
                        true,
                        now,
                    );
                    if first {
                        make_first(&mut user);
                    }
                    let row = MemberRow {
                        user_id: user.id,
                        community_id: community.id,
                        module_id,
                        username,
                        role: Role::TenantAdmin,
                        profile: MemberProfile { email1_verified: true, ..Default::default() },
                        locked_until: None,
                        created_at: now,
                        updated_at: now,
                    };
                    let password = Credential::new(user.id, CredentialKind::Password, phc, String::new(), now);
                    let then =
                        vec![Write::PutMember(row.clone()), Write::InsertCredential(password), Write::InsertLicense(license)];
                    let mut work = work;
                    work.writes.extend(insert_user_unit(&user, first, then, now).writes);
                    let operator = Caller::operator(tenant.id).in_community(community.id, "");
                    let work = work.audit(
                        AuditEvent::new(&operator, "E_COMMUNITY_INITIALISED", "community", Some(community.id.to_string()), now)
                            .with_details(json!({ "community": community.name, "admin": user.id.to_string() })),
                    );
                    self.core
                        .store
                        .commit(work)
                        .await
                        .map_err(|e| if e.is(ErrorCode::UsernameTaken) { e.field("username") } else { e })?;
                    Ok(Member::of(user, row))
                }
            })
            .await?;
        Ok(Initialised { tenant, domain, community, module, admin, license_key })
    }

    /// A tenant by its DNS name.
    pub async fn tenant_by_dns(self, dns: &str) -> Result<Option<TenantDomain>> {
        self.core.store.tenant_domain_by_dns(&dns.trim().to_ascii_lowercase()).await
    }

    pub async fn tenant_domain(self, tenant: TenantId) -> Result<Option<TenantDomain>> {
        self.core.store.tenant_domain(tenant).await
    }

    /// A community of a tenant by name.
    pub async fn community_by_name(self, tenant: TenantId, name: &str) -> Result<Option<Community>> {
        self.core.store.community_by_name(tenant, name.trim()).await
    }

    /// The community `community` of `tenant`, from the ids a call names: `community.not_found`
    /// unless both are right and the community has auth modules (is a 1Kosmos community).
    pub async fn scope(self, tenant: &str, community: &str) -> Result<Scope> {
        let not_found = || DomainError::new(ErrorCode::CommunityNotFound);
        let tenant = TenantId::parse(tenant.trim()).ok_or_else(not_found)?;
        let community = CommunityId::parse(community.trim()).ok_or_else(not_found)?;
        match self.core.store.community(community).await? {
            Some(c) if c.tenant_id == tenant && !self.cached_modules(community).await?.is_empty() => {
                Ok(Scope { tenant, community })
            }
            _ => Err(not_found()),
        }
    }

    pub async fn community(self, scope: Scope) -> Result<Community> {
        self.core.store.community(scope.community).await?.ok_or_else(|| DomainError::new(ErrorCode::CommunityNotFound))
    }
}
