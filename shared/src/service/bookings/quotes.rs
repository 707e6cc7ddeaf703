//! Cancellation by fare rules, quote then confirm. A quote says what
//! cancelling some (or all) of a booking refunds and keeps
//! (`domain::cancellation`); it is stored for a quarter of an hour and
//! confirming it executes exactly that, in one transaction over the locked
//! booking ([`confirm_in`], over `QuoteBooks`), once.

use super::cancel::after_release;
use crate::auth::caller::Caller;
use crate::domain::booking::BookingStatus;
use crate::domain::cancellation::{quote, QuoteRefusal, ScopeRequest};
use crate::domain::invoice::CreditReason;
use crate::domain::money::Money;
use crate::service::books::{PgBooks, QuoteBooks, QuoteConfirmation};
use crate::service::credit_notes::credit_refund;
use crate::service::notifications::{Notification, NotificationKind};
use crate::store::bookings::ReleasedSeat;
use crate::store::cancellation_quotes::{self, QuoteStatus, StoredQuote};
use crate::store::outbox::Outgoing;
use crate::ErrorCode;
use crate::{ApiError, Services};
use chrono::{DateTime, Duration, Utc};

/// How long a quote can be confirmed: long enough to read it, short enough
/// that the flights it priced have not moved.
pub const QUOTE_VALIDITY: Duration = Duration::minutes(15);

/// Quotes cancelling `scope` of the caller's booking and stores the quote.
pub async fn create_quote(
    svc: &Services,
    caller: &Caller,
    booking_id: i64,
    scope: &ScopeRequest,
) -> Result<StoredQuote, ApiError> {
    let facts = cancellation_quotes::facts(&svc.db.get().await?, booking_id).await?;
    let facts = match facts {
        Some(facts) if facts.user_id == caller.user_id => facts,
        _ => return Err(ApiError::not_found(format!("booking {booking_id} does not exist"))),
    };
    let now = Utc::now();
    let computed = quote(&facts, scope, now).map_err(|refusal| refused(booking_id, scope, refusal))?;
    Ok(cancellation_quotes::insert(&svc.db, &facts, &computed, now, now + QUOTE_VALIDITY).await?)
}

fn refused(booking_id: i64, scope: &ScopeRequest, refusal: QuoteRefusal) -> ApiError {
    let invalid = |field: &str, detail: String| {
        ApiError::unprocessable(ErrorCode::CancellationScopeInvalid, format!("{field}: {detail}")).with("field", field)
    };
    match refusal {
        QuoteRefusal::UnknownPassenger(p) => {
            invalid("passengers", format!("booking {booking_id} has no passenger {p}"))
        }
        QuoteRefusal::UnknownSlice(s) => invalid("slices", format!("booking {booking_id} has no slice {s}")),
        QuoteRefusal::InfantLeftBehind { adult, infant } => invalid(
            "passengers",
            format!("passenger {adult} travels with infant {infant} on their lap: include {infant} as well"),
        ),
        QuoteRefusal::InfantWithoutAdult { infant, adult } => invalid(
            "passengers",
            format!("infant {infant} travels on the lap of passenger {adult}: it is cancelled with {adult}"),
        ),
        QuoteRefusal::PartOfUnpaid => invalid(
            if scope.passengers.is_some() { "passengers" } else { "slices" },
            format!("booking {booking_id} is not paid: it is cancelled whole (send {{}})"),
        ),
        QuoteRefusal::Closed(BookingStatus::Expired) => {
            ApiError::conflict(ErrorCode::BookingExpired, format!("booking {booking_id} has expired"))
        }
        QuoteRefusal::Closed(_) => {
            ApiError::conflict(ErrorCode::BookingCancelled, format!("booking {booking_id} is cancelled already"))
        }
        QuoteRefusal::NothingToCancel => ApiError::conflict(
            ErrorCode::NothingToCancel,
            format!("what was asked of booking {booking_id} is cancelled already"),
        ),
    }
}

