//! What keyhall's RADIUS server decides (the wire protocol is `keyhall-radius`, the socket is
//! the server's): which community's RADIUS configuration a NAS belongs to, then the password
//! of the community's user, then — when the community's MFA settings, the configuration's
//! `authScheme` or the user's own factors ask for one — a code from the user's TOTP or
//! hardware token, asked for in an Access-Challenge. The challenge is kept in the store (any
//! node behind a load balancer can take the answer) and spent by the code that passes; its
//! State names the user and a random handle, sealed, short enough for any configuration.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::collection_kinds::RADIUS;
use super::{Adminx, Scope};
use crate::context::Origin;
use crate::error::{DomainError, ErrorCode, Result};

const STATE_PURPOSE: &str = "adminx.radius_state";
/// How long a user has to answer an Access-Challenge.
const CHALLENGE_SECONDS: i64 = 120;
/// `authScheme` entries that ask for a one-time code after the password.
const CODE_SCHEMES: &[&str] = &["otp", "totp", "hardware_token", "hardwaretoken", "hotp"];

/// A NAS address rule: one address, or a CIDR block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AddressRule {
    network: IpAddr,
    prefix: u8,
}

impl AddressRule {
    pub fn parse(text: &str) -> Option<Self> {
        let (addr, prefix) = match text.trim().split_once('/') {
            Some((a, p)) => (a.parse::<IpAddr>().ok()?, Some(p.parse::<u8>().ok()?)),
            None => (text.trim().parse::<IpAddr>().ok()?, None),
        };
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = prefix.unwrap_or(max);
        (prefix <= max).then_some(Self { network: addr, prefix })
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = match (self.network, ip) {
            (IpAddr::V4(_), IpAddr::V6(v6)) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
            _ => ip,
        };
        let bits = |a: IpAddr| -> u128 {
            match a {
                IpAddr::V4(v4) => u128::from(u32::from(v4)) << 96,
                IpAddr::V6(v6) => u128::from(v6),
            }
        };
        if self.network.is_ipv4() != ip.is_ipv4() {
            return false;
        }
        let mask = if self.prefix == 0 { 0 } else { u128::MAX << (128 - u32::from(self.prefix)) };
        bits(self.network) & mask == bits(ip) & mask
    }
}

/// The whole-document check of a RADIUS configuration: its client addresses are addresses.
pub fn check_config(doc: &Map<String, Value>) -> Result<()> {
    for address in doc["clientAddresses"].as_array().into_iter().flatten() {
        if address.as_str().and_then(AddressRule::parse).is_none() {
            return Err(DomainError::new(ErrorCode::InvalidParameter)
                .field("clientAddresses")
                .detail(format!("must hold IP addresses or CIDR blocks; not {address}")));
        }
    }
    Ok(())
}

/// A RADIUS configuration a NAS's datagrams may be checked against.
#[derive(Debug, Clone)]
pub struct RadiusClient {
    pub scope: Scope,
    pub uid: String,
    pub secret: Vec<u8>,
    pub require_message_authenticator: bool,
    /// The configuration asks for a code after the password, whatever the MFA settings say.
    pub code_always: bool,
}

/// What the server answers an Access-Request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RadiusDecision {
    Accept {
        username: String,
    },
    /// Ask for a code; `state` goes back to the NAS and returns with the answer.
    Challenge {
        state: Vec<u8>,
        prompt: String,
    },
    Reject {
        message: String,
    },
}

#[derive(Serialize, Deserialize)]
struct ChallengeState {
    /// The user.
    u: String,
    /// The handle whose digest (with the configuration) the stored challenge holds.
    h: String,
}

/// What the stored challenge holds of a State: its handle bound to the configuration.
fn handle_digest(handle: &str, config: &str) -> String {
    keyhall_crypto::token::digest(&format!("radius:{handle}:{config}"))
}

