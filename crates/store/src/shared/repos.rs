// The repository implementations shared by both back-ends. This file and the ones it
// includes are compiled inside `sqlite` and inside `postgres` (see lib.rs); they may use the
// names each back-end defines: `Db`, `DbRow`, `Store`, `DbTime`, `ts`, `read_ts`,
// `read_pool`, `write_pool`, `begin_write`.

include!("rows.rs");
include!("tenants.rs");
include!("users.rs");
include!("credentials.rs");
include!("tokens.rs");
include!("sessions.rs");
include!("audit.rs");
include!("comet.rs");
include!("identity.rs");
include!("kyc.rs");
include!("restrictions.rs");
