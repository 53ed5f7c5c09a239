//! Reading request fields the way the seed documents them.

use serde_json::Value;

use crate::errors::{AdminxError, Result};

/// A required text field: absent, `null` or blank is 400 naming it.
pub fn required<'a>(value: &'a Option<String>, name: &str) -> Result<&'a str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty()).ok_or_else(|| AdminxError::missing(name))
}

/// A boolean the seed's examples also write as text (`"true"`/`"false"`).
pub fn flag(value: &Value, name: &str) -> Result<Option<bool>> {
    match value {
        Value::Null => Ok(None),
        Value::Bool(b) => Ok(Some(*b)),
        Value::String(s) if s.trim().eq_ignore_ascii_case("true") => Ok(Some(true)),
        Value::String(s) if s.trim().eq_ignore_ascii_case("false") => Ok(Some(false)),
        _ => Err(AdminxError::bad_request(format!("\"{name}\" must be a boolean"))),
    }
}

/// A text field of a body: absent or `null` is `None`, anything but text a 400.
pub fn text(body: &Value, key: &str) -> Result<Option<String>> {
    match body.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(AdminxError::bad_request(format!("\"{key}\" must be a string"))),
    }
}

/// A text field, trimmed; blank counts as not given.
pub fn given(body: &Value, key: &str) -> Result<Option<String>> {
    Ok(text(body, key)?.map(|s| s.trim().to_string()).filter(|s| !s.is_empty()))
}

/// A required text field, trimmed: absent or blank is 400 naming it.
pub fn must(body: &Value, key: &str) -> Result<String> {
    given(body, key)?.ok_or_else(|| AdminxError::missing(key))
}

/// A required secret (a password, a PIN) as typed: not trimmed, empty is 400 naming it.
pub fn secret(body: &Value, key: &str) -> Result<String> {
    text(body, key)?.filter(|s| !s.is_empty()).ok_or_else(|| AdminxError::missing(key))
}

/// A body's array of strings, if it has one (`None` when absent or null).
pub fn strings(body: &Value, name: &str, max: usize) -> Result<Option<Vec<String>>> {
    match body.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(items)) if items.len() <= max => items
            .iter()
            .map(|i| i.as_str().map(str::to_string))
            .collect::<Option<Vec<_>>>()
            .map(Some)
            .ok_or_else(|| AdminxError::bad_request(format!("\"{name}\" must be an array of strings"))),
        Some(_) => Err(AdminxError::bad_request(format!("\"{name}\" must be an array of at most {max} strings"))),
    }
}

/// A whole number in `range` (also written as text), `default` when absent or null.
pub fn number(body: &Value, key: &str, default: i64, range: std::ops::RangeInclusive<i64>) -> Result<i64> {
    match body.get(key) {
        None | Some(Value::Null) => Ok(default),
        Some(v) => {
            v.as_i64().or_else(|| v.as_str().and_then(|s| s.trim().parse().ok())).filter(|n| range.contains(n)).ok_or_else(|| {
                AdminxError::bad_request(format!("\"{key}\" must be a number from {} to {}", range.start(), range.end()))
            })
        }
    }
}

/// A page asked for with `pSize` (1 to 100, `default_size` when absent) and `pIndex` (from
/// 0): (limit, offset).
pub fn paging(body: &Value, default_size: i64) -> Result<(i64, i64)> {
    let size = number(body, "pSize", default_size, 1..=100)?;
    Ok((size, size * number(body, "pIndex", 0, 0..=1_000_000)?))
}

/// The `page` an answer describes itself with.
pub fn page_json(limit: i64, offset: i64, total: i64) -> Value {
    serde_json::json!({ "pSize": limit, "pIndex": offset / limit.max(1), "total": total })
}
