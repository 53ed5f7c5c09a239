-- keyhall schema, version 16: the 1Kosmos Reports. `report_events` are the events of
-- communities (every audited sign-in, failure, lock and administrator's change made in a
-- community, written with its audit record, and the events clients store): the 1Kosmos event
-- as JSON in `body`, the columns reports filter and count on beside it, `event_ts` in ms.
-- `report_jobs` are the downloads being built: a job a stopped node left running goes back
-- to `Pending` when its heartbeat is stale, so it is built again, never lost; `claim` names
-- the claim that builds it, the only one that may beat for it or finish it.

CREATE TABLE report_events (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL,
    community_id TEXT NOT NULL,
    category     TEXT NOT NULL,
    event_name   TEXT NOT NULL,
    user_id      TEXT,
    outcome      TEXT,
    session_id   TEXT,
    application  TEXT,
    auth_method  TEXT,
    event_ts     BIGINT NOT NULL,
    body         TEXT NOT NULL
);
-- Each ends with the id: pages come newest first, ties by id, straight from the index.
CREATE INDEX report_events_time ON report_events (community_id, event_ts, id);
CREATE INDEX report_events_name ON report_events (community_id, event_name, event_ts, id);
CREATE INDEX report_events_user ON report_events (community_id, user_id, event_ts, id);
CREATE INDEX report_events_category ON report_events (community_id, category, event_ts, id);
CREATE INDEX report_events_session ON report_events (community_id, session_id);

-- The history recorded before this version, for the communities it names.
INSERT INTO report_events (id, tenant_id, community_id, category, event_name, user_id, outcome, session_id, application, auth_method, event_ts, body)
SELECT id, tenant_id, json_extract(details, '$.communityId'),
       CASE WHEN action LIKE 'E\_LOGIN%' ESCAPE '\' OR action LIKE 'E\_SP\_REDIRECT%' ESCAPE '\'
                 OR action IN ('E_LOGOUT', 'E_USER_LOCKED', 'E_OTP_SENT', 'E_SESSIONS_TERMINATED') THEN 'EVENT' ELSE 'AUDIT_LOG' END,
       action, json_extract(details, '$.username'),
       CASE WHEN action LIKE '%\_FAILED' ESCAPE '\' THEN 'failure' ELSE 'success' END,
       NULL, NULL, NULL, CAST(strftime('%s', substr(created_at, 1, 19)) AS INTEGER) * 1000 + CAST(substr(created_at, 21, 3) AS INTEGER),
       details
FROM audit_log
WHERE action LIKE 'E\_%' ESCAPE '\' AND json_valid(details) AND json_extract(details, '$.communityId') IS NOT NULL;

CREATE TABLE report_jobs (
    id             TEXT PRIMARY KEY,
    tenant_id      TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    community_id   TEXT NOT NULL REFERENCES communities(id) ON DELETE CASCADE,
    report         TEXT NOT NULL,
    params         TEXT NOT NULL,
    format         TEXT NOT NULL,
    status         TEXT NOT NULL,
    requested_by   TEXT NOT NULL,
    notify         TEXT NOT NULL,
    token          TEXT NOT NULL,
    size           BIGINT,
    content        BLOB,
    error          TEXT,
    claim          TEXT,
    heartbeat_at   TEXT,
    created_at     TEXT NOT NULL,
    completed_at   TEXT
);
CREATE INDEX report_jobs_community ON report_jobs (community_id, created_at);
CREATE INDEX report_jobs_status ON report_jobs (status, heartbeat_at);
