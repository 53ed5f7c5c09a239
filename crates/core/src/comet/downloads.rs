//! The catalogue of self-hosted server releases. It is a JSON document the operator can
//! replace (`--downloads-file`); a realistic default is built in. Version keys are an exact
//! `X.Y.Z`, `latest-voyager` (newest release on any channel) or `latest-quarterly` (newest
//! release on the quarterly channel). Pre-releases are listed but never "latest".

use serde::Deserialize;

use crate::error::{DomainError, ErrorCode, Result};

pub const DEFAULT_CATALOGUE: &str = include_str!("downloads.json");

pub const PLATFORM_IDS: &[&str] = &[
    "download_windows",
    "download_linux_deb",
    "download_linux_rpm",
    "download_linux_tar",
    "download_linux_arm64_deb",
    "download_linux_arm64_rpm",
    "download_linux_arm64_tar",
];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlatformBuild {
    pub platform_id: String,
    pub platform_name: String,
    pub platform_icon: String,
    pub filesize_bytes: u64,
    pub url: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CometVersion {
    pub version: String,
    pub numbers: (u32, u32, u32),
    pub shortstring: String,
    pub codename: String,
    pub quarterly: bool,
    pub platforms: Vec<PlatformBuild>,
    pub release_notes_url: String,
    pub release_date: String,
    pub is_prerelease: bool,
}

/// How far a version is behind the newest release (`COMET_VERSION_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outdated {
    Current = 1,
    BehindMajor = 2,
    BehindMinor = 3,
    BehindPatch = 4,
}

#[derive(Debug, Clone, Default)]
pub struct DownloadCatalogue {
    /// Newest first.
    versions: Vec<CometVersion>,
}

#[derive(Deserialize)]
struct FilePlatform {
    platform_id: String,
    platform_name: String,
    platform_icon: String,
}

#[derive(Deserialize)]
struct FileVersion {
    version: String,
    channel: String,
    #[serde(default)]
    codename: String,
    release_date: String,
    #[serde(default)]
    is_prerelease: bool,
    filesize_bytes: std::collections::BTreeMap<String, u64>,
}

#[derive(Deserialize)]
struct FileCatalogue {
    download_url: String,
    release_notes_url: String,
    platforms: Vec<FilePlatform>,
    versions: Vec<FileVersion>,
}

pub fn parse_version(text: &str) -> Option<(u32, u32, u32)> {
    let mut parts = text.trim().trim_start_matches('v').split('.');
    let n = |p: Option<&str>| {
        p.and_then(|s| if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) { None } else { s.parse().ok() })
    };
    let v = (n(parts.next())?, n(parts.next())?, n(parts.next())?);
    parts.next().is_none().then_some(v)
}

impl DownloadCatalogue {
    /// Reads a catalogue document; every version must be `X.Y.Z` and every size must name a
    /// known platform.
    pub fn from_json(text: &str) -> std::result::Result<Self, String> {
        let file: FileCatalogue = serde_json::from_str(text).map_err(|e| format!("downloads catalogue: {e}"))?;
        let mut versions = Vec::with_capacity(file.versions.len());
        for v in file.versions {
            let numbers = parse_version(&v.version).ok_or_else(|| format!("downloads catalogue: bad version {:?}", v.version))?;
            let quarterly = match v.channel.as_str() {
                "quarterly" => true,
                "voyager" => false,
                other => return Err(format!("downloads catalogue: unknown channel {other:?} for {}", v.version)),
            };
            let mut platforms = Vec::new();
            for (id, size) in &v.filesize_bytes {
                let p = file
                    .platforms
                    .iter()
                    .find(|p| &p.platform_id == id)
                    .ok_or_else(|| format!("downloads catalogue: unknown platform {id:?} in {}", v.version))?;
                platforms.push(PlatformBuild {
                    platform_id: p.platform_id.clone(),
                    platform_name: p.platform_name.clone(),
                    platform_icon: p.platform_icon.clone(),
                    filesize_bytes: *size,
                    url: file.download_url.replace("{version}", &v.version).replace("{platform}", id),
                });
            }
            platforms.sort_by_key(|p| PLATFORM_IDS.iter().position(|id| *id == p.platform_id).unwrap_or(usize::MAX));
            let channel_name = if quarterly { "Quarterly" } else { "Voyager" };
            versions.push(CometVersion {
                shortstring: format!("{}.{}.{} ({channel_name})", numbers.0, numbers.1, numbers.2),
                codename: if v.codename.is_empty() { channel_name.to_string() } else { v.codename },
                release_notes_url: file.release_notes_url.replace("{version}", &v.version),
                version: v.version,
                numbers,
                quarterly,
                platforms,
                release_date: v.release_date,
                is_prerelease: v.is_prerelease,
            });
        }
        versions.sort_by_key(|v| std::cmp::Reverse(v.numbers));
        versions.dedup_by(|a, b| a.numbers == b.numbers);
        Ok(Self { versions })
    }

    pub fn builtin() -> Self {
        Self::from_json(DEFAULT_CATALOGUE).expect("the built-in catalogue is valid")
    }

