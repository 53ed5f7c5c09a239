//! Community configuration documents described as data: each document is a list of fields
//! with a kind, whether a write must carry it, and its default. One reader and one writer
//! serve every document (login settings, branding, IdP keys…): a read is the defaults with
//! what was stored laid over them, secrets left out; a write checks each field it carries,
//! keeps the stored value of each it leaves out, seals secrets, and lands on the revision it
//! read, reading again and re-applying its fields when another writer came in between, so
//! that two administrators changing different fields both keep their change.

use serde_json::{Map, Value};

use super::{Adminx, Scope, SignedInCaller};
use crate::error::{DomainError, ErrorCode, Result};

/// What a field holds, and so what a write may put in it.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    /// `true`/`false`, also as the text `"true"`/`"false"` (the vendor's examples write both).
    Bool,
    Text {
        max: usize,
    },
    Int {
        min: i64,
        max: i64,
    },
    OneOf(&'static [&'static str]),
    TextList {
        max_items: usize,
    },
    /// `#rgb`, `#rrggbb` or `#rrggbbaa`.
    Color,
    /// An image as base64 (or a `data:` URL), or an https URL; at most 2 MB of text.
    Image,
    /// An http(s) URL.
    Url,
    /// PEM text (`-----BEGIN …`).
    Pem,
    Object(&'static [Field]),
    /// An array of objects of these fields (each written whole), at most `max_items`.
    ObjectList {
        fields: &'static [Field],
        max_items: usize,
    },
    /// Text kept sealed under the master key and never read back.
    Secret,
    /// Any JSON object, kept as given.
    Json,
}

#[derive(Debug, Clone, Copy)]
pub struct Field {
    pub name: &'static str,
    pub kind: Kind,
    pub required: bool,
    /// The default as JSON text (objects take their fields' defaults).
    pub default: &'static str,
}

/// A rule over a whole document (as a reader would see it after the write).
pub type WholeCheck = fn(&Map<String, Value>) -> Result<()>;

/// One configuration document: its storage key and fields, and a check over the whole
/// (fields that depend on each other).
#[derive(Debug)]
pub struct DocumentSchema {
    pub key: &'static str,
    pub fields: &'static [Field],
    pub check: Option<WholeCheck>,
}

const IMAGE_MAX: usize = 2 * 1024 * 1024;
const SEALED_PURPOSE: &str = "adminx.document_secret";
/// The event every change of a configuration document is audited as.
pub const CONFIG_EVENT: &str = "E_CONFIG_MODIFIED";

fn invalid(path: &str, rule: &str) -> DomainError {
    DomainError::new(ErrorCode::InvalidParameter).field(path.to_string()).detail(rule.to_string())
}

fn join(prefix: &str, name: &str) -> String {
    if prefix.is_empty() { name.to_string() } else { format!("{prefix}.{name}") }
}

fn defaults_of(fields: &[Field]) -> Map<String, Value> {
    fields
        .iter()
        .filter(|f| !matches!(f.kind, Kind::Secret))
        .map(|f| {
            let value = match f.kind {
                Kind::Object(inner) => Value::Object(defaults_of(inner)),
                _ => serde_json::from_str(f.default).unwrap_or(Value::Null),
            };
            (f.name.to_string(), value)
        })
        .collect()
}

fn is_hex_color(s: &str) -> bool {
    s.strip_prefix('#').is_some_and(|h| [3, 6, 8].contains(&h.len()) && h.chars().all(|c| c.is_ascii_hexdigit()))
}

fn is_url(s: &str) -> bool {
    (s.starts_with("https://") || s.starts_with("http://")) && s.len() <= 2048 && !s.chars().any(char::is_whitespace)
}

fn is_base64_image(s: &str) -> bool {
    let body = match s.strip_prefix("data:") {
        Some(rest) => match rest.split_once(";base64,") {
            Some((mime, body)) if mime.starts_with("image/") => body,
            _ => return false,
        },
        None => s,
    };
    !body.is_empty()
        && body.len() % 4 == 0
        && body.trim_end_matches('=').bytes().all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/')
}

impl DocumentSchema {
    /// The document as nothing was ever stored.
    pub fn defaults(&self) -> Value {
        Value::Object(defaults_of(self.fields))
    }

    /// What a reader sees of `stored`: the defaults, the stored values over them, no secret.
    pub fn view(&self, stored: Option<&Value>) -> Value {
        Value::Object(view_of(self.fields, stored.and_then(Value::as_object)))
    }

