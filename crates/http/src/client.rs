//! Who is on the other end of a request: IP address and user agent, for the audit log and for
//! session binding.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use http::request::Parts;
use keyhall_core::Origin;

/// Whether to believe `X-Forwarded-For` (set when keyhall runs behind a reverse proxy).
#[derive(Debug, Clone, Copy, Default)]
pub struct TrustForwardedFor(pub bool);

#[derive(Debug, Clone)]
pub struct ClientInfo {
    pub ip: Option<IpAddr>,
    pub user_agent: String,
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
    ClientInfo { ip: forwarded.or(peer), user_agent }
}

impl<S: Send + Sync> FromRequestParts<S> for ClientInfo {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(client_info(parts))
    }
}
