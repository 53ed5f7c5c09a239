//! Reading request fields the way the seed documents them.

use crate::errors::{AdminxError, Result};

/// A required text field: absent, `null` or blank is 400 naming it.
pub fn required<'a>(value: &'a Option<String>, name: &str) -> Result<&'a str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty()).ok_or_else(|| AdminxError::missing(name))
}

/// A boolean the seed's examples also write as text (`"true"`/`"false"`).
pub fn flag(value: &serde_json::Value, name: &str) -> Result<Option<bool>> {
    match value {
        serde_json::Value::Null => Ok(None),
        serde_json::Value::Bool(b) => Ok(Some(*b)),
        serde_json::Value::String(s) if s.trim().eq_ignore_ascii_case("true") => Ok(Some(true)),
        serde_json::Value::String(s) if s.trim().eq_ignore_ascii_case("false") => Ok(Some(false)),
        _ => Err(AdminxError::bad_request(format!("\"{name}\" must be a boolean"))),
    }
}
