//! The command line: `keyhall serve`, `keyhall company create`, `keyhall openapi`.

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use keyhall_core::comet::actions;
use keyhall_core::credentials::PasswordPolicy;
use keyhall_core::tenancy::companies::NewCompany;
use tokio::net::TcpListener;

use crate::config::{Config, FileConfig, ServeArgs};

#[derive(Debug, Parser)]
#[command(name = "keyhall", version, about = "keyhall: a self-hosted identity and account platform", propagate_version = true)]
pub struct Cli {
    /// Directory for the SQLite database and the master key.
    #[arg(long, global = true, env = "KEYHALL_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// postgres://… to use PostgreSQL instead of SQLite in the data directory.
    #[arg(long, global = true, env = "KEYHALL_DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
    /// TOML configuration file (overridden by environment variables and flags).
    #[arg(long, global = true, env = "KEYHALL_CONFIG")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server.
    Serve(Box<ServeArgs>),
    /// Manage companies (tenants).
    Company {
        #[command(subcommand)]
        command: CompanyCommand,
    },
    /// Print the OpenAPI document of the Comet face.
    Openapi,
    /// Access restrictions and whitelist links of the Barong API's tenant.
    Barong {
        #[command(subcommand)]
        command: BarongCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum BarongCommand {
    /// Create a whitelist link: a visitor posting it to `identity/users/access` whitelists
    /// their address. Prints the token.
    Whitelink {
        /// How many days (or hours, with `--range hour`) the link stays valid: 1 to 30.
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=30))]
        expire_time: u16,
        #[arg(long, default_value = "day", value_parser = ["day", "hour"])]
        range: String,
    },
    /// Add a restriction authorize applies by client address.
    RestrictionAdd {
        /// whitelist, maintenance, blacklist or blocklogin
        #[arg(long)]
        category: String,
        /// all, ip or ip_subnet (country and continent are kept but never match)
        #[arg(long)]
        scope: String,
        #[arg(long)]
        value: String,
        /// The HTTP status refused requests get (default: Barong's for the scope).
        #[arg(long)]
        code: Option<i64>,
    },
    /// List the restrictions, one JSON object per line.
    RestrictionList,
    /// Remove a restriction by id.
    RestrictionRemove { id: String },
}

