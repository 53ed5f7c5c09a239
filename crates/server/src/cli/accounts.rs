//! `keyhall company create|list` and `keyhall token create`: companies and their API tokens
//! from the command line, on the same data as a running server.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use clap::Subcommand;
use keyhall_core::Core;
use keyhall_core::comet::actions;
use keyhall_core::credentials::PasswordPolicy;
use keyhall_core::tenancy::companies::NewCompany;
use keyhall_types::TenantId;

use super::{Out, describe_error};

#[derive(Debug, Subcommand)]
pub enum CompanyCommand {
    /// Create a company, its primary contact and an API token holding every Token Action.
    /// The first company takes over the default tenant (the one the Barong API serves unless
    /// --barong-tenant says otherwise), and its primary contact is that tenant's superadmin.
    Create {
        /// The company's name.
        #[arg(long)]
        name: String,
        /// The primary contact's e-mail address (one company per address).
        #[arg(long)]
        email: String,
        /// The primary contact's password. Prefer the prompt, standard input or
        /// `--password-file`: arguments are visible to other users of the machine.
        #[arg(long, env = "KEYHALL_COMPANY_PASSWORD", hide_env_values = true, conflicts_with = "password_file")]
        password: Option<String>,
        /// Read the password from this file (its first line).
        #[arg(long)]
        password_file: Option<PathBuf>,
        /// The primary contact's name [default: the part of the e-mail before the @].
        #[arg(long)]
        contact_name: Option<String>,
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
    /// List the companies: id, name, primary contact, status, creation time.
    List {
        /// Print one JSON object per company and line instead of a table.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Issue a new API token for a company's primary contact (shown once), e.g. when the
    /// first one was lost. Revoke old ones through the API (`token/revoke_token`).
    Create {
        /// The company's id (`keyhall company list` shows it).
        #[arg(long)]
        company: String,
        /// The Token Actions it holds (repeat, or separate with commas) [default: all].
        #[arg(long = "permission", value_delimiter = ',')]
        permissions: Vec<String>,
        /// Print one JSON object instead of the bare token.
        #[arg(long)]
        json: bool,
    },
}

/// The password from the argument, the file, or else standard input: asked for without echo
/// (twice) on a terminal, else its first line.
pub(super) fn read_password(password: &Option<String>, file: &Option<PathBuf>, email: &str) -> anyhow::Result<String> {
    let password = match (password, file) {
        (Some(p), _) => p.clone(),
        (None, Some(path)) => {
            let text = std::fs::read_to_string(path).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
            first_line(&text)
        }
        (None, None) if std::io::stdin().is_terminal() => {
            let first = rpassword::prompt_password(format!("Password for {email}: "))?;
            let again = rpassword::prompt_password("The same password again: ")?;
            if first != again {
                anyhow::bail!("the two passwords differ; nothing was created");
            }
            first
        }
        (None, None) => {
            let mut line = String::new();
            std::io::stdin().read_line(&mut line).map_err(|e| anyhow::anyhow!("cannot read the password: {e}"))?;
            first_line(&line)
        }
    };
    if password.is_empty() {
        anyhow::bail!("no password given: type it when asked, send it on standard input, or use --password-file FILE");
    }
    Ok(password)
}

/// The first line of a password file or of standard input, without its line ending.
fn first_line(text: &str) -> String {
    text.lines().next().unwrap_or_default().to_string()
}

pub async fn company(core: &Core, command: &CompanyCommand, out: &mut Out) -> anyhow::Result<()> {
    match command {
        CompanyCommand::Create { name, email, password, password_file, contact_name, json } => {
            let password = read_password(password, password_file, email)?;
            let input = NewCompany {
                name: name.clone(),
                email: email.clone(),
                password,
                contact_name: contact_name.clone(),
                token_permissions: actions::all(),
                claim_default_tenant: true,
            };
            let created = core
                .tenancy()
                .create_company(input, &PasswordPolicy::STANDARD)
                .await
                .map_err(|e| anyhow::anyhow!("cannot create the company: {}", describe_error(&e)))?;
            let default = created.default_tenant;
            if *json {
                out.line(serde_json::json!({
                    "company_id": created.tenant.id.to_string(),
                    "user_id": created.owner.id.to_string(),
                    "token": created.token_secret.expose(),
                    "name": created.tenant.name,
                    "email": created.owner.email,
                    "role": created.owner.role,
                    "default_tenant": default,
                }))?;
            } else {
                out.line(format_args!(
                    "company_id: {}\nuser_id:    {}\ntoken:      {}",
                    created.tenant.id,
                    created.owner.id,
                    created.token_secret.expose()
                ))?;
                eprintln!("The token is shown only now; keep it safe (`keyhall token create` issues another).");
                if default {
                    eprintln!(
                        "This company is the default tenant: the Barong API serves it, and {} signs in there as its {}.",
                        created.owner.email, created.owner.role
                    );
                }
            }
        }
        CompanyCommand::List { json } => {
            let companies = core.tenancy().companies().await.map_err(|e| anyhow::anyhow!("{}", describe_error(&e)))?;
            // A listing creates nothing: no default tenant is made here.
            let default = core.tenancy().recorded_default_tenant().await?;
            if companies.is_empty() {
                eprintln!("no companies yet (keyhall company create makes one)");
            }
            for (tenant, contact) in &companies {
                let email = contact.as_ref().map(|u| u.email.to_string());
                if *json {
                    out.line(serde_json::json!({
                        "company_id": tenant.id.to_string(),
                        "name": tenant.name,
                        "email": email,
                        "status": tenant.status.as_str(),
                        "created_at": keyhall_types::rfc3339(tenant.created_at),
                        "default_tenant": Some(tenant.id) == default,
                    }))?;
                } else {
                    out.line(format_args!(
                        "{}  {:<24}  {:<32}  {:<6}  {}{}",
                        tenant.id,
                        tenant.name,
                        email.as_deref().unwrap_or("(no primary contact)"),
                        tenant.status.as_str(),
                        keyhall_types::rfc3339(tenant.created_at),
                        if Some(tenant.id) == default { "  default" } else { "" }
                    ))?;
                }
            }
        }
    }
    Ok(())
}

pub async fn token(core: &Core, command: &TokenCommand, out: &mut Out) -> anyhow::Result<()> {
    let TokenCommand::Create { company, permissions, json } = command;
    let failed = |e: keyhall_core::DomainError| anyhow::anyhow!("{}", describe_error(&e));
    let tenant = TenantId::parse(company).ok_or_else(|| anyhow::anyhow!("{company:?} is not a company id"))?;
    let owner = core.tenancy().primary_contact(tenant).await.map_err(|e| match e.code {
        keyhall_core::ErrorCode::TenantNotFound => anyhow::anyhow!("no company {company}"),
        _ => failed(e),
    })?;
    let permissions: Vec<String> = if permissions.is_empty() {
        actions::all()
    } else {
        permissions.iter().map(|p| p.trim().to_string()).filter(|p| !p.is_empty()).collect()
    };
    let operator = core.auth().operator(tenant);
    let issued = core.auth().issue_token_to(&operator, owner.id, &permissions, actions::ALL).await.map_err(failed)?;
    if *json {
        out.line(serde_json::json!({
            "company_id": tenant.to_string(),
            "user_id": owner.id.to_string(),
            "token": issued.secret.expose(),
            "permissions": issued.token.permissions,
        }))?;
    } else {
        out.line(issued.secret.expose())?;
    }
    Ok(())
}

/// `keyhall backup FILE`: a consistent copy of the SQLite database while the server runs.
pub async fn backup(database_url: Option<&str>, data_dir: &Path, to: &Path, out: &mut Out) -> anyhow::Result<()> {
    keyhall_store::backup(database_url, data_dir, to).await?;
    out.line(format_args!("backed up {} to {}", keyhall_store::describe(database_url, data_dir), to.display()))?;
    eprintln!("Keep the master key (master.key, or KEYHALL_MASTER_KEY) apart from it: the sealed secrets need it.");
    Ok(())
}
