//! The kinds of items a community keeps in collections, field by field.

use serde_json::{Map, Value};

use super::collections::{Collection, Naming};
use super::documents::{DocumentSchema, Field, Kind};
use crate::error::{DomainError, ErrorCode, Result};

/// Secrets for the community's scripts and integrations: a tag and a sealed value, which no
/// answer ever holds.
pub const SECRETS: Collection = Collection {
    document: DocumentSchema {
        key: "secret",
        fields: &[
            Field { name: "tag", kind: Kind::Text { max: 128 }, required: true, default: "\"\"" },
            Field { name: "value", kind: Kind::Secret, required: true, default: "" },
        ],
        check: Some(tag_is_an_identifier),
    },
    noun: "Secret",
    naming: Naming::Field("tag"),
    max_items: 500,
    event: "E_SECRET",
};

/// `^[a-zA-Z][a-zA-Z0-9_]*$`, as the vendor documents a tag.
fn tag_is_an_identifier(doc: &Map<String, Value>) -> Result<()> {
    let tag = doc["tag"].as_str().unwrap_or_default();
    let mut chars = tag.chars();
    let ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic()) && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    if ok {
        Ok(())
    } else {
        Err(DomainError::new(ErrorCode::InvalidParameter)
            .field("tag")
            .detail("must start with a letter and hold only letters, digits and _"))
    }
}

const fn field(name: &'static str, kind: Kind, required: bool, default: &'static str) -> Field {
    Field { name, kind, required, default }
}

/// How a journey compares a request's value with its list.
pub const OPERATORS: &[&str] = &["in", "not_in", "overlap", "eq", "ne", "in_range", "not_in_range"];
const CONDITION: Kind = Kind::Object(&[
    field("value", Kind::TextList { max_items: 100 }, false, "[]"),
    field("operator", Kind::OneOf(OPERATORS), false, "\"in\""),
]);
const DECISION: Kind = Kind::Object(&[
    field("action", Kind::Text { max: 64 }, true, "\"\""),
    field("authenticationMethods", Kind::TextList { max_items: 20 }, false, "[]"),
]);

/// Adaptive authentication journeys (v1): conditions on the request, and what to decide.
pub const JOURNEYS: Collection = Collection {
    document: DocumentSchema {
        key: "authentication_journey",
        fields: &[
            field("journeyName", Kind::Text { max: 128 }, true, "\"\""),
            field("enabled", Kind::Bool, false, "true"),
            field("groups", CONDITION, false, ""),
            field("deviceId", CONDITION, false, ""),
            field("application", CONDITION, false, ""),
            field("username", CONDITION, false, ""),
            field("ip", CONDITION, false, ""),
            field("domain", Kind::Text { max: 253 }, false, "\"\""),
            field("decision", DECISION, true, ""),
        ],
        check: None,
    },
    noun: "Authentication journey",
    naming: Naming::Field("journeyName"),
    max_items: 200,
    event: "E_AUTHENTICATION_JOURNEY",
};

/// Authentication journeys (v2): by category and requesting application.
pub const JOURNEYS_V2: Collection = Collection {
    document: DocumentSchema {
        key: "authentication_journey_v2",
        fields: &[
            field("name", Kind::Text { max: 128 }, true, "\"\""),
            field("enabled", Kind::Bool, false, "true"),
            field("category", Kind::Text { max: 128 }, true, "\"\""),
            field("groups", CONDITION, false, ""),
            field(
                "requestingAppId",
                Kind::Object(&[
                    field("value", Kind::Text { max: 128 }, false, "\"\""),
                    field("operator", Kind::OneOf(OPERATORS), false, "\"eq\""),
                ]),
                false,
                "",
            ),
            field("usernames", CONDITION, false, ""),
            field("decision", DECISION, true, ""),
        ],
        check: None,
    },
    noun: "Authentication journey",
    naming: Naming::Field("name"),
    max_items: 200,
    event: "E_AUTHENTICATION_JOURNEY",
};

