//! 1Kosmos Reports: the events of a community (every audited sign-in, failure, lock and
//! administrator's change made in it, and the events its clients store), read back as the
//! vendor's reports: raw events, the audit log, login activity, last logins, metrics.

use keyhall_types::Timestamp;
use serde_json::{Map, Value, json};

use super::{Adminx, Scope};
use crate::audit::AuditEvent;
use crate::error::{DomainError, Result};
use crate::ports::{UnitOfWork, Write};

/// How far back a report may look.
pub const MAX_DAYS: i64 = 90;
/// The window when a report names none.
pub const DEFAULT_DAYS: i64 = 30;

/// The names of the sign-in flow's events; everything else recorded in a community is an
/// administrator's change (the audit log).
const FLOW_EVENTS: &[&str] = &["E_LOGOUT", "E_USER_LOCKED", "E_OTP_SENT", "E_SESSIONS_TERMINATED"];

/// Events keyhall records itself, which a client may not store: the sign-ins, logouts and
/// locks that metrics and last logins count, and new devices.
const SERVER_EVENTS: &[&str] = &[
    "E_LOGIN_SUCCEEDED",
    "E_LOGIN_FAILED",
    "E_LOGOUT",
    "E_USER_LOCKED",
    "E_WALLET_CREATED",
    "E_DEVICE_REGISTERED",
    "E_NEW_DEVICE",
];
/// How far a client's own `event_ts` may be from the server's time before the server's is used.
const CLIENT_SKEW_MS: i64 = 5 * 60 * 1000;

/// `EVENT` for the sign-in flow (`E_LOGIN_*`, `E_SP_REDIRECT_*`, logouts, locks, codes sent),
/// `AUDIT_LOG` for the rest.
pub fn category_of(event_name: &str) -> &'static str {
    if event_name.starts_with("E_LOGIN") || event_name.starts_with("E_SP_REDIRECT") || FLOW_EVENTS.contains(&event_name) {
        "EVENT"
    } else {
        "AUDIT_LOG"
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ReportEvent {
    pub id: String,
    pub scope: Scope,
    pub category: String,
    pub event_name: String,
    /// The login name of who it is about (1Kosmos calls it `user_id`).
    pub user_id: Option<String>,
    pub outcome: Option<String>,
    pub session_id: Option<String>,
    pub application: Option<String>,
    pub auth_method: Option<String>,
    /// Milliseconds since the epoch.
    pub event_ts: i64,
    /// The event's other fields.
    pub body: Value,
}

fn text(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).filter(|s| !s.is_empty()).map(str::to_string)
}

impl ReportEvent {
    /// The report event an audit record of a community is.
    pub fn from_audit(e: &AuditEvent) -> Option<Self> {
        let (community, login) = e.community.clone()?;
        let mut body = match &e.details {
            Value::Object(m) => m.clone(),
            _ => Map::new(),
        };
        for (key, value) in [
            ("caller_ip", e.ip.clone()),
            ("caller_user_agent", e.user_agent.clone()),
            ("actor_kind", Some(e.actor_kind.clone())),
            ("actor_id", e.actor_id.clone()),
            ("target_kind", Some(e.target_kind.clone())),
            ("target_id", e.target_id.clone()),
        ] {
            if let Some(v) = value {
                body.entry(key.to_string()).or_insert(Value::String(v));
            }
        }
        if !login.is_empty() {
            body.entry("performed_by".to_string()).or_insert(Value::String(login.clone()));
        }
        let body = Value::Object(body);
        let user_id = text(&body, "username").or_else(|| (!login.is_empty()).then(|| login.clone()));
        Some(Self {
            id: e.id.to_string(),
            scope: Scope { tenant: e.tenant_id, community },
            category: category_of(&e.action).to_string(),
            outcome: Some(if e.action.ends_with("_FAILED") { "failure" } else { "success" }.to_string()),
            session_id: text(&body, "session_id").or_else(|| text(&body, "sessionId")),
            application: text(&body, "application"),
            auth_method: text(&body, "auth_method"),
            event_name: e.action.clone(),
            user_id: user_id.map(|u| u.to_lowercase()),
            event_ts: (e.at.unix_timestamp_nanos() / 1_000_000) as i64,
            body,
        })
    }

    /// The event as the vendor's reports show it: its own fields, then the indexed ones.
    pub fn to_json(&self) -> Value {
        let mut out = match &self.body {
            Value::Object(m) => m.clone(),
            _ => Map::new(),
        };
        let date =
            Timestamp::from_unix_timestamp_nanos(i128::from(self.event_ts) * 1_000_000).map(format_date).unwrap_or_default();
        for (key, value) in [
            ("event_id", json!(self.id)),
            ("eventName", json!(self.event_name)),
            ("eventCategory", json!(self.category)),
            ("tenant_id", json!(self.scope.tenant.to_string())),
            ("community_id", json!(self.scope.community.to_string())),
            ("user_id", json!(self.user_id)),
            ("outcome", json!(self.outcome)),
            ("session_id", json!(self.session_id)),
            ("event_ts", json!(self.event_ts)),
            ("date", json!(date)),
        ] {
            if !value.is_null() {
                out.insert(key.to_string(), value);
            }
        }
        Value::Object(out)
    }
}

