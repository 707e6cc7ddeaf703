//! One flight on the wire (`flights-get`), and what an admin's
//! cancellation answers (`flights-cancel`). Times are shown in the local
//! time of their airport.

use crate::domain::money::Money;
use crate::domain::seating::Cabin;
use crate::service::flights::{AirportDetails, CabinFare, CancelledFlight, FlightDetails};
use serde::Serialize;

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FlightBody<'a> {
    pub id: i64,
    pub flight_number: &'a str,
    pub airline: AirlineBody<'a>,
    pub origin: AirportBody<'a>,
    pub destination: AirportBody<'a>,
    pub departure_time: String,
    pub arrival_time: String,
    pub duration_minutes: i64,
    pub aircraft: AircraftBody<'a>,
    pub status: &'a str,
    pub cancelled_at: Option<chrono::DateTime<chrono::Utc>>,
    pub fares: Vec<FareBody>,
}

/// An airline: its code, and its name (`null` when unknown).
#[derive(Debug, Serialize)]
pub struct AirlineBody<'a> {
    pub code: &'a str,
    pub name: Option<&'a str>,
}

#[derive(Debug, Serialize)]
pub struct AircraftBody<'a> {
    pub code: &'a str,
    pub name: &'a str,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AirportBody<'a> {
    pub code: &'a str,
    pub name: &'a str,
    pub city: &'a str,
    pub country: &'a str,
    pub time_zone: &'static str,
}

impl<'a> From<&'a AirportDetails> for AirportBody<'a> {
    fn from(airport: &'a AirportDetails) -> Self {
        AirportBody {
            code: &airport.code,
            name: &airport.name,
            city: &airport.city,
            country: &airport.country,
            time_zone: airport.time_zone.name(),
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FareBody {
    pub cabin: Cabin,
    pub price: Money,
    pub seats_total: i32,
    pub seats_left: i32,
}

impl From<&CabinFare> for FareBody {
    fn from(fare: &CabinFare) -> Self {
        FareBody {
            cabin: fare.cabin,
            price: fare.price.clone(),
            seats_total: fare.seats_total,
            seats_left: fare.seats_left,
        }
    }
}

impl<'a> From<&'a FlightDetails> for FlightBody<'a> {
    fn from(flight: &'a FlightDetails) -> Self {
        FlightBody {
            id: flight.flight_id,
            flight_number: &flight.flight_number,
            airline: AirlineBody { code: &flight.airline_code, name: flight.airline_name.as_deref() },
            origin: AirportBody::from(&flight.origin),
            destination: AirportBody::from(&flight.destination),
            departure_time: flight.departs_at.with_timezone(&flight.origin.time_zone).to_rfc3339(),
            arrival_time: flight.arrives_at.with_timezone(&flight.destination.time_zone).to_rfc3339(),
            duration_minutes: (flight.arrives_at - flight.departs_at).num_minutes(),
            aircraft: AircraftBody { code: &flight.aircraft_code, name: &flight.aircraft_name },
            status: &flight.status,
            cancelled_at: flight.cancelled_at,
            fares: flight.fares.iter().map(FareBody::from).collect(),
        }
    }
}

/// The cancelled flight, with how many cached searches were dropped and
/// how many live bookings were affected.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CancelledFlightBody<'a> {
    #[serde(flatten)]
    pub flight: FlightBody<'a>,
    pub invalidated_searches: usize,
    pub affected_bookings: usize,
    /// Of those, unpaid ones: closed, nothing charged, seats freed.
    pub closed_unpaid_bookings: usize,
}

impl<'a> From<&'a CancelledFlight> for CancelledFlightBody<'a> {
    fn from(cancelled: &'a CancelledFlight) -> Self {
        CancelledFlightBody {
            flight: FlightBody::from(&cancelled.flight),
            invalidated_searches: cancelled.invalidated_searches,
            affected_bookings: cancelled.affected_bookings,
            closed_unpaid_bookings: cancelled.closed_unpaid_bookings,
        }
    }
}