/// A RADIUS configuration of the community, known by the `uid` its administrator gives it.
pub const RADIUS: Collection = Collection {
    document: DocumentSchema {
        key: "radius_config",
        fields: &[
            field("uid", Kind::Text { max: 128 }, true, "\"\""),
            field("name", Kind::Text { max: 128 }, true, "\"\""),
            field("authScheme", Kind::TextList { max_items: 10 }, true, "[]"),
            field("pushKeyword", Kind::Text { max: 64 }, true, "\"\""),
            field("ivrKeyword", Kind::Text { max: 64 }, false, "\"\""),
            field("ivrLine", Kind::Text { max: 64 }, false, "\"\""),
            // keyhall's own RADIUS server: the NAS addresses (IPs or CIDR blocks) this
            // configuration serves, their shared secret, and whether their requests must carry a
            // Message-Authenticator (RFC 3579; the BlastRADIUS defence).
            field("clientAddresses", Kind::TextList { max_items: 50 }, false, "[]"),
            field("sharedSecret", Kind::Secret, false, ""),
            field("requireMessageAuthenticator", Kind::Bool, false, "true"),
        ],
        check: Some(super::radius::check_config),
    },
    noun: "RADIUS configuration",
    naming: Naming::Field("uid"),
    max_items: 100,
    event: "E_RADIUS_CONFIG",
};

pub const AUTH_PROXY_METHODS: &[&str] = &["push", "ivr"];

/// An auth-proxy configuration, known by its `uid` as RADIUS ones are.
pub const AUTH_PROXY: Collection = Collection {
    document: DocumentSchema {
        key: "authproxy_config",
        fields: &[
            field("uid", Kind::Text { max: 128 }, true, "\"\""),
            field("name", Kind::Text { max: 128 }, true, "\"\""),
            field("authScheme", Kind::TextList { max_items: 10 }, true, "[]"),
            field("pushKeyword", Kind::Text { max: 64 }, true, "\"\""),
            field("ivrKeyword", Kind::Text { max: 64 }, false, "\"\""),
            field("isDefaultAuthMethodEnable", Kind::Bool, false, "false"),
            field("defaultAuthMethod", Kind::OneOf(AUTH_PROXY_METHODS), false, "\"push\""),
        ],
        check: None,
    },
    noun: "Auth proxy configuration",
    naming: Naming::Field("uid"),
    max_items: 100,
    event: "E_AUTHPROXY_CONFIG",
};

pub const GATEWAY_CHANNELS: &[&str] = &["email", "sms", "voice"];

/// A message gateway of the community: where its mail (SMTP) or texts go. Vendor fields are
/// kept as given; the password and client secret are sealed and never answered.
pub const GATEWAYS: Collection = Collection {
    document: DocumentSchema {
        key: "msg_gateway",
        fields: &[
            field("type", Kind::Text { max: 64 }, true, "\"\""),
            field("channels", Kind::TextList { max_items: 3 }, false, "[\"email\"]"),
            field("protocol", Kind::Text { max: 32 }, false, "\"smtp\""),
            field("auth", Kind::Text { max: 64 }, false, "\"\""),
            field("name", Kind::Text { max: 128 }, false, "\"\""),
            field("username", Kind::Text { max: 256 }, true, "\"\""),
            field("password", Kind::Secret, true, ""),
            field("serviceUrl", Kind::Text { max: 512 }, true, "\"\""),
            field("senderEmail", Kind::Text { max: 254 }, false, "\"\""),
            field("senderPhone", Kind::Text { max: 32 }, false, "\"\""),
            field("port", Kind::Int { min: 1, max: 65_535 }, false, "587"),
            field("active", Kind::Bool, false, "true"),
            field("otpDelimiter", Kind::Text { max: 16 }, false, "\"\""),
            field("timeoutValue", Kind::Int { min: 1, max: 600 }, false, "30"),
            field("smstemplateid", Kind::Text { max: 128 }, false, "\"\""),
            field("entityId", Kind::Text { max: 128 }, false, "\"\""),
            field("authTokenRequestUrl", Kind::Url, false, "\"\""),
            field("authClientId", Kind::Text { max: 256 }, false, "\"\""),
            field("authClientSecret", Kind::Secret, false, ""),
            field("authGrantType", Kind::Text { max: 64 }, false, "\"\""),
            field("authScope", Kind::Text { max: 256 }, false, "\"\""),
            field("principalEntityId", Kind::Text { max: 128 }, false, "\"\""),
            field("dltTemplateId", Kind::Text { max: 128 }, false, "\"\""),
            field("awsRegion", Kind::Text { max: 64 }, false, "\"\""),
            field("appCategory", Kind::Text { max: 64 }, false, "\"\""),
            field("gstFlag", Kind::Text { max: 16 }, false, "\"\""),
            field("msgType", Kind::Text { max: 64 }, false, "\"\""),
        ],
        check: Some(gateway_is_complete),
    },
    noun: "Gateway",
    naming: Naming::Id,
    max_items: 20,
    event: "E_MSG_GATEWAY",
};

