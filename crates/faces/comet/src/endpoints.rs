//! The Comet Account Portal API, one row per endpoint: path, Token Action, response encoding,
//! parameters (beyond `auth_type` and `token`, which every endpoint takes) and handler. The
//! router, the parameter checks and the OpenAPI document are all generated from this table.

use crate::dispatch::Handler;
use crate::handlers::{cloudview, company, downloads, hosted, licenses, mfa, reports, tokens, users};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Str,
    Bool,
    Number,
    StrArray,
}

#[derive(Debug, Clone, Copy)]
pub struct Param {
    pub name: &'static str,
    pub kind: Kind,
    pub required: bool,
    pub doc: &'static str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// `application/json` in the `ApiResponse` envelope.
    Json,
    /// `text/plain;charset=UTF-8`, no envelope (errors included).
    Text,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deprecation {
    No,
    Yes,
    /// Announced for removal after this month; served only while legacy routes are on.
    RemovedAfter(&'static str),
}

pub struct Endpoint {
    pub name: &'static str,
    pub group: &'static str,
    pub path: &'static str,
    pub action: &'static str,
    pub encoding: Encoding,
    /// The response type as the vendor documents it (also names the OpenAPI schema).
    pub response: &'static str,
    pub summary: &'static str,
    pub deprecated: Deprecation,
    pub params: &'static [Param],
    pub handler: Handler,
}

impl std::fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Endpoint").field("name", &self.name).field("path", &self.path).finish()
    }
}

const fn p(name: &'static str, kind: Kind, required: bool, doc: &'static str) -> Param {
    Param { name, kind, required, doc }
}

use Deprecation::{No, RemovedAfter, Yes};
use Encoding::{Json, Text};
use Kind::{Bool, Number, Str, StrArray};

const FORMAT: Param = p("format", Str, false, "The format of the table: json, csv or xlsx (default json).");
const SERIAL: Param = p("serial", Str, true, "The serial of the license.");
const TARGET_SERIAL: Param = p("target_serial", Str, true, "The serial of the license.");
const HOSTED_ID: Param = p("target_hosted_server_id", Str, true, "The target ID for the hosted server.");
const VERSION_KEY: Param =
    p("version_key", Str, true, "The target version key in the 22.x.x, latest-voyager, or latest-quarterly format.");
const LEGACY_HOSTED_ID: Param =
    p("hosted_server_id", Str, false, "The hosted server. Optional when the account has exactly one instance.");

macro_rules! endpoint {
    ($name:literal, $group:literal, $path:literal, $action:literal, $enc:expr, $resp:literal, $dep:expr, $summary:literal, [$($param:expr),* $(,)?], $handler:path) => {
        Endpoint {
            name: $name,
            group: $group,
            path: $path,
            action: $action,
            encoding: $enc,
            response: $resp,
            summary: $summary,
            deprecated: $dep,
            params: &[$($param),*],
            handler: |ctx| Box::pin($handler(ctx)),
        }
    };
}

