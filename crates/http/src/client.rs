//! Who is on the other end of a request: IP address and user agent, for the audit log and for
//! session binding.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use http::request::Parts;
use keyhall_core::Origin;

/// Whether to believe `X-Forwarded-For` (set when keyhall runs behind a reverse proxy).
#[derive(Debug, Clone, Copy, Default)]
pub struct TrustForwardedFor(pub bool);

/// The `host[:port]` keyhall's public URL names, for telling same-origin requests apart
/// when a proxy in front rewrites `Host`.
#[derive(Debug, Clone, Default)]
pub struct PublicHost(pub Option<String>);

impl PublicHost {
    pub fn of_url(url: &str) -> Self {
        PublicHost(url_host(url).map(|h| h.to_ascii_lowercase()))
    }
}

#[derive(Debug, Clone)]
pub struct ClientInfo {
    pub ip: Option<IpAddr>,
    pub user_agent: String,
    /// A browser sent this request from another site's page (a form posted from elsewhere):
    /// nothing that signs a browser in may act on it (login CSRF).
    pub cross_site: bool,
}

impl ClientInfo {
    pub fn origin(&self) -> Origin {
        Origin {
            ip: self.ip.map(|ip| ip.to_string()),
            user_agent: (!self.user_agent.is_empty()).then(|| self.user_agent.clone()),
        }
    }
}

pub fn client_info(parts: &Parts) -> ClientInfo {
    let trust = parts.extensions.get::<TrustForwardedFor>().copied().unwrap_or_default();
    let forwarded = if trust.0 {
        parts
            .headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            // The last entry is the one the trusted proxy added (the address it saw); entries
            // before it come from the client and could be anything.
            .and_then(|v| v.rsplit(',').next())
            .and_then(|v| v.trim().parse::<IpAddr>().ok())
    } else {
        None
    };
    let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
    // `::ffff:a.b.c.d` (a dual-stack listener) is the IPv4 client it stands for.
    let forwarded = forwarded.map(|ip| ip.to_canonical());
    let peer = peer.map(|ip| ip.to_canonical());
    let user_agent =
        parts.headers.get(http::header::USER_AGENT).and_then(|v| v.to_str().ok()).unwrap_or("").chars().take(512).collect();
    ClientInfo { ip: forwarded.or(peer), user_agent, cross_site: cross_site(parts) }
}

/// Whether a browser made this request from a page of another site. Browsers say so in
/// `Sec-Fetch-Site`; older ones only in `Origin`, which is then compared with the host the
/// request was sent to (`Host`, `X-Forwarded-Host` or the public URL's). Requests with
/// neither header come from programs, not from a page, and are not cross-site.
fn cross_site(parts: &Parts) -> bool {
    let header = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim);
    if let Some(site) = header("sec-fetch-site") {
        return site.eq_ignore_ascii_case("cross-site");
    }
    let Some(origin) = header("origin") else {
        return false;
    };
    let Some(origin_host) = url_host(origin) else {
        // `null` (a sandboxed page, a redirect across sites) or nonsense.
        return true;
    };
    let public = parts.extensions.get::<PublicHost>().and_then(|p| p.0.clone());
    let targets = [header("host").map(str::to_string), header("x-forwarded-host").map(str::to_string), public];
    !targets.iter().flatten().any(|t| t.eq_ignore_ascii_case(origin_host))
}

/// The `host[:port]` of an absolute URL.
fn url_host(url: &str) -> Option<&str> {
    let (_, rest) = url.split_once("://")?;
    let host = rest.split(['/', '?', '#']).next()?;
    (!host.is_empty()).then_some(host)
}

impl<S: Send + Sync> FromRequestParts<S> for ClientInfo {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(client_info(parts))
    }
}
