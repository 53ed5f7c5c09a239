//! The one catalogue of error codes. Core raises them; each face maps them onto its vendor's
//! status codes and strings. A code's text is stable: it may appear in logs and tests.

/// What kind of failure a code is: faces map kinds onto their vendor's status codes and
/// override single codes where their vendor differs, so a new code never needs a new line in
/// every face.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The thing asked for does not exist (or is not the caller's to see).
    NotFound,
    /// The request is malformed or breaks a rule of the model.
    Invalid,
    /// No credentials, or credentials that do not prove who the caller is.
    Unauthenticated,
    /// The caller is known but may not do this.
    Forbidden,
    /// The request is valid but collides with the current state (taken, already done, stale).
    Conflict,
    /// Too many attempts or messages: try again later.
    RateLimited,
    /// Something keyhall depends on (mail, SMS gateway) did not answer.
    Unavailable,
    /// A failure of keyhall itself.
    Internal,
}

macro_rules! catalogue {
    ($($variant:ident => $text:literal : $kind:ident),* $(,)?) => {
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

            pub fn kind(self) -> ErrorKind {
                match self {
                    $(ErrorCode::$variant => ErrorKind::$kind),*
                }
            }
        }
    };
}

catalogue! {
    // request shape
    MissingParameter => "request.missing_parameter": Invalid,
    InvalidParameter => "request.invalid_parameter": Invalid,
    AmbiguousParameter => "request.ambiguous_parameter": Invalid,
    // authentication and authorisation
    MissingCredentials => "auth.missing_credentials": Unauthenticated,
    UnsupportedAuthType => "auth.unsupported_auth_type": Invalid,
    InvalidToken => "auth.invalid_token": Unauthenticated,
    PermissionDenied => "auth.permission_denied": Forbidden,
    // tenants
    TenantNotFound => "tenant.not_found": NotFound,
    TenantHasActiveServices => "tenant.has_active_services": Conflict,
    CompanyEmailTaken => "tenant.email_taken": Conflict,
    TenantDomainTaken => "tenant.domain_taken": Conflict,
    CommunityNotFound => "community.not_found": NotFound,
    CommunityNameTaken => "community.name_taken": Conflict,
    AuthModuleNotFound => "auth_module.not_found": NotFound,
    AuthModuleNameTaken => "auth_module.name_taken": Conflict,
    AuthModuleInUse => "auth_module.in_use": Conflict,
    LicenseInvalid => "license.invalid": Unauthenticated,
    ServiceKeyNotFound => "service_key.not_found": NotFound,
    AliasTaken => "alias.taken": Conflict,
    CredentialNotFound => "credential.not_found": NotFound,
    PinExists => "pin.exists": Conflict,
    AccessCodeNotFound => "access_code.not_found": NotFound,
    AccessCodeExpired => "access_code.expired": Invalid,
    ItemNotFound => "item.not_found": NotFound,
    ItemNameTaken => "item.name_taken": Conflict,
    ItemLimitReached => "item.limit_reached": Conflict,
    TokenCounterMoved => "hardware_token.counter_moved": Conflict,
    // users and credentials
    UserNotFound => "user.not_found": NotFound,
    EmailTaken => "user.email_taken": Conflict,
    UsernameTaken => "user.username_taken": Conflict,
    PrimaryContactUndeletable => "user.primary_contact_undeletable": Conflict,
    FirstUserTaken => "user.first_taken": Conflict,
    PasswordRequirements => "password.requirements": Invalid,
    PasswordWeak => "password.weak": Invalid,
    // labels and API keys
    LabelKeyTaken => "label.key_taken": Conflict,
    LabelNotFound => "label.not_found": NotFound,
    LabelPrivate => "label.private": Forbidden,
    ApiKeyNotFound => "api_key.not_found": NotFound,
    DataStorageTitleTaken => "data_storage.title_taken": Conflict,
    // KYC: profiles, phones, documents
    ProfileOpenExists => "profile.open_exists": Conflict,
    ProfileNotEditable => "profile.not_editable": Conflict,
    PhoneInvalidNumber => "phone.invalid_number": Invalid,
    PhoneVerifiedElsewhere => "phone.verified_elsewhere": Conflict,
    PhoneExists => "phone.exists": Conflict,
    PhoneNotFound => "phone.not_found": NotFound,
    PhoneLimitReached => "phone.limit_reached": Conflict,
    PhoneCodeInvalid => "phone.code_invalid": Invalid,
    SmsLimitReached => "phone.sms_limit_reached": RateLimited,
    DocumentLimitReached => "document.limit_reached": Conflict,
    DocumentLimitWillBeReached => "document.limit_will_be_reached": Conflict,
    DocumentNotFound => "document.not_found": NotFound,
    // access restrictions
    WhitelinkInvalid => "restriction.whitelink_invalid": Invalid,
    RestrictionTaken => "restriction.taken": Conflict,
    // sign-in
    InvalidCredentials => "session.invalid_credentials": Unauthenticated,
    AccountLocked => "session.account_locked": RateLimited,
    // API tokens
    TokenNotFound => "token.not_found": NotFound,
    TokenEscalation => "token.permission_escalation": Forbidden,
    TokenUnknownAction => "token.unknown_action": Invalid,
    // multi-factor
    TotpInvalidSecret => "mfa.totp_invalid_secret": Invalid,
    TotpInvalidCode => "mfa.totp_invalid_code": Invalid,
    TotpCodeReused => "mfa.totp_code_reused": Invalid,
    TotpAlreadyEnabled => "mfa.totp_already_enabled": Conflict,
    TotpNotEnabled => "mfa.totp_not_enabled": Conflict,
    WebauthnNoChallenge => "mfa.webauthn_no_challenge": Invalid,
    WebauthnRejected => "mfa.webauthn_rejected": Invalid,
    // sessions
    SessionInvalid => "session.invalid": Unauthenticated,
    SessionMismatch => "session.mismatch": Unauthenticated,
    // configuration documents
    ConfigRevisionStale => "config.stale_revision": Conflict,
    // licenses, hosted instances, downloads, cloudview
    LicenseNotFound => "license.not_found": NotFound,
    LicenseArchived => "license.archived": Conflict,
    HostedInstanceNotFound => "hosted.not_found": NotFound,
    HostedInstanceDeleting => "hosted.deleting": Conflict,
    HostedDomainTaken => "hosted.domain_taken": Conflict,
    VersionNotFound => "download.version_not_found": NotFound,
    PlatformNotFound => "download.platform_not_found": NotFound,
    CloudViewInvalidState => "cloudview.invalid_state": Conflict,
    // infrastructure
    EndpointRemoved => "endpoint.removed": NotFound,
    // more work waiting than keyhall takes on (the password-hash queue is full)
    Busy => "server.busy": Unavailable,
    DirectoryUnavailable => "directory.unavailable": Unavailable,
    // too many requests of one kind from one client address (sign-ups, mailed codes, texts)
    RequestsLimited => "request.rate_limited": RateLimited,
    Internal => "internal": Internal,
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
