-- keyhall schema, version 2: what the Barong face needs from the identity core — public user
-- ids, usernames, referrals, user data, service accounts, labels, HMAC API keys, signing keys,
-- installation settings, and the brute-force counters.

ALTER TABLE users ADD COLUMN uid TEXT;
UPDATE users SET uid = 'ID' || upper(substr(md5(random()::text || id), 1, 10)) WHERE uid IS NULL;
CREATE UNIQUE INDEX users_uid ON users (uid);
ALTER TABLE users ADD COLUMN username TEXT;
CREATE UNIQUE INDEX users_tenant_username ON users (tenant_id, username) WHERE username IS NOT NULL;
ALTER TABLE users ADD COLUMN referral_id TEXT;
ALTER TABLE users ADD COLUMN data TEXT;
-- Service accounts are users owned by another user.
ALTER TABLE users ADD COLUMN owner_id TEXT REFERENCES users(id) ON DELETE CASCADE;
CREATE INDEX users_owner ON users (owner_id);

CREATE TABLE labels (
    id          TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    key         TEXT NOT NULL,
    value       TEXT NOT NULL,
    scope       TEXT NOT NULL,
    description TEXT,
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL,
    CONSTRAINT labels_user_key_scope UNIQUE (user_id, key, scope)
);

CREATE TABLE api_keys (
    id            TEXT PRIMARY KEY,
    tenant_id     TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    holder_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    kid           TEXT NOT NULL UNIQUE,
    algorithm     TEXT NOT NULL,
    scope         TEXT NOT NULL,
    state         TEXT NOT NULL,
    secret_sealed TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX api_keys_holder ON api_keys (holder_id);

-- Installation-wide settings (e.g. which tenant the Barong face serves).
CREATE TABLE settings (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);

-- Token-signing keys; the private key is sealed under the master key.
CREATE TABLE signing_keys (
    kid            TEXT PRIMARY KEY,
    algorithm      TEXT NOT NULL,
    private_sealed TEXT NOT NULL,
    created_at     TIMESTAMPTZ NOT NULL,
    retired_at     TIMESTAMPTZ
);

-- Failed sign-in counters, per account and per client address.
CREATE TABLE login_attempts (
    key               TEXT PRIMARY KEY,
    failures          BIGINT NOT NULL,
    window_started_at TIMESTAMPTZ NOT NULL,
    locked_until      TIMESTAMPTZ,
    lockouts          BIGINT NOT NULL
);
