-- keyhall schema, version 10: the outbox of mail and texts. A message is written with the
-- command that sends it and deleted once delivered; its text is sealed under the master key.

CREATE TABLE outbox (
    id              TEXT PRIMARY KEY,
    kind            TEXT NOT NULL,
    payload         TEXT NOT NULL,
    attempts        BIGINT NOT NULL,
    next_attempt_at TIMESTAMPTZ NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL,
    last_error      TEXT
);

CREATE INDEX outbox_due ON outbox (next_attempt_at);
