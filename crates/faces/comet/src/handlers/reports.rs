use keyhall_core::comet::billing::format_cents;
use keyhall_types::rfc3339;

use crate::dispatch::Ctx;
use crate::reply::{ApiError, Reply};
use crate::tables::{Cell, Format, render};

const ACTIVE_COLUMNS: [&str; 7] = ["id", "type", "name", "status", "created_at", "devices", "boosters"];
const BILLING_COLUMNS: [&str; 6] = ["date", "description", "quantity", "unit_price", "amount", "currency"];

pub async fn active_services(ctx: Ctx) -> Result<Reply, ApiError> {
    let format = Format::parse(ctx.text("format"))?;
    let rows: Vec<Vec<Cell>> = ctx
        .core
        .comet()
        .active_services(&ctx.caller)
        .await?
        .into_iter()
        .map(|r| {
            vec![
                r.id.into(),
                r.service_type.into(),
                r.name.into(),
                r.status.into(),
                rfc3339(r.created_at).into(),
                r.devices.into(),
                r.boosters.into(),
            ]
        })
        .collect();
    render(format, "active_services", &ACTIVE_COLUMNS, &rows)
}

pub async fn billing_history(ctx: Ctx) -> Result<Reply, ApiError> {
    let format = Format::parse(ctx.text("format"))?;
    let rows: Vec<Vec<Cell>> = ctx
        .core
        .comet()
        .billing_history(&ctx.caller)
        .await?
        .into_iter()
        .map(|r| {
            vec![
                rfc3339(r.date).into(),
                r.description.into(),
                r.quantity.into(),
                format_cents(r.unit_price_cents).into(),
                format_cents(r.amount_cents).into(),
                r.currency.into(),
            ]
        })
        .collect();
    render(format, "billing_history", &BILLING_COLUMNS, &rows)
}