#[rustfmt::skip]
pub static ENDPOINTS: &[Endpoint] = &[
    // CloudView
    endpoint!("CloudViewConvertToPaid", "CloudView", "/api/v1/cloudview/convert-to-paid", "CloudView::ConvertToPaid", Json, "string", Yes,
        "Convert the Comet CloudView instance for this account into active/paid mode",
        [], cloudview::convert_to_paid),
    endpoint!("CloudViewConvertToTrial", "CloudView", "/api/v1/cloudview/convert-to-trial", "CloudView::ConvertToTrial", Json, "string", Yes,
        "Convert the Comet CloudView instance for this account into trial mode",
        [], cloudview::convert_to_trial),
    endpoint!("CloudViewGenerateLoginCredentials", "CloudView", "/api/v1/cloudview/generate-login-credentials", "CloudView::GenerateLoginCredentials", Json, "CloudViewLoginCredentials", Yes,
        "Generate the Comet CloudView login credentials for this account",
        [], cloudview::login_credentials),
    endpoint!("CloudViewProvision", "CloudView", "/api/v1/cloudview/provision", "CloudView::InstanceProvision", Json, "string", Yes,
        "Provision a trial-mode Comet Cloudview instance for this account.",
        [], cloudview::provision),
    endpoint!("CloudViewStatus", "CloudView", "/api/v1/cloudview/status", "CloudView::Status", Json, "string", Yes,
        "Get the status of the Comet CloudView instance for this account. Returns DISABLED, PROVISIONING, READY, or FAILED",
        [], cloudview::status),
    endpoint!("CloudViewTerminate", "CloudView", "/api/v1/cloudview/terminate", "CloudView::InstanceTerminate", Json, "string", Yes,
        "Terminate the Comet Cloudview instance for this account (permanent).",
        [], cloudview::terminate),
    // Company
    endpoint!("CompanyDelete", "Company", "/api/v1/company/delete", "Company::Delete", Json, "string", No,
        "Close your Comet Account",
        [
            p("target_force", Bool, false, "Delete the company permanently, with its active services. Without it the account is closed only when no license or hosted instance is active."),
        ],
        company::delete),
    // Download
    endpoint!("DownloadsGet", "Download", "/api/v1/downloads/get", "Download::Get", Text, "null", No,
        "Returns an HTTP 301 redirect for the given Self-Hosted software download",
        [
            VERSION_KEY,
            p("platform", Str, true, "The target platform type: download_windows, download_linux_deb, download_linux_rpm, download_linux_tar, download_linux_arm64_deb, download_linux_arm64_rpm or download_linux_arm64_tar."),
        ],
        downloads::get),
    endpoint!("DownloadsGetMetadata", "Download", "/api/v1/downloads/meta", "Download::GetMetadata", Json, "CometVersion", No,
        "Get download metadata for a given version key",
        [
            VERSION_KEY,
        ],
        downloads::meta),
    endpoint!("DownloadsList", "Download", "/api/v1/downloads/list_downloads", "Download::ListDownloads", Json, "Array<CometVersion>", No,
        "List available Self-Hosted software downloads",
        [
            p("target_search_query", Str, false, "Case-insensitive text to find in the version, codename or short string."),
            p("page", Number, false, "Page number, from 1 (default 1)."),
            p("page_size", Number, false, "Versions per page, 1 to 500 (default 50)."),
        ],
        downloads::list),
    endpoint!("DownloadsList_Legacy", "Download", "/api/v1/downloads/list", "Download::ListDownloads", Text, "any", RemovedAfter("2025-06"),
        "List available Self-Hosted software downloads. (Deprecated. Use DownloadsList)",
        [
            FORMAT,
        ],
        downloads::list_legacy),
    // HostedComet
    endpoint!("HostedCometCreate", "HostedComet", "/api/v1/hosted_comet/create", "HostedComet::Create", Json, "string", No,
        "Create a new Comet-Hosted instance",
        [
            p("target_name", Str, false, "The display name for the target server."),
            p("target_region", Str, true, "The target hosted region (see HostedCometListRegions)."),
            p("target_domain", Str, false, "The subdomain for the target server."),
            p("target_email_send_as", Str, true, "The email address that should be used to send emails on behalf of."),
            p("target_email_from", Str, true, "The name to show in the SMTP From field when sending emails."),
            p("target_storage_type", Str, true, "The storage type to autoconfigure: none, wasabi or backblaze."),
            p("target_storage_bucket_name", Str, false, "The bucket in the storage provider to use. Required if target_storage_type is wasabi or backblaze."),
            p("target_storage_wasabi_access_key", Str, false, "The Wasabi root access key."),
            p("target_storage_wasabi_secret_key", Str, false, "The Wasabi root secret key."),
            p("target_storage_b2_application_key", Str, false, "The Backblaze B2 application key."),
            p("target_storage_b2_application_key_id", Str, false, "The Backblaze B2 application key id."),
        ],
        hosted::create),
    endpoint!("HostedCometDelete", "HostedComet", "/api/v1/hosted_comet/delete", "HostedComet::DeleteInstance", Json, "string", No,
        "Delete a Comet-Hosted instance",
        [
            HOSTED_ID,
        ],
        hosted::delete),
    endpoint!("HostedCometDescribe", "HostedComet", "/api/v1/hosted_comet/describe", "HostedComet::Describe", Json, "HostedCometTenant", No,
        "Retrieve the state for a single Comet-Hosted instance",
        [
            HOSTED_ID,
        ],
        hosted::describe),
    endpoint!("HostedCometList", "HostedComet", "/api/v1/hosted_comet/list", "HostedComet::ListInstances", Json, "Array<HostedCometTenant>", No,
        "List all Comet-Hosted instances in your account",
        [], hosted::list),
    endpoint!("HostedCometListRegions", "HostedComet", "/api/v1/hosted_comet/list_regions", "HostedComet::ListRegions", Json, "Array<HostedCometListRegionsResponse>", No,
        "List available Comet-Hosted regions for your account",
        [], hosted::list_regions),
    endpoint!("HostedCometSetFavourite", "HostedComet", "/api/v1/hosted_comet/set_favourite", "HostedComet::SetFavourite", Json, "null", No,
        "Set the favourited status of a Comet-Hosted instance",
        [
            HOSTED_ID,
            p("target_state", Bool, true, "The target favourited status for the hosted server."),
        ],
        hosted::set_favourite),
    endpoint!("HostedCometSetName", "HostedComet", "/api/v1/hosted_comet/set_name", "HostedComet::SetName", Json, "null", No,
        "Update the name of a Comet-Hosted instance",
        [
            HOSTED_ID,
            p("target_name", Str, true, "The target name for the hosted server."),
        ],
        hosted::set_name),
    endpoint!("HostedCometUpdateBrandingSettings", "HostedComet", "/api/v1/hosted_comet/update_branding", "HostedComet::UpdateBranding", Json, "string", No,
        "Update the DNS and/or email settings for a single Comet-Hosted instance",
        [
            HOSTED_ID,
            p("target_use_custom_domain", Bool, false, "The status of the custom domain (default: false)."),
            p("target_custom_domain", Str, false, "The custom domain, configured to CNAME the hosted comet url."),
            p("target_email_send_as", Str, true, "The email address that should be used to send reports on behalf of."),
            p("target_email_from", Str, true, "The email FROM name to show when sending reports."),
            p("target_email_delivery_method", Str, true, "The type of the email configuration, 'ses' or 'smtp'."),
            p("target_smtp_host", Str, false, "The custom SMTP server hostname."),
            p("target_smtp_port", Number, false, "The custom SMTP server port."),
            p("target_smtp_username", Str, false, "The custom SMTP server username."),
            p("target_smtp_password", Str, false, "The custom SMTP server password."),
            p("target_smtp_security", Str, false, "The custom SMTP server security type, 'tls', 'starttls', or 'plain'."),
            p("target_smtp_accept_invalid_ssl_certificate", Bool, false, "Should we accept invalid SSL certificates from the custom SMTP server?"),
        ],
        hosted::update_branding),
    endpoint!("HostedCometCreate_Legacy", "HostedComet", "/api/v1/cometgo", "HostedComet::Create", Json, "object", RemovedAfter("2025-06"),
        "Create a new CometGo! instance. (Deprecated. Use HostedCometCreate)",
        [
            p("region", Str, false, "The hosted region (default: the company's default region)."),
            p("subdomain", Str, false, "The subdomain for the server."),
            p("server_name", Str, false, "The display name for the server."),
        ],
        hosted::create_legacy),
    endpoint!("HostedCometList_Legacy", "HostedComet", "/api/v1/cometgo/list", "HostedComet::ListInstances", Json, "Array<object>", Yes,
        "List all CometGo! instances in your account. (Deprecated. Use HostedCometList)",
        [], hosted::list_legacy),
    endpoint!("HostedCometStatus_Legacy", "HostedComet", "/api/v1/cometgo/status", "HostedComet::Describe", Json, "object", RemovedAfter("2025-06"),
        "Get the status of a CometGo! instance. (Deprecated. Use HostedCometDescribe)",
        [
            LEGACY_HOSTED_ID,
        ],
        hosted::status_legacy),
    endpoint!("HostedCometTerminate_Legacy", "HostedComet", "/api/v1/cometgo/terminate", "HostedComet::DeleteInstance", Json, "null", RemovedAfter("2025-06"),
        "Terminate a CometGo! instance. (Deprecated. Use HostedCometDelete)",
        [
            LEGACY_HOSTED_ID,
        ],
        hosted::terminate_legacy),
    // License
    endpoint!("LicenseArchiveLicense", "License", "/api/v1/license/archive", "License::ArchiveLicense", Text, "string", No,
        "Archive an existing Self-Hosted license. Archived licenses will be disabled and can not be reused",
        [
            SERIAL,
        ],
        licenses::archive),
    endpoint!("LicenseCreateLicense", "License", "/api/v1/license/create_license", "License::CreateLicense", Json, "ServerLicense", No,
        "Create a new server license",
        [
            p("target_name", Str, false, "Name of the new server license."),
        ],
        licenses::create),
    endpoint!("LicenseListLicenses", "License", "/api/v1/license/list_licenses", "License::ListLicenses", Json, "Array<ServerLicense>", No,
        "List Self-Hosted serial numbers",
        [], licenses::list),
    endpoint!("LicenseRelaxLicense", "License", "/api/v1/license/relax", "License::RelaxLicense", Text, "string", No,
        "Relax the IP address and machine ID restrictions for a Self-Hosted license",
        [
            SERIAL,
        ],
        licenses::relax),
    endpoint!("LicenseResyncAll", "License", "/api/v1/license/resync_all", "License::ResyncAll", Json, "null", No,
        "Force sync to get the latest state from the license server",
        [], licenses::resync_all),
    endpoint!("LicenseSetFavourite", "License", "/api/v1/license/set_favourite", "License::SetFavourite", Json, "null", No,
        "Update the server license favourited status",
        [
            TARGET_SERIAL,
            p("target_state", Bool, true, "The favourited status."),
        ],
        licenses::set_favourite),
    endpoint!("LicenseSetLockState", "License", "/api/v1/license/set_lock_state", "License::SetLockState", Json, "null", No,
        "Update the server license lock state",
        [
            TARGET_SERIAL,
            p("target_lock_state", Bool, true, "true locks (disables) the license."),
        ],
        licenses::set_lock_state),
    endpoint!("LicenseSetName", "License", "/api/v1/license/set_name", "License::SetName", Json, "null", No,
        "Update the server license name",
        [
            TARGET_SERIAL,
            p("target_name", Str, true, "The new name."),
        ],
        licenses::set_name),
    endpoint!("LicenseCreateLicense_Legacy", "License", "/api/v1/license/create", "License::CreateLicense", Text, "string", Yes,
        "Create a new Self-Hosted license. (Deprecated. See LicenseCreateLicense)",
        [
            p("target_name", Str, false, "Name of the new server license."),
        ],
        licenses::create_legacy),
    endpoint!("LicenseListAllLicenses_Legacy", "License", "/api/v1/license/list_all", "License::ListLicenses", Text, "Array<object>", RemovedAfter("2025-06"),
        "List serial numbers for user account. (Deprecated. Use LicenseListLicenses)",
        [], licenses::list_all_legacy),
    // Report
    endpoint!("ReportActiveServices", "Report", "/api/v1/report/active_services", "Report::ListActiveServices", Text, "any", No,
        "Export active services report.",
        [
            FORMAT,
        ],
        reports::active_services),
    endpoint!("ReportBillingHistory", "Report", "/api/v1/report/billing_history", "Report::ListBillingHistory", Text, "any", No,
        "Export usage history report.",
        [
            FORMAT,
        ],
        reports::billing_history),
    // Token
    endpoint!("TokenCreateToken", "Token", "/api/v1/token/create_token", "Token::CreateToken", Json, "CompanyApiToken", No,
        "Create an API token for a company",
        [
            p("permissions", StrArray, true, "List of API token actions (see TokenListActions): repeated permissions=, permissions[]=, or one JSON array."),
        ],
        tokens::create),
    endpoint!("TokenListActions", "Token", "/api/v1/token/list_actions", "Token::ListActions", Json, "Array<string>", No,
        "List available API token actions that can be provided to TokenCreateToken",
        [], tokens::list_actions),
    endpoint!("TokenListTokens", "Token", "/api/v1/token/list_tokens", "Token::ListTokens", Json, "Array<CompanyApiToken>", No,
        "List your API tokens, including revoked tokens",
        [], tokens::list),
    endpoint!("TokenRevokeToken", "Token", "/api/v1/token/revoke_token", "Token::RevokeToken", Json, "null", No,
        "Revoke a given API token. With Authorization: Bearer, the token to revoke is the body's `token`; with body authentication it is `target_token`.",
        [
            p("target_token", Str, false, "The token to revoke, when the request authenticates with the body's token."),
        ],
        tokens::revoke),
    // User
    endpoint!("MfaDisableTotp", "User", "/api/v1/user/mfa/disable", "User::PatchSelf", Json, "string", No,
        "Disable Two-Factor Authentication (Both TOTP and WebAuthn)",
        [], mfa::disable),
    endpoint!("MfaEnableTotp", "User", "/api/v1/user/mfa/enable-totp", "User::PatchSelf", Json, "string", No,
        "Enable Two-Factor Authentication (TOTP)",
        [
            p("totp_secret", Str, true, "The base32 TOTP secret."),
            p("totp_verify_code", Str, true, "A current 6-digit code for the secret."),
        ],
        mfa::enable_totp),
    endpoint!("MfaWebauthnEnable", "User", "/api/v1/user/mfa/webauthn/enable", "User::PatchSelf", Json, "string", No,
        "Enable Two-Factor Authentication (WebAuthn)",
        [
            p("webauthn_challenge_response", Str, true, "The PublicKeyCredential produced from the challenge, as JSON."),
        ],
        mfa::webauthn_enable),
    endpoint!("MfaWebauthnRequestChallenge", "User", "/api/v1/user/mfa/webauthn/request-challenge", "User::PatchSelf", Json, "UserMfaEnableWebauthnChallengeResponse", No,
        "Request a challenge in order to enable WebAuthn 2FA",
        [], mfa::webauthn_challenge),
    endpoint!("UserChangePassword", "User", "/api/v1/user/change-password", "User::PatchSelf", Json, "string", No,
        "Reset user account password",
        [
            p("new_password", Str, true, "The new password (at least 8 characters, one uppercase letter, one lowercase letter and one number)."),
        ],
        users::change_password),
    endpoint!("UserCreateUser", "User", "/api/v1/user/create_user", "User::CreateUser", Json, "User", No,
        "Create a new user account",
        [
            p("target_contact_name", Str, true, "User contact name."),
            p("target_email", Str, true, "User email."),
            p("target_password", Str, true, "User password. Must have at least 8 characters, one uppercase letter, one lowercase letter and one number."),
            p("target_is_billing", Bool, false, "Should the user receive billing emails?"),
            p("target_is_technical", Bool, false, "Should the user receive technical email?"),
            p("send_verification_email", Bool, false, "Should an email verification token be sent?"),
        ],
        users::create),
    endpoint!("UserDeleteUser", "User", "/api/v1/user/delete_user", "User::DeleteUser", Json, "null", No,
        "Delete a single user account",
        [
            p("target_id", Str, true, "Target ID of the user to delete."),
        ],
        users::delete),
    endpoint!("UserGetAccountSettings", "User", "/api/v1/user/account-settings/get", "User::ReadSelf", Json, "AccountSettings", No,
        "Get basic user and company settings for the logged-in account",
        [], users::get_account_settings),
    endpoint!("UserListUsers", "User", "/api/v1/user/list_company_users", "User::PatchUser", Json, "Array<User>", No,
        "List the user accounts in my company",
        [], users::list),
    endpoint!("UserPatchUser", "User", "/api/v1/user/patch_user", "User::PatchUser", Json, "User", No,
        "Update a single user account",
        [
            p("target_id", Str, true, "The target ID for the user."),
            p("target_contact_name", Str, false, "The contact name for the user."),
            p("target_email", Str, false, "The email for the user."),
            p("target_password", Str, false, "The password for the user."),
            p("target_is_billing", Bool, false, "Should the user receive billing emails?"),
            p("target_is_technical", Bool, false, "Should the user receive technical email?"),
        ],
        users::patch),
    endpoint!("UserSetAccountSettings", "User", "/api/v1/user/account-settings/set", "User::PatchSelf", Json, "string", No,
        "Set basic user and company settings for the logged-in account",
        [
            p("user_contact_name", Str, true, ""),
            p("user_email", Str, true, ""),
            p("user_is_2fa_required", Bool, true, ""),
            p("user_notifications_is_technical", Bool, true, ""),
            p("user_notifications_is_billing", Bool, true, ""),
            p("user_notifications_email_weekly_usage", Bool, true, ""),
            p("company_name", Str, true, ""),
            p("company_phone_number", Str, true, ""),
            p("company_address_street", Str, false, ""),
            p("company_address_city", Str, false, ""),
            p("company_address_postcode", Str, false, ""),
            p("company_address_country", Str, true, "ISO 3166-1 alpha-2 country code, e.g. US."),
        ],
        users::set_account_settings),
];

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn fifty_endpoints_with_known_actions() {
        assert_eq!(ENDPOINTS.len(), 50);
        let paths: HashSet<_> = ENDPOINTS.iter().map(|e| e.path).collect();
        assert_eq!(paths.len(), 50);
        let actions: HashSet<_> = ENDPOINTS.iter().map(|e| e.action).collect();
        assert_eq!(actions.len(), 37);
        for e in ENDPOINTS {
            assert!(keyhall_core::comet::actions::is_action(e.action), "{}", e.action);
        }
        assert_eq!(ENDPOINTS.iter().filter(|e| e.encoding == Encoding::Text).count(), 8);
        assert_eq!(ENDPOINTS.iter().filter(|e| e.deprecated != Deprecation::No).count(), 13);
    }
}
