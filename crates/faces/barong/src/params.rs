//! Request parameters the way Grape collects them: query string, then a JSON or form body;
//! and Grape's validation messages (`<module>.<entity>.missing_<param>`, `….empty_<param>`),
//! collected in declaration order so one answer lists every problem.

use axum::extract::{FromRequest, Request};
use http::header;
use http::request::Parts;
use serde_json::{Map, Value};

use crate::errors::BarongError;
use crate::session::Client;

/// A request's parameters and client, as every form-taking handler needs them.
pub struct Input {
    pub p: Params,
    pub client: Client,
}

impl<S: Send + Sync> FromRequest<S> for Input {
    type Rejection = BarongError;

    async fn from_request(req: Request, _: &S) -> Result<Self, Self::Rejection> {
        let (parts, body) = req.into_parts();
        let client = Client { info: keyhall_http::client::client_info(&parts) };
        let body = axum::body::to_bytes(body, 1024 * 1024).await.map_err(|_| BarongError::payload_too_large())?;
        Ok(Input { p: Params::parse(&parts, &body)?, client })
    }
}

#[derive(Debug, Clone, Default)]
pub struct Params {
    map: Map<String, Value>,
}

impl Params {
    pub fn parse(parts: &Parts, body: &[u8]) -> Result<Self, BarongError> {
        let mut map = Map::new();
        if let Some(q) = parts.uri.query() {
            let pairs: Vec<(String, String)> = serde_html_form::from_str(q).unwrap_or_default();
            for (k, v) in pairs {
                map.insert(k, Value::String(v));
            }
        }
        let content_type = parts.headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
        let mime = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
        if !body.is_empty() {
            if mime == "application/json" || (mime.is_empty() && body.first() == Some(&b'{')) {
                match serde_json::from_slice::<Value>(body) {
                    Ok(Value::Object(o)) => map.extend(o),
                    _ => return Err(BarongError::new(400, "server.invalid_json")),
                }
            } else if mime == "application/x-www-form-urlencoded" || mime.is_empty() {
                let pairs: Vec<(String, String)> =
                    serde_html_form::from_bytes(body).map_err(|_| BarongError::new(400, "server.invalid_form"))?;
                for (k, v) in pairs {
                    map.insert(k, Value::String(v));
                }
            }
        }
        Ok(Self { map })
    }

    pub fn from_map(map: Map<String, Value>) -> Self {
        Self { map }
    }

    pub fn value(&self, name: &str) -> Option<&Value> {
        self.map.get(name).filter(|v| !v.is_null())
    }

    pub fn present(&self, name: &str) -> bool {
        self.value(name).is_some()
    }

    /// The value as text (numbers and booleans in their JSON form); `None` when absent.
    pub fn text(&self, name: &str) -> Option<String> {
        match self.value(name)? {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            other => Some(other.to_string()),
        }
    }

    pub fn checker(&self, prefix: &str) -> Check<'_> {
        Check { params: self, prefix: prefix.to_string(), errors: Vec::new() }
    }
}

/// Grape's coercions of optional parameters: a value of the wrong shape is reported (as
/// `invalid`, or the parameter's own message), each message once.
pub struct Coerce<'a> {
    p: &'a Params,
    errors: Vec<String>,
}

impl<'a> Coerce<'a> {
    pub fn new(p: &'a Params) -> Self {
        Self { p, errors: Vec::new() }
    }

    fn refuse(&mut self, message: &str) {
        if !self.errors.iter().any(|e| e == message) {
            self.errors.push(message.to_string());
        }
    }

    /// A String parameter.
    pub fn text(&mut self, name: &str) -> Option<String> {
        match self.p.value(name)? {
            Value::Array(_) | Value::Object(_) => {
                self.refuse("invalid");
                None
            }
            _ => self.p.text(name),
        }
    }

    /// A Date parameter (`YYYY-MM-DD`, or the date of an RFC 3339 instant); blank is absent.
    pub fn date(&mut self, name: &str, message: &str) -> Option<time::Date> {
        let text = self.text(name)?;
        let text = text.trim();
        if text.is_empty() {
            return None;
        }
        let day = text.get(..10).filter(|_| text.len() == 10 || text[10..].starts_with('T'));
        let parsed = day.and_then(keyhall_types::parse_iso_date);
        if parsed.is_none() {
            self.refuse(message);
        }
        parsed
    }

