-- keyhall schema, version 9: the nonces of API-key requests, so that every node sharing the
-- database serves a signed request once.

CREATE TABLE api_key_nonces (
    kid        TEXT NOT NULL,
    nonce      TEXT NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (kid, nonce)
);

CREATE INDEX api_key_nonces_expiry ON api_key_nonces (expires_at);
