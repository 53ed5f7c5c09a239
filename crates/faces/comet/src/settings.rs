//! The Comet face's section of the configuration (`[comet]` in the file), with the settings
//! of its domain in the core (hosted instances, CloudView, the downloads catalogue).

keyhall_settings::section! {
    /// The Comet face: `[comet]` in the configuration file.
    pub struct CometSettings, layer CometLayer {
        /// Serve the Comet routes announced for removal after 2025-06 (true/false); when off
        /// they answer 410 "Endpoint removed".
        legacy_routes: bool = true, "comet-legacy-routes", "KEYHALL_COMET_LEGACY_ROUTES";
        /// Seconds a hosted instance or CloudView takes to provision.
        provision_seconds: u64 = 30, "provision-seconds", "KEYHALL_PROVISION_SECONDS";
        /// Seconds a hosted instance takes to be deleted.
        delete_seconds: u64 = 30, "delete-seconds", "KEYHALL_DELETE_SECONDS";
        /// Domain under which hosted instances get their host names.
        hosted_domain: String = "hosted.keyhall.example".into(), "hosted-domain", "KEYHALL_HOSTED_DOMAIN";
        /// Base URL of the CloudView portal.
        cloudview_url: String = "https://cloudview.keyhall.example".into(), "cloudview-url", "KEYHALL_CLOUDVIEW_URL";
        /// JSON catalogue of self-hosted releases, replacing the built-in one. Unset: the built-in
        /// catalogue.
        downloads_file: std::path::PathBuf, "downloads-file", "KEYHALL_DOWNLOADS_FILE";
    }
}
