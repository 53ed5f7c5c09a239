//! The face's OpenAPI 3.1 document: every operation keyhall serves, with its request fields
//! as they are once decrypted, and the envelope described once (`components`).

use serde_json::{Map, Value, json};

/// Who may call, and with what.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// No envelope (the platform's public calls).
    Open,
    /// The envelope, nobody signed in.
    Envelope,
    /// The envelope and a JWT.
    Jwt,
    /// The envelope and an encrypted `licensekey`.
    License,
    /// The envelope, a JWT and a `licensekey`.
    JwtLicense,
}

/// What a success looks like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// `{"data": ENC(JSON), "publicKey"}`.
    Encrypted,
    /// Plain JSON.
    Plain,
    /// 204 without a body.
    NoContent,
    /// A file (`application/octet-stream`).
    File,
}

pub struct Operation {
    pub method: &'static str,
    pub path: &'static str,
    pub tag: &'static str,
    pub summary: &'static str,
    pub access: Access,
    pub answer: Answer,
    /// Required request fields (once decrypted); `path`/`query` parameters come from the path.
    pub required: &'static [&'static str],
    pub optional: &'static [&'static str],
}

macro_rules! ops {
    ($($method:literal $path:literal $tag:literal $access:ident $answer:ident [$($req:literal),*] [$($opt:literal),*] $summary:literal;)*) => {
        pub const OPERATIONS: &[Operation] = &[$(Operation {
            method: $method, path: $path, tag: $tag, summary: $summary, access: Access::$access, answer: Answer::$answer,
            required: &[$($req),*], optional: &[$($opt),*],
        }),*];
    };
}