#[derive(Debug, Subcommand)]
pub enum CompanyCommand {
    /// Create a company, its primary contact and an API token holding every Token Action.
    Create {
        #[arg(long)]
        name: String,
        #[arg(long)]
        email: String,
        /// The primary contact's password. Prefer `--password-file`, or standard input (when
        /// neither is given): arguments are visible to other users of the machine.
        #[arg(long, env = "KEYHALL_COMPANY_PASSWORD", hide_env_values = true, conflicts_with = "password_file")]
        password: Option<String>,
        /// Read the password from this file (its first line).
        #[arg(long)]
        password_file: Option<PathBuf>,
        /// The primary contact's name (default: the part of the e-mail before the @).
        #[arg(long)]
        contact_name: Option<String>,
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
}

/// The first line of a password file or of standard input, without its line ending.
fn first_line(text: &str) -> String {
    text.lines().next().unwrap_or_default().to_string()
}

fn master_key_from_env() -> Option<String> {
    std::env::var("KEYHALL_MASTER_KEY").ok()
}

/// What `serve` would read from `KEYHALL_*` variables, for the commands that work on the same
/// data (the Barong tenant, the store, …) without taking serve's flags.
fn serve_settings_from_env() -> anyhow::Result<ServeArgs> {
    use clap::{Args, FromArgMatches};
    let matches = ServeArgs::augment_args(clap::Command::new("keyhall")).try_get_matches_from(["keyhall"])?;
    Ok(ServeArgs::from_arg_matches(&matches)?)
}

fn config_for(cli: &Cli, args: &ServeArgs) -> anyhow::Result<Config> {
    let file = match &cli.config {
        Some(path) => FileConfig::load(path)?,
        None => FileConfig::default(),
    };
    Ok(Config::resolve(file, cli.data_dir.clone(), cli.database_url.clone(), master_key_from_env(), args))
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match &cli.command {
        Command::Serve(args) => {
            let config = config_for(&cli, args)?;
            crate::telemetry::init_logging(config.server.log_format, &config.server.log_level);
            serve(config).await
        }
        Command::Company { command: CompanyCommand::Create { name, email, password, password_file, contact_name, json } } => {
            let password = match (password, password_file) {
                (Some(p), _) => p.clone(),
                (None, Some(path)) => first_line(
                    &std::fs::read_to_string(path).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?,
                ),
                (None, None) => {
                    let mut line = String::new();
                    std::io::stdin().read_line(&mut line).map_err(|e| anyhow::anyhow!("cannot read the password: {e}"))?;
                    first_line(&line)
                }
            };
            let config = config_for(&cli, &serve_settings_from_env()?)?;
            crate::telemetry::init_logging(config.server.log_format, "warn");
            let core = crate::app::build_core(&config).await?;
            let input = NewCompany {
                name: name.clone(),
                email: email.clone(),
                password,
                contact_name: contact_name.clone(),
                token_permissions: actions::ALL.iter().map(|a| a.to_string()).collect(),
            };
            let created = core
                .tenancy()
                .create_company(input, &PasswordPolicy::STANDARD)
                .await
                .map_err(|e| anyhow::anyhow!("cannot create the company: {}", describe_error(&e)))?;
            if *json {
                println!(
                    "{}",
                    serde_json::json!({
                        "company_id": created.tenant.id.to_string(),
                        "user_id": created.owner.id.to_string(),
                        "token": created.token_secret.expose(),
                        "name": created.tenant.name,
                        "email": created.owner.email,
                    })
                );
            } else {
                println!(
                    "company_id: {}\nuser_id:    {}\ntoken:      {}",
                    created.tenant.id,
                    created.owner.id,
                    created.token_secret.expose()
                );
                println!("The token is shown only now; keep it safe.");
            }
            Ok(())
        }
        Command::Barong { command } => {
            let config = config_for(&cli, &serve_settings_from_env()?)?;
            crate::telemetry::init_logging(config.server.log_format, "warn");
            let core = crate::app::build_core(&config).await?;
            let tenant = crate::app::barong_tenant(&core, &config).await?;
            barong_command(&core, tenant, command).await
        }
        Command::Openapi => {
            print!("{}", keyhall_face_comet::openapi::document_text());
            Ok(())
        }
    }
}

async fn barong_command(
    core: &keyhall_core::Core,
    tenant: keyhall_types::TenantId,
    command: &BarongCommand,
) -> anyhow::Result<()> {
    let caller = core.auth().operator(tenant);
    let failed = |e: keyhall_core::DomainError| anyhow::anyhow!("{}", describe_error(&e));
    match command {
        BarongCommand::Whitelink { expire_time, range } => {
            let unit = if range == "hour" { time::Duration::HOUR } else { time::Duration::DAY };
            let token = core.auth().create_whitelink(&caller, unit * i32::from(*expire_time)).await.map_err(failed)?;
            println!("{token}");
        }
        BarongCommand::RestrictionAdd { category, scope, value, code } => {
            let r = core.auth().add_restriction(&caller, category, scope, value, *code).await.map_err(failed)?;
            println!("{}", restriction_json(&r));
        }
        BarongCommand::RestrictionList => {
            for r in core.auth().restrictions(tenant).await.map_err(failed)?.iter() {
                println!("{}", restriction_json(r));
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

fn describe_error(e: &keyhall_core::DomainError) -> String {
    if !e.violations.is_empty() {
        return e.violations.iter().map(|v| format!("{}.{}", v.field, v.rule.name())).collect::<Vec<_>>().join(",");
    }
    match (&e.field, &e.detail) {
        (Some(f), Some(d)) => format!("{f} {d}"),
        (Some(f), None) => format!("{f}: {}", e.code),
        (None, Some(d)) if e.code != keyhall_core::ErrorCode::Internal => d.clone(),
        _ => e.code.to_string(),
    }
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let addr = config.listen_addr()?;
    let app = crate::app::build(&config).await?;
    let listener = TcpListener::bind(addr).await.map_err(|e| anyhow::anyhow!("cannot listen on {addr}: {e}"))?;
    let metrics = match config.metrics_addr()? {
        Some(a) => Some(TcpListener::bind(a).await.map_err(|e| anyhow::anyhow!("cannot listen on {a} for /metrics: {e}"))?),
        None => None,
    };
    tracing::info!(
        listen = %listener.local_addr()?,
        store = %keyhall_store::describe(config.database_url.as_deref(), &config.data_dir),
        version = env!("CARGO_PKG_VERSION"),
        "keyhall is serving"
    );
    if app.core.tenancy().is_empty().await? {
        tracing::info!(
            "no company exists yet; create the first one with: keyhall --data-dir {} company create --name \"Example Ltd\" --email admin@example.com --json (it reads the password from standard input, or from --password-file FILE)",
            config.data_dir.display()
        );
    }
    crate::app::serve(app, listener, metrics, shutdown_signal()).await?;
    tracing::info!("keyhall stopped");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down: finishing in-flight requests");
}
