//! The notifications queue's consumer (SNS → SQS with raw delivery, so each
//! body is a `Notification`): mock delivery, logged in DynamoDB. Each record
//! stands alone: one that fails is reported in `batchItemFailures` and comes
//! back later each time (`store::redelivery`; past `maxReceiveCount`, to the
//! dead-letter queue) while the rest of the batch is done. Records are
//! independent, so they are delivered side by side.

use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use shared::service::notifications::{deliver, Notification};
use shared::store::redelivery::{self, Failure};
use shared::Services;

pub async fn handle(svc: &Services, event: SqsEvent) -> Result<SqsBatchResponse, lambda_runtime::Error> {
    let mut response = SqsBatchResponse::default();
    let outcomes = futures::future::join_all(event.records.iter().map(|record| process(svc, record))).await;
    for (record, outcome) in event.records.iter().zip(outcomes) {
        if let Err(reason) = outcome {
            tracing::warn!(
                message_id = record.message_id.as_deref().unwrap_or(""),
                error = %reason,
                "notification not delivered; it will be retried"
            );
            if let Some(queue) = &svc.config.notifications_queue_url {
                redelivery::back_off(&svc.aws().await.sqs, queue, record, &reason).await;
            }
            match &record.message_id {
                Some(id) => response.add_failure(id.clone()),
                // Without an id a failure cannot be reported alone: retry the batch.
                None => return Err(format!("a record without messageId failed: {reason}").into()),
            }
        }
    }
    Ok(response)
}

async fn process(svc: &Services, record: &SqsMessage) -> Result<(), Failure> {
    let body = record.body.as_deref().unwrap_or_default();
    let notification: Notification =
        serde_json::from_str(body).map_err(|e| Failure::Never(format!("the body is not a notification: {e}")))?;
    deliver(svc, &notification).await.map(|_new| ()).map_err(|e| Failure::Retry(e.to_string()))
}