    /// `stored` with the fields `input` carries laid over it, each checked (`seal` seals
    /// secrets). A required field `input` lacks is an error, so is a value of the wrong kind.
    pub fn apply(&self, stored: Option<&Value>, input: &Value, seal: &dyn Fn(&str) -> String) -> Result<Value> {
        self.merge(stored, input, seal, Required::InInput)
    }

    /// `apply` for a change of some fields (a `PATCH`): a required field `input` leaves out
    /// may stand as stored.
    pub fn patch(&self, stored: &Value, input: &Value, seal: &dyn Fn(&str) -> String) -> Result<Value> {
        self.merge(Some(stored), input, seal, Required::InResult)
    }

    fn merge(&self, stored: Option<&Value>, input: &Value, seal: &dyn Fn(&str) -> String, required: Required) -> Result<Value> {
        let empty = Map::new();
        let input = input.as_object().unwrap_or(&empty);
        let merged = apply_fields(self.fields, stored.and_then(Value::as_object), input, "", seal, required)?;
        if let Some(check) = self.check {
            check(&view_of(self.fields, Some(&merged)))?;
        }
        Ok(Value::Object(merged))
    }
}

fn view_of(fields: &[Field], stored: Option<&Map<String, Value>>) -> Map<String, Value> {
    let mut out = Map::new();
    for f in fields {
        let kept = stored.and_then(|s| s.get(f.name)).filter(|v| !v.is_null());
        let value = match f.kind {
            Kind::Secret => continue,
            Kind::Object(inner) => Value::Object(view_of(inner, kept.and_then(Value::as_object))),
            _ => match kept {
                Some(v) => v.clone(),
                None => serde_json::from_str(f.default).unwrap_or(Value::Null),
            },
        };
        out.insert(f.name.to_string(), value);
    }
    out
}

/// Where a required field must be: in the input (a write of the whole), or in the result.
#[derive(Clone, Copy, PartialEq)]
enum Required {
    InInput,
    InResult,
}

fn apply_fields(
    fields: &[Field],
    stored: Option<&Map<String, Value>>,
    input: &Map<String, Value>,
    prefix: &str,
    seal: &dyn Fn(&str) -> String,
    required: Required,
) -> Result<Map<String, Value>> {
    let mut out = stored.cloned().unwrap_or_default();
    for f in fields {
        let path = join(prefix, f.name);
        let given = input.get(f.name).filter(|v| !v.is_null());
        let Some(value) = given else {
            let kept = required == Required::InResult && out.get(f.name).is_some_and(|v| !v.is_null());
            if f.required && !kept {
                return Err(DomainError::new(ErrorCode::MissingParameter).field(path));
            }
            continue;
        };
        let checked = match f.kind {
            Kind::Object(inner) => {
                let object = value.as_object().ok_or_else(|| invalid(&path, "must be an object"))?;
                let current = stored.and_then(|s| s.get(f.name)).and_then(Value::as_object);
                Value::Object(apply_fields(inner, current, object, &path, seal, required)?)
            }
            Kind::ObjectList { fields: inner, max_items } => {
                let items = value.as_array().ok_or_else(|| invalid(&path, "must be an array of objects"))?;
                if items.len() > max_items {
                    return Err(invalid(&path, &format!("must hold at most {max_items} items")));
                }
                let checked = items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| {
                        let at = format!("{path}[{i}]");
                        let object = item.as_object().ok_or_else(|| invalid(&at, "must be an object"))?;
                        let whole = apply_fields(inner, None, object, &at, seal, Required::InInput)?;
                        Ok(Value::Object(view_of(inner, Some(&whole))))
                    })
                    .collect::<Result<Vec<_>>>()?;
                Value::Array(checked)
            }
            Kind::Secret => {
                let text = value.as_str().ok_or_else(|| invalid(&path, "must be a string"))?;
                if text.len() > 16 * 1024 {
                    return Err(invalid(&path, "is too long"));
                }
                Value::String(seal(text))
            }
            kind => check_value(kind, value, &path)?,
        };
        out.insert(f.name.to_string(), checked);
    }
    Ok(out)
}

