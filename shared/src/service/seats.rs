//! The seat map, seat locks and their release.
//!
//! A flight's facts (schedule, seat plan, fares) come from the instance's
//! catalog; which seats are sold, held or free, and the flight's status,
//! come from Redis in one round trip (`store::seat_holds`), loaded from
//! Postgres into Redis when Redis lacks them.

use crate::auth::caller::Caller;
use crate::domain::booking::{normalise_seats, MAX_PASSENGERS};
use crate::domain::flight::{is_bookable, FlightStatus};
use crate::domain::ids::{FlightId, UserId};
use crate::domain::money::Money;
use crate::domain::seating::{Cabin, Seat, SeatPlan};
use crate::store::bookings::PgBookings;
use crate::store::flights::FlightFacts;
use crate::store::seat_holds::{HoldOutcome, SeatState};
use crate::ErrorCode;
use crate::{ApiError, Services};
use chrono::{DateTime, Utc};
use std::sync::Arc;

pub async fn facts_or_404(svc: &Services, flight_id: i64) -> Result<Arc<FlightFacts>, ApiError> {
    svc.flights
        .get(&svc.db, flight_id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("flight {flight_id} does not exist")))
}

/// Past its departure time (whatever its status says yet): `domain::flight`'s rule.
pub fn has_departed(facts: &FlightFacts) -> bool {
    !is_bookable(FlightStatus::Scheduled, facts.leg.departs_at, Utc::now())
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

/// What a seat is to the caller now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SeatStatus {
    /// On a live booking.
    Booked,
    /// Free, but the flight is not sellable (not scheduled, or departed).
    Unavailable,
    /// Held by someone (`by_caller` when it is the caller's own hold).
    Held {
        by_caller: bool,
    },
    Available,
}

/// One cabin's fare and how many of its seats are free now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CabinSeats {
    pub cabin: Cabin,
    pub price: Money,
    pub seats_total: i32,
    pub seats_available: usize,
}

/// The seat map as the caller sees it: the flight, its seat plan, and the
/// status of each seat.
#[derive(Clone, Debug)]
pub struct SeatMap {
    pub flight_id: i64,
    pub flight_number: String,
    /// The flight's status (`SCHEDULED`, `CANCELLED`, …).
    pub status: String,
    pub sellable: bool,
    pub aircraft_code: String,
    pub aircraft_name: String,
    /// Shared by every flight of the aircraft type (one allocation per type).
    pub plan: Arc<SeatPlan>,
    /// Per fare, in cabin order.
    pub cabins: Vec<CabinSeats>,
    /// One per seat of `plan`, in the plan's order.
    pub seats: Vec<SeatStatus>,
}

impl SeatMap {
    pub fn price_of(&self, cabin: Cabin) -> Option<&Money> {
        self.cabins.iter().find(|c| c.cabin == cabin).map(|c| &c.price)
    }
}

/// The seat map: every seat's status for the caller, from the instance's
/// facts and Redis's seat state.
pub async fn seat_map(svc: &Services, caller: &Caller, flight_id: i64) -> Result<SeatMap, ApiError> {
    let facts = facts_or_404(svc, flight_id).await?;
    let state = seat_state(svc, flight_id).await?;
    let status = state.status.unwrap_or_else(|| FlightStatus::Scheduled.as_str().to_string());
    let sellable =
        FlightStatus::parse(&status).is_some_and(|known| is_bookable(known, facts.leg.departs_at, Utc::now()));
    let plan_seats: &[Seat] = facts.plan.seats();
    let seats: Vec<SeatStatus> = plan_seats
        .iter()
        .map(|seat| {
            let holder = state.holds.get(&seat.number).copied();
            if state.sold.contains_key(&seat.number) {
                SeatStatus::Booked
            } else if !sellable {
                SeatStatus::Unavailable
            } else if let Some(holder) = holder {
                SeatStatus::Held { by_caller: holder == caller.user_id }
            } else {
                SeatStatus::Available
            }
        })
        .collect();
    let cabins = facts
        .fares
        .iter()
        .map(|fare| CabinSeats {
            cabin: fare.cabin,
            price: Money::new(fare.amount, &fare.currency),
            seats_total: fare.seats_total,
            seats_available: plan_seats
                .iter()
                .zip(&seats)
                .filter(|(s, status)| s.cabin == fare.cabin && **status == SeatStatus::Available)
                .count(),
        })
        .collect();
    Ok(SeatMap {
        flight_id,
        flight_number: facts.leg.flight_number.clone(),
        status,
        sellable,
        aircraft_code: facts.leg.aircraft.clone(),
        aircraft_name: facts.aircraft_name.clone(),
        plan: facts.plan.clone(),
        cabins,
        seats,
    })
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
    user: UserId,
    FlightId(flight_id): FlightId,
    hold_id: &str,
    seats: &[String],
    cap: usize,
) -> Result<Result<DateTime<Utc>, HoldOutcome>, ApiError> {
    let holds = svc.seat_holds();
    // Each round loads what Postgres sold since; under a burst of sales on
    // one flight the copy can move again in between.
    for _ in 0..8 {
        match holds.hold(FlightId(flight_id), user, hold_id, seats, svc.config.seat_hold_ttl, cap).await? {
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

/// Seats held for a user until `expires_at`, all or nothing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeatHold {
    pub hold_id: String,
    pub flight_id: i64,
    /// Normalised (`12A`), never empty.
    pub seat_numbers: Vec<String>,
    pub user_id: i64,
    pub expires_at: DateTime<Utc>,
}

pub async fn lock_seats(svc: &Services, caller: &Caller, flight_id: i64, raw: &[String]) -> Result<SeatHold, ApiError> {
    if raw.is_empty() || raw.len() > MAX_PASSENGERS {
        return Err(ApiError::invalid_field("seatNumbers", format!("give 1 to {MAX_PASSENGERS} seats")));
    }
    svc.rate_limiter().check("seat-lock", caller.user_id, svc.config.hold_rate_per_minute).await?;
    let facts = facts_or_404(svc, flight_id).await?;
    let seats = seats_on_aircraft(&facts, raw)?;
    if has_departed(&facts) {
        return Err(not_bookable(flight_id, FlightStatus::Departed.as_str()));
    }
    let cap = svc.config.seat_hold_max_per_flight;
    let hold_id = new_hold_id(flight_id);
    let expires_at = match hold_seats(svc, UserId(caller.user_id), FlightId(flight_id), &hold_id, &seats, cap).await? {
        Ok(expires_at) => expires_at,
        Err(refused) => return Err(hold_refused(flight_id, refused, cap)),
    };
    Ok(SeatHold { hold_id, flight_id, seat_numbers: seats, user_id: caller.user_id, expires_at })
}

pub enum ReleaseTarget {
    Seats { flight_id: i64, seats: Vec<String> },
    Hold { hold_id: String },
}

/// What a release did: the seats that were still held and are free now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeatRelease {
    pub flight_id: i64,
    /// When released by hold id.
    pub hold_id: Option<String>,
    pub released: Vec<String>,
}

pub async fn release_seats(svc: &Services, caller: &Caller, target: ReleaseTarget) -> Result<SeatRelease, ApiError> {
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
    let released = holds.release(FlightId(flight_id), UserId(caller.user_id), &seats).await?;
    if let Some(hold_id) = &hold_id {
        holds.forget_hold(flight_id, hold_id).await?;
    }
    Ok(SeatRelease { flight_id, hold_id, released })
}