/// `YYYY-MM-DD HH:mm:ss.SSS` (UTC), the reports' date format.
pub fn format_date(t: Timestamp) -> String {
    format_date_in(t, time::UtcOffset::UTC)
}

/// The reports' date format, in the zone of `offset`.
pub fn format_date_in(t: Timestamp, offset: time::UtcOffset) -> String {
    let t = t.to_offset(offset);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}.{:03}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.millisecond()
    )
}

/// A report date: `YYYY-MM-DD HH:mm:ss.SSS`, also without milliseconds or time, or with a `T`.
pub fn parse_date(text: &str) -> Option<Timestamp> {
    let text = text.trim().replace('T', " ");
    let text = text.trim_end_matches('Z');
    let (date, time) = text.split_once(' ').unwrap_or((text, "00:00:00"));
    let mut d = date.split('-').map(|p| p.parse::<i32>().ok());
    let (year, month, day) = (d.next()??, d.next()??, d.next()??);
    let (clock, millis) = time.split_once('.').unwrap_or((time, "0"));
    let mut c = clock.split(':').map(|p| p.parse::<u8>().ok());
    let (hour, minute, second) = (c.next()??, c.next().unwrap_or(Some(0))?, c.next().unwrap_or(Some(0))?);
    let millis: u16 = format!("{millis:0<3}").get(..3)?.parse().ok()?;
    let date =
        time::Date::from_calendar_date(year, time::Month::try_from(u8::try_from(month).ok()?).ok()?, u8::try_from(day).ok()?)
            .ok()?;
    let clock = time::Time::from_hms_milli(hour, minute, second, millis).ok()?;
    Some(time::PrimitiveDateTime::new(date, clock).assume_utc())
}

/// Which events a report reads.
#[derive(Debug, Clone, Default)]
pub struct EventQuery {
    pub from_ms: i64,
    pub to_ms: i64,
    pub category: Option<String>,
    /// Any of these names (none: all).
    pub event_names: Vec<String>,
    pub user_id: Option<String>,
    pub outcome: Option<String>,
    pub session_ids: Vec<String>,
    pub application: Option<String>,
    pub auth_method: Option<String>,
    pub limit: i64,
    pub offset: i64,
    /// The window as the request wrote it (`from|to`, empty for defaults): a window ending
    /// "now" is the same query however often it is asked.
    pub window: Option<String>,
}

impl EventQuery {
    /// What the query matches, paging aside.
    fn cache_key(&self) -> String {
        let window = self.window.clone().unwrap_or_else(|| format!("{}|{}", self.from_ms, self.to_ms));
        format!(
            "{window}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}",
            self.category, self.event_names, self.user_id, self.outcome, self.session_ids, self.application, self.auth_method
        )
    }
}

/// A report's time window from the request's `from` and `to` (texts, when given): `from` no
/// older than 90 days (default 30 days ago), `to` not before it (default now).
pub fn window(from: Option<&str>, to: Option<&str>, now: Timestamp) -> Result<(Timestamp, Timestamp)> {
    let parse = |field: &'static str, text: &str| {
        parse_date(text).ok_or_else(|| DomainError::invalid(field, "must be a date such as 2024-09-01 00:00:00.000"))
    };
    let from = match from {
        Some(t) => parse("from", t)?,
        None => now - time::Duration::days(DEFAULT_DAYS),
    };
    let to = match to {
        Some(t) => parse("to", t)?,
        None => now,
    };
    if from < now - time::Duration::days(MAX_DAYS) {
        return Err(DomainError::invalid("from", format!("must be within the last {MAX_DAYS} days")));
    }
    if to < from {
        return Err(DomainError::invalid("to", "must not be before from"));
    }
    Ok((from, to))
}

pub fn millis(t: Timestamp) -> i64 {
    (t.unix_timestamp_nanos() / 1_000_000) as i64
}

