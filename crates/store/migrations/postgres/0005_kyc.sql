-- keyhall schema, version 5: what users tell about themselves for KYC: profiles, phone
-- numbers (sealed, found by digest) and identity documents with their uploaded files.

CREATE TABLE profiles (
    id         TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    first_name TEXT,
    last_name  TEXT,
    dob        TEXT,
    address    TEXT,
    postcode   TEXT,
    city       TEXT,
    country    TEXT,
    state      TEXT NOT NULL,
    metadata   TEXT,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX profiles_user ON profiles (user_id);
-- At most one profile a user is still working on (drafted or submitted).
CREATE UNIQUE INDEX profiles_one_open ON profiles (user_id) WHERE state IN ('drafted', 'submitted');

CREATE TABLE phones (
    id            TEXT PRIMARY KEY,
    tenant_id     TEXT NOT NULL,
    user_id       TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    country       TEXT NOT NULL,
    number_sealed TEXT NOT NULL,
    number_digest TEXT NOT NULL,
    code_sealed   TEXT NOT NULL,
    validated_at  TIMESTAMPTZ,
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL,
    CONSTRAINT phones_user_number UNIQUE (user_id, number_digest)
);
-- A number is verified by one user of a tenant at most.
CREATE UNIQUE INDEX phones_verified_once ON phones (tenant_id, number_digest) WHERE validated_at IS NOT NULL;

CREATE TABLE documents (
    id            TEXT PRIMARY KEY,
    user_id       TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    doc_type      TEXT NOT NULL,
    doc_number    TEXT,
    doc_expire    TEXT,
    doc_category  TEXT,
    identificator TEXT NOT NULL,
    metadata      TEXT,
    file_name     TEXT NOT NULL,
    file_size     BIGINT NOT NULL,
    content       BYTEA NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX documents_user ON documents (user_id, created_at);
