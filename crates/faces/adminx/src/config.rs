//! Community configuration kept as versioned documents: the environment's session length,
//! the self-registration switch, the default auth scheme, user attribute mappings, and
//! consents (with the history of every version, each known by its content address).

use axum::extract::{Path, Query, State as AxumState};
use axum::response::{IntoResponse, Response};
use keyhall_core::adminx::{SignedInCaller, parse_module_id};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::State;
use crate::envelope::Call;
use crate::errors::{AdminxError, Result};
use crate::fields::{flag, required};

/// Reads a document of the caller's community, changes it, writes it over the revision read
/// (`config.stale_revision`, a 409, when someone wrote in between).
async fn edit<T, R>(state: &State, caller: &SignedInCaller, key: &str, change: impl FnOnce(&mut T) -> Result<R>) -> Result<(T, R)>
where
    T: Serialize + serde::de::DeserializeOwned + Default,
{
    let tenancy = state.core.tenancy();
    let community = caller.member.community_id;
    let mut doc = tenancy.config::<T>(&caller.caller, community, key).await?;
    let out = change(&mut doc.value)?;
    tenancy.put_config(&caller.caller, community, key, &doc.value, doc.revision).await?;
    Ok((doc.value, out))
}

async fn read<T: serde::de::DeserializeOwned + Default>(state: &State, caller: &SignedInCaller, key: &str) -> Result<T> {
    Ok(state.core.tenancy().config::<T>(&caller.caller, caller.member.community_id, key).await?.value)
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Environment {
    #[serde(rename = "sessionMaxAgeMinute", skip_serializing_if = "Option::is_none")]
    session_max_age_minute: Option<i64>,
}

/// `PATCH /environment` (community administrators): the community's session length.
pub async fn patch_environment(AxumState(state): AxumState<State>, call: Call) -> Result<Response> {
    let caller = state.signed_in(&call).await?;
    caller.require_admin()?;
    let value = call.body.get("sessionMaxAgeMinute").or_else(|| call.body.get("sessionMaxAgeMinutes"));
    let minutes = match value {
        None | Some(Value::Null) => return Err(AdminxError::missing("sessionMaxAgeMinute")),
        Some(v) => v
            .as_i64()
            .filter(|m| (1..=1440).contains(m))
            .ok_or_else(|| AdminxError::bad_request("\"sessionMaxAgeMinute\" must be 1 to 1440"))?,
    };
    let (env, ()) = edit(&state, &caller, keyhall_core::adminx::tokens::ENVIRONMENT, |e: &mut Environment| {
        e.session_max_age_minute = Some(minutes);
        Ok(())
    })
    .await?;
    Ok(call.reply(&json!({ "sessionMaxAgeMinute": env.session_max_age_minute })))
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct SelfRegistration {
    allowed: bool,
}

pub async fn fetch_self_registration(AxumState(state): AxumState<State>, call: Call) -> Result<Response> {
    let caller = state.signed_in(&call).await?;
    caller.require_admin()?;
    crate::users::body_scope(&caller, &call.body)?;
    let doc: SelfRegistration = read(&state, &caller, keyhall_core::adminx::registration::COMMUNITY_SWITCH).await?;
    Ok(call.reply(&json!({ "allowed": doc.allowed })))
}

pub async fn put_self_registration(AxumState(state): AxumState<State>, call: Call) -> Result<Response> {
    let caller = state.signed_in(&call).await?;
    caller.require_admin()?;
    crate::users::body_scope(&caller, &call.body)?;
    let allowed =
        flag(call.body.get("allowed").unwrap_or(&Value::Null), "allowed")?.ok_or_else(|| AdminxError::missing("allowed"))?;
    let (doc, ()) = edit(&state, &caller, keyhall_core::adminx::registration::COMMUNITY_SWITCH, |d: &mut SelfRegistration| {
        d.allowed = allowed;
        Ok(())
    })
    .await?;
    Ok(call.reply(&json!({ "allowed": doc.allowed })))
}

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct AuthScheme {
    /// The modules sign-in offers besides the default `db` one, in order.
    pub modules: Vec<String>,
}

/// The default auth scheme: the `db` module and the modules chosen for it (all enabled ones
/// until a choice is stored).
pub async fn scheme_json(state: &State, scope: keyhall_core::adminx::Scope, chosen: Option<&[String]>) -> Result<Value> {
    let modules = state.core.adminx().auth_modules(scope).await?;
    let entry = |m: &keyhall_core::adminx::AuthModule| json!({ "_id": m.id.to_string(), "id": m.id.to_string(), "type": m.kind.as_str(), "method": "authn", "name": m.name, "criteria": "username" });
    let db = modules.iter().find(|m| m.is_default).map(entry);
    let listed: Vec<Value> = match chosen {
        Some(ids) => ids.iter().filter_map(|id| modules.iter().find(|m| m.id.to_string() == *id)).map(entry).collect(),
        None => modules.iter().filter(|m| m.enabled).map(entry).collect(),
    };
    Ok(
        json!({ "_id": format!("{}-default", scope.community), "tag": "default", "enabled": true, "isDefault": true, "dbModule": db, "modules": listed }),
    )
}

/// `PATCH /authscheme/default/modules`: which modules the default scheme offers.
pub async fn patch_auth_scheme(AxumState(state): AxumState<State>, call: Call) -> Result<Response> {
    let caller = state.signed_in(&call).await?;
    caller.require_admin()?;
    if call.body.get("tenantId").is_some() || call.body.get("communityId").is_some() {
        crate::users::body_scope(&caller, &call.body)?;
    }
    let ids: Vec<String> = match call.body.get("modules") {
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| v.as_str().or_else(|| v.get("_id").and_then(Value::as_str)).map(str::to_string))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| AdminxError::bad_request("\"modules\" must be a list of module ids"))?,
        None | Some(Value::Null) => return Err(AdminxError::missing("modules")),
        Some(_) => return Err(AdminxError::bad_request("\"modules\" must be a list of module ids")),
    };
    let scope = caller.scope();
    for id in &ids {
        state.core.adminx().auth_module(scope, parse_module_id(id)?).await?;
    }
    edit(&state, &caller, "auth_scheme", |s: &mut AuthScheme| {
        s.modules = ids.clone();
        Ok(())
    })
    .await?;
    Ok(call.reply(&scheme_json(&state, scope, Some(&ids)).await?))
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Attributes {
    items: Vec<Attribute>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Attribute {
    #[serde(rename = "_id")]
    id: String,
    name: String,
    attribute: String,
    #[serde(rename = "moduleId")]
    module_id: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ModuleParam {
    module_id: Option<String>,
}

/// `GET /attributes?moduleId=…`: the module's directory-attribute mappings.
pub async fn list_attributes(AxumState(state): AxumState<State>, Query(q): Query<ModuleParam>, call: Call) -> Result<Response> {
    let caller = state.signed_in(&call).await?;
    caller.require_admin()?;
    let module = state.core.adminx().auth_module(caller.scope(), parse_module_id(required(&q.module_id, "moduleId")?)?).await?;
    let doc: Attributes = read(&state, &caller, "attributes").await?;
    let list: Vec<&Attribute> = doc.items.iter().filter(|a| a.module_id == module.id.to_string()).collect();
    Ok(call.reply(&json!(list)))
}

fn checked(field: &str, value: Option<&Value>) -> Result<String> {
    let text =
        value.and_then(Value::as_str).map(str::trim).filter(|t| !t.is_empty()).ok_or_else(|| AdminxError::missing(field))?;
    if text.len() > 128 || !text.chars().all(|c| c.is_ascii_alphanumeric() || "_-.;".contains(c)) {
        return Err(AdminxError::bad_request(format!("\"{field}\" must be 1-128 letters, digits or _-.;")));
    }
    Ok(text.to_string())
}

/// `PUT /attributes`: new mappings; each is created or reported in `errors` (a name the
/// module maps already).
pub async fn create_attributes(AxumState(state): AxumState<State>, call: Call) -> Result<Response> {
    let caller = state.signed_in(&call).await?;
    caller.require_admin()?;
    let module_id = required(&call.body.get("moduleId").and_then(Value::as_str).map(str::to_string), "moduleId")?.to_string();
    let module = state.core.adminx().auth_module(caller.scope(), parse_module_id(&module_id)?).await?.id.to_string();
    let wanted = call.body.get("attributes").and_then(Value::as_array).ok_or_else(|| AdminxError::missing("attributes"))?;
    let mut parsed = Vec::new();
    for a in wanted {
        parsed.push((checked("name", a.get("name"))?, checked("attribute", a.get("attribute"))?));
    }
    let (_, (created, errors)) = edit(&state, &caller, "attributes", |doc: &mut Attributes| {
        let (mut created, mut errors) = (Vec::new(), Vec::new());
        for (name, attribute) in parsed {
            if doc.items.iter().any(|a| a.module_id == module && a.name.eq_ignore_ascii_case(&name)) {
                errors.push(json!({ "name": name, "message": "the module maps this name already" }));
                continue;
            }
            let item = Attribute { id: uuid::Uuid::now_v7().to_string(), name, attribute, module_id: module.clone() };
            doc.items.push(item.clone());
            created.push(item);
        }
        Ok((created, errors))
    })
    .await?;
    Ok(call.reply(&json!({ "created": created, "errors": errors })))
}

pub async fn update_attribute(AxumState(state): AxumState<State>, Path(id): Path<String>, call: Call) -> Result<Response> {
    let caller = state.signed_in(&call).await?;
    caller.require_admin()?;
    let name = call.body.get("name").map(|v| checked("name", Some(v))).transpose()?;
    let attribute = call.body.get("attribute").map(|v| checked("attribute", Some(v))).transpose()?;
    let (_, item) = edit(&state, &caller, "attributes", |doc: &mut Attributes| {
        let clash = name.as_ref().is_some_and(|n| {
            let module = doc.items.iter().find(|a| a.id == id).map(|a| a.module_id.clone()).unwrap_or_default();
            doc.items.iter().any(|a| a.id != id && a.module_id == module && a.name.eq_ignore_ascii_case(n))
        });
        if clash {
            return Err(AdminxError::new(409, "The module maps this name already"));
        }
        let item = doc.items.iter_mut().find(|a| a.id == id).ok_or_else(|| AdminxError::not_found("Attribute"))?;
        if let Some(n) = &name {
            item.name = n.clone();
        }
        if let Some(a) = &attribute {
            item.attribute = a.clone();
        }
        Ok(item.clone())
    })
    .await?;
    Ok(call.reply(&json!(item)))
}

pub async fn delete_attribute(AxumState(state): AxumState<State>, Path(id): Path<String>, call: Call) -> Result<Response> {
    let caller = state.signed_in(&call).await?;
    caller.require_admin()?;
    edit(&state, &caller, "attributes", |doc: &mut Attributes| {
        let before = doc.items.len();
        doc.items.retain(|a| a.id != id);
        if doc.items.len() == before { Err(AdminxError::not_found("Attribute")) } else { Ok(()) }
    })
    .await?;
    Ok(http::StatusCode::NO_CONTENT.into_response())
}

/// Consents: each type's current document, and every version by its content address.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Consents {
    current: std::collections::BTreeMap<String, Value>,
    archive: std::collections::BTreeMap<String, Value>,
}

/// A content address in the form of an IPFS CIDv0: base58btc of the multihash (sha2-256).
fn content_address(doc: &Value) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(doc.to_string().as_bytes());
    let mut bytes = vec![0x12, 0x20];
    bytes.extend_from_slice(&digest);
    base58(&bytes)
}

fn base58(bytes: &[u8]) -> String {
    const ALPHABET: &[u8] = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
    let mut digits: Vec<u8> = Vec::new();
    for &byte in bytes {
        let mut carry = u32::from(byte);
        for d in digits.iter_mut() {
            carry += u32::from(*d) << 8;
            *d = (carry % 58) as u8;
            carry /= 58;
        }
        while carry > 0 {
            digits.push((carry % 58) as u8);
            carry /= 58;
        }
    }
    let zeros = bytes.iter().take_while(|b| **b == 0).count();
    std::iter::repeat_n('1', zeros).chain(digits.iter().rev().map(|d| ALPHABET[*d as usize] as char)).collect()
}

pub async fn get_consent(AxumState(state): AxumState<State>, Path(kind): Path<String>, call: Call) -> Result<Response> {
    let caller = state.signed_in(&call).await?;
    caller.require_admin()?;
    let doc: Consents = read(&state, &caller, "consents").await?;
    let current = doc.current.get(&kind).cloned().ok_or_else(|| AdminxError::not_found("Consent"))?;
    Ok(call.reply(&current))
}

pub async fn get_consent_version(AxumState(state): AxumState<State>, Path(hash): Path<String>, call: Call) -> Result<Response> {
    let caller = state.signed_in(&call).await?;
    caller.require_admin()?;
    let doc: Consents = read(&state, &caller, "consents").await?;
    let version = doc.archive.get(&hash).cloned().ok_or_else(|| AdminxError::not_found("Consent"))?;
    Ok(call.reply(&version))
}

/// `PUT /config/consents`: a new version of a consent; when enabled it needs its title, body
/// (base64) and acknowledgement text. The change is recorded as `E_BIOMETRIC_CONSENT_UPDATED`
/// with what changed.
pub async fn put_consent(AxumState(state): AxumState<State>, call: Call) -> Result<Response> {
    let caller = state.signed_in(&call).await?;
    caller.require_admin()?;
    let b = &call.body;
    let kind = b
        .get("type")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| AdminxError::missing("type"))?;
    if !kind.chars().all(|c| c.is_ascii_lowercase() || c == '_') || kind.len() > 64 {
        return Err(AdminxError::bad_request("\"type\" must be lower-case letters and _ (e.g. biometric)"));
    }
    let enabled = match b.get("isEnabled") {
        Some(Value::Bool(v)) => *v,
        None | Some(Value::Null) => return Err(AdminxError::missing("isEnabled")),
        Some(_) => return Err(AdminxError::bad_request("\"isEnabled\" must be true or false")),
    };
    let field = |k: &str| crate::fields::text(b, k);
    let (title, subtitle, body, ack) = (field("title")?, field("subtitle")?, field("body")?, field("acknowledgeText")?);
    if enabled {
        for (name, value) in [("title", &title), ("body", &body), ("acknowledgeText", &ack)] {
            if value.as_deref().is_none_or(|v| v.trim().is_empty()) {
                return Err(AdminxError::missing(name));
            }
        }
    }
    if let Some(text) = &body
        && base64::Engine::decode(&base64::engine::general_purpose::STANDARD, text.trim()).is_err()
    {
        return Err(AdminxError::bad_request("\"body\" must be base64"));
    }
    let now = state.core.now();
    let content =
        json!({ "type": kind, "isEnabled": enabled, "title": title, "subtitle": subtitle, "body": body, "acknowledgeText": ack });
    let hash = content_address(&content);
    let (_, (current, actions)) = edit(&state, &caller, "consents", |doc: &mut Consents| {
        let previous = doc.current.get(kind).cloned();
        let mut actions = Vec::new();
        match &previous {
            None => actions.push(if enabled { "enabled" } else { "created" }),
            Some(p) => {
                if p["isEnabled"] != json!(enabled) {
                    actions.push(if enabled { "enabled" } else { "disabled" });
                }
                for (key, action) in [
                    ("title", "changed_title"),
                    ("subtitle", "changed_subtitle"),
                    ("body", "changed_body"),
                    ("acknowledgeText", "changed_acknowledge_text"),
                ] {
                    if p[key] != content[key] {
                        actions.push(action);
                    }
                }
            }
        }
        let mut history = previous.as_ref().and_then(|p| p["history"].as_array().cloned()).unwrap_or_default();
        history.push(json!({ "ipfsHash": hash, "updatedAt": now.unix_timestamp() * 1000 }));
        let mut current = content.clone();
        current["ipfsHash"] = json!(hash);
        current["history"] = json!(history);
        doc.archive.insert(hash.clone(), content.clone());
        doc.current.insert(kind.to_string(), current.clone());
        Ok((current, actions))
    })
    .await?;
    let event = keyhall_core::audit::AuditEvent::new(
        &caller.caller,
        "E_BIOMETRIC_CONSENT_UPDATED",
        "community",
        Some(caller.member.community_id.to_string()),
        now,
    )
    .with_details(json!({ "type": kind, "actions": actions, "ipfsHash": current["ipfsHash"] }));
    state.core.audit().record(&event).await?;
    Ok(call.reply(&current))
}

#[cfg(test)]
mod tests {
    #[test]
    fn base58_as_bitcoin_writes_it() {
        assert_eq!(super::base58(b"hello world"), "StV1DL6CwTryKyV");
        assert_eq!(super::base58(&[0, 0, 1]), "112");
        assert!(super::content_address(&serde_json::json!({})).starts_with("Qm"));
    }
}
