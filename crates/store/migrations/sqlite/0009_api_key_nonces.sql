-- keyhall schema, version 9: the nonces of API-key requests. A SQLite database is one node's:
-- that node remembers the nonces it served in memory, and this table (kept so that both
-- histories make the same tables) stays empty.

CREATE TABLE api_key_nonces (
    kid        TEXT NOT NULL,
    nonce      TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    PRIMARY KEY (kid, nonce)
);

CREATE INDEX api_key_nonces_expiry ON api_key_nonces (expires_at);
