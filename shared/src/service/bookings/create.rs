//! Creating a booking. It takes the seats the caller holds (assigning and
//! holding more when a count asks for more), checks the client's price
//! against the server's, then writes the booking in one Postgres
//! transaction. Redis holds are the fast path; the transaction's unique
//! index is the final guard. Seats this request newly held are given back on
//! any failure after they were taken (one place: [`create_booking`]).

use super::{details_with, BookingDetails};
use crate::auth::caller::Caller;
use crate::domain::booking::{assign_seats, BookingStatus, MAX_PASSENGERS};
use crate::domain::flight::FlightStatus;
use crate::domain::money::Money;
use crate::domain::seating::{Cabin, SeatNumber};
use crate::service::flights::invalidate_searches;
use crate::service::seats::{
    facts_or_404, has_departed, hold_refused, hold_seats, new_hold_id, not_bookable, seat_state, seat_unavailable,
    seats_on_aircraft,
};
use crate::store::bookings::{BookingRecord, CreateBookingError, NewBooking, NewSeat, PgBookings, SeatRow};
use crate::store::flights::FlightFacts;
use crate::store::seat_holds::HoldOutcome;
use crate::store::users::{PgUsers, UserStore};
use crate::ErrorCode;
use crate::{ApiError, Services};
use chrono::Utc;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

pub struct LegRequest {
    pub flight_id: i64,
    /// Empty: use the caller's held seats, assigning more if needed.
    pub seats: Vec<String>,
}

pub struct CreateBooking {
    pub legs: Vec<LegRequest>,
    /// The original specification's `seats: 2`: how many seats per leg.
    pub count: Option<usize>,
    pub passengers: Option<Vec<String>>,
    pub cabin: Option<Cabin>,
    /// What the client believes the total is, in minor units.
    pub expected_total: Option<i64>,
}

struct PlannedLeg {
    facts: Arc<FlightFacts>,
    seats: Vec<String>,
    /// Seats this request newly held (given back if the booking fails).
    newly_held: Vec<String>,
}

/// Concurrent bookings by count tend to choose the same free seats; each
/// retry re-reads the seats and skips those seen taken, after a short
/// random pause that spreads the contenders out.
const ASSIGNMENT_ATTEMPTS: usize = 10;