ops! {
    "get" "/publickeys" "Public Key" Open Plain [] [] "The server's envelope public key (base64 of X||Y)";
    "get" "/healthz" "Healthz" Open Plain [] [] "Service health";
    "get" "/platform_health" "Healthz" Open Plain [] [] "Platform health (as /healthz)";
    "get" "/environment" "Environment" Open Plain [] [] "allowed_time_span, EC_CURVE_NAME, sessionMaxAgeMinute";
    "patch" "/environment" "Environment" Jwt Encrypted [] ["sessionMaxAgeMinute", "sessionMaxAgeMinutes"] "Set the community's session length (administrators)";
    "get" "/sd" "Service Directory" Open Plain [] [] "Service name to base URL";
    "post" "/ecdsa_helper/{method}" "ECDSA Helper" Open Plain ["dataStr", "publicKey", "privateKey"] [] "Encrypt or decrypt a string with a key pair (ECDH + AES-GCM)";
    "post" "/verifyuser" "Authenticate" Envelope Plain ["tenantId", "communityId", "username"] ["password", "otp"] "Sign in: password, then the code when the MFA settings ask for one";
    "post" "/authenticate" "Authenticate" Envelope Plain ["tenantId", "communityId", "user_token", "passcode"] [] "Second step: the user_token of the password step and a code";
    "put" "/authenticate/otp" "Authenticate" Envelope Encrypted ["tenantId", "communityId", "user_token", "deliveryMethod"] ["destination", "isResetPassword"] "Send a one-time code to the user";
    "put" "/generate/otp" "Authenticate" Envelope Encrypted ["tenantId", "communityId", "user_token", "deliveryMethod"] ["destination", "isResetPassword"] "Send a one-time code to the user (as /authenticate/otp)";
    "get" "/logout" "Authenticate" Jwt NoContent [] [] "End the caller's login session";
    "post" "/jwt/verifyToken" "JWT" Envelope Encrypted ["token"] [] "Verify a JWT whose login session lives; answers its claims";
    "delete" "/loginsessions/admin/user/all" "Login sessions" Jwt NoContent ["username"] ["moduleId"] "End all sessions of a user (administrators)";
    "delete" "/loginsessions/user/other" "Login sessions" Jwt NoContent [] ["username", "moduleId"] "End the caller's other sessions";
    "post" "/community_auth_info/fetch" "Community Auth Info" Envelope Plain ["dns", "communityName"] [] "The login page's bootstrap";
    "post" "/pwd-policy/fetch" "Password Policy" License Encrypted ["tenantId", "communityId", "moduleId"] [] "A module's password policy";
    "get" "/config/authentication/mfa_settings" "Login Settings" Jwt Encrypted [] [] "The MFA settings (administrators)";
    "put" "/config/authentication/mfa_settings" "Login Settings" Jwt Encrypted ["tenantId", "communityId", "show_otp_email", "show_otp_phone", "show_otp_voice", "show_otp_hardware"] ["otp_prompt_text", "accountLockEnabled", "otpMaxAttempts", "lockDurationMinutes", "onespan_domain", "onespan_url", "self_enroll_phone_allowed", "sync_window_for_first_usage"] "Set the MFA settings (administrators)";
    "get" "/config/authentication/fido_settings" "Login Settings" Jwt Encrypted [] [] "The FIDO switches (administrators)";
    "put" "/config/authentication/fido_settings" "Login Settings" Jwt Encrypted ["tenantId", "communityId", "fido_disabled", "fido_platform_authenticator_disabled", "fido_security_key_disabled"] [] "Set the FIDO switches (administrators)";
    "get" "/config/authentication/first_time_enrollment_settings" "Login Settings" Jwt Encrypted [] [] "First-time enrollment settings (administrators)";
    "put" "/config/authentication/first_time_enrollment_settings" "Login Settings" Jwt Encrypted ["tenantId", "communityId"] ["first_time_login_enrollment", "allowed_factors"] "Set first-time enrollment settings (administrators)";
    "get" "/config/authentication/liveid_selfie_settings" "Login Settings" Jwt Encrypted [] [] "LiveID selfie settings (administrators)";
    "put" "/config/authentication/liveid_selfie_settings" "Login Settings" Jwt Encrypted ["tenantId", "communityId", "liveid_selfie_enabled"] [] "Set LiveID selfie settings (administrators)";
    "get" "/config/authentication/orion_settings" "Login Settings" Jwt Encrypted [] [] "Orion authenticator settings (administrators)";
    "put" "/config/authentication/orion_settings" "Login Settings" Jwt Encrypted ["tenantId", "communityId", "orion_authenticator_enabled"] ["orion_authenticator_wait_time_ms"] "Set Orion authenticator settings (administrators)";
    "get" "/config/authentication/password_reset" "Login Settings" Jwt Encrypted [] [] "Password-reset settings, secrets left out (administrators)";
    "put" "/config/authentication/password_reset" "Login Settings" Jwt Encrypted ["tenantId", "communityId", "default_input_method"] ["adminx_via_email_enabled", "adminx_require_otp", "mobile_enabled", "sspr"] "Set password-reset settings: which channels a reset may use (administrators)";
    "get" "/config/authentication/pwdless_settings/{dns}/{communityName}" "Login Settings" Jwt Encrypted [] [] "Passwordless settings of a community named by DNS and name (its members read their own)";
    "put" "/config/authentication/pwdless_settings" "Login Settings" Jwt Encrypted ["tenantId", "communityId", "primaryMethod", "selfOnBoard", "selfOnBoardFromUserProfile", "accountsPerPerson", "personsPerAccount", "personLimitRule", "passwordless_disabled", "qr_disabled", "push_disabled", "dns", "communityName"] ["secondaryMethod", "push_number_challenge_enabled", "defaultMethods"] "Set passwordless settings (administrators)";
    "get" "/config/authentication/windows_mfa_settings" "Login Settings" Jwt Encrypted [] [] "Windows MFA settings (administrators)";
    "put" "/config/authentication/windows_mfa_settings" "Login Settings" Jwt Encrypted ["allowed_enrollments"] ["enableFallbackAuth", "maxAuthAttemptsBeforeFallback"] "Set Windows MFA settings of the caller's community (administrators)";
    "post" "/branding/fetch" "Branding" Envelope Encrypted [] ["tenantId", "communityId"] "The login page's branding (public; a signed-in caller may leave the community out)";
    "put" "/branding" "Branding" Jwt Encrypted ["tenantId", "communityId", "bg_color_left_panel", "bg_color_right_panel", "heading_text_color", "primary_button_color", "active_tab_text_color", "links_color", "community_logo_img", "bg_img_left_panel"] ["qr_code_corner_squares_color", "qr_code_dots_color", "qr_code_logo", "default_login_method", "username_label", "helpDeskButtonEnabled", "helpDeskButtonData", "disclaimer_message", "heading_label", "bg_img_fullscreen_enabled", "app_download_override", "username_hidden_on_desktop", "copyright_message_disabled"] "Set the login page's branding (administrators)";
    "post" "/config/idp_config/fetch" "IDP Config" Jwt Encrypted ["tenantId", "communityId"] [] "The community's SAML IdP settings, private keys left out (administrators)";
    "put" "/config/idp_config" "IDP Config" Jwt Encrypted ["tenantId", "communityId", "signingCert", "signingKey", "encryptionCert", "encryptionKey", "entityId", "authnRequestsSigned", "sso_bindings", "slo_bindings"] ["identifier"] "Set the community's SAML IdP settings; private keys are sealed (administrators)";
    "post" "/config/fetch" "Caas Config" Jwt Encrypted ["tenantId", "communityId", "key_paths"] [] "Values of the community's configuration documents by key path (administrators)";
    "post" "/authenticationJourney/fetch" "Authentication Journey" Jwt Encrypted [] ["tenantId", "communityId", "ids"] "The community's journeys, those ids names when any (administrators)";
    "put" "/authenticationJourney" "Authentication Journey" Jwt Encrypted ["journeyName", "decision"] ["tenantId", "communityId", "enabled", "groups", "deviceId", "application", "username", "ip", "domain"] "Add a journey; journeyName is unique in the community (administrators)";
    "patch" "/authenticationJourney/{id}" "Authentication Journey" Jwt Encrypted [] ["tenantId", "communityId", "journeyName", "enabled", "groups", "deviceId", "application", "username", "ip", "domain", "decision"] "Change the fields given of a journey (administrators)";
    "delete" "/authenticationJourney/{id}" "Authentication Journey" Jwt NoContent [] ["tenantId", "communityId"] "Remove a journey (administrators)";
    "post" "/v2/authenticationJourney/fetch" "Authentication Journey V2" Jwt Encrypted [] ["tenantId", "communityId", "ids", "requestingAppId", "category"] "The community's v2 journeys, by ids, requesting application and category (administrators)";
    "put" "/v2/authenticationJourney" "Authentication Journey V2" Jwt Encrypted ["name", "category", "decision"] ["tenantId", "communityId", "enabled", "groups", "requestingAppId", "usernames"] "Add a v2 journey; name is unique in the community (administrators)";
    "patch" "/v2/authenticationJourney/{id}" "Authentication Journey V2" Jwt Encrypted [] ["tenantId", "communityId", "name", "enabled", "category", "groups", "requestingAppId", "usernames", "decision"] "Change the fields given of a v2 journey (administrators)";
    "delete" "/v2/authenticationJourney/{id}" "Authentication Journey V2" Jwt NoContent [] ["tenantId", "communityId"] "Remove a v2 journey (administrators)";
    "post" "/radius/fetch" "Radius" Jwt Encrypted ["tenantId", "communityId"] ["ids"] "The community's RADIUS configurations, those ids (or uids) names when any (administrators)";
    "put" "/radius/config/{uid}" "Radius" Jwt Encrypted ["name", "authScheme", "pushKeyword"] ["tenantId", "communityId", "ivrKeyword", "ivrLine"] "Create or replace the RADIUS configuration uid names (administrators)";
    "delete" "/radius/config/{uid}" "Radius" Jwt Encrypted [] [] "Remove a RADIUS configuration; answers it (administrators)";
    "post" "/authproxy/fetch" "Auth Proxy" Jwt Encrypted ["tenantId", "communityId"] ["ids"] "The community's auth-proxy configurations (administrators)";
    "put" "/authproxy/config/{id}" "Auth Proxy" Jwt Encrypted ["name", "authScheme", "pushKeyword"] ["tenantId", "communityId", "ivrKeyword", "isDefaultAuthMethodEnable", "defaultAuthMethod"] "Create or replace the auth-proxy configuration its id (the uid) names (administrators)";
    "delete" "/authproxy/config/{id}" "Auth Proxy" Jwt NoContent [] [] "Remove an auth-proxy configuration (administrators)";
    "post" "/idp/fetch" "Identity Providers" Jwt Encrypted [] ["tenantId", "communityId", "id", "type"] "keyhall's identity-provider settings per protocol; the default (oidc) one is made for a community that has none (administrators)";
    "put" "/idp" "Identity Providers" Jwt Encrypted ["type"] ["tenantId", "communityId", "name", "enabled", "issuer", "signingAlg", "accessTokenLifetime", "idTokenLifetime", "refreshTokenLifetime", "sessionLifetime", "scopes"] "Add the settings of a protocol (oidc, saml, wsfed); one per type per community (administrators)";
    "patch" "/idp/{id}" "Identity Providers" Jwt Encrypted [] ["tenantId", "communityId", "type", "name", "enabled", "issuer", "signingAlg", "accessTokenLifetime", "idTokenLifetime", "refreshTokenLifetime", "sessionLifetime", "scopes"] "Change the fields given of an identity provider (administrators)";
    "delete" "/idp/{id}" "Identity Providers" Jwt NoContent [] ["tenantId", "communityId"] "Remove an identity provider (administrators)";
    "post" "/external_idp/fetch" "External Idp" Jwt Encrypted [] ["tenantId", "communityId", "ids"] "The community's external IdPs, client secrets left out (administrators)";
    "put" "/external_idp" "External Idp" Jwt Encrypted ["name", "type"] ["tenantId", "communityId", "enabled", "logo", "clientId", "clientSecret", "issuer", "discoveryUrl", "authorizationUrl", "tokenUrl", "userInfoUrl", "scopes", "entityId", "ssoUrl", "signingCert", "attributeMapping", "jitProvisioning"] "Add an external IdP (OpenID Connect or SAML); name unique in the community (administrators)";
    "patch" "/external_idp/{id}" "External Idp" Jwt Encrypted [] ["tenantId", "communityId", "name", "type", "enabled", "logo", "clientId", "clientSecret", "issuer", "discoveryUrl", "authorizationUrl", "tokenUrl", "userInfoUrl", "scopes", "entityId", "ssoUrl", "signingCert", "attributeMapping", "jitProvisioning"] "Change the fields given of an external IdP (administrators)";
    "delete" "/external_idp/{id}" "External Idp" Jwt NoContent [] ["tenantId", "communityId"] "Remove an external IdP (administrators)";
    "post" "/msg_gateway/create" "MSG Gateway" Jwt Encrypted ["tenantId", "communityId", "type", "username", "password", "serviceUrl"] ["channels", "protocol", "auth", "name", "senderEmail", "senderPhone", "port", "active", "otpDelimiter", "timeoutValue", "smstemplateid", "entityId", "authTokenRequestUrl", "authClientId", "authClientSecret", "authGrantType", "authScope", "principalEntityId", "dltTemplateId", "awsRegion", "appCategory", "gstFlag", "msgType"] "Add a message gateway; an active SMTP one carries the community's mail (administrators)";
    "post" "/msg_gateway/fetch" "MSG Gateway" Jwt Encrypted [] ["tenantId", "communityId", "ids"] "The community's message gateways, secrets left out (administrators)";
    "post" "/msg_gateway/fetch/{id}" "MSG Gateway" Jwt Encrypted [] ["tenantId", "communityId"] "One message gateway, in an array (administrators)";
    "post" "/msg_gateway/update" "MSG Gateway" Jwt Encrypted ["id", "tenantId", "communityId"] ["type", "channels", "protocol", "auth", "name", "username", "password", "serviceUrl", "senderEmail", "senderPhone", "port", "active", "otpDelimiter", "timeoutValue", "smstemplateid", "entityId", "authTokenRequestUrl", "authClientId", "authClientSecret", "authGrantType", "authScope", "principalEntityId", "dltTemplateId", "awsRegion", "appCategory", "gstFlag", "msgType"] "Change the fields given of a message gateway (administrators)";
    "delete" "/msg_gateway" "MSG Gateway" Jwt NoContent ["tenantId", "communityId", "gatewayId"] [] "Remove a message gateway (administrators)";
    "post" "/secret-store/create" "Secret Store" Jwt Plain ["tenantId", "communityId", "tag", "value"] [] "Keep a secret (sealed; never read back); 201 with its metadata, 409 for a tag in use (administrators)";
    "post" "/secret-store/fetch" "Secret Store" Jwt Plain ["tenantId", "communityId"] [] "The community's secrets, metadata only (administrators)";
    "post" "/secret-store/delete" "Secret Store" Jwt Plain ["tenantId", "communityId", "tag"] [] "Remove a secret by tag (administrators)";
    "post" "/certificate/generate" "Certificate" Jwt Encrypted ["keySize", "algorithm", "expirationDays"] [] "A self-signed certificate and RSA key (2048, 3072 or 4096 bits; sha256, sha384 or sha512) with its fingerprints (administrators)";
    "post" "/serviceprovider/fetch" "Service Providers" Jwt Encrypted [] ["tenantId", "communityId", "ids"] "The community's service providers, client secrets left out (administrators)";
    "get" "/serviceprovider/idp-initiated" "Service Providers" Jwt Encrypted [] [] "The SAML applications a signed-in user may open from the portal (anyone signed in)";
    "get" "/serviceprovider/{id}" "Service Providers" Jwt Encrypted [] [] "One service provider (administrators)";
    "put" "/serviceprovider" "Service Providers" Jwt Encrypted ["name", "type"] ["tenantId", "communityId", "environment", "logo", "forceReauthentication", "hideBanner", "hideMobileLinks", "mobileAppLabel", "saml_config", "oidc_config"] "Add a SAML or OpenID Connect service provider; an OIDC one gets client credentials, its secret answered this once (administrators)";
    "patch" "/serviceprovider/{id}" "Service Providers" Jwt Encrypted [] ["tenantId", "communityId", "name", "type", "environment", "logo", "forceReauthentication", "hideBanner", "hideMobileLinks", "mobileAppLabel", "saml_config", "oidc_config"] "Change the fields given of a service provider (administrators)";
    "delete" "/serviceprovider/{id}" "Service Providers" Jwt NoContent [] ["tenantId", "communityId"] "Remove a service provider (administrators)";
    "post" "/hardwaretokens/fetch" "Hardware tokens" Jwt Encrypted [] ["pSize", "pIndex", "query", "returnAssignedUserCount", "returnActivityStatus"] "A page of the community's OATH tokens, never their seeds; query.serialNumbers (\"/text/\" for containing) and query.type (administrators)";
    "put" "/hardwaretokens/tokens" "Hardware tokens" Jwt Encrypted ["csv_text"] [] "Add tokens from CSV text (serialNumber, seed in hex or base32, counter, type hotp|totp, digits, period, algorithm): all rows or none (administrators)";
    "post" "/hardwaretokens/import_csv" "Hardware tokens" Jwt Encrypted ["file"] [] "Add tokens from an uploaded CSV file (multipart), as PUT /hardwaretokens/tokens (administrators)";
    "patch" "/hardwaretokens/tokens/{id}" "Hardware tokens" Jwt Encrypted [] ["seed", "counter"] "Set a token's seed and/or counter; 400 when neither is given (administrators)";
    "delete" "/hardwaretokens/tokens" "Hardware tokens" Jwt Plain ["serialNumbers"] [] "Remove tokens by serial number: {deletedCount} (administrators)";
    "post" "/hardwaretokens/resync" "Hardware tokens" Jwt Encrypted ["code1", "code2", "code3", "serialNumber"] [] "Put a token back in step from three consecutive codes (HOTP look-ahead 1000, TOTP drift up to an hour) (administrators)";
    "post" "/hardwaretokens/usertokens/fetch" "Hardware tokens" Jwt Encrypted [] ["pSize", "pIndex", "query"] "A page of who holds which token; query.username, query.serialNumbers (administrators)";
    "put" "/hardwaretokens/usertokens" "Hardware tokens" Jwt Encrypted ["list"] [] "Hand tokens to users ({username, serialNumber} pairs): all or none; a holder's codes become its second factor (administrators)";
    "put" "/hardwaretokens/usertokens/csv_text" "Hardware tokens" Jwt Encrypted ["csv_text"] [] "Hand tokens to users from serialNumber,username CSV text (administrators)";
    "post" "/hardwaretokens/usertokens/import_csv" "Hardware tokens" Jwt Encrypted ["file"] [] "Hand tokens to users from an uploaded CSV file (multipart) (administrators)";
    "delete" "/hardwaretokens/usertokens" "Hardware tokens" Jwt NoContent ["list"] [] "Take tokens back from users (administrators)";
    "post" "/hardwareotp/onespan/test" "Hardwareotp" Jwt Encrypted ["user_name", "otp"] [] "Check (and spend) a code of a token the user holds: keyhall is the OTP server of its tokens (administrators)";
    "post" "/reports/events" "Reports" Jwt Encrypted ["tenantId", "communityId"] ["pSize", "pIndex", "from", "to", "user_id", "eventName", "outcome", "broker_id", "download"] "The community's events, newest first (from/to as YYYY-MM-DD HH:mm:ss.SSS, at most 90 days back, default the last 30 days), or with download a job: {jobId} (administrators)";
    "post" "/reports/audit_log" "Reports" Jwt Encrypted ["tenantId", "communityId"] ["pSize", "pIndex", "from", "to", "user_id", "download"] "Administrators' changes (eventCategory AUDIT_LOG) as data.auditLogEvents, or a download job (administrators)";
    "post" "/reports/login_activity" "Reports" Jwt Encrypted ["tenantId", "communityId"] ["pSize", "pIndex", "from", "to", "user_id", "auth_method", "application", "download"] "E_SP_REDIRECT_SUCCEEDED events and the E_LOGIN_SUCCEEDED of each one's session (anyone signed in: a basic user sees their own)";
    "post" "/reports/metrics" "Reports" Jwt Encrypted ["tenantId", "communityId", "metricsName"] ["from", "to", "responseTimezone", "download"] "{count} for M_C_* metrics, a daily series for the others (hourly when to equals from), or a download job (administrators)";
    "post" "/reports/role_assignment" "Reports" Jwt Encrypted ["tenantId", "communityId"] ["roleIds", "pSize", "pIndex", "download"] "Who holds which role (roleIds are role names), paged, or a download job (administrators)";
    "post" "/reports/userenrollment" "Reports" Jwt Encrypted ["tenantId", "communityId"] ["moduleId", "pSize", "pIndex", "query"] "The users of a module (the default one when none is named) with their last sign-in (administrators)";
    "post" "/reports/hardwaretokens_export" "Reports" Jwt Encrypted ["reports_type", "download"] ["query"] "The hardware tokens or their holders as a download job: {jobId} (administrators)";
    "put" "/reports/event" "Reports" Envelope Plain ["tenantId", "communityId", "eventData"] ["serverEventData"] "Store a client's event (type, eventName, event_id, caller_user_agent, version); serverEventData fills caller_ip and event_ts in; at most KEYHALL_ADMINX_CLIENT_EVENTS_PER_MINUTE (1,200) per client address a minute on each node, then 429";
    "post" "/reports/download/jobs" "Reports" Jwt Encrypted [] ["sort", "pSize", "pIndex"] "The community's download jobs, with their status and, once built, the download link (administrators)";
    "patch" "/reports/download/jobs/{jobId}" "Reports" Jwt NoContent [] [] "Cancel a job that is not finished (administrators)";
    "post" "/broker/fetch" "Broker" Jwt Encrypted ["tenantId", "communityId", "moduleId"] [] "The brokers (on-premises agents) of a directory module (administrators)";
    "patch" "/broker/changestatus" "Broker" Jwt Encrypted ["tenantId", "communityId", "moduleId", "uid", "enabled"] [] "Turn a broker on or off (administrators)";
    "patch" "/broker/update" "Broker" Jwt Encrypted ["tenantId", "communityId", "moduleId", "uid", "name"] [] "Rename a broker: its name is all this call changes (administrators)";
    "delete" "/broker/{uid}" "Broker" Jwt NoContent ["tenantId", "communityId", "moduleId"] [] "Remove a broker (administrators)";
    "put" "/serviceprovider/{id}" "Service Providers" Jwt Encrypted ["name", "domain"] ["tenantId", "communityId", "ssoUrl", "clientId", "clientSecret", "apiToken", "username", "password", "securityToken", "useExistingCOT", "COT", "hostedSP"] "The path names a featured application (auth0, okta, salesforce, forgerock, gsuite, zendesk): a SAML provider made from its catalogue entry and the domain; vendor secrets sealed (administrators)";
    "post" "/serviceprovider/publicinfo/fetch" "Service Providers" Envelope Encrypted ["tenantId", "communityId"] ["SAMLRequest", "OIDCRequest"] "The provider a SAML AuthnRequest (by its Issuer; deflated or not) or an OIDC request (by client_id and redirect_uri) comes from, as a login page shows it";
    "get" "/spcatalog/list" "Service Provider Catalog" Jwt Encrypted [] [] "The featured applications: name, logo, sso_url and SAML template by key (administrators)";
    "post" "/user_consent/check" "Session Attributes Config" Jwt Encrypted ["spId", "scopeIds"] [] "Which of the OpenID Connect scopes (uuids or names) a provider asks for the caller has not granted it yet: nonGrantedScopes [{uuid, name, claims}] (anyone signed in)";
    "post" "/config/authentication/sspr/execute_transformation_script" "Login Settings" Jwt Encrypted ["username"] ["tenantId", "communityId"] "Ask the password-reset settings' user-profile API for a user and map its answer (transformationB64: base64 of a JSON object of field to JSON pointer; keyhall runs no scripts) (administrators)";
    "post" "/image/upload" "Image" Jwt Encrypted ["file"] [] "Upload an image (multipart; PNG, JPEG, GIF or WebP) and get its URL (administrators)";
    "get" "/image/{id}" "Image" Open File [] [] "An uploaded image (public: login pages show them)";
    "post" "/downloadables/versions/fetch" "Downloadables" Jwt Plain ["software", "os"] ["latest"] "Versions of the downloadable software (keyhall itself as radius, or the operator's catalogue) (administrators)";
    "post" "/downloadables/artifact/fetch" "Downloadables" Jwt File ["tenantId", "communityId", "moduleId"] ["type", "os", "version"] "The file of a downloadable (administrators)";
    "post" "/config/template/fetch" "Template Config" Jwt Encrypted ["tenantId", "communityId"] ["purposes"] "Message templates by purpose and channel (administrators)";
    "put" "/config/template" "Template Config" Jwt Encrypted ["templateData"] ["tenantId", "communityId"] "Add or replace message templates; a new default takes it from the others (administrators)";
    "delete" "/config/template" "Template Config" Jwt Encrypted ["tenantId", "communityId", "key_paths"] [] "Remove templates by key path (purpose, purpose.channel or purpose.channel.id) (administrators)";
    "post" "/config/session_attributes/fetch" "Session Attributes Config" Jwt Encrypted ["tenantId", "communityId"] ["local_key_paths", "global_key_paths"] "Session, ledger and identity attribute lists (everyone; only the identity attributes for users who are not admins)";
    "put" "/config/session_attributes" "Session Attributes Config" Jwt Encrypted ["tenantId", "communityId", "data"] [] "Set the community's own session attributes (administrators)";
    "get" "/authz/role/fetch" "Authz" Jwt Encrypted [] [] "Role names";
    "get" "/v2/authz/roles/fetch" "Authz V2" Jwt Encrypted [] [] "Role names";
    "get" "/authz/role/fetch/{roleName}" "Authz" Jwt Encrypted [] [] "One role";
    "post" "/authz/authorization/fetch" "Authz" Jwt Encrypted ["objectType", "objectId", "subjectType", "subjectId"] [] "A user's role bindings (administrators)";
    "get" "/config/consents/{type}" "Authz" Jwt Encrypted [] [] "The current consent of a type (administrators)";
    "get" "/config/consents/ipfs/{ipfsHash}" "Authz" Jwt Encrypted [] [] "A consent version by its content address (administrators)";
    "put" "/config/consents" "Authz" Jwt Encrypted ["type", "isEnabled"] ["title", "subtitle", "body", "acknowledgeText"] "A new consent version (administrators)";
    "post" "/permission/fetch" "Permission" JwtLicense Plain ["tenantId", "communityId", "uid"] ["moduleId"] "A user's permissions (administrators)";
    "post" "/auth_modules/fetch" "Auth Modules" Jwt Plain [] [] "The community's auth modules (administrators)";
    "put" "/auth_modules/create" "Auth Modules" Jwt Encrypted ["type", "name"] ["enabled", "mode", "config", "kerberos_config", "enhanced_security_on"] "Create an ldap, ad or azuread module (administrators)";
    "patch" "/auth_modules/updateJs/{moduleId}" "Auth Modules" Jwt Encrypted ["script"] [] "Set a module's script (administrators)";
    "get" "/auth_modules/{moduleId}" "Auth Modules" Jwt Encrypted [] [] "One module (administrators)";
    "patch" "/auth_modules/{moduleId}" "Auth Modules" Jwt Encrypted [] ["name", "enabled", "type", "config"] "Change a module (administrators)";
    "delete" "/auth_modules/{moduleId}" "Auth Modules" Jwt NoContent [] [] "Delete a module (administrators)";
    "post" "/test-connection" "Test Connection" License Encrypted ["tenantId", "communityId", "moduleId"] [] "Connect to a module's directory and bind";
    "patch" "/authscheme/default/modules" "Auth Scheme" Jwt Encrypted ["modules"] ["tenantId", "communityId"] "The modules of the default auth scheme (administrators)";
    "get" "/attributes" "User Attributes" Jwt Encrypted [] [] "A module's attribute mappings (?moduleId=, administrators)";
    "put" "/attributes" "User Attributes" Jwt Encrypted ["moduleId", "attributes"] [] "Add attribute mappings (administrators)";
    "patch" "/attributes/{attributeId}" "User Attributes" Jwt Encrypted [] ["name", "attribute"] "Change a mapping (administrators)";
    "delete" "/attributes/{attributeId}" "User Attributes" Jwt NoContent [] [] "Delete a mapping (administrators)";
    "put" "/users/create" "Users" Jwt Plain ["moduleId", "username", "status", "role", "firstname", "lastname", "email1"] ["middlename", "disabled", "email1_verified", "email2", "phone1", "password"] "Create a user in the db module (administrators; password is a keyhall extension)";
    "post" "/users/fetch" "Users" Jwt Encrypted ["tenantId", "communityId", "moduleId"] ["pSize", "pIndex", "query", "sort", "attributes"] "A page of a module's users (administrators)";
    "post" "/users/count" "Users" Jwt Plain ["tenantId", "communityId", "moduleId"] ["query"] "How many users match";
    "post" "/users/countAll" "Users" Jwt Encrypted ["tenantId", "communityId"] ["moduleId"] "Users per module (administrators)";
    "post" "/users/find" "Users" Envelope Plain ["tenantId", "communityId"] ["username", "email"] "Find a user by username or e-mail (masked)";
    "patch" "/users/user/update" "Users" Jwt Plain ["tenantId", "communityId", "username"] ["uid", "moduleId", "firstname", "middlename", "lastname", "email1", "email1_verified", "email2", "phone1", "address", "status", "disabled", "role", "newRole"] "Change a user (administrators)";
    "patch" "/users/user/role/update" "Users" Jwt Plain ["tenantId", "communityId", "username", "oldRole", "newRole"] ["uid", "moduleId"] "Change a user's role (administrators)";
    "post" "/users/user/lock" "Users" Jwt NoContent ["username", "lock_duration"] [] "Lock a user for minutes (help desk, administrators)";
    "post" "/users/user/unlock" "Users" Jwt NoContent ["username"] ["tenantId", "communityId"] "Unlock a user (help desk, administrators)";
    "post" "/users/user/profile/fetch" "Users" Jwt Encrypted [] ["attributes"] "The caller's profile";
    "post" "/users/user/detailProfile/fetch" "Users" Jwt Plain ["tenantId", "communityId", "user"] ["moduleId", "attributes"] "A user's detailed profile";
    "get" "/users/user/ip" "Users" Jwt Encrypted [] [] "The caller's address";
    "post" "/users/user/update_phone_numbers" "Users" Jwt Plain ["tenantId", "communityId"] ["user", "updatePhones", "removePhones", "otp"] "The caller's phone numbers";
    "put" "/users/user/user_pin/update" "Users" Jwt Plain ["newPin"] [] "Set the caller's PIN";
    "post" "/users/user/devices/fetch" "Users" Jwt Plain [] ["user", "community"] "A user's devices (security keys)";
    "post" "/users/user/login_options/fetch" "Users" Jwt Plain [] ["user", "community"] "Devices and login options";
    "post" "/users/user/devices/has_security_key" "Users" Envelope Encrypted ["communityName", "tenantTag", "username"] ["communityPublicKey"] "Whether a user has a security key";
    "patch" "/users/unlinkuser" "Users" Jwt Plain ["did"] ["user", "community"] "Remove a device";
    "post" "/users/user/wallet/create" "Users" Jwt Encrypted ["pin"] [] "Create the caller's managed wallet (8-character PIN)";
    "post" "/users/user/wallet/fetch" "Users" Jwt Encrypted ["pin"] [] "Open the caller's wallet with its PIN";
    "post" "/users/user/wallet/has_wallet/fetch" "Users" Jwt Encrypted [] [] "Whether the caller has a wallet";
    "post" "/users/user/wallet_recovery/method/fetch" "Users" Jwt Encrypted [] [] "The wallet's recovery method";
    "get" "/users/user/documents" "Users" Jwt Encrypted [] [] "The wallet's documents";
    "post" "/users/user/document" "Users" Jwt Encrypted ["type", "id"] [] "One wallet document";
    "get" "/users/user/ial" "Users" Jwt Encrypted [] [] "The caller's identity assurance level";
    "put" "/generate/account_otp" "Account OTP" Jwt Encrypted [] [] "The caller's TOTP now, and the seconds left";
    "put" "/users/invite" "Users" Jwt Plain ["tenantId", "communityId", "uid", "firstname", "lastname"] ["userId", "authModuleId", "emailTo", "smsTo", "templateKeyPath", "createdby", "createdbyemail", "captchaToken", "license"] "Invite a user (administrators)";
    "post" "/users/resend/invite" "Users" Jwt Plain ["code", "emailTo"] ["firstname", "lastname", "captchaToken", "license"] "Send an invitation again (administrators)";
    "post" "/users/request/invite" "Users" Envelope Plain ["tenantId", "communityId", "user_token", "deliveryMethod"] ["google_token", "license"] "A user asks for an invitation to their own address";
    "post" "/users/accesscodes/fetch" "Users" Jwt Plain ["user"] ["community", "uids"] "Access codes of users";
    "delete" "/users/accesscode/{code}" "Users" Jwt NoContent [] [] "Revoke an access code (administrators)";
    "post" "/user_properties/check_unique/alias" "User Properties" Jwt Plain ["alias"] ["tenantId", "communityId"] "Whether an alias is free (administrators)";
    "post" "/user_properties/update" "User Properties" Jwt Plain ["tenantId", "communityId", "user"] ["mobiles", "landlines", "aliases"] "A user's numbers and aliases (administrators)";
    "post" "/user_pin/register" "User PIN" Jwt Plain ["pin"] [] "Register the caller's PIN (405 when one exists)";
    "delete" "/user_pin" "User PIN" Jwt Plain [] [] "Delete the caller's PIN";
    "get" "/servicekeys" "Service Key" License Plain [] [] "Service keys (a system license)";
    "delete" "/servicekey/{keyId}" "Service Key" License Plain [] [] "Replace a service key (a system license)";
    "post" "/nonce/sign" "Sign nonce" Envelope Plain ["tenantId", "communityId", "nonce"] [] "The server's ECDSA signature of a nonce";
    "post" "/helpdesk-passcode/generate" "Helpdesk" Jwt Encrypted ["userId", "tenantId", "communityId", "validitySeconds", "serviceName"] [] "A one-time passcode for a user (help desk)";
    "post" "/config/self_registration_config/fetch" "Self Registration Config" Jwt Encrypted ["tenantId", "communityId"] [] "The community's self-registration switch (administrators)";
    "put" "/config/self_registration_config" "Self Registration Config" Jwt Encrypted ["tenantId", "communityId", "allowed"] [] "Set the community's self-registration switch (administrators)";
    "get" "/instance_config/self_registration_config" "Instance Config" Jwt Encrypted [] [] "The installation's self-registration switch (its superadmin)";
    "put" "/instance_config/self_registration_config" "Instance Config" Jwt Encrypted ["allowed"] [] "Set the installation's self-registration switch (its superadmin)";
    "put" "/register/sendverify" "Self Registration" Envelope Plain ["email", "tenantId", "communityId"] ["captchaToken"] "Mail a sign-up confirmation code";
    "post" "/register/verifyemail" "Self Registration" Envelope Plain ["tenantId", "communityId", "code"] [] "The address a code confirms";
    "put" "/register/user" "Self Registration" Envelope Plain ["tenantId", "communityId", "moduleId", "firstname", "lastname", "email", "password", "code"] ["captchaToken", "phoneNumber", "phoneToken"] "Sign up (signed in at once)";
    "put" "/password_reset/sendverify" "Reset Password" Envelope Plain ["destination", "user_token", "tenantId", "communityId"] ["captchaToken", "license"] "Send a reset link to the user's own address";
    "post" "/password_reset/user/fetch" "Reset Password" Envelope Plain ["tenantId", "communityId", "code"] [] "The user a code is for, and a user_token";
    "post" "/password_reset" "Reset Password" Envelope Plain ["tenantId", "communityId", "code", "user_token", "newPassword"] ["otp"] "Set a new password with a code";
}

