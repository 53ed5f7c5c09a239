-- keyhall schema, version 11: API-key nonces are written on every signed request and matter
-- for seconds only, so their table skips the write-ahead log (and its flush on every
-- commit). After a crash PostgreSQL empties it: the nonces of the last seconds before it
-- could be replayed once more, within their five seconds.

ALTER TABLE api_key_nonces SET UNLOGGED;
