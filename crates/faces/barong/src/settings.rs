//! The Barong face's section of the configuration (`[barong]` in the file), and how it becomes
//! the face's configuration.

use keyhall_core::barong::gateway::AccessRules;
use keyhall_core::identity::documents::UploadRules;
use keyhall_types::TenantId;

use crate::{Auth0Config, BarongConfig, Captcha};

keyhall_settings::section! {
    /// The Barong face: `[barong]` in the configuration file.
    pub struct BarongSettings, layer BarongLayer {
        /// The tenant (company id) whose users the Barong API serves. Unset: the default tenant
        /// (made on first start, and taken over by the first `company create`).
        tenant: String, "barong-tenant", "KEYHALL_BARONG_TENANT";
        /// Require X-CSRF-Token on cookie-authenticated writes through authorize (true/false).
        csrf: bool = true, "barong-csrf", "KEYHALL_BARONG_CSRF";
        /// Captcha on sign-up and sign-in: none, recaptcha or geetest.
        captcha: String = "none".into(), "barong-captcha", "KEYHALL_BARONG_CAPTCHA";
        /// reCAPTCHA site key, shown to front ends as `captcha_id` (needed with `--barong-captcha recaptcha`).
        recaptcha_site_key: String, "recaptcha-site-key", "KEYHALL_RECAPTCHA_SITE_KEY";
        /// reCAPTCHA secret key responses are verified with (needed with `--barong-captcha recaptcha`).
        recaptcha_secret_key: String, "recaptcha-secret-key", "KEYHALL_RECAPTCHA_SECRET_KEY";
        /// Where reCAPTCHA responses are verified.
        recaptcha_verify_url: String = Captcha::RECAPTCHA_VERIFY_URL.into(), "recaptcha-verify-url", "KEYHALL_RECAPTCHA_VERIFY_URL";
        /// Geetest captcha id (needed with `--barong-captcha geetest`).
        geetest_id: String, "geetest-id", "KEYHALL_GEETEST_ID";
        /// Geetest private key (needed with `--barong-captcha geetest`).
        geetest_key: String, "geetest-key", "KEYHALL_GEETEST_KEY";
        /// Geetest API base URL.
        geetest_api_url: String = Captcha::GEETEST_API_URL.into(), "geetest-api-url", "KEYHALL_GEETEST_API_URL";
        /// Documents a user may upload.
        doc_limit: i64 = 10, "barong-doc-limit", "KEYHALL_BARONG_DOC_LIMIT";
        /// Identity documents need an expiry date not yet passed (true/false).
        require_doc_expiry: bool = true, "barong-require-doc-expiry", "KEYHALL_BARONG_REQUIRE_DOC_EXPIRY";
        /// Largest uploaded file, in MiB (1 to 1024).
        upload_max_mb: usize = 10, "upload-max-mb", "KEYHALL_UPLOAD_MAX_MB";
        /// Uploads read into memory at once; more wait their turn.
        concurrent_uploads: usize = 8, "barong-concurrent-uploads", "KEYHALL_BARONG_CONCURRENT_UPLOADS";
        /// Titles users may keep data storages under, comma-separated (e.g. personal,company).
        /// Unset: none, so every title is refused.
        storage_titles: String, "barong-storage-titles", "KEYHALL_BARONG_STORAGE_TITLES";
        /// Auth0 tenant domain (e.g. example.eu.auth0.com) for sign-in with Auth0 ID tokens.
        /// Unset: Auth0 sign-in is off.
        auth0_domain: String, "auth0-domain", "KEYHALL_AUTH0_DOMAIN";
        /// Auth0 application client id (the ID tokens' audience).
        auth0_client_id: String, "auth0-client-id", "KEYHALL_AUTH0_CLIENT_ID";
        /// Where to fetch the Auth0 JWK set. Unset: https://<domain>/.well-known/jwks.json.
        auth0_jwks_url: String, "auth0-jwks-url", "KEYHALL_AUTH0_JWKS_URL";
    }
}

impl BarongSettings {
    /// The configured tenant, if any.
    pub fn tenant_id(&self) -> Result<Option<TenantId>, String> {
        match &self.tenant {
            Some(t) => TenantId::parse(t).map(Some).ok_or_else(|| format!("KEYHALL_BARONG_TENANT {t:?} is not a tenant id")),
            None => Ok(None),
        }
    }

    pub fn upload_rules(&self) -> UploadRules {
        UploadRules {
            // 1 MiB to 1 GiB: files are held in memory while they are checked.
            max_file_bytes: self.upload_max_mb.clamp(1, 1024) * 1024 * 1024,
            max_documents: self.doc_limit.max(0),
            require_expiry: self.require_doc_expiry,
            ..UploadRules::default()
        }
    }

    /// The largest body an upload may have: three files of the largest size (front, back and
    /// selfie) and the form's other fields (at most `body_limit`).
    pub fn upload_request_limit(&self, body_limit: usize) -> usize {
        self.upload_rules().max_file_bytes.saturating_mul(3).saturating_add(body_limit)
    }

    pub fn captcha(&self) -> Result<Captcha, String> {
        let text = |v: &Option<String>| v.clone().unwrap_or_default();
        match self.captcha.as_str() {
            "none" => Ok(Captcha::None),
            "recaptcha" => Ok(Captcha::Recaptcha {
                site_key: text(&self.recaptcha_site_key),
                secret: text(&self.recaptcha_secret_key),
                verify_url: self.recaptcha_verify_url.clone(),
            }),
            "geetest" => Ok(Captcha::Geetest {
                id: text(&self.geetest_id),
                key: text(&self.geetest_key),
                api_url: self.geetest_api_url.clone(),
            }),
            other => Err(format!("KEYHALL_BARONG_CAPTCHA must be none, recaptcha or geetest, not {other:?}")),
        }
    }

    /// The face's configuration for `tenant`; cookies are `Secure` when keyhall is served over
    /// HTTPS.
    pub fn face_config(&self, tenant: TenantId, https: bool) -> Result<BarongConfig, String> {
        let storage_titles = self
            .storage_titles
            .iter()
            .flat_map(|t| t.split(','))
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect();
        let auth0 = match (&self.auth0_domain, &self.auth0_client_id) {
            (Some(domain), Some(client)) => {
                let mut auth0 = Auth0Config::new(domain, client);
                if let Some(url) = &self.auth0_jwks_url {
                    auth0.jwks_url = url.clone();
                }
                Some(auth0)
            }
            _ => None,
        };
        Ok(BarongConfig {
            tenant_id: tenant,
            session_cookie: crate::session::session_cookie_name(https).into(),
            device_cookie: crate::session::device_cookie_name(https).into(),
            csrf_protection: self.csrf,
            nonce_lifetime_ms: 5000,
            jwt_ttl: time::Duration::seconds(3600),
            rules: AccessRules::barong_defaults(),
            first_registration_superadmin: true,
            captcha: self.captcha()?,
            app_name: "keyhall".into(),
            secure_cookies: https,
            storage_titles,
            auth0,
            upload_rules: self.upload_rules(),
            upload_url_ttl: time::Duration::seconds(60),
            max_concurrent_uploads: self.concurrent_uploads.max(1),
        })
    }
}
