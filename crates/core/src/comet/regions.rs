//! Commercial regions: where a company's licenses are billed and which hosting region it
//! gets by default. Derived from the company's country.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Region {
    pub code: &'static str,
    pub name: &'static str,
    pub default_hosted_region: &'static str,
    pub default_cspbw_region: &'static str,
}

pub const REGIONS: &[Region] = &[
    Region { code: "US", name: "United States", default_hosted_region: "us-east-1", default_cspbw_region: "us-east-1" },
    Region { code: "EU", name: "Europe", default_hosted_region: "eu-central-1", default_cspbw_region: "eu-central-1" },
    Region { code: "GB", name: "United Kingdom", default_hosted_region: "eu-west-2", default_cspbw_region: "eu-west-2" },
    Region {
        code: "AU",
        name: "Australia and New Zealand",
        default_hosted_region: "ap-southeast-2",
        default_cspbw_region: "ap-southeast-2",
    },
    Region { code: "CA", name: "Canada", default_hosted_region: "us-east-1", default_cspbw_region: "ca-central-1" },
];

const EU_COUNTRIES: &[&str] = &[
    "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT", "LV", "LT", "LU", "MT", "NL", "PL",
    "PT", "RO", "SK", "SI", "ES", "SE", "NO", "IS", "LI", "CH",
];

pub fn by_code(code: &str) -> Option<&'static Region> {
    REGIONS.iter().find(|r| r.code == code)
}

/// The region of a company in `country` (ISO 3166-1 alpha-2); `None` when the country is
/// unset. Countries outside the listed markets are served from the US region.
pub fn region_for_country(country: &str) -> Option<&'static Region> {
    let code = match country.trim().to_ascii_uppercase().as_str() {
        "" => return None,
        "US" => "US",
        "GB" => "GB",
        "AU" | "NZ" => "AU",
        "CA" => "CA",
        c if EU_COUNTRIES.contains(&c) => "EU",
        _ => "US",
    };
    by_code(code)
}

#[cfg(test)]
mod tests {
    #[test]
    fn mapping() {
        assert_eq!(super::region_for_country("de").unwrap().code, "EU");
        assert_eq!(super::region_for_country("NZ").unwrap().default_hosted_region, "ap-southeast-2");
        assert!(super::region_for_country("").is_none());
    }
}
