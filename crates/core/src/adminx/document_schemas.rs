//! The configuration documents of a community, field by field, as the 1Kosmos Admin API names
//! them (login settings, branding, the SAML IdP keys). Defaults are what a community that never
//! stored the document gets.

use serde_json::{Map, Value};

use super::documents::{DocumentSchema, Field, Kind};
use crate::error::{DomainError, ErrorCode, Result};

const fn req(name: &'static str, kind: Kind, default: &'static str) -> Field {
    Field { name, kind, required: true, default }
}

const fn opt(name: &'static str, kind: Kind, default: &'static str) -> Field {
    Field { name, kind, required: false, default }
}

const LABEL: Kind = Kind::Text { max: 256 };
const MESSAGE: Kind = Kind::Text { max: 4096 };

pub const MFA: DocumentSchema = DocumentSchema {
    key: super::sign_in::MFA_SETTINGS,
    fields: &[
        req("show_otp_email", Kind::Bool, "false"),
        req("show_otp_phone", Kind::Bool, "false"),
        req("show_otp_voice", Kind::Bool, "false"),
        req("show_otp_hardware", Kind::Bool, "false"),
        opt("otp_prompt_text", LABEL, "\"Enter the one-time passcode\""),
        opt("accountLockEnabled", Kind::Bool, "true"),
        opt("otpMaxAttempts", Kind::Int { min: 1, max: 100 }, "5"),
        opt("lockDurationMinutes", Kind::Int { min: 1, max: 10_080 }, "15"),
        opt("onespan_domain", LABEL, "\"\""),
        opt("onespan_url", Kind::Url, "\"\""),
        opt("self_enroll_phone_allowed", Kind::Bool, "false"),
        opt("sync_window_for_first_usage", Kind::Int { min: 0, max: 1_000 }, "0"),
    ],
    check: None,
};

pub const FIDO: DocumentSchema = DocumentSchema {
    key: "fido_settings",
    fields: &[
        req("fido_disabled", Kind::Bool, "false"),
        req("fido_platform_authenticator_disabled", Kind::Bool, "false"),
        req("fido_security_key_disabled", Kind::Bool, "false"),
    ],
    check: None,
};

pub const FIRST_TIME_ENROLLMENT: DocumentSchema = DocumentSchema {
    key: "first_time_enrollment_settings",
    fields: &[
        opt("first_time_login_enrollment", Kind::Bool, "false"),
        opt("allowed_factors", Kind::TextList { max_items: 16 }, "[]"),
    ],
    check: None,
};

pub const LIVEID_SELFIE: DocumentSchema =
    DocumentSchema { key: "liveid_selfie_settings", fields: &[req("liveid_selfie_enabled", Kind::Bool, "false")], check: None };

pub const ORION: DocumentSchema = DocumentSchema {
    key: "orion_settings",
    fields: &[
        req("orion_authenticator_enabled", Kind::Bool, "false"),
        opt("orion_authenticator_wait_time_ms", Kind::Int { min: 0, max: 600_000 }, "1500"),
    ],
    check: None,
};

/// The channels a password reset may start from.
pub const RESET_INPUT_METHODS: &[&str] = &["username", "email", "phone"];