fn security(access: Access) -> Value {
    let envelope = json!({ "publickey": [], "requestid": [] });
    let with = |extra: &[&str]| {
        let mut s = envelope.as_object().cloned().unwrap_or_default();
        for e in extra {
            s.insert((*e).into(), json!([]));
        }
        json!([Value::Object(s)])
    };
    match access {
        Access::Open => json!([]),
        Access::Envelope => with(&[]),
        Access::Jwt => with(&["bearer"]),
        Access::License => with(&["licensekey"]),
        Access::JwtLicense => with(&["bearer", "licensekey"]),
    }
}

fn operation(op: &Operation) -> Value {
    let mut properties = Map::new();
    for field in op.required.iter().chain(op.optional) {
        properties.insert((*field).into(), json!({}));
    }
    let params: Vec<Value> = op
        .path
        .split('/')
        .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .map(|name| json!({ "name": name, "in": "path", "required": true, "schema": { "type": "string" } }))
        .collect();
    let error = json!({ "$ref": "#/components/responses/Error" });
    let success = match op.answer {
        Answer::Encrypted => {
            json!({ "description": "OK, encrypted", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/EncryptedAnswer" } } } })
        }
        Answer::Plain => json!({ "description": "OK", "content": { "application/json": { "schema": { "type": "object" } } } }),
        Answer::NoContent => json!({ "description": "No content" }),
        Answer::File => json!({ "description": "The file", "content": { "application/octet-stream": {
            "schema": { "type": "string", "format": "binary" } } } }),
    };
    let code = if op.answer == Answer::NoContent { "204" } else { "200" };
    let mut out = json!({
        "tags": [op.tag],
        "summary": op.summary,
        "operationId": format!("{}{}", op.method, op.path.replace(['/', '{', '}', '-', '_'], "_")),
        "security": security(op.access),
        "parameters": params,
        "responses": { code: success, "400": error, "401": error, "403": error, "404": error, "429": error, "500": error },
    });
    if !properties.is_empty() && op.method != "get" {
        let plain = json!({ "type": "object", "required": op.required, "properties": properties });
        let body = if op.access == Access::Open {
            plain
        } else {
            json!({ "oneOf": [{ "$ref": "#/components/schemas/EncryptedBody" }, plain],
                    "description": "The fields below, as {\"data\": ENC(JSON)}; plain JSON only in preview mode (KEYHALL_ADMINX_PLAINTEXT)" })
        };
        out["requestBody"] = json!({ "required": true, "content": { "application/json": { "schema": body } } });
    }
    out
}

/// The whole document.
pub fn document() -> Value {
    let mut paths = Map::new();
    for op in OPERATIONS {
        let entry = paths.entry(format!("{}{}", crate::BASE_PATH, op.path)).or_insert_with(|| json!({}));
        entry[op.method] = operation(op);
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "keyhall: 1Kosmos Admin API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Calls but the open ones travel in the envelope: `publickey` is the caller's EC public key (base64 of the 64-byte X||Y), the shared key is the X coordinate of ECDH with /publickeys' key, ENC(x) is base64(IV(16) || AES-256-GCM(x) || tag(16)). `requestid` = ENC({ts, appid, uuid}) within allowed_time_span seconds of now, each uuid once. Request bodies are {\"data\": ENC(JSON)}."
        },
        "paths": paths,
        "components": {
            "securitySchemes": {
                "publickey": { "type": "apiKey", "in": "header", "name": "publickey", "description": "The caller's EC public key" },
                "requestid": { "type": "apiKey", "in": "header", "name": "requestid", "description": "ENC({ts, appid, uuid})" },
                "licensekey": { "type": "apiKey", "in": "header", "name": "licensekey", "description": "ENC(license key)" },
                "bearer": { "type": "http", "scheme": "bearer", "bearerFormat": "JWT" }
            },
            "responses": {
                "Error": { "description": "Refused: {statusCode, error, message}", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } }
            },
            "schemas": {
                "EncryptedBody": { "type": "object", "required": ["data"], "properties": { "data": { "type": "string", "description": "ENC(JSON of the fields)" } } },
                "EncryptedAnswer": { "type": "object", "required": ["data", "publicKey"], "properties": {
                    "data": { "type": "string", "description": "ENC(JSON)" }, "publicKey": { "type": "string", "description": "The server's key" } } },
                "Error": { "type": "object", "required": ["statusCode", "error", "message"], "properties": {
                    "statusCode": { "type": "integer" }, "error": { "type": "string" }, "message": { "type": "string" } } }
            }
        }
    })
}

