-- keyhall schema, version 1: identity core (tenants, communities, users, credentials,
-- challenges, API tokens, sessions, audit log) and the Comet domain (licenses, hosted
-- instances, CloudView, billing records).

CREATE TABLE tenants (
    id               TEXT PRIMARY KEY,
    name             TEXT NOT NULL,
    status           TEXT NOT NULL,
    phone            TEXT NOT NULL DEFAULT '',
    address_street   TEXT NOT NULL DEFAULT '',
    address_city     TEXT NOT NULL DEFAULT '',
    address_postcode TEXT NOT NULL DEFAULT '',
    address_country  TEXT NOT NULL DEFAULT '',
    created_at       TIMESTAMPTZ NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL
);

CREATE TABLE communities (
    id          TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    is_default  BOOLEAN NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    UNIQUE (tenant_id, name)
);
CREATE UNIQUE INDEX communities_one_default ON communities (tenant_id) WHERE is_default;

CREATE TABLE users (
    id                  TEXT PRIMARY KEY,
    tenant_id           TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    community_id        TEXT NOT NULL REFERENCES communities(id) ON DELETE CASCADE,
    email               TEXT NOT NULL,
    contact_name        TEXT NOT NULL,
    status              TEXT NOT NULL,
    role                TEXT NOT NULL,
    is_primary_contact  BOOLEAN NOT NULL,
    is_technical        BOOLEAN NOT NULL,
    is_billing          BOOLEAN NOT NULL,
    notify_weekly_usage BOOLEAN NOT NULL,
    email_verified      BOOLEAN NOT NULL,
    twofa_required      BOOLEAN NOT NULL,
    created_at          TIMESTAMPTZ NOT NULL,
    updated_at          TIMESTAMPTZ NOT NULL,
    CONSTRAINT users_tenant_email UNIQUE (tenant_id, email)
);

CREATE TABLE credentials (
    id             TEXT PRIMARY KEY,
    user_id        TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    kind           TEXT NOT NULL,
    secret         TEXT NOT NULL,
    label          TEXT NOT NULL DEFAULT '',
    last_used_step BIGINT,
    created_at     TIMESTAMPTZ NOT NULL,
    updated_at     TIMESTAMPTZ NOT NULL
);
CREATE INDEX credentials_user ON credentials (user_id);
CREATE UNIQUE INDEX credentials_one_password ON credentials (user_id) WHERE kind = 'password';
CREATE UNIQUE INDEX credentials_one_totp ON credentials (user_id) WHERE kind = 'totp';

CREATE TABLE challenges (
    id          TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    kind        TEXT NOT NULL,
    state       TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    expires_at  TIMESTAMPTZ NOT NULL,
    UNIQUE (user_id, kind)
);

CREATE TABLE api_tokens (
    id             TEXT PRIMARY KEY,
    tenant_id      TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    user_id        TEXT NOT NULL,
    digest         TEXT NOT NULL UNIQUE,
    visible_prefix TEXT NOT NULL,
    permissions    TEXT NOT NULL,
    created_at     TIMESTAMPTZ NOT NULL,
    updated_at     TIMESTAMPTZ NOT NULL,
    revoked_at     TIMESTAMPTZ,
    last_used_at   TIMESTAMPTZ
);
CREATE INDEX api_tokens_tenant ON api_tokens (tenant_id);
CREATE INDEX api_tokens_user ON api_tokens (user_id);

