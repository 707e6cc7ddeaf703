//! Bookings: creating one from held seats (`create`), reading and listing
//! them with their flights (here), cancelling and expiring them (`cancel`),
//! cancellation quotes by the fare rules (`quotes`), voluntary changes of a
//! slice (`change`).
//!
//! The use cases return [`BookingDetails`]; the wire format is
//! `http::views::bookings`.

mod cancel;
mod change;
mod create;
pub mod inventory;
mod quotes;

pub(crate) use cancel::{after_release, cancel_paid_within};
pub use cancel::{
    cancel_booking, cancel_paid_in, close_unpaid_on_cancelled_flight, expire_unpaid_bookings,
    refund_unresolved_on_cancelled_flights, CancelledBooking, PaidCancellation,
};
pub use change::{confirm_change, quote_change, ChangeQuote, ChangeRequest, ConfirmedChange};
pub use create::{create_booking, CreateBooking, LegRequest, PassengersRequest};
pub use quotes::{confirm_in, confirm_quote, create_quote, ConfirmedCancellation, QUOTE_VALIDITY};

use crate::auth::caller::Caller;
use crate::domain::booking::BookingStatus;
use crate::domain::booking_actions::{available_actions, BookingAction, BookingLedger, FlightOfBooking};
use crate::domain::booking_events::BookingEvent;
use crate::domain::flight::FlightStatus;
use crate::store::bookings::{BookingRecord, LapRow, PgBookings, SeatRow};
use crate::ErrorCode;
use crate::{ApiError, Services};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, FixedOffset, Utc};
use std::collections::{BTreeMap, HashMap};

/// A booking with what a traveller needs to read it: each leg's flight, in
/// its airports' local times, and the flight's current status.
#[derive(Debug, Clone)]
pub struct BookingDetails {
    pub record: BookingRecord,
    pub legs: Vec<BookedLeg>,
    pub ledger: BookingLedger,
}

impl BookingDetails {
    /// What the customer can do with it now.
    pub fn available_actions(&self, now: DateTime<Utc>) -> Vec<BookingAction> {
        let flights: Vec<FlightOfBooking> = self
            .legs
            .iter()
            .map(|leg| FlightOfBooking { status: leg.flight_status, departs_at: leg.departs_local.with_timezone(&Utc) })
            .collect();
        available_actions(self.record.status, self.record.expires_at, &flights, &self.ledger, now)
    }
}

#[derive(Debug, Clone)]
pub struct BookedLeg {
    /// 1-based: the slice of the order.
    pub slice: i32,
    pub leg: i32,
    pub flight_id: i64,
    pub flight_number: String,
    pub origin: String,
    pub destination: String,
    pub departs_local: DateTime<FixedOffset>,
    pub arrives_local: DateTime<FixedOffset>,
    pub flight_status: Option<FlightStatus>,
    pub seats: Vec<SeatRow>,
    /// Infants on laps on this leg.
    pub laps: Vec<LapRow>,
}

/// One page of the caller's bookings, newest first.
pub struct BookingPage {
    pub bookings: Vec<BookingDetails>,
    pub next_cursor: Option<String>,
}

/// A booking with its flights' current status and its money so far.
pub async fn details(svc: &Services, record: BookingRecord) -> Result<BookingDetails, ApiError> {
    let flight_ids: Vec<i64> = record.seats.iter().map(|s| s.flight_id).collect();
    let bookings = PgBookings::new(&svc.db);
    let (statuses, ledger) = futures::try_join!(bookings.flight_statuses(&flight_ids), bookings.ledger(record.id))?;
    let statuses = statuses.iter().filter_map(|(id, s)| Some((*id, FlightStatus::parse(s)?))).collect();
    details_with(svc, record, &statuses, ledger).await
}

