//! Reads across the community's configuration documents: values by key path
//! (`/config/fetch`), and the session attribute lists with what each caller may see of them.

use serde_json::{Map, Value, json};

use super::document_schemas::{
    BASELINE_SESSION_ATTRIBUTES, IDENTITY_ATTRIBUTES, LEDGER_ATTRIBUTES, READABLE, SESSION_ATTRIBUTES,
};
use super::{Adminx, Scope, SignedInCaller};
use crate::error::{DomainError, Result};

/// The lists a session-attributes read may ask for, from the community (`local`) and from
/// keyhall (`global`).
pub const LOCAL_ATTRIBUTE_LISTS: &[&str] = &["blockid_session_attributes"];
pub const GLOBAL_ATTRIBUTE_LISTS: &[&str] = &["blockid_session_attributes", "blockid_ledger_attributes", "identity_attributes"];

impl Adminx<'_> {
    /// Values of the community's documents by key path (`mfa_settings.show_otp_email`,
    /// `branding`), administrators; paths that name nothing are left out.
    pub async fn document_values(self, caller: &SignedInCaller, scope: Scope, paths: Vec<String>) -> Result<Value> {
        caller.require_admin()?;
        let mut out = Map::new();
        for path in paths {
            let mut segments = path.split('.');
            let Some(schema) = segments.next().and_then(|key| READABLE.iter().find(|s| s.key == key)) else { continue };
            let mut value = self.document(scope, schema).await?;
            for segment in segments {
                value = value.get(segment).cloned().unwrap_or(Value::Null);
            }
            if !value.is_null() {
                out.insert(path, value);
            }
        }
        Ok(Value::Object(out))
    }

    /// The session attribute lists asked for: `custom` (the community's), `baseline`,
    /// `ledger` and `identity` (keyhall's). Users who are not administrators get `identity` only.
    pub async fn session_attributes(
        self,
        caller: &SignedInCaller,
        scope: Scope,
        local: &[String],
        global: &[String],
    ) -> Result<Value> {
        for (name, paths, known) in
            [("local_key_paths", local, LOCAL_ATTRIBUTE_LISTS), ("global_key_paths", global, GLOBAL_ATTRIBUTE_LISTS)]
        {
            if let Some(unknown) = paths.iter().find(|p| !known.contains(&p.as_str())) {
                return Err(DomainError::invalid(name, format!("may hold only {}; not {unknown}", known.join(", "))));
            }
        }
        let admin = caller.require_admin().is_ok();
        let wants = |paths: &[String], name: &str| paths.iter().any(|p| p == name);
        let mut out = Map::new();
        if admin && wants(local, "blockid_session_attributes") {
            let doc = self.document(scope, &SESSION_ATTRIBUTES).await?;
            out.insert("custom".into(), doc["blockid_session_attributes"].clone());
        }
        if admin && wants(global, "blockid_session_attributes") {
            out.insert("baseline".into(), json!(BASELINE_SESSION_ATTRIBUTES));
        }
        if admin && wants(global, "blockid_ledger_attributes") {
            out.insert("ledger".into(), json!(LEDGER_ATTRIBUTES));
        }
        if wants(global, "identity_attributes") {
            let identity: Vec<Value> = IDENTITY_ATTRIBUTES
                .iter()
                .map(|(attribute, display)| json!({ "attribute": attribute, "displayName": display }))
                .collect();
            out.insert("identity".into(), Value::Array(identity));
        }
        Ok(Value::Object(out))
    }
}
