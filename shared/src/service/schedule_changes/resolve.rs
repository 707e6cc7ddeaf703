//! Resolving a schedule change, once, by its customer: accept the new
//! times, rebook onto an alternative, or cancel with a full refund. Each is
//! one transaction over the locked booking and the locked change, which
//! must still be open: of two concurrent answers exactly one commits. The
//! transactions ([`accept_in`], [`refund_in`], [`rebook_in`]) run over
//! `ScheduleChangeBooks`, so their rules are unit tested in memory.

use super::{alternatives, change_details, Alternative, Route, ScheduleChangeDetails};
use crate::auth::caller::Caller;
use crate::domain::booking::BookingStatus;
use crate::domain::ids::{BookingId, FlightId, UserId};
use crate::domain::schedule_change::{Resolution, ScheduleChangeStatus};
use crate::domain::seating::Cabin;
use crate::service::bookings::inventory::{give_back, hold_for_booking, LiveSeats, SeatRequest};
use crate::service::bookings::{after_release, cancel_paid_within, details, owned_booking, BookingDetails};
use crate::service::books::{PgBooks, ScheduleChangeBooks};
use crate::service::notifications::{Notification, NotificationKind};
use crate::service::search::invalidate_searches;
use crate::service::seats::{seat_unavailable, seats_on_aircraft};
use crate::store::bookings::ReleasedSeat;
use crate::store::outbox::Outgoing;
use crate::store::payments::LockedBooking;
use crate::store::schedule_changes::{self, MoveSeatsError, ScheduleChangeRow};
use crate::ErrorCode;
use crate::{ApiError, Services};
use chrono::{DateTime, Utc};

/// `POST /api/schedule-changes/{id}/rebook`'s body.
#[derive(Clone, Debug, Default)]
pub struct RebookRequest {
    pub flight_id: i64,
    /// One per passenger on the retimed flight; empty: choose for me.
    pub seat_numbers: Vec<String>,
}

/// The change as resolved, and its booking now.
pub struct ResolvedChange {
    pub change: ScheduleChangeDetails,
    pub booking: BookingDetails,
}

pub async fn resolve_change(
    svc: &Services,
    caller: &Caller,
    change_id: i64,
    resolution: Resolution,
    rebook: Option<RebookRequest>,
) -> Result<ResolvedChange, ApiError> {
    let not_found = || ApiError::not_found(format!("schedule change {change_id} does not exist"));
    let change = schedule_changes::find(&svc.db.get().await?, change_id).await?.ok_or_else(not_found)?;
    // Another customer's change does not exist, as their bookings do not.
    let record = owned_booking(svc, caller, change.booking_id).await.map_err(|_| not_found())?;
    // Checked again under the locks; refused here, a rebook holds no seats.
    check_open(&change, record.status, resolution, Utc::now())?;
    match resolution {
        Resolution::Accept => accept(svc, caller.user_id, &change).await?,
        Resolution::Refund => refund(svc, caller.user_id, &change).await?,
        Resolution::Rebook => {
            let request = rebook.ok_or_else(|| ApiError::invalid_field("flightId", "is required"))?;
            rebook_onto(svc, caller.user_id, &change, request).await?
        }
    }
    let change = schedule_changes::find(&svc.db.get().await?, change_id).await?.ok_or_else(not_found)?;
    let record = owned_booking(svc, caller, change.booking_id).await?;
    Ok(ResolvedChange { change: change_details(svc, &record, change).await?, booking: details(svc, record).await? })
}

/// Still open, on a paid booking, before the flight leaves; and for
/// `accept`, not breaking a connection.
fn check_open(
    change: &ScheduleChangeRow,
    booking: BookingStatus,
    resolution: Resolution,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    if change.status != ScheduleChangeStatus::Open {
        return Err(ApiError::conflict(
            ErrorCode::ScheduleChangeResolved,
            format!("schedule change {} is already {}", change.id, change.status.as_str()),
        )
        .with("status", change.status.as_str()));
    }
    match booking {
        BookingStatus::Paid => {}
        BookingStatus::Cancelled => {
            return Err(ApiError::conflict(ErrorCode::BookingCancelled, "the booking is cancelled"))
        }
        _ => return Err(ApiError::conflict(ErrorCode::BookingNotPaid, "the booking is not paid")),
    }
    if change.new.0 <= now {
        return Err(ApiError::conflict(ErrorCode::FlightDeparted, "the flight has departed at its new time"));
    }
    if resolution == Resolution::Accept && !change.accept_allowed {
        return Err(ApiError::conflict(
            ErrorCode::AcceptNotAllowed,
            "the new times break a connection of this booking: rebook or take the refund",
        ));
    }
    Ok(())
}

