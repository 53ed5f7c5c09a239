//! The one catalogue of error codes. Core raises them; each face maps them onto its vendor's
//! status codes and strings. A code's text is stable: it may appear in logs and tests.

macro_rules! catalogue {
    ($($variant:ident => $text:literal),* $(,)?) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum ErrorCode {
            $($variant),*
        }

        impl ErrorCode {
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant),*];

            pub fn as_str(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => $text),*
                }
            }
        }
    };
}

catalogue! {
    // request shape
    MissingParameter => "request.missing_parameter",
    InvalidParameter => "request.invalid_parameter",
    AmbiguousParameter => "request.ambiguous_parameter",
    // authentication and authorisation
    MissingCredentials => "auth.missing_credentials",
    UnsupportedAuthType => "auth.unsupported_auth_type",
    InvalidToken => "auth.invalid_token",
    PermissionDenied => "auth.permission_denied",
    // tenants
    TenantNotFound => "tenant.not_found",
    TenantHasActiveServices => "tenant.has_active_services",
    // users and credentials
    UserNotFound => "user.not_found",
    EmailTaken => "user.email_taken",
    UsernameTaken => "user.username_taken",
    PrimaryContactUndeletable => "user.primary_contact_undeletable",
    PasswordRequirements => "password.requirements",
    PasswordWeak => "password.weak",
    // labels and API keys
    LabelKeyTaken => "label.key_taken",
    LabelNotFound => "label.not_found",
    LabelPrivate => "label.private",
    ApiKeyNotFound => "api_key.not_found",
    DataStorageTitleTaken => "data_storage.title_taken",
    // KYC: profiles, phones, documents
    ProfileOpenExists => "profile.open_exists",
    ProfileNotEditable => "profile.not_editable",
    PhoneInvalidNumber => "phone.invalid_number",
    PhoneVerifiedElsewhere => "phone.verified_elsewhere",
    PhoneExists => "phone.exists",
    PhoneNotFound => "phone.not_found",
    PhoneCodeInvalid => "phone.code_invalid",
    SmsNotSent => "phone.sms_not_sent",
    SmsLimitReached => "phone.sms_limit_reached",
    DocumentLimitReached => "document.limit_reached",
    DocumentLimitWillBeReached => "document.limit_will_be_reached",
    DocumentNotFound => "document.not_found",
    // access restrictions
    WhitelinkInvalid => "restriction.whitelink_invalid",
    RestrictionTaken => "restriction.taken",
    // sign-in
    InvalidCredentials => "session.invalid_credentials",
    AccountLocked => "session.account_locked",
    // API tokens
    TokenNotFound => "token.not_found",
    TokenEscalation => "token.permission_escalation",
    TokenUnknownAction => "token.unknown_action",
    // multi-factor
    TotpInvalidSecret => "mfa.totp_invalid_secret",
    TotpInvalidCode => "mfa.totp_invalid_code",
    TotpCodeReused => "mfa.totp_code_reused",
    TotpAlreadyEnabled => "mfa.totp_already_enabled",
    TotpNotEnabled => "mfa.totp_not_enabled",
    WebauthnNoChallenge => "mfa.webauthn_no_challenge",
    WebauthnRejected => "mfa.webauthn_rejected",
    // sessions
    SessionInvalid => "session.invalid",
    SessionMismatch => "session.mismatch",
    // licenses, hosted instances, downloads, cloudview
    LicenseNotFound => "license.not_found",
    LicenseArchived => "license.archived",
    HostedInstanceNotFound => "hosted.not_found",
    HostedInstanceDeleting => "hosted.deleting",
    HostedDomainTaken => "hosted.domain_taken",
    VersionNotFound => "download.version_not_found",
    PlatformNotFound => "download.platform_not_found",
    CloudViewInvalidState => "cloudview.invalid_state",
    // infrastructure
    EndpointRemoved => "endpoint.removed",
    Internal => "internal",
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    #[test]
    fn codes_are_unique() {
        let texts: HashSet<_> = super::ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(texts.len(), super::ErrorCode::ALL.len());
    }
}
