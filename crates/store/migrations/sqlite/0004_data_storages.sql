-- keyhall schema, version 4: small JSON documents users keep under a title.

CREATE TABLE data_storages (
    id         TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    title      TEXT NOT NULL,
    data       TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    CONSTRAINT data_storages_user_title UNIQUE (user_id, title)
);