pub const PASSWORD_RESET: DocumentSchema = DocumentSchema {
    key: "password_reset",
    fields: &[
        req("default_input_method", Kind::OneOf(RESET_INPUT_METHODS), "\"username\""),
        opt("adminx_via_email_enabled", Kind::Bool, "true"),
        opt("adminx_require_otp", Kind::Bool, "false"),
        opt("mobile_enabled", Kind::Bool, "true"),
        opt(
            "sspr",
            Kind::Object(&[
                opt("enabled", Kind::Bool, "false"),
                opt("via_idproofing", Kind::Object(&[opt("enabled", Kind::Bool, "false")]), ""),
                opt("otp", Kind::Bool, "false"),
                opt("dvcId", LABEL, "\"\""),
                opt(
                    "user_profile_api",
                    Kind::Object(&[
                        opt("enabled", Kind::Bool, "false"),
                        opt("provider", LABEL, "\"\""),
                        opt(
                            "api",
                            Kind::Object(&[
                                opt("url", Kind::Url, "\"\""),
                                opt("type", LABEL, "\"\""),
                                opt("auth", LABEL, "\"\""),
                                opt(
                                    "credential",
                                    Kind::Object(&[
                                        opt("username", LABEL, "\"\""),
                                        opt("password", Kind::Secret, ""),
                                        opt("token", Kind::Secret, ""),
                                    ]),
                                    "",
                                ),
                            ]),
                            "",
                        ),
                        opt("transformationB64", Kind::Text { max: 65_536 }, "\"\""),
                    ]),
                    "",
                ),
            ]),
            "",
        ),
    ],
    check: None,
};

pub const PASSWORDLESS: DocumentSchema = DocumentSchema {
    key: "pwdless_settings",
    fields: &[
        req("primaryMethod", LABEL, "\"Fingerprint\""),
        opt("secondaryMethod", LABEL, "\"\""),
        req("selfOnBoard", Kind::Bool, "false"),
        req("selfOnBoardFromUserProfile", Kind::Bool, "false"),
        req("accountsPerPerson", Kind::Int { min: 1, max: 1_000 }, "5"),
        req("personsPerAccount", Kind::Int { min: 1, max: 1_000 }, "1"),
        req("personLimitRule", LABEL, "\"cleanup\""),
        req("passwordless_disabled", Kind::Bool, "false"),
        req("qr_disabled", Kind::Bool, "false"),
        req("push_disabled", Kind::Bool, "false"),
        opt("push_number_challenge_enabled", Kind::Bool, "false"),
        opt("defaultMethods", LABEL, "\"Fingerprint\""),
    ],
    check: None,
};

pub const WINDOWS_MFA: DocumentSchema = DocumentSchema {
    key: "windows_mfa_settings",
    fields: &[
        req(
            "allowed_enrollments",
            Kind::Object(&[req("behavior_auth", Kind::Bool, "false"), req("user_pin", Kind::Bool, "false")]),
            "",
        ),
        opt("enableFallbackAuth", Kind::Bool, "false"),
        opt("maxAuthAttemptsBeforeFallback", Kind::Int { min: 1, max: 100 }, "3"),
    ],
    check: None,
};

pub const LOGIN_METHODS: &[&str] = &["qr", "username"];

pub const BRANDING: DocumentSchema = DocumentSchema {
    key: "branding",
    fields: &[
        req("bg_color_left_panel", Kind::Color, "\"#1f2a44\""),
        req("bg_color_right_panel", Kind::Color, "\"#ffffff\""),
        req("heading_text_color", Kind::Color, "\"#1f2a44\""),
        req("primary_button_color", Kind::Color, "\"#2f6fed\""),
        req("active_tab_text_color", Kind::Color, "\"#2f6fed\""),
        req("links_color", Kind::Color, "\"#2f6fed\""),
        req("community_logo_img", Kind::Image, "\"\""),
        req("bg_img_left_panel", Kind::Image, "\"\""),
        opt("qr_code_corner_squares_color", Kind::Color, "\"#000000\""),
        opt("qr_code_dots_color", Kind::Color, "\"#000000\""),
        opt("qr_code_logo", Kind::Url, "\"\""),
        opt("default_login_method", Kind::OneOf(LOGIN_METHODS), "\"username\""),
        opt("username_label", LABEL, "\"Username\""),
        opt("helpDeskButtonEnabled", Kind::Bool, "false"),
        opt("helpDeskButtonData", Kind::Json, "{}"),
        opt("disclaimer_message", MESSAGE, "\"\""),
        opt("heading_label", LABEL, "\"Sign in\""),
        opt("bg_img_fullscreen_enabled", Kind::Bool, "false"),
        opt(
            "app_download_override",
            Kind::Object(&[opt("enabled", Kind::Bool, "false"), opt("content", MESSAGE, "\"\""), opt("url", Kind::Url, "\"\"")]),
            "",
        ),
        opt("username_hidden_on_desktop", Kind::Bool, "false"),
        opt("copyright_message_disabled", Kind::Bool, "false"),
    ],
    check: Some(app_download_override_is_complete),
};

