//! The seat map, seat locks and their release.
//!
//! A flight's facts (schedule, seat plan, fares) come from the instance's
//! catalog; which seats are sold, held or free, and the flight's status,
//! come from Redis in one round trip (`store::seat_holds`), loaded from
//! Postgres into Redis when Redis lacks them.

use crate::auth::caller::Caller;
use crate::domain::booking::{normalise_seats, MAX_PASSENGERS};
use crate::domain::money::Money;
use crate::domain::seating::{Cabin, Seat};
use crate::store::bookings::PgBookings;
use crate::store::flights::{FlightFacts, SeatFragment};
use crate::store::seat_holds::{HoldOutcome, SeatState};
use crate::ErrorCode;
use crate::{ApiError, Services};
use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use std::fmt::Write;
use std::sync::Arc;

pub async fn facts_or_404(svc: &Services, flight_id: i64) -> Result<Arc<FlightFacts>, ApiError> {
    svc.flights
        .get(&svc.db, flight_id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("flight {flight_id} does not exist")))
}

pub fn has_departed(facts: &FlightFacts) -> bool {
    facts.leg.departs_at <= Utc::now()
}

/// `409 FLIGHT_NOT_BOOKABLE` naming why (a status, or `DEPARTED`).
pub fn not_bookable(flight_id: i64, why: &str) -> ApiError {
    ApiError::conflict(ErrorCode::FlightNotBookable, format!("flight {flight_id} is {why}")).with("flightStatus", why)
}

/// Copies what Postgres sold on the flight (and its status) into Redis,
/// unless a writer moved `version` meanwhile; returns it either way.
async fn load_sold(svc: &Services, flight_id: i64, version: &str) -> Result<(String, Vec<(String, i64)>), ApiError> {
    let (status, sold) = PgBookings::new(&svc.db)
        .sold_seats(flight_id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("flight {flight_id} does not exist")))?;
    if let Err(e) = svc.seat_holds().fill_sold(flight_id, version, &status, &sold).await {
        tracing::warn!(error = %e, flight_id, "could not store the sold seats in Redis");
    }
    Ok((status, sold))
}

/// Sold seats, unexpired holds and the status of the flight.
pub async fn seat_state(svc: &Services, flight_id: i64) -> Result<SeatState, ApiError> {
    let mut state = svc.seat_holds().state(flight_id).await?;
    if state.status.is_none() {
        let (status, sold) = load_sold(svc, flight_id, &state.version).await?;
        state.status = Some(status);
        state.sold = sold.into_iter().collect();
    }
    Ok(state)
}

