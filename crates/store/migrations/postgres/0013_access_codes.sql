-- keyhall schema, version 13: 1Kosmos access codes (invitations, password resets, and sign-up
-- e-mail confirmations, which have no user yet). The code a link carries is kept as its
-- SHA-256 digest; `id` is the handle administrators see.

CREATE TABLE access_codes (
    id           TEXT PRIMARY KEY,
    digest       TEXT NOT NULL UNIQUE,
    tenant_id    TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    community_id TEXT NOT NULL REFERENCES communities(id) ON DELETE CASCADE,
    user_id      TEXT REFERENCES users(id) ON DELETE CASCADE,
    kind         TEXT NOT NULL,
    status       TEXT NOT NULL,
    created_by   TEXT NOT NULL,
    payload      TEXT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    expires_at   TIMESTAMPTZ NOT NULL,
    redeemed_at  TIMESTAMPTZ
);
CREATE INDEX access_codes_user ON access_codes (user_id, created_at);
