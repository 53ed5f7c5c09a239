//! The configuration, read once at start-up. Each part of keyhall owns its section, declared
//! next to its code with every key written once (name, type, default, flag, variable): the
//! server's own settings below (top-level keys of the file), the Comet face's `[comet]` and
//! the Barong face's `[barong]`. Layering happens once, in `Config::resolve`: built-in
//! defaults, then the TOML file (`--config` / `KEYHALL_CONFIG`), then `KEYHALL_*` variables,
//! then flags.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use keyhall_face_adminx::{AdminxLayer, AdminxSettings};
use keyhall_face_barong::{BarongLayer, BarongSettings};
use keyhall_face_comet::{CometLayer, CometSettings};
use serde::Deserialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

impl keyhall_settings::Setting for LogFormat {
    fn shown(&self) -> String {
        match self {
            LogFormat::Text => "text".into(),
            LogFormat::Json => "json".into(),
        }
    }
}

keyhall_settings::section! {
    /// The server and the identity core: the top-level keys of the configuration file.
    pub struct ServerSettings, layer ServerLayer {
        /// Address to listen on (host:port).
        listen: String = "127.0.0.1:8080".into(), "listen", "KEYHALL_LISTEN";
        /// Serve `/metrics` on this address (host:port) instead of the API's, so that it can be
        /// kept off the network clients reach. Unset: `/metrics` is on the API's address.
        metrics_listen: String, "metrics-listen", "KEYHALL_METRICS_LISTEN";
        /// Log lines as text or JSON.
        log_format: LogFormat = LogFormat::Text, "log-format", "KEYHALL_LOG_FORMAT";
        /// Log filter, e.g. `info` or `keyhall=debug,info`.
        log_level: String = "info".into(), "log-level", "KEYHALL_LOG_LEVEL";
        /// The URL users reach keyhall at (WebAuthn relying party; https makes cookies Secure).
        public_url: String = "http://localhost:8080".into(), "public-url", "KEYHALL_PUBLIC_URL";
        /// Mail server, e.g. smtp://127.0.0.1:2525 or smtps://user:pass@mail.example.com; or,
        /// for development only, file:///dir to write each message to a file there. Unset:
        /// mail is logged (without its tokens), not sent.
        smtp_url: String, "smtp-url", "KEYHALL_SMTP_URL";
        /// Sender address of keyhall's mail.
        mail_from: String = "keyhall <no-reply@keyhall.localhost>".into(), "mail-from", "KEYHALL_MAIL_FROM";
        /// SMS gateway: verification texts are POSTed here as JSON {to, body, channel}; or,
        /// for development only, file:///dir to write each text to a file there. Unset: texts
        /// are logged (number masked, no code), not sent.
        sms_webhook_url: String, "sms-webhook-url", "KEYHALL_SMS_WEBHOOK_URL";
        /// Take the client address from X-Forwarded-For (only behind a trusted proxy).
        trust_forwarded_for: bool = false, "trust-forwarded-for", "KEYHALL_TRUST_FORWARDED_FOR";
        /// How long (ms) a verified API token is trusted before the store is asked again.
        token_cache_ms: u64 = 2000, "token-cache-ms", "KEYHALL_TOKEN_CACHE_MS";
        /// How long (ms) a cached per-company list or community configuration document may be
        /// served; writes on this node refresh it at once, writes by other nodes show after at
        /// most this long.
        read_cache_ms: u64 = 1000, "read-cache-ms", "KEYHALL_READ_CACHE_MS";
        /// Password hashes (argon2id, 19 MiB each) computed at once. Unset: one per CPU.
        password_hash_concurrency: usize, "password-hash-concurrency", "KEYHALL_PASSWORD_HASH_CONCURRENCY";
        /// Password hashes that may wait for a hashing thread (more are answered 503 with
        /// Retry-After). Unset: 100 per hashing thread (about two seconds of work).
        password_hash_queue: usize, "password-hash-queue", "KEYHALL_PASSWORD_HASH_QUEUE";
        /// Algorithm of the token-signing key: RS256 or ES256.
        jwt_algorithm: String = "RS256".into(), "jwt-algorithm", "KEYHALL_JWT_ALGORITHM";
        /// Seconds a session lives without activity.
        session_expire_seconds: u64 = 1800, "session-expire-seconds", "KEYHALL_SESSION_EXPIRE_SECONDS";
        /// Seconds a session lives at most, however active (then its user signs in again).
        session_max_seconds: u64 = 43200, "session-max-seconds", "KEYHALL_SESSION_MAX_SECONDS";
        /// Failed sign-ins per account (within the window) before it is locked.
        login_max_failures: i64 = 5, "login-max-failures", "KEYHALL_LOGIN_MAX_FAILURES";
        /// The window, in seconds, failed sign-ins are counted in (and the first lock's length).
        login_window_seconds: u64 = 900, "login-window-seconds", "KEYHALL_LOGIN_WINDOW_SECONDS";
        /// Seconds a request may take before it is answered 503.
        request_timeout_seconds: u64 = 30, "request-timeout-seconds", "KEYHALL_REQUEST_TIMEOUT_SECONDS";
        /// Largest request body, in bytes (uploads may be larger: see the Barong section).
        body_limit_bytes: usize = 1024 * 1024, "body-limit-bytes", "KEYHALL_BODY_LIMIT_BYTES";
    }
}