/// A confirmed quote: as it is now stored, and what it freed.
#[derive(Debug, Clone)]
pub struct ConfirmedCancellation {
    pub quote: StoredQuote,
    pub booking_status: BookingStatus,
    pub released: Vec<ReleasedSeat>,
    /// An earlier confirmation with the same `Idempotency-Key`, answered again.
    pub replayed: bool,
}

/// Confirms the caller's quote (see [`confirm_in`]); Redis and cached
/// searches catch up with the seats it freed.
pub async fn confirm_quote(
    svc: &Services,
    caller: &Caller,
    quote_id: i64,
    idempotency_key: Option<&str>,
) -> Result<ConfirmedCancellation, ApiError> {
    // What the fare keeps is revenue a GST invoice must show: a paid
    // booking is ticketed and invoiced (as the queue would do moments
    // later) before any of it is refunded, so the refund is a credit note
    // against that invoice and the penalty stays on it.
    if let Some(booking_id) = crate::store::cancellation_quotes::booking_of(&svc.db, quote_id, caller.user_id).await? {
        crate::service::tickets::issue_tickets(svc, booking_id).await?;
    }
    let mut client = svc.db.get().await?;
    let mut committed = Outgoing::default();
    let books = PgBooks::begin(&mut client, &mut committed).await?;
    let confirmed = confirm_in(books, caller.user_id, quote_id, idempotency_key, Utc::now()).await;
    drop(client);
    committed.send(&svc.outbox()).await;
    let confirmed = confirmed?;
    after_release(svc, caller.user_id, &confirmed.released).await;
    Ok(confirmed)
}

/// Executes a quote of `user_id`'s, once, while it is valid and the booking
/// is still what it was quoted from (a quote computed again now is the same
/// quote: the same seats live, nothing refunded since, the flights where
/// they were): the chosen seats freed, their tickets voided, the refund
/// recorded with its credit note, the booking cancelled when no seat is
/// left (an unpaid one, whole, with its promo use given back), and the
/// customer told, all in one commit. A confirmed quote is confirmed again
/// only by a retry with its `Idempotency-Key`, which changes nothing.
pub async fn confirm_in(
    mut books: impl QuoteBooks,
    user_id: i64,
    quote_id: i64,
    idempotency_key: Option<&str>,
    now: DateTime<Utc>,
) -> Result<ConfirmedCancellation, ApiError> {
    let missing = || ApiError::not_found(format!("cancellation quote {quote_id} does not exist"));
    // The quote first, then its booking: every confirmation locks in this
    // order, so two of one quote queue on the quote.
    let stored = match books.quote(quote_id).await? {
        Some(stored) if stored.user_id == user_id => stored,
        _ => return Err(missing()),
    };
    let booking_id = stored.booking_id;
    let booking = books.lock(booking_id).await?.ok_or_else(missing)?;
    if stored.status == QuoteStatus::Confirmed {
        let same_key = idempotency_key.is_some() && idempotency_key == stored.confirm_idempotency_key.as_deref();
        if same_key {
            return Ok(ConfirmedCancellation {
                quote: stored,
                booking_status: booking.status,
                released: Vec::new(),
                replayed: true,
            });
        }
        return Err(ApiError::conflict(
            ErrorCode::QuoteAlreadyConfirmed,
            format!("cancellation quote {quote_id} is confirmed already"),
        ));
    }
    if now >= stored.expires_at {
        return Err(ApiError::conflict(
            ErrorCode::QuoteExpired,
            format!("cancellation quote {quote_id} expired at {}; ask for a new one", stored.expires_at.to_rfc3339()),
        )
        .with("expiresAt", stored.expires_at.to_rfc3339()));
    }
    let facts = books.quote_facts(booking_id).await?.ok_or_else(missing)?;
    let quoted = &stored.quote;
    if quote(&facts, &quoted.scope(), now).as_ref() != Ok(quoted) {
        return Err(ApiError::conflict(
            ErrorCode::QuoteStale,
            format!("booking {booking_id} changed since cancellation quote {quote_id}; ask for a new one"),
        ));
    }

    let released = books.release_chosen(booking_id, &quoted.seats).await?;
    let mut refund_id = None;
    if booking.status == BookingStatus::Paid {
        books.void_chosen(booking_id, &quoted.legs).await?;
        if quoted.refund > 0 {
            let (payment_id, _) = books
                .successful_payment(booking_id)
                .await?
                .ok_or_else(|| ApiError::internal(format!("paid booking {booking_id} has no payment")))?;
            refund_id = Some(books.record_quote_refund(booking_id, payment_id, quoted.refund, quote_id).await?);
            credit_refund(&mut books, booking_id, quoted.refund, CreditReason::Cancellation, now).await?;
        }
    } else {
        books.give_back_promo(booking_id).await?;
    }
    if quoted.closes_booking {
        books.mark_cancelled(booking_id).await?;
    }
    let confirmation = QuoteConfirmation { idempotency_key, refund_id, closed_booking: quoted.closes_booking };
    let confirmed_at = books.confirm_quote(quote_id, confirmation).await?;
    books.announce(&notification(&booking.pnr, booking.user_id, booking.status, &stored)).await?;
    books.commit().await?;

    let booking_status = if quoted.closes_booking { BookingStatus::Cancelled } else { booking.status };
    let quote = StoredQuote {
        status: QuoteStatus::Confirmed,
        confirmed_at: Some(confirmed_at),
        confirm_idempotency_key: idempotency_key.map(str::to_string),
        refund_id,
        closed_booking: Some(quoted.closes_booking),
        ..stored
    };
    Ok(ConfirmedCancellation { quote, booking_status, released, replayed: false })
}