async fn plan_leg(
    svc: &Services,
    caller: &Caller,
    facts: Arc<FlightFacts>,
    explicit: &[String],
    count: usize,
    cabin: Option<Cabin>,
) -> Result<PlannedLeg, ApiError> {
    let flight_id = facts.leg.flight_id;
    let cap = svc.config.seat_hold_max_per_flight.max(count);
    if !explicit.is_empty() {
        let seats = seats_on_aircraft(&facts, explicit)?;
        let holders = svc.seat_holds().holders(flight_id, &seats).await?;
        let newly_held =
            seats.iter().zip(holders).filter(|(_, h)| *h != Some(caller.user_id)).map(|(s, _)| s.clone()).collect();
        return match hold_seats(svc, caller, flight_id, &new_hold_id(flight_id), &seats, cap).await? {
            Ok(_) => Ok(PlannedLeg { facts, seats, newly_held }),
            Err(refused) => Err(hold_refused(flight_id, refused, cap)),
        };
    }

    let mut seen_taken: HashSet<String> = HashSet::new();
    for attempt in 0..ASSIGNMENT_ATTEMPTS {
        if attempt > 0 {
            let pause = rand::Rng::gen_range(&mut rand::thread_rng(), 1..=15 * attempt as u64);
            tokio::time::sleep(std::time::Duration::from_millis(pause)).await;
        }
        let state = seat_state(svc, flight_id).await?;
        if let Some(status) = state.status.as_deref().filter(|s| *s != FlightStatus::Scheduled.as_str()) {
            return Err(not_bookable(flight_id, status));
        }
        // A hold of the caller's over a seat already sold is left over from
        // a booking cut short between its commit and its Redis update: the
        // seat is not the caller's to use again.
        let mut held: Vec<String> = state
            .holds
            .iter()
            .filter(|(seat, holder)| **holder == caller.user_id && !state.sold.contains_key(*seat))
            .map(|(s, _)| s.clone())
            .collect();
        held.sort();
        let mut chosen: Vec<String> = held.iter().take(count).cloned().collect();
        if chosen.len() < count {
            let cabin = cabin
                .or_else(|| chosen.first().and_then(|s| facts.plan.find(s)).map(|s| s.cabin))
                .unwrap_or(Cabin::Economy);
            let mut unavailable: HashSet<String> = state.sold.keys().cloned().collect();
            unavailable.extend(state.holds.iter().filter(|(_, h)| **h != caller.user_id).map(|(s, _)| s.clone()));
            unavailable.extend(chosen.iter().cloned());
            unavailable.extend(seen_taken.iter().filter(|s| !held.contains(*s)).cloned());
            let mut near: Vec<u16> = chosen.iter().filter_map(|s| SeatNumber::parse(s)).map(|s| s.row).collect();
            // Everyone who lost a race computes the same next-best seat;
            // with many racers some lose every round although the cabin
            // has room. After a lost race, start from a random row instead.
            if near.is_empty() && attempt > 0 {
                let rows: Vec<u16> = facts.plan.seats().iter().filter(|s| s.cabin == cabin).map(|s| s.row).collect();
                near.extend(rand::seq::SliceRandom::choose(rows.as_slice(), &mut rand::thread_rng()));
            }
            let extra = assign_seats(&facts.plan.layout, cabin, count - chosen.len(), &unavailable, &near).ok_or_else(
                || {
                    ApiError::conflict(
                        ErrorCode::NotEnoughSeats,
                        format!("flight {flight_id} has fewer than {} free {cabin} seats", count - chosen.len()),
                    )
                },
            )?;
            chosen.extend(extra);
        }
        let newly_held: Vec<String> = chosen.iter().filter(|s| !held.contains(s)).cloned().collect();
        match hold_seats(svc, caller, flight_id, &new_hold_id(flight_id), &chosen, cap).await? {
            Ok(_) => return Ok(PlannedLeg { facts, seats: chosen, newly_held }),
            // Someone took an automatically chosen seat meanwhile: choose again.
            Err(HoldOutcome::Taken(taken)) => seen_taken.extend(taken),
            Err(refused) => return Err(hold_refused(flight_id, refused, cap)),
        }
    }
    Err(ApiError::conflict(
        ErrorCode::SeatUnavailable,
        format!("seats on flight {flight_id} kept being taken; try again"),
    ))
}

async fn give_back(svc: &Services, caller: &Caller, planned: &[PlannedLeg]) {
    for leg in planned {
        if let Err(e) = svc.seat_holds().release(leg.facts.leg.flight_id, caller.user_id, &leg.newly_held).await {
            tracing::warn!(error = %e, "could not give back seat holds; they expire on their own");
        }
    }
}

/// Passenger names: as given, or the account's name (from the token when
/// it carries it) and numbered guests after it.
async fn passenger_names(
    svc: &Services,
    caller: &Caller,
    given: Option<Vec<String>>,
    count: usize,
) -> Result<Vec<String>, ApiError> {
    if let Some(names) = given {
        return Ok(names);
    }
    let name = match &caller.name {
        Some(name) => name.clone(),
        None => PgUsers::new(&svc.db).find_by_id(caller.user_id).await?.map_or_else(|| "Passenger".into(), |u| u.name),
    };
    Ok((1..=count).map(|i| if i == 1 { name.clone() } else { format!("{name} (guest {i})") }).collect())
}

