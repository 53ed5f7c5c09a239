//! Builds the 1Kosmos report downloads: claims a job (one node per job), reads its table
//! from core with a heartbeat between pages, writes it as CSV or XLSX, and hands the file
//! back (core keeps it and mails the link). A job that cannot be built is marked failed
//! with the reason; a node stopped mid-job leaves it to be taken over when its heartbeat
//! goes stale.

use std::sync::Arc;
use std::time::Duration;

use keyhall_core::Core;
use keyhall_core::adminx::report_jobs::{ReportJob, ReportTable};
use keyhall_http::tables::{self, Cell};
use tokio::sync::watch;

/// How often a job being built says so (a third of the time after which it is taken over).
const BEAT: Duration = Duration::from_secs(20);

pub fn spawn(core: Arc<Core>, mut stop: watch::Receiver<bool>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            loop {
                match core.adminx().claim_report_job().await {
                    Ok(Some(job)) => build(&core, &job).await,
                    Ok(None) => break,
                    Err(e) => {
                        tracing::warn!(error = %e, "claiming a report job failed");
                        break;
                    }
                }
            }
            tokio::select! {
                _ = core.adminx().wait_for_report_jobs(Duration::from_secs(5)) => {}
                _ = stop.changed() => break,
            }
        }
    })
}

async fn build(core: &Core, job: &ReportJob) {
    let adminx = core.adminx();
    // A heartbeat while the job is read and written, however long each part takes.
    let beating = async {
        loop {
            tokio::time::sleep(BEAT).await;
            match adminx.beat_report_job(job).await {
                Ok(true) => {}
                Ok(false) => return,
                Err(e) => tracing::warn!(error = %e, job = %job.id, "a report job's heartbeat failed"),
            }
        }
    };
    let work = async {
        match adminx.report_table(job).await {
            Ok(table) => render(&job.format, table).await,
            Err(e) => Err(e.to_string()),
        }
    };
    let outcome = tokio::select! {
        outcome = work => outcome,
        // No longer this claim's job (cancelled, or taken over): nothing to keep.
        () = beating => return,
    };
    let saved = match outcome {
        Ok(bytes) => adminx.complete_report_job(job, bytes).await,
        Err(reason) => {
            tracing::warn!(job = %job.id, %reason, "a report could not be built");
            adminx.fail_report_job(job, "The report could not be built").await
        }
    };
    if let Err(e) = saved {
        tracing::warn!(error = %e, job = %job.id, "keeping a report failed");
    }
}

/// The table as file bytes, made off the request threads (an XLSX of many rows takes a while).
async fn render(format: &str, table: ReportTable) -> Result<Vec<u8>, String> {
    let xlsx = format == "xlsx";
    tokio::task::spawn_blocking(move || {
        let rows: Vec<Vec<Cell>> = table.rows.into_iter().map(|r| r.into_iter().map(cell).collect()).collect();
        if xlsx { tables::xlsx(&table.headers, &rows) } else { tables::csv(&table.headers, &rows) }
    })
    .await
    .map_err(|e| e.to_string())?
}

/// Whole numbers as numbers (counts, counters), the rest as text.
fn cell(text: String) -> Cell {
    match text.parse::<i64>() {
        Ok(n) if !text.starts_with('0') || text == "0" => Cell::Int(n),
        _ => Cell::Text(text),
    }
}
