-- keyhall schema, version 14: the 1Kosmos collections of a community (secrets, message
-- gateways, service providers, identity providers, journeys, brokers, RADIUS and auth-proxy
-- configurations…), one table for all: `kind` says which collection, `name` is the item's
-- key in it (a secret's tag; the kind itself where a community has one item of a kind), unique
-- per community and kind. `body` is the item's JSON, its secrets sealed under the master key.

CREATE TABLE community_items (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    community_id TEXT NOT NULL REFERENCES communities(id) ON DELETE CASCADE,
    kind         TEXT NOT NULL,
    name         TEXT NOT NULL,
    body         TEXT NOT NULL,
    created_by   TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);
CREATE UNIQUE INDEX community_items_name ON community_items (community_id, kind, name);
CREATE INDEX community_items_listed ON community_items (community_id, kind, created_at);
