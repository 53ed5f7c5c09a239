//! Column lists, one macro per table, in the order its row writer binds them. A query is
//! `concat!("SELECT ", user_cols!(), " FROM users …")`, so that it stays a `&'static str`.

macro_rules! tenant_cols {
    () => {
        "id, name, status, phone, address_street, address_city, address_postcode, address_country, created_at, updated_at"
    };
}

macro_rules! user_cols {
    () => {
        "id, tenant_id, community_id, email, contact_name, status, role, is_primary_contact, is_technical, \
         is_billing, notify_weekly_usage, email_verified, twofa_required, created_at, updated_at, uid, username, \
         referral_id, data, owner_id"
    };
}

macro_rules! credential_cols {
    () => {
        "id, user_id, kind, secret, label, used_steps, created_at, updated_at"
    };
}

macro_rules! token_cols {
    () => {
        "id, tenant_id, user_id, visible_prefix, permissions, created_at, updated_at, revoked_at, last_used_at"
    };
}

/// The columns of a session row, in the order `insert_session` binds them ($1–$9).
macro_rules! session_cols {
    () => {
        "id, tenant_id, user_id, digest, ip, user_agent, csrf_token, created_at, expires_at"
    };
}

/// The columns of an audit record, in the order `bind_audit` binds them.
macro_rules! audit_cols {
    () => {
        "id, tenant_id, actor_kind, actor_id, action, target_kind, target_id, ip, user_agent, details, created_at"
    };
}

macro_rules! license_cols {
    () => {
        "id, tenant_id, serial, name, comment, server_version, num_clients_online, num_boosters_online, \
         is_archived, enabled, allowed_ip_address, allowed_machine_id, favourited, region_code, created_at, updated_at, revision"
    };
}

macro_rules! hosted_cols {
    () => {
        "id, tenant_id, server_name, region, user_dns, admin_username, admin_password_sealed, send_as_display_name, \
         send_as_email_address, send_as_email_verified, send_as_dmarc_verified, use_custom_dns, user_custom_dns, smtp_mode, \
         smtp_host, smtp_port, smtp_username, smtp_password_sealed, smtp_security, smtp_accept_invalid_certificate, \
         storage_type, storage_bucket, storage_keys_sealed, favourited, num_devices_online, num_boosters_online, version, \
         state, state_due_at, pending_delete_failed, created_at, date_deleted, updated_at, revision"
    };
}

macro_rules! label_cols {
    () => {
        "id, user_id, key, value, scope, description, created_at, updated_at"
    };
}

macro_rules! api_key_cols {
    () => {
        "id, tenant_id, holder_id, kid, algorithm, scope, state, secret_sealed, created_at, updated_at"
    };
}

/// A profile's details come third to tenth, in the order `bind_details` binds them.
macro_rules! profile_cols {
    () => {
        "id, user_id, first_name, last_name, dob, address, postcode, city, country, metadata, state, created_at, updated_at"
    };
}

macro_rules! phone_cols {
    () => {
        "id, tenant_id, user_id, country, number_sealed, number_digest, code_sealed, validated_at, created_at, updated_at"
    };
}

/// Without the file's `content`, which only `document_file` reads.
macro_rules! document_cols {
    () => {
        "id, user_id, doc_type, doc_number, doc_expire, doc_category, identificator, metadata, file_name, file_size, \
         created_at, updated_at"
    };
}

macro_rules! restriction_cols {
    () => {
        "id, tenant_id, category, scope, value, code, state, created_at, updated_at"
    };
}

macro_rules! challenge_cols {
    () => {
        "id, tenant_id, user_id, kind, state, created_at, expires_at"
    };
}

macro_rules! data_storage_cols {
    () => {
        "id, user_id, title, data, created_at, updated_at"
    };
}

macro_rules! config_cols {
    () => {
        "tenant_id, community_id, key, revision, body, updated_at"
    };
}