pub async fn create_booking(
    svc: &Services,
    caller: &Caller,
    request: CreateBooking,
) -> Result<BookingDetails, ApiError> {
    if request.legs.is_empty() || request.legs.len() > 3 {
        return Err(ApiError::invalid_field("legs", "give 1 to 3 legs"));
    }
    let mut flight_ids = HashSet::new();
    if !request.legs.iter().all(|l| flight_ids.insert(l.flight_id)) {
        return Err(ApiError::invalid_field("legs", "a flight appears twice"));
    }
    let passengers_given = request.passengers.as_ref().map(Vec::len);
    let explicit_counts: HashSet<usize> = request.legs.iter().map(|l| l.seats.len()).filter(|n| *n > 0).collect();
    if explicit_counts.len() > 1 {
        return Err(ApiError::invalid_field("legs", "every leg needs the same number of seats"));
    }
    let count = passengers_given.or(request.count).or(explicit_counts.iter().next().copied()).unwrap_or(0);
    if count == 0 || count > MAX_PASSENGERS {
        return Err(ApiError::invalid_field("seats", format!("book 1 to {MAX_PASSENGERS} seats")));
    }
    if let Some(explicit) = explicit_counts.iter().next() {
        if *explicit != count {
            return Err(ApiError::invalid_field("seatNumbers", format!("{explicit} seat(s) for {count} passenger(s)")));
        }
    }

    let mut flights = Vec::new();
    for leg in &request.legs {
        let facts = facts_or_404(svc, leg.flight_id).await?;
        if has_departed(&facts) {
            return Err(not_bookable(leg.flight_id, "DEPARTED"));
        }
        flights.push(facts);
    }
    if flights.len() > 1 {
        // A leg that cannot be sold any more says so before its neighbours
        // are checked (single legs learn it from their hold).
        for facts in &flights {
            let flight_id = facts.leg.flight_id;
            if let Some(status) =
                seat_state(svc, flight_id).await?.status.filter(|s| s != FlightStatus::Scheduled.as_str())
            {
                return Err(not_bookable(flight_id, &status));
            }
        }
    }
    for pair in flights.windows(2) {
        let (a, b) = (&pair[0].leg, &pair[1].leg);
        if a.destination != b.origin || b.departs_at <= a.arrives_at {
            return Err(ApiError::unprocessable(
                ErrorCode::LegsDoNotConnect,
                format!("flight {} does not continue from flight {}", b.flight_id, a.flight_id),
            ));
        }
    }
    let passengers = passenger_names(svc, caller, request.passengers, count).await?;

    let mut planned: Vec<PlannedLeg> = Vec::new();
    for (leg, facts) in request.legs.iter().zip(flights) {
        match plan_leg(svc, caller, facts, &leg.seats, count, request.cabin).await {
            Ok(plan) => planned.push(plan),
            Err(e) => {
                give_back(svc, caller, &planned).await;
                return Err(e);
            }
        }
    }
    let expected_total = request.expected_total;
    let written = async {
        let seats = priced_seats(&planned)?;
        let total: i64 = seats.iter().map(|s| s.fare).sum();
        let currency = planned[0].facts.fares.first().map(|f| f.currency.clone()).unwrap_or_else(|| "INR".into());
        if let Some(expected) = expected_total {
            if expected != total {
                return Err(price_changed(total, expected, &currency));
            }
        }
        let expires_at =
            Utc::now() + chrono::Duration::from_std(svc.config.seat_hold_ttl).map_err(ApiError::internal)?;
        let booking = NewBooking { user_id: caller.user_id, currency, expires_at, passengers, seats };
        match PgBookings::new(&svc.db).create(&booking).await {
            Ok(created) => Ok((booking, created, total)),
            Err(e) => Err(booking_refused(svc, e).await),
        }
    }
    .await;
    // Any failure after the holds were taken gives back what this request held.
    let (booking, created, total) = match written {
        Ok(written) => written,
        Err(e) => {
            give_back(svc, caller, &planned).await;
            return Err(e);
        }
    };
    // The booking owns the seats now: mark them sold, drop the holds.
    for leg in &planned {
        let flight_id = leg.facts.leg.flight_id;
        if let Err(e) = svc.seat_holds().mark_sold(flight_id, caller.user_id, created.id, &leg.seats).await {
            tracing::warn!(error = %e, flight_id, "could not mark seats sold in Redis; Postgres still guards them");
        }
    }
    for flight_id in &created.now_full {
        invalidate_searches(svc, *flight_id).await;
    }
    let record = BookingRecord {
        id: created.id,
        pnr: created.pnr,
        user_id: caller.user_id,
        status: BookingStatus::PendingPayment,
        currency: booking.currency,
        total_amount: total,
        discount_amount: 0,
        amount_due: total,
        expires_at: booking.expires_at,
        created_at: created.created_at,
        paid_at: None,
        cancelled_at: None,
        passengers: booking.passengers.into_iter().enumerate().map(|(i, n)| (i as i32 + 1, n)).collect(),
        seats: booking
            .seats
            .into_iter()
            .map(|s| SeatRow {
                leg: s.leg,
                flight_id: s.flight_id,
                seat: s.seat,
                cabin: s.cabin,
                passenger_position: s.passenger_position,
                fare: s.fare,
                live: true,
            })
            .collect(),
    };
    let scheduled: HashMap<i64, FlightStatus> =
        planned.iter().map(|l| (l.facts.leg.flight_id, FlightStatus::Scheduled)).collect();
    details_with(svc, record, &scheduled).await
}