/// Everything `keyhall serve` needs.
#[derive(Debug, Clone)]
pub struct Config {
    pub data_dir: PathBuf,
    pub database_url: Option<String>,
    pub master_key: Option<String>,
    pub server: ServerSettings,
    pub comet: CometSettings,
    pub barong: BarongSettings,
    pub adminx: AdminxSettings,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from(DEFAULT_DATA_DIR),
            database_url: None,
            master_key: None,
            server: ServerSettings::default(),
            comet: CometSettings::default(),
            barong: BarongSettings::default(),
            adminx: AdminxSettings::default(),
        }
    }
}

const DEFAULT_DATA_DIR: &str = "./keyhall-data";

/// The TOML file: the server's keys at the top level (with `data_dir` and `database_url`),
/// each face's in its own table. Unknown keys and tables are refused.
#[derive(Debug, Default)]
pub struct FileConfig {
    pub data_dir: Option<PathBuf>,
    pub database_url: Option<String>,
    pub server: ServerLayer,
    pub comet: CometLayer,
    pub barong: BarongLayer,
    pub adminx: AdminxLayer,
}

/// The keys of the file that are not the server section's: where the data is.
#[derive(Debug, Default, Deserialize)]
struct Storage {
    data_dir: Option<PathBuf>,
    database_url: Option<String>,
}

impl FileConfig {
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
        Self::parse(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
    }

    pub fn parse(text: &str) -> anyhow::Result<Self> {
        let mut top: toml::Table = toml::from_str(text)?;
        fn take<T: serde::de::DeserializeOwned + Default>(top: &mut toml::Table, key: &str) -> anyhow::Result<T> {
            match top.remove(key) {
                Some(value) => value.try_into().map_err(|e| anyhow::anyhow!("[{key}]: {e}")),
                None => Ok(T::default()),
            }
        }
        let comet = take(&mut top, "comet")?;
        let barong = take(&mut top, "barong")?;
        let adminx = take(&mut top, "adminx")?;
        let mut storage = toml::Table::new();
        for key in ["data_dir", "database_url"] {
            if let Some(v) = top.remove(key) {
                storage.insert(key.into(), v);
            }
        }
        let Storage { data_dir, database_url } = toml::Value::Table(storage).try_into()?;
        let server = toml::Value::Table(top).try_into()?;
        Ok(Self { data_dir, database_url, server, comet, barong, adminx })
    }
}

/// The flags and variables of `serve`, section by section (each `None` when not given).
#[derive(Debug, Default, Clone, clap::Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub server: ServerLayer,
    #[command(flatten)]
    pub comet: CometLayer,
    #[command(flatten)]
    pub barong: BarongLayer,
    #[command(flatten)]
    pub adminx: AdminxLayer,
}

impl Config {
    /// Layers the flags and variables over the file over the defaults.
    pub fn resolve(
        file: FileConfig,
        data_dir: Option<PathBuf>,
        database_url: Option<String>,
        master_key: Option<String>,
        args: &ServeArgs,
    ) -> Self {
        let args = args.clone();
        Config {
            data_dir: data_dir.or(file.data_dir).unwrap_or_else(|| PathBuf::from(DEFAULT_DATA_DIR)),
            database_url: database_url.or(file.database_url).filter(|u| !u.trim().is_empty()),
            master_key: master_key.filter(|k| !k.trim().is_empty()),
            server: args.server.over(file.server).resolve(),
            comet: args.comet.over(file.comet).resolve(),
            barong: args.barong.over(file.barong).resolve(),
            adminx: args.adminx.over(file.adminx).resolve(),
        }
    }

    /// The separate address of `/metrics`, if one is set.
    pub async fn metrics_addr(&self) -> anyhow::Result<Option<SocketAddr>> {
        match &self.server.metrics_listen {
            Some(l) => Ok(Some(resolve("metrics listen address", l).await?)),
            None => Ok(None),
        }
    }

