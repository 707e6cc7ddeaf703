//! The transactional outbox: messages inserted in the transaction of the
//! change they announce, then sent to SQS (ticketing) or SNS
//! (notifications). `drain` runs right after a commit and every minute from
//! the schedule, so a process dying between commit and send loses nothing.

use crate::{ApiError, Services};
use deadpool_postgres::Transaction;
use serde_json::Value;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Destination {
    Ticketing,
    Notifications,
}

impl Destination {
    fn as_str(self) -> &'static str {
        match self {
            Destination::Ticketing => "TICKETING",
            Destination::Notifications => "NOTIFICATIONS",
        }
    }
}

/// Adds a message; a repeated `dedup_key` is ignored.
pub async fn enqueue(
    tx: &Transaction<'_>,
    destination: Destination,
    payload: &Value,
    dedup_key: Option<&str>,
) -> Result<(), ApiError> {
    tx.execute(
        "INSERT INTO outbox (destination, payload, dedup_key) VALUES ($1, $2, $3) ON CONFLICT (dedup_key) DO NOTHING",
        &[&destination.as_str(), payload, &dedup_key],
    )
    .await?;
    Ok(())
}

/// Sends up to `limit` unsent messages; returns how many were sent.
/// Concurrent drains skip each other's rows (`SKIP LOCKED`).
pub async fn drain(svc: &Services, limit: i64) -> Result<usize, ApiError> {
    let mut client = svc.db.get().await?;
    let tx = client.transaction().await?;
    let rows = tx
        .query(
            "SELECT id, destination, payload FROM outbox WHERE sent_at IS NULL ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED",
            &[&limit],
        )
        .await?;
    if rows.is_empty() {
        return Ok(0);
    }
    let aws = svc.aws().await;
    let mut sent: Vec<i64> = Vec::new();
    let mut failed: Vec<i64> = Vec::new();
    for row in &rows {
        let (id, destination, payload): (i64, String, Value) = (row.get(0), row.get(1), row.get(2));
        let body = payload.to_string();
        let outcome = match destination.as_str() {
            "TICKETING" => match &svc.config.ticketing_queue_url {
                Some(queue) => aws
                    .sqs
                    .send_message()
                    .queue_url(queue)
                    .message_body(body)
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|e| format!("{e:?}")),
                None => Err("TICKETING_QUEUE_URL is not configured".into()),
            },
            _ => match &svc.config.notifications_topic_arn {
                Some(topic) => aws
                    .sns
                    .publish()
                    .topic_arn(topic)
                    .message(body)
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|e| format!("{e:?}")),
                None => Err("NOTIFICATIONS_TOPIC_ARN is not configured".into()),
            },
        };
        match outcome {
            Ok(()) => sent.push(id),
            Err(e) => {
                tracing::warn!(outbox_id = id, error = %e, "outbox message not sent; will retry");
                failed.push(id);
            }
        }
    }
    tx.execute("UPDATE outbox SET sent_at = now(), attempts = attempts + 1 WHERE id = ANY($1)", &[&sent]).await?;
    tx.execute("UPDATE outbox SET attempts = attempts + 1 WHERE id = ANY($1)", &[&failed]).await?;
    tx.commit().await?;
    Ok(sent.len())
}

/// Drains after a commit without failing the request: what is not sent now
/// is sent by the schedule. Bounded by one dependency timeout: with the
/// queue or topic unreachable every send is retried with backoff, and a
/// backlog would otherwise push a request that has already committed past
/// its deadline, into a 503 claiming that nothing was changed. (A drain cut
/// short rolls back its marks; what it sent is sent again, and consumers
/// are idempotent.)
pub async fn drain_soon(svc: &Services) {
    match tokio::time::timeout(svc.config.dependency_timeout, drain(svc, 100)).await {
        Ok(Ok(_)) => {}
        Ok(Err(e)) => tracing::warn!(error = %e, "outbox drain failed; the schedule will retry"),
        Err(_) => tracing::warn!("outbox drain is too slow; the schedule will send the rest"),
    }
}
