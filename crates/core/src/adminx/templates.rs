//! Message templates of a community (`/config/template`): by purpose, channel and id,
//! `{name, subject, data, isDefault}`. The community's mail and texts are made from them: the
//! default template of a purpose and channel (or its only one), its `{{placeholders}}` filled
//! in; keyhall's own wording where the community has none.
//!
//! Purposes keyhall sends: `invite`, `password_reset`, `otp` (the sign-in code) and
//! `self_onboarding` (the sign-up confirmation).

use serde_json::{Map, Value, json};

use super::{Adminx, Scope, SignedInCaller};
use crate::error::{DomainError, ErrorCode, Result};

/// The configuration key the templates are kept under.
pub const TEMPLATES: &str = "templates";
pub const CHANNELS: &[&str] = &["email", "sms", "voice"];
const MAX_DATA: usize = 100_000;

fn invalid(path: &str, rule: &str) -> DomainError {
    DomainError::new(ErrorCode::InvalidParameter).field(path.to_string()).detail(rule.to_string())
}

fn is_key(text: &str) -> bool {
    (1..=64).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// One template checked: `name` and `data` always, `subject` for e-mail.
fn checked_template(path: &str, channel: &str, given: &Value) -> Result<Value> {
    let t = given.as_object().ok_or_else(|| invalid(path, "must be an object"))?;
    let text = |name: &str, max: usize, required: bool| -> Result<Option<String>> {
        match t.get(name) {
            None | Some(Value::Null) if required => {
                Err(DomainError::new(ErrorCode::MissingParameter).field(format!("{path}.{name}")))
            }
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if s.chars().count() <= max => Ok(Some(s.clone())),
            Some(_) => Err(invalid(&format!("{path}.{name}"), &format!("must be a string of at most {max} characters"))),
        }
    };
    let name = text("name", 256, true)?.unwrap_or_default();
    let subject = text("subject", 998, channel == "email")?;
    let data = text("data", MAX_DATA, true)?.unwrap_or_default();
    let is_default = match t.get("isDefault") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) if s == "true" || s == "false" => s == "true",
        Some(_) => return Err(invalid(&format!("{path}.isDefault"), "must be a boolean")),
    };
    let mut out = json!({ "name": name, "data": data, "isDefault": is_default });
    if let Some(subject) = subject {
        out["subject"] = json!(subject);
    }
    Ok(out)
}

/// `stored` with `input` (`templateData`) laid over it, template by template. A template made
/// the default of its purpose and channel takes that from the others.
pub fn merge(stored: &Value, input: &Value) -> Result<Value> {
    let input = input.as_object().ok_or_else(|| invalid("templateData", "must be an object"))?;
    let mut out = stored.as_object().cloned().unwrap_or_default();
    for (purpose, channels) in input {
        if !is_key(purpose) {
            return Err(invalid(&format!("templateData.{purpose}"), "must be a purpose name (letters, digits, _ and -)"));
        }
        let channels =
            channels.as_object().ok_or_else(|| invalid(&format!("templateData.{purpose}"), "must be an object of channels"))?;
        let kept = out.entry(purpose.clone()).or_insert_with(|| json!({}));
        for (channel, templates) in channels {
            let path = format!("templateData.{purpose}.{channel}");
            if !CHANNELS.contains(&channel.as_str()) {
                return Err(invalid(&path, &format!("must be one of {}", CHANNELS.join(", "))));
            }
            let templates = templates.as_object().ok_or_else(|| invalid(&path, "must be an object of templates by id"))?;
            let slot = kept.as_object_mut().expect("an object").entry(channel.clone()).or_insert_with(|| json!({}));
            for (id, template) in templates {
                if !is_key(id) {
                    return Err(invalid(&format!("{path}.{id}"), "must be a template id (letters, digits, _ and -)"));
                }
                let template = checked_template(&format!("{path}.{id}"), channel, template)?;
                let slot = slot.as_object_mut().expect("an object");
                if template["isDefault"] == Value::Bool(true) {
                    for other in slot.values_mut() {
                        other["isDefault"] = json!(false);
                    }
                }
                slot.insert(id.clone(), template);
            }
        }
    }
    Ok(Value::Object(out))
}

/// `stored` without what `key_paths` name (`purpose`, `purpose.channel` or
/// `purpose.channel.id`); paths that name nothing change nothing.
pub fn remove(stored: &Value, key_paths: &[String]) -> Value {
    let mut out = stored.clone();
    for path in key_paths {
        let segments: Vec<&str> = path.split('.').collect();
        let Some((last, parents)) = segments.split_last() else { continue };
        let pointer: String = parents.iter().map(|p| format!("/{}", p.replace('~', "~0").replace('/', "~1"))).collect();
        if let Some(object) = out.pointer_mut(&pointer).and_then(Value::as_object_mut) {
            object.remove(*last);
        }
    }
    out
}