/// A booking whose flights' status and money the caller already knows.
pub(crate) async fn details_with(
    svc: &Services,
    record: BookingRecord,
    statuses: &HashMap<i64, FlightStatus>,
    ledger: BookingLedger,
) -> Result<BookingDetails, ApiError> {
    let mut by_leg: BTreeMap<i32, Vec<SeatRow>> = BTreeMap::new();
    for seat in &record.seats {
        by_leg.entry(seat.leg).or_default().push(seat.clone());
    }
    let mut legs = Vec::new();
    // A live booking's legs whose every seat went are legs a change replaced.
    let live_booking = matches!(record.status, BookingStatus::Paid | BookingStatus::PendingPayment);
    for (leg, seats) in by_leg {
        if live_booking && seats.iter().all(|s| !s.live) {
            continue;
        }
        let flight_id = seats[0].flight_id;
        let facts = svc
            .flights
            .get(&svc.db, flight_id)
            .await?
            .ok_or_else(|| ApiError::internal(format!("flight {flight_id} vanished")))?;
        let flight = &facts.leg;
        let directory = svc.directory.get(&svc.db, &[&flight.origin, &flight.destination]).await?;
        let tz = |code: &str| directory.airports.get(code).map(|a| a.time_zone).unwrap_or(chrono_tz::UTC);
        legs.push(BookedLeg {
            slice: seats[0].slice,
            laps: record.laps.iter().filter(|l| l.leg == leg).cloned().collect(),
            leg,
            flight_id,
            flight_number: flight.flight_number.clone(),
            origin: flight.origin.clone(),
            destination: flight.destination.clone(),
            departs_local: flight.departs_at.with_timezone(&tz(&flight.origin)).fixed_offset(),
            arrives_local: flight.arrives_at.with_timezone(&tz(&flight.destination)).fixed_offset(),
            flight_status: statuses.get(&flight_id).copied(),
            seats,
        });
    }
    Ok(BookingDetails { record, legs, ledger })
}

/// The caller's booking with everything that happened to it, in order.
pub async fn events(
    svc: &Services,
    caller: &Caller,
    booking_id: i64,
) -> Result<(BookingRecord, Vec<BookingEvent>), ApiError> {
    let record = owned_booking(svc, caller, booking_id).await?;
    let events = crate::store::booking_events::timeline(&svc.db, booking_id).await?;
    Ok((record, events))
}

/// The caller's booking, or `404` (also for other users' bookings, so ids
/// reveal nothing).
pub async fn owned_booking(svc: &Services, caller: &Caller, booking_id: i64) -> Result<BookingRecord, ApiError> {
    match PgBookings::new(&svc.db).find(booking_id).await? {
        Some(record) if record.user_id == caller.user_id => Ok(record),
        _ => Err(ApiError::not_found(format!("booking {booking_id} does not exist"))),
    }
}

pub async fn list_bookings(
    svc: &Services,
    caller: &Caller,
    limit: usize,
    cursor: Option<&str>,
) -> Result<BookingPage, ApiError> {
    let before = match cursor {
        None => None,
        Some(raw) => Some(
            URL_SAFE_NO_PAD
                .decode(raw.trim())
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .and_then(|s| s.strip_prefix("b:").and_then(|id| id.parse::<i64>().ok()))
                .ok_or_else(|| {
                    ApiError::bad_request(ErrorCode::InvalidCursor, "cursor is not valid; start again without it")
                })?,
        ),
    };
    let bookings = PgBookings::new(&svc.db);
    let ids = bookings.ids_of_user(caller.user_id, before, limit as i64 + 1).await?;
    let more = ids.len() > limit;
    let mut items = Vec::new();
    for id in ids.iter().take(limit) {
        if let Some(record) = bookings.find(*id).await? {
            items.push(details(svc, record).await?);
        }
    }
    let next_cursor = if more { ids.get(limit - 1).map(|id| URL_SAFE_NO_PAD.encode(format!("b:{id}"))) } else { None };
    Ok(BookingPage { bookings: items, next_cursor })
}
