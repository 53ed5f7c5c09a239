//! Self-service password reset's user-profile look-up: the community's profile API (the
//! password-reset settings' `sspr.user_profile_api`) asked for a user, and its answer mapped
//! to the fields a reset confirms (`firstname`, `lastname`, `dob`…). The vendor runs a script
//! here; keyhall runs none: `transformationB64` is base64 of a JSON object that maps each
//! output field to a JSON pointer (`/data/first_name`) or dotted path (`data.first_name`) in
//! the answer.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Map, Value, json};

use super::document_schemas::PASSWORD_RESET;
use super::{Adminx, Scope, SignedInCaller};
use crate::error::{DomainError, ErrorCode, Result};
use crate::ports::{ProfileApiAuth, ProfileApiRequest};

/// The mapping when none is configured: the fields of the vendor's example, by name.
const DEFAULT_MAPPING: &[(&str, &str)] = &[("firstname", "/firstname"), ("lastname", "/lastname"), ("dob", "/dob")];

/// A mapping's path as a JSON pointer.
fn pointer(path: &str) -> String {
    if path.starts_with('/') || path.is_empty() { path.to_string() } else { format!("/{}", path.replace('.', "/")) }
}

/// The output fields and where each is read from, from `transformationB64`.
pub fn mapping(b64: &str) -> Result<Vec<(String, String)>> {
    if b64.trim().is_empty() {
        return Ok(DEFAULT_MAPPING.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect());
    }
    let refuse = || {
        DomainError::invalid(
            "transformationB64",
            "must be base64 of a JSON object mapping each field to a JSON pointer in the profile (keyhall runs no scripts)",
        )
    };
    let text = STANDARD.decode(b64.trim()).map_err(|_| refuse())?;
    let map: Map<String, Value> = serde_json::from_slice(&text).map_err(|_| refuse())?;
    map.into_iter().map(|(k, v)| v.as_str().filter(|p| !p.is_empty()).map(|p| (k, pointer(p))).ok_or_else(refuse)).collect()
}

impl Adminx<'_> {
    /// `/config/authentication/sspr/execute_transformation_script` (administrators): the
    /// profile API asked for `username`, its answer mapped.
    pub async fn run_profile_transformation(self, caller: &SignedInCaller, scope: Scope, username: &str) -> Result<Value> {
        caller.require_admin()?;
        let stored = self.stored_config(scope, PASSWORD_RESET.key).await?.unwrap_or(Value::Null);
        let profile = &stored["sspr"]["user_profile_api"];
        let api = &profile["api"];
        let url = api["url"].as_str().filter(|u| !u.is_empty()).ok_or_else(|| {
            DomainError::new(ErrorCode::InvalidParameter)
                .detail("The password-reset settings name no user-profile API (sspr.user_profile_api.api.url)")
        })?;
        let credential = &api["credential"];
        let auth = match api["auth"].as_str().unwrap_or_default().to_ascii_lowercase().as_str() {
            "" | "none" => ProfileApiAuth::None,
            "basic" => ProfileApiAuth::Basic {
                username: credential["username"].as_str().unwrap_or_default().to_string(),
                password: self.unseal_document_secret(&credential["password"]).unwrap_or_default(),
            },
            "bearer" | "token" | "oauth" => {
                ProfileApiAuth::Bearer(self.unseal_document_secret(&credential["token"]).unwrap_or_default())
            }
            other => {
                return Err(DomainError::invalid(
                    "sspr.user_profile_api.api.auth",
                    format!("must be none, basic or bearer; not {other}"),
                ));
            }
        };
        let fields = mapping(profile["transformationB64"].as_str().unwrap_or_default())?;
        let request = ProfileApiRequest { url: url.to_string(), username: username.trim().to_string(), auth };
        let answer = self.core.profile_api.fetch(&request).await.map_err(|e| {
            tracing::warn!(error = %e, "the user-profile API failed");
            DomainError::new(ErrorCode::DirectoryUnavailable).detail(e)
        })?;
        let mut out = Map::new();
        for (field, at) in fields {
            out.insert(field, answer.pointer(&at).cloned().unwrap_or(Value::Null));
        }
        Ok(json!(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mappings_read_pointers_or_dotted_paths_and_refuse_scripts() {
        let b64 = STANDARD.encode(r#"{"firstname":"data.first","dob":"/data/born"}"#);
        assert_eq!(
            mapping(&b64).unwrap(),
            vec![("firstname".to_string(), "/data/first".to_string()), ("dob".to_string(), "/data/born".to_string())]
        );
        assert_eq!(mapping("").unwrap().len(), 3);
        assert!(mapping(&STANDARD.encode("function transform(p) { return p; }")).is_err());
    }
}