    /// Where the RADIUS server listens (UDP), when it is on.
    pub async fn radius_addr(&self) -> anyhow::Result<Option<SocketAddr>> {
        match &self.adminx.radius_listen {
            Some(l) => Ok(Some(resolve("RADIUS listen address", l).await?)),
            None => Ok(None),
        }
    }

    /// The address to listen on: `host:port`, where the host may be a name (`localhost`).
    pub async fn listen_addr(&self) -> anyhow::Result<SocketAddr> {
        resolve("listen address", &self.server.listen).await
    }
}

/// `host:port` as a socket address, looking the host name up when it is one (the first
/// address it has).
async fn resolve(what: &str, text: &str) -> anyhow::Result<SocketAddr> {
    if let Ok(addr) = text.parse() {
        return Ok(addr);
    }
    let expected = "expected host:port, e.g. 127.0.0.1:8080, [::1]:8080 or localhost:8080";
    if text.rsplit_once(':').is_none_or(|(host, port)| host.is_empty() || port.parse::<u16>().is_err()) {
        anyhow::bail!("invalid {what} {text:?}: {expected}");
    }
    let found = tokio::net::lookup_host(text).await.map_err(|e| anyhow::anyhow!("invalid {what} {text:?}: {e}"))?;
    let mut found: Vec<SocketAddr> = found.collect();
    // Prefer IPv4 for names such as localhost that have both: it is what clients try first
    // with `http://localhost:…` on most systems, and the loopback every tool reaches.
    found.sort_by_key(|a| !a.is_ipv4());
    found.into_iter().next().ok_or_else(|| anyhow::anyhow!("invalid {what} {text:?}: the name has no address"))
}

