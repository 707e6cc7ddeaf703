//! Cancelling a booking (unpaid: its seats go back; paid: a quote of all of
//! it by the fare rules, confirmed at once, see `quotes`), the schedule's
//! expiry of unpaid ones and its full refund of paid ones left on a
//! cancelled flight. Freed seats are marked unsold in Redis and searches
//! showing their flights are dropped.

use super::quotes::cancel_whole;
use super::{details, owned_booking, BookingDetails};
use crate::auth::caller::Caller;
use crate::domain::booking::BookingStatus;
use crate::domain::ids::{FlightId, UserId};
use crate::domain::invoice::CreditReason;
use crate::domain::money::Money;
use crate::service::books::{CancellationBooks, PgBooks};
use crate::service::credit_notes::credit_refund;
use crate::service::notifications::{Notification, NotificationKind};
use crate::service::search::invalidate_searches;
use crate::store::bookings::{CancelOutcome, PgBookings, ReleasedSeat};
use crate::store::outbox::Outgoing;
use crate::ErrorCode;
use crate::{ApiError, Services};
use chrono::Utc;
use std::collections::{BTreeMap, HashSet};

/// The refund reason of a cancellation (once per quote; without one, the
/// schedule's full refund, once per booking).
const CANCELLATION: &str = "CANCELLATION";

/// A cancelled booking and what its cancellation refunded.
pub struct CancelledBooking {
    pub booking: BookingDetails,
    pub refund: Money,
}

pub async fn cancel_booking(svc: &Services, caller: &Caller, booking_id: i64) -> Result<CancelledBooking, ApiError> {
    let mut refunded_now = None;
    match PgBookings::new(&svc.db).cancel_unpaid(booking_id, caller.user_id).await? {
        CancelOutcome::NotFound => return Err(ApiError::not_found(format!("booking {booking_id} does not exist"))),
        CancelOutcome::Expired => {
            return Err(ApiError::conflict(
                ErrorCode::BookingExpired,
                format!("booking {booking_id} has expired; its seats are released"),
            ))
        }
        CancelOutcome::Paid => refunded_now = cancel_whole(svc, caller, booking_id).await?,
        CancelOutcome::AlreadyCancelled => {}
        CancelOutcome::Cancelled { released } => after_release(svc, caller.user_id, &released).await,
    }
    let record = owned_booking(svc, caller, booking_id).await?;
    // Cancelled before (or by a concurrent request): what its cancellations refunded.
    let refunded = match refunded_now {
        Some(amount) => amount,
        None => crate::store::payments::refunded_for(&svc.db, booking_id, CANCELLATION).await?,
    };
    let refund = Money::new(refunded, &record.currency);
    Ok(CancelledBooking { booking: details(svc, record).await?, refund })
}

/// Seats freed in Postgres: they are not sold in Redis any more, any
/// leftover hold of the owner goes, and cached searches show the flight
/// again.
pub(crate) async fn after_release(svc: &Services, user_id: i64, released: &[ReleasedSeat]) {
    let mut per_flight: BTreeMap<i64, Vec<(String, i64)>> = BTreeMap::new();
    for seat in released {
        per_flight.entry(seat.flight_id).or_default().push((seat.seat.clone(), seat.booking_id));
    }
    for (flight_id, sold) in per_flight {
        let holds = svc.seat_holds();
        let seats: Vec<String> = sold.iter().map(|(seat, _)| seat.clone()).collect();
        if let Err(e) = holds.mark_unsold(flight_id, &sold).await {
            // Redis shows them sold until its copy expires; Postgres is right.
            tracing::warn!(error = %e, flight_id, "could not mark released seats unsold");
        }
        if let Err(e) = holds.release(FlightId(flight_id), UserId(user_id), &seats).await {
            tracing::warn!(error = %e, flight_id, "could not clear holds of released seats");
        }
        invalidate_searches(svc, flight_id).await;
    }
}

/// The schedule's expiry sweep; returns how many bookings expired.
pub async fn expire_unpaid_bookings(svc: &Services) -> Result<usize, ApiError> {
    let announce = |booking: i64, user: i64, pnr: &str| {
        let notification = Notification::new(
            user,
            NotificationKind::BookingExpired,
            format!("Booking {pnr} expired"),
            format!("Booking {pnr} was not paid in time and has expired; its seats are released."),
        );
        (serde_json::to_value(&notification).unwrap_or_default(), format!("booking-expired:{booking}"))
    };
    let (released, outgoing) = PgBookings::new(&svc.db).expire_due(announce).await?;
    outgoing.send(&svc.outbox()).await;
    Ok(after_closing(svc, released).await)
}