fn notification(pnr: &str, user_id: i64, status: BookingStatus, stored: &StoredQuote) -> Notification {
    let quoted = &stored.quote;
    let refund = Money::new(quoted.refund, &stored.currency).formatted();
    let (subject, message) = if status != BookingStatus::Paid {
        (
            format!("Booking {pnr} cancelled"),
            format!("Booking {pnr} is cancelled; nothing was charged and its seats are released."),
        )
    } else if quoted.closes_booking {
        (
            format!("Booking {pnr} cancelled"),
            format!(
                "Booking {pnr} is cancelled and its tickets voided. {refund} is refunded to your original payment method."
            ),
        )
    } else {
        let names: Vec<&str> = quoted.per_passenger.iter().map(|p| p.name.as_str()).collect();
        let slices: Vec<String> = quoted.slices.iter().map(i32::to_string).collect();
        (
            format!("Booking {pnr} partly cancelled"),
            format!(
                "On booking {pnr}, {} cancelled on slice {} and the tickets voided. {refund} is refunded to your \
                 original payment method; the rest of the booking stands.",
                names.join(", "),
                slices.join(", ")
            ),
        )
    };
    Notification::new(user_id, NotificationKind::Refund, subject, message)
}

/// The original `POST /api/bookings/{id}/cancel` of a paid booking: a quote
/// of all of it, confirmed at once. `None` when someone else cancelled it
/// meanwhile; otherwise what it refunded.
pub(super) async fn cancel_whole(svc: &Services, caller: &Caller, booking_id: i64) -> Result<Option<i64>, ApiError> {
    // A quote goes stale only when the booking changed between the two
    // steps (a concurrent cancel, a cashback): look again.
    for _ in 0..3 {
        let stored = match create_quote(svc, caller, booking_id, &ScopeRequest::default()).await {
            Ok(stored) => stored,
            Err(e) if matches!(e.error_code(), ErrorCode::NothingToCancel | ErrorCode::BookingCancelled) => {
                return Ok(None)
            }
            Err(e) => return Err(e),
        };
        match confirm_quote(svc, caller, stored.id, None).await {
            Ok(confirmed) => return Ok(Some(confirmed.quote.quote.refund)),
            Err(e) if e.error_code() == ErrorCode::QuoteStale => continue,
            Err(e) => return Err(e),
        }
    }
    Err(ApiError::conflict(ErrorCode::QuoteStale, format!("booking {booking_id} kept changing; try again")))
}

#[cfg(test)]
#[allow(clippy::inconsistent_digit_grouping)] // paise as rupees_paise
#[path = "quotes_tests.rs"]
mod tests;
