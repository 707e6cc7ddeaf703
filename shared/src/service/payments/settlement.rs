//! The rules of one payment attempt, over a locked booking: who may pay,
//! when, how much; a retry under the same `Idempotency-Key` gets the earlier
//! success; a decline is recorded and leaves the booking payable; a success
//! marks it paid and asks for its tickets and the confirmation, all in the
//! one transaction the [`PaymentBooks`] stand for.

use super::PayRequest;
use crate::domain::booking::BookingStatus;
use crate::domain::flight::unbookable_because;
use crate::domain::money::Money;
use crate::domain::payment::{decide, GatewayDecision};
use crate::service::books::PaymentBooks;
use crate::service::notifications::{Notification, NotificationKind};
use crate::service::seats::not_bookable;
use crate::store::payments::{LockedBooking, PaymentRow};
use crate::{ApiError, ErrorCode};
use chrono::{DateTime, Utc};

/// A payment that went through (now, or earlier under the same key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settled {
    pub payment_id: i64,
    pub booking_id: i64,
    pub due: Money,
    pub method: String,
    pub card_last4: Option<String>,
    pub gateway_reference: String,
}

/// Settles `request` for `user_id` at `now`: commits what it records, or
/// nothing when it refuses.
pub async fn settle(
    mut books: impl PaymentBooks,
    user_id: i64,
    request: &PayRequest,
    now: DateTime<Utc>,
) -> Result<Settled, ApiError> {
    let booking = match books.lock(request.booking_id).await? {
        Some(b) if b.user_id == user_id => b,
        _ => return Err(ApiError::not_found(format!("booking {} does not exist", request.booking_id))),
    };
    let due = Money::new(booking.amount_due, &booking.currency);
    if booking.status == BookingStatus::Paid {
        if let Some(key) = request.idempotency_key.as_deref() {
            if let Some(earlier) = books.success_under_key(booking.id, key).await? {
                return Ok(Settled {
                    payment_id: earlier.id,
                    booking_id: booking.id,
                    due,
                    method: earlier.method,
                    card_last4: earlier.card_last4,
                    gateway_reference: earlier.gateway_reference,
                });
            }
        }
    }
    payable(&booking, now)?;
    for flight in books.flights_of(booking.id).await? {
        if let Some(why) = unbookable_because(flight.status, flight.departs_at, now) {
            return Err(not_bookable(flight.flight_id, why.as_str()));
        }
    }
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
    let row = |reference| PaymentRow {
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
            books.record_decline(PaymentRow { decline_code: Some(code), ..row(&reference) }).await?;
            books.commit().await?;
            // `declineCode` says why in a form a client can act on
            // (another card, or another method), beside the `code`.
            Err(ApiError::PaymentRequired {
                code: ErrorCode::PaymentDeclined,
                detail: format!("{message} The booking is still payable."),
                extensions: Default::default(),
            }
            .with("declineCode", code))
        }
        GatewayDecision::Approved { reference } => {
            let payment_id = books.record_success(row(&reference)).await?.ok_or_else(|| already_paid(booking.id))?;
            books.request_tickets(booking.id).await?;
            books
                .announce(&Notification::new(
                    booking.user_id,
                    NotificationKind::BookingConfirmed,
                    format!("Booking {} confirmed", booking.pnr),
                    format!(
                        "We received {} for booking {}. Your e-tickets follow shortly.",
                        due.formatted(),
                        booking.pnr
                    ),
                ))
                .await?;
            books.commit().await?;
            Ok(Settled {
                payment_id,
                booking_id: booking.id,
                due,
                method: method.kind().to_string(),
                card_last4: method.card_last4(),
                gateway_reference: reference,
            })
        }
    }
}

/// Only a pending booking whose hold has not run out can be paid.
fn payable(booking: &LockedBooking, now: DateTime<Utc>) -> Result<(), ApiError> {
    match booking.status {
        BookingStatus::Paid => Err(already_paid(booking.id)),
        BookingStatus::Cancelled => {
            Err(ApiError::conflict(ErrorCode::BookingCancelled, format!("booking {} is cancelled", booking.id)))
        }
        BookingStatus::Expired => {
            Err(ApiError::conflict(ErrorCode::BookingExpired, format!("booking {} expired unpaid", booking.id)))
        }
        BookingStatus::PendingPayment if booking.expires_at <= now => Err(ApiError::conflict(
            ErrorCode::BookingExpired,
            format!("booking {} expired at {}; book again", booking.id, booking.expires_at.to_rfc3339()),
        )),
        BookingStatus::PendingPayment => Ok(()),
    }
}

