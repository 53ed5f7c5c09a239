-- keyhall schema, version 11: on PostgreSQL the API-key nonces' table skips the write-ahead
-- log. SQLite keeps no nonces in its table (see version 9): nothing to change.

SELECT 1;