/// The airline cancelled the flight: its unpaid bookings can never be paid,
/// so they are closed, with nothing charged and every seat they held on
/// other flights freed. Returns how many were closed; repeating it closes
/// none twice.
pub async fn close_unpaid_on_cancelled_flight(svc: &Services, flight_id: i64) -> Result<usize, ApiError> {
    let announce = |booking: i64, user: i64, pnr: &str| {
        let notification = Notification::new(
            user,
            NotificationKind::FlightCancelled,
            format!("Booking {pnr} closed: flight cancelled"),
            format!(
                "A flight on booking {pnr} was cancelled by the airline before you paid. The booking is closed, \
                 nothing was charged and its seats are released; search again to book another flight."
            ),
        );
        (serde_json::to_value(&notification).unwrap_or_default(), format!("flight-cancelled:{flight_id}:{booking}"))
    };
    let (released, outgoing) = PgBookings::new(&svc.db).close_unpaid_on_flight(flight_id, announce).await?;
    outgoing.send(&svc.outbox()).await;
    Ok(after_closing(svc, released).await)
}

/// The schedule's backstop for airline cancellations: a paid booking on a
/// cancelled flight that its customer has not resolved by the flight's
/// departure time is cancelled with a full refund (no penalty: the airline
/// did not fly). Returns how many; overlapping runs refund each once (the
/// booking row is locked and must still be paid).
pub async fn refund_unresolved_on_cancelled_flights(svc: &Services) -> Result<usize, ApiError> {
    let mut refunded = 0;
    for (booking_id, user_id) in PgBookings::new(&svc.db).paid_on_gone_cancelled_flights(200).await? {
        let mut client = svc.db.get().await?;
        let mut committed = Outgoing::default();
        let cancelled = cancel_paid_in(PgBooks::begin(&mut client, &mut committed).await?, user_id, booking_id).await?;
        drop(client);
        committed.send(&svc.outbox()).await;
        if !cancelled.released.is_empty() || cancelled.refund > 0 {
            refunded += 1;
            tracing::info!(booking_id, refund = cancelled.refund, "refunded in full: its flight was cancelled");
        }
        after_release(svc, user_id, &cancelled.released).await;
    }
    Ok(refunded)
}

/// Redis and the search cache catch up with bookings closed in Postgres;
/// returns how many bookings there were.
async fn after_closing(svc: &Services, released: Vec<(i64, ReleasedSeat)>) -> usize {
    let mut per_user: BTreeMap<i64, Vec<ReleasedSeat>> = BTreeMap::new();
    let mut bookings = HashSet::new();
    for (user, seat) in released {
        bookings.insert(seat.booking_id);
        per_user.entry(user).or_default().push(seat);
    }
    for (user, seats) in per_user {
        after_release(svc, user, &seats).await;
    }
    bookings.len()
}

/// A paid booking cancelled: the seats it freed and what was refunded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaidCancellation {
    pub released: Vec<ReleasedSeat>,
    pub refund: i64,
}

/// Cancels a paid booking in full, whatever its fare (the schedule's refund
/// of a booking the airline left unflown): seats released, tickets voided,
/// and a (mock) refund of what was paid minus any refund already made, with its GST
/// credit note against the booking's invoice (when it has one), committed
/// with the customer's notification. A booking no longer paid (another
/// request changed it meanwhile) is left as it is, and nothing is freed.
pub async fn cancel_paid_in(
    mut books: impl CancellationBooks,
    user_id: i64,
    booking_id: i64,
) -> Result<PaidCancellation, ApiError> {
    let cancelled = cancel_paid_within(&mut books, user_id, booking_id).await?;
    if cancelled.changed {
        books.commit().await?;
    }
    Ok(cancelled.into())
}

/// [`cancel_paid_in`]'s changes, left for the caller to commit with its own
/// (a schedule change resolved by this refund).
pub(crate) struct UncommittedCancellation {
    pub released: Vec<ReleasedSeat>,
    pub refund: i64,
    /// False when the booking was not paid and nothing was written.
    pub changed: bool,
}

impl From<UncommittedCancellation> for PaidCancellation {
    fn from(c: UncommittedCancellation) -> Self {
        PaidCancellation { released: c.released, refund: c.refund }
    }
}