/// Fills `{{name}}` placeholders (spaces inside the braces allowed); others stay as written.
pub fn fill(text: &str, values: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        match after.find("}}") {
            Some(end) => {
                let name = after[..end].trim();
                match values.iter().find(|(k, _)| *k == name) {
                    Some((_, v)) => out.push_str(v),
                    None => out.push_str(&rest[start..start + 2 + end + 2]),
                }
                rest = &after[end + 2..];
            }
            None => {
                out.push_str(&rest[start..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// A message as a community's template words it: `(subject, body)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Wording {
    pub subject: String,
    pub body: String,
}

impl Adminx<'_> {
    async fn stored_templates(self, scope: Scope) -> Result<Value> {
        Ok(self.stored_config(scope, TEMPLATES).await?.unwrap_or_else(|| json!({})))
    }

    /// The community's templates, of the `purposes` named (all when `None`).
    pub async fn templates(self, scope: Scope, purposes: Option<&[String]>) -> Result<Value> {
        Ok(match (purposes, self.stored_templates(scope).await?) {
            (Some(wanted), Value::Object(all)) => {
                Value::Object(all.into_iter().filter(|(p, _)| wanted.contains(p)).collect::<Map<_, _>>())
            }
            (_, all) => all,
        })
    }

    /// Lays `template_data` over the stored templates, or takes `key_paths` out of them
    /// (administrators); re-applied over another writer's change. Answers the templates.
    pub async fn change_templates(self, caller: &SignedInCaller, scope: Scope, change: TemplateChange<'_>) -> Result<Value> {
        let empty = json!({});
        self.rewrite_config(caller, scope, TEMPLATES, |stored| {
            let stored = stored.unwrap_or(&empty);
            match &change {
                TemplateChange::Put(data) => merge(stored, data),
                TemplateChange::Remove(paths) => Ok(remove(stored, paths)),
            }
        })
        .await
    }

    /// The community's wording of a `purpose` on a `channel`, filled with `values`; `fallback`
    /// (keyhall's own wording, filled the same way) when it has no template for it.
    pub async fn wording(
        self,
        scope: Scope,
        purpose: &str,
        channel: &str,
        values: &[(&str, &str)],
        fallback: Wording,
    ) -> Result<Wording> {
        let stored = self.stored_templates(scope).await?;
        let chosen = stored.get(purpose).and_then(|p| p.get(channel)).and_then(Value::as_object).and_then(|templates| {
            templates.values().find(|t| t["isDefault"] == Value::Bool(true)).or_else(|| {
                let mut all = templates.values();
                match (all.next(), all.next()) {
                    (Some(only), None) => Some(only),
                    _ => None,
                }
            })
        });
        let (subject, body) = match chosen {
            Some(t) => (
                t["subject"].as_str().map(str::to_string).unwrap_or(fallback.subject),
                t["data"].as_str().unwrap_or_default().to_string(),
            ),
            None => (fallback.subject, fallback.body),
        };
        Ok(Wording { subject: fill(&subject, values), body: fill(&body, values) })
    }
}

/// What `/config/template` changes.
pub enum TemplateChange<'a> {
    Put(&'a Value),
    Remove(&'a [String]),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_filled_and_unknown_ones_left() {
        let values = [("code", "123456"), ("firstname", "Ada")];
        assert_eq!(fill("Hi {{ firstname }}, {{code}} {{nope}} {{", &values), "Hi Ada, 123456 {{nope}} {{");
    }

    #[test]
    fn a_new_default_takes_it_from_the_others_and_paths_remove() {
        let one = json!({ "otp": { "email": { "a": { "name": "A", "subject": "S", "data": "D", "isDefault": true } } } });
        let merged = merge(&json!({}), &one).unwrap();
        let two = json!({ "otp": { "email": { "b": { "name": "B", "subject": "S", "data": "E", "isDefault": "true" } } } });
        let merged = merge(&merged, &two).unwrap();
        assert_eq!(merged["otp"]["email"]["a"]["isDefault"], false);
        assert_eq!(merged["otp"]["email"]["b"]["isDefault"], true);
        let left = remove(&merged, &["otp.email.a".into(), "nothing.here".into()]);
        assert!(left["otp"]["email"].get("a").is_none() && left["otp"]["email"].get("b").is_some());
        let e = merge(&json!({}), &json!({ "otp": { "email": { "a": { "name": "A", "data": "D" } } } })).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("templateData.otp.email.a.subject"));
        assert!(merge(&json!({}), &json!({ "otp": { "fax": {} } })).is_err());
    }
}
