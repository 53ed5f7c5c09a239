//! Ports of the core: time, mail and texts (and the outbox they wait in), what the core needs
//! from outside besides the rest of storage.
//! The core never reads the system clock itself (a lint forbids it): the binary hands it a
//! clock, and tests hand it one they can move.

use async_trait::async_trait;
use keyhall_types::{Email, Timestamp};

use crate::error::Result;

pub trait Clock: Send + Sync {
    fn now(&self) -> Timestamp;
}

/// One outgoing e-mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailMessage {
    pub to: Email,
    pub subject: String,
    pub body: String,
}

/// How a connection to an SMTP server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpSecurity {
    /// TLS from the first byte (`smtps`, port 465).
    Tls,
    /// STARTTLS, required.
    StartTls,
    /// None: only for a server on the loopback interface.
    Plain,
}

/// A community's own SMTP server (a 1Kosmos message gateway): its mail goes there instead of
/// the installation's. `Debug` leaves the password out.
#[derive(Clone, PartialEq, Eq)]
pub struct SmtpRoute {
    pub host: String,
    pub port: u16,
    pub security: SmtpSecurity,
    pub username: String,
    pub password: String,
    /// The sender address.
    pub from: String,
}

impl std::fmt::Debug for SmtpRoute {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpRoute")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("username", &self.username)
            .field("from", &self.from)
            .finish_non_exhaustive()
    }
}

#[async_trait]
pub trait Mailer: Send + Sync {
    async fn send(&self, message: MailMessage) -> std::result::Result<(), String>;

    /// Sends through a community's own server rather than the installation's.
    async fn send_via(&self, route: &SmtpRoute, message: MailMessage) -> std::result::Result<(), String> {
        let _ = (route, message);
        Err("this mailer cannot send through a community's own SMTP server".into())
    }
}

#[async_trait]
impl Mailer for LogMailer {
    async fn send(&self, message: MailMessage) -> std::result::Result<(), String> {
        tracing::info!(to = %message.to, subject = %message.subject, "no mail server configured; message not sent");
        Ok(())
    }

    async fn send_via(&self, route: &SmtpRoute, message: MailMessage) -> std::result::Result<(), String> {
        tracing::info!(to = %message.to, server = %route.host, "a community's SMTP server is configured but no mailer runs; message not sent");
        Ok(())
    }
}

/// The mailer used when no mail server is configured: it records that a message would have
/// gone out, without its body (which may hold a code).
#[derive(Debug, Default, Clone, Copy)]
pub struct LogMailer;

/// One outgoing text message.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SmsMessage {
    /// E.164, with the `+`.
    pub to: String,
    pub body: String,
    /// `sms` or `call`, as the user asked (a sender that cannot call sends a text).
    pub channel: String,
    /// The message gateway of the sender's community that carries it, when it has one (its
    /// id, type and name, never its credentials), and the number it sends from.
    pub gateway: Option<TextGateway>,
}

/// A 1Kosmos community's text or voice gateway, as a sender is told of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextGateway {
    pub id: String,
    pub kind: String,
    pub name: String,
    pub sender: String,
}

#[async_trait]
pub trait SmsSender: Send + Sync {
    async fn send(&self, message: SmsMessage) -> std::result::Result<(), String>;
}

#[async_trait]
impl SmsSender for LogSmsSender {
    async fn send(&self, message: SmsMessage) -> std::result::Result<(), String> {
        let masked = crate::identity::phones::mask_number(message.to.trim_start_matches('+'));
        tracing::info!(to = %masked, channel = %message.channel, "no SMS gateway configured; message not sent");
        Ok(())
    }
}

/// The sender used when no SMS gateway is configured: it records that a message would have
/// gone out, without its body (which holds a code).
#[derive(Debug, Default, Clone, Copy)]
pub struct LogSmsSender;

/// A message waiting in the outbox (see `outbox`): its text sealed under the master key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedMessage {
    pub id: String,
    /// `mail` or `text`.
    pub kind: String,
    pub payload: String,
    /// Delivery attempts so far.
    pub attempts: i64,
    pub next_attempt_at: Timestamp,
    pub created_at: Timestamp,
}