pub(crate) async fn cancel_paid_within(
    books: &mut impl CancellationBooks,
    user_id: i64,
    booking_id: i64,
) -> Result<UncommittedCancellation, ApiError> {
    let booking = match books.lock(booking_id).await? {
        Some(b) if b.user_id == user_id => b,
        _ => return Err(ApiError::not_found(format!("booking {booking_id} does not exist"))),
    };
    if booking.status != BookingStatus::Paid {
        return Ok(UncommittedCancellation { released: Vec::new(), refund: 0, changed: false });
    }
    books.mark_cancelled(booking_id).await?;
    let released = books.release_seats(booking_id).await?;
    books.void_tickets(booking_id).await?;
    let (payment_id, paid) = books
        .successful_payment(booking_id)
        .await?
        .ok_or_else(|| ApiError::internal(format!("paid booking {booking_id} has no payment")))?;
    let refund = paid - books.refunded_so_far(booking_id).await?;
    if refund > 0 && books.record_refund(booking_id, payment_id, refund, CANCELLATION).await? {
        credit_refund(books, booking_id, refund, CreditReason::Cancellation, Utc::now()).await?;
    }
    let money = Money::new(refund, &booking.currency);
    books
        .announce(&Notification::new(
            booking.user_id,
            NotificationKind::Refund,
            format!("Booking {} cancelled", booking.pnr),
            format!(
                "Booking {} is cancelled and its tickets voided. {} is refunded to your original payment method.",
                booking.pnr,
                money.formatted()
            ),
        ))
        .await?;
    Ok(UncommittedCancellation { released, refund, changed: true })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::invoice::compute_credit_note;
    use crate::service::fakes::{Ledger, Refund};
    use http::StatusCode;

    const USER: i64 = 1;
    const BOOKING: i64 = 5;
    const PAID: i64 = 600_000;

    fn paid() -> Ledger {
        Ledger::default().with_booking(BOOKING, USER, PAID, Utc::now()).paid(BOOKING, None)
    }

    #[tokio::test]
    async fn a_paid_booking_is_cancelled_its_seats_freed_its_tickets_voided_and_what_was_paid_refunded() {
        let mut ledger = paid();
        let cancelled = cancel_paid_in(ledger.books(), USER, BOOKING).await.unwrap();
        assert_eq!(cancelled.refund, PAID);
        assert_eq!(cancelled.released.len(), 1);
        assert_eq!(ledger.status(BOOKING), BookingStatus::Cancelled);
        assert!(!ledger.seats.contains_key(&BOOKING) && !ledger.tickets.contains_key(&BOOKING));
        let payment_id = ledger.payments[0].id;
        assert_eq!(
            ledger.refunds,
            vec![Refund { booking_id: BOOKING, payment_id, amount: PAID, reason: CANCELLATION.into() }]
        );
        assert_eq!(ledger.commits, 1);
        assert_eq!(ledger.notifications.len(), 1);
        assert_eq!(ledger.notifications[0].kind, NotificationKind::Refund);
        assert!(ledger.notifications[0].message.contains("₹6,000.00"), "{}", ledger.notifications[0].message);
    }

    #[tokio::test]
    async fn cashback_already_given_is_not_refunded_again() {
        let mut ledger = paid();
        let payment_id = ledger.payments[0].id;
        ledger.refunds.push(Refund { booking_id: BOOKING, payment_id, amount: 25_000, reason: "CASHBACK".into() });
        let cancelled = cancel_paid_in(ledger.books(), USER, BOOKING).await.unwrap();
        assert_eq!(cancelled.refund, PAID - 25_000);
        let refunded: i64 = ledger.refunds.iter().map(|r| r.amount).sum();
        assert_eq!(refunded, PAID, "never more than was paid");
    }

    #[tokio::test]
    async fn the_refund_of_an_invoiced_booking_is_credited_against_its_invoice_in_the_same_commit() {
        let mut ledger = paid().invoiced(BOOKING, Utc::now());
        cancel_paid_in(ledger.books(), USER, BOOKING).await.unwrap();
        assert_eq!(ledger.credit_notes.len(), 1);
        let (booking, note) = &ledger.credit_notes[0];
        let invoice = &ledger.invoices[&BOOKING];
        assert_eq!((*booking, note.credit_note_number.as_str()), (BOOKING, "CN/2026/000001"));
        assert_eq!(
            (note.invoice_number.as_str(), note.reason),
            (invoice.invoice_number.as_str(), CreditReason::Cancellation)
        );
        assert_eq!(note.credit_total, PAID, "the whole refund");
        assert_eq!(
            (note.taxable_value, note.total_tax),
            (invoice.taxable_value, invoice.total_tax),
            "mirrors the invoice"
        );
        assert_eq!(ledger.commits, 1);
    }

    #[tokio::test]
    async fn after_a_cashback_note_the_cancellation_credits_what_is_left() {
        let mut ledger = paid().invoiced(BOOKING, Utc::now());
        let payment_id = ledger.payments[0].id;
        ledger.refunds.push(Refund { booking_id: BOOKING, payment_id, amount: 25_000, reason: "CASHBACK".into() });
        let cashback =
            compute_credit_note(&ledger.invoices[&BOOKING], &[], &[], 25_000, CreditReason::Cashback, Utc::now());
        ledger.credit_notes.push((BOOKING, cashback));
        cancel_paid_in(ledger.books(), USER, BOOKING).await.unwrap();
        let credited: Vec<i64> = ledger.credit_notes.iter().map(|(_, n)| n.credit_total).collect();
        assert_eq!(credited, vec![25_000, PAID - 25_000]);
        let taxes: i64 = ledger.credit_notes.iter().map(|(_, n)| n.total_tax).sum();
        assert_eq!(taxes, ledger.invoices[&BOOKING].total_tax, "the invoice's GST credited exactly once");
    }

    #[tokio::test]
    async fn without_an_invoice_yet_the_refund_has_no_credit_note() {
        let mut ledger = paid();
        cancel_paid_in(ledger.books(), USER, BOOKING).await.unwrap();
        assert_eq!(ledger.refunds.len(), 1);
        assert!(ledger.credit_notes.is_empty());
    }

    #[tokio::test]
    async fn a_failed_cancellation_issues_no_credit_note() {
        let mut ledger = paid().invoiced(BOOKING, Utc::now());
        ledger.payments.clear();
        cancel_paid_in(ledger.books(), USER, BOOKING).await.unwrap_err();
        assert!(ledger.credit_notes.is_empty(), "rolled back with the rest");
    }

    #[tokio::test]
    async fn a_second_cancellation_frees_and_refunds_nothing() {
        let mut ledger = paid().invoiced(BOOKING, Utc::now());
        cancel_paid_in(ledger.books(), USER, BOOKING).await.unwrap();
        let again = cancel_paid_in(ledger.books(), USER, BOOKING).await.unwrap();
        assert_eq!(again, PaidCancellation { released: Vec::new(), refund: 0 });
        assert_eq!((ledger.refunds.len(), ledger.notifications.len(), ledger.commits), (1, 1, 1));
        assert_eq!(ledger.credit_notes.len(), 1, "nor credits anything twice");
    }

    #[tokio::test]
    async fn an_unpaid_booking_is_left_to_the_unpaid_path() {
        let mut ledger = Ledger::default().with_booking(BOOKING, USER, PAID, Utc::now());
        let untouched = cancel_paid_in(ledger.books(), USER, BOOKING).await.unwrap();
        assert_eq!(untouched.refund, 0);
        assert_eq!(ledger.status(BOOKING), BookingStatus::PendingPayment);
        assert_eq!(ledger.seats[&BOOKING].len(), 1);
        assert_eq!(ledger.commits, 0);
    }

    #[tokio::test]
    async fn another_customers_booking_does_not_exist_and_stays_paid() {
        let mut ledger = paid();
        let refused = cancel_paid_in(ledger.books(), USER + 1, BOOKING).await.unwrap_err();
        assert_eq!(refused.status(), StatusCode::NOT_FOUND);
        assert_eq!(ledger.status(BOOKING), BookingStatus::Paid);
        assert!(ledger.refunds.is_empty());
    }

    #[tokio::test]
    async fn a_paid_booking_without_its_payment_is_a_bug_and_changes_nothing() {
        let mut ledger = paid();
        ledger.payments.clear();
        let refused = cancel_paid_in(ledger.books(), USER, BOOKING).await.unwrap_err();
        assert_eq!(refused.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(ledger.status(BOOKING), BookingStatus::Paid, "rolled back");
        assert_eq!(ledger.seats[&BOOKING].len(), 1);
        assert_eq!(ledger.commits, 0);
    }
}