impl Adminx<'_> {
    /// A page of the community's events and how many match.
    pub async fn report_events(self, scope: Scope, query: &EventQuery) -> Result<(Vec<ReportEvent>, i64)> {
        let page = self.core.store.report_events(scope.community, query).await?;
        Ok((page, self.count_events(scope, query, false).await?.0))
    }

    /// How many events match `query` (paging aside), and (when `users`) how many users they
    /// are about. Kept for the read-cache time: concurrent askers of one count wait for one
    /// reading of it.
    pub async fn count_events(self, scope: Scope, query: &EventQuery, users: bool) -> Result<(i64, i64)> {
        let key = (scope.community, format!("{users}|{}", query.cache_key()));
        let store = self.core.store.clone();
        let (community, query) = (scope.community, query.clone());
        self.core
            .adminx_cache
            .report_totals
            .try_get_with(key, async move { store.count_report_events(community, &query, users).await })
            .await
            .map_err(|e| (*e).clone())
    }

    /// `PUT /reports/event`: a client's event, stored as given (its `type`, `eventName`,
    /// `event_id`, `caller_user_agent` and `version` required), the server's address and time
    /// filled in where `serverEventData` asks (and when the client gave none).
    pub async fn store_client_event(
        self,
        scope: Scope,
        event: &Value,
        server_ip: bool,
        server_ts: bool,
        origin: &crate::Origin,
    ) -> Result<ReportEvent> {
        let mut body = event.as_object().cloned().ok_or_else(|| DomainError::missing("eventData"))?;
        for required in ["type", "eventName", "event_id", "caller_user_agent", "version"] {
            match body.get(required) {
                Some(Value::String(s)) if !s.trim().is_empty() && s.len() <= 512 => {}
                None | Some(Value::Null) => return Err(DomainError::missing(format!("eventData.{required}"))),
                Some(_) => {
                    return Err(DomainError::invalid(
                        format!("eventData.{required}"),
                        "must be a string of at most 512 characters",
                    ));
                }
            }
        }
        let name = body["eventName"].as_str().unwrap_or_default().trim().to_string();
        if !name.starts_with("E_") || !name.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_') {
            return Err(DomainError::invalid("eventData.eventName", "must be an event name such as E_LOGIN_VISITED"));
        }
        if SERVER_EVENTS.contains(&name.as_str()) {
            return Err(DomainError::invalid("eventData.eventName", format!("{name} is recorded by keyhall itself")));
        }
        if body.len() > 64 || Value::Object(body.clone()).to_string().len() > 16 * 1024 {
            return Err(DomainError::invalid("eventData", "is too large"));
        }
        let now = millis(self.core.now());
        if server_ip || !body.contains_key("caller_ip") {
            body.insert("caller_ip".into(), json!(origin.ip));
        }
        let event_ts = match body.get("event_ts").and_then(Value::as_i64) {
            Some(ts) if !server_ts && (ts - now).abs() <= CLIENT_SKEW_MS => ts,
            _ => now,
        };
        body.insert("event_ts".into(), json!(event_ts));
        body.insert("source".into(), json!("client"));
        let body = Value::Object(body);
        let event = ReportEvent {
            id: uuid::Uuid::new_v4().to_string(),
            scope,
            // Never the audit log: a client's word is not an administrator's change.
            category: "EVENT".to_string(),
            user_id: text(&body, "user_id").or_else(|| text(&body, "username")).map(|u| u.to_lowercase()),
            outcome: text(&body, "outcome"),
            session_id: text(&body, "session_id"),
            application: text(&body, "application"),
            auth_method: text(&body, "auth_method"),
            event_name: name,
            event_ts,
            body,
        };
        self.core.store.commit(UnitOfWork::new().write(Write::InsertReportEvent(event.clone()))).await?;
        Ok(event)
    }

    /// `/reports/userenrollment`: users of a module with their last sign-in.
    pub async fn last_logins(self, scope: Scope, usernames: &[String]) -> Result<Vec<(String, i64)>> {
        self.core.store.last_logins(scope.community, usernames).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_dates_read_as_documented_and_round_trip() {
        let t = parse_date("2021-09-01 13:04:05.123").unwrap();
        assert_eq!(format_date(t), "2021-09-01 13:04:05.123");
        assert_eq!(format_date(parse_date("2021-09-01").unwrap()), "2021-09-01 00:00:00.000");
        assert_eq!(format_date(parse_date("2021-09-01T13:04:05Z").unwrap()), "2021-09-01 13:04:05.000");
        assert_eq!(format_date(parse_date("2021-09-01 13:04:05.5").unwrap()), "2021-09-01 13:04:05.500");
        let offset = time::UtcOffset::from_hms(5, 30, 0).unwrap();
        assert_eq!(format_date_in(t, offset), "2021-09-01 18:34:05.123");
        for bad in ["yesterday", "2021-13-01", "2021-09-01 25:00:00", ""] {
            assert!(parse_date(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn windows_default_to_thirty_days_and_refuse_older_than_ninety() {
        let now = parse_date("2024-06-30 12:00:00").unwrap();
        let (from, to) = window(None, None, now).unwrap();
        assert_eq!((now - from, to), (time::Duration::days(30), now));
        assert!(window(Some("2024-03-01 00:00:00"), None, now).is_err());
        assert!(window(Some("2024-06-20 00:00:00"), Some("2024-06-19 00:00:00"), now).is_err());
        assert!(window(Some("2024-06-20 00:00:00"), Some("2024-06-20 00:00:00"), now).is_ok());
    }

    #[test]
    fn sign_in_events_are_events_and_changes_the_audit_log() {
        assert_eq!(category_of("E_LOGIN_SUCCEEDED"), "EVENT");
        assert_eq!(category_of("E_SP_REDIRECT_SUCCEEDED"), "EVENT");
        assert_eq!(category_of("E_ROLE_CHANGED"), "AUDIT_LOG");
        assert_eq!(category_of("E_CONFIG_MODIFIED"), "AUDIT_LOG");
    }
}
