//! OATH hardware tokens (HOTP, RFC 4226; TOTP, RFC 6238) of a community: imported from CSV
//! with their seeds (sealed under the master key, never shown again), handed to users, and
//! accepted as the second factor of sign-in (here, over RADIUS, and in the token test). A code
//! is good once: accepting one moves the token's counter with a compare-and-set, so two
//! sign-ins racing with one code cannot both pass.

use keyhall_crypto::totp::{Algorithm, hotp};
use keyhall_types::{Timestamp, UserId};
use serde_json::{Value, json};

use super::members::Member;
use super::token_csv::{self, Row};
use super::{Adminx, Scope, SignedInCaller};
use crate::audit::AuditEvent;
use crate::error::{DomainError, ErrorCode, Result};
use crate::ports::{UnitOfWork, Write};

const SEED_PURPOSE: &str = "adminx.hardware_token_seed";
/// HOTP codes ahead of the counter accepted at sign-in (RFC 4226 §7.4: a token pressed a few
/// times without use).
const HOTP_WINDOW: i64 = 10;
/// The look-ahead of a resync, where three consecutive codes make a wide search safe.
const HOTP_RESYNC_WINDOW: i64 = 1_000;
/// TOTP steps either side of now a resync searches (an hour of drift at 30 s).
const TOTP_RESYNC_STEPS: i64 = 120;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OathKind {
    Hotp,
    Totp,
}

impl OathKind {
    pub fn as_str(self) -> &'static str {
        match self {
            OathKind::Hotp => "hotp",
            OathKind::Totp => "totp",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "hotp" | "oath-hotp" | "event" => Some(OathKind::Hotp),
            "totp" | "oath-totp" | "time" => Some(OathKind::Totp),
            _ => None,
        }
    }
}