/// The outbox of mail and texts. Messages are queued with the command that sends them
/// (`Write::QueueMessage`).
#[async_trait]
pub trait OutboxRepo: Send + Sync {
    /// Claims up to `limit` messages due at `now` (oldest first) by moving their next attempt
    /// to `lease_until`, atomically: a message is claimed by one node at a time.
    async fn claim_messages(&self, now: Timestamp, lease_until: Timestamp, limit: i64) -> Result<Vec<QueuedMessage>>;
    /// A message delivered (or given up).
    async fn delete_message(&self, id: &str) -> Result<()>;
    /// A failed delivery: its count, when to try again, and why it failed.
    async fn retry_message(&self, id: &str, attempts: i64, next_attempt_at: Timestamp, error: &str) -> Result<()>;
}

/// Where a directory auth module (LDAP, Active Directory) is, and how to look its users up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectoryConnection {
    /// `ldap://host:port` (or `ldaps://…`).
    pub url: String,
    /// The service account that searches for users (empty: anonymous search).
    pub bind_dn: String,
    pub bind_password: String,
    pub base_dn: String,
    /// The search filter with `{username}` where the login name goes (escaped), e.g.
    /// `(uid={username})`.
    pub filter: String,
    pub timeout: std::time::Duration,
}

/// A user found in a directory: its DN and the attributes keyhall reads.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DirectoryEntry {
    pub dn: String,
    pub mail: Option<String>,
    pub given_name: Option<String>,
    pub surname: Option<String>,
}

/// A directory client: LDAP in the server; a test double elsewhere.
#[async_trait]
pub trait DirectoryClient: Send + Sync {
    /// Connects and binds as the service account: `Err` says why it could not.
    async fn test_connection(&self, connection: &DirectoryConnection) -> std::result::Result<(), String>;
    /// Finds `username` and binds as it with `password`: the entry when the password is right,
    /// `None` when the user is unknown or the password wrong, `Err` when the directory could
    /// not be asked.
    async fn authenticate(
        &self,
        connection: &DirectoryConnection,
        username: &str,
        password: &str,
    ) -> std::result::Result<Option<DirectoryEntry>, String>;
}

/// The client used when no directory support is built in: every directory is unreachable.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoDirectories;

#[async_trait]
impl DirectoryClient for NoDirectories {
    async fn test_connection(&self, _: &DirectoryConnection) -> std::result::Result<(), String> {
        Err("no directory client is configured".into())
    }

    async fn authenticate(
        &self,
        _: &DirectoryConnection,
        _: &str,
        _: &str,
    ) -> std::result::Result<Option<DirectoryEntry>, String> {
        Err("no directory client is configured".into())
    }
}

/// An Azure AD (Entra ID) tenant an `azuread` auth module signs users in through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AzureAdConnection {
    /// Where the token endpoint is: `https://login.microsoftonline.com` unless configured.
    pub login_base: String,
    pub tenant_id: String,
    pub client_id: String,
    pub client_secret: String,
    pub timeout: std::time::Duration,
}

/// An Azure AD client: the resource-owner password grant for sign-in, the client-credentials
/// grant to test the connection. HTTP in the server; tests point it at a stand-in.
#[async_trait]
pub trait AzureAdClient: Send + Sync {
    async fn test_connection(&self, connection: &AzureAdConnection) -> std::result::Result<(), String>;
    /// The user's entry when Azure AD accepts the password, `None` when it refuses it.
    async fn authenticate(
        &self,
        connection: &AzureAdConnection,
        username: &str,
        password: &str,
    ) -> std::result::Result<Option<DirectoryEntry>, String>;
}

/// How keyhall signs in to a user-profile API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProfileApiAuth {
    None,
    Basic { username: String, password: String },
    Bearer(String),
}

/// One look-up of a user at a user-profile API (the password-reset settings' `sspr.user_profile_api`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileApiRequest {
    /// Where to ask: `{username}` in it is replaced, or `username=` is added to its query.
    pub url: String,
    pub username: String,
    pub auth: ProfileApiAuth,
}

/// A user-profile API client: HTTP in the server; tests point it at a stand-in.
#[async_trait]
pub trait ProfileApiClient: Send + Sync {
    /// The JSON the API answers for the user.
    async fn fetch(&self, request: &ProfileApiRequest) -> std::result::Result<serde_json::Value, String>;
}
