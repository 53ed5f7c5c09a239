//! Outgoing mail through an SMTP server (lettre), selected by `KEYHALL_SMTP_URL`.

use async_trait::async_trait;
use keyhall_core::ports::{MailMessage, Mailer, SmtpRoute, SmtpSecurity};
use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl SmtpMailer {
    /// `url` in lettre's form: `smtp://host:port` (plain, for loopback), `smtp://host?tls=required`
    /// (STARTTLS) or `smtps://user:pass@host` (TLS).
    pub fn new(url: &str, from: &str) -> anyhow::Result<Self> {
        let transport =
            AsyncSmtpTransport::<Tokio1Executor>::from_url(url).map_err(|e| anyhow::anyhow!("KEYHALL_SMTP_URL: {e}"))?.build();
        let from: Mailbox = from.parse().map_err(|e| anyhow::anyhow!("KEYHALL_MAIL_FROM {from:?}: {e}"))?;
        Ok(Self { transport, from })
    }
}

#[async_trait]
impl Mailer for SmtpMailer {
    async fn send(&self, m: MailMessage) -> Result<(), String> {
        let to: Mailbox = m.to.as_str().parse().map_err(|e| format!("recipient: {e}"))?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(m.subject)
            .body(m.body)
            .map_err(|e| format!("message: {e}"))?;
        self.transport.send(message).await.map(|_| ()).map_err(|e| format!("smtp: {e}"))
    }

    async fn send_via(&self, route: &SmtpRoute, m: MailMessage) -> Result<(), String> {
        use lettre::transport::smtp::authentication::Credentials;
        let builder = match route.security {
            SmtpSecurity::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&route.host),
            SmtpSecurity::StartTls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&route.host),
            SmtpSecurity::Plain => Ok(AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&route.host)),
        }
        .map_err(|e| format!("smtp {}: {e}", route.host))?;
        let mut builder = builder.port(route.port).timeout(Some(std::time::Duration::from_secs(20)));
        if !route.username.is_empty() {
            builder = builder.credentials(Credentials::new(route.username.clone(), route.password.clone()));
        }
        let from: Mailbox = route.from.parse().map_err(|e| format!("sender {}: {e}", route.from))?;
        let to: Mailbox = m.to.as_str().parse().map_err(|e| format!("recipient: {e}"))?;
        let message =
            Message::builder().from(from).to(to).subject(m.subject).body(m.body).map_err(|e| format!("message: {e}"))?;
        builder.build().send(message).await.map(|_| ()).map_err(|e| format!("smtp {}: {e}", route.host))
    }
}
