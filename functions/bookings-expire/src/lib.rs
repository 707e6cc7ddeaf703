//! The every-minute schedule: expires unpaid bookings past their deadline
//! (releasing their seats), marks departed flights (dropping their cached
//! searches), refunds in full the paid bookings left on a cancelled flight
//! past its departure time, and sends what the outbox still holds (a writer that died
//! between its commit and its send). Safe when two runs overlap: each row
//! changes state once and the outbox is drained with `SKIP LOCKED`.

use serde_json::{json, Value};
use shared::service::bookings::{expire_unpaid_bookings, refund_unresolved_on_cancelled_flights};
use shared::service::flights::mark_departed_flights;
use shared::store::outbox;
use shared::Services;

pub async fn handle(svc: &Services, _event: Value) -> Result<Value, lambda_runtime::Error> {
    let expired = expire_unpaid_bookings(svc).await.map_err(|e| e.to_string())?;
    let departed = mark_departed_flights(svc).await.map_err(|e| e.to_string())?;
    let refunded = refund_unresolved_on_cancelled_flights(svc).await.map_err(|e| e.to_string())?;
    // Bounded well under the function's timeout: with SQS or SNS down, every
    // send retries with backoff; what is not sent now is sent next minute.
    let sent = match tokio::time::timeout(std::time::Duration::from_secs(20), outbox::drain(&svc.outbox(), 500)).await {
        Ok(sent) => sent.map_err(|e| e.to_string())?,
        Err(_) => {
            tracing::warn!("outbox drain cut short; the next run continues");
            0
        }
    };
    if expired > 0 || !departed.is_empty() || refunded > 0 || sent > 0 {
        tracing::info!(expired, departed = departed.len(), refunded, outbox_sent = sent, "schedule sweep");
    }
    Ok(json!({
        "expiredBookings": expired,
        "departedFlights": departed.len(),
        "refundedBookings": refunded,
        "outboxSent": sent,
    }))
}
