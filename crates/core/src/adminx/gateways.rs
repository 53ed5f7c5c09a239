//! Message gateways at work: a community's mail goes through its own active SMTP gateway
//! when it has one (the gateway's server, account and sender), through the installation's
//! mailer otherwise.

use serde_json::Value;

use super::collection_kinds::GATEWAYS;
use super::{Adminx, Scope};
use crate::error::Result;
use crate::outbox::Message;
use crate::ports::{MailMessage, SmsMessage, SmtpRoute, SmtpSecurity, TextGateway};

fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost") || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Where a gateway's `serviceUrl` and `port` say to connect: `smtps://host[:port]` is TLS from
/// the start, `smtp://host[:port]` or a bare host STARTTLS (plain only to a loopback server).
pub fn smtp_route(gateway: &Value, password: String) -> Option<SmtpRoute> {
    let url = gateway["serviceUrl"].as_str()?.trim();
    let (tls, rest) = match url.split_once("://") {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("smtps") => (true, rest),
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("smtp") => (false, rest),
        Some(_) => return None,
        None => (false, url),
    };
    let authority = rest.split('/').next().unwrap_or_default();
    let (host, port) = match authority.rsplit_once(':') {
        Some((host, port)) if !host.is_empty() => (host, port.parse().ok()?),
        _ => (authority, u16::try_from(gateway["port"].as_i64().unwrap_or(if tls { 465 } else { 587 })).ok()?),
    };
    if host.is_empty() {
        return None;
    }
    let security = match (tls, is_loopback(host)) {
        (true, _) => SmtpSecurity::Tls,
        (false, true) => SmtpSecurity::Plain,
        (false, false) => SmtpSecurity::StartTls,
    };
    Some(SmtpRoute {
        host: host.to_string(),
        port,
        security,
        username: gateway["username"].as_str().unwrap_or_default().to_string(),
        password,
        from: gateway["senderEmail"].as_str().unwrap_or_default().to_string(),
    })
}

impl Adminx<'_> {
    /// `mail` as it leaves the community: through its first active SMTP gateway for e-mail,
    /// if it has one.
    pub(crate) async fn community_mail(self, scope: Scope, mail: MailMessage) -> Result<Message> {
        for item in self.items(scope, &GATEWAYS).await? {
            let gateway = GATEWAYS.view(&item);
            let email = gateway["channels"].as_array().is_some_and(|c| c.contains(&Value::from("email")));
            let smtp = gateway["protocol"].as_str().is_some_and(|p| p.eq_ignore_ascii_case("smtp"));
            if gateway["active"] != Value::Bool(true) || !email || !smtp {
                continue;
            }
            let password = self.item_secret(&item, "password").unwrap_or_default();
            if let Some(route) = smtp_route(&gateway, password) {
                return Ok(Message::MailVia(mail, route));
            }
            tracing::warn!(gateway = %item.id, "a message gateway's serviceUrl is not an SMTP server; the installation's mailer is used");
        }
        Ok(Message::Mail(mail))
    }

    /// `text` as it leaves the community: naming its first active gateway for the channel
    /// (`sms`, or `voice` for a call), whose sender number it goes out from, for the
    /// installation's SMS sender to route by.
    pub(crate) async fn community_text(self, scope: Scope, mut text: SmsMessage) -> Result<Message> {
        let channel = if text.channel == "sms" { "sms" } else { "voice" };
        for item in self.items(scope, &GATEWAYS).await? {
            let gateway = GATEWAYS.view(&item);
            let carries = gateway["channels"].as_array().is_some_and(|c| c.contains(&Value::from(channel)));
            if gateway["active"] != Value::Bool(true) || !carries {
                continue;
            }
            let field = |name: &str| gateway[name].as_str().unwrap_or_default().to_string();
            text.gateway =
                Some(TextGateway { id: item.id.clone(), kind: field("type"), name: field("name"), sender: field("senderPhone") });
            break;
        }
        Ok(Message::Text(text))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn service_urls_say_where_and_how_to_connect() {
        let route = |url: &str, port: i64| {
            smtp_route(&json!({ "serviceUrl": url, "port": port }), String::new()).map(|r| (r.host, r.port, r.security))
        };
        assert_eq!(route("smtps://mail.example.com", 587), Some(("mail.example.com".into(), 587, SmtpSecurity::Tls)));
        assert_eq!(route("smtp://mail.example.com:2525", 587), Some(("mail.example.com".into(), 2525, SmtpSecurity::StartTls)));
        assert_eq!(route("mail.example.com", 25), Some(("mail.example.com".into(), 25, SmtpSecurity::StartTls)));
        assert_eq!(route("smtp://127.0.0.1:2525", 587), Some(("127.0.0.1".into(), 2525, SmtpSecurity::Plain)));
        assert_eq!(route("https://api.example.com", 443), None);
        assert_eq!(route("smtp://", 25), None);
    }
}
