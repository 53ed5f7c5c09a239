//! Authentication journeys at sign-in: an enabled journey (v1 or v2) whose conditions all
//! hold for a sign-in and whose decision is `mfa_required` makes it ask for a second factor.
//! A sign-in knows its user's login name and its client's address; a journey that also
//! names groups, devices or applications does not apply to it (that context comes with the
//! sign-in protocols).

use std::net::IpAddr;

use serde_json::Value;

use super::collection_kinds::{JOURNEYS, JOURNEYS_V2};
use super::radius::AddressRule;
use super::{Adminx, Scope};
use crate::error::Result;

/// What a sign-in tells journeys of itself.
pub struct SignInContext<'a> {
    pub username: &'a str,
    pub ip: Option<&'a str>,
}

/// Whether `ip` is in `range`: an address, a CIDR block, or `first-last`.
fn in_range(range: &str, ip: IpAddr) -> bool {
    if let Some((first, last)) = range.split_once('-') {
        return match (first.trim().parse::<IpAddr>(), last.trim().parse::<IpAddr>()) {
            (Ok(IpAddr::V4(a)), Ok(IpAddr::V4(b))) => match ip {
                IpAddr::V4(x) => a <= x && x <= b,
                IpAddr::V6(_) => false,
            },
            (Ok(IpAddr::V6(a)), Ok(IpAddr::V6(b))) => match ip {
                IpAddr::V6(x) => a <= x && x <= b,
                IpAddr::V4(_) => false,
            },
            _ => false,
        };
    }
    AddressRule::parse(range).is_some_and(|rule| rule.contains(ip))
}

/// A condition `{value[], operator}` against what the sign-in has for it: `None` when the
/// journey sets no condition there, else whether it holds (never, when the sign-in has no
/// such value).
fn holds(condition: &Value, actual: Option<&str>) -> Option<bool> {
    let values: Vec<&str> = condition["value"].as_array()?.iter().filter_map(Value::as_str).collect();
    if values.is_empty() {
        return None;
    }
    let Some(actual) = actual else { return Some(false) };
    let listed = values.iter().any(|v| v.eq_ignore_ascii_case(actual.trim()));
    let ranged = || actual.trim().parse::<IpAddr>().is_ok_and(|ip| values.iter().any(|v| in_range(v, ip)));
    Some(match condition["operator"].as_str().unwrap_or("in") {
        "not_in" | "ne" => !listed,
        "in_range" => ranged(),
        "not_in_range" => !ranged(),
        _ => listed,
    })
}

/// Whether a journey's conditions all hold for the sign-in (and it sets at least one).
fn applies(journey: &Value, checks: &[(&str, Option<&str>)]) -> bool {
    if journey["enabled"] == Value::Bool(false) {
        return false;
    }
    let mut any = false;
    for (field, actual) in checks {
        match holds(&journey[*field], *actual) {
            Some(true) => any = true,
            Some(false) => return false,
            None => {}
        }
    }
    any
}

fn asks_for_mfa(journey: &Value) -> bool {
    journey["decision"]["action"].as_str().is_some_and(|a| a.eq_ignore_ascii_case("mfa_required"))
}

impl Adminx<'_> {
    /// Whether an enabled journey of the community asks this sign-in for a second factor.
    pub async fn journey_requires_mfa(self, scope: Scope, sign_in: &SignInContext<'_>) -> Result<bool> {
        let v1 = [
            ("username", Some(sign_in.username)),
            ("ip", sign_in.ip),
            ("groups", None),
            ("deviceId", None),
            ("application", None),
        ];
        for item in self.items(scope, &JOURNEYS).await? {
            if asks_for_mfa(&item.body) && applies(&item.body, &v1) {
                return Ok(true);
            }
        }
        let v2 = [("usernames", Some(sign_in.username)), ("groups", None)];
        for item in self.items(scope, &JOURNEYS_V2).await? {
            let app = &item.body["requestingAppId"]["value"];
            if app.as_str().is_some_and(|a| !a.is_empty()) {
                continue; // names an application: not a sign-in of this API's
            }
            if asks_for_mfa(&item.body) && applies(&item.body, &v2) {
                return Ok(true);
            }
        }
        Ok(false)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn conditions_hold_by_their_operator() {
        assert_eq!(holds(&json!({ "value": ["Sam", "ann"], "operator": "in" }), Some("sam")), Some(true));
        assert_eq!(holds(&json!({ "value": ["sam"], "operator": "not_in" }), Some("sam")), Some(false));
        assert_eq!(holds(&json!({ "value": ["10.0.0.0/8"], "operator": "in_range" }), Some("10.2.3.4")), Some(true));
        assert_eq!(
            holds(&json!({ "value": ["192.168.1.10-192.168.1.20"], "operator": "in_range" }), Some("192.168.1.15")),
            Some(true)
        );
        assert_eq!(
            holds(&json!({ "value": ["192.168.1.10-192.168.1.20"], "operator": "in_range" }), Some("192.168.1.21")),
            Some(false)
        );
        assert_eq!(holds(&json!({ "value": ["10.0.0.0/8"], "operator": "not_in_range" }), Some("127.0.0.1")), Some(true));
        assert_eq!(holds(&json!({ "value": [] }), Some("sam")), None);
        assert_eq!(holds(&json!({ "value": ["g1"], "operator": "overlap" }), None), Some(false), "unknown context never holds");
    }

    #[test]
    fn a_journey_applies_when_every_condition_it_sets_holds() {
        let j = json!({ "enabled": true, "username": { "value": ["sam"] }, "ip": { "value": ["127.0.0.0/8"], "operator": "in_range" } });
        assert!(applies(&j, &[("username", Some("sam")), ("ip", Some("127.0.0.1"))]));
        assert!(!applies(&j, &[("username", Some("sam")), ("ip", Some("10.0.0.1"))]));
        assert!(!applies(&json!({ "enabled": true }), &[("username", Some("sam"))]), "no condition: not a rule for everyone");
        let off = json!({ "enabled": false, "username": { "value": ["sam"] } });
        assert!(!applies(&off, &[("username", Some("sam"))]));
    }
}
