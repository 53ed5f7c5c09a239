//! The CloudView add-on of a company: a small state machine
//! `DISABLED` → provision → `PROVISIONING` → (delay) → `READY`, in `trial` or `paid` mode,
//! → terminate → `DISABLED`.

use keyhall_types::{TenantId, Timestamp};

use super::Comet;
use crate::audit::AuditEvent;
use crate::context::Caller;
use crate::error::{DomainError, ErrorCode, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CloudViewStatus {
    Disabled,
    Provisioning,
    Ready,
    Failed,
}

impl CloudViewStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CloudViewStatus::Disabled => "DISABLED",
            CloudViewStatus::Provisioning => "PROVISIONING",
            CloudViewStatus::Ready => "READY",
            CloudViewStatus::Failed => "FAILED",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "DISABLED" => CloudViewStatus::Disabled,
            "PROVISIONING" => CloudViewStatus::Provisioning,
            "READY" => CloudViewStatus::Ready,
            "FAILED" => CloudViewStatus::Failed,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CloudViewMode {
    Trial,
    Paid,
}

impl CloudViewMode {
    pub fn as_str(self) -> &'static str {
        match self {
            CloudViewMode::Trial => "trial",
            CloudViewMode::Paid => "paid",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "trial" => Some(CloudViewMode::Trial),
            "paid" => Some(CloudViewMode::Paid),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloudView {
    pub tenant_id: TenantId,
    pub status: CloudViewStatus,
    pub mode: CloudViewMode,
    pub status_due_at: Option<Timestamp>,
    pub updated_at: Timestamp,
    pub revision: i64,
}

impl CloudView {
    pub fn disabled(tenant_id: TenantId, at: Timestamp) -> Self {
        Self {
            tenant_id,
            status: CloudViewStatus::Disabled,
            mode: CloudViewMode::Trial,
            status_due_at: None,
            updated_at: at,
            revision: 0,
        }
    }

    pub fn at(mut self, now: Timestamp) -> Self {
        if self.status == CloudViewStatus::Provisioning
            && let Some(due) = self.status_due_at
            && due <= now
        {
            self.status = CloudViewStatus::Ready;
            self.status_due_at = None;
        }
        self
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CloudViewCommand {
    Provision,
    ConvertToPaid,
    ConvertToTrial,
    Terminate,
}

impl CloudViewCommand {
    fn action(self) -> &'static str {
        match self {
            CloudViewCommand::Provision => "cloudview.provision",
            CloudViewCommand::ConvertToPaid => "cloudview.convert_to_paid",
            CloudViewCommand::ConvertToTrial => "cloudview.convert_to_trial",
            CloudViewCommand::Terminate => "cloudview.terminate",
        }
    }
}

fn invalid_state(detail: &str) -> DomainError {
    DomainError::new(ErrorCode::CloudViewInvalidState).detail(detail.to_string())
}

/// The transition table. Returns the next state or why the command does not apply now.
pub fn transition(current: &CloudView, command: CloudViewCommand, now: Timestamp, delay: time::Duration) -> Result<CloudView> {
    use CloudViewStatus::*;
    let mut next = current.clone();
    match (command, current.status) {
        (CloudViewCommand::Provision, Disabled | Failed) => {
            next.status = Provisioning;
            next.mode = CloudViewMode::Trial;
            next.status_due_at = Some(now + delay);
        }
        (CloudViewCommand::Provision, _) => return Err(invalid_state("CloudView is already provisioned")),
        (CloudViewCommand::ConvertToPaid, Ready) if current.mode == CloudViewMode::Trial => next.mode = CloudViewMode::Paid,
        (CloudViewCommand::ConvertToPaid, Ready) => return Err(invalid_state("CloudView is already in paid mode")),
        (CloudViewCommand::ConvertToTrial, Ready) if current.mode == CloudViewMode::Paid => next.mode = CloudViewMode::Trial,
        (CloudViewCommand::ConvertToTrial, Ready) => return Err(invalid_state("CloudView is already in trial mode")),
        (CloudViewCommand::ConvertToPaid | CloudViewCommand::ConvertToTrial, _) => {
            return Err(invalid_state("CloudView is not ready"));
        }
        (CloudViewCommand::Terminate, Disabled) => return Err(invalid_state("CloudView is not provisioned")),
        (CloudViewCommand::Terminate, _) => {
            next.status = Disabled;
            next.mode = CloudViewMode::Trial;
            next.status_due_at = None;
        }
    }
    next.updated_at = now;
    next.revision = current.revision + 1;
    Ok(next)
}

/// What `generate-login-credentials` hands out: a one-time sign-in for the CloudView portal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloudViewLogin {
    pub login_url: String,
    pub login_postdata: String,
}

impl Comet<'_> {
    pub async fn cloudview(self, caller: &Caller) -> Result<CloudView> {
        let now = self.core.now();
        Ok(self
            .core
            .store
            .get_cloudview(caller.tenant_id())
            .await?
            .unwrap_or_else(|| CloudView::disabled(caller.tenant_id(), now))
            .at(now))
    }

    pub async fn cloudview_command(self, caller: &Caller, command: CloudViewCommand) -> Result<CloudView> {
        for _ in 0..8 {
            let now = self.core.now();
            let current = self.cloudview(caller).await?;
            let next = transition(&current, command, now, self.core.settings.provision_delay)?;
            let audit = AuditEvent::new(caller, command.action(), "cloudview", Some(caller.tenant_id().to_string()), now)
                .with_details(serde_json::json!({ "from": current.status.as_str(), "to": next.status.as_str(), "mode": next.mode.as_str() }));
            if self.core.store.put_cloudview(&next, current.revision, &audit).await? {
                return Ok(next);
            }
        }
        Err(DomainError::internal("CloudView kept changing concurrently"))
    }

    /// Issues a one-time login for the CloudView portal of a READY instance. The token is
    /// random, kept as a digest, and valid for five minutes.
    pub async fn cloudview_login(self, caller: &Caller) -> Result<CloudViewLogin> {
        let cv = self.cloudview(caller).await?;
        if cv.status != CloudViewStatus::Ready {
            return Err(invalid_state("CloudView is not ready"));
        }
        let user_id = caller.actor().user_id().ok_or_else(|| DomainError::new(ErrorCode::PermissionDenied))?;
        let user = self.core.identity().user(caller, user_id).await?;
        let now = self.core.now();
        let token = keyhall_crypto::random::alphanumeric(40);
        let challenge = crate::credentials::challenges::Challenge {
            id: keyhall_types::ChallengeId::new(),
            tenant_id: caller.tenant_id(),
            user_id,
            kind: crate::credentials::challenges::ChallengeKind::CloudViewLogin,
            state: keyhall_crypto::token::digest(&token),
            created_at: now,
            expires_at: now + time::Duration::minutes(5),
        };
        let audit = AuditEvent::new(caller, "cloudview.generate_login", "user", Some(user_id.to_string()), now);
        self.core.store.put_challenge(&challenge, Some(&audit)).await?;
        let postdata = format!("username={}&auth_type=token&token={token}", url_encode(user.email.as_str()));
        Ok(CloudViewLogin {
            login_url: format!("{}/login", self.core.settings.cloudview_url.trim_end_matches('/')),
            login_postdata: postdata,
        })
    }
}

fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| if b.is_ascii_alphanumeric() || b"-._~".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn lifecycle() {
        let t0 = datetime!(2026-01-01 0:00 UTC);
        let d = time::Duration::seconds(10);
        let off = CloudView::disabled(TenantId::new(), t0);
        assert!(transition(&off, CloudViewCommand::ConvertToPaid, t0, d).is_err());
        assert!(transition(&off, CloudViewCommand::Terminate, t0, d).is_err());
        let p = transition(&off, CloudViewCommand::Provision, t0, d).unwrap();
        assert_eq!(p.status, CloudViewStatus::Provisioning);
        assert!(transition(&p, CloudViewCommand::Provision, t0, d).is_err());
        assert!(transition(&p, CloudViewCommand::ConvertToPaid, t0, d).is_err(), "not ready yet");
        assert_eq!(p.clone().at(t0 + time::Duration::seconds(9)).status, CloudViewStatus::Provisioning);
        let ready = p.at(t0 + d);
        assert_eq!(ready.status, CloudViewStatus::Ready);
        let paid = transition(&ready, CloudViewCommand::ConvertToPaid, t0, d).unwrap();
        assert_eq!(paid.mode, CloudViewMode::Paid);
        assert!(transition(&paid, CloudViewCommand::ConvertToPaid, t0, d).is_err());
        let trial = transition(&paid, CloudViewCommand::ConvertToTrial, t0, d).unwrap();
        assert_eq!(trial.mode, CloudViewMode::Trial);
        let gone = transition(&trial, CloudViewCommand::Terminate, t0, d).unwrap();
        assert_eq!(gone.status, CloudViewStatus::Disabled);
        assert_eq!(gone.revision, 4);
    }
}