/// Each `serve` flag that has a default, with the default as `--help` shows it.
pub fn defaults_for_help() -> Vec<(&'static str, String)> {
    let mut all = ServerLayer::defaults_for_help();
    all.extend(CometLayer::defaults_for_help());
    all.extend(BarongLayer::defaults_for_help());
    all.extend(AdminxLayer::defaults_for_help());
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_and_env_override_the_file_which_overrides_defaults() {
        let file = FileConfig::parse(
            "listen = \"0.0.0.0:9000\"\nlog_format = \"json\"\ndata_dir = \"/srv/kh\"\n\
             [comet]\nprovision_seconds = 7\nhosted_domain = \"file.example\"\n[barong]\ncsrf = false\n",
        )
        .unwrap();
        let mut args = ServeArgs::default();
        args.server.listen = Some("127.0.0.1:1234".into());
        let c = Config::resolve(file, None, None, None, &args);
        assert_eq!(c.server.listen, "127.0.0.1:1234", "flag beats file");
        assert_eq!(c.server.log_format, LogFormat::Json, "file beats default");
        assert_eq!(c.comet.provision_seconds, 7);
        assert_eq!(c.comet.hosted_domain, "file.example");
        assert!(!c.barong.csrf);
        assert_eq!(c.data_dir, PathBuf::from("/srv/kh"));
        assert_eq!(c.server.log_level, "info", "default");
        assert!(FileConfig::parse("no_such_key = 1").is_err(), "unknown keys are refused");
        assert!(FileConfig::parse("[barong]\nno_such_key = 1").is_err(), "in sections too");
        assert!(FileConfig::parse("[nothing]\na = 1").is_err(), "and unknown sections");
    }

    /// The variables and flags the README's settings table names are all read by `serve`.
    #[test]
    fn the_readme_names_only_settings_that_exist() {
        use clap::CommandFactory;
        let table = readme_settings_table();
        let command = crate::cli::Cli::command();
        let serve = command.find_subcommand("serve").expect("serve");
        let company = command.find_subcommand("company").and_then(|c| c.find_subcommand("create")).expect("company create");
        let init = command.find_subcommand("adminx").and_then(|c| c.find_subcommand("init")).expect("adminx init");
        let args: Vec<&clap::Arg> = command
            .get_arguments()
            .chain(serve.get_arguments())
            .chain(company.get_arguments())
            .chain(init.get_arguments())
            .collect();
        let mut named = 0;
        for word in table.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-')) {
            if let Some(var) = word.strip_prefix("KEYHALL_") {
                let known = var == "MASTER_KEY"
                    || args.iter().any(|a| a.get_env().is_some_and(|e| e.to_string_lossy() == format!("KEYHALL_{var}")));
                assert!(known, "KEYHALL_{var} is in the README but not read");
                named += 1;
            } else if let Some(flag) = word.strip_prefix("--").filter(|f| f.starts_with(|c: char| c.is_ascii_lowercase())) {
                assert!(args.iter().any(|a| a.get_long() == Some(flag)), "--{flag} is in the README but not a flag");
                named += 1;
            }
        }
        assert!(named > 40, "the table names {named} settings");
        // And the README's example file is one keyhall reads.
        let readme = include_str!("../../../README.md");
        let example = &readme[readme.find("```toml\n").expect("an example file") + 8..];
        let example = example[..example.find("```").expect("its end")].replace('…', "x");
        let file = FileConfig::parse(&example).expect("the example parses");
        assert_eq!(file.comet.provision_seconds, Some(60));
        assert_eq!(file.barong.csrf, Some(true));
    }

    /// The README's table of settings.
    fn readme_settings_table() -> &'static str {
        let readme = include_str!("../../../README.md");
        let table = &readme[readme.find("| setting | flag / variable | default |").expect("the settings table")..];
        &table[..table.find("\n\n").unwrap_or(table.len())]
    }

    /// `serve --help` describes every flag and shows the default of each that has one; the
    /// README's settings table names every flag of `serve`.
    #[test]
    fn every_flag_is_described_with_its_default_and_in_the_readme() {
        use clap::CommandFactory;
        let (command, plain) = (crate::cli::command(), crate::cli::Cli::command());
        let serve = command.find_subcommand("serve").expect("serve");
        let plain_serve = plain.find_subcommand("serve").expect("serve");
        let defaults = defaults_for_help();
        assert!(defaults.len() > 25, "{defaults:?}");
        let table = readme_settings_table();
        let help_of = |command: &clap::Command, flag: &str| {
            let arg = command.get_arguments().find(|a| a.get_long() == Some(flag)).expect("the flag");
            arg.get_help().map(|h| h.to_string()).unwrap_or_default()
        };
        for arg in serve.get_arguments().filter(|a| a.get_long().is_some_and(|l| l != "help")) {
            let flag = arg.get_long().unwrap();
            if matches!(flag, "data-dir" | "database-url" | "config") {
                continue; // the global options, shown in the usage line above the table
            }
            // The description as declared, before `--help` adds the default to it.
            let description = help_of(plain_serve, flag);
            assert!(description.len() > 10, "--{flag} has no description");
            let help = help_of(serve, flag);
            match defaults.iter().find(|(f, _)| *f == flag) {
                Some((_, default)) => assert_eq!(help, format!("{description} [default: {default}]"), "--{flag}"),
                None => assert_eq!(help, description, "--{flag}"),
            }
            let env = arg.get_env().map(|e| e.to_string_lossy().into_owned());
            let named = |name: &str| table.contains(&format!("`{name}`")) || table.contains(&format!("`{name} "));
            assert!(named(&format!("--{flag}")), "--{flag} is not in the README's settings table");
            assert!(env.as_deref().is_some_and(named), "{env:?} (--{flag}) is not in the README's settings table");
        }
        let listen = serve.get_arguments().find(|a| a.get_long() == Some("listen")).unwrap();
        assert!(listen.get_help().unwrap().to_string().ends_with("[default: 127.0.0.1:8080]"));
    }

    #[test]
    fn every_documented_variable_still_sets_its_setting() {
        use clap::{Args, FromArgMatches};
        let vars = [
            ("KEYHALL_BARONG_TENANT", "t"),
            ("KEYHALL_UPLOAD_MAX_MB", "3"),
            ("KEYHALL_COMET_LEGACY_ROUTES", "false"),
            ("KEYHALL_SESSION_EXPIRE_SECONDS", "60"),
        ];
        let command = ServeArgs::augment_args(clap::Command::new("keyhall"));
        let names: Vec<String> =
            command.get_arguments().filter_map(|a| a.get_env().map(|e| e.to_string_lossy().into_owned())).collect();
        for (var, _) in vars {
            assert!(names.iter().any(|n| n == var), "{var} is read");
        }
        let matches = command
            .try_get_matches_from([
                "keyhall",
                "--barong-tenant",
                "t",
                "--upload-max-mb",
                "3",
                "--comet-legacy-routes",
                "false",
                "--session-expire-seconds",
                "60",
            ])
            .unwrap();
        let args = ServeArgs::from_arg_matches(&matches).unwrap();
        let c = Config::resolve(FileConfig::default(), None, None, None, &args);
        assert_eq!(c.barong.tenant.as_deref(), Some("t"));
        assert_eq!(c.barong.upload_max_mb, 3);
        assert!(!c.comet.legacy_routes);
        assert_eq!(c.server.session_expire_seconds, 60);
    }
}
