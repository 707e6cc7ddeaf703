//! Confirming a change quote: [`confirm_change_in`] decides and writes, over
//! `ChangeBooks` (Postgres in one transaction, or the in-memory books of
//! the unit tests); [`confirm_change`] runs it on Postgres and brings Redis
//! and the cached searches up to date after the commit.

use super::{not_changeable, ConfirmedChange};
use crate::auth::caller::Caller;
use crate::domain::booking::BookingStatus;
use crate::domain::ids::{BookingId, FlightId, UserId};
use crate::domain::invoice::{compute_debit_note, CreditReason};
use crate::domain::payment::{decide, GatewayDecision, PaymentMethod};
use crate::service::bookings::{details, owned_booking};
use crate::service::books::{ChangeBooks, PgBooks};
use crate::service::credit_notes::credit_refund;
use crate::service::notifications::{Notification, NotificationKind};
use crate::service::search::invalidate_searches;
use crate::store::changes::{self, ChangePayment, ChangeQuoteRow, MoveError, MovedSeat};
use crate::store::outbox::Outgoing;
use crate::store::payments::LockedBooking;
use crate::ErrorCode;
use crate::{ApiError, Services};
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;

/// Confirms the caller's change quote (see [`confirm_change_in`]); Redis
/// and cached searches follow the seats it moved.
pub async fn confirm_change(
    svc: &Services,
    caller: &Caller,
    quote_id: i64,
    method: PaymentMethod,
) -> Result<ConfirmedChange, ApiError> {
    let missing = || ApiError::not_found(format!("change quote {quote_id} does not exist"));
    // Read unlocked first: the booking's lock is taken before the quote's.
    let quote =
        changes::find_quote(&svc.db, quote_id).await?.filter(|q| q.user_id == caller.user_id).ok_or_else(missing)?;
    let mut client = svc.db.get().await?;
    let mut committed = Outgoing::default();
    let books = PgBooks::begin(&mut client, &mut committed).await?;
    let confirmed = confirm_change_in(books, caller.user_id, quote.booking_id, quote_id, &method, Utc::now()).await;
    drop(client);
    committed.send(&svc.outbox()).await;
    let confirmed = confirmed?;
    after_move(svc, caller.user_id, quote.booking_id, &confirmed.moved).await;
    let quote = changes::find_quote(&svc.db, quote_id).await?.ok_or_else(missing)?;
    let record = owned_booking(svc, caller, quote.booking_id).await?;
    Ok(ConfirmedChange { quote, booking: details(svc, record).await?, document: confirmed.document })
}

/// What a confirmed change did in its transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ChangeConfirmation {
    /// The seats the slice freed (`live` false) and took.
    moved: Vec<MovedSeat>,
    /// The debit note (a charge) or credit note (a refund) issued, by number.
    document: Option<String>,
}

