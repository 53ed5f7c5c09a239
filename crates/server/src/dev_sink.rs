//! Development sinks for mail and texts: with `KEYHALL_SMTP_URL=file:///dir` (or
//! `KEYHALL_SMS_WEBHOOK_URL=file:///dir`) each message is written to a file in that directory
//! instead of being sent, so that a confirmation or reset token can be read on a machine
//! without a mail server. The files hold live tokens: not for production.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use async_trait::async_trait;
use keyhall_core::ports::{MailMessage, Mailer, SmsMessage, SmsSender};

/// The directory a `file:` URL names (`file:///abs/dir`, or `file:relative/dir`), if it is one.
pub fn directory_of(url: &str) -> Option<PathBuf> {
    let rest = url.strip_prefix("file:")?;
    let path = rest.strip_prefix("//").unwrap_or(rest);
    (!path.is_empty()).then(|| PathBuf::from(path))
}

/// Writes each message as a file in one directory (created owner-only).
struct MessageDir {
    dir: PathBuf,
    written: AtomicU64,
}

impl MessageDir {
    fn new(dir: PathBuf, what: &str) -> anyhow::Result<Self> {
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::DirBuilderExt;
            builder.mode(0o700);
        }
        builder.create(&dir).map_err(|e| anyhow::anyhow!("cannot create the {what} directory {}: {e}", dir.display()))?;
        tracing::warn!(dir = %dir.display(), "{what} is written to files in this directory, not sent: for development only");
        Ok(Self { dir, written: AtomicU64::new(0) })
    }

    /// `<time>-<n>-<recipient>.<extension>`, written under a temporary name and renamed, so
    /// that a reader never sees half a message.
    fn write(&self, recipient: &str, extension: &str, content: &[u8]) -> Result<PathBuf, String> {
        let now = time::OffsetDateTime::now_utc();
        let n = self.written.fetch_add(1, Ordering::Relaxed);
        let safe: String =
            recipient.chars().map(|c| if c.is_ascii_alphanumeric() || "@.+-_".contains(c) { c } else { '_' }).collect();
        let name = format!(
            "{:04}{:02}{:02}T{:02}{:02}{:02}.{:06}Z-{n}-{safe}.{extension}",
            now.year(),
            u8::from(now.month()),
            now.day(),
            now.hour(),
            now.minute(),
            now.second(),
            now.microsecond()
        );
        let path = self.dir.join(&name);
        let partial = self.dir.join(format!(".{name}.partial"));
        crate::keys::write_private(&partial, content).map_err(|e| format!("cannot write {}: {e}", partial.display()))?;
        std::fs::rename(&partial, &path).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        Ok(path)
    }
}

/// Mail as `.eml` files, with the text unencoded (8-bit) so that `cat` shows the token
/// whole; mail clients open them too.
pub struct FileMailer {
    dir: MessageDir,
    from: lettre::message::Mailbox,
}

impl FileMailer {
    pub fn new(dir: PathBuf, from: &str) -> anyhow::Result<Self> {
        let from = from.parse().map_err(|e| anyhow::anyhow!("KEYHALL_MAIL_FROM {from:?}: {e}"))?;
        Ok(Self { dir: MessageDir::new(dir, "mail")?, from })
    }
}

#[async_trait]
impl Mailer for FileMailer {
    async fn send(&self, m: MailMessage) -> Result<(), String> {
        let to = m.to.to_string();
        let date = time::OffsetDateTime::now_utc()
            .format(&time::format_description::well_known::Rfc2822)
            .map_err(|e| format!("date: {e}"))?;
        let message = format!(
            "From: {}\nTo: {to}\nSubject: {}\nDate: {date}\nMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\
             Content-Transfer-Encoding: 8bit\n\n{}\n",
            self.from,
            m.subject.replace(['\r', '\n'], " "),
            m.body
        );
        let path = self.dir.write(&to, "eml", message.as_bytes())?;
        tracing::info!(file = %path.display(), "mail written to a file (development sink)");
        Ok(())
    }

    /// The development sink keeps a community's mail too (its server is named in the log).
    async fn send_via(&self, route: &keyhall_core::ports::SmtpRoute, m: MailMessage) -> Result<(), String> {
        tracing::info!(server = %route.host, "a community's mail kept by the development sink instead of its server");
        self.send(m).await
    }
}

/// Texts as `.txt` files: recipient, channel, then the text.
pub struct FileSmsSender {
    dir: MessageDir,
}

impl FileSmsSender {
    pub fn new(dir: PathBuf) -> anyhow::Result<Self> {
        Ok(Self { dir: MessageDir::new(dir, "text messages")? })
    }
}

#[async_trait]
impl SmsSender for FileSmsSender {
    async fn send(&self, m: SmsMessage) -> Result<(), String> {
        let content = format!("To: {}\nChannel: {}\n\n{}\n", m.to, m.channel, m.body);
        let path = self.dir.write(&m.to, "txt", content.as_bytes())?;
        tracing::info!(file = %path.display(), "text written to a file (development sink)");
        Ok(())
    }
}
