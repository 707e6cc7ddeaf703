//! The ticketing queue's consumer: a paid booking → its tickets and GST
//! invoice. Idempotent under duplicate delivery; reports partial batch
//! failures so one bad message does not fail the batch; a message that
//! keeps failing is moved to the dead-letter queue by the queue's redrive.

use aws_lambda_events::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent, SqsMessage};
use serde::Deserialize;
use shared::domain::booking::BookingStatus;
use shared::service::tickets::{issue_tickets, IssueOutcome};
use shared::Services;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TicketingMessage {
    booking_id: i64,
}

async fn process(svc: &Services, message: &SqsMessage) -> Result<(), String> {
    let body = message.body.as_deref().unwrap_or_default();
    let parsed: TicketingMessage = serde_json::from_str(body).map_err(|e| format!("unreadable message: {e}"))?;
    match issue_tickets(svc, parsed.booking_id).await.map_err(|e| e.to_string())? {
        IssueOutcome::Issued(_) | IssueOutcome::AlreadyIssued => Ok(()),
        // Cancelled before its tickets were issued: nothing to do.
        IssueOutcome::NotPaid(BookingStatus::Cancelled) => Ok(()),
        IssueOutcome::NotPaid(status) => Err(format!("booking {} is {}", parsed.booking_id, status.as_str())),
        IssueOutcome::UnknownBooking => Err(format!("booking {} does not exist", parsed.booking_id)),
    }
}

pub async fn handle(svc: &Services, event: SqsEvent) -> Result<SqsBatchResponse, lambda_runtime::Error> {
    let mut response = SqsBatchResponse::default();
    for message in &event.records {
        if let Err(reason) = process(svc, message).await {
            let id = message.message_id.clone().unwrap_or_default();
            tracing::warn!(message_id = %id, %reason, "ticketing message failed");
            let mut failure = BatchItemFailure::default();
            failure.item_identifier = id;
            response.batch_item_failures.push(failure);
        }
    }
    Ok(response)
}