    pub fn versions(&self) -> &[CometVersion] {
        &self.versions
    }

    /// The newest release that is not a pre-release (on the quarterly channel if asked).
    pub fn latest(&self, quarterly_only: bool) -> Option<&CometVersion> {
        self.versions.iter().find(|v| !v.is_prerelease && (!quarterly_only || v.quarterly))
    }

    /// Resolves a version key; `field` names the parameter in errors.
    pub fn resolve(&self, field: &'static str, key: &str) -> Result<&CometVersion> {
        let not_found = || DomainError::new(ErrorCode::VersionNotFound).field(field);
        match key.trim() {
            "latest-voyager" => self.latest(false).ok_or_else(not_found),
            "latest-quarterly" => self.latest(true).ok_or_else(not_found),
            other => {
                let numbers = parse_version(other).ok_or_else(|| {
                    DomainError::invalid(field, "must be a version such as 24.12.3, latest-voyager or latest-quarterly")
                })?;
                self.versions.iter().find(|v| v.numbers == numbers).ok_or_else(not_found)
            }
        }
    }

    /// The build of `version` for `platform`.
    pub fn build<'a>(&'a self, version: &'a CometVersion, field: &'static str, platform: &str) -> Result<&'a PlatformBuild> {
        if !PLATFORM_IDS.contains(&platform) {
            return Err(DomainError::invalid(field, format!("must be one of: {}", PLATFORM_IDS.join(", "))));
        }
        version
            .platforms
            .iter()
            .find(|p| p.platform_id == platform)
            .ok_or_else(|| DomainError::new(ErrorCode::PlatformNotFound).field(field))
    }

    /// Case-insensitive substring search on version, codename and short string; newest first;
    /// `page` counts from 1.
    pub fn search(&self, query: Option<&str>, page: usize, page_size: usize) -> Vec<&CometVersion> {
        let q = query.map(|q| q.trim().to_lowercase()).filter(|q| !q.is_empty());
        self.versions
            .iter()
            .filter(|v| match &q {
                None => true,
                Some(q) => {
                    v.version.to_lowercase().contains(q)
                        || v.codename.to_lowercase().contains(q)
                        || v.shortstring.to_lowercase().contains(q)
                }
            })
            .skip(page.saturating_sub(1).saturating_mul(page_size))
            .take(page_size)
            .collect()
    }

    /// How far `server_version` is behind the newest release; `None` when it is unknown.
    pub fn outdated(&self, server_version: &str) -> Option<Outdated> {
        let have = parse_version(server_version)?;
        let latest = self.latest(false)?.numbers;
        Some(if have >= latest {
            Outdated::Current
        } else if have.0 < latest.0 {
            Outdated::BehindMajor
        } else if have.1 < latest.1 {
            Outdated::BehindMinor
        } else {
            Outdated::BehindPatch
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_catalogue() {
        let c = DownloadCatalogue::builtin();
        assert!(c.versions().len() >= 20);
        let voyager = c.latest(false).unwrap();
        let quarterly = c.latest(true).unwrap();
        assert!(!voyager.is_prerelease && voyager.numbers >= quarterly.numbers && quarterly.quarterly);
        assert_eq!(c.resolve("k", "latest-quarterly").unwrap().version, quarterly.version);
        assert!(c.resolve("k", "1.2.3").unwrap_err().is(ErrorCode::VersionNotFound));
        assert!(c.resolve("k", "latest").unwrap_err().is(ErrorCode::InvalidParameter));
        for v in c.versions() {
            assert_eq!(v.platforms.len(), 7, "{}", v.version);
        }
        let b = c.build(voyager, "platform", "download_linux_deb").unwrap();
        assert!(b.url.ends_with(&format!("/{}/download_linux_deb", voyager.version)));
        assert!(c.build(voyager, "platform", "download_macos").unwrap_err().is(ErrorCode::InvalidParameter));
    }

    #[test]
    fn search_and_paging() {
        let c = DownloadCatalogue::builtin();
        let all = c.search(None, 1, 500);
        assert_eq!(all.len(), c.versions().len());
        let page2 = c.search(None, 2, 5);
        assert_eq!(page2[0].version, all[5].version);
        assert!(c.search(Some("24.12"), 1, 50).iter().all(|v| v.version.starts_with("24.12")));
        assert!(!c.search(Some("QUARTERLY"), 1, 50).is_empty());
    }

    #[test]
    fn outdated_levels() {
        let c = DownloadCatalogue::builtin();
        let (ma, mi, pa) = c.latest(false).unwrap().numbers;
        assert_eq!(c.outdated(&format!("{ma}.{mi}.{pa}")), Some(Outdated::Current));
        assert_eq!(c.outdated(&format!("{}.{mi}.{pa}", ma - 1)), Some(Outdated::BehindMajor));
        assert_eq!(c.outdated(""), None);
        assert_eq!(parse_version("24.12.3"), Some((24, 12, 3)));
        assert_eq!(parse_version("24.12"), None);
        assert_eq!(parse_version("24.12.3.1"), None);
    }
}
