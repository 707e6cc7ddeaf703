//! Cancelling a booking (unpaid: its seats go back; paid: also its tickets
//! are voided and what was paid is refunded) and the schedule's expiry of
//! unpaid ones. Freed seats are marked unsold in Redis and searches showing
//! their flights are dropped.

use super::{details, owned_booking, BookingDetails};
use crate::auth::caller::Caller;
use crate::domain::booking::BookingStatus;
use crate::domain::money::Money;
use crate::service::flights::invalidate_searches;
use crate::service::notifications::NotificationKind;
use crate::service::notifications::{self, Notification};
use crate::store::bookings::{release_seats, CancelOutcome, PgBookings, ReleasedSeat};
use crate::store::outbox::Outgoing;
use crate::store::payments::{lock_booking, record_refund, refunded_so_far, successful_payment};
use crate::store::tickets::void_for_booking;
use crate::ErrorCode;
use crate::{ApiError, Services};
use std::collections::{BTreeMap, HashSet};

/// A cancelled booking and what its cancellation refunded.
pub struct CancelledBooking {
    pub booking: BookingDetails,
    pub refund: Money,
}

pub async fn cancel_booking(svc: &Services, caller: &Caller, booking_id: i64) -> Result<CancelledBooking, ApiError> {
    match PgBookings::new(&svc.db).cancel_unpaid(booking_id, caller.user_id).await? {
        CancelOutcome::NotFound => return Err(ApiError::not_found(format!("booking {booking_id} does not exist"))),
        CancelOutcome::Expired => {
            return Err(ApiError::conflict(
                ErrorCode::BookingExpired,
                format!("booking {booking_id} has expired; its seats are released"),
            ))
        }
        CancelOutcome::Paid => {
            let (released, _refund) = cancel_paid(svc, caller, booking_id).await?;
            after_release(svc, caller.user_id, &released).await;
        }
        CancelOutcome::AlreadyCancelled => {}
        CancelOutcome::Cancelled { released } => after_release(svc, caller.user_id, &released).await,
    }
    let record = owned_booking(svc, caller, booking_id).await?;
    let refunded = crate::store::payments::refunded_for(&svc.db, booking_id, "CANCELLATION").await?;
    let refund = Money::new(refunded, &record.currency);
    Ok(CancelledBooking { booking: details(svc, record).await?, refund })
}

/// Seats freed in Postgres: they are not sold in Redis any more, any
/// leftover hold of the owner goes, and cached searches show the flight
/// again.
async fn after_release(svc: &Services, user_id: i64, released: &[ReleasedSeat]) {
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
        if let Err(e) = holds.release(flight_id, user_id, &seats).await {
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
    let mut per_user: BTreeMap<i64, Vec<ReleasedSeat>> = BTreeMap::new();
    let mut bookings = HashSet::new();
    for (user, seat) in released {
        bookings.insert(seat.booking_id);
        per_user.entry(user).or_default().push(seat);
    }
    for (user, seats) in per_user {
        after_release(svc, user, &seats).await;
    }
    Ok(bookings.len())
}

/// Cancels a paid booking: seats released, tickets voided, and a (mock)
/// refund of what was paid minus any cashback already given, in one
/// transaction with the customer's notification. Returns the released
/// seats and the refund.
pub async fn cancel_paid(
    svc: &Services,
    caller: &Caller,
    booking_id: i64,
) -> Result<(Vec<ReleasedSeat>, i64), ApiError> {
    let mut client = svc.db.get().await?;
    let tx = client.transaction().await?;
    let booking = match lock_booking(&tx, booking_id).await? {
        Some(b) if b.user_id == caller.user_id => b,
        _ => return Err(ApiError::not_found(format!("booking {booking_id} does not exist"))),
    };
    if booking.status != BookingStatus::Paid {
        // Another request changed it meanwhile; the caller re-reads it.
        return Ok((Vec::new(), 0));
    }
    tx.execute("UPDATE bookings SET status = 'CANCELLED', cancelled_at = now() WHERE id = $1", &[&booking_id]).await?;
    let released = release_seats(&tx, &[booking_id]).await?;
    void_for_booking(&tx, booking_id).await?;
    let (payment_id, paid) = successful_payment(&tx, booking_id)
        .await?
        .ok_or_else(|| ApiError::internal(format!("paid booking {booking_id} has no payment")))?;
    let refund = paid - refunded_so_far(&tx, booking_id).await?;
    if refund > 0 {
        record_refund(&tx, booking_id, payment_id, refund, "CANCELLATION").await?;
    }
    let money = Money::new(refund, &booking.currency);
    let notification = Notification::new(
        booking.user_id,
        NotificationKind::Refund,
        format!("Booking {} cancelled", booking.pnr),
        format!(
            "Booking {} is cancelled and its tickets voided. {} is refunded to your original payment method.",
            booking.pnr,
            money.formatted()
        ),
    );
    let mut outgoing = Outgoing::default();
    notifications::enqueue(&mut outgoing, &tx, &notification).await?;
    tx.commit().await?;
    drop(client);
    outgoing.send(&svc.outbox()).await;
    Ok((released, refund))
}
