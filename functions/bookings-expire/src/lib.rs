//! The every-minute schedule: marks departed flights and drops their cached
//! searches. Safe when two runs overlap: each flight changes state once.

use serde_json::{json, Value};
use shared::service::flights::mark_departed_flights;
use shared::Services;

pub async fn handle(svc: &Services, _event: Value) -> Result<Value, lambda_runtime::Error> {
    let departed = mark_departed_flights(svc)
        .await
        .map_err(|e| e.to_string())?;
    if !departed.is_empty() {
        tracing::info!(count = departed.len(), "flights marked departed");
    }
    Ok(json!({ "departedFlights": departed.len() }))
}