/// What the booking transaction's refusal means to the client.
async fn booking_refused(svc: &Services, error: CreateBookingError) -> ApiError {
    match error {
        CreateBookingError::SeatTaken(taken) => {
            let flight_id = taken.first().map(|(f, _)| *f).unwrap_or_default();
            // Redis showed the seat free although Postgres had sold it (a
            // write lost to a crash): load it afresh next time.
            if let Err(e) = svc.seat_holds().forget_sold(flight_id).await {
                tracing::warn!(error = %e, flight_id, "could not drop the sold seats copy");
            }
            seat_unavailable(flight_id, &taken.into_iter().map(|(_, s)| s).collect::<Vec<_>>())
        }
        CreateBookingError::SoldOut => ApiError::conflict(ErrorCode::SoldOut, "the cabin sold out meanwhile"),
        CreateBookingError::FlightNotBookable(id) => {
            ApiError::conflict(ErrorCode::FlightNotBookable, format!("flight {id} can no longer be booked"))
        }
        CreateBookingError::FareChanged(id) => {
            svc.flights.forget(id);
            ApiError::conflict(ErrorCode::PriceChanged, format!("a fare of flight {id} changed; search again"))
        }
        CreateBookingError::Store(e) => e,
    }
}

/// Each seat with its cabin and fare (the server's price).
fn priced_seats(planned: &[PlannedLeg]) -> Result<Vec<NewSeat>, ApiError> {
    let mut seats = Vec::new();
    for (index, leg) in planned.iter().enumerate() {
        for (position, seat) in leg.seats.iter().enumerate() {
            let cabin = leg
                .facts
                .plan
                .find(seat)
                .map(|s| s.cabin)
                .ok_or_else(|| ApiError::internal(format!("seat {seat} vanished from the layout")))?;
            let fare = leg
                .facts
                .fare(cabin)
                .ok_or_else(|| ApiError::internal(format!("flight {} has no {cabin} fare", leg.facts.leg.flight_id)))?;
            seats.push(NewSeat {
                leg: index as i32 + 1,
                flight_id: leg.facts.leg.flight_id,
                seat: seat.clone(),
                cabin: cabin.as_str().to_string(),
                passenger_position: position as i32 + 1,
                fare: fare.amount,
            });
        }
    }
    Ok(seats)
}

fn price_changed(total: i64, expected: i64, currency: &str) -> ApiError {
    ApiError::conflict(
        ErrorCode::PriceChanged,
        format!(
            "the price is now {} (you sent {})",
            Money::new(total, currency).formatted(),
            Money::new(expected, currency).formatted()
        ),
    )
    .with("currentPrice", Money::new(total, currency).to_json())
}
