//! Paying a booking through the mock gateway. One Postgres transaction
//! locks the booking, checks it, records the payment, marks the booking
//! paid and queues the ticketing message and the confirmation in the outbox;
//! the outbox is drained right after the commit (and every minute).

use super::bookings::{details, BookingDetails};
use super::notifications::NotificationKind;
use super::notifications::{self, Notification};
use crate::auth::caller::Caller;
use crate::domain::booking::BookingStatus;
use crate::domain::money::Money;
use crate::domain::payment::{decide, GatewayDecision, PaymentMethod};
use crate::store::bookings::PgBookings;
use crate::store::outbox::{Destination, Outgoing};
use crate::store::payments::{lock_booking, record_decline, record_success, success_under_key, PaymentRow};
use crate::store::rate_limit::LimitError;
use crate::ErrorCode;
use crate::{ApiError, Services};
use chrono::Utc;

pub struct PayRequest {
    pub booking_id: i64,
    /// What the client believes is due, minor units (the original sends rupees).
    pub expected_amount: Option<i64>,
    pub method: PaymentMethod,
    /// The request's `Idempotency-Key`: a retry under it after a lost
    /// answer gets the success again.
    pub idempotency_key: Option<String>,
}

/// A payment that went through, with the booking it paid.
pub struct PaymentReceipt {
    pub payment_id: i64,
    pub amount: Money,
    pub method: String,
    pub card_last4: Option<String>,
    pub gateway_reference: String,
    pub booking: BookingDetails,
}

/// The ticketing queue's message (read by tickets-issue).
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct BookingPaid {
    #[serde(rename = "type")]
    kind: &'static str,
    booking_id: i64,
}

/// A payment that went through, to be answered.
struct Succeeded<'a> {
    payment_id: i64,
    booking_id: i64,
    due: Money,
    method: &'a str,
    card_last4: Option<String>,
    reference: &'a str,
}

/// The answer to a successful payment. It is committed by now: a failure
/// to read the booking back must not say "nothing was changed".
async fn succeeded(svc: &Services, paid: Succeeded<'_>) -> Result<PaymentReceipt, ApiError> {
    let after_commit = |e: ApiError| {
        tracing::error!(error = %e, payment_id = paid.payment_id, "paid, but the answer could not be built");
        ApiError::outcome_unknown(format!(
            "payment {} for booking {} succeeded, but its details could not be read; retry with the same \
             Idempotency-Key to get them",
            paid.payment_id, paid.booking_id
        ))
    };
    let record = PgBookings::new(&svc.db)
        .find(paid.booking_id)
        .await
        .map_err(|e| after_commit(e.into()))?
        .ok_or_else(|| ApiError::internal("booking vanished after payment"))?;
    let booking = details(svc, record).await.map_err(after_commit)?;
    Ok(PaymentReceipt {
        payment_id: paid.payment_id,
        amount: paid.due,
        method: paid.method.to_string(),
        card_last4: paid.card_last4,
        gateway_reference: paid.reference.to_string(),
        booking,
    })
}

