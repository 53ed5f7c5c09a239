-- keyhall schema, version 15: the OATH hardware tokens of a community (HOTP or TOTP), their
-- seeds sealed under the master key, and which users hold them. `counter` is the next HOTP
-- counter, or the last TOTP time step accepted (a code is good once); `drift` is the TOTP
-- step offset a resync found. A serial number is unique in its community.

CREATE TABLE hardware_tokens (
    id            TEXT PRIMARY KEY,
    tenant_id     TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    community_id  TEXT NOT NULL REFERENCES communities(id) ON DELETE CASCADE,
    serial_number TEXT NOT NULL,
    token_type    TEXT NOT NULL,
    algorithm     TEXT NOT NULL,
    digits        BIGINT NOT NULL,
    period        BIGINT NOT NULL,
    seed          TEXT NOT NULL,
    counter       BIGINT NOT NULL,
    drift         BIGINT NOT NULL,
    last_used_at  TIMESTAMPTZ,
    created_by    TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX hardware_tokens_serial ON hardware_tokens (community_id, serial_number);

CREATE TABLE hardware_token_users (
    token_id     TEXT NOT NULL REFERENCES hardware_tokens(id) ON DELETE CASCADE,
    user_id      TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    community_id TEXT NOT NULL REFERENCES communities(id) ON DELETE CASCADE,
    username     TEXT NOT NULL,
    assigned_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (token_id, user_id)
);
CREATE INDEX hardware_token_users_user ON hardware_token_users (user_id);
CREATE INDEX hardware_token_users_listed ON hardware_token_users (community_id, username);
