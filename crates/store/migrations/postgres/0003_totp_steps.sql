-- keyhall schema, version 3: TOTP codes are single-use per time step. A credential keeps the
-- recent steps it accepted (comma-separated), so each of the steps inside the drift window can
-- be used once, in any order.

ALTER TABLE credentials ADD COLUMN used_steps TEXT NOT NULL DEFAULT '';
UPDATE credentials SET used_steps = CAST(last_used_step AS TEXT) WHERE last_used_step IS NOT NULL;