/// Channels known; an e-mail gateway names its sender address, a text one its number.
fn gateway_is_complete(doc: &Map<String, Value>) -> Result<()> {
    let channels: Vec<&str> =
        doc["channels"].as_array().map(|a| a.iter().filter_map(Value::as_str).collect()).unwrap_or_default();
    if let Some(unknown) = channels.iter().find(|c| !GATEWAY_CHANNELS.contains(c)) {
        return Err(DomainError::new(ErrorCode::InvalidParameter)
            .field("channels")
            .detail(format!("may hold only email, sms, voice; not {unknown}")));
    }
    let missing = |name: &str| doc[name].as_str().is_none_or(str::is_empty);
    if channels.contains(&"email") && missing("senderEmail") {
        return Err(DomainError::new(ErrorCode::MissingParameter).field("senderEmail"));
    }
    if channels.contains(&"email") && keyhall_types::Email::parse(doc["senderEmail"].as_str().unwrap_or_default()).is_err() {
        return Err(DomainError::invalid("senderEmail", "is not an e-mail address"));
    }
    if (channels.contains(&"sms") || channels.contains(&"voice")) && missing("senderPhone") {
        return Err(DomainError::new(ErrorCode::MissingParameter).field("senderPhone"));
    }
    Ok(())
}

pub const IDP_TYPES: &[&str] = &["oidc", "saml", "wsfed"];

/// keyhall as the community's identity provider, one configuration per protocol: lifetimes,
/// signing and what it offers.
pub const IDENTITY_PROVIDERS: Collection = Collection {
    document: DocumentSchema {
        key: "identity_provider",
        fields: &[
            field("type", Kind::OneOf(IDP_TYPES), true, "\"oidc\""),
            field("name", Kind::Text { max: 128 }, false, "\"\""),
            field("enabled", Kind::Bool, false, "true"),
            field("issuer", Kind::Url, false, "\"\""),
            field("signingAlg", Kind::OneOf(&["RS256", "ES256", "RSA_SHA256"]), false, "\"RS256\""),
            field("accessTokenLifetime", Kind::Int { min: 60, max: 86_400 }, false, "3600"),
            field("idTokenLifetime", Kind::Int { min: 60, max: 86_400 }, false, "3600"),
            field("refreshTokenLifetime", Kind::Int { min: 0, max: 31_536_000 }, false, "2592000"),
            field("sessionLifetime", Kind::Int { min: 60, max: 2_592_000 }, false, "28800"),
            field("scopes", Kind::TextList { max_items: 50 }, false, "[\"openid\",\"profile\",\"email\"]"),
        ],
        check: None,
    },
    noun: "Identity provider",
    naming: Naming::Field("type"),
    max_items: 3,
    event: "E_IDENTITY_PROVIDER",
};

