//! The 1Kosmos face's section of the configuration (`[adminx]` in the file).

use keyhall_crypto::envelope::Curve;

use keyhall_core::adminx::downloadables::Downloadables;

use crate::AdminxConfig;

keyhall_settings::section! {
    /// The 1Kosmos Admin API: `[adminx]` in the configuration file.
    pub struct AdminxSettings, layer AdminxLayer {
        /// The curve of the envelope key: secp256k1 or prime256v1 (P-256).
        curve: String = "secp256k1".into(), "adminx-curve", "KEYHALL_ADMINX_CURVE";
        /// How far a `requestid`'s `ts` may be from now, in seconds (`allowed_time_span`).
        allowed_time_span: i64 = 60, "adminx-allowed-time-span", "KEYHALL_ADMINX_ALLOWED_TIME_SPAN";
        /// Accept plain JSON request bodies and answer them in plain JSON (the vendor's
        /// "Swagger preview"); off: bodies must be `{"data": <encrypted>}` (true/false).
        plaintext: bool = false, "adminx-plaintext", "KEYHALL_ADMINX_PLAINTEXT";
        /// Captcha on the public sign-up, invitation and reset calls: none or recaptcha (a
        /// valid license of the tenant stands in for it).
        captcha: String = "none".into(), "adminx-captcha", "KEYHALL_ADMINX_CAPTCHA";
        /// reCAPTCHA secret key the tokens are verified with (needed with `--adminx-captcha recaptcha`).
        recaptcha_secret_key: String, "adminx-recaptcha-secret-key", "KEYHALL_ADMINX_RECAPTCHA_SECRET_KEY";
        /// Where reCAPTCHA tokens are verified.
        recaptcha_verify_url: String = crate::captcha::RECAPTCHA_VERIFY_URL.into(), "adminx-recaptcha-verify-url", "KEYHALL_ADMINX_RECAPTCHA_VERIFY_URL";
        /// JSON catalogue of the software administrators download (`/downloadables/…`),
        /// replacing the built-in one (keyhall itself, as the RADIUS software).
        downloads_file: std::path::PathBuf, "adminx-downloads-file", "KEYHALL_ADMINX_DOWNLOADS_FILE";
        /// Where keyhall's RADIUS server listens (UDP `host:port`, e.g. `0.0.0.0:1812`); off
        /// when unset. Its clients and shared secrets are the communities' RADIUS configurations.
        radius_listen: String, "radius-listen", "KEYHALL_RADIUS_LISTEN";
        /// Whether this node builds report downloads (true/false): nodes that only answer
        /// calls may leave them to the others.
        report_worker: bool = true, "adminx-report-worker", "KEYHALL_ADMINX_REPORT_WORKER";
        /// Client events (`PUT /reports/event`, open to anyone holding the envelope) one client
        /// address may store per minute on this node; 0: no limit.
        client_events_per_minute: u64 = 1200, "adminx-client-events-per-minute", "KEYHALL_ADMINX_CLIENT_EVENTS_PER_MINUTE";
        /// Whether the SSPR user-profile API may be on this host or a private network, and
        /// plain HTTP (true/false); off: public HTTPS hosts only.
        profile_api_private_hosts: bool = false, "adminx-profile-api-private-hosts", "KEYHALL_ADMINX_PROFILE_API_PRIVATE_HOSTS";
    }
}

impl AdminxSettings {
    pub fn face_config(&self, public_url: &str) -> Result<AdminxConfig, String> {
        let curve = Curve::parse(self.curve.trim())
            .ok_or_else(|| format!("KEYHALL_ADMINX_CURVE must be secp256k1 or prime256v1, not {:?}", self.curve))?;
        if !(1..=86_400).contains(&self.allowed_time_span) {
            return Err(format!("KEYHALL_ADMINX_ALLOWED_TIME_SPAN must be 1 to 86400 seconds, not {}", self.allowed_time_span));
        }
        let captcha = match self.captcha.trim() {
            "none" | "" => None,
            "recaptcha" => Some(crate::captcha::Recaptcha {
                secret: self.recaptcha_secret_key.clone().filter(|k| !k.trim().is_empty()).ok_or_else(|| {
                    "KEYHALL_ADMINX_RECAPTCHA_SECRET_KEY is needed with KEYHALL_ADMINX_CAPTCHA=recaptcha".to_string()
                })?,
                verify_url: self.recaptcha_verify_url.clone(),
            }),
            other => return Err(format!("KEYHALL_ADMINX_CAPTCHA must be none or recaptcha, not {other:?}")),
        };
        let downloadables = match &self.downloads_file {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
                let base = path.parent().unwrap_or(std::path::Path::new("."));
                Downloadables::from_json(&text, base).map_err(|e| format!("{}: {e}", path.display()))?
            }
            None => Downloadables::builtin(std::env::current_exe().ok()),
        };
        Ok(AdminxConfig {
            downloadables: std::sync::Arc::new(downloadables),
            captcha,
            curve,
            allowed_time_span: self.allowed_time_span,
            plaintext: self.plaintext,
            client_events_per_minute: self.client_events_per_minute,
            public_url: public_url.trim_end_matches('/').to_string(),
        })
    }
}
