//! Device tokens ("device cookies"): a client that signed in to an account successfully gets
//! a token that proves it did. At the next sign-in to that account, a client showing a valid
//! token is counted on a failure counter of its own, so that strangers guessing the password
//! (who share the account's counter and the client address's) cannot lock the owner out.
//! A known device that guesses wrong too often loses that standing and is counted like any
//! unknown one.
//!
//! A token is `<issued, unix seconds>.<random id>.<MAC>`, the MAC (under the master key)
//! binding the id and issue time to the account's address: it is checked without a lookup,
//! and cannot be moved to another account or forged.

use keyhall_types::{TenantId, Timestamp};

use super::Auth;

/// How long a device stays known after its last successful sign-in.
pub const DEVICE_TOKEN_TTL: time::Duration = time::Duration::days(90);

const MAC_PURPOSE: &str = "auth.device-token";

/// A device token just issued, for the client to keep.
#[derive(Debug, Clone)]
pub struct DeviceToken {
    pub token: String,
    pub lifetime: time::Duration,
}

impl Auth<'_> {
    /// A new device token for a client that just signed in as `email` of `tenant`.
    pub(crate) fn issue_device_token(self, tenant: TenantId, email: &str) -> DeviceToken {
        let issued = self.core.now().unix_timestamp();
        let id = hex::encode(keyhall_crypto::random::bytes::<16>());
        let mac = self.device_mac(tenant, email, issued, &id);
        DeviceToken { token: format!("{issued}.{id}.{mac}"), lifetime: DEVICE_TOKEN_TTL }
    }

    /// The failure counter of the device `token` names, when it is a valid, unexpired token
    /// issued for `email` of `tenant`.
    pub(crate) fn device_counter(self, tenant: TenantId, email: &str, token: &str, now: Timestamp) -> Option<String> {
        let mut parts = token.trim().splitn(3, '.');
        let (issued, id, mac) = (parts.next()?, parts.next()?, parts.next()?);
        let issued_at: i64 = issued.parse().ok()?;
        if id.len() != 32 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let expected = self.device_mac(tenant, email, issued_at, id);
        if !keyhall_crypto::constant_time_eq(expected.as_bytes(), mac.as_bytes()) {
            return None;
        }
        let issued = Timestamp::from_unix_timestamp(issued_at).ok()?;
        (issued <= now && now < issued + DEVICE_TOKEN_TTL).then(|| format!("device:{tenant}:{id}"))
    }

    fn device_mac(self, tenant: TenantId, email: &str, issued: i64, id: &str) -> String {
        let account = super::attempts::account_key(tenant, email);
        hex::encode(self.core.keys.mac(MAC_PURPOSE, format!("{account}\n{issued}\n{id}").as_bytes()))
    }
}
