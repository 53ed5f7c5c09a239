-- keyhall schema, version 6: access restrictions the authorize endpoint applies (by client
-- address), and the whitelist links that let a visitor whitelist their own address.

CREATE TABLE restrictions (
    id         TEXT PRIMARY KEY,
    tenant_id  TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    category   TEXT NOT NULL,
    scope      TEXT NOT NULL,
    value      TEXT NOT NULL,
    code       BIGINT NOT NULL,
    state      TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    CONSTRAINT restrictions_unique_value UNIQUE (tenant_id, category, scope, value)
);

CREATE TABLE whitelinks (
    digest     TEXT PRIMARY KEY,
    tenant_id  TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    expires_at TEXT NOT NULL,
    created_at TEXT NOT NULL
);
