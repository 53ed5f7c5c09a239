//! The kinds of items a community keeps in collections, field by field.

use serde_json::{Map, Value};

use super::collections::Collection;
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
    name_field: Some("tag"),
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
    name_field: Some("journeyName"),
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
    name_field: Some("name"),
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
        ],
        check: None,
    },
    noun: "RADIUS configuration",
    name_field: Some("uid"),
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
    name_field: Some("uid"),
    max_items: 100,
    event: "E_AUTHPROXY_CONFIG",
};
