//! Report downloads: a report asked for with `download` becomes a job that a node's worker
//! builds in the background (the rows here; CSV or XLSX bytes by the server), keeps in the
//! store, and announces by mail to its notification list with a link that carries the job's
//! own token. A job's heartbeat tells a crashed node's job from a running one: one left
//! `Running` past it goes back to `Pending` and is built again.

use keyhall_types::{Email, Timestamp};
use serde_json::{Value, json};

use super::{Adminx, Scope, SignedInCaller};
use crate::audit::AuditEvent;
use crate::error::{DomainError, ErrorCode, Result};
use crate::ports::MailMessage;
use crate::ports::{UnitOfWork, Write};

const TOKEN_PURPOSE: &str = "adminx.report_job_token";
/// A running job whose node has not been heard of for this long is taken over.
pub const HEARTBEAT_STALE: time::Duration = time::Duration::seconds(60);
/// How many notification addresses a job may name.
const MAX_NOTIFY: usize = 5;

pub const PENDING: &str = "Pending";
pub const RUNNING: &str = "Running";
pub const COMPLETED: &str = "Completed";
pub const FAILED: &str = "Failed";
pub const CANCELLED: &str = "Cancelled";
pub const EXPIRED: &str = "Expired";
/// How long a built report stays downloadable.
pub const KEPT_FOR: time::Duration = time::Duration::days(7);

#[derive(Debug, Clone, PartialEq)]
pub struct ReportJob {
    pub id: String,
    pub scope: Scope,
    /// Which report (`events`, `audit_log`, `login_activity`, `metrics`, `role_assignment`,
    /// `hardware_tokens`, `user_hardwaretokens`).
    pub report: String,
    /// The report's request, as checked.
    pub params: Value,
    /// `csv` or `xlsx`.
    pub format: String,
    pub status: String,
    pub requested_by: String,
    pub notify: Vec<String>,
    /// The download link's token, sealed.
    pub token: String,
    pub size: Option<i64>,
    pub error: Option<String>,
    /// The claim building it (a random token per claim): only it may beat or finish.
    pub claim: Option<String>,
    pub heartbeat_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub completed_at: Option<Timestamp>,
}

/// A report as a table: what the server writes as CSV or XLSX.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReportTable {
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// How the jobs list is ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobOrder {
    CreatedAt,
    CompletedAt,
    Status,
}

