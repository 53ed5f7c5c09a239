//! The master key that seals recoverable secrets: `KEYHALL_MASTER_KEY` when given, else the
//! file `master.key` in the data directory, created on first start with mode 0600.

use std::io::Write;
use std::path::Path;

use keyhall_crypto::seal::MasterKey;

pub const FILE_NAME: &str = "master.key";

pub fn load_or_create(data_dir: &Path, from_env: Option<&str>) -> anyhow::Result<MasterKey> {
    if let Some(text) = from_env {
        return MasterKey::from_text(text).map_err(|e| anyhow::anyhow!("KEYHALL_MASTER_KEY: {e}"));
    }
    let path = data_dir.join(FILE_NAME);
    match std::fs::read_to_string(&path) {
        Ok(text) => MasterKey::from_text(&text).map_err(|e| anyhow::anyhow!("the master key {}: {e}", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            std::fs::create_dir_all(data_dir)
                .map_err(|e| anyhow::anyhow!("cannot create the data directory {}: {e}", data_dir.display()))?;
            let (key, text) = MasterKey::generate();
            match write_private(&path, format!("{text}\n").as_bytes()) {
                Ok(()) => {
                    tracing::info!(path = %path.display(), "created a new master key; back it up with the database");
                    Ok(key)
                }
                // Another process (e.g. `company create` racing `serve`) created it first.
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => load_or_create(data_dir, None),
                Err(e) => Err(anyhow::anyhow!("cannot create the master key {}: {e}", path.display())),
            }
        }
        Err(e) => Err(anyhow::anyhow!("cannot read the master key {}: {e}", path.display())),
    }
}

/// Writes `content` to a new file (an existing one is an error) readable by its owner only,
/// and syncs it.
pub fn write_private(path: &Path, content: &[u8]) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(content)?;
    file.sync_all()
}