/// An identity provider outside keyhall that the community's users may sign in with (OpenID
/// Connect or SAML), its client secret sealed.
pub const EXTERNAL_IDPS: Collection = Collection {
    document: DocumentSchema {
        key: "external_idp",
        fields: &[
            field("name", Kind::Text { max: 128 }, true, "\"\""),
            field("type", Kind::OneOf(&["oidc", "saml"]), true, "\"oidc\""),
            field("enabled", Kind::Bool, false, "true"),
            field("logo", Kind::Image, false, "\"\""),
            field("clientId", Kind::Text { max: 256 }, false, "\"\""),
            field("clientSecret", Kind::Secret, false, ""),
            field("issuer", Kind::Url, false, "\"\""),
            field("discoveryUrl", Kind::Url, false, "\"\""),
            field("authorizationUrl", Kind::Url, false, "\"\""),
            field("tokenUrl", Kind::Url, false, "\"\""),
            field("userInfoUrl", Kind::Url, false, "\"\""),
            field("scopes", Kind::TextList { max_items: 50 }, false, "[\"openid\",\"email\",\"profile\"]"),
            field("entityId", Kind::Text { max: 1024 }, false, "\"\""),
            field("ssoUrl", Kind::Url, false, "\"\""),
            field("signingCert", Kind::Pem, false, "\"\""),
            field("attributeMapping", Kind::Json, false, "{}"),
            field("jitProvisioning", Kind::Bool, false, "false"),
        ],
        check: Some(external_idp_is_usable),
    },
    noun: "External IdP",
    naming: Naming::Field("name"),
    max_items: 50,
    event: "E_EXTERNAL_IDP",
};

/// An OpenID Connect provider says who the client is and where to find the provider; a SAML
/// one its entity, its sign-in URL and the certificate its assertions are signed with.
fn external_idp_is_usable(doc: &Map<String, Value>) -> Result<()> {
    let empty = |name: &str| doc[name].as_str().is_none_or(str::is_empty);
    let missing = |name: &'static str| Err(DomainError::new(ErrorCode::MissingParameter).field(name));
    if doc["type"] == "oidc" {
        if empty("clientId") {
            return missing("clientId");
        }
        if empty("issuer") && empty("discoveryUrl") && (empty("authorizationUrl") || empty("tokenUrl")) {
            return Err(DomainError::new(ErrorCode::MissingParameter)
                .field("issuer")
                .detail("is required (or discoveryUrl, or authorizationUrl and tokenUrl)"));
        }
    } else {
        for name in ["entityId", "ssoUrl", "signingCert"] {
            if empty(name) {
                return missing(name);
            }
        }
    }
    Ok(())
}

/// Images administrators upload (logos, backgrounds), served back by URL.
pub const IMAGES: Collection = Collection {
    document: DocumentSchema {
        key: "image",
        fields: &[
            field("contentType", Kind::OneOf(&["image/png", "image/jpeg", "image/gif", "image/webp"]), true, "\"image/png\""),
            field("fileName", Kind::Text { max: 256 }, false, "\"\""),
            field("data", Kind::Text { max: 2_000_000 }, true, "\"\""),
        ],
        check: None,
    },
    noun: "Image",
    naming: Naming::Id,
    max_items: 1_000,
    event: "E_IMAGE",
};

/// The image type of `bytes` by their first bytes (what a browser would sniff), if any keyhall
/// serves; SVG is not one (it may carry script).
pub fn image_type(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(&[0xff, 0xd8, 0xff]) {
        Some("image/jpeg")
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Some("image/gif")
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some("image/webp")
    } else {
        None
    }
}

const SAML_ATTRIBUTE: &[Field] = &[
    field("uuid", Kind::Text { max: 64 }, false, "\"\""),
    field("claim_name", Kind::Text { max: 256 }, true, "\"\""),
    field("attribute_name", Kind::Text { max: 256 }, true, "\"\""),
    field("attribute_type", Kind::OneOf(&["session", "ledger", "identity"]), false, "\"identity\""),
    field("value_type", Kind::OneOf(&["static", "null", "default"]), false, "\"default\""),
    field("value", Kind::Text { max: 1024 }, false, "\"\""),
];

