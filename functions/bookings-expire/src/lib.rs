//! The every-minute schedule: expires unpaid bookings past their deadline
//! (releasing their seats) and marks departed flights (dropping their cached
//! searches). Safe when two runs overlap: each row changes state once.

use serde_json::{json, Value};
use shared::service::bookings::expire_unpaid_bookings;
use shared::service::flights::mark_departed_flights;
use shared::Services;

pub async fn handle(svc: &Services, _event: Value) -> Result<Value, lambda_runtime::Error> {
    let expired = expire_unpaid_bookings(svc)
        .await
        .map_err(|e| e.to_string())?;
    let departed = mark_departed_flights(svc)
        .await
        .map_err(|e| e.to_string())?;
    if expired > 0 || !departed.is_empty() {
        tracing::info!(expired, departed = departed.len(), "schedule sweep");
    }
    Ok(json!({ "expiredBookings": expired, "departedFlights": departed.len() }))
}
