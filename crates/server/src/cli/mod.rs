//! The command line: `keyhall serve`, `company create|list`, `token create`, `barong …`, `adminx init`,
//! `backup` and `openapi`.

mod accounts;
mod adminx;
mod barong;

use std::io::Write;
use std::path::PathBuf;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use tokio::net::TcpListener;

use crate::config::{Config, FileConfig, ServeArgs};
pub use accounts::{CompanyCommand, TokenCommand};
pub use adminx::AdminxCommand;
pub use barong::BarongCommand;

#[derive(Debug, Parser)]
#[command(name = "keyhall", version, about = "keyhall: a self-hosted identity and account platform", propagate_version = true)]
pub struct Cli {
    /// Directory for the SQLite database and the master key [default: ./keyhall-data].
    #[arg(long, global = true, env = "KEYHALL_DATA_DIR", hide_env_values = true)]
    pub data_dir: Option<PathBuf>,
    /// postgres://… to use PostgreSQL instead of SQLite in the data directory [default: none].
    #[arg(long, global = true, env = "KEYHALL_DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
    /// TOML configuration file (overridden by environment variables and flags) [default: none].
    #[arg(long, global = true, env = "KEYHALL_CONFIG", hide_env_values = true)]
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
    /// Issue API tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Access restrictions and whitelist links of the Barong API's tenant.
    Barong {
        #[command(subcommand)]
        command: BarongCommand,
    },
    /// 1Kosmos communities.
    Adminx {
        #[command(subcommand)]
        command: AdminxCommand,
    },
    /// Copy the SQLite database to FILE, consistently, while the server runs (with PostgreSQL,
    /// use pg_dump).
    Backup {
        /// The copy to write (must not exist yet); it is created readable by its owner only.
        file: PathBuf,
    },
    /// Print the OpenAPI document of the Comet face.
    Openapi,
}

/// The command line with each setting's default shown in `serve --help`.
pub fn command() -> clap::Command {
    let defaults = crate::config::defaults_for_help();
    Cli::command().mut_subcommand("serve", |serve| {
        let ids: Vec<(clap::Id, String)> = serve
            .get_arguments()
            .filter_map(|a| {
                let flag = a.get_long()?;
                defaults.iter().find(|(f, _)| *f == flag).map(|(_, d)| (a.get_id().clone(), d.clone()))
            })
            .collect();
        ids.into_iter().fold(serve, |serve, (id, default)| {
            serve.mut_arg(id, |arg| {
                let help = arg.get_help().map(|h| h.to_string()).unwrap_or_default();
                arg.help(format!("{help} [default: {default}]"))
            })
        })
    })
}

/// Parses the process's arguments (exits with clap's message on a mistake, or with the help).
pub fn parse() -> Cli {
    let matches = command().get_matches();
    Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit())
}

/// Standard output, line by line. A reader that goes away (`keyhall openapi | head`) ends the
/// command quietly: `main` treats the broken pipe as success.
pub struct Out {
    stdout: std::io::Stdout,
}

impl Out {
    pub fn new() -> Self {
        Self { stdout: std::io::stdout() }
    }

    pub fn line(&mut self, text: impl std::fmt::Display) -> std::io::Result<()> {
        let mut lock = self.stdout.lock();
        writeln!(lock, "{text}")?;
        lock.flush()
    }

    fn text(&mut self, text: &str) -> std::io::Result<()> {
        let mut lock = self.stdout.lock();
        lock.write_all(text.as_bytes())?;
        lock.flush()
    }
}

impl Default for Out {
    fn default() -> Self {
        Self::new()
    }
}

/// Whether the error is standard output's reader having gone away.
pub fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| c.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe))
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
    let mut out = Out::new();
    match &cli.command {
        Command::Serve(args) => {
            let config = config_for(&cli, args)?;
            crate::telemetry::init_logging(config.server.log_format, &config.server.log_level);
            serve(config).await
        }
        Command::Company { command } => {
            let core = command_core(&cli).await?;
            accounts::company(&core, command, &mut out).await
        }
        Command::Token { command } => {
            let core = command_core(&cli).await?;
            accounts::token(&core, command, &mut out).await
        }
        Command::Barong { command } => {
            let config = command_config(&cli)?;
            let core = crate::app::build_core(&config).await?;
            let tenant = crate::app::barong_tenant(&core, &config).await?;
            barong::run(&core, tenant, command, &mut out).await
        }
        Command::Adminx { command } => {
            let config = command_config(&cli)?;
            let curve = config.adminx.face_config(&config.server.public_url).map_err(|e| anyhow::anyhow!(e))?.curve;
            let core = crate::app::build_core(&config).await?;
            adminx::run(&core, curve, command, &mut out).await
        }
        Command::Backup { file } => {
            let config = command_config(&cli)?;
            accounts::backup(config.database_url.as_deref(), &config.data_dir, file, &mut out).await
        }
        Command::Openapi => Ok(out.text(&keyhall_face_comet::openapi::document_text())?),
    }
}

/// The configuration of a command that works on the same data as `serve` (its settings from
/// the `KEYHALL_*` variables and the file), with logging set to warnings only.
fn command_config(cli: &Cli) -> anyhow::Result<Config> {
    let config = config_for(cli, &serve_settings_from_env()?)?;
    crate::telemetry::init_logging(config.server.log_format, "warn");
    Ok(config)
}

/// The core for such a command.
async fn command_core(cli: &Cli) -> anyhow::Result<std::sync::Arc<keyhall_core::Core>> {
    crate::app::build_core(&command_config(cli)?).await
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
    // The addresses first: a second server on a busy port fails before it creates anything.
    let addr = config.listen_addr().await?;
    let listener = TcpListener::bind(addr).await.map_err(|e| anyhow::anyhow!("cannot listen on {addr}: {e}"))?;
    let metrics = match config.metrics_addr().await? {
        Some(a) => Some(TcpListener::bind(a).await.map_err(|e| anyhow::anyhow!("cannot listen on {a} for /metrics: {e}"))?),
        None => None,
    };
    let radius = match config.radius_addr().await? {
        Some(a) => {
            Some(tokio::net::UdpSocket::bind(a).await.map_err(|e| anyhow::anyhow!("cannot listen on {a} for RADIUS: {e}"))?)
        }
        None => None,
    };
    let app = crate::app::build(&config).await?;
    if let Some(socket) = &radius {
        tracing::info!(radius = %socket.local_addr()?, "the RADIUS server is on");
    }
    tracing::info!(
        listen = %listener.local_addr()?,
        store = %keyhall_store::describe(config.database_url.as_deref(), &config.data_dir),
        version = env!("CARGO_PKG_VERSION"),
        "keyhall is serving"
    );
    if app.core.tenancy().is_empty().await? {
        tracing::info!(
            "no company exists yet; create the first one with: {} company create --name \"Example Ltd\" --email admin@example.com --json (it asks for the password, or reads it from standard input or --password-file FILE)",
            same_data_command(&config)
        );
    }
    crate::app::serve(app, listener, metrics, radius, shutdown_signal()).await?;
    tracing::info!("keyhall stopped");
    Ok(())
}

/// How to run a command on the data this server uses: this program as it was started, with
/// the store's location (a database URL without its password).
fn same_data_command(config: &Config) -> String {
    let program = std::env::args().next().unwrap_or_else(|| "keyhall".into());
    match &config.database_url {
        Some(url) => format!("{program} --database-url '{}'", keyhall_store::redact(url)),
        None => format!("{program} --data-dir {}", config.data_dir.display()),
    }
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
