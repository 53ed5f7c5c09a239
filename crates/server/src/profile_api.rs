//! The user-profile API of a community's self-service password reset, over HTTP: a GET for
//! the user (its name in the URL's `{username}`, or as `username=` in the query) with the
//! configured credentials, answered in JSON. An administrator names the URL, so keyhall only
//! calls public HTTPS hosts (checked after resolving, and pinned to the address checked, with
//! no redirects), unless the operator allows private ones; answers are read up to 1 MB.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use keyhall_core::ports::{ProfileApiAuth, ProfileApiClient, ProfileApiRequest};
use serde_json::Value;

/// The most a profile answer may weigh.
const MAX_ANSWER: usize = 1 << 20;
const TIMEOUT: Duration = Duration::from_secs(10);

pub struct HttpProfileApi {
    /// Whether loopback, private and link-local hosts (and plain HTTP) may be called.
    allow_private: bool,
}

impl HttpProfileApi {
    pub fn new(allow_private: bool) -> anyhow::Result<Self> {
        Ok(Self { allow_private })
    }
}

/// Whether an address is on the public internet (not this host, a private or link-local
/// network, shared address space, multicast or unspecified).
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || a == 0
                || (a == 100 && (64..128).contains(&b)))
        }
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_public(IpAddr::V4(v4)),
            None => {
                let first = v6.segments()[0];
                !(v6.is_loopback()
                    || v6.is_unspecified()
                    || v6.is_multicast()
                    || (first & 0xfe00) == 0xfc00
                    || (first & 0xffc0) == 0xfe80)
            }
        },
    }
}

impl HttpProfileApi {
    /// A client for `url`: pinned to a checked public address of its host unless private hosts
    /// are allowed.
    async fn client_for(&self, url: &reqwest::Url) -> Result<reqwest::Client, String> {
        let builder = reqwest::Client::builder().timeout(TIMEOUT).redirect(reqwest::redirect::Policy::none());
        if self.allow_private {
            return builder.build().map_err(|e| e.to_string());
        }
        if url.scheme() != "https" {
            return Err("the profile API must be an https:// URL".into());
        }
        let host = url.host_str().ok_or("the profile API URL names no host")?.to_string();
        let port = url.port_or_known_default().unwrap_or(443);
        let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), port))
            .await
            .map_err(|_| "the profile API's host does not resolve".to_string())?
            .collect();
        let Some(first) = addrs.first().copied() else { return Err("the profile API's host does not resolve".into()) };
        if !addrs.iter().all(|a| is_public(a.ip())) {
            return Err("the profile API's host is not a public address".into());
        }
        builder.resolve(&host, first).build().map_err(|e| e.to_string())
    }
}

#[async_trait::async_trait]
impl ProfileApiClient for HttpProfileApi {
    async fn fetch(&self, request: &ProfileApiRequest) -> Result<Value, String> {
        let templated = request.url.contains("{username}");
        let mut url = reqwest::Url::parse(&request.url.replace("{username}", &url_escape(&request.username)))
            .map_err(|e| format!("the profile API URL is not a URL: {e}"))?;
        if !templated {
            url.query_pairs_mut().append_pair("username", &request.username);
        }
        let client = self.client_for(&url).await?;
        let mut call = client.get(url).header("accept", "application/json");
        call = match &request.auth {
            ProfileApiAuth::None => call,
            ProfileApiAuth::Basic { username, password } => call.basic_auth(username, Some(password)),
            ProfileApiAuth::Bearer(token) => call.bearer_auth(token),
        };
        // Errors leave the URL out: it may carry a key.
        let mut reply = call.send().await.map_err(|e| format!("the profile API is unreachable: {}", e.without_url()))?;
        let status = reply.status();
        if !status.is_success() {
            return Err(format!("the profile API answered {status}"));
        }
        let mut body = Vec::new();
        while let Some(chunk) =
            reply.chunk().await.map_err(|e| format!("the profile API's answer broke off: {}", e.without_url()))?
        {
            if body.len() + chunk.len() > MAX_ANSWER {
                return Err("the profile API's answer is too large".into());
            }
            body.extend_from_slice(&chunk);
        }
        serde_json::from_slice(&body).map_err(|_| "the profile API's answer is not JSON".to_string())
    }
}

fn url_escape(text: &str) -> String {
    text.bytes()
        .map(|b| if b.is_ascii_alphanumeric() || b"-._~@".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_public_addresses_are_public() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "192.168.0.1",
            "172.16.5.4",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
        ] {
            assert!(!is_public(private.parse().unwrap()), "{private}");
        }
        for public in ["93.184.216.34", "8.8.8.8", "2606:4700::1111"] {
            assert!(is_public(public.parse().unwrap()), "{public}");
        }
    }
}