/// An application that signs its users in through keyhall, by SAML or OpenID Connect.
pub const SERVICE_PROVIDERS: Collection = Collection {
    document: DocumentSchema {
        key: "service_provider",
        fields: &[
            field("name", Kind::Text { max: 128 }, true, "\"\""),
            field("environment", Kind::Text { max: 64 }, false, "\"\""),
            field("logo", Kind::Image, false, "\"\""),
            field("type", Kind::OneOf(&["saml", "oidc"]), true, "\"saml\""),
            field("forceReauthentication", Kind::Bool, false, "false"),
            field("hideBanner", Kind::Bool, false, "false"),
            field("hideMobileLinks", Kind::Bool, false, "false"),
            field("mobileAppLabel", Kind::Text { max: 128 }, false, "\"\""),
            field(
                "saml_config",
                Kind::Object(&[
                    field("idpInitiated", Kind::Bool, false, "false"),
                    field("accessUrl", Kind::Url, false, "\"\""),
                    field("entityId", Kind::Text { max: 1024 }, true, "\"\""),
                    field("assertionMethod", Kind::Text { max: 64 }, false, "\"post\""),
                    field("assertionConsumerServiceURL", Kind::Url, true, "\"\""),
                    field("logoutRequestSignRequired", Kind::Bool, false, "false"),
                    field("logoutResponseSignRequired", Kind::Bool, false, "false"),
                    field("authRequestSignRequired", Kind::Bool, false, "false"),
                    field("assertionSignRequired", Kind::Bool, false, "true"),
                    field("signingCert", Kind::Pem, false, "\"\""),
                    field("signingAlgo", Kind::OneOf(&["RSA_SHA256", "RSA_SHA1"]), false, "\"RSA_SHA256\""),
                    field("encryptAssertion", Kind::Bool, false, "false"),
                    field("encryptionCert", Kind::Pem, false, "\"\""),
                    field("encryptionAlgorithm", Kind::Text { max: 128 }, false, "\"\""),
                    field("keyTransportAlgorithm", Kind::Text { max: 128 }, false, "\"\""),
                    field(
                        "nameid",
                        Kind::Object(&[
                            field(
                                "format",
                                Kind::Text { max: 256 },
                                true,
                                "\"urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress\"",
                            ),
                            field("value", Kind::Text { max: 256 }, true, "\"email1\""),
                            field("attribute_type", Kind::OneOf(&["session", "ledger", "identity"]), true, "\"identity\""),
                        ]),
                        false,
                        "",
                    ),
                    field("relayState", Kind::Text { max: 1024 }, false, "\"\""),
                    field("attributes", Kind::ObjectList { fields: SAML_ATTRIBUTE, max_items: 100 }, false, "[]"),
                    field("metadata", Kind::Text { max: 262_144 }, false, "\"\""),
                ]),
                false,
                "",
            ),
            field(
                "oidc_config",
                Kind::Object(&[
                    field("client_id", Kind::Text { max: 128 }, false, "\"\""),
                    field("client_secret", Kind::Secret, false, ""),
                    field("grant_types", Kind::TextList { max_items: 4 }, false, "[\"authorization_code\"]"),
                    field("redirect_uris", Kind::TextList { max_items: 50 }, false, "[]"),
                    field("scope", Kind::TextList { max_items: 50 }, false, "[\"openid\"]"),
                    field("id_token_signed_response_alg", Kind::OneOf(&["RS256", "HS256"]), false, "\"RS256\""),
                ]),
                false,
                "",
            ),
            // A featured application (`PUT /serviceprovider/{type}`): its catalogue entry, the
            // customer's domain and the vendor account details, the secret ones sealed.
            field(
                "featured",
                Kind::Object(&[
                    field("type", Kind::Text { max: 64 }, true, "\"\""),
                    field("domain", Kind::Text { max: 253 }, true, "\"\""),
                    field("clientId", Kind::Text { max: 256 }, false, "\"\""),
                    field("clientSecret", Kind::Secret, false, ""),
                    field("apiToken", Kind::Secret, false, ""),
                    field("username", Kind::Text { max: 256 }, false, "\"\""),
                    field("password", Kind::Secret, false, ""),
                    field("securityToken", Kind::Secret, false, ""),
                    field("useExistingCOT", Kind::Bool, false, "false"),
                    field("COT", Kind::Text { max: 256 }, false, "\"\""),
                    field("hostedSP", Kind::Text { max: 256 }, false, "\"\""),
                ]),
                false,
                "",
            ),
        ],
        check: Some(service_provider_is_complete),
    },
    noun: "Service provider",
    naming: Naming::Field("name"),
    max_items: 500,
    event: "E_SERVICE_PROVIDER",
};