/// `value` as it is stored for a field of `kind`, or why it cannot be.
fn check_value(kind: Kind, value: &Value, path: &str) -> Result<Value> {
    let text = || value.as_str().ok_or_else(|| invalid(path, "must be a string"));
    Ok(match kind {
        Kind::Bool => match value {
            Value::Bool(b) => Value::Bool(*b),
            Value::String(s) if s == "true" || s == "false" => Value::Bool(s == "true"),
            _ => return Err(invalid(path, "must be a boolean")),
        },
        Kind::Text { max } => {
            let t = text()?;
            if t.chars().count() > max {
                return Err(invalid(path, &format!("must be at most {max} characters")));
            }
            Value::String(t.to_string())
        }
        Kind::Int { min, max } => {
            let n = value
                .as_i64()
                .or_else(|| value.as_str().and_then(|s| s.trim().parse().ok()))
                .filter(|n| (min..=max).contains(n))
                .ok_or_else(|| invalid(path, &format!("must be a number from {min} to {max}")))?;
            Value::from(n)
        }
        Kind::OneOf(choices) => {
            let t = text()?;
            if !choices.contains(&t) {
                return Err(invalid(path, &format!("must be one of {}", choices.join(", "))));
            }
            Value::String(t.to_string())
        }
        Kind::TextList { max_items } => {
            let items = value.as_array().ok_or_else(|| invalid(path, "must be an array of strings"))?;
            if items.len() > max_items || !items.iter().all(|i| i.as_str().is_some_and(|s| !s.is_empty() && s.len() <= 256)) {
                return Err(invalid(path, &format!("must be an array of at most {max_items} non-empty strings")));
            }
            value.clone()
        }
        Kind::Color => {
            let t = text()?;
            if !is_hex_color(t) {
                return Err(invalid(path, "must be a hex colour such as #1a2b3c"));
            }
            Value::String(t.to_string())
        }
        Kind::Image => {
            let t = text()?;
            if t.len() > IMAGE_MAX || !(is_url(t) || is_base64_image(t)) {
                return Err(invalid(path, "must be a base64 image (at most 2 MB) or an http(s) URL"));
            }
            Value::String(t.to_string())
        }
        Kind::Url => {
            let t = text()?;
            if !(t.is_empty() || is_url(t)) {
                return Err(invalid(path, "must be an http(s) URL"));
            }
            Value::String(t.to_string())
        }
        Kind::Pem => {
            let t = text()?;
            if t.len() > 64 * 1024 || !t.trim_start().starts_with("-----BEGIN ") {
                return Err(invalid(path, "must be PEM text"));
            }
            Value::String(t.to_string())
        }
        Kind::Json => {
            if !value.is_object() || value.to_string().len() > 64 * 1024 {
                return Err(invalid(path, "must be an object"));
            }
            value.clone()
        }
        Kind::Object(_) | Kind::ObjectList { .. } | Kind::Secret => unreachable!("handled by apply_fields"),
    })
}

/// How many times a write re-reads and re-applies its fields when other writers keep landing
/// first before it gives up with `config.stale_revision`.
const WRITE_ATTEMPTS: usize = 5;

