//! Reports read the community's real history (sign-ins, failures, administrators' changes,
//! client events); any report with `download` becomes a job that builds a CSV or XLSX file in
//! the background, mails its link, can be listed and cancelled, and outlives its node.

use reqwest::Method;
use serde_json::{Value, json};

use crate::adminx_client::{Community, Vendor, basic_user, community, error};
use crate::harness::{Backend, TestServer};
use crate::smtp_sink::SmtpSink;

async fn sign_in(srv: &TestServer, c: &Community, username: &str, password: &str) -> u16 {
    Vendor::new(srv).await.post(srv, "/verifyuser", c.with(json!({ "username": username, "password": password }))).await.status
}

fn names(page: &Value) -> Vec<String> {
    page["data"].as_array().unwrap().iter().map(|e| e["eventName"].as_str().unwrap().to_string()).collect()
}

crate::both!(reports_read_the_communitys_sign_ins_changes_and_client_events, |srv: TestServer| async move {
    let c = community(&srv, "reports.example.com").await;
    let sam = basic_user(&srv, &c, "sam").await;
    assert_eq!(sign_in(&srv, &c, "sam", "wrong-password").await, 401);
    assert_eq!(sign_in(&srv, &c, "sam", "Ordinary-Pass-4").await, 200);
    let r = c.admin.post(&srv, "/secret-store/create", c.with(json!({ "tag": "api_key", "value": "v" }))).await;
    assert_eq!(r.status, 201);

    // Raw events, newest first, filtered by name and user.
    let all = c.admin.open(&c.admin.post(&srv, "/reports/events", c.with(json!({ "pSize": 50 }))).await);
    let listed = names(&all);
    for expected in ["E_LOGIN_SUCCEEDED", "E_LOGIN_FAILED", "E_SECRET_CREATED", "E_USER_CREATED"] {
        assert!(listed.contains(&expected.to_string()), "{expected} in {listed:?}");
    }
    let stamps: Vec<i64> = all["data"].as_array().unwrap().iter().map(|e| e["event_ts"].as_i64().unwrap()).collect();
    assert!(stamps.windows(2).all(|w| w[0] >= w[1]), "newest first: {stamps:?}");
    let failed = c
        .admin
        .open(&c.admin.post(&srv, "/reports/events", c.with(json!({ "eventName": "E_LOGIN_FAILED", "user_id": "sam" }))).await);
    assert_eq!(failed["page"]["total"], 1, "{failed}");
    let event = &failed["data"][0];
    assert_eq!(
        (event["outcome"].as_str(), event["user_id"].as_str(), event["eventCategory"].as_str()),
        (Some("failure"), Some("sam"), Some("EVENT"))
    );
    assert!(event["date"].as_str().is_some_and(|d| d.len() == 23), "{event}");
    let paged = c.admin.open(&c.admin.post(&srv, "/reports/events", c.with(json!({ "pSize": 2, "pIndex": 1 }))).await);
    assert_eq!(
        (paged["page"]["pSize"].as_i64(), paged["page"]["pIndex"].as_i64(), paged["data"].as_array().map(Vec::len)),
        (Some(2), Some(1), Some(2))
    );

    // The audit log: administrators' changes only.
    let audit = c.admin.open(&c.admin.post(&srv, "/reports/audit_log", c.with(json!({}))).await);
    let changes: Vec<&str> =
        audit["data"]["auditLogEvents"].as_array().unwrap().iter().map(|e| e["eventName"].as_str().unwrap()).collect();
    assert!(changes.contains(&"E_SECRET_CREATED") && !changes.contains(&"E_LOGIN_SUCCEEDED"), "{changes:?}");
    let by_admin =
        audit["data"]["auditLogEvents"].as_array().unwrap().iter().find(|e| e["eventName"] == "E_SECRET_CREATED").unwrap();
    assert_eq!(by_admin["user_id"], "admin", "{by_admin}");

    // Windows: no older than 90 days, dates as documented, `to` not before `from`.
    for (body, message) in [
        (json!({ "from": "2001-01-01 00:00:00.000" }), "\"from\" must be within the last 90 days"),
        (json!({ "from": "last week" }), "\"from\" must be a date such as 2024-09-01 00:00:00.000"),
        (json!({ "to": "2001-01-01 00:00:00.000" }), "\"to\" must not be before from"),
        (json!({ "pSize": 1000 }), "\"pSize\" must be a number from 1 to 100"),
        (json!({ "broker_id": "b1" }), "\"broker_id\" cannot be filtered on: keyhall has no broker connections"),
    ] {
        assert_eq!(error(&c.admin.post(&srv, "/reports/events", c.with(body)).await, 400), message);
    }
    // Administrators only; another community's events never show.
    error(&sam.post(&srv, "/reports/events", c.with(json!({}))).await, 403);
    let other = community(&srv, "other-reports.example.com").await;
    error(&other.admin.post(&srv, "/reports/events", c.ids()).await, 404);
    let theirs = other.admin.open(&other.admin.post(&srv, "/reports/events", other.with(json!({ "user_id": "sam" }))).await);
    assert_eq!(theirs["page"]["total"], 0);

    // A client's event (no JWT), with the server's address and time where asked.
    let visitor = Vendor::new(&srv).await;
    let session = event["session_id"].as_str().map(str::to_string);
    let login = c.admin.open(
        &c.admin.post(&srv, "/reports/events", c.with(json!({ "eventName": "E_LOGIN_SUCCEEDED", "user_id": "sam" }))).await,
    );
    let session_id = login["data"][0]["session_id"].as_str().expect("a sign-in names its session").to_string();
    assert!(session.is_none(), "a failure opens no session");
    let stored = json!({ "eventData": { "type": "event", "eventName": "E_SP_REDIRECT_SUCCEEDED", "event_id": "ev-1",
        "caller_user_agent": "Mozilla/5.0", "version": "1.0", "user_id": "sam", "session_id": session_id, "application": "gsuite",
        "auth_method": "otp", "event_ts": 5 }, "serverEventData": { "caller_ip": true, "event_ts": true } });
    let r = visitor.call(&srv, Method::PUT, "/reports/event", Some(c.with(stored))).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let missing =
        json!({ "eventData": { "eventName": "E_LOGIN_VISITED", "event_id": "x", "caller_user_agent": "a", "version": "1" } });
    assert_eq!(
        error(&visitor.call(&srv, Method::PUT, "/reports/event", Some(c.with(missing))).await, 400),
        "\"eventData.type\" is required"
    );
    let bad = json!({ "eventData": { "type": "event", "eventName": "not an event", "event_id": "x", "caller_user_agent": "a", "version": "1" } });
    error(&visitor.call(&srv, Method::PUT, "/reports/event", Some(c.with(bad))).await, 400);
    // A client may not speak for keyhall: its own events, and the audit log, are not theirs to write.
    let forged = json!({ "eventData": { "type": "event", "eventName": "E_LOGIN_SUCCEEDED", "event_id": "x", "caller_user_agent": "a",
        "version": "1", "user_id": "sam" } });
    assert_eq!(
        error(&visitor.call(&srv, Method::PUT, "/reports/event", Some(c.with(forged))).await, 400),
        "\"eventData.eventName\" E_LOGIN_SUCCEEDED is recorded by keyhall itself"
    );
    let change = json!({ "eventData": { "type": "event", "eventName": "E_ROLE_CHANGED", "event_id": "x", "caller_user_agent": "a",
        "version": "1", "event_ts": 1 } });
    assert_eq!(visitor.call(&srv, Method::PUT, "/reports/event", Some(c.with(change))).await.status, 200);
    let audit = c.admin.open(&c.admin.post(&srv, "/reports/audit_log", c.with(json!({ "pSize": 100 }))).await);
    assert!(!audit.to_string().contains("E_ROLE_CHANGED"), "a client's event is never an administrator's change: {audit}");
    let stored = c.admin.open(&c.admin.post(&srv, "/reports/events", c.with(json!({ "eventName": "E_ROLE_CHANGED" }))).await);
    assert!(stored["data"][0]["event_ts"].as_i64().unwrap() > 1_000_000, "a time far from now is the server's: {stored}");
    assert_eq!(stored["data"][0]["source"], "client");
    let nowhere = json!({ "tenantId": c.tenant_id, "communityId": "nope", "eventData": {} });
    error(&visitor.call(&srv, Method::PUT, "/reports/event", Some(nowhere)).await, 404);
    let redirect =
        c.admin.open(&c.admin.post(&srv, "/reports/events", c.with(json!({ "eventName": "E_SP_REDIRECT_SUCCEEDED" }))).await);
    let stored = &redirect["data"][0];
    assert_eq!(stored["caller_ip"], "127.0.0.1", "{stored}");
    assert!(stored["event_ts"].as_i64().unwrap() > 5, "the server's time: {stored}");

    // Login activity: the redirect and the sign-in that opened its session; a basic user's own.
    let activity = c.admin.open(&c.admin.post(&srv, "/reports/login_activity", c.with(json!({ "application": "gsuite" }))).await);
    assert_eq!(activity["page"]["total"], 1, "{activity}");
    assert_eq!(activity["data"]["loginEvents"][&session_id]["eventName"], "E_LOGIN_SUCCEEDED", "{activity}");
    let own = sam.open(&sam.post(&srv, "/reports/login_activity", c.with(json!({ "user_id": "admin" }))).await);
    assert_eq!(own["page"]["total"], 1, "sam's own, whatever user_id says: {own}");
    // A redirect naming sam's session under another user's name shows nothing of sam's sign-in.
    let borrowed = json!({ "eventData": { "type": "event", "eventName": "E_SP_REDIRECT_SUCCEEDED", "event_id": "ev-2",
        "caller_user_agent": "x", "version": "1", "user_id": "admin", "session_id": session_id, "application": "wiki" } });
    assert_eq!(visitor.call(&srv, Method::PUT, "/reports/event", Some(c.with(borrowed))).await.status, 200);
    let wiki = c.admin.open(&c.admin.post(&srv, "/reports/login_activity", c.with(json!({ "application": "wiki" }))).await);
    assert_eq!(
        (wiki["page"]["total"].as_i64(), wiki["data"]["loginEvents"].as_object().map(|o| o.len())),
        (Some(1), Some(0)),
        "{wiki}"
    );
    // A basic user downloads their own activity.
    let job = sam.open(
        &sam.post(
            &srv,
            "/reports/login_activity",
            c.with(json!({ "download": { "notificationList": ["sam@reports.example.com"] } })),
        )
        .await,
    );
    assert!(job["jobId"].is_string(), "{job}");

    // Metrics: counts, and a daily or hourly series.
    let metric = |name: &str, more: Value| {
        let mut body = c.with(json!({ "metricsName": name }));
        body.as_object_mut().unwrap().extend(more.as_object().unwrap().clone());
        c.admin.post(&srv, "/reports/metrics", body)
    };
    assert_eq!(c.admin.open(&metric("M_C_LOGINS", json!({})).await)["count"], 3, "the admin's and sam's two");
    assert_eq!(c.admin.open(&metric("M_C_LOGIN_FAILED", json!({})).await)["count"], 1);
    assert_eq!(c.admin.open(&metric("M_C_ACTIVE_USER", json!({})).await)["count"], 2);
    let daily = c.admin.open(&metric("M_GT_SUCCESSFUL_AUTHENTICATIONS", json!({})).await);
    let today = &keyhall_core::adminx::reports::format_date(srv.running.core.now())[..10];
    assert!(
        daily.as_array().unwrap().iter().any(|p| p["date"].as_str().unwrap().starts_with(today) && p["count"] == 3),
        "{daily}"
    );
    let day = format!("{today} 00:00:00.000");
    let hourly = c.admin.open(&metric("M_G_LOGIN_FAILED", json!({ "from": day, "to": day })).await);
    assert_eq!(hourly.as_array().map(Vec::len), Some(1), "{hourly}");
    assert!(hourly[0]["date"].as_str().unwrap().ends_with(":00:00.000"), "hourly buckets: {hourly}");
    let usage = c.admin.open(&metric("M_G_APPLICATION_USAGE", json!({})).await);
    assert_eq!((usage[0]["application"].as_str(), usage[0]["count"].as_i64()), (Some("gsuite"), Some(1)), "{usage}");
    assert!(error(&metric("M_X", json!({})).await, 400).starts_with("\"metricsName\" must be one of M_C_ACTIVE_USER"));
    assert_eq!(
        error(&metric("M_C_LOGINS", json!({ "responseTimezone": "Mars/Base" })).await, 400),
        "\"responseTimezone\" must be UTC or an offset such as +05:30"
    );

    // Last logins and role assignments.
    let enrolled = c.admin.open(&c.admin.post(&srv, "/reports/userenrollment", c.with(json!({ "moduleId": c.module_id }))).await);
    let sam_row = enrolled["data"].as_array().unwrap().iter().find(|u| u["username"] == "sam").expect("sam");
    assert!(sam_row["lastLoginTime"].as_str().is_some_and(|t| t.starts_with(today)), "{sam_row}");
    let admins =
        c.admin.open(&c.admin.post(&srv, "/reports/role_assignment", c.with(json!({ "roleIds": ["tenant_admin"] }))).await);
    assert_eq!((admins["page"]["total"].as_i64(), admins["data"][0]["username"].as_str()), (Some(1), Some("admin")));
    error(&c.admin.post(&srv, "/reports/role_assignment", c.with(json!({ "roleIds": ["pilot"] }))).await, 400);
});

