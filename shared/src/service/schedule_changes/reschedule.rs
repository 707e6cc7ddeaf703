//! `POST /api/admin/flights/{id}/reschedule`: the flight's new times, and in
//! the same transaction a schedule change for each paid booking on it and a
//! notification to every affected customer.

use super::{journey_legs, Route};
use crate::auth::caller::Caller;
use crate::domain::booking::BookingStatus;
use crate::domain::booking_plan::LegTimes;
use crate::domain::money::Money;
use crate::domain::schedule_change::journey_with;
use crate::service::flights::{flight_view, FlightDetails};
use crate::service::notifications::{Notification, NotificationKind};
use crate::service::search::invalidate_searches;
use crate::store::flights::Directory;
use crate::store::outbox::{Destination, Outgoing};
use crate::store::schedule_changes::{self, BookingOnFlight, RetimeOutcome, Times};
use crate::ErrorCode;
use crate::{ApiError, Services};
use chrono::Utc;
use deadpool_postgres::Transaction;

/// A retimed flight (or one that already had these times), and what that did.
#[derive(Clone, Debug, PartialEq)]
pub struct RescheduledFlight {
    pub flight: FlightDetails,
    /// Cached searches dropped because they contained the flight.
    pub invalidated_searches: usize,
    /// Live bookings on the flight (paid and unpaid), whose holders were told.
    pub affected_bookings: usize,
    /// Schedule changes announcing these times (one per paid booking).
    pub schedule_changes: usize,
}

pub async fn reschedule_flight(
    svc: &Services,
    caller: &Caller,
    flight_id: i64,
    new: Times,
) -> Result<RescheduledFlight, ApiError> {
    caller.ensure_admin()?;
    if new.1 <= new.0 {
        return Err(ApiError::invalid_field("arrivalTime", "must be after departureTime"));
    }
    if new.0 <= Utc::now() {
        return Err(ApiError::bad_request(ErrorCode::DateInPast, "departureTime must be in the future"));
    }
    // Read before the transaction: nothing below takes a second connection.
    let directory = svc.directory.get(&svc.db, &[]).await?;
    let mut client = svc.db.get().await?;
    let tx = client.transaction().await?;
    let mut outgoing = Outgoing::default();
    schedule_changes::lock_bookings_on(&tx, flight_id).await?;
    let (affected, retimed) = match schedule_changes::retime_flight(&tx, flight_id, new).await? {
        RetimeOutcome::NotFound => return Err(ApiError::not_found(format!("flight {flight_id} does not exist"))),
        RetimeOutcome::Cancelled => {
            return Err(ApiError::conflict(ErrorCode::FlightCancelled, format!("flight {flight_id} is cancelled")))
        }
        RetimeOutcome::Departed => {
            return Err(ApiError::conflict(
                ErrorCode::FlightDeparted,
                format!("flight {flight_id} has already departed"),
            ))
        }
        RetimeOutcome::NumberTaken => {
            return Err(ApiError::conflict(
                ErrorCode::FlightNumberTaken,
                "another flight with this number departs at that time",
            ))
        }
        // The same times again: nothing changes, no change is opened twice.
        RetimeOutcome::Unchanged => (schedule_changes::live_bookings_on(&tx, flight_id).await?.len(), false),
        RetimeOutcome::Retimed { previous } => {
            let bookings = schedule_changes::live_bookings_on(&tx, flight_id).await?;
            for booking in &bookings {
                announce(&tx, &directory, &mut outgoing, booking, flight_id, previous, new).await?;
            }
            (bookings.len(), true)
        }
    };
    let changes = schedule_changes::count_for(&tx, flight_id, new).await? as usize;
    tx.commit().await?;
    drop(client);
    outgoing.send(&svc.outbox()).await;
    // This instance's copy of the flight goes now; the others' follow the
    // schedule revision (V5) and the catalog's age. Invalidate on a repeat
    // too: a previous attempt may have committed and then failed here.
    svc.flights.forget(flight_id);
    let dropped = invalidate_searches(svc, flight_id).await;
    if retimed {
        tracing::info!(flight_id, admin = caller.user_id, affected, changes, "flight rescheduled");
    }
    Ok(RescheduledFlight {
        flight: flight_view(svc, flight_id).await?,
        invalidated_searches: dropped,
        affected_bookings: affected,
        schedule_changes: changes,
    })
}

/// A paid booking gets its schedule change (accept allowed only when its
/// journey still connects) and is told its options; an unpaid one is told
/// the new times.
async fn announce(
    tx: &Transaction<'_>,
    directory: &Directory,
    outgoing: &mut Outgoing,
    booking: &BookingOnFlight,
    flight_id: i64,
    previous: Times,
    new: Times,
) -> Result<(), ApiError> {
    // Read in this transaction: the flight's new times are the journey's.
    let journey = schedule_changes::journey_of(tx, booking.booking_id).await?;
    // A change or cancellation committed since the list was read moved the
    // booking off the flight: the retime is not its concern any more.
    let Some(retimed) = journey.iter().find(|l| l.flight_id == flight_id) else {
        return Ok(());
    };
    let when = Route::new(&retimed.origin, &retimed.destination, directory).local(new);
    let times = format!("now departs {} and arrives {}", when.departs.to_rfc3339(), when.arrives.to_rfc3339());
    let pnr = &booking.pnr;
    let (message, dedup) = if booking.status == BookingStatus::Paid {
        let slices = journey_legs(&journey, directory);
        let leg = LegTimes {
            flight_id,
            origin: &retimed.origin,
            destination: &retimed.destination,
            departs_at: new.0,
            arrives_at: new.1,
        };
        let accept_allowed = journey_with(&slices, flight_id, &leg).is_ok();
        let change_id =
            schedule_changes::open(tx, booking.booking_id, flight_id, previous, new, accept_allowed).await?;
        let (refundable, currency) = schedule_changes::refundable(tx, booking.booking_id).await?;
        let refund = Money::new(refundable, &currency).formatted();
        let accept = if accept_allowed {
            "accept the new times; "
        } else {
            "(the new times break a connection of your trip, so they cannot simply be accepted) "
        };
        (
            format!(
                "Flight {} on booking {pnr} {times}. Schedule change {change_id}, your options: {accept}move to \
                 another flight on the route at no extra cost; or cancel for a full refund of {refund}. \
                 See /api/bookings/{}/schedule-changes.",
                retimed.flight_number, booking.booking_id
            ),
            format!("schedule-change:{change_id}:{}:{}", new.0.timestamp(), new.1.timestamp()),
        )
    } else {
        (
            format!(
                "A flight on booking {pnr} {times}. The booking is not paid yet: pay to keep it at the new \
                 times, or cancel it at no cost."
            ),
            format!("flight-retimed:{flight_id}:{}:{}:{}", booking.booking_id, new.0.timestamp(), new.1.timestamp()),
        )
    };
    let notification = Notification::new(
        booking.user_id,
        NotificationKind::ScheduleChanged,
        format!("Schedule change on booking {pnr}"),
        message,
    );
    let payload = serde_json::to_value(&notification).map_err(ApiError::internal)?;
    outgoing.enqueue(tx, Destination::Notifications, &payload, Some(&dedup)).await?;
    Ok(())
}
