//! Billing records: one row per charge, written in the same transaction as the service that
//! caused it, so the billing history is always the company's real history.

use keyhall_types::{BillingRecordId, TenantId, Timestamp};

use super::Comet;
use super::hosted::HostedInstance;
use super::licenses::License;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BillingRecord {
    pub id: BillingRecordId,
    pub tenant_id: TenantId,
    pub occurred_at: Timestamp,
    pub description: String,
    /// `license` or `hosted`.
    pub service_kind: String,
    /// The serial or instance id the charge is for.
    pub service_ref: String,
    pub quantity: i64,
    pub unit_price_cents: i64,
    pub amount_cents: i64,
    pub currency: String,
}

/// Monthly list prices, in cents of `currency`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PriceList {
    pub currency: String,
    pub license_monthly_cents: i64,
    pub hosted_monthly_cents: i64,
}

impl Default for PriceList {
    fn default() -> Self {
        Self { currency: "USD".into(), license_monthly_cents: 500, hosted_monthly_cents: 2000 }
    }
}

/// `1234` cents → `"12.34"`.
pub fn format_cents(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    format!("{sign}{}.{:02}", cents.abs() / 100, cents.abs() % 100)
}

impl Comet<'_> {
    pub(crate) fn charge_for_license(self, license: &License) -> BillingRecord {
        let p = &self.core.settings.prices;
        BillingRecord {
            id: BillingRecordId::new(),
            tenant_id: license.tenant_id,
            occurred_at: license.created_at,
            description: format!("Self-Hosted license {} - first month", license.serial),
            service_kind: "license".into(),
            service_ref: license.serial.clone(),
            quantity: 1,
            unit_price_cents: p.license_monthly_cents,
            amount_cents: p.license_monthly_cents,
            currency: p.currency.clone(),
        }
    }

    pub(crate) fn charge_for_hosted(self, h: &HostedInstance) -> BillingRecord {
        let p = &self.core.settings.prices;
        BillingRecord {
            id: BillingRecordId::new(),
            tenant_id: h.tenant_id,
            occurred_at: h.created_at,
            description: format!("Comet-Hosted instance {} ({}) - first month", h.user_dns, h.region),
            service_kind: "hosted".into(),
            service_ref: h.id.to_string(),
            quantity: 1,
            unit_price_cents: p.hosted_monthly_cents,
            amount_cents: p.hosted_monthly_cents,
            currency: p.currency.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn cents() {
        assert_eq!(super::format_cents(0), "0.00");
        assert_eq!(super::format_cents(1234), "12.34");
        assert_eq!(super::format_cents(-5), "-0.05");
    }
}