crate::both!(client_events_from_one_address_are_limited_per_node_and_minute, |srv: TestServer| async move {
    let node = srv.sibling(|cfg| cfg.adminx.client_events_per_minute = 3).await;
    let c = community(&node, "limited-events.example.com").await;
    let visitor = Vendor::new(&node).await;
    let event = |i: usize| {
        c.with(json!({ "eventData": { "type": "event", "eventName": "E_LOGIN_VISITED", "event_id": format!("ev-{i}"),
            "caller_user_agent": "a", "version": "1" } }))
    };
    for i in 0..3 {
        assert_eq!(visitor.call(&node, Method::PUT, "/reports/event", Some(event(i))).await.status, 200);
    }
    let refused = visitor.call(&node, Method::PUT, "/reports/event", Some(event(3))).await;
    assert_eq!(error(&refused, 429), "Too many requests, try again later");
    let wait: i64 = refused.headers.get("retry-after").expect("Retry-After").to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&wait), "the rest of the minute: {wait}");
    let stored = c.admin.open(&c.admin.post(&node, "/reports/events", c.with(json!({ "eventName": "E_LOGIN_VISITED" }))).await);
    assert_eq!(stored["page"]["total"], 3, "the refused event was not stored: {stored}");
    // Signed-in calls are not counted, and each node counts its own (the default: 1,200 a minute).
    assert_eq!(c.admin.post(&node, "/reports/events", c.with(json!({}))).await.status, 200);
    assert_eq!(visitor.call(&srv, Method::PUT, "/reports/event", Some(event(4))).await.status, 200);
});

