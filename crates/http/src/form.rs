//! `application/x-www-form-urlencoded` bodies as ordered key/value pairs, so that repeated
//! keys (`permissions=a&permissions=b`) and bracketed keys (`permissions[]=a`) survive.

#[derive(Debug, Clone, Default)]
pub struct FormPairs(pub Vec<(String, String)>);

/// A key that should occur once occurred more than once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Repeated;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FormError {
    /// The body has a content type other than form-urlencoded.
    WrongContentType(String),
    /// The body is not valid form-urlencoded text.
    Malformed,
}

impl FormPairs {
    /// Parses a body given its `Content-Type` (absent is accepted for empty bodies).
    pub fn parse(content_type: Option<&str>, body: &[u8]) -> Result<Self, FormError> {
        let mime = content_type.map(|c| c.split(';').next().unwrap_or("").trim().to_ascii_lowercase());
        match mime.as_deref() {
            Some("application/x-www-form-urlencoded") => {}
            None | Some("") if body.is_empty() => return Ok(Self::default()),
            None | Some("") => {}
            Some(other) => return Err(FormError::WrongContentType(other.to_string())),
        }
        let pairs: Vec<(String, String)> = serde_html_form::from_bytes(body).map_err(|_| FormError::Malformed)?;
        Ok(Self(pairs))
    }

    /// Every value of `key`, also accepting `key[]`.
    pub fn all(&self, key: &str) -> Vec<&str> {
        self.0.iter().filter(|(k, _)| k == key || k.strip_suffix("[]") == Some(key)).map(|(_, v)| v.as_str()).collect()
    }

    /// The value of `key` when it occurs once; an error when it occurs more than once.
    pub fn one(&self, key: &str) -> Result<Option<&str>, Repeated> {
        let mut values = self.0.iter().filter(|(k, _)| k == key).map(|(_, v)| v.as_str());
        let first = values.next();
        if values.next().is_some() { Err(Repeated) } else { Ok(first) }
    }

    pub fn contains(&self, key: &str) -> bool {
        self.0.iter().any(|(k, _)| k == key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_and_bracketed_keys() {
        let f = FormPairs::parse(Some("application/x-www-form-urlencoded; charset=utf-8"), b"a=1&p=x&p%5B%5D=y&p[]=z&s=a+b%21")
            .unwrap();
        assert_eq!(f.all("p"), vec!["x", "y", "z"]);
        assert_eq!(f.one("s"), Ok(Some("a b!")));
        assert_eq!(f.one("p"), Ok(Some("x")));
        assert_eq!(FormPairs::parse(None, b"t=1&t=2").unwrap().one("t"), Err(Repeated));
        assert_eq!(f.one("missing"), Ok(None));
    }

    #[test]
    fn content_types() {
        assert!(FormPairs::parse(None, b"").unwrap().0.is_empty());
        assert!(FormPairs::parse(None, b"a=1").is_ok());
        assert_eq!(
            FormPairs::parse(Some("application/json"), b"{}").unwrap_err(),
            FormError::WrongContentType("application/json".into())
        );
    }
}