pub async fn pay(svc: &Services, caller: &Caller, request: PayRequest) -> Result<PaymentReceipt, ApiError> {
    // Payments need Postgres, not Redis: if the limiter cannot be reached
    // the payment goes ahead rather than failing.
    match svc.rate_limiter().check("payment", caller.user_id, svc.config.payment_rate_per_minute).await {
        Err(e @ LimitError::Exceeded { .. }) => return Err(e.into()),
        Err(e) => tracing::warn!(error = %e, "payment rate limiter unavailable; not limiting"),
        Ok(()) => {}
    }
    let mut client = svc.db.get().await?;
    let tx = client.transaction().await?;
    let booking = match lock_booking(&tx, request.booking_id).await? {
        Some(b) if b.user_id == caller.user_id => b,
        _ => return Err(ApiError::not_found(format!("booking {} does not exist", request.booking_id))),
    };
    match booking.status {
        BookingStatus::Paid => {
            if let Some(key) = request.idempotency_key.as_deref() {
                if let Some(earlier) = success_under_key(&tx, booking.id, key).await? {
                    drop(tx);
                    drop(client);
                    let due = Money::new(booking.amount_due, &booking.currency);
                    let paid = Succeeded {
                        payment_id: earlier.id,
                        booking_id: booking.id,
                        due,
                        method: &earlier.method,
                        card_last4: earlier.card_last4,
                        reference: &earlier.gateway_reference,
                    };
                    return succeeded(svc, paid).await;
                }
            }
            return Err(ApiError::conflict(
                ErrorCode::BookingAlreadyPaid,
                format!("booking {} is already paid", booking.id),
            ));
        }
        BookingStatus::Cancelled => {
            return Err(ApiError::conflict(ErrorCode::BookingCancelled, format!("booking {} is cancelled", booking.id)))
        }
        BookingStatus::Expired => {
            return Err(ApiError::conflict(ErrorCode::BookingExpired, format!("booking {} expired unpaid", booking.id)))
        }
        BookingStatus::PendingPayment if booking.expires_at <= Utc::now() => {
            return Err(ApiError::conflict(
                ErrorCode::BookingExpired,
                format!("booking {} expired at {}; book again", booking.id, booking.expires_at.to_rfc3339()),
            ))
        }
        BookingStatus::PendingPayment => {}
    }
    let due = Money::new(booking.amount_due, &booking.currency);
    if let Some(expected) = request.expected_amount {
        if expected != booking.amount_due {
            return Err(ApiError::unprocessable(
                ErrorCode::AmountMismatch,
                format!(
                    "the amount due is {}, not {}",
                    due.formatted(),
                    Money::new(expected, &booking.currency).formatted()
                ),
            )
            .with("amountDue", due.to_json()));
        }
    }

    let method = &request.method;
    let payment = |reference: &'static str| PaymentRow {
        booking: &booking,
        amount: booking.amount_due,
        method: method.kind(),
        card_last4: method.card_last4(),
        reference,
        decline_code: None,
        idempotency_key: request.idempotency_key.as_deref(),
    };
    match decide(method) {
        GatewayDecision::ProcessingError => Err(ApiError::unavailable(
            "payment gateway",
            "the gateway could not process the payment; nothing was charged",
        )),
        GatewayDecision::Declined { code, message } => {
            let reference = format!("dec_{}", &uuid::Uuid::new_v4().simple().to_string()[..20]);
            record_decline(&tx, PaymentRow { reference: &reference, decline_code: Some(code), ..payment("") }).await?;
            tx.commit().await?;
            Err(ApiError::PaymentRequired {
                code: ErrorCode::PaymentDeclined,
                detail: format!("{message} The booking is still payable."),
            })
        }
        GatewayDecision::Approved { reference } => {
            let payment_id =
                record_success(&tx, PaymentRow { reference: &reference, ..payment("") }).await?.ok_or_else(|| {
                    ApiError::conflict(ErrorCode::BookingAlreadyPaid, format!("booking {} is already paid", booking.id))
                })?;
            let mut outgoing = Outgoing::default();
            outgoing
                .enqueue(
                    &tx,
                    Destination::Ticketing,
                    &serde_json::to_value(BookingPaid { kind: "booking.paid", booking_id: booking.id })
                        .map_err(ApiError::internal)?,
                    Some(&format!("ticketing:{}", booking.id)),
                )
                .await?;
            let notification = Notification::new(
                booking.user_id,
                NotificationKind::BookingConfirmed,
                format!("Booking {} confirmed", booking.pnr),
                format!("We received {} for booking {}. Your e-tickets follow shortly.", due.formatted(), booking.pnr),
            );
            notifications::enqueue(&mut outgoing, &tx, &notification).await?;
            tx.commit().await?;
            drop(client);
            outgoing.send(&svc.outbox()).await;
            let paid = Succeeded {
                payment_id,
                booking_id: booking.id,
                due,
                method: method.kind(),
                card_last4: method.card_last4(),
                reference: &reference,
            };
            succeeded(svc, paid).await
        }
    }
}