fn already_paid(booking_id: i64) -> ApiError {
    ApiError::conflict(ErrorCode::BookingAlreadyPaid, format!("booking {booking_id} is already paid"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::flight::FlightStatus;
    use crate::domain::payment::PaymentMethod;
    use crate::service::fakes::Ledger;
    use chrono::Duration;
    use http::StatusCode;

    const USER: i64 = 1;
    const BOOKING: i64 = 5;
    const DUE: i64 = 543_210;

    fn request(method: PaymentMethod, expected: Option<i64>, key: Option<&str>) -> PayRequest {
        PayRequest { booking_id: BOOKING, expected_amount: expected, method, idempotency_key: key.map(str::to_string) }
    }

    fn wallet() -> PayRequest {
        request(PaymentMethod::Wallet, None, None)
    }

    fn card(number: &str) -> PayRequest {
        request(PaymentMethod::card(number).unwrap(), None, None)
    }

    fn pending(now: DateTime<Utc>) -> Ledger {
        Ledger::default().with_booking(BOOKING, USER, DUE, now)
    }

    #[tokio::test]
    async fn a_success_marks_the_booking_paid_and_asks_for_tickets_and_the_confirmation_in_one_commit() {
        let now = Utc::now();
        let mut ledger = pending(now);
        let settled =
            settle(ledger.books(), USER, &request(PaymentMethod::Wallet, Some(DUE), Some("k1")), now).await.unwrap();
        assert_eq!(settled.due, Money::new(DUE, "INR"));
        assert_eq!(ledger.status(BOOKING), BookingStatus::Paid);
        assert_eq!(ledger.commits, 1);
        let [payment] = ledger.payments.as_slice() else { panic!("one payment: {:?}", ledger.payments) };
        assert!(payment.succeeded);
        assert_eq!(
            (payment.id, payment.amount, payment.idempotency_key.as_deref()),
            (settled.payment_id, DUE, Some("k1"))
        );
        assert_eq!(ledger.ticket_requests, vec![BOOKING]);
        assert_eq!(ledger.notifications.len(), 1);
        assert_eq!(ledger.notifications[0].kind, NotificationKind::BookingConfirmed);
        assert!(ledger.notifications[0].message.contains("₹5,432.10"), "{}", ledger.notifications[0].message);
    }

    #[tokio::test]
    async fn a_retry_under_the_same_key_gets_the_earlier_success_and_records_nothing() {
        let now = Utc::now();
        let mut ledger = pending(now);
        let keyed = request(PaymentMethod::Wallet, None, Some("k1"));
        let first = settle(ledger.books(), USER, &keyed, now).await.unwrap();
        let again = settle(ledger.books(), USER, &keyed, now).await.unwrap();
        assert_eq!(again, first);
        assert_eq!(ledger.payments.len(), 1);
        assert_eq!(ledger.commits, 1, "the replay commits nothing");

        let other_key = settle(ledger.books(), USER, &request(PaymentMethod::Wallet, None, Some("k2")), now).await;
        assert_eq!(other_key.unwrap_err().error_code(), ErrorCode::BookingAlreadyPaid);
        let no_key = settle(ledger.books(), USER, &wallet(), now).await;
        assert_eq!(no_key.unwrap_err().error_code(), ErrorCode::BookingAlreadyPaid);
        assert_eq!((ledger.payments.len(), ledger.commits, ledger.ticket_requests.len()), (1, 1, 1));
    }

    #[tokio::test]
    async fn another_customers_booking_does_not_exist() {
        let now = Utc::now();
        let mut ledger = pending(now);
        let refused = settle(ledger.books(), USER + 1, &wallet(), now).await.unwrap_err();
        assert_eq!(refused.status(), StatusCode::NOT_FOUND);
        let missing = settle(ledger.books(), USER, &PayRequest { booking_id: 99, ..wallet() }, now).await.unwrap_err();
        assert_eq!(missing.status(), StatusCode::NOT_FOUND);
        assert!(ledger.payments.is_empty());
        assert_eq!(ledger.commits, 0);
    }

    #[tokio::test]
    async fn only_a_pending_booking_within_its_hold_can_be_paid() {
        let now = Utc::now();
        for (status, expires_in, code) in [
            (BookingStatus::Cancelled, 10, ErrorCode::BookingCancelled),
            (BookingStatus::Expired, 10, ErrorCode::BookingExpired),
            (BookingStatus::PendingPayment, 0, ErrorCode::BookingExpired),
            (BookingStatus::PendingPayment, -1, ErrorCode::BookingExpired),
        ] {
            let mut ledger = pending(now);
            let booking = ledger.bookings.get_mut(&BOOKING).unwrap();
            booking.status = status;
            booking.expires_at = now + Duration::minutes(expires_in);
            let refused = settle(ledger.books(), USER, &wallet(), now).await.unwrap_err();
            assert_eq!(refused.error_code(), code, "{status:?}, expiring in {expires_in} min");
            assert_eq!(refused.status(), StatusCode::CONFLICT);
            assert!(ledger.payments.is_empty());
            assert_eq!(ledger.commits, 0);
        }
    }

    #[tokio::test]
    async fn a_wrong_amount_is_refused_with_the_amount_due_and_charges_nothing() {
        let now = Utc::now();
        let mut ledger = pending(now);
        let refused =
            settle(ledger.books(), USER, &request(PaymentMethod::Wallet, Some(DUE - 1), None), now).await.unwrap_err();
        assert_eq!(refused.error_code(), ErrorCode::AmountMismatch);
        let ApiError::Unprocessable { extensions, .. } = &refused else { panic!("{refused:?}") };
        assert_eq!(extensions["amountDue"]["amount"], DUE);
        assert!(ledger.payments.is_empty());
        assert_eq!(ledger.status(BOOKING), BookingStatus::PendingPayment);
    }

    #[tokio::test]
    async fn a_decline_is_recorded_with_its_code_and_leaves_the_booking_payable() {
        let now = Utc::now();
        let mut ledger = pending(now);
        let refused = settle(ledger.books(), USER, &card("4000 0000 0000 9995"), now).await.unwrap_err();
        assert_eq!(refused.status(), StatusCode::PAYMENT_REQUIRED);
        assert_eq!(refused.error_code(), ErrorCode::PaymentDeclined);
        assert_eq!(ledger.commits, 1, "the decline is kept");
        let [decline] = ledger.payments.as_slice() else { panic!("{:?}", ledger.payments) };
        assert!(!decline.succeeded);
        assert_eq!(decline.decline_code.as_deref(), Some("insufficient_funds"));
        assert_eq!(refused.extensions().unwrap()["declineCode"], "insufficient_funds");
        assert_eq!(ledger.status(BOOKING), BookingStatus::PendingPayment);
        assert!(ledger.ticket_requests.is_empty() && ledger.notifications.is_empty());

        settle(ledger.books(), USER, &card("4242 4242 4242 4242"), now).await.unwrap();
        assert_eq!(ledger.status(BOOKING), BookingStatus::Paid);
    }

    #[tokio::test]
    async fn a_booking_on_a_cancelled_or_departed_flight_cannot_be_paid() {
        let now = Utc::now();
        for (status, departs_in, why) in [
            (FlightStatus::Cancelled, 48, "CANCELLED"),
            (FlightStatus::Departed, -1, "DEPARTED"),
            // The minute sweep has not marked it yet: the clock decides.
            (FlightStatus::Scheduled, 0, "DEPARTED"),
        ] {
            let mut ledger = pending(now);
            let flight = &mut ledger.flights.get_mut(&BOOKING).unwrap()[0];
            flight.status = status;
            flight.departs_at = now + Duration::hours(departs_in);
            let refused = settle(ledger.books(), USER, &wallet(), now).await.unwrap_err();
            assert_eq!(refused.status(), StatusCode::CONFLICT, "{status:?}");
            assert_eq!(refused.error_code(), ErrorCode::FlightNotBookable);
            assert_eq!(refused.extensions().unwrap()["flightStatus"], why);
            assert!(ledger.payments.is_empty());
            assert_eq!(ledger.status(BOOKING), BookingStatus::PendingPayment);
        }
    }

    #[tokio::test]
    async fn a_gateway_error_records_nothing() {
        let now = Utc::now();
        let mut ledger = pending(now);
        let refused = settle(ledger.books(), USER, &card("4000 0000 0000 0119"), now).await.unwrap_err();
        assert_eq!(refused.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert!(ledger.payments.is_empty());
        assert_eq!(ledger.commits, 0);
    }

    #[tokio::test]
    async fn a_success_that_loses_to_a_racer_is_already_paid_and_asks_for_nothing() {
        let now = Utc::now();
        // The racer's success is committed but the booking row still reads
        // pending: the unique index, not the status, has the last word.
        let mut ledger = pending(now).paid(BOOKING, None);
        ledger.bookings.get_mut(&BOOKING).unwrap().status = BookingStatus::PendingPayment;
        let refused = settle(ledger.books(), USER, &wallet(), now).await.unwrap_err();
        assert_eq!(refused.error_code(), ErrorCode::BookingAlreadyPaid);
        assert_eq!(ledger.payments.len(), 1);
        assert!(ledger.ticket_requests.is_empty());
        assert_eq!(ledger.commits, 0);
    }
}
