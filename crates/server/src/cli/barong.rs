//! `keyhall barong …`: access restrictions and whitelist links of the Barong API's tenant.

use clap::Subcommand;
use keyhall_core::Core;
use keyhall_types::TenantId;

use super::{Out, describe_error};

#[derive(Debug, Subcommand)]
pub enum BarongCommand {
    /// Create a whitelist link: a visitor posting it as `whitelink_token` to
    /// `/api/v2/auth/identity/users/access` whitelists their address. Prints the token.
    Whitelink {
        /// How many days (or hours, with `--range hour`) the link stays valid: 1 to 30.
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=30))]
        expire_time: u16,
        /// The unit of `--expire-time`.
        #[arg(long, default_value = "day", value_parser = ["day", "hour"])]
        range: String,
    },
    /// Add a restriction authorize applies by client address. Prints it as JSON.
    RestrictionAdd {
        /// whitelist, maintenance, blacklist or blocklogin
        #[arg(long)]
        category: String,
        /// all, ip or ip_subnet (country and continent are kept but never match)
        #[arg(long)]
        scope: String,
        /// The address (scope ip), the subnet in CIDR form (ip_subnet), or `all`.
        #[arg(long)]
        value: String,
        /// The HTTP status refused requests get [default: Barong's for the scope: 401 ip,
        /// 403 ip_subnet, 471 maintenance].
        #[arg(long)]
        code: Option<i64>,
    },
    /// List the restrictions, one JSON object per line.
    RestrictionList,
    /// Remove a restriction by id.
    RestrictionRemove {
        /// The restriction's id (`restriction-list` shows it).
        id: String,
    },
}

pub async fn run(core: &Core, tenant: TenantId, command: &BarongCommand, out: &mut Out) -> anyhow::Result<()> {
    let caller = core.auth().operator(tenant);
    let failed = |e: keyhall_core::DomainError| anyhow::anyhow!("{}", describe_error(&e));
    match command {
        BarongCommand::Whitelink { expire_time, range } => {
            let unit = if range == "hour" { time::Duration::HOUR } else { time::Duration::DAY };
            let token = core.auth().create_whitelink(&caller, unit * i32::from(*expire_time)).await.map_err(failed)?;
            out.line(&token)?;
            eprintln!(
                "Valid for {expire_time} {range}(s). A visitor whitelists their address with:\n  curl -H 'Content-Type: application/json' \
                 <keyhall>/api/v2/auth/identity/users/access -d '{{\"whitelink_token\":\"{token}\"}}'"
            );
        }
        BarongCommand::RestrictionAdd { category, scope, value, code } => {
            let r = core.auth().add_restriction(&caller, category, scope, value, *code).await.map_err(failed)?;
            out.line(restriction_json(&r))?;
        }
        BarongCommand::RestrictionList => {
            let restrictions = core.auth().restrictions(tenant).await.map_err(failed)?;
            if restrictions.is_empty() {
                eprintln!("no restrictions: authorize lets every address through");
            }
            for r in restrictions.iter() {
                out.line(restriction_json(r))?;
            }
        }
        BarongCommand::RestrictionRemove { id } => {
            let found = match keyhall_types::RestrictionId::parse(id) {
                Some(rid) => core.auth().remove_restriction(&caller, rid).await.map_err(failed)?,
                None => false,
            };
            if !found {
                anyhow::bail!("no restriction {id}");
            }
            eprintln!("removed restriction {id} (every node applies it within 5 s)");
        }
    }
    Ok(())
}

fn restriction_json(r: &keyhall_core::auth::restrictions::Restriction) -> serde_json::Value {
    serde_json::json!({
        "id": r.id, "category": r.category, "scope": r.scope, "value": r.value, "code": r.code,
        "state": if r.enabled { "enabled" } else { "disabled" },
    })
}
