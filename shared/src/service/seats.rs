//! The seat map, seat locks and their release.

use crate::domain::booking::{normalise_seats, MAX_PASSENGERS};
use crate::domain::money::Money;
use crate::domain::seating::Cabin;
use crate::http::Caller;
use crate::store::bookings::PgBookings;
use crate::store::flights::{FlightRecord, PgFlights};
use crate::store::seat_holds::HoldOutcome;
use crate::{ApiError, Services};
use chrono::Utc;
use serde_json::{json, Value};
use std::collections::HashSet;

pub async fn flight_or_404(svc: &Services, flight_id: i64) -> Result<FlightRecord, ApiError> {
    PgFlights::new(&svc.db)
        .find(flight_id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("flight {flight_id} does not exist")))
}

pub fn is_sellable(flight: &FlightRecord) -> bool {
    flight.status == "SCHEDULED" && flight.leg.departs_at > Utc::now()
}

pub fn ensure_sellable(flight: &FlightRecord) -> Result<(), ApiError> {
    if is_sellable(flight) {
        Ok(())
    } else {
        let why = if flight.status == "SCHEDULED" { "DEPARTED" } else { flight.status.as_str() };
        Err(ApiError::conflict("FLIGHT_NOT_BOOKABLE", format!("flight {} is {why}", flight.leg.flight_id))
            .with("flightStatus", why))
    }
}

pub fn fare_of(flight: &FlightRecord, cabin: Cabin) -> Result<Money, ApiError> {
    flight
        .fares
        .iter()
        .find(|f| f.cabin == cabin)
        .map(|f| Money::new(f.amount, &f.currency))
        .ok_or_else(|| ApiError::internal(format!("flight {} has no {cabin} fare", flight.leg.flight_id)))
}

pub async fn seat_map(svc: &Services, caller: &Caller, flight_id: i64) -> Result<Value, ApiError> {
    let flight = flight_or_404(svc, flight_id).await?;
    let sellable = is_sellable(&flight);
    let seats: Vec<_> = flight.layout.seats().collect();
    let names: Vec<String> = seats.iter().map(|s| s.number.clone()).collect();
    let (bookings, holds) = (PgBookings::new(&svc.db), svc.seat_holds());
    let (booked, holders) = tokio::try_join!(bookings.booked_seats(flight_id), holds.holders(flight_id, &names))?;
    let booked: HashSet<String> = booked.into_iter().collect();
    let mut available = Vec::new();
    let mut rendered = Vec::with_capacity(seats.len());
    for (seat, holder) in seats.iter().zip(holders) {
        let state = if booked.contains(&seat.number) {
            "booked"
        } else if !sellable {
            "unavailable"
        } else if holder.is_some() {
            "held"
        } else {
            available.push(seat.number.clone());
            "available"
        };
        let price = fare_of(&flight, seat.cabin)?;
        rendered.push(json!({
            "seatNumber": seat.number,
            "row": seat.row,
            "letter": seat.letter.to_string(),
            "cabin": seat.cabin,
            "position": seat.position,
            "exitRow": seat.exit_row,
            "extraLegroom": seat.extra_legroom,
            "price": price.to_json(),
            "state": state,
            "heldByYou": state == "held" && holder == Some(caller.user_id),
        }));
    }
    let cabins: Vec<Value> = flight
        .fares
        .iter()
        .map(|fare| {
            let free =
                seats.iter().zip(&rendered).filter(|(s, r)| s.cabin == fare.cabin && r["state"] == "available").count();
            json!({"cabin": fare.cabin, "seatsTotal": fare.seats_total, "seatsAvailable": free,
                   "price": Money::new(fare.amount, &fare.currency).to_json()})
        })
        .collect();
    Ok(json!({
        "flightId": flight_id,
        "flightNumber": flight.leg.flight_number,
        "status": flight.status,
        "sellable": sellable,
        "aircraft": {"code": flight.leg.aircraft, "name": flight.aircraft_name},
        "cabins": cabins,
        "seats": rendered,
        "availableSeats": available,
    }))
}

/// Validates seat spellings against the aircraft: `400` naming the culprits.
pub fn seats_on_aircraft(flight: &FlightRecord, raw: &[String]) -> Result<Vec<String>, ApiError> {
    let seats = normalise_seats(raw).map_err(|e| ApiError::invalid_field("seatNumbers", e))?;
    let unknown: Vec<String> =
        seats.iter().filter(|s| flight.layout.seat(s).is_none()).map(|s| s.to_string()).collect();
    if !unknown.is_empty() {
        return Err(ApiError::bad_request(
            "UNKNOWN_SEAT",
            format!("seatNumbers: {} not on this aircraft ({})", unknown.join(", "), flight.aircraft_name),
        ));
    }
    Ok(seats.iter().map(|s| s.to_string()).collect())
}

