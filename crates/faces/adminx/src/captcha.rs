//! Captcha on the public calls that send mail or make accounts (`/register/sendverify`,
//! `/register/user`, `/users/request/invite`, `/password_reset/sendverify`): off unless the
//! operator configures reCAPTCHA; a valid license of the tenant (body `license`, or the
//! `licensekey` header) stands in for it, as the seed says.

use keyhall_core::adminx::Scope;
use serde_json::Value;

use crate::envelope::Call;
use crate::errors::{AdminxError, Result};

pub const RECAPTCHA_VERIFY_URL: &str = "https://www.google.com/recaptcha/api/siteverify";

#[derive(Debug, Clone)]
pub struct Recaptcha {
    pub secret: String,
    pub verify_url: String,
}

impl crate::Adminx {
    /// Passes when no captcha is configured, when a license of the tenant comes with the call,
    /// or when the provider confirms `token`; 400 otherwise.
    pub(crate) async fn check_captcha(&self, call: &Call, scope: Scope, token_field: &str) -> Result<()> {
        let Some(recaptcha) = &self.config.captcha else { return Ok(()) };
        let license = call.body.get("license").and_then(Value::as_str).or(call.license_key.as_deref());
        if license.is_some() && self.core.adminx().license(Some(scope), license).await.is_ok() {
            return Ok(());
        }
        let token = call.body.get(token_field).and_then(Value::as_str).map(str::trim).filter(|t| !t.is_empty());
        let token = token.ok_or_else(|| AdminxError::missing(token_field))?;
        let mut form = vec![("secret", recaptcha.secret.clone()), ("response", token.to_string())];
        if let Some(ip) = &call.origin.ip {
            form.push(("remoteip", ip.clone()));
        }
        let answer = self.http.post(&recaptcha.verify_url).form(&form).send().await;
        let confirmed = match answer {
            Ok(r) => r.json::<Value>().await.ok().and_then(|v| v.get("success").and_then(Value::as_bool)).unwrap_or(false),
            Err(e) => {
                tracing::warn!(error = %e, "the captcha provider could not be reached");
                false
            }
        };
        if confirmed { Ok(()) } else { Err(AdminxError::bad_request("Captcha verification failed")) }
    }
}
