//! The software administrators download from the console (`/downloadables/…`): a catalogue of
//! artifacts by software, operating system and version, each a file on the server. keyhall's
//! own catalogue offers keyhall itself as the `radius` software (its RADIUS server is built
//! in); an operator replaces the catalogue with a JSON file of their own builds (the broker
//! agent, other platforms).

use std::path::PathBuf;

use serde::Deserialize;

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Artifact {
    pub software: String,
    pub os: String,
    /// Dotted numbers (`1.4.2`): what "latest" is decided by.
    pub version: String,
    #[serde(default)]
    pub display_version: String,
    /// The file served; the operator's catalogue names it, relative paths from the catalogue's
    /// own directory.
    pub file: PathBuf,
    /// The name the download is saved under (the file's own name when absent).
    #[serde(default)]
    pub file_name: Option<String>,
}

impl Artifact {
    pub fn download_name(&self) -> String {
        self.file_name.clone().unwrap_or_else(|| {
            self.file.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_else(|| self.software.clone())
        })
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Downloadables {
    artifacts: Vec<Artifact>,
}

fn version_key(version: &str) -> Vec<u64> {
    version.split(['.', '-', '+']).map(|p| p.parse().unwrap_or(0)).collect()
}

impl Downloadables {
    /// keyhall's catalogue: the running binary, as the RADIUS software of this platform.
    pub fn builtin(executable: Option<PathBuf>) -> Self {
        let version = env!("CARGO_PKG_VERSION");
        let artifacts = executable
            .map(|file| Artifact {
                software: "radius".into(),
                os: std::env::consts::OS.into(),
                version: version.into(),
                display_version: format!("keyhall {version} (RADIUS server built in)"),
                file,
                file_name: Some(format!("keyhall-{version}-{}-{}", std::env::consts::OS, std::env::consts::ARCH)),
            })
            .into_iter()
            .collect();
        Self { artifacts }
    }

    /// An operator's catalogue: `{"artifacts": [{software, os, version, displayVersion, file, fileName}]}`;
    /// relative `file`s are taken from `base`.
    pub fn from_json(text: &str, base: &std::path::Path) -> Result<Self, String> {
        #[derive(Deserialize)]
        struct File {
            artifacts: Vec<Artifact>,
        }
        let mut parsed: File = serde_json::from_str(text).map_err(|e| format!("not a downloads catalogue: {e}"))?;
        for a in &mut parsed.artifacts {
            if a.software.trim().is_empty() || a.os.trim().is_empty() || version_key(&a.version).iter().all(|n| *n == 0) {
                return Err(format!("an artifact needs software, os and a version such as 1.2.3 (got {a:?})"));
            }
            if a.file.is_relative() {
                a.file = base.join(&a.file);
            }
            if a.display_version.is_empty() {
                a.display_version = a.version.clone();
            }
        }
        Ok(Self { artifacts: parsed.artifacts })
    }

    /// The artifacts of `software` for `os` (any when empty), only the newest of each when
    /// `latest`.
    pub fn versions(&self, software: &[String], os: &[String], latest: bool) -> Vec<&Artifact> {
        let mut found: Vec<&Artifact> = self
            .artifacts
            .iter()
            .filter(|a| software.is_empty() || software.iter().any(|s| s.eq_ignore_ascii_case(&a.software)))
            .filter(|a| os.is_empty() || os.iter().any(|o| o.eq_ignore_ascii_case(&a.os)))
            .collect();
        found.sort_by(|a, b| (&a.software, &a.os, version_key(&b.version)).cmp(&(&b.software, &b.os, version_key(&a.version))));
        if latest {
            found.dedup_by(|b, a| a.software == b.software && a.os == b.os);
        }
        found
    }

    /// The artifact of `software` for `os` at `version` (`latest` or none: the newest).
    pub fn artifact(&self, software: &str, os: &str, version: Option<&str>) -> Option<&Artifact> {
        let candidates = self.versions(&[software.to_string()], &[os.to_string()], false);
        match version.filter(|v| !v.eq_ignore_ascii_case("latest")) {
            Some(v) => candidates.into_iter().find(|a| a.version == v),
            None => candidates.into_iter().next(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_newest_is_latest_and_relative_files_are_the_catalogues() {
        let text = r#"{"artifacts": [
            {"software": "broker", "os": "windows", "version": "1.9.0", "file": "broker-1.9.0.msi"},
            {"software": "broker", "os": "windows", "version": "1.10.0", "file": "/srv/broker-1.10.0.msi", "displayVersion": "1.10"},
            {"software": "broker", "os": "linux", "version": "1.8.1", "file": "broker.tar.gz"}]}"#;
        let d = Downloadables::from_json(text, std::path::Path::new("/etc/keyhall")).unwrap();
        let latest = d.versions(&["broker".into()], &["windows".into()], true);
        assert_eq!(latest.iter().map(|a| a.version.as_str()).collect::<Vec<_>>(), ["1.10.0"]);
        assert_eq!(d.versions(&["broker".into()], &[], false).len(), 3);
        assert_eq!(d.artifact("broker", "windows", Some("1.9.0")).unwrap().file, PathBuf::from("/etc/keyhall/broker-1.9.0.msi"));
        assert_eq!(d.artifact("broker", "windows", Some("latest")).unwrap().version, "1.10.0");
        assert!(d.artifact("broker", "macos", None).is_none());
        assert!(
            Downloadables::from_json(
                r#"{"artifacts": [{"software": "x", "os": "y", "version": "", "file": "f"}]}"#,
                std::path::Path::new("/")
            )
            .is_err()
        );
        let own = Downloadables::builtin(Some(PathBuf::from("/usr/bin/keyhall")));
        assert_eq!(own.artifact("radius", std::env::consts::OS, None).unwrap().file, PathBuf::from("/usr/bin/keyhall"));
    }
}
