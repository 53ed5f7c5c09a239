//! `keyhall adminx …`: bootstrapping a 1Kosmos community.

use std::path::PathBuf;

use clap::Subcommand;
use keyhall_core::Core;
use keyhall_core::adminx::init::InitInput;
use keyhall_crypto::envelope::Curve;
use serde_json::json;

use super::{Out, describe_error};

#[derive(Debug, Subcommand)]
pub enum AdminxCommand {
    /// Make a community: the tenant's DNS name, the community with its default `db` auth
    /// module, its first administrator (role tenant_admin) and a `system` license key. Works
    /// while `serve` runs. Prints what 1Kosmos clients need (ids, license key, server key).
    Init {
        /// The DNS name the tenant's login page is on (e.g. login.example.com).
        #[arg(long)]
        dns: String,
        /// The community's name.
        #[arg(long)]
        community: String,
        /// The administrator's login name.
        #[arg(long)]
        username: String,
        /// The administrator's e-mail address.
        #[arg(long)]
        email: String,
        /// The administrator's password [default: asked for without echo, or read from
        /// standard input].
        #[arg(long, env = "KEYHALL_ADMINX_PASSWORD", hide_env_values = true, conflicts_with = "password_file")]
        password: Option<String>,
        /// A file whose first line is the password.
        #[arg(long)]
        password_file: Option<PathBuf>,
        /// An existing tenant (e.g. a Comet company id): the community is made inside it and
        /// the tenant's users become its users. Default: a new tenant.
        #[arg(long)]
        tenant: Option<String>,
        /// Print one JSON object (else one `key: value` per line).
        #[arg(long)]
        json: bool,
    },
}

pub async fn run(core: &Core, curve: Curve, command: &AdminxCommand, out: &mut Out) -> anyhow::Result<()> {
    let failed = |e: keyhall_core::DomainError| anyhow::anyhow!("{}", describe_error(&e));
    match command {
        AdminxCommand::Init { dns, community, username, email, password, password_file, tenant, json } => {
            let tenant = match tenant {
                Some(t) => Some(
                    keyhall_types::TenantId::parse(t.trim())
                        .ok_or_else(|| anyhow::anyhow!("--tenant {t:?} is not a tenant id"))?,
                ),
                None => None,
            };
            let password = super::accounts::read_password(password, password_file, email)?;
            let input = InitInput {
                dns: dns.clone(),
                community: community.clone(),
                username: username.clone(),
                email: email.clone(),
                password,
                tenant,
            };
            let done = core.adminx().init(input).await.map_err(failed)?;
            let public_key = core.auth().envelope_key(curve).await.map_err(failed)?.public_base64();
            let fields = json!({
                "tenant_id": done.tenant.id.to_string(),
                "tenant_tag": done.domain.tag,
                "dns": done.domain.dns,
                "community_id": done.community.id.to_string(),
                "community_name": done.community.name,
                "module_id": done.module.id.to_string(),
                "admin_uid": done.admin.user.id.to_string(),
                "admin_username": done.admin.username,
                "license_key": done.license_key.expose(),
                "public_key": public_key,
                "ec_curve_name": curve.name(),
            });
            if *json {
                out.line(&fields)?;
            } else if let Some(map) = fields.as_object() {
                for (k, v) in map {
                    out.line(format!("{k}: {}", v.as_str().unwrap_or_default()))?;
                }
            }
        }
    }
    Ok(())
}