/// An app-download override that is switched on says what to show and where to send people.
fn app_download_override_is_complete(doc: &Map<String, Value>) -> Result<()> {
    let Some(o) = doc.get("app_download_override").filter(|o| o["enabled"] == Value::Bool(true)) else {
        return Ok(());
    };
    for name in ["content", "url"] {
        if o[name].as_str().is_none_or(str::is_empty) {
            return Err(DomainError::new(ErrorCode::MissingParameter).field(format!("app_download_override.{name}")));
        }
    }
    Ok(())
}

pub const SAML_BINDINGS: &[&str] = &["post", "redirect", "artifact"];

pub const IDP_CONFIG: DocumentSchema = DocumentSchema {
    key: "idp_config",
    fields: &[
        req("signingCert", Kind::Pem, "\"\""),
        req("signingKey", Kind::Secret, ""),
        req("encryptionCert", Kind::Pem, "\"\""),
        req("encryptionKey", Kind::Secret, ""),
        req("entityId", Kind::Text { max: 1024 }, "\"\""),
        req("authnRequestsSigned", Kind::Bool, "false"),
        req("sso_bindings", Kind::TextList { max_items: 3 }, "[]"),
        req("slo_bindings", Kind::TextList { max_items: 3 }, "[]"),
        opt("identifier", LABEL, "\"\""),
    ],
    check: Some(bindings_are_known),
};

fn bindings_are_known(doc: &Map<String, Value>) -> Result<()> {
    for name in ["sso_bindings", "slo_bindings"] {
        let known = doc[name].as_array().is_none_or(|l| l.iter().all(|b| b.as_str().is_some_and(|b| SAML_BINDINGS.contains(&b))));
        if !known {
            return Err(DomainError::new(ErrorCode::InvalidParameter)
                .field(name)
                .detail(format!("must list bindings among {}", SAML_BINDINGS.join(", "))));
        }
    }
    Ok(())
}

/// The community's own session attributes (`PUT /config/session_attributes` `data`).
pub const SESSION_ATTRIBUTES: DocumentSchema = DocumentSchema {
    key: "session_attributes",
    fields: &[opt("blockid_session_attributes", Kind::TextList { max_items: 100 }, "[]")],
    check: None,
};

/// The session attributes every community has (`baseline`).
pub const BASELINE_SESSION_ATTRIBUTES: &[&str] =
    &["ip", "user_agent", "device_name", "os", "location", "authenticator", "auth_method", "timestamp"];

/// What the ledger records of a session (`ledger`).
pub const LEDGER_ATTRIBUTES: &[&str] = &["did", "publickey", "session_id", "community", "event"];

/// A user's identity attributes and their display names (`identity`).
pub const IDENTITY_ATTRIBUTES: &[(&str, &str)] = &[
    ("username", "Username"),
    ("firstname", "First name"),
    ("middlename", "Middle name"),
    ("lastname", "Last name"),
    ("email1", "Email"),
    ("phone1", "Phone"),
    ("dob", "Date of birth"),
    ("address", "Address"),
];

/// The documents `/config/fetch` reads by key path, by their keys.
pub const READABLE: &[&DocumentSchema] = &[
    &MFA,
    &FIDO,
    &FIRST_TIME_ENROLLMENT,
    &LIVEID_SELFIE,
    &ORION,
    &PASSWORD_RESET,
    &PASSWORDLESS,
    &WINDOWS_MFA,
    &BRANDING,
    &SESSION_ATTRIBUTES,
];
