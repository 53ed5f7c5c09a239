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
