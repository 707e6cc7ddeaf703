//! One flight's details, cancellation by an admin, and the departure sweep.

use super::bookings::close_unpaid_on_cancelled_flight;
use super::notifications::Notification;
use super::notifications::NotificationKind;
use super::search::invalidate_searches;
use crate::auth::caller::Caller;
use crate::domain::flight::{is_bookable, FlightStatus};
use crate::domain::money::Money;
use crate::domain::seating::Cabin;
use crate::store::flights::{Airport, CancelOutcome, FlightRecord, PgFlights};
use crate::store::outbox::{Destination, Outgoing};
use crate::ErrorCode;
use crate::{ApiError, Services};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;

/// An airport as a flight's details show it.
#[derive(Clone, Debug, PartialEq)]
pub struct AirportDetails {
    pub code: String,
    pub name: String,
    pub city: String,
    pub country: String,
    pub time_zone: Tz,
}

impl From<&Airport> for AirportDetails {
    fn from(airport: &Airport) -> Self {
        AirportDetails {
            code: airport.code.clone(),
            name: airport.name.clone(),
            city: airport.city.clone(),
            country: airport.country.clone(),
            time_zone: airport.time_zone,
        }
    }
}

/// One cabin's fare and what is left of it.
#[derive(Clone, Debug, PartialEq)]
pub struct CabinFare {
    pub cabin: Cabin,
    pub price: Money,
    pub seats_total: i32,
    /// Zero once the flight is not sellable.
    pub seats_left: i32,
}

/// One flight: schedule, places, aircraft, status and fares.
#[derive(Clone, Debug, PartialEq)]
pub struct FlightDetails {
    pub flight_id: i64,
    pub flight_number: String,
    pub airline_code: String,
    /// `None` for an airline missing from the directory.
    pub airline_name: Option<String>,
    pub origin: AirportDetails,
    pub destination: AirportDetails,
    pub departs_at: DateTime<Utc>,
    pub arrives_at: DateTime<Utc>,
    pub aircraft_code: String,
    pub aircraft_name: String,
    pub status: String,
    pub cancelled_at: Option<DateTime<Utc>>,
    pub fares: Vec<CabinFare>,
}

pub async fn flight_view(svc: &Services, flight_id: i64) -> Result<FlightDetails, ApiError> {
    let record = PgFlights::new(&svc.db)
        .find(flight_id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("flight {flight_id} does not exist")))?;
    flight_details(svc, record).await
}

async fn flight_details(svc: &Services, record: FlightRecord) -> Result<FlightDetails, ApiError> {
    let leg = record.leg;
    let directory = svc.directory.get(&svc.db, &[&leg.origin, &leg.destination]).await?;
    let airport = |code: &str| {
        directory
            .airports
            .get(code)
            .map(AirportDetails::from)
            .ok_or_else(|| ApiError::internal(format!("unknown airport {code}")))
    };
    let (origin, destination) = (airport(&leg.origin)?, airport(&leg.destination)?);
    let sellable =
        FlightStatus::parse(&record.status).is_some_and(|status| is_bookable(status, leg.departs_at, Utc::now()));
    let fares = record
        .fares
        .iter()
        .map(|fare| CabinFare {
            cabin: fare.cabin,
            price: Money::new(fare.amount, &fare.currency),
            seats_total: fare.seats_total,
            seats_left: if sellable { fare.seats_total - fare.seats_sold } else { 0 },
        })
        .collect();
    Ok(FlightDetails {
        flight_id: leg.flight_id,
        flight_number: leg.flight_number,
        airline_name: directory.airlines.get(&leg.airline_code).cloned(),
        airline_code: leg.airline_code,
        origin,
        destination,
        departs_at: leg.departs_at,
        arrives_at: leg.arrives_at,
        aircraft_code: leg.aircraft,
        aircraft_name: record.aircraft_name,
        status: record.status,
        cancelled_at: record.cancelled_at,
        fares,
    })
}