/// Polls the jobs list until the job is in `status`.
async fn job_in(srv: &TestServer, v: &Vendor, id: &str, status: &str) -> Value {
    for _ in 0..100 {
        let page = v.open(&v.post(srv, "/reports/download/jobs", json!({ "pSize": 100 })).await);
        if let Some(job) = page["data"].as_array().unwrap().iter().find(|j| j["jobId"] == id && j["status"] == status) {
            return job.clone();
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("job {id} never became {status}");
}

fn openpyxl_rows(bytes: &[u8]) -> Vec<Vec<String>> {
    let path = std::env::temp_dir().join(format!("keyhall-report-{}.xlsx", uuid::Uuid::new_v4()));
    std::fs::write(&path, bytes).unwrap();
    let script = "import json, sys, openpyxl\nwb = openpyxl.load_workbook(sys.argv[1])\n\
                  print(json.dumps([[('' if c is None else str(c)) for c in row] for row in wb.active.iter_rows(values_only=True)]))";
    let out = std::process::Command::new("python3").args(["-c", script, path.to_str().unwrap()]).output().expect("python3");
    let _ = std::fs::remove_file(&path);
    assert!(out.status.success(), "openpyxl: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[tokio::test]
async fn report_downloads_are_built_mailed_listed_cancelled_and_survive_their_node() {
    for backend in [Backend::Sqlite].into_iter().chain(crate::harness::pg_url().map(|_| Backend::Postgres)) {
        let sink = SmtpSink::start().await;
        let url = sink.url();
        // This node answers calls but builds nothing: its jobs wait for a worker.
        let api = TestServer::start_with(backend, move |c| {
            c.server.smtp_url = Some(url);
            c.adminx.report_worker = false;
        })
        .await;
        let c = community(&api, "downloads.example.com").await;
        basic_user(&api, &c, "sam").await;
        let ask = |body: Value| c.admin.post(&api, "/reports/events", c.with(body));
        let xlsx =
            c.admin.open(&ask(json!({ "download": { "notificationList": ["boss@example.com"], "format": "xlsx" } })).await);
        let xlsx_job = xlsx["jobId"].as_str().unwrap().to_string();
        let cancelled = c.admin.open(&ask(json!({ "download": { "notificationList": ["boss@example.com"] } })).await);
        let cancelled_job = cancelled["jobId"].as_str().unwrap().to_string();
        for (body, message) in [
            (json!({ "download": {} }), "\"download.notificationList\" is required"),
            (
                json!({ "download": { "notificationList": ["not-mail"] } }),
                "\"download.notificationList\" must list e-mail addresses",
            ),
            (
                json!({ "download": { "notificationList": ["a@b.co"], "format": "pdf" } }),
                "\"download.format\" must be csv or xlsx",
            ),
        ] {
            assert_eq!(error(&ask(body).await, 400), message);
        }
        job_in(&api, &c.admin, &xlsx_job, "Pending").await;
        let patch = |id: &str| {
            let path = format!("/reports/download/jobs/{id}");
            let (c, api) = (&c, &api);
            async move { c.admin.call(api, Method::PATCH, &path, Some(json!({}))).await }
        };
        assert_eq!(patch(&cancelled_job).await.status, 204);
        job_in(&api, &c.admin, &cancelled_job, "Cancelled").await;
        error(&patch(&cancelled_job).await, 400);
        error(&patch("no-such-job").await, 404);

        // A node that claimed a job and stopped: its job is taken over once its heartbeat is stale.
        let csv = c.admin.open(&ask(json!({ "user_id": "sam", "download": { "notificationList": ["boss@example.com"] } })).await);
        let csv_job = csv["jobId"].as_str().unwrap().to_string();
        let claimed = api.running.core.adminx().claim_report_job().await.unwrap().expect("a pending job");
        job_in(&api, &c.admin, &claimed.id, "Running").await;
        let worker = api.sibling(|_| {}).await;
        worker.clock.advance(std::time::Duration::from_secs(120));
        for id in [&xlsx_job, &csv_job] {
            let done = job_in(&api, &c.admin, id, "Completed").await;
            assert!(done["size"].as_i64().is_some_and(|n| n > 0), "{done}");
            assert_eq!(done["sendNotificationTo"], json!(["boss@example.com"]));
        }
        // The stopped node's claim is no longer the job's: its heartbeat says so, and it may not finish it.
        assert!(!api.running.core.adminx().beat_report_job(&claimed).await.unwrap());
        let done = job_in(&api, &c.admin, &xlsx_job, "Completed").await;
        let link = done["downloadLink"].as_str().unwrap().to_string();
        assert!(
            link.starts_with(&format!(
                "https://downloads.example.com/downloads/reports/tenant/{}/community/{}/job/{xlsx_job}/report.xlsx?token=",
                c.tenant_id, c.community_id
            )),
            "{link}"
        );
        // The mail carries the link; the link (on keyhall's own address) serves the file.
        let mail = sink.wait_for("boss@example.com", 0).await;
        let body = crate::smtp_sink::body(&mail);
        let mailed = body.lines().find_map(|l| l.trim().strip_prefix("Download it: ")).expect("a link").to_string();
        let local = |link: &str| api.url(link.trim_start_matches("https://downloads.example.com"));
        let mut files = Vec::new();
        for job in [&xlsx_job, &csv_job] {
            let done = job_in(&api, &c.admin, job, "Completed").await;
            let r = TestServer::send(api.client.get(local(done["downloadLink"].as_str().unwrap()))).await;
            assert_eq!(r.status, 200);
            files.push(r.body.to_vec());
        }
        assert!(body.contains("report"), "{body}");
        assert!(mailed == link || sink.count_to("boss@example.com") >= 2, "{mailed}");
        let rows = openpyxl_rows(&files[0]);
        assert_eq!(rows[0][..5], ["date", "eventName", "eventCategory", "user_id", "outcome"]);
        assert!(rows.iter().any(|r| r[1] == "E_LOGIN_SUCCEEDED" && r[3] == "sam"), "{rows:?}");
        let mut reader = csv::Reader::from_reader(files[1].as_slice());
        let users: Vec<String> = reader.records().map(|r| r.unwrap()[3].to_string()).collect();
        assert!(!users.is_empty() && users.iter().all(|u| u == "sam"), "only sam's events: {users:?}");
        // Without the token, or with another, nothing.
        let bare = local(link.split('?').next().unwrap());
        assert_eq!(TestServer::send(api.client.get(&bare)).await.status, 404);
        assert_eq!(TestServer::send(api.client.get(format!("{bare}?token=guess"))).await.status, 404);

        // A hardware-token export and a role assignment download, through the worker.
        let put = c
            .admin
            .call(
                &api,
                Method::PUT,
                "/hardwaretokens/tokens",
                Some(json!({ "csv_text": "serial,seed\nEX1,3132333435363738393031323334353637383930" })),
            )
            .await;
        assert_eq!(put.status, 200);
        let export = json!({ "reports_type": "hardware_tokens", "query": { "serialNumbers": ["/EX/"] }, "download": { "notificationList": ["boss@example.com"] } });
        let job = c.admin.open(&c.admin.post(&api, "/reports/hardwaretokens_export", export).await)["jobId"]
            .as_str()
            .unwrap()
            .to_string();
        let done = job_in(&api, &c.admin, &job, "Completed").await;
        let file = TestServer::send(api.client.get(local(done["downloadLink"].as_str().unwrap()))).await;
        let text = String::from_utf8(file.body.to_vec()).unwrap();
        assert!(text.starts_with("serialNumber,type,algorithm") && text.contains("\nEX1,hotp,SHA1,6,"), "{text}");
        error(&c.admin.post(&api, "/reports/hardwaretokens_export", json!({ "reports_type": "hardware_tokens" })).await, 400);
        // A week on, the files are gone and the jobs say so.
        api.clock.advance(std::time::Duration::from_secs(8 * 24 * 3600));
        assert!(api.running.core.adminx().expire_report_files().await.unwrap() >= 3);
        let mut again = Vendor::new(&api).await;
        let signed_in = again
            .post(
                &api,
                "/verifyuser",
                c.with(json!({ "username": crate::adminx_client::ADMIN, "password": crate::adminx_client::ADMIN_PASSWORD })),
            )
            .await;
        again.jwt = signed_in.json()["jwt_token"].as_str().map(str::to_string);
        job_in(&api, &again, &job, "Expired").await;
        assert_eq!(TestServer::send(api.client.get(local(done["downloadLink"].as_str().unwrap()))).await.status, 404);
        drop(worker);
    }
}