pub const GRANT_TYPES: &[&str] = &["authorization_code", "refresh_token", "client_credentials"];

/// A SAML provider has its `saml_config`; an OpenID Connect one its redirect URIs (https, or
/// http on the loopback interface for native apps) and known grant types.
fn service_provider_is_complete(doc: &Map<String, Value>) -> Result<()> {
    let missing = |name: &'static str| Err(DomainError::new(ErrorCode::MissingParameter).field(name));
    if doc["type"] == "saml" {
        if doc["saml_config"]["entityId"].as_str().is_none_or(str::is_empty) {
            return missing("saml_config");
        }
        return Ok(());
    }
    let oidc = &doc["oidc_config"];
    let uris: Vec<&str> =
        oidc["redirect_uris"].as_array().map(|a| a.iter().filter_map(Value::as_str).collect()).unwrap_or_default();
    if uris.is_empty() {
        return missing("oidc_config.redirect_uris");
    }
    let acceptable = |u: &&str| {
        u.starts_with("https://")
            || u.starts_with("http://127.0.0.1")
            || u.starts_with("http://localhost")
            || u.starts_with("http://[::1]")
    };
    if let Some(bad) = uris.iter().find(|u| !acceptable(u) || u.contains('#')) {
        return Err(DomainError::invalid(
            "oidc_config.redirect_uris",
            format!("must be https URLs without a fragment, not {bad}"),
        ));
    }
    let grants =
        oidc["grant_types"].as_array().map(|a| a.iter().filter_map(Value::as_str).collect::<Vec<_>>()).unwrap_or_default();
    if let Some(bad) = grants.iter().find(|g| !GRANT_TYPES.contains(g)) {
        return Err(DomainError::invalid(
            "oidc_config.grant_types",
            format!("may hold only {}; not {bad}", GRANT_TYPES.join(", ")),
        ));
    }
    Ok(())
}

/// A broker: the on-premises agent through which a directory module reaches its directory,
/// known by the `uid` it registered with, under its module.
pub const BROKERS: Collection = Collection {
    document: DocumentSchema {
        key: "broker",
        fields: &[
            field("uid", Kind::Text { max: 128 }, true, "\"\""),
            field("moduleId", Kind::Text { max: 64 }, true, "\"\""),
            field("name", Kind::Text { max: 128 }, true, "\"\""),
            field("enabled", Kind::Bool, false, "true"),
            field("hostname", Kind::Text { max: 255 }, false, "\"\""),
            field("version", Kind::Text { max: 64 }, false, "\"\""),
            field("status", Kind::OneOf(&["connected", "disconnected"]), false, "\"disconnected\""),
        ],
        check: None,
    },
    noun: "Broker",
    naming: Naming::Field("uid"),
    max_items: 100,
    event: "E_DIRECTORY_BROKER",
};

/// What a user granted a service provider (`adminx::scope_consents`): one item per user and
/// provider, named `<user id>:<provider id>`.
pub const SCOPE_GRANTS: Collection = Collection {
    document: DocumentSchema {
        key: "scope_grant",
        fields: &[
            field("key", Kind::Text { max: 128 }, true, "\"\""),
            field("scopes", Kind::TextList { max_items: 50 }, true, "[]"),
        ],
        check: None,
    },
    noun: "Consent",
    naming: Naming::Field("key"),
    max_items: 1_000_000,
    event: "E_SCOPE_CONSENT",
};