    /// A Boolean parameter, with Ruby's spellings; blank is absent.
    pub fn boolean(&mut self, name: &str) -> Option<bool> {
        if let Some(Value::Bool(b)) = self.p.value(name) {
            return Some(*b);
        }
        let text = self.text(name)?.trim().to_ascii_lowercase();
        match text.as_str() {
            "" => None,
            "1" | "true" | "t" | "yes" | "y" | "on" => Some(true),
            "0" | "false" | "f" | "no" | "n" | "off" => Some(false),
            _ => {
                self.refuse("invalid");
                None
            }
        }
    }

    /// A String parameter that must be one of `allowed` when given.
    pub fn one_of(&mut self, name: &str, allowed: &[&str], message: &str) -> Option<String> {
        let value = self.text(name)?;
        if !allowed.contains(&value.as_str()) {
            self.refuse(message);
        }
        Some(value)
    }

    /// 422 with the collected messages, if any.
    pub fn finish(&mut self) -> Result<(), BarongError> {
        if self.errors.is_empty() { Ok(()) } else { Err(BarongError::many(422, std::mem::take(&mut self.errors))) }
    }
}

/// Accumulates validation failures for one request.
pub struct Check<'a> {
    params: &'a Params,
    prefix: String,
    pub errors: Vec<String>,
}

impl Check<'_> {
    fn blank(&self, name: &str) -> bool {
        match self.params.value(name) {
            None => true,
            Some(Value::String(s)) => s.trim().is_empty(),
            Some(Value::Array(a)) => a.is_empty(),
            Some(_) => false,
        }
    }

    /// `requires :name`: absent → `missing_name`.
    pub fn requires(&mut self, name: &str) -> &mut Self {
        if !self.params.present(name) {
            self.errors.push(format!("{}.missing_{name}", self.prefix));
        }
        self
    }

    /// `requires :name, allow_blank: false`: absent → `missing_name` and `empty_name`;
    /// blank → `empty_name`.
    pub fn requires_filled(&mut self, name: &str) -> &mut Self {
        let (missing, empty) = (format!("{}.missing_{name}", self.prefix), format!("{}.empty_{name}", self.prefix));
        self.requires_filled_as(name, &missing, &empty)
    }

    /// The same with the endpoint's own messages.
    pub fn requires_filled_as(&mut self, name: &str, missing: &str, empty: &str) -> &mut Self {
        if !self.params.present(name) {
            self.errors.push(missing.to_string());
            self.errors.push(empty.to_string());
        } else if self.blank(name) {
            self.errors.push(empty.to_string());
        }
        self
    }

    /// 422 with every collected message, or `Ok` when there are none.
    pub fn finish(&mut self) -> Result<(), BarongError> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            let mut seen = Vec::new();
            for e in self.errors.drain(..) {
                if !seen.contains(&e) {
                    seen.push(e);
                }
            }
            Err(BarongError::many(422, seen))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(json: &str) -> Params {
        Params::from_map(serde_json::from_str(json).unwrap())
    }

    #[test]
    fn grape_messages() {
        let p = params("{}");
        let mut c = p.checker("identity.user");
        assert_eq!(
            c.requires_filled("email").requires_filled("password").finish().unwrap_err().errors,
            [
                "identity.user.missing_email",
                "identity.user.empty_email",
                "identity.user.missing_password",
                "identity.user.empty_password"
            ]
        );
        let p = params(r#"{"email":"","password":"zieV0Kai"}"#);
        assert_eq!(
            p.checker("identity.user").requires_filled("email").requires_filled("password").finish().unwrap_err().errors,
            ["identity.user.empty_email"]
        );
        let p = params(r#"{"email":"a@b.c"}"#);
        assert_eq!(
            p.checker("identity.session").requires("email").requires("password").finish().unwrap_err().errors,
            ["identity.session.missing_password"]
        );
    }
}
