//! The transactional outbox: messages inserted in the transaction of the
//! change they announce, then sent to SQS (ticketing) or SNS
//! (notifications).
//!
//! The writer collects its messages ([`Outgoing`]) and sends exactly those
//! right after its commit, all at once; it never takes on anyone else's
//! backlog, so a request's latency does not grow with the system's load.
//! What a writer could not send (the queue was unreachable, or the process
//! died between commit and send) is sent by the every-minute schedule
//! ([`drain`]), in batches. Consumers are idempotent, so the rare message
//! sent by both is harmless.

use super::aws::{AwsClients, LazyAws};
use super::StoreError;
use aws_sdk_sns::types::PublishBatchRequestEntry;
use aws_sdk_sqs::types::SendMessageBatchRequestEntry;
use deadpool_postgres::{Pool, Transaction};
use serde_json::Value;
use std::collections::HashSet;
use std::time::Duration;

/// What sending the outbox needs: the database that holds it, the AWS
/// clients (built on first use) and where each destination goes.
pub struct Outbox<'a> {
    pub db: &'a Pool,
    pub aws: &'a LazyAws,
    /// `TICKETING_QUEUE_URL`; a message for an unconfigured destination stays unsent.
    pub ticketing_queue_url: Option<&'a str>,
    /// `NOTIFICATIONS_TOPIC_ARN`.
    pub notifications_topic_arn: Option<&'a str>,
    /// How long a writer waits for its own messages to go out.
    pub send_timeout: Duration,
}

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

    fn parse(raw: &str) -> Destination {
        if raw == "TICKETING" {
            Destination::Ticketing
        } else {
            Destination::Notifications
        }
    }
}

/// One message of the outbox.
#[derive(Clone, Debug)]
pub struct OutboxMessage {
    pub id: i64,
    pub destination: Destination,
    pub body: String,
}

/// The messages one transaction wrote, to send once it has committed.
#[derive(Debug, Default)]
#[must_use = "messages written to the outbox are sent with `send` after the commit"]
pub struct Outgoing {
    messages: Vec<OutboxMessage>,
}

/// How long the schedule leaves a message to the writer that is still
/// sending it (a failed send is retried at once).
const WRITER_GRACE: &str = "30 seconds";
/// SQS and SNS take at most ten messages per batch.
const BATCH: usize = 10;
/// Batches in flight at once.
const CONCURRENT_BATCHES: usize = 4;

impl Outgoing {
    /// Adds a message in `tx`; a repeated `dedup_key` is ignored.
    #[tracing::instrument(name = "postgres.outbox.enqueue", level = "debug", skip_all, fields(destination = ?destination))]
    pub async fn enqueue(
        &mut self,
        tx: &Transaction<'_>,
        destination: Destination,
        payload: &Value,
        dedup_key: Option<&str>,
    ) -> Result<(), StoreError> {
        let statement = tx
            .prepare_cached(
                "INSERT INTO outbox (destination, payload, dedup_key) VALUES ($1, $2, $3)
                 ON CONFLICT (dedup_key) DO NOTHING RETURNING id",
            )
            .await?;
        if let Some(row) = tx.query_opt(&statement, &[&destination.as_str(), payload, &dedup_key]).await? {
            self.messages.push(OutboxMessage { id: row.get(0), destination, body: payload.to_string() });
        }
        Ok(())
    }

    pub fn is_empty(&self) -> bool {
        self.messages.is_empty()
    }

    /// After the commit: sends these messages (batched, concurrently) and
    /// marks what went out. Never fails the request, which has committed:
    /// bounded by one dependency timeout, and what is not sent now the
    /// schedule sends.
    #[tracing::instrument(name = "outbox.send", level = "debug", skip_all, fields(messages = self.messages.len()))]
    pub async fn send(self, outbox: &Outbox<'_>) {
        if self.messages.is_empty() {
            return;
        }
        match tokio::time::timeout(outbox.send_timeout, deliver(outbox, &self.messages)).await {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => tracing::warn!(error = %e, "outbox send failed; the schedule will retry"),
            Err(_) => tracing::warn!("outbox send is too slow; the schedule will send the rest"),
        }
    }
}