/// Each seat's JSON around its price, up to its state: built once per seat
/// plan and instance.
fn seat_fragments(facts: &FlightFacts) -> &[SeatFragment] {
    const PRICE: &str = "\"@price@\"";
    facts.seat_fragments.get_or_init(|| {
        facts
            .plan
            .seats()
            .iter()
            .map(|seat| {
                let mut fragment = json!({
                    "seatNumber": seat.number,
                    "row": seat.row,
                    "letter": seat.letter.to_string(),
                    "cabin": seat.cabin,
                    "position": seat.position,
                    "exitRow": seat.exit_row,
                    "extraLegroom": seat.extra_legroom,
                    "price": "@price@",
                })
                .to_string();
                fragment.pop();
                fragment.push_str(r#","state":""#);
                let (before, after) = fragment.split_once(PRICE).expect("the price marker is in the fragment");
                SeatFragment { before_price: before.to_owned(), after_price: after.to_owned() }
            })
            .collect()
    })
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum SeatStatus {
    Booked,
    Unavailable,
    Held,
    Available,
}

impl SeatStatus {
    fn as_str(self) -> &'static str {
        match self {
            SeatStatus::Booked => "booked",
            SeatStatus::Unavailable => "unavailable",
            SeatStatus::Held => "held",
            SeatStatus::Available => "available",
        }
    }
}

/// The seat map as a JSON document.
pub async fn seat_map(svc: &Services, caller: &Caller, flight_id: i64) -> Result<String, ApiError> {
    let facts = facts_or_404(svc, flight_id).await?;
    let state = seat_state(svc, flight_id).await?;
    let status = state.status.as_deref().unwrap_or("SCHEDULED");
    let sellable = status == "SCHEDULED" && !has_departed(&facts);
    let seats: &[Seat] = facts.plan.seats();
    let mut rendered = String::with_capacity(seats.len() * 230);
    let mut available = String::with_capacity(seats.len() * 6);
    let mut statuses = Vec::with_capacity(seats.len());
    let prices: Vec<(Cabin, String)> =
        facts.fares.iter().map(|f| (f.cabin, Money::new(f.amount, &f.currency).to_json().to_string())).collect();
    let price_of = |cabin: Cabin| prices.iter().find(|(c, _)| *c == cabin).map_or("null", |(_, json)| json.as_str());
    for (seat, fragment) in seats.iter().zip(seat_fragments(&facts)) {
        let holder = state.holds.get(&seat.number).copied();
        let seat_status = if state.sold.contains_key(&seat.number) {
            SeatStatus::Booked
        } else if !sellable {
            SeatStatus::Unavailable
        } else if holder.is_some() {
            SeatStatus::Held
        } else {
            if !available.is_empty() {
                available.push(',');
            }
            write!(available, "\"{}\"", seat.number).expect("writing to a string");
            SeatStatus::Available
        };
        statuses.push(seat_status);
        if !rendered.is_empty() {
            rendered.push(',');
        }
        let mine = seat_status == SeatStatus::Held && holder == Some(caller.user_id);
        write!(
            rendered,
            r#"{}{}{}{}","heldByYou":{mine}}}"#,
            fragment.before_price,
            price_of(seat.cabin),
            fragment.after_price,
            seat_status.as_str()
        )
        .expect("writing to a string");
    }
    let cabins: Vec<Value> = facts
        .fares
        .iter()
        .map(|fare| {
            let free = seats
                .iter()
                .zip(&statuses)
                .filter(|(s, status)| s.cabin == fare.cabin && **status == SeatStatus::Available)
                .count();
            json!({"cabin": fare.cabin, "seatsTotal": fare.seats_total, "seatsAvailable": free,
                   "price": Money::new(fare.amount, &fare.currency).to_json()})
        })
        .collect();
    let head = json!({
        "flightId": flight_id,
        "flightNumber": facts.leg.flight_number,
        "status": status,
        "sellable": sellable,
        "aircraft": {"code": facts.leg.aircraft, "name": facts.aircraft_name},
        "cabins": cabins,
    })
    .to_string();
    Ok(format!(r#"{},"seats":[{rendered}],"availableSeats":[{available}]}}"#, &head[..head.len() - 1]))
}

/// Validates seat spellings against the aircraft: `400` naming the culprits.
pub fn seats_on_aircraft(facts: &FlightFacts, raw: &[String]) -> Result<Vec<String>, ApiError> {
    let seats = normalise_seats(raw).map_err(|e| ApiError::invalid_field("seatNumbers", e))?;
    let unknown: Vec<String> = seats.iter().filter(|s| facts.plan.seat(s).is_none()).map(|s| s.to_string()).collect();
    if !unknown.is_empty() {
        return Err(ApiError::bad_request(
            ErrorCode::UnknownSeat,
            format!("seatNumbers: {} not on this aircraft ({})", unknown.join(", "), facts.aircraft_name),
        ));
    }
    Ok(seats.iter().map(|s| s.to_string()).collect())
}

pub fn seat_unavailable(flight_id: i64, seats: &[String]) -> ApiError {
    ApiError::conflict(
        ErrorCode::SeatUnavailable,
        format!("seat(s) {} on flight {flight_id} are not available", seats.join(", ")),
    )
    .with("seatNumbers", seats.to_vec())
    .with("flightId", flight_id)
}

pub fn new_hold_id(flight_id: i64) -> String {
    format!("{flight_id}-{}", &uuid::Uuid::new_v4().simple().to_string()[..16])
}

/// Holds `seats` for the caller in one atomic step, loading what Postgres
/// sold into Redis first if Redis lacks it. `Ok(Err(outcome))` for a hold
/// refused (taken, over the cap): the caller decides what that means.
pub async fn hold_seats(
    svc: &Services,
    caller: &Caller,
    flight_id: i64,
    hold_id: &str,
    seats: &[String],
    cap: usize,
) -> Result<Result<DateTime<Utc>, HoldOutcome>, ApiError> {
    let holds = svc.seat_holds();
    // Each round loads what Postgres sold since; under a burst of sales on
    // one flight the copy can move again in between.
    for _ in 0..8 {
        match holds.hold(flight_id, caller.user_id, hold_id, seats, svc.config.seat_hold_ttl, cap).await? {
            HoldOutcome::Held { expires_at_ms } => {
                let expires = DateTime::from_timestamp_millis(expires_at_ms).unwrap_or_else(Utc::now);
                return Ok(Ok(expires));
            }
            HoldOutcome::NeedsSold { version } => {
                load_sold(svc, flight_id, &version).await?;
            }
            refused => return Ok(Err(refused)),
        }
    }
    Err(ApiError::unavailable("redis", "the seats of this flight kept changing; try again"))
}

/// What a refused hold means for the client.
pub fn hold_refused(flight_id: i64, outcome: HoldOutcome, cap: usize) -> ApiError {
    match outcome {
        HoldOutcome::Taken(taken) => seat_unavailable(flight_id, &taken),
        HoldOutcome::OverCap { already } => ApiError::conflict(
            ErrorCode::HoldLimitReached,
            format!("you already hold {already} seat(s) on flight {flight_id}; at most {cap} at a time"),
        ),
        HoldOutcome::Closed(status) => not_bookable(flight_id, &status),
        HoldOutcome::Held { .. } | HoldOutcome::NeedsSold { .. } => {
            ApiError::internal("a successful hold reported as refused")
        }
    }
}

pub async fn lock_seats(svc: &Services, caller: &Caller, flight_id: i64, raw: &[String]) -> Result<Value, ApiError> {
    if raw.is_empty() || raw.len() > MAX_PASSENGERS {
        return Err(ApiError::invalid_field("seatNumbers", format!("give 1 to {MAX_PASSENGERS} seats")));
    }
    svc.rate_limiter().check("seat-lock", caller.user_id, svc.config.hold_rate_per_minute).await?;
    let facts = facts_or_404(svc, flight_id).await?;
    let seats = seats_on_aircraft(&facts, raw)?;
    if has_departed(&facts) {
        return Err(not_bookable(flight_id, "DEPARTED"));
    }
    let cap = svc.config.seat_hold_max_per_flight;
    let hold_id = new_hold_id(flight_id);
    let expires_at = match hold_seats(svc, caller, flight_id, &hold_id, &seats, cap).await? {
        Ok(expires_at) => expires_at,
        Err(refused) => return Err(hold_refused(flight_id, refused, cap)),
    };
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
            let facts = facts_or_404(svc, flight_id).await?;
            (flight_id, seats_on_aircraft(&facts, &seats)?, None)
        }
    };
    if hold_id.is_none() {
        let holders = holds.holders(flight_id, &seats).await?;
        let not_mine: Vec<String> = seats
            .iter()
            .zip(&holders)
            .filter(|(_, holder)| **holder != Some(caller.user_id))
            .map(|(s, _)| s.clone())
            .collect();
        if !not_mine.is_empty() {
            return Err(ApiError::conflict(
                ErrorCode::SeatNotHeld,
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