/// Carries out `user_id`'s quote of a change of `booking_id`, once, while it
/// is unexpired, the booking still paid and the slice still on the seats
/// it was quoted from: a positive total charged (a declined charge is
/// recorded and committed alone, leaving the quote confirmable), the slice
/// moved, its tickets reissued, a debit note for the charge or a refund of
/// a negative total (never more than is left of what was paid) with its
/// credit note, the quote marked confirmed and the customer told, in one
/// commit. A second confirm is refused: a retry's replay under its
/// `Idempotency-Key` is answered before this runs (`http::idempotency`).
async fn confirm_change_in(
    mut books: impl ChangeBooks,
    user_id: i64,
    booking_id: i64,
    quote_id: i64,
    method: &PaymentMethod,
    now: DateTime<Utc>,
) -> Result<ChangeConfirmation, ApiError> {
    let missing = || ApiError::not_found(format!("change quote {quote_id} does not exist"));
    // The booking first, then its quote: every confirm locks them in this
    // order, so two confirms of one quote queue on the booking.
    let booking = books.lock(booking_id).await?.ok_or_else(missing)?;
    let quote = books
        .lock_change_quote(quote_id)
        .await?
        .filter(|q| q.user_id == user_id && q.booking_id == booking_id)
        .ok_or_else(missing)?;
    if quote.confirmed {
        return Err(ApiError::conflict(
            ErrorCode::QuoteAlreadyConfirmed,
            format!("change quote {quote_id} is confirmed already"),
        ));
    }
    if quote.expires_at <= now {
        return Err(ApiError::conflict(
            ErrorCode::QuoteExpired,
            format!("change quote {quote_id} expired; ask for a new one"),
        ));
    }
    if booking.status != BookingStatus::Paid {
        return Err(not_changeable(booking.id, "it is not paid any more"));
    }
    if books.live_seats_of_slice(booking.id, quote.slice).await? != quote.replaced_seats {
        return Err(ApiError::conflict(
            ErrorCode::QuoteStale,
            format!("booking {} changed since change quote {quote_id}; ask for a new one", booking.id),
        ));
    }
    if quote.total_due > 0 {
        let payment = |reference, decline_code| change_payment(&booking, &quote, method, reference, decline_code);
        match decide(method) {
            GatewayDecision::ProcessingError => {
                return Err(ApiError::unavailable(
                    "payment gateway",
                    "the gateway could not process the payment; nothing was charged",
                ))
            }
            GatewayDecision::Declined { code, message } => {
                // The attempt is on record; nothing else of the change is.
                let reference = format!("dec_{}", &uuid::Uuid::new_v4().simple().to_string()[..20]);
                books.record_change_payment(&payment(&reference, Some(code))).await?;
                books.commit().await?;
                return Err(ApiError::PaymentRequired {
                    code: ErrorCode::PaymentDeclined,
                    detail: format!("{message} The change quote can still be confirmed until it expires."),
                    extensions: Default::default(),
                }
                .with("declineCode", code));
            }
            GatewayDecision::Approved { reference } => {
                books.record_change_payment(&payment(&reference, None)).await?;
            }
        }
    }
    let moved = books.move_slice(booking.id, quote.slice, &quote.legs).await.map_err(moved_refused)?;
    let replaced_tickets = books.reissue_changed_tickets(booking.id, quote.slice).await?;
    let mut document = None;
    if quote.total_due > 0 {
        let invoice =
            books.issued_invoice(booking.id).await?.ok_or_else(|| not_changeable(booking.id, "no invoice"))?;
        let changed: Vec<bool> = invoice.lines.iter().map(|l| replaced_tickets.contains(&l.ticket_number)).collect();
        let note = compute_debit_note(
            &invoice,
            &changed,
            quote.total_due,
            format!("Change of slice {}: fare difference and change fee", quote.slice),
            now,
        );
        document = Some(books.issue_debit_note(booking.id, quote_id, note).await?.debit_note_number);
    } else if quote.total_due < 0 {
        let (payment_id, paid) =
            books.successful_payment(booking.id).await?.ok_or_else(|| not_changeable(booking.id, "no payment"))?;
        let refund = (-quote.total_due).min(paid - books.refunded_so_far(booking.id).await?);
        if refund > 0 {
            books.record_change_refund(booking.id, payment_id, quote_id, refund).await?;
            document = credit_refund(&mut books, booking.id, refund, CreditReason::Change, now)
                .await?
                .map(|note| note.credit_note_number);
        }
    }
    books.mark_change_confirmed(quote_id).await?;
    books
        .announce(&Notification::new(
            booking.user_id,
            NotificationKind::BookingChanged,
            format!("Booking {} changed", booking.pnr),
            format!(
                "Slice {} of booking {} is on its new flights; its tickets are reissued.",
                quote.slice, booking.pnr
            ),
        ))
        .await?;
    books.commit().await?;
    Ok(ChangeConfirmation { moved, document })
}

fn moved_refused(error: MoveError) -> ApiError {
    match error {
        MoveError::SeatTaken => ApiError::conflict(
            ErrorCode::SeatUnavailable,
            "a seat of the change was taken after its hold ran out; ask for a new quote",
        ),
        MoveError::SoldOut => {
            ApiError::conflict(ErrorCode::SoldOut, "a new flight's cabin sold out; ask for a new quote")
        }
        MoveError::FlightNotBookable(id) => {
            ApiError::conflict(ErrorCode::FlightNotBookable, format!("flight {id} can no longer be booked"))
        }
        MoveError::FareChanged(id) => ApiError::conflict(
            ErrorCode::QuoteStale,
            format!("a fare of flight {id} changed since the quote; ask for a new one"),
        ),
        MoveError::Store(e) => e.into(),
    }
}

/// The change's charge (or its declined attempt) as recorded.
fn change_payment<'a>(
    booking: &'a LockedBooking,
    quote: &ChangeQuoteRow,
    method: &PaymentMethod,
    reference: &'a str,
    decline_code: Option<&'a str>,
) -> ChangePayment<'a> {
    ChangePayment {
        booking_id: booking.id,
        user_id: booking.user_id,
        quote_id: quote.id,
        amount: quote.total_due,
        currency: &booking.currency,
        method: method.kind(),
        card_last4: method.card_last4(),
        reference,
        decline_code,
    }
}

/// Redis and cached searches follow the move: the old seats are free, the
/// new ones sold (and no longer held).
async fn after_move(svc: &Services, user_id: i64, booking_id: i64, moved: &[MovedSeat]) {
    let mut per_flight: BTreeMap<(i64, bool), Vec<String>> = BTreeMap::new();
    for seat in moved {
        per_flight.entry((seat.flight_id, seat.live)).or_default().push(seat.seat.clone());
    }
    let holds = svc.seat_holds();
    for ((flight_id, live), seats) in per_flight {
        let outcome = if live {
            holds.mark_sold(FlightId(flight_id), UserId(user_id), BookingId(booking_id), &seats).await
        } else {
            let sold: Vec<(String, i64)> = seats.iter().map(|s| (s.clone(), booking_id)).collect();
            holds.mark_unsold(flight_id, &sold).await
        };
        if let Err(e) = outcome {
            tracing::warn!(error = %e, flight_id, "could not update seats in Redis after a change; Postgres is right");
        }
        invalidate_searches(svc, flight_id).await;
    }
}

#[cfg(test)]
#[allow(clippy::inconsistent_digit_grouping)] // paise as rupees_paise
#[path = "confirm_tests.rs"]
mod tests;
