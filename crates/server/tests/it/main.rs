//! Integration tests: each boots a real keyhall on 127.0.0.1:0 and speaks HTTP to it, against
//! SQLite and (when `KEYHALL_TEST_DATABASE_URL` is set) PostgreSQL.

mod harness;
mod soft_authenticator;

mod adminx_access;
mod adminx_client;
mod adminx_collections;
mod adminx_config;
mod adminx_directory;
mod adminx_documents;
mod adminx_envelope;
mod adminx_fields;
mod adminx_keys;
mod adminx_modules;
mod adminx_properties;
mod adminx_registration;
mod adminx_sign_in;
mod adminx_users;
mod adminx_wallet;
mod barong_authorize;
mod barong_captcha;
mod barong_client;
mod barong_documents;
mod barong_identity;
mod barong_kyc;
mod barong_resource;
mod barong_restrictions;
mod cli;
mod comet_generic;
mod comet_hosted;
mod comet_licenses;
mod comet_mfa;
mod comet_misc;
mod comet_tokens;
mod comet_users;
mod concurrency;
mod cross_face;
mod gateway_nginx;
mod newcomer;
mod security;
mod security_limits;
mod security_sessions;
mod server_basics;
mod slapd;
mod smtp_sink;
mod tenancy_config;