pub fn seat_unavailable(flight_id: i64, seats: &[String]) -> ApiError {
    ApiError::conflict(
        "SEAT_UNAVAILABLE",
        format!("seat(s) {} on flight {flight_id} are not available", seats.join(", ")),
    )
    .with("seatNumbers", seats.to_vec())
    .with("flightId", flight_id)
}

pub fn new_hold_id(flight_id: i64) -> String {
    format!("{flight_id}-{}", &uuid::Uuid::new_v4().simple().to_string()[..16])
}

pub async fn lock_seats(svc: &Services, caller: &Caller, flight_id: i64, raw: &[String]) -> Result<Value, ApiError> {
    if raw.is_empty() || raw.len() > MAX_PASSENGERS {
        return Err(ApiError::invalid_field("seatNumbers", format!("give 1 to {MAX_PASSENGERS} seats")));
    }
    svc.rate_limiter().check("seat-lock", caller.user_id, svc.config.hold_rate_per_minute).await?;
    let flight = flight_or_404(svc, flight_id).await?;
    let seats = seats_on_aircraft(&flight, raw)?;
    ensure_sellable(&flight)?;
    let booked: HashSet<String> = PgBookings::new(&svc.db).booked_seats(flight_id).await?.into_iter().collect();
    let already_booked: Vec<String> = seats.iter().filter(|s| booked.contains(*s)).cloned().collect();
    if !already_booked.is_empty() {
        return Err(seat_unavailable(flight_id, &already_booked));
    }
    let hold_id = new_hold_id(flight_id);
    let ttl = svc.config.seat_hold_ttl;
    let cap = svc.config.seat_hold_max_per_flight;
    match svc.seat_holds().hold(flight_id, caller.user_id, &hold_id, &seats, ttl, cap).await? {
        HoldOutcome::Held => {}
        HoldOutcome::Taken(taken) => return Err(seat_unavailable(flight_id, &taken)),
        HoldOutcome::OverCap { already } => {
            return Err(ApiError::conflict(
                "HOLD_LIMIT_REACHED",
                format!("you already hold {already} seat(s) on flight {flight_id}; at most {cap} at a time"),
            ))
        }
    }
    let expires_at = Utc::now() + chrono::Duration::from_std(ttl).map_err(ApiError::internal)?;
    Ok(json!({
        "holdId": hold_id,
        "flightId": flight_id,
        "seatNumbers": seats,
        "seatNumber": seats[0],
        "userId": caller.user_id,
        "status": "HELD",
        "expiresAt": expires_at,
    }))
}

pub enum ReleaseTarget {
    Seats { flight_id: i64, seats: Vec<String> },
    Hold { hold_id: String },
}

pub async fn release_seats(svc: &Services, caller: &Caller, target: ReleaseTarget) -> Result<Value, ApiError> {
    let holds = svc.seat_holds();
    let (flight_id, seats, hold_id) = match target {
        ReleaseTarget::Hold { hold_id } => {
            let not_found = || ApiError::not_found(format!("hold {hold_id} does not exist or has expired"));
            let flight_id: i64 = hold_id.split_once('-').and_then(|(f, _)| f.parse().ok()).ok_or_else(not_found)?;
            let (owner, seats) = holds.hold_record(flight_id, &hold_id).await?.ok_or_else(not_found)?;
            if owner != caller.user_id {
                return Err(not_found());
            }
            (flight_id, seats, Some(hold_id))
        }
        ReleaseTarget::Seats { flight_id, seats } => {
            let flight = flight_or_404(svc, flight_id).await?;
            (flight_id, seats_on_aircraft(&flight, &seats)?, None)
        }
    };
    let holders = holds.holders(flight_id, &seats).await?;
    if hold_id.is_none() {
        let not_mine: Vec<String> = seats
            .iter()
            .zip(&holders)
            .filter(|(_, holder)| **holder != Some(caller.user_id))
            .map(|(s, _)| s.clone())
            .collect();
        if !not_mine.is_empty() {
            return Err(ApiError::conflict(
                "SEAT_NOT_HELD",
                format!("you do not hold seat(s) {} on flight {flight_id}", not_mine.join(", ")),
            )
            .with("seatNumbers", not_mine));
        }
    }
    let released = holds.release(flight_id, caller.user_id, &seats).await?;
    if let Some(hold_id) = &hold_id {
        holds.forget_hold(flight_id, hold_id).await?;
    }
    Ok(json!({"flightId": flight_id, "holdId": hold_id, "releasedSeatNumbers": released, "status": "RELEASED"}))
}
