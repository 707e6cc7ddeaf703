//! The ticketing queue's consumer: a paid booking → its tickets and GST
//! invoice. Idempotent under duplicate delivery; reports partial batch
//! failures so one bad message does not fail the batch; a failed message
//! comes back later each time (`store::redelivery`), and one that keeps
//! failing is moved to the dead-letter queue by the queue's redrive.

use aws_lambda_events::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent, SqsMessage};
use serde::Deserialize;
use shared::domain::booking::BookingStatus;
use shared::service::tickets::{issue_tickets, IssueOutcome};
use shared::store::redelivery::{self, Failure};
use shared::Services;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TicketingMessage {
    booking_id: i64,
}

async fn process(svc: &Services, message: &SqsMessage) -> Result<(), Failure> {
    let body = message.body.as_deref().unwrap_or_default();
    let parsed: TicketingMessage =
        serde_json::from_str(body).map_err(|e| Failure::Never(format!("unreadable message: {e}")))?;
    match issue_tickets(svc, parsed.booking_id).await.map_err(|e| Failure::Retry(e.to_string()))? {
        IssueOutcome::Issued(_) | IssueOutcome::AlreadyIssued => Ok(()),
        // Cancelled before its tickets were issued: nothing to do.
        IssueOutcome::NotPaid(BookingStatus::Cancelled) => Ok(()),
        IssueOutcome::NotPaid(status) => {
            Err(Failure::Retry(format!("booking {} is {}", parsed.booking_id, status.as_str())))
        }
        // Sent after the booking's commit: a booking that is not there is
        // not coming (a message from another database or a hand-made one).
        IssueOutcome::UnknownBooking => Err(Failure::Never(format!("booking {} does not exist", parsed.booking_id))),
    }
}

pub async fn handle(svc: &Services, event: SqsEvent) -> Result<SqsBatchResponse, lambda_runtime::Error> {
    let mut response = SqsBatchResponse::default();
    for message in &event.records {
        if let Err(reason) = process(svc, message).await {
            let id = message.message_id.clone().unwrap_or_default();
            tracing::warn!(message_id = %id, %reason, "ticketing message failed");
            if let Some(queue) = &svc.config.ticketing_queue_url {
                redelivery::back_off(&svc.aws().await.sqs, queue, message, &reason).await;
            }
            let mut failure = BatchItemFailure::default();
            failure.item_identifier = id;
            response.batch_item_failures.push(failure);
        }
    }
    Ok(response)
}
