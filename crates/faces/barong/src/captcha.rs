//! Captcha on the protected identity endpoints (sign-up, sign-in, password reset, e-mail
//! confirmation), verified with the provider exactly as Barong does. A provider that cannot be
//! reached, or answers anything but a clear yes, refuses the request: captcha fails closed.

use std::time::Duration;

use md5::{Digest, Md5};
use serde_json::{Value, json};

use crate::errors::{BarongError, Result};
use crate::params::Params;

/// The captcha a deployment asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Captcha {
    None,
    /// Google reCAPTCHA: the response is posted with the secret to `verify_url`.
    Recaptcha {
        site_key: String,
        secret: String,
        verify_url: String,
    },
    /// Geetest: the response's `geetest_validate` must be the MD5 of key, "geetest" and the
    /// challenge, and Geetest must confirm the seccode at `api_url`/validate.php.
    Geetest {
        id: String,
        key: String,
        api_url: String,
    },
}

impl Captcha {
    pub const RECAPTCHA_VERIFY_URL: &str = "https://www.google.com/recaptcha/api/siteverify";
    pub const GEETEST_API_URL: &str = "http://api.geetest.com";

    pub fn kind(&self) -> &'static str {
        match self {
            Captcha::None => "none",
            Captcha::Recaptcha { .. } => "recaptcha",
            Captcha::Geetest { .. } => "geetest",
        }
    }
}

pub(crate) struct CaptchaVerifier {
    captcha: Captcha,
    client: reqwest::Client,
}

fn md5_hex(parts: &[&str]) -> String {
    let mut md5 = Md5::new();
    for part in parts {
        md5.update(part.as_bytes());
    }
    hex::encode(md5.finalize())
}

fn failed() -> BarongError {
    BarongError::new(422, "identity.captcha.verification_failed")
}

impl CaptchaVerifier {
    pub(crate) fn new(captcha: Captcha) -> Self {
        let client = reqwest::Client::builder().timeout(Duration::from_secs(5)).build().unwrap_or_default();
        Self { captcha, client }
    }

    /// Checks `captcha_response` of a protected request.
    pub(crate) async fn verify(&self, p: &Params) -> Result<()> {
        // Blank as Ruby sees it: absent, whitespace, or an empty object.
        let blank = match p.value("captcha_response") {
            None => true,
            Some(Value::String(s)) => s.trim().is_empty(),
            Some(Value::Object(o)) => o.is_empty(),
            Some(Value::Array(a)) => a.is_empty(),
            Some(_) => false,
        };
        match &self.captcha {
            Captcha::None => Ok(()),
            _ if blank => Err(BarongError::new(400, "identity.captcha.required")),
            Captcha::Recaptcha { secret, verify_url, .. } => {
                let response = p.text("captcha_response").unwrap_or_default();
                let form = [("secret", secret.as_str()), ("response", response.as_str())];
                let reply = self.client.post(verify_url).form(&form).send().await.map_err(|_| failed())?;
                let body: Value = reply.json().await.map_err(|_| failed())?;
                if body["success"] == Value::Bool(true) { Ok(()) } else { Err(failed()) }
            }
            Captcha::Geetest { key, api_url, .. } => {
                let response = geetest_fields(p)?;
                let [challenge, validate, seccode] = response;
                let expected = md5_hex(&[key, "geetest", &challenge]);
                if !keyhall_crypto::constant_time_eq(expected.as_bytes(), validate.as_bytes()) {
                    return Err(failed());
                }
                let url = format!("{api_url}/validate.php");
                let reply = self.client.post(url).form(&[("seccode", seccode.as_str())]).send().await.map_err(|_| failed())?;
                let body = reply.text().await.map_err(|_| failed())?;
                if body == md5_hex(&[&seccode]) { Ok(()) } else { Err(failed()) }
            }
        }
    }

    /// `users/register_geetest`: a fresh challenge from Geetest, bound to the key; an empty
    /// string when Geetest cannot be asked, as Barong answers.
    pub(crate) async fn register_geetest(&self) -> Value {
        let Captcha::Geetest { id, key, api_url } = &self.captcha else {
            return json!("");
        };
        let url = format!("{api_url}/register.php");
        let asked = async {
            let reply = self.client.get(url).query(&[("gt", id.as_str())]).send().await.ok()?;
            if !reply.status().is_success() {
                return None;
            }
            reply.text().await.ok()
        };
        match asked.await {
            Some(challenge) => json!({ "gt": id, "challenge": md5_hex(&[&challenge, key]) }),
            None => json!(""),
        }
    }
}

/// The three strings a Geetest widget answers with; the response may be a JSON object or a
/// JSON string holding one.
fn geetest_fields(p: &Params) -> Result<[String; 3]> {
    let raw = p.value("captcha_response").cloned().unwrap_or(Value::Null);
    let object = match raw {
        Value::String(text) => serde_json::from_str(&text).unwrap_or(Value::Null),
        other => other,
    };
    let field = |name: &str| object.get(name).and_then(Value::as_str).map(str::to_string);
    match (field("geetest_challenge"), field("geetest_validate"), field("geetest_seccode")) {
        (Some(c), Some(v), Some(s)) => Ok([c, v, s]),
        _ => Err(BarongError::new(400, "identity.captcha.mandatory_fields")),
    }
}
