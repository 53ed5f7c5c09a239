//! The two reports: active services and billing history, as typed rows (faces render them as
//! JSON, CSV or XLSX).

use keyhall_types::Timestamp;

use super::Comet;
use super::hosted::HostedState;
use crate::context::Caller;
use crate::error::Result;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActiveServiceRow {
    pub id: String,
    /// `self_hosted_license` or `hosted_instance`.
    pub service_type: &'static str,
    pub name: String,
    pub status: String,
    pub created_at: Timestamp,
    pub devices: i64,
    pub boosters: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BillingRow {
    pub date: Timestamp,
    pub description: String,
    pub quantity: i64,
    pub unit_price_cents: i64,
    pub amount_cents: i64,
    pub currency: String,
}

impl Comet<'_> {
    /// Every license that is not archived and every hosted instance that is not deleted.
    pub async fn active_services(self, caller: &Caller) -> Result<Vec<ActiveServiceRow>> {
        let mut rows: Vec<ActiveServiceRow> = self
            .list_licenses(caller)
            .await?
            .iter()
            .filter(|l| !l.is_archived)
            .map(|l| ActiveServiceRow {
                id: l.serial.clone(),
                service_type: "self_hosted_license",
                name: l.name.clone(),
                status: if l.enabled { "enabled".into() } else { "locked".into() },
                created_at: l.created_at,
                devices: l.num_clients_online,
                boosters: l.num_boosters_online,
            })
            .collect();
        rows.extend(self.list_hosted(caller).await?.into_iter().filter(|h| h.state != HostedState::Deleted).map(|h| {
            ActiveServiceRow {
                id: h.id.to_string(),
                service_type: "hosted_instance",
                name: h.server_name,
                status: h.state.as_str().to_string(),
                created_at: h.created_at,
                devices: h.num_devices_online,
                boosters: h.num_boosters_online,
            }
        }));
        rows.sort_by(|a, b| a.created_at.cmp(&b.created_at).then_with(|| a.id.cmp(&b.id)));
        Ok(rows)
    }

    pub async fn billing_history(self, caller: &Caller) -> Result<Vec<BillingRow>> {
        Ok(self
            .core
            .store
            .list_billing(caller.tenant_id())
            .await?
            .into_iter()
            .map(|r| BillingRow {
                date: r.occurred_at,
                description: r.description,
                quantity: r.quantity,
                unit_price_cents: r.unit_price_cents,
                amount_cents: r.amount_cents,
                currency: r.currency,
            })
            .collect())
    }
}