impl Adminx<'_> {
    /// A community's configuration document `key` as stored (`None` when never written).
    pub(crate) async fn stored_config(self, scope: Scope, key: &'static str) -> Result<Option<Value>> {
        Ok(self.cached_document(scope, key).await?.as_ref().as_ref().map(|doc| doc.body.clone()))
    }

    /// A community's document as stored, read through the configuration cache (for reads only).
    pub(crate) async fn cached_document(
        self,
        scope: Scope,
        key: &'static str,
    ) -> Result<std::sync::Arc<Option<crate::ports::ConfigDocument>>> {
        self.core.tenancy().cached_config(scope.tenant, scope.community, key).await
    }

    /// What a reader sees of a community's document.
    pub async fn document(self, scope: Scope, schema: &DocumentSchema) -> Result<Value> {
        Ok(schema.view(self.cached_document(scope, schema.key).await?.as_ref().as_ref().map(|doc| &doc.body)))
    }

    /// Seals a secret field's text (`DocumentSchema::apply` takes this).
    pub(crate) fn seal_secret(self, text: &str) -> String {
        self.core.keys.seal_str(SEALED_PURPOSE, text)
    }

    /// A secret field of a document, unsealed, for the code that uses it (never for a reply).
    pub fn unseal_document_secret(self, sealed: &Value) -> Option<String> {
        self.core.keys.unseal_string(SEALED_PURPOSE, sealed.as_str()?).ok()
    }

    /// Writes the fields `input` carries into a community's document (administrators), and
    /// returns what a reader now sees.
    pub async fn put_document(
        self,
        caller: &SignedInCaller,
        scope: Scope,
        schema: &DocumentSchema,
        input: &Value,
    ) -> Result<Value> {
        let seal = |text: &str| self.seal_secret(text);
        let merged = self.rewrite_config(caller, scope, schema.key, |stored| schema.apply(stored, input, &seal)).await?;
        Ok(schema.view(Some(&merged)))
    }

    /// Replaces a community's configuration document `key` with what `change` makes of the
    /// stored one (administrators), over the revision read; when another writer landed first
    /// it reads again and applies `change` to theirs, so that neither write is lost. Returns
    /// what was stored.
    pub(crate) async fn rewrite_config(
        self,
        caller: &SignedInCaller,
        scope: Scope,
        key: &str,
        change: impl Fn(Option<&Value>) -> Result<Value>,
    ) -> Result<Value> {
        caller.require_admin()?;
        let mut attempt = 0;
        loop {
            let (stored, revision) = match self.core.store.get_config(scope.tenant, scope.community, key).await? {
                Some(doc) => (Some(doc.body), doc.revision),
                None => (None, 0),
            };
            let changed = change(stored.as_ref())?;
            let tenancy = self.core.tenancy();
            match tenancy.put_config_as(&caller.caller, scope.community, key, &changed, revision, CONFIG_EVENT).await {
                Ok(_) => return Ok(changed),
                Err(e) if e.code == ErrorCode::ConfigRevisionStale && attempt + 1 < WRITE_ATTEMPTS => attempt += 1,
                Err(e) => return Err(e),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const INNER: &[Field] = &[
        Field { name: "enabled", kind: Kind::Bool, required: false, default: "false" },
        Field { name: "password", kind: Kind::Secret, required: false, default: "" },
    ];
    const SCHEMA: DocumentSchema = DocumentSchema {
        key: "test",
        fields: &[
            Field { name: "on", kind: Kind::Bool, required: true, default: "false" },
            Field { name: "size", kind: Kind::Int { min: 1, max: 9 }, required: false, default: "3" },
            Field { name: "inner", kind: Kind::Object(INNER), required: false, default: "" },
        ],
        check: None,
    };

    fn seal(text: &str) -> String {
        format!("sealed:{}", text.len())
    }

    #[test]
    fn a_read_is_the_defaults_under_what_was_stored_without_secrets() {
        assert_eq!(SCHEMA.view(None), json!({ "on": false, "size": 3, "inner": { "enabled": false } }));
        let stored = json!({ "on": true, "inner": { "password": "sealed:6" } });
        assert_eq!(SCHEMA.view(Some(&stored)), json!({ "on": true, "size": 3, "inner": { "enabled": false } }));
    }

    #[test]
    fn a_write_keeps_what_it_leaves_out_and_seals_secrets() {
        let stored = json!({ "on": true, "size": 7, "inner": { "enabled": true, "password": "sealed:1" } });
        let merged = SCHEMA.apply(Some(&stored), &json!({ "on": "false", "inner": { "password": "hunter2" } }), &seal).unwrap();
        assert_eq!(merged, json!({ "on": false, "size": 7, "inner": { "enabled": true, "password": "sealed:7" } }));
    }

    #[test]
    fn a_patch_may_leave_out_a_required_field_that_is_stored() {
        let stored = json!({ "on": true, "size": 4 });
        assert_eq!(SCHEMA.patch(&stored, &json!({ "size": 5 }), &seal).unwrap(), json!({ "on": true, "size": 5 }));
        let e = SCHEMA.patch(&json!({}), &json!({ "size": 5 }), &seal).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("on"));
    }

    #[test]
    fn a_write_names_the_field_it_lacks_or_cannot_take() {
        let e = SCHEMA.apply(None, &json!({ "size": 2 }), &seal).unwrap_err();
        assert_eq!((e.code, e.field.as_deref()), (ErrorCode::MissingParameter, Some("on")));
        let e = SCHEMA.apply(None, &json!({ "on": true, "size": 10 }), &seal).unwrap_err();
        assert_eq!((e.code, e.field.as_deref()), (ErrorCode::InvalidParameter, Some("size")));
        let e = SCHEMA.apply(None, &json!({ "on": true, "inner": { "enabled": "yes" } }), &seal).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("inner.enabled"));
    }

    #[test]
    fn colours_images_and_urls_are_what_they_say() {
        assert!(is_hex_color("#fff") && is_hex_color("#A1b2C3") && is_hex_color("#11223344"));
        assert!(!is_hex_color("blue") && !is_hex_color("#12345") && !is_hex_color("123456"));
        assert!(is_base64_image("iVBORw0KGgo=") && is_base64_image("data:image/png;base64,iVBORw0KGgo="));
        assert!(!is_base64_image("data:text/html;base64,PGgxPg==") && !is_base64_image("not an image!"));
        assert!(is_url("https://example.com/x") && !is_url("javascript:alert(1)") && !is_url("https://a b"));
    }
}