/// The HMAC of a token, from its name (`SHA1`, `HMAC-SHA256`, `sha512`).
pub fn parse_algorithm(text: &str) -> Option<Algorithm> {
    match text.trim().to_ascii_uppercase().trim_start_matches("HMAC-").replace('-', "").as_str() {
        "SHA1" => Some(Algorithm::Sha1),
        "SHA256" => Some(Algorithm::Sha256),
        "SHA512" => Some(Algorithm::Sha512),
        _ => None,
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct HardwareToken {
    pub id: String,
    pub scope: Scope,
    pub serial_number: String,
    pub kind: OathKind,
    pub algorithm: Algorithm,
    pub digits: u32,
    /// Seconds per TOTP step.
    pub period: u32,
    /// The seed, sealed.
    pub seed: String,
    /// HOTP: the next counter expected. TOTP: the last step accepted.
    pub counter: i64,
    /// TOTP: the steps the token's clock is off by, as a resync found.
    pub drift: i64,
    pub last_used_at: Option<Timestamp>,
    pub created_by: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl HardwareToken {
    fn code(&self, key: &[u8], counter: i64) -> Option<String> {
        u64::try_from(counter).ok().map(|c| hotp(self.algorithm, key, c, self.digits))
    }

    fn well_formed(&self, code: &str) -> bool {
        code.len() == self.digits as usize && code.bytes().all(|b| b.is_ascii_digit())
    }

    /// A code as the token shows it: one sent as a number has lost its leading zeros.
    fn padded(&self, code: &str) -> String {
        let code = code.trim();
        if code.len() < self.digits as usize && !code.is_empty() && code.bytes().all(|b| b.is_ascii_digit()) {
            format!("{code:0>width$}", width = self.digits as usize)
        } else {
            code.to_string()
        }
    }

    fn matches(&self, key: &[u8], counter: i64, code: &str) -> bool {
        self.code(key, counter).is_some_and(|expected| keyhall_crypto::constant_time_eq(expected.as_bytes(), code.as_bytes()))
    }

    fn step(&self, unix_seconds: i64) -> i64 {
        unix_seconds / i64::from(self.period.max(1))
    }

    /// The (counter, drift) after accepting `code` at `unix_seconds`, if it is good: HOTP
    /// within the look-ahead window; TOTP the step before, at or after now (corrected by the
    /// drift), and later than the last step accepted.
    pub fn accept(&self, key: &[u8], code: &str, unix_seconds: i64) -> Option<(i64, i64)> {
        let code = &self.padded(code);
        if !self.well_formed(code) {
            return None;
        }
        match self.kind {
            OathKind::Hotp => {
                (self.counter..self.counter + HOTP_WINDOW).find(|c| self.matches(key, *c, code)).map(|c| (c + 1, self.drift))
            }
            OathKind::Totp => {
                let now = self.step(unix_seconds) + self.drift;
                (now - 1..=now + 1).filter(|s| *s > self.counter).find(|s| self.matches(key, *s, code)).map(|s| (s, self.drift))
            }
        }
    }

    /// The (counter, drift) three consecutive codes put the token at, if they are its codes.
    pub fn resync(&self, key: &[u8], codes: [&str; 3], unix_seconds: i64) -> Option<(i64, i64)> {
        let codes = codes.map(|c| self.padded(c));
        let codes = [codes[0].as_str(), codes[1].as_str(), codes[2].as_str()];
        if !codes.iter().all(|c| self.well_formed(c)) {
            return None;
        }
        let run = |first: i64| codes.iter().zip(first..).all(|(code, c)| self.matches(key, c, code));
        match self.kind {
            OathKind::Hotp => (self.counter..self.counter + HOTP_RESYNC_WINDOW).find(|c| run(*c)).map(|c| (c + 3, 0)),
            OathKind::Totp => {
                let now = self.step(unix_seconds);
                // The nearest drift first, so that a token that is right is not moved.
                let mut drifts: Vec<i64> = (-TOTP_RESYNC_STEPS..=TOTP_RESYNC_STEPS).collect();
                drifts.sort_by_key(|d| d.abs());
                // Never back before a step already accepted (it would be good again).
                drifts.into_iter().find(|d| run(now + d - 2)).map(|d| ((now + d).max(self.counter), d))
            }
        }
    }

    /// What a reader sees: never the seed.
    pub fn to_json(&self, holders: Option<i64>, now: Timestamp) -> Value {
        let mut out = json!({
            "_id": self.id,
            "id": self.id,
            "tenantId": self.scope.tenant.to_string(),
            "communityId": self.scope.community.to_string(),
            "serialNumber": self.serial_number,
            "type": self.kind.as_str(),
            "algorithm": self.algorithm.name(),
            "digits": self.digits,
            "counter": self.counter,
            "createdBy": self.created_by,
            "createdAt": self.created_at.unix_timestamp() * 1000,
            "updatedAt": self.updated_at.unix_timestamp() * 1000,
            "lastUsedAt": self.last_used_at.map(|t| t.unix_timestamp() * 1000),
        });
        if self.kind == OathKind::Totp {
            out["period"] = json!(self.period);
        }
        if let Some(n) = holders {
            out["assignedUserCount"] = json!(n);
        }
        let active = self.last_used_at.is_some_and(|t| now - t <= time::Duration::days(ACTIVE_DAYS));
        out["activityStatus"] = json!(if active { "active" } else { "inactive" });
        out
    }
}

/// A token is `active` when it signed someone in within this many days.
pub const ACTIVE_DAYS: i64 = 30;

/// A user holding a token.
#[derive(Debug, Clone, PartialEq)]
pub struct TokenHolder {
    pub token_id: String,
    pub serial_number: String,
    pub scope: Scope,
    pub user_id: UserId,
    pub username: String,
    pub assigned_at: Timestamp,
}

impl TokenHolder {
    pub fn to_json(&self) -> Value {
        json!({
            "username": self.username,
            "uid": self.user_id.to_string(),
            "serialNumber": self.serial_number,
            "tokenId": self.token_id,
            "assignedAt": self.assigned_at.unix_timestamp() * 1000,
        })
    }
}

/// A serial number filter: `sr001` exactly, or `/sr0/` for serial numbers containing `sr0`.
#[derive(Debug, Clone, PartialEq)]
pub enum SerialMatch {
    Exact(String),
    Contains(String),
}

impl SerialMatch {
    pub fn parse(text: &str) -> Self {
        match text.strip_prefix('/').and_then(|t| t.strip_suffix('/')) {
            Some(inner) => SerialMatch::Contains(inner.to_string()),
            None => SerialMatch::Exact(text.to_string()),
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct TokenQuery {
    /// Any of these (none: all).
    pub serials: Vec<SerialMatch>,
    pub kind: Option<OathKind>,
    pub limit: i64,
    pub offset: i64,
}

#[derive(Debug, Clone, Default)]
pub struct HolderQuery {
    pub username: Option<String>,
    pub serials: Vec<SerialMatch>,
    pub limit: i64,
    pub offset: i64,
}

/// The columns of a tokens file, in the order a file without a header lists them.
const TOKEN_COLUMNS: &[(&str, &[&str])] = &[
    ("serialnumber", &["serial", "sn", "serialno", "tokenserial"]),
    ("seed", &["secret", "key", "secretkey", "seedhex", "hexseed"]),
    ("counter", &["count", "movingfactor"]),
    ("type", &["tokentype", "kind", "mode"]),
    ("digits", &["length", "otplength", "codelength"]),
    ("period", &["timestep", "interval", "step"]),
    ("algorithm", &["algo", "hash", "hmac"]),
    ("seedformat", &["encoding", "format", "seedencoding"]),
];

const HOLDER_COLUMNS: &[(&str, &[&str])] =
    &[("serialnumber", &["serial", "sn", "serialno", "tokenserial"]), ("username", &["user", "login", "email"])];

fn check_serial(serial: &str) -> std::result::Result<String, &'static str> {
    let serial = serial.trim();
    if serial.is_empty() || serial.chars().count() > 64 || serial.chars().any(char::is_control) {
        return Err("must be 1 to 64 characters");
    }
    Ok(serial.to_string())
}

/// A seed in hex or base32: hex when it reads as hex (an even number of hex digits) unless
/// `format` says base32. 80 to 512 bits.
pub fn decode_seed(text: &str, format: Option<&str>) -> std::result::Result<Vec<u8>, &'static str> {
    let cleaned: String = text.chars().filter(|c| !c.is_whitespace() && *c != '-').collect();
    let hex = || hex::decode(cleaned.trim_start_matches("0x")).ok();
    let bytes = match format.map(|f| f.trim().to_ascii_lowercase()) {
        Some(f) if f == "hex" => hex(),
        Some(f) if f == "base32" => keyhall_crypto::totp::decode_secret(&cleaned),
        Some(_) => return Err("has a seed format that is neither hex nor base32"),
        None => hex().or_else(|| keyhall_crypto::totp::decode_secret(&cleaned)),
    };
    match bytes {
        Some(b) if (10..=64).contains(&b.len()) => Ok(b),
        Some(_) => Err("has a seed that is not 80 to 512 bits"),
        None => Err("has a seed that is neither hex nor base32"),
    }
}

fn number(row: &Row, column: &str, default: i64, range: std::ops::RangeInclusive<i64>) -> Result<i64> {
    match row.get(column) {
        None => Ok(default),
        Some(v) => {
            v.parse::<i64>().ok().filter(|n| range.contains(n)).ok_or_else(|| {
                row.refuse(format!("has a {column} that is not a number from {} to {}", range.start(), range.end()))
            })
        }
    }
}

impl Adminx<'_> {
    fn seal_seed(self, seed: &[u8]) -> String {
        self.core.keys.seal(SEED_PURPOSE, seed)
    }

    fn seed_of(self, token: &HardwareToken) -> Result<Vec<u8>> {
        self.core
            .keys
            .unseal(SEED_PURPOSE, &token.seed)
            .map_err(|_| DomainError::internal("a hardware token seed did not unseal"))
    }

    fn token_not_found(serial: &str) -> DomainError {
        DomainError::new(ErrorCode::ItemNotFound).field("serialNumber").detail(format!("Hardware token {serial} not found"))
    }

    /// The community's tokens matching `query`, with how many users hold each, and how many match.
    pub async fn hardware_tokens(self, scope: Scope, query: &TokenQuery) -> Result<(Vec<(HardwareToken, i64)>, i64)> {
        self.core.store.hardware_tokens(scope.community, query).await
    }

    pub async fn token_holders(self, scope: Scope, query: &HolderQuery) -> Result<(Vec<TokenHolder>, i64)> {
        self.core.store.token_holders(scope.community, query).await
    }

    async fn token_by_serial(self, scope: Scope, serial: &str) -> Result<HardwareToken> {
        self.core
            .store
            .hardware_token_by_serial(scope.community, serial.trim())
            .await?
            .ok_or_else(|| Self::token_not_found(serial))
    }

    /// Adds the tokens a CSV text lists (administrators): all of them or, if any row is
    /// wrong or names a serial number already in the community, none.
    pub async fn import_tokens(self, caller: &SignedInCaller, scope: Scope, csv: &str) -> Result<Vec<HardwareToken>> {
        caller.require_admin()?;
        let now = self.core.now();
        let mut tokens: Vec<HardwareToken> = Vec::new();
        for row in token_csv::rows(csv, TOKEN_COLUMNS, &["serialnumber", "seed"])? {
            let serial =
                check_serial(row.need("serialnumber")?).map_err(|why| row.refuse(format!("has a serial number that {why}")))?;
            if tokens.iter().any(|t| t.serial_number == serial) {
                return Err(row.refuse(format!("repeats serial number {serial}")));
            }
            let seed = decode_seed(row.need("seed")?, row.get("seedformat")).map_err(|why| row.refuse(why))?;
            let kind = match row.get("type") {
                None => OathKind::Hotp,
                Some(t) => OathKind::parse(t).ok_or_else(|| row.refuse("has a type that is neither hotp nor totp"))?,
            };
            let algorithm = match row.get("algorithm") {
                None => Algorithm::Sha1,
                Some(a) => parse_algorithm(a).ok_or_else(|| row.refuse("has an algorithm that is not SHA1, SHA256 or SHA512"))?,
            };
            tokens.push(HardwareToken {
                id: uuid::Uuid::new_v4().to_string(),
                scope,
                serial_number: serial,
                kind,
                algorithm,
                digits: number(&row, "digits", 6, 6..=8)? as u32,
                period: number(&row, "period", 30, 10..=300)? as u32,
                seed: self.seal_seed(&seed),
                counter: number(&row, "counter", 0, 0..=(1 << 53))?,
                drift: 0,
                last_used_at: None,
                created_by: caller.member.user.email.as_str().to_string(),
                created_at: now,
                updated_at: now,
            });
        }
        for token in &tokens {
            if self.core.store.hardware_token_by_serial(scope.community, &token.serial_number).await?.is_some() {
                return Err(serial_taken(&token.serial_number));
            }
        }
        let audit =
            AuditEvent::new(&caller.caller, "E_HARDWARE_TOKENS_CREATED", "hardware_token", None, now).with_details(json!({
                "communityId": scope.community.to_string(),
                "serialNumbers": tokens.iter().map(|t| t.serial_number.as_str()).collect::<Vec<_>>(),
            }));
        let work = tokens.iter().fold(UnitOfWork::new(), |w, t| w.write(Write::InsertHardwareToken(t.clone()))).audit(audit);
        self.commit(work).await.map_err(|e| if e.is(ErrorCode::ItemNameTaken) { serial_taken("") } else { e })?;
        Ok(tokens)
    }

    /// Sets a token's seed and/or counter (administrators); a new seed forgets the drift.
    pub async fn edit_token(
        self,
        caller: &SignedInCaller,
        scope: Scope,
        id: &str,
        seed: Option<&str>,
        counter: Option<i64>,
    ) -> Result<HardwareToken> {
        caller.require_admin()?;
        if seed.is_none() && counter.is_none() {
            return Err(DomainError::invalid("seed", "seed or counter must be given"));
        }
        let mut token = match self.core.store.hardware_token(id.trim()).await? {
            Some(t) if t.scope == scope => t,
            _ => self.token_by_serial(scope, id).await?,
        };
        if let Some(seed) = seed {
            let bytes = decode_seed(seed, None)
                .map_err(|why| DomainError::invalid("seed", why.trim_start_matches("has a seed that ")))?;
            token.seed = self.seal_seed(&bytes);
            token.drift = 0;
            token.counter = 0;
        }
        if let Some(counter) = counter {
            if !(0..=(1 << 53)).contains(&counter) {
                return Err(DomainError::invalid("counter", "must be a number from 0 to 2^53"));
            }
            token.counter = counter;
        }
        token.updated_at = self.core.now();
        let audit = self.token_audit(caller, "E_HARDWARE_TOKEN_MODIFIED", &token);
        self.commit(UnitOfWork::new().write(Write::UpdateHardwareToken(token.clone())).audit(audit)).await?;
        Ok(token)
    }

    fn token_audit(self, caller: &SignedInCaller, event: &str, token: &HardwareToken) -> AuditEvent {
        AuditEvent::new(&caller.caller, event, "hardware_token", Some(token.id.clone()), self.core.now()).with_details(json!({
            "communityId": token.scope.community.to_string(),
            "serialNumber": token.serial_number,
        }))
    }

    /// Deletes the tokens with these serial numbers (administrators); how many there were.
    pub async fn delete_tokens(self, caller: &SignedInCaller, scope: Scope, serials: &[String]) -> Result<usize> {
        caller.require_admin()?;
        let mut work = UnitOfWork::new();
        let mut deleted = 0;
        for serial in serials {
            if let Some(token) = self.core.store.hardware_token_by_serial(scope.community, serial.trim()).await? {
                work = work.write(Write::DeleteHardwareToken(token.id.clone())).audit(self.token_audit(
                    caller,
                    "E_HARDWARE_TOKEN_DELETED",
                    &token,
                ));
                deleted += 1;
            }
        }
        if deleted > 0 {
            self.commit(work).await?;
        }
        Ok(deleted)
    }

    /// Finds the token's place from three consecutive codes (administrators).
    pub async fn resync_token(
        self,
        caller: &SignedInCaller,
        scope: Scope,
        serial: &str,
        codes: [&str; 3],
    ) -> Result<HardwareToken> {
        caller.require_admin()?;
        let mut token = self.token_by_serial(scope, serial).await?;
        let key = self.seed_of(&token)?;
        let (counter, drift) = token.resync(&key, codes.map(str::trim), self.core.now().unix_timestamp()).ok_or_else(|| {
            DomainError::new(ErrorCode::InvalidParameter)
                .detail("code1, code2 and code3 are not three consecutive codes of this token")
        })?;
        let expected = token.counter;
        (token.counter, token.drift, token.updated_at) = (counter, drift, self.core.now());
        let audit = self.token_audit(caller, "E_HARDWARE_TOKEN_RESYNCED", &token);
        let advance = Write::AdvanceHardwareToken { token: token.clone(), expected };
        self.commit(UnitOfWork::new().write(advance).audit(audit)).await?;
        Ok(token)
    }

    /// The users and tokens named by (username, serial number) pairs, each found in the community.
    async fn pairs(self, scope: Scope, pairs: &[(String, String)]) -> Result<Vec<(Member, HardwareToken)>> {
        let mut out = Vec::with_capacity(pairs.len());
        for (username, serial) in pairs {
            let member = self.member_by_username(scope.community, username).await?.ok_or_else(|| {
                DomainError::new(ErrorCode::UserNotFound).field("username").detail(format!("User {username} not found"))
            })?;
            out.push((member, self.token_by_serial(scope, serial).await?));
        }
        Ok(out)
    }

    /// Hands tokens to users (administrators): every pair, or none if one names an unknown
    /// user or token. Pairs already in place stay as they are. How many were new.
    pub async fn assign_tokens(self, caller: &SignedInCaller, scope: Scope, pairs: &[(String, String)]) -> Result<usize> {
        caller.require_admin()?;
        let now = self.core.now();
        let mut work = UnitOfWork::new();
        let mut added = 0;
        for (member, token) in self.pairs(scope, pairs).await? {
            if self.core.store.user_hardware_tokens(member.user.id).await?.iter().any(|t| t.id == token.id) {
                continue;
            }
            let holder = TokenHolder {
                token_id: token.id.clone(),
                serial_number: token.serial_number.clone(),
                scope,
                user_id: member.user.id,
                username: member.username.clone(),
                assigned_at: now,
            };
            let audit = self.token_audit(caller, "E_HARDWARE_TOKEN_ASSIGNED", &token);
            work = work.write(Write::AssignHardwareToken(holder)).audit(audit.with_details(json!({
                "communityId": scope.community.to_string(),
                "serialNumber": token.serial_number,
                "username": member.username,
            })));
            added += 1;
        }
        if added > 0 {
            self.commit(work).await?;
        }
        Ok(added)
    }

    /// `assign_tokens` from a CSV text of `serialNumber,username` rows.
    pub async fn assign_tokens_csv(self, caller: &SignedInCaller, scope: Scope, csv: &str) -> Result<usize> {
        caller.require_admin()?;
        let mut pairs = Vec::new();
        for row in token_csv::rows(csv, HOLDER_COLUMNS, &["serialnumber", "username"])? {
            pairs.push((row.need("username")?.to_string(), row.need("serialnumber")?.to_string()));
        }
        self.assign_tokens(caller, scope, &pairs).await
    }

    /// Takes tokens back from users (administrators); pairs not in place are left alone.
    pub async fn unassign_tokens(self, caller: &SignedInCaller, scope: Scope, pairs: &[(String, String)]) -> Result<()> {
        caller.require_admin()?;
        let mut work = UnitOfWork::new();
        let mut any = false;
        for (member, token) in self.pairs(scope, pairs).await? {
            if !self.core.store.user_hardware_tokens(member.user.id).await?.iter().any(|t| t.id == token.id) {
                continue;
            }
            let audit = self.token_audit(caller, "E_HARDWARE_TOKEN_UNASSIGNED", &token);
            work = work.write(Write::UnassignHardwareToken { token: token.id.clone(), user: member.user.id }).audit(
                audit.with_details(json!({
                    "communityId": scope.community.to_string(),
                    "serialNumber": token.serial_number,
                    "username": member.username,
                })),
            );
            any = true;
        }
        if any {
            self.commit(work).await?;
        }
        Ok(())
    }

    /// Whether the user holds a hardware token.
    pub async fn holds_hardware_token(self, user: UserId) -> Result<bool> {
        Ok(!self.core.store.user_hardware_tokens(user).await?.is_empty())
    }

    /// Whether `code` is the next code of a token the user holds; spends it if so.
    pub async fn check_hardware_code(self, member: &Member, code: &str) -> Result<bool> {
        let now = self.core.now();
        for token in self.core.store.user_hardware_tokens(member.user.id).await? {
            let key = self.seed_of(&token)?;
            let Some((counter, drift)) = token.accept(&key, code.trim(), now.unix_timestamp()) else { continue };
            let expected = token.counter;
            let spent = HardwareToken { counter, drift, last_used_at: Some(now), updated_at: now, ..token };
            return match self
                .core
                .store
                .commit(UnitOfWork::new().write(Write::AdvanceHardwareToken { token: spent, expected }))
                .await
            {
                Ok(()) => Ok(true),
                // Another sign-in spent this code (or a later one) first.
                Err(e) if e.is(ErrorCode::TokenCounterMoved) => Ok(false),
                Err(e) => Err(e),
            };
        }
        Ok(false)
    }

    /// `/hardwareotp/onespan/test` (administrators): checks, and spends, a code of a token
    /// the user holds.
    pub async fn test_token_code(self, caller: &SignedInCaller, scope: Scope, username: &str, code: &str) -> Result<()> {
        caller.require_admin()?;
        let member = self.member_by_username(scope.community, username).await?.ok_or_else(|| {
            DomainError::new(ErrorCode::UserNotFound).field("user_name").detail(format!("User {username} not found"))
        })?;
        if !self.holds_hardware_token(member.user.id).await? {
            return Err(DomainError::new(ErrorCode::ItemNotFound)
                .field("user_name")
                .detail(format!("User {username} holds no hardware token")));
        }
        if !self.check_hardware_code(&member, code).await? {
            return Err(DomainError::new(ErrorCode::TotpInvalidCode).detail("The passcode is not valid"));
        }
        Ok(())
    }
}

fn serial_taken(serial: &str) -> DomainError {
    let which = if serial.is_empty() { "this serial number".to_string() } else { format!("serial number {serial}") };
    DomainError::new(ErrorCode::ItemNameTaken)
        .field("serialNumber")
        .detail(format!("A hardware token with {which} already exists"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &[u8] = b"12345678901234567890";
    /// RFC 4226 appendix D: the codes of counters 0 to 9.
    const RFC4226: [&str; 10] =
        ["755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871", "520489"];

    fn token(kind: OathKind, counter: i64) -> HardwareToken {
        let at = time::OffsetDateTime::UNIX_EPOCH;
        HardwareToken {
            id: "t".into(),
            scope: Scope { tenant: keyhall_types::TenantId::new(), community: keyhall_types::CommunityId::new() },
            serial_number: "SR1".into(),
            kind,
            algorithm: Algorithm::Sha1,
            digits: 6,
            period: 30,
            seed: String::new(),
            counter,
            drift: 0,
            last_used_at: None,
            created_by: String::new(),
            created_at: at,
            updated_at: at,
        }
    }

    #[test]
    fn hotp_accepts_codes_within_the_window_ahead_and_moves_past_them() {
        let t = token(OathKind::Hotp, 2);
        assert_eq!(t.accept(KEY, RFC4226[2], 0), Some((3, 0)));
        assert_eq!(t.accept(KEY, RFC4226[9], 0), Some((10, 0)));
        // Behind the counter (spent) or malformed: refused.
        assert_eq!(t.accept(KEY, RFC4226[1], 0), None);
        assert_eq!(t.accept(KEY, "75522", 0), None);
        assert_eq!(token(OathKind::Hotp, 0).accept(KEY, "x55224", 0), None);
    }

    #[test]
    fn a_code_sent_as_a_number_gets_its_leading_zeros_back() {
        let counter = (0..1000).find(|c| hotp(Algorithm::Sha1, KEY, *c, 8).starts_with('0')).unwrap();
        let t = HardwareToken { digits: 8, ..token(OathKind::Hotp, counter as i64) };
        let code = hotp(Algorithm::Sha1, KEY, counter, 8);
        assert_eq!(t.accept(KEY, code.trim_start_matches('0'), 0), Some((counter as i64 + 1, 0)));
        assert_eq!(t.accept(KEY, "", 0), None);
    }

    #[test]
    fn hotp_resync_needs_three_consecutive_codes() {
        let t = token(OathKind::Hotp, 0);
        assert_eq!(t.resync(KEY, [RFC4226[5], RFC4226[6], RFC4226[7]], 0), Some((8, 0)));
        assert_eq!(t.resync(KEY, [RFC4226[5], RFC4226[7], RFC4226[8]], 0), None);
    }

    #[test]
    fn totp_accepts_a_step_once_and_follows_the_drift_a_resync_finds() {
        let t = token(OathKind::Totp, 0);
        let now = 59 * 30 + 7;
        let code = |step: i64| hotp(Algorithm::Sha1, KEY, step as u64, 6);
        assert_eq!(t.accept(KEY, &code(59), now), Some((59, 0)));
        assert_eq!(t.accept(KEY, &code(60), now), Some((60, 0)));
        assert_eq!(t.accept(KEY, &code(62), now), None);
        let used = HardwareToken { counter: 59, ..t.clone() };
        assert_eq!(used.accept(KEY, &code(59), now), None, "a step is good once");
        // A token five steps fast: its codes at steps 62..=64 as read now.
        let (counter, drift) = t.resync(KEY, [&code(62), &code(63), &code(64)], now).unwrap();
        assert_eq!((counter, drift), (64, 5));
        let synced = HardwareToken { counter, drift, ..t };
        assert_eq!(synced.accept(KEY, &code(65), now + 30), Some((65, 5)));
    }

    #[test]
    fn seeds_read_as_hex_or_base32() {
        assert_eq!(decode_seed("3132333435363738393031323334353637383930", None).unwrap(), KEY);
        assert_eq!(decode_seed("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", None).unwrap(), KEY);
        assert_eq!(decode_seed("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", Some("base32")).unwrap(), KEY);
        assert!(decode_seed("31323334", None).is_err(), "too short");
        assert!(decode_seed("not a seed!", None).is_err());
    }
}