impl Adminx<'_> {
    fn job_link(self, dns: &str, job: &ReportJob) -> String {
        let token = self.core.keys.unseal_string(TOKEN_PURPOSE, &job.token).unwrap_or_default();
        format!(
            "https://{dns}/downloads/reports/tenant/{}/community/{}/job/{}/report.{}?token={token}",
            job.scope.tenant, job.scope.community, job.id, job.format
        )
    }

    /// What the jobs list shows of a job.
    pub async fn job_json(self, job: &ReportJob) -> Result<Value> {
        let dns = self.core.store.tenant_domain(job.scope.tenant).await?.map(|d| d.dns).unwrap_or_else(|| "localhost".into());
        let ms = |t: Timestamp| super::reports::millis(t);
        Ok(json!({
            "jobId": job.id,
            "report": job.report,
            "format": job.format,
            "createdAt": ms(job.created_at),
            "completedAt": job.completed_at.map(ms),
            "status": job.status,
            "requestedBy": job.requested_by,
            "sendNotificationTo": job.notify,
            "size": job.size,
            "error": job.error,
            "downloadLink": (job.status == COMPLETED).then(|| self.job_link(&dns, job)),
        }))
    }

    /// Queues a download of `report` with its checked `params` (administrators); `download`
    /// is the request's `{notificationList[, format, requestBy]}`.
    pub async fn request_report(
        self,
        caller: &SignedInCaller,
        scope: Scope,
        report: &str,
        params: Value,
        download: &Value,
    ) -> Result<ReportJob> {
        // A basic user may download their own login activity; the rest is for administrators.
        let own = report == "login_activity" && params["own_user_id"].as_str() == Some(caller.member.username.as_str());
        if !own {
            caller.require_admin()?;
        }
        let list = match download.get("notificationList") {
            Some(Value::Array(items)) if !items.is_empty() && items.len() <= MAX_NOTIFY => items,
            None | Some(Value::Null) => return Err(DomainError::missing("download.notificationList")),
            Some(_) => {
                return Err(DomainError::invalid(
                    "download.notificationList",
                    format!("must list 1 to {MAX_NOTIFY} e-mail addresses"),
                ));
            }
        };
        let notify = list
            .iter()
            .map(|v| v.as_str().and_then(|s| Email::parse(s.trim()).ok()).map(|e| e.as_str().to_string()))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| DomainError::invalid("download.notificationList", "must list e-mail addresses"))?;
        let format = match download.get("format").and_then(Value::as_str).map(str::to_ascii_lowercase).as_deref() {
            None | Some("csv") => "csv",
            Some("xlsx") => "xlsx",
            Some(_) => return Err(DomainError::invalid("download.format", "must be csv or xlsx")),
        };
        let now = self.core.now();
        let job = ReportJob {
            id: uuid::Uuid::new_v4().to_string(),
            scope,
            report: report.to_string(),
            params,
            format: format.to_string(),
            status: PENDING.to_string(),
            requested_by: caller.member.user.email.as_str().to_string(),
            notify,
            token: self.core.keys.seal_str(TOKEN_PURPOSE, &keyhall_crypto::random::alphanumeric(40)),
            size: None,
            error: None,
            claim: None,
            heartbeat_at: None,
            created_at: now,
            completed_at: None,
        };
        let audit = AuditEvent::new(&caller.caller, "E_REPORT_REQUESTED", "report_job", Some(job.id.clone()), now)
            .with_details(json!({ "report": report, "format": format }));
        self.core.store.commit(UnitOfWork::new().write(Write::InsertReportJob(job.clone())).audit(audit)).await?;
        self.core.report_jobs_waiting.notify_one();
        Ok(job)
    }

    /// A page of the community's jobs, and how many it has.
    pub async fn report_jobs(
        self,
        scope: Scope,
        order: JobOrder,
        descending: bool,
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<ReportJob>, i64)> {
        self.core.store.report_jobs(scope.community, order, descending, limit, offset).await
    }

    /// Cancels a job of the community that is not finished (administrators).
    pub async fn cancel_report_job(self, caller: &SignedInCaller, scope: Scope, id: &str) -> Result<()> {
        caller.require_admin()?;
        let job = match self.core.store.report_job(id.trim()).await? {
            Some(job) if job.scope == scope => job,
            _ => return Err(DomainError::new(ErrorCode::ItemNotFound).detail("Job not found")),
        };
        if job.status != PENDING && job.status != RUNNING {
            return Err(
                DomainError::new(ErrorCode::InvalidParameter).detail(format!("The job is {} already", job.status.to_lowercase()))
            );
        }
        let audit = AuditEvent::new(&caller.caller, "E_REPORT_CANCELLED", "report_job", Some(job.id.clone()), self.core.now());
        self.core.store.commit(UnitOfWork::new().write(Write::CancelReportJob(job.id)).audit(audit)).await
    }

    /// A completed job's file and format, for the holder of its link's token.
    pub async fn report_file(self, scope: Scope, id: &str, token: &str) -> Result<(Vec<u8>, String)> {
        let not_found = || DomainError::new(ErrorCode::ItemNotFound).detail("Report not found");
        let job =
            self.core.store.report_job(id).await?.filter(|j| j.scope == scope && j.status == COMPLETED).ok_or_else(not_found)?;
        let expected = self.core.keys.unseal_string(TOKEN_PURPOSE, &job.token).map_err(|_| not_found())?;
        if !keyhall_crypto::constant_time_eq(expected.as_bytes(), token.as_bytes()) {
            return Err(not_found());
        }
        let content = self.core.store.report_job_content(&job.id).await?.ok_or_else(not_found)?;
        Ok((content, job.format))
    }

    /// Waits until a download was asked for on this node, or `at_most` has passed (jobs of
    /// other nodes, jobs left by a stopped one).
    pub async fn wait_for_report_jobs(self, at_most: std::time::Duration) {
        let _ = tokio::time::timeout(at_most, self.core.report_jobs_waiting.notified()).await;
    }

    /// Takes the oldest pending job (or one whose node stopped beating) for this node.
    pub async fn claim_report_job(self) -> Result<Option<ReportJob>> {
        let now = self.core.now();
        let claim = keyhall_crypto::random::alphanumeric(24);
        self.core.store.claim_report_job(&claim, now, now - HEARTBEAT_STALE).await
    }

    /// Tells the others this claim is still building `job`; false when the job is no longer
    /// its to build (cancelled, or taken over after a stale heartbeat): stop then.
    pub async fn beat_report_job(self, job: &ReportJob) -> Result<bool> {
        self.core.store.beat_report_job(&job.id, job.claim.as_deref().unwrap_or_default(), self.core.now()).await
    }

    /// Keeps a built file and mails the notification list (unless the job was cancelled
    /// meanwhile: then the file is dropped).
    pub async fn complete_report_job(self, job: &ReportJob, content: Vec<u8>) -> Result<()> {
        let now = self.core.now();
        let size = i64::try_from(content.len()).unwrap_or(i64::MAX);
        let done = ReportJob { status: COMPLETED.into(), size: Some(size), completed_at: Some(now), ..job.clone() };
        let dns = self.core.store.tenant_domain(job.scope.tenant).await?.map(|d| d.dns).unwrap_or_else(|| "localhost".into());
        let link = self.job_link(&dns, &done);
        let mut work = UnitOfWork::new().write(Write::CompleteReportJob { job: done.clone(), content });
        let outbox = self.core.outbox();
        for to in &job.notify {
            let Ok(to) = Email::parse(to) else { continue };
            let mail = MailMessage {
                to,
                subject: format!("Your {} report is ready", job.report.replace('_', " ")),
                body: format!(
                    "The report you asked for on {} is ready ({size} bytes, {}).\n\nDownload it: {link}\n",
                    super::reports::format_date(job.created_at),
                    job.format.to_uppercase()
                ),
            };
            work = work.write(outbox.queue(&self.community_mail(job.scope, mail).await?));
        }
        match self.core.store.commit(work).await {
            Ok(()) => {
                outbox.wake();
                Ok(())
            }
            // Cancelled while it was built.
            Err(e) if e.is(ErrorCode::ItemNotFound) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Drops the files of reports built more than `KEPT_FOR` ago (the jobs stay listed, as
    /// `Expired`); how many went.
    pub async fn expire_report_files(self) -> Result<u64> {
        self.core.store.expire_report_files(self.core.now() - KEPT_FOR).await
    }

    /// Marks a job failed, with a reason for its list.
    pub async fn fail_report_job(self, job: &ReportJob, reason: &str) -> Result<()> {
        let failed = ReportJob {
            status: FAILED.into(),
            error: Some(reason.to_string()),
            completed_at: Some(self.core.now()),
            ..job.clone()
        };
        match self.core.store.commit(UnitOfWork::new().write(Write::CompleteReportJob { job: failed, content: Vec::new() })).await
        {
            Err(e) if !e.is(ErrorCode::ItemNotFound) => Err(e),
            _ => Ok(()),
        }
    }
}