/// Sends the messages (up to ten per call, a few calls at a time) and
/// returns the ids that went out.
async fn send_batches(outbox: &Outbox<'_>, messages: &[OutboxMessage]) -> HashSet<i64> {
    let aws = outbox.aws.get().await;
    let mut batches: Vec<(Destination, Vec<&OutboxMessage>)> = Vec::new();
    for destination in [Destination::Ticketing, Destination::Notifications] {
        let mine: Vec<&OutboxMessage> = messages.iter().filter(|m| m.destination == destination).collect();
        batches.extend(mine.chunks(BATCH).map(|chunk| (destination, chunk.to_vec())));
    }
    let mut delivered = HashSet::new();
    for group in batches.chunks(CONCURRENT_BATCHES) {
        let calls = group.iter().map(|(destination, chunk)| send_batch(aws, outbox, *destination, chunk));
        for outcome in futures::future::join_all(calls).await {
            match outcome {
                Ok(ids) => delivered.extend(ids),
                Err(e) => tracing::warn!(error = %e, "outbox batch not sent; will retry"),
            }
        }
    }
    delivered
}

/// One batch call; the ids of the messages it delivered.
#[tracing::instrument(name = "aws.outbox.send_batch", level = "debug", skip_all, fields(destination = ?destination, messages = chunk.len()))]
async fn send_batch(
    aws: &AwsClients,
    outbox: &Outbox<'_>,
    destination: Destination,
    chunk: &[&OutboxMessage],
) -> Result<Vec<i64>, String> {
    match destination {
        Destination::Ticketing => {
            let queue = outbox.ticketing_queue_url.ok_or("TICKETING_QUEUE_URL is not configured")?;
            let entries = chunk
                .iter()
                .map(|m| SendMessageBatchRequestEntry::builder().id(m.id.to_string()).message_body(&m.body).build())
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| e.to_string())?;
            let out = aws
                .sqs
                .send_message_batch()
                .queue_url(queue)
                .set_entries(Some(entries))
                .send()
                .await
                .map_err(|e| format!("{e:?}"))?;
            Ok(out.successful().iter().filter_map(|s| s.id().parse().ok()).collect())
        }
        Destination::Notifications => {
            let topic = outbox.notifications_topic_arn.ok_or("NOTIFICATIONS_TOPIC_ARN is not configured")?;
            let entries = chunk
                .iter()
                .map(|m| PublishBatchRequestEntry::builder().id(m.id.to_string()).message(&m.body).build())
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| e.to_string())?;
            let out = aws
                .sns
                .publish_batch()
                .topic_arn(topic)
                .set_publish_batch_request_entries(Some(entries))
                .send()
                .await
                .map_err(|e| format!("{e:?}"))?;
            Ok(out.successful().iter().filter_map(|s| s.id().and_then(|id| id.parse().ok())).collect())
        }
    }
}

const RECORD_OUTCOME: &str =
    "UPDATE outbox SET sent_at = CASE WHEN id = ANY($2) THEN now() END, attempts = attempts + 1
     WHERE id = ANY($1) AND sent_at IS NULL";

fn ids(messages: &[OutboxMessage], delivered: &HashSet<i64>) -> (Vec<i64>, Vec<i64>) {
    (messages.iter().map(|m| m.id).collect(), delivered.iter().copied().collect())
}

/// Sends the messages and records the outcome; returns how many went out.
async fn deliver(outbox: &Outbox<'_>, messages: &[OutboxMessage]) -> Result<usize, StoreError> {
    let delivered = send_batches(outbox, messages).await;
    let (all, sent) = ids(messages, &delivered);
    let client = outbox.db.get().await?;
    let statement = client.prepare_cached(RECORD_OUTCOME).await?;
    client.execute(&statement, &[&all, &sent]).await?;
    Ok(sent.len())
}

/// The schedule's part: sends up to `limit` messages their writers did not
/// (failed sends at once, unsent ones after [`WRITER_GRACE`]); returns how
/// many went out. The rows stay locked while they are sent, so concurrent
/// drains skip each other's (`SKIP LOCKED`).
#[tracing::instrument(name = "outbox.drain", level = "debug", skip_all, fields(limit = limit))]
pub async fn drain(outbox: &Outbox<'_>, limit: i64) -> Result<usize, StoreError> {
    let mut client = outbox.db.get().await?;
    let tx = client.transaction().await?;
    let rows = tx
        .query(
            &format!(
                "SELECT id, destination, payload FROM outbox
                 WHERE sent_at IS NULL AND (attempts > 0 OR created_at < now() - interval '{WRITER_GRACE}')
                 ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED"
            ),
            &[&limit],
        )
        .await?;
    if rows.is_empty() {
        return Ok(0);
    }
    let messages: Vec<OutboxMessage> = rows
        .iter()
        .map(|row| OutboxMessage {
            id: row.get(0),
            destination: Destination::parse(row.get(1)),
            body: row.get::<_, Value>(2).to_string(),
        })
        .collect();
    let delivered = send_batches(outbox, &messages).await;
    let (all, sent) = ids(&messages, &delivered);
    tx.execute(RECORD_OUTCOME, &[&all, &sent]).await?;
    tx.commit().await?;
    Ok(sent.len())
}