/// The booking and the change, locked in that order (as every booking
/// transaction locks its booking first), and still resolvable.
async fn lock_open(
    books: &mut impl ScheduleChangeBooks,
    user_id: i64,
    (change_id, booking_id): (i64, i64),
    resolution: Resolution,
    now: DateTime<Utc>,
) -> Result<(LockedBooking, ScheduleChangeRow), ApiError> {
    let not_found = || ApiError::not_found(format!("schedule change {change_id} does not exist"));
    let booking = books.lock(booking_id).await?.filter(|b| b.user_id == user_id).ok_or_else(not_found)?;
    let change = books.lock_change(change_id).await?.filter(|c| c.booking_id == booking_id).ok_or_else(not_found)?;
    check_open(&change, booking.status, resolution, now)?;
    Ok((booking, change))
}

async fn accept(svc: &Services, user_id: i64, change: &ScheduleChangeRow) -> Result<(), ApiError> {
    let mut client = svc.db.get().await?;
    let mut committed = Outgoing::default();
    let books = PgBooks::begin(&mut client, &mut committed).await?;
    let accepted = accept_in(books, user_id, (change.id, change.booking_id), Utc::now()).await;
    drop(client);
    committed.send(&svc.outbox()).await;
    accepted
}

/// The customer keeps their seats at the new times: only a change that
/// breaks no connection of the booking may be accepted.
async fn accept_in(
    mut books: impl ScheduleChangeBooks,
    user_id: i64,
    (change_id, booking_id): (i64, i64),
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    let (booking, change) = lock_open(&mut books, user_id, (change_id, booking_id), Resolution::Accept, now).await?;
    books.resolve_change(change.id, ScheduleChangeStatus::Accepted, None).await?;
    books
        .announce(&Notification::new(
            user_id,
            NotificationKind::ScheduleChanged,
            format!("New times accepted on booking {}", booking.pnr),
            format!(
                "You keep your seats on flight {} at its new times; your tickets stay valid.",
                change.flight_number
            ),
        ))
        .await?;
    books.commit().await
}

async fn refund(svc: &Services, user_id: i64, change: &ScheduleChangeRow) -> Result<(), ApiError> {
    let mut client = svc.db.get().await?;
    let mut committed = Outgoing::default();
    let books = PgBooks::begin(&mut client, &mut committed).await?;
    let refunded = refund_in(books, user_id, (change.id, change.booking_id), Utc::now()).await;
    drop(client);
    committed.send(&svc.outbox()).await;
    after_release(svc, user_id, &refunded?).await;
    Ok(())
}

/// The booking cancelled with the cancellation's own steps: seats freed,
/// tickets voided, everything paid and not yet given back refunded (no
/// penalty, whatever the fare: the airline moved the flight; a cashback is
/// not refunded twice), its credit note; and the change resolved, in one
/// commit. The seats it freed.
async fn refund_in(
    mut books: impl ScheduleChangeBooks,
    user_id: i64,
    (change_id, booking_id): (i64, i64),
    now: DateTime<Utc>,
) -> Result<Vec<ReleasedSeat>, ApiError> {
    lock_open(&mut books, user_id, (change_id, booking_id), Resolution::Refund, now).await?;
    let cancelled = cancel_paid_within(&mut books, user_id, booking_id).await?;
    books.resolve_change(change_id, ScheduleChangeStatus::Refunded, None).await?;
    books.commit().await?;
    Ok(cancelled.released)
}

async fn rebook_onto(
    svc: &Services,
    user_id: i64,
    change: &ScheduleChangeRow,
    request: RebookRequest,
) -> Result<(), ApiError> {
    let route = Route::of(svc, change.flight_id).await?;
    let offered = alternatives(svc, change.booking_id, change, &route).await?;
    check_offered(&offered, request.flight_id)?;
    let facts = svc
        .flights
        .get(&svc.db, request.flight_id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("flight {} does not exist", request.flight_id)))?;
    let current = schedule_changes::seats_on(&svc.db.get().await?, change.booking_id, change.flight_id).await?;
    let cabin = current
        .first()
        .and_then(|s| Cabin::parse(&s.cabin))
        .ok_or_else(|| ApiError::conflict(ErrorCode::ScheduleChangeResolved, "no seats left to move"))?;
    let named = if request.seat_numbers.is_empty() {
        Vec::new()
    } else {
        let named = seats_on_aircraft(&facts, &request.seat_numbers)?;
        if named.len() != current.len() {
            return Err(ApiError::invalid_field(
                "seatNumbers",
                format!("give {} seat(s), one per passenger", current.len()),
            ));
        }
        if named.iter().any(|s| facts.plan.find(s).map(|seat| seat.cabin) != Some(cabin)) {
            return Err(ApiError::invalid_field("seatNumbers", format!("choose {cabin} seats, as booked")));
        }
        named
    };
    let ledger = LiveSeats { svc };
    let request = SeatRequest {
        flight_id: request.flight_id,
        plan: &facts.plan,
        named: &named,
        count: current.len(),
        cabin: Some(cabin),
        cap: svc.config.seat_hold_max_per_flight.max(current.len()),
    };
    let held = hold_for_booking(&ledger, user_id, request).await?;
    let positions: Vec<i32> = current.iter().map(|s| s.passenger_position).collect();
    let to = RebookMove {
        flight_id: held.flight_id,
        flight_number: &facts.leg.flight_number,
        seats: &held.seats,
        positions: &positions,
        slice: current[0].slice,
    };
    match move_in_transaction(svc, user_id, change, &to).await {
        Ok(released) => {
            let marked = svc
                .seat_holds()
                .mark_sold(FlightId(held.flight_id), UserId(user_id), BookingId(change.booking_id), &held.seats)
                .await;
            if let Err(e) = marked {
                tracing::warn!(error = %e, flight_id = held.flight_id, "could not mark seats sold in Redis; Postgres still guards them");
            }
            after_release(svc, user_id, &released).await;
            invalidate_searches(svc, held.flight_id).await;
            Ok(())
        }
        Err(e) => {
            give_back(&ledger, user_id, std::slice::from_ref(&held)).await;
            Err(e)
        }
    }
}