pub fn document_text() -> String {
    let mut text = serde_json::to_string_pretty(&document()).unwrap_or_default();
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    /// Every route the face serves is documented, and every documented operation is routed.
    #[test]
    fn the_document_lists_exactly_the_routes() {
        let source = [
            include_str!("lib.rs"),
            include_str!("documents.rs"),
            include_str!("collections.rs"),
            include_str!("hardware_tokens.rs"),
            include_str!("reports.rs"),
            include_str!("brokers.rs"),
        ]
        .concat();
        let mut routed = Vec::new();
        // A route whose handlers `cargo fmt` put on the next line is read as one line.
        let joined = source
            .replace("(\n            &p(", "(&p(")
            .replace("\"),\n            ", "\"), ")
            // A chain of handlers `cargo fmt` put one per line.
            .replace("\n                .", ".");
        for line in joined.lines().filter(|l| l.contains(".route(&p(\"")) {
            let path = line.split("p(\"").nth(1).and_then(|r| r.split('"').next()).unwrap_or_default();
            if path == "/{*rest}" || path == "/openapi.json" {
                continue;
            }
            let handlers = line.split("\"), ").nth(1).unwrap_or_default();
            for method in ["get", "post", "put", "patch", "delete"] {
                if handlers.starts_with(&format!("{method}(")) || handlers.contains(&format!(".{method}(")) {
                    routed.push(format!("{method} {path}"));
                }
            }
        }
        let mut documented: Vec<String> = super::OPERATIONS.iter().map(|o| format!("{} {}", o.method, o.path)).collect();
        routed.sort();
        documented.sort();
        assert_eq!(routed, documented);
    }
}