impl Adminx<'_> {
    /// The RADIUS configurations that list `ip` among their clients and have a shared secret.
    pub async fn radius_clients(self, ip: IpAddr) -> Result<Vec<RadiusClient>> {
        let mut out = Vec::new();
        for item in self.core.store.items_of_kind(RADIUS.kind()).await? {
            let serves = item.body["clientAddresses"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|a| a.as_str().and_then(AddressRule::parse))
                .any(|rule| rule.contains(ip));
            // The address first: a datagram from anywhere else unseals nothing.
            if !serves {
                continue;
            }
            let Some(secret) = self.item_secret(&item, "sharedSecret").filter(|s| !s.is_empty()) else { continue };
            let schemes = item.body["authScheme"].as_array().cloned().unwrap_or_default();
            out.push(RadiusClient {
                scope: item.scope,
                uid: item.name.clone(),
                secret: secret.into_bytes(),
                require_message_authenticator: item.body["requireMessageAuthenticator"].as_bool().unwrap_or(true),
                code_always: schemes
                    .iter()
                    .filter_map(Value::as_str)
                    .any(|s| CODE_SCHEMES.contains(&s.to_ascii_lowercase().as_str())),
            });
        }
        Ok(out)
    }

    /// The password step of an Access-Request: Accept, a Challenge for the code, or Reject.
    pub async fn radius_password(
        self,
        client: &RadiusClient,
        username: &str,
        password: &str,
        origin: &Origin,
    ) -> Result<RadiusDecision> {
        let scope = client.scope;
        let member = match self.check_password(scope, username, password, origin).await {
            Ok(member) => member,
            Err(e) => return refusal(e),
        };
        if !(client.code_always || self.needs_second_factor(scope, &member, origin).await?) {
            self.record(
                scope,
                Some(&member),
                "E_LOGIN_SUCCEEDED",
                serde_json::json!({ "via": "radius", "config": client.uid }),
                origin,
            )
            .await?;
            return Ok(RadiusDecision::Accept { username: member.username });
        }
        let has_factor =
            self.holds_hardware_token(member.user.id).await? || self.core.credentials().has_totp(member.user.id).await?;
        if !has_factor {
            self.record(
                scope,
                Some(&member),
                "E_LOGIN_FAILED",
                serde_json::json!({ "via": "radius", "reason": "no second factor" }),
                origin,
            )
            .await?;
            return Ok(RadiusDecision::Reject { message: "No one-time code is set up for this user".into() });
        }
        let handle = keyhall_crypto::random::alphanumeric(24);
        let now = self.core.now();
        let challenge = crate::credentials::challenges::Challenge {
            id: keyhall_types::ChallengeId::new(),
            tenant_id: scope.tenant,
            user_id: member.user.id,
            kind: crate::credentials::challenges::ChallengeKind::RadiusStep,
            state: handle_digest(&handle, &client.uid),
            created_at: now,
            expires_at: now + time::Duration::seconds(CHALLENGE_SECONDS),
        };
        self.core.store.put_challenge(&challenge, None).await?;
        let state = ChallengeState { u: member.user.id.to_string(), h: handle };
        let sealed = self.core.keys.seal_str(STATE_PURPOSE, &serde_json::to_string(&state).map_err(DomainError::internal)?);
        let prompt = self.mfa_settings(scope).await?.value.otp_prompt_text;
        Ok(RadiusDecision::Challenge { state: sealed.into_bytes(), prompt })
    }

    /// The answer to an Access-Challenge: the code of the user the State names (the request's
    /// User-Name must be that user), checked once against the stored challenge, counted like
    /// the code step of `/verifyuser`; a code that passes spends the challenge.
    pub async fn radius_code(
        self,
        client: &RadiusClient,
        username: &str,
        state: &[u8],
        code: &str,
        origin: &Origin,
    ) -> Result<RadiusDecision> {
        let expired = || Ok(RadiusDecision::Reject { message: "The challenge has expired; sign in again".into() });
        let Some(state) = std::str::from_utf8(state)
            .ok()
            .and_then(|s| self.core.keys.unseal_string(STATE_PURPOSE, s).ok())
            .and_then(|s| serde_json::from_str::<ChallengeState>(&s).ok())
        else {
            return expired();
        };
        let Ok(member) = self.member(client.scope, &state.u).await else { return expired() };
        if !member.username.eq_ignore_ascii_case(username.trim()) {
            return expired();
        }
        let kind = crate::credentials::challenges::ChallengeKind::RadiusStep;
        let Some(challenge) = self.core.store.take_challenge(member.user.id, kind, self.core.now()).await? else {
            return expired();
        };
        if !keyhall_crypto::constant_time_eq(challenge.state.as_bytes(), handle_digest(&state.h, &client.uid).as_bytes()) {
            // Another challenge of the user's (a newer sign-in, another NAS): it stays.
            self.core.store.put_challenge(&challenge, None).await?;
            return expired();
        }
        if let Err(e) = self.check_second_factor(client.scope, &member, code, origin).await {
            // A wrong code may be tried again within the challenge's time (the attempts are counted).
            self.core.store.put_challenge(&challenge, None).await?;
            return refusal(e);
        }
        self.record(
            client.scope,
            Some(&member),
            "E_LOGIN_SUCCEEDED",
            serde_json::json!({ "via": "radius", "config": client.uid }),
            origin,
        )
        .await?;
        Ok(RadiusDecision::Accept { username: member.username })
    }
}

/// A refused sign-in as the NAS is told it; other errors stay errors.
fn refusal(e: DomainError) -> Result<RadiusDecision> {
    let message = match e.code {
        ErrorCode::InvalidCredentials => "Invalid username or password",
        ErrorCode::AccountLocked => "User is locked",
        ErrorCode::TotpInvalidCode => "The one-time code is not valid",
        _ if e.kind() == crate::error::ErrorKind::RateLimited => "Too many attempts, try again later",
        _ => return Err(e),
    };
    Ok(RadiusDecision::Reject { message: message.into() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn address_rules_match_addresses_and_blocks() {
        let one = AddressRule::parse("127.0.0.1").unwrap();
        assert!(one.contains("127.0.0.1".parse().unwrap()));
        assert!(!one.contains("127.0.0.2".parse().unwrap()));
        let block = AddressRule::parse("10.1.0.0/16").unwrap();
        assert!(block.contains("10.1.200.3".parse().unwrap()));
        assert!(!block.contains("10.2.0.1".parse().unwrap()));
        assert!(block.contains("::ffff:10.1.0.9".parse().unwrap()), "IPv4-mapped IPv6");
        assert!(AddressRule::parse("::1/128").unwrap().contains("::1".parse().unwrap()));
        assert!(AddressRule::parse("0.0.0.0/0").unwrap().contains("8.8.8.8".parse().unwrap()));
        for bad in ["10.0.0.0/33", "example.com", "10.0.0/8", ""] {
            assert!(AddressRule::parse(bad).is_none(), "{bad}");
        }
    }
}