/// A rebooking goes only to a flight the change offers: the same route,
/// scheduled, with room for the party, connecting with the rest of the
/// trip (`super::alternatives`).
fn check_offered(offered: &[Alternative], flight_id: i64) -> Result<(), ApiError> {
    if offered.iter().any(|a| a.flight_id == flight_id) {
        return Ok(());
    }
    Err(ApiError::unprocessable(
        ErrorCode::NotAnAlternative,
        format!(
            "flight {flight_id} is not an alternative for this change (the same route, scheduled, with room for \
             your party, connecting with the rest of your trip)"
        ),
    )
    .with("alternatives", offered.iter().map(|a| a.flight_id).collect::<Vec<_>>()))
}

/// Where a rebooking moves the seats of the booking on the retimed flight.
struct RebookMove<'a> {
    flight_id: i64,
    flight_number: &'a str,
    /// Held for the customer; `seats[i]` is for the passenger at `positions[i]`.
    seats: &'a [String],
    positions: &'a [i32],
    /// The slice whose tickets are reissued.
    slice: i32,
}

async fn move_in_transaction(
    svc: &Services,
    user_id: i64,
    change: &ScheduleChangeRow,
    to: &RebookMove<'_>,
) -> Result<Vec<ReleasedSeat>, ApiError> {
    let mut client = svc.db.get().await?;
    let mut committed = Outgoing::default();
    let books = PgBooks::begin(&mut client, &mut committed).await?;
    let moved = rebook_in(books, user_id, (change.id, change.booking_id), to, Utc::now()).await;
    drop(client);
    committed.send(&svc.outbox()).await;
    moved
}

/// The move itself: the old seats freed, the held ones taken under the
/// booking's guards, the slice's tickets reissued, the change resolved and
/// the customer told, in one transaction. The seats it freed.
async fn rebook_in(
    mut books: impl ScheduleChangeBooks,
    user_id: i64,
    (change_id, booking_id): (i64, i64),
    to: &RebookMove<'_>,
    now: DateTime<Utc>,
) -> Result<Vec<ReleasedSeat>, ApiError> {
    let (booking, change) = lock_open(&mut books, user_id, (change_id, booking_id), Resolution::Rebook, now).await?;
    let flights = (change.flight_id, to.flight_id);
    let released = books.move_seats(booking.id, flights, to.positions, to.seats).await.map_err(|e| match e {
        MoveSeatsError::SeatTaken(_) => seat_unavailable(to.flight_id, to.seats),
        MoveSeatsError::SoldOut => ApiError::conflict(ErrorCode::SoldOut, "the cabin sold out meanwhile"),
        MoveSeatsError::FlightNotBookable => {
            ApiError::conflict(ErrorCode::FlightNotBookable, format!("flight {} can no longer be booked", to.flight_id))
        }
        MoveSeatsError::NothingToMove => {
            ApiError::conflict(ErrorCode::ScheduleChangeResolved, "the booking has no seats left on the flight")
        }
        MoveSeatsError::Store(e) => e.into(),
    })?;
    let reissued = books.reissue_tickets(booking.id, to.slice).await?;
    books.resolve_change(change.id, ScheduleChangeStatus::Rebooked, Some(to.flight_id)).await?;
    let tickets = if reissued > 0 { format!(" {reissued} new ticket(s) replace the old ones.") } else { String::new() };
    books
        .announce(&Notification::new(
            user_id,
            NotificationKind::ScheduleChanged,
            format!("Booking {} moved to another flight", booking.pnr),
            format!(
                "Your seats on flight {} moved to flight {} (seats {}), at no extra cost.{tickets}",
                change.flight_number,
                to.flight_number,
                to.seats.join(", ")
            ),
        ))
        .await?;
    books.commit().await?;
    Ok(released)
}

#[cfg(test)]
#[path = "resolve_tests.rs"]
mod tests;
