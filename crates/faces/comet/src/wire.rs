//! The vendor's response types, field for field, and their construction from core values.

use keyhall_core::Core;
use keyhall_core::auth::api_tokens::ApiToken;
use keyhall_core::comet::account::AccountSettings as CoreAccountSettings;
use keyhall_core::comet::downloads::{CometVersion as CoreVersion, DownloadCatalogue};
use keyhall_core::comet::hosted::HostedInstance;
use keyhall_core::comet::licenses::License;
use keyhall_core::comet::regions;
use keyhall_core::identity::users::User as CoreUser;
use keyhall_types::rfc3339;
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct Region {
    pub name: String,
    pub code: String,
    pub default_hosted_region: String,
    pub default_cspbw_region: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ServerLicense {
    pub name: String,
    pub serial_number: String,
    pub created_at: String,
    pub num_clients_online: i64,
    pub num_boosters_online: i64,
    pub server_version: String,
    pub is_archived: bool,
    /// COMET_VERSION_*: 1 current, 2 behind major, 3 behind minor, 4 behind patch; null if unknown.
    pub is_outdated: Option<u8>,
    pub enabled: bool,
    pub comment: String,
    pub allowed_ip_address: String,
    pub allowed_machine_id: String,
    pub favourited: bool,
    pub region: Option<Region>,
}

impl ServerLicense {
    pub fn from_core(l: &License, catalogue: &DownloadCatalogue) -> Self {
        Self {
            is_outdated: catalogue.outdated(&l.server_version).map(|o| o as u8),
            region: l.region_code.as_deref().and_then(regions::by_code).map(|r| Region {
                name: r.name.into(),
                code: r.code.into(),
                default_hosted_region: r.default_hosted_region.into(),
                default_cspbw_region: r.default_cspbw_region.into(),
            }),
            name: l.name.clone(),
            serial_number: l.serial.clone(),
            created_at: rfc3339(l.created_at),
            num_clients_online: l.num_clients_online,
            num_boosters_online: l.num_boosters_online,
            server_version: l.server_version.clone(),
            is_archived: l.is_archived,
            enabled: l.enabled,
            comment: l.comment.clone(),
            allowed_ip_address: l.allowed_ip_address.clone(),
            allowed_machine_id: l.allowed_machine_id.clone(),
            favourited: l.favourited,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CompanyApiToken {
    /// The full token only in the TokenCreateToken response; masked everywhere else.
    pub api_token: String,
    pub created_at: String,
    pub updated_at: String,
    pub revoked_at: Option<String>,
    pub last_used_at: Option<String>,
    /// The token's actions, comma-separated.
    pub permissions: String,
}

impl CompanyApiToken {
    pub fn from_core(t: &ApiToken, secret: Option<&str>) -> Self {
        Self {
            api_token: secret.map(str::to_string).unwrap_or_else(|| format!("{}{}", t.visible_prefix, "*".repeat(24))),
            created_at: rfc3339(t.created_at),
            updated_at: rfc3339(t.updated_at),
            revoked_at: t.revoked_at.map(rfc3339),
            last_used_at: t.last_used_at.map(rfc3339),
            permissions: t.permissions.join(","),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct User {
    pub id: String,
    pub contact_name: String,
    pub email: String,
    pub created_at: String,
    pub is_primary_contact: bool,
    pub is_technical: bool,
    pub is_billing: bool,
    pub is_webpros: bool,
    pub email_verified: bool,
    pub twofa_required: bool,
}

impl From<CoreUser> for User {
    fn from(u: CoreUser) -> Self {
        Self {
            id: u.id.to_string(),
            contact_name: u.contact_name,
            email: u.email.to_string(),
            created_at: rfc3339(u.created_at),
            is_primary_contact: u.flags.is_primary_contact,
            is_technical: u.flags.is_technical,
            is_billing: u.flags.is_billing,
            is_webpros: false,
            email_verified: u.flags.email_verified,
            twofa_required: u.flags.twofa_required,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HostedCometListRegionsResponse {
    pub id: String,
    pub description: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HostedCometTenant {
    pub id: String,
    pub pending_delete: bool,
    pub pending_delete_failed: bool,
    pub admin_username: String,
    pub admin_password: String,
    pub send_as_display_name: String,
    pub send_as_email_address: String,
    pub send_as_email_verified: bool,
    pub send_as_dmarc_verified: bool,
    pub server_name: String,
    pub user_dns: String,
    pub created_at: String,
    /// Empty until the instance is deleted.
    pub date_deleted: String,
    pub use_custom_dns: bool,
    pub user_custom_dns: String,
    pub smtp_mode: String,
    pub smtp_host: String,
    pub smtp_port: i64,
    pub smtp_username: String,
    pub smtp_password: String,
    pub smtp_security: String,
    pub smtp_accept_invalid_certificate: bool,
    pub favourited: bool,
    pub num_devices_online: i64,
    pub num_boosters_online: i64,
    /// HOSTED_COMET_REGION_*.
    pub region: String,
    pub version: String,
}

impl HostedCometTenant {
    pub fn from_core(core: &Core, h: HostedInstance) -> Result<Self, keyhall_core::DomainError> {
        Ok(Self {
            admin_password: core.comet().hosted_admin_password(&h)?,
            smtp_password: core.comet().hosted_smtp_password(&h)?,
            pending_delete: h.pending_delete(),
            id: h.id.to_string(),
            pending_delete_failed: h.pending_delete_failed,
            admin_username: h.admin_username,
            send_as_display_name: h.send_as_display_name,
            send_as_email_address: h.send_as_email_address,
            send_as_email_verified: h.send_as_email_verified,
            send_as_dmarc_verified: h.send_as_dmarc_verified,
            server_name: h.server_name,
            user_dns: h.user_dns,
            created_at: rfc3339(h.created_at),
            date_deleted: h.date_deleted.map(rfc3339).unwrap_or_default(),
            use_custom_dns: h.use_custom_dns,
            user_custom_dns: h.user_custom_dns,
            smtp_mode: h.smtp_mode,
            smtp_host: h.smtp_host,
            smtp_port: h.smtp_port,
            smtp_username: h.smtp_username,
            smtp_security: h.smtp_security,
            smtp_accept_invalid_certificate: h.smtp_accept_invalid_certificate,
            favourited: h.favourited,
            num_devices_online: h.num_devices_online,
            num_boosters_online: h.num_boosters_online,
            region: h.region,
            version: h.version,
        })
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Platform {
    pub platform_id: String,
    pub platform_name: String,
    pub platform_icon: String,
    pub filesize_bytes: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CometVersion {
    pub version: String,
    pub shortstring: String,
    pub codename: String,
    pub platforms: Vec<Platform>,
    pub release_notes_url: String,
    pub release_date: String,
    pub is_prerelease: bool,
}

impl From<&CoreVersion> for CometVersion {
    fn from(v: &CoreVersion) -> Self {
        Self {
            version: v.version.clone(),
            shortstring: v.shortstring.clone(),
            codename: v.codename.clone(),
            platforms: v
                .platforms
                .iter()
                .map(|p| Platform {
                    platform_id: p.platform_id.clone(),
                    platform_name: p.platform_name.clone(),
                    platform_icon: p.platform_icon.clone(),
                    filesize_bytes: p.filesize_bytes,
                })
                .collect(),
            release_notes_url: v.release_notes_url.clone(),
            release_date: v.release_date.clone(),
            is_prerelease: v.is_prerelease,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CloudViewLoginCredentials {
    pub status: String,
    pub login_url: String,
    pub login_postdata: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UserMfaEnableWebauthnChallengeResponse {
    /// The WebAuthn challenge (PublicKeyCredentialCreationOptions) encoded in JSON format.
    pub webauthn_challenge: String,
}

/// The response of UserGetAccountSettings: the mirror of UserSetAccountSettings' parameters.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccountSettings {
    pub user_contact_name: String,
    pub user_email: String,
    pub user_is_2fa_required: bool,
    pub user_notifications_is_technical: bool,
    pub user_notifications_is_billing: bool,
    pub user_notifications_email_weekly_usage: bool,
    pub company_name: String,
    pub company_phone_number: String,
    pub company_address_street: String,
    pub company_address_city: String,
    pub company_address_postcode: String,
    pub company_address_country: String,
}

impl From<CoreAccountSettings> for AccountSettings {
    fn from(s: CoreAccountSettings) -> Self {
        Self {
            user_contact_name: s.user_contact_name,
            user_email: s.user_email,
            user_is_2fa_required: s.user_is_2fa_required,
            user_notifications_is_technical: s.user_notifications_is_technical,
            user_notifications_is_billing: s.user_notifications_is_billing,
            user_notifications_email_weekly_usage: s.user_notifications_email_weekly_usage,
            company_name: s.company_name,
            company_phone_number: s.company_phone_number,
            company_address_street: s.company_address_street,
            company_address_city: s.company_address_city,
            company_address_postcode: s.company_address_postcode,
            company_address_country: s.company_address_country,
        }
    }
}