CREATE TABLE sessions (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    user_id      TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    digest       TEXT NOT NULL UNIQUE,
    ip           TEXT NOT NULL,
    user_agent   TEXT NOT NULL,
    csrf_token   TEXT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    expires_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

-- No foreign key: the log outlives what it describes (a deleted tenant's history stays).
CREATE TABLE audit_log (
    id          TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL,
    actor_kind  TEXT NOT NULL,
    actor_id    TEXT,
    action      TEXT NOT NULL,
    target_kind TEXT NOT NULL,
    target_id   TEXT,
    ip          TEXT,
    user_agent  TEXT,
    details     TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX audit_log_tenant_time ON audit_log (tenant_id, created_at);
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'audit_log is append-only'; END; $$;
CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();

CREATE TABLE licenses (
    id                  TEXT PRIMARY KEY,
    tenant_id           TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    serial              TEXT NOT NULL UNIQUE,
    name                TEXT NOT NULL,
    comment             TEXT NOT NULL,
    server_version      TEXT NOT NULL,
    num_clients_online  BIGINT NOT NULL,
    num_boosters_online BIGINT NOT NULL,
    is_archived         BOOLEAN NOT NULL,
    enabled             BOOLEAN NOT NULL,
    allowed_ip_address  TEXT NOT NULL,
    allowed_machine_id  TEXT NOT NULL,
    favourited          BOOLEAN NOT NULL,
    region_code         TEXT,
    synced_at           TIMESTAMPTZ,
    created_at          TIMESTAMPTZ NOT NULL,
    updated_at          TIMESTAMPTZ NOT NULL,
    revision            BIGINT NOT NULL
);
CREATE INDEX licenses_tenant ON licenses (tenant_id, created_at);

CREATE TABLE hosted_instances (
    id                              TEXT PRIMARY KEY,
    tenant_id                       TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    server_name                     TEXT NOT NULL,
    region                          TEXT NOT NULL,
    user_dns                        TEXT NOT NULL,
    admin_username                  TEXT NOT NULL,
    admin_password_sealed           TEXT NOT NULL,
    send_as_display_name            TEXT NOT NULL,
    send_as_email_address           TEXT NOT NULL,
    send_as_email_verified          BOOLEAN NOT NULL,
    send_as_dmarc_verified          BOOLEAN NOT NULL,
    use_custom_dns                  BOOLEAN NOT NULL,
    user_custom_dns                 TEXT NOT NULL,
    smtp_mode                       TEXT NOT NULL,
    smtp_host                       TEXT NOT NULL,
    smtp_port                       BIGINT NOT NULL,
    smtp_username                   TEXT NOT NULL,
    smtp_password_sealed            TEXT NOT NULL,
    smtp_security                   TEXT NOT NULL,
    smtp_accept_invalid_certificate BOOLEAN NOT NULL,
    storage_type                    TEXT NOT NULL,
    storage_bucket                  TEXT NOT NULL,
    storage_keys_sealed             TEXT NOT NULL,
    favourited                      BOOLEAN NOT NULL,
    num_devices_online              BIGINT NOT NULL,
    num_boosters_online             BIGINT NOT NULL,
    version                         TEXT NOT NULL,
    state                           TEXT NOT NULL,
    state_due_at                    TIMESTAMPTZ,
    pending_delete_failed           BOOLEAN NOT NULL,
    created_at                      TIMESTAMPTZ NOT NULL,
    date_deleted                    TIMESTAMPTZ,
    updated_at                      TIMESTAMPTZ NOT NULL,
    revision                        BIGINT NOT NULL
);
CREATE INDEX hosted_instances_tenant ON hosted_instances (tenant_id, created_at);
-- A host name belongs to one live instance at a time.
CREATE UNIQUE INDEX hosted_instances_live_dns ON hosted_instances (user_dns) WHERE state <> 'deleted';

CREATE TABLE cloudview (
    tenant_id     TEXT PRIMARY KEY REFERENCES tenants(id) ON DELETE CASCADE,
    status        TEXT NOT NULL,
    mode          TEXT NOT NULL,
    status_due_at TIMESTAMPTZ,
    updated_at    TIMESTAMPTZ NOT NULL,
    revision      BIGINT NOT NULL
);

CREATE TABLE billing_records (
    id               TEXT PRIMARY KEY,
    tenant_id        TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    occurred_at      TIMESTAMPTZ NOT NULL,
    description      TEXT NOT NULL,
    service_kind     TEXT NOT NULL,
    service_ref      TEXT NOT NULL,
    quantity         BIGINT NOT NULL,
    unit_price_cents BIGINT NOT NULL,
    amount_cents     BIGINT NOT NULL,
    currency         TEXT NOT NULL
);
CREATE INDEX billing_records_tenant ON billing_records (tenant_id, occurred_at);
