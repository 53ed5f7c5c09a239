//! The service-provider catalogue (the "featured applications": Google Workspace, Salesforce,
//! Zendesk, Okta, Auth0, ForgeRock) and what the login page learns of a provider from the
//! request that sent the user to it (`publicinfo`). A featured application is a SAML service
//! provider made from its catalogue template and the customer's domain; the vendor account
//! details that come with it (API tokens, passwords) are kept sealed beside it for the
//! integration that uses them (keyhall itself does not call the vendors' APIs).

use std::io::Read;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

use super::collection_kinds::SERVICE_PROVIDERS;
use super::collections::CommunityItem;
use super::{Adminx, Scope, SignedInCaller};
use crate::error::{DomainError, ErrorCode, Result};

/// A featured application: its name, logo, where users sign in, and the SAML settings made
/// from the customer's `{domain}`.
pub struct CatalogItem {
    pub key: &'static str,
    pub name: &'static str,
    pub logo: &'static str,
    pub sso_url: &'static str,
    pub entity_id: &'static str,
    pub acs_url: &'static str,
    /// The vendor account details the application takes (`featured` of the provider; the
    /// secret ones sealed).
    pub extras: &'static [&'static str],
}

pub const CATALOG: &[CatalogItem] = &[
    CatalogItem {
        key: "gsuite",
        name: "Google Workspace",
        logo: "https://www.google.com/favicon.ico",
        sso_url: "https://www.google.com/a/{domain}/ServiceLogin",
        entity_id: "google.com/a/{domain}",
        acs_url: "https://www.google.com/a/{domain}/acs",
        extras: &[],
    },
    CatalogItem {
        key: "salesforce",
        name: "Salesforce",
        logo: "https://www.salesforce.com/favicon.ico",
        sso_url: "https://{domain}",
        entity_id: "https://{domain}",
        acs_url: "https://{domain}",
        extras: &["username", "password", "securityToken"],
    },
    CatalogItem {
        key: "zendesk",
        name: "Zendesk",
        logo: "https://www.zendesk.com/favicon.ico",
        sso_url: "https://{domain}/access/login",
        entity_id: "https://{domain}",
        acs_url: "https://{domain}/access/saml",
        extras: &[],
    },
    CatalogItem {
        key: "okta",
        name: "Okta",
        logo: "https://www.okta.com/favicon.ico",
        sso_url: "https://{domain}",
        entity_id: "https://{domain}",
        acs_url: "https://{domain}/sso/saml2",
        extras: &["apiToken"],
    },
    CatalogItem {
        key: "auth0",
        name: "Auth0",
        logo: "https://auth0.com/favicon.ico",
        sso_url: "https://{domain}/login",
        entity_id: "urn:auth0:{domain}",
        acs_url: "https://{domain}/login/callback",
        extras: &["clientId", "clientSecret"],
    },
    CatalogItem {
        key: "forgerock",
        name: "ForgeRock",
        logo: "https://www.forgerock.com/favicon.ico",
        sso_url: "https://{domain}/am",
        entity_id: "https://{domain}/am",
        acs_url: "https://{domain}/am/AuthConsumer/metaAlias/sp",
        extras: &["username", "password", "useExistingCOT", "COT", "hostedSP"],
    },
];

/// `/spcatalog/list`: the catalogue by key.
pub fn catalog_json() -> Value {
    let mut out = serde_json::Map::new();
    for item in CATALOG {
        out.insert(
            item.key.to_string(),
            json!({ "name": item.name, "logo": item.logo, "sso_url": item.sso_url, "template": "saml",
                "entityId": item.entity_id, "assertionConsumerServiceURL": item.acs_url }),
        );
    }
    Value::Object(out)
}

