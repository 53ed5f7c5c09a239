-- keyhall schema, version 7: configuration documents, one versioned JSON document per
-- (tenant, community, key). A write names the revision it read; the store refuses a stale one.

CREATE TABLE config_documents (
    tenant_id    TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    community_id TEXT NOT NULL REFERENCES communities(id) ON DELETE CASCADE,
    key          TEXT NOT NULL,
    revision     BIGINT NOT NULL,
    body         TEXT NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant_id, community_id, key)
);