/// A flight an admin cancelled (or had cancelled before), and what that did.
#[derive(Clone, Debug, PartialEq)]
pub struct CancelledFlight {
    pub flight: FlightDetails,
    /// Cached searches dropped because they contained the flight.
    pub invalidated_searches: usize,
    /// Live bookings on the flight (paid, and unpaid ones now closed),
    /// whose holders were told.
    pub affected_bookings: usize,
    /// Unpaid bookings on the flight, closed (their holders were told).
    pub closed_unpaid_bookings: usize,
}

/// The flight's status changed: Redis's copy of its seats (which carries
/// the status holds check) is dropped and read again on next use.
async fn forget_seat_state(svc: &Services, flight_id: i64) {
    if let Err(e) = svc.seat_holds().forget_sold(flight_id).await {
        tracing::error!(flight_id, error = %e, "could not drop the flight's seat state in Redis");
    }
}

pub async fn cancel_flight(svc: &Services, caller: &Caller, flight_id: i64) -> Result<CancelledFlight, ApiError> {
    caller.ensure_admin()?;
    let flights = PgFlights::new(&svc.db);
    match flights.cancel(flight_id, caller.user_id).await? {
        CancelOutcome::NotFound => return Err(ApiError::not_found(format!("flight {flight_id} does not exist"))),
        CancelOutcome::Departed => {
            return Err(ApiError::conflict(
                ErrorCode::FlightDeparted,
                format!("flight {flight_id} has already departed"),
            ))
        }
        CancelOutcome::Cancelled | CancelOutcome::AlreadyCancelled => {}
    }
    // Invalidate on a repeat too: a previous attempt may have committed and
    // then failed to reach Redis.
    let dropped = invalidate_searches(svc, flight_id).await;
    forget_seat_state(svc, flight_id).await;
    let closed = close_unpaid_on_cancelled_flight(svc, flight_id).await?;
    let affected = notify_affected(svc, &flights, flight_id).await?;
    tracing::info!(flight_id, admin = caller.user_id, dropped_searches = dropped, closed, affected, "flight cancelled");
    let record = flights.find(flight_id).await?.ok_or_else(|| ApiError::not_found(format!("flight {flight_id}")))?;
    Ok(CancelledFlight {
        flight: flight_details(svc, record).await?,
        invalidated_searches: dropped,
        affected_bookings: affected + closed,
        closed_unpaid_bookings: closed,
    })
}

/// Tells every holder of a live booking on the flight. Deduplicated per
/// booking, so repeating the cancellation (after a failure here) is safe.
async fn notify_affected(svc: &Services, flights: &PgFlights<'_>, flight_id: i64) -> Result<usize, ApiError> {
    let affected = flights.affected_bookings(flight_id).await?;
    if affected.is_empty() {
        return Ok(0);
    }
    let mut client = svc.db.get().await?;
    let tx = client.transaction().await?;
    let mut outgoing = Outgoing::default();
    for (booking_id, user_id, pnr) in &affected {
        let notification = Notification::new(
            *user_id,
            NotificationKind::FlightCancelled,
            format!("Flight cancelled on booking {pnr}"),
            format!("A flight on booking {pnr} was cancelled by the airline. Cancel the booking for a full refund, or contact us to rebook."),
        );
        let payload = serde_json::to_value(&notification).map_err(ApiError::internal)?;
        outgoing
            .enqueue(
                &tx,
                Destination::Notifications,
                &payload,
                Some(&format!("flight-cancelled:{flight_id}:{booking_id}")),
            )
            .await?;
    }
    tx.commit().await?;
    drop(client);
    outgoing.send(&svc.outbox()).await;
    Ok(affected.len())
}

/// The schedule's departure sweep: departed flights stop being sellable and
/// vanish from cached searches.
pub async fn mark_departed_flights(svc: &Services) -> Result<Vec<i64>, ApiError> {
    let departed = PgFlights::new(&svc.db).mark_departed().await?;
    for flight_id in &departed {
        invalidate_searches(svc, *flight_id).await;
        forget_seat_state(svc, *flight_id).await;
    }
    Ok(departed)
}