/// A customer's domain: a host name (letters, digits, dots, hyphens), as typed or in a URL.
fn domain_of(text: &str) -> Option<String> {
    let host = text.trim().trim_start_matches("https://").trim_start_matches("http://").trim_end_matches('/');
    let ok = !host.is_empty()
        && host.len() <= 253
        && host.split('.').all(|l| !l.is_empty() && l.len() <= 63 && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'));
    ok.then(|| host.to_ascii_lowercase())
}

/// The issuer a SAML `AuthnRequest` names: base64, DEFLATE'd (HTTP-Redirect) or not (POST).
pub fn saml_request_issuer(request: &str) -> Option<String> {
    let bytes = STANDARD.decode(request.trim().replace(['\n', '\r', ' '], "")).ok()?;
    let mut xml = String::new();
    if flate2::read::DeflateDecoder::new(bytes.as_slice()).take(1 << 20).read_to_string(&mut xml).is_err() || !xml.contains('<') {
        xml = String::from_utf8(bytes).ok()?;
    }
    let mut reader = quick_xml::Reader::from_str(&xml);
    let mut in_issuer = false;
    loop {
        match reader.read_event().ok()? {
            quick_xml::events::Event::Start(e) if e.local_name().as_ref() == b"Issuer" => in_issuer = true,
            quick_xml::events::Event::Text(t) if in_issuer => {
                let text = t.xml10_content().ok()?.trim().to_string();
                return (!text.is_empty()).then_some(text);
            }
            quick_xml::events::Event::End(e) if e.local_name().as_ref() == b"Issuer" => return None,
            quick_xml::events::Event::Eof => return None,
            _ => {}
        }
    }
}

/// The `client_id` (and `redirect_uri`) of an OIDC authorization request: a URL, its query,
/// base64 JSON, JSON, or the client id alone.
pub fn oidc_request_client(request: &str) -> Option<(String, Option<String>)> {
    let text = request.trim();
    let json_of = |v: Value| {
        let id = v["client_id"].as_str()?.to_string();
        Some((id, v["redirect_uri"].as_str().map(str::to_string)))
    };
    if let Ok(v) = serde_json::from_str::<Value>(text) {
        return json_of(v);
    }
    if let Some(v) = STANDARD.decode(text).ok().and_then(|b| serde_json::from_slice::<Value>(&b).ok()) {
        return json_of(v);
    }
    let query = text.split_once('?').map(|(_, q)| q).unwrap_or(text);
    if query.contains('=') {
        let mut id = None;
        let mut redirect = None;
        for pair in query.split('&') {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let v = percent_decode(v);
            match k {
                "client_id" => id = Some(v),
                "redirect_uri" => redirect = Some(v),
                _ => {}
            }
        }
        return id.map(|id| (id, redirect));
    }
    (!text.is_empty() && text.len() <= 256).then(|| (text.to_string(), None))
}

fn percent_decode(text: &str) -> String {
    let bytes = text.replace('+', " ").into_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(b) =
                std::str::from_utf8(bytes.get(i + 1..i + 3).unwrap_or_default()).ok().and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

impl Adminx<'_> {
    /// `PUT /serviceprovider/{type}`: a featured application as a SAML service provider.
    pub async fn create_featured_provider(
        self,
        caller: &SignedInCaller,
        scope: Scope,
        kind: &str,
        input: &Value,
    ) -> Result<CommunityItem> {
        caller.require_admin()?;
        let text = |name: &str| input[name].as_str().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string);
        let name = text("name").ok_or_else(|| DomainError::missing("name"))?;
        let domain = text("domain").ok_or_else(|| DomainError::missing("domain"))?;
        let item = CATALOG.iter().find(|i| i.key == kind).ok_or_else(|| {
            DomainError::invalid(
                "type",
                format!("must be one of {}", CATALOG.iter().map(|i| i.key).collect::<Vec<_>>().join(", ")),
            )
        })?;
        let domain =
            domain_of(&domain).ok_or_else(|| DomainError::invalid("domain", "must be a host name such as acme.example.com"))?;
        let fill = |pattern: &str| pattern.replace("{domain}", &domain);
        let acs = text("ssoUrl").unwrap_or_else(|| fill(item.acs_url));
        let mut featured = json!({ "type": item.key, "domain": domain });
        for field in item.extras {
            if let Some(v) = input.get(*field).filter(|v| !v.is_null()) {
                featured[*field] = v.clone();
            }
        }
        let provider = json!({
            "name": name,
            "type": "saml",
            "logo": item.logo,
            "saml_config": { "entityId": fill(item.entity_id), "assertionConsumerServiceURL": acs, "accessUrl": fill(item.sso_url) },
            "featured": featured,
        });
        self.create_item(caller, scope, &SERVICE_PROVIDERS, &provider).await
    }

    /// `POST /serviceprovider/publicinfo/fetch`: the provider a SAML `AuthnRequest` (by its
    /// issuer) or an OIDC request (by its `client_id`, and its `redirect_uri` when given)
    /// comes from, as much as a login page shows of it.
    pub async fn provider_public_info(self, scope: Scope, saml: Option<&str>, oidc: Option<&str>) -> Result<Value> {
        let providers = self.items(scope, &SERVICE_PROVIDERS).await?;
        let not_found = || DomainError::new(ErrorCode::ItemNotFound).detail("Service provider not found");
        let found = match (saml, oidc) {
            (Some(request), _) => {
                let issuer = saml_request_issuer(request)
                    .ok_or_else(|| DomainError::invalid("SAMLRequest", "is not a SAML AuthnRequest naming its Issuer"))?;
                providers.into_iter().find(|p| p.body["type"] == "saml" && p.body["saml_config"]["entityId"] == issuer.as_str())
            }
            (None, Some(request)) => {
                let (client, redirect) =
                    oidc_request_client(request).ok_or_else(|| DomainError::invalid("OIDCRequest", "names no client_id"))?;
                let found = providers
                    .into_iter()
                    .find(|p| p.body["type"] == "oidc" && p.body["oidc_config"]["client_id"] == client.as_str());
                if let (Some(p), Some(uri)) = (&found, &redirect)
                    && !p.body["oidc_config"]["redirect_uris"].as_array().is_some_and(|a| a.iter().any(|u| u == uri.as_str()))
                {
                    return Err(DomainError::invalid("OIDCRequest", "has a redirect_uri the provider did not register"));
                }
                found
            }
            (None, None) => return Err(DomainError::missing("SAMLRequest")),
        };
        let p = found.ok_or_else(not_found)?;
        let b = &p.body;
        Ok(json!({
            "_id": p.id, "id": p.id, "name": b["name"], "type": b["type"], "logo": b["logo"], "environment": b["environment"],
            "hideBanner": b["hideBanner"], "hideMobileLinks": b["hideMobileLinks"], "mobileAppLabel": b["mobileAppLabel"],
            "forceReauthentication": b["forceReauthentication"],
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saml_requests_name_their_issuer_deflated_or_not() {
        let xml = r#"<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_1" Version="2.0"><saml:Issuer>https://sp.example.com/meta</saml:Issuer></samlp:AuthnRequest>"#;
        assert_eq!(saml_request_issuer(&STANDARD.encode(xml)).as_deref(), Some("https://sp.example.com/meta"));
        let mut deflated = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
        std::io::Write::write_all(&mut deflated, xml.as_bytes()).unwrap();
        assert_eq!(
            saml_request_issuer(&STANDARD.encode(deflated.finish().unwrap())).as_deref(),
            Some("https://sp.example.com/meta")
        );
        assert_eq!(saml_request_issuer("not base64!"), None);
        assert_eq!(saml_request_issuer(&STANDARD.encode("<AuthnRequest/>")), None);
    }

    #[test]
    fn oidc_requests_name_their_client_in_any_common_form() {
        let want = Some(("abc".to_string(), Some("https://app.example.com/cb".to_string())));
        assert_eq!(
            oidc_request_client("https://idp/authorize?client_id=abc&redirect_uri=https%3A%2F%2Fapp.example.com%2Fcb"),
            want
        );
        assert_eq!(oidc_request_client(r#"{"client_id":"abc","redirect_uri":"https://app.example.com/cb"}"#), want);
        assert_eq!(
            oidc_request_client(&STANDARD.encode(r#"{"client_id":"abc","redirect_uri":"https://app.example.com/cb"}"#)),
            want
        );
        assert_eq!(oidc_request_client("abc"), Some(("abc".into(), None)));
    }

    #[test]
    fn domains_are_host_names() {
        assert_eq!(domain_of("https://Acme.Zendesk.com/").as_deref(), Some("acme.zendesk.com"));
        assert_eq!(domain_of("acme.example.com/../x"), None);
        assert_eq!(domain_of("a b"), None);
    }
}
