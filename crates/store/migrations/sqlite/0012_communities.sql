-- keyhall schema, version 12: 1Kosmos communities. A tenant's tag and DNS name; the auth
-- modules (user stores) of each community, one of them its default `db` module; the users
-- of a community as 1Kosmos knows them (their module, login name, role and profile; a user
-- with no row here is a `basic` user of the default module, known by username or e-mail);
-- aliases, unique per community; and license keys, stored as SHA-256 digests.

CREATE TABLE tenant_domains (
    tenant_id  TEXT PRIMARY KEY REFERENCES tenants(id) ON DELETE CASCADE,
    tag        TEXT NOT NULL UNIQUE,
    dns        TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL
);

CREATE TABLE auth_modules (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    community_id TEXT NOT NULL REFERENCES communities(id) ON DELETE CASCADE,
    kind         TEXT NOT NULL,
    name         TEXT NOT NULL,
    enabled      BOOLEAN NOT NULL,
    mode         TEXT NOT NULL,
    is_default   BOOLEAN NOT NULL,
    config       TEXT NOT NULL,
    secret       TEXT,
    script       TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    UNIQUE (community_id, name)
);
CREATE UNIQUE INDEX auth_modules_one_default ON auth_modules (community_id) WHERE is_default;

CREATE TABLE members (
    user_id      TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    community_id TEXT NOT NULL REFERENCES communities(id) ON DELETE CASCADE,
    module_id    TEXT NOT NULL REFERENCES auth_modules(id) ON DELETE CASCADE,
    username     TEXT NOT NULL,
    role         TEXT NOT NULL,
    profile      TEXT NOT NULL,
    locked_until TEXT,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    UNIQUE (module_id, username)
);
CREATE INDEX members_community ON members (community_id, username);

CREATE TABLE member_aliases (
    community_id TEXT NOT NULL REFERENCES communities(id) ON DELETE CASCADE,
    alias        TEXT NOT NULL,
    user_id      TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    PRIMARY KEY (community_id, alias)
);

CREATE TABLE access_licenses (
    digest       TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    community_id TEXT REFERENCES communities(id) ON DELETE CASCADE,
    tag          TEXT NOT NULL,
    auth_level   TEXT NOT NULL,
    created_at   TEXT NOT NULL
);
