//! Creating, reading, listing, cancelling and expiring bookings.
//!
//! Creation takes the seats the caller holds (assigning and holding more
//! when a count asks for more), checks the client's price against the
//! server's, then writes the booking in one Postgres transaction. Redis holds
//! are the fast path; the transaction's unique index is the final guard.

use super::flights::invalidate_searches;
use super::seats::{
    facts_or_404, has_departed, hold_refused, hold_seats, new_hold_id, not_bookable, seat_state, seat_unavailable,
    seats_on_aircraft,
};
use crate::domain::booking::{assign_seats, BookingStatus, MAX_PASSENGERS};
use crate::domain::money::Money;
use crate::domain::seating::{Cabin, SeatNumber};
use crate::http::Caller;
use crate::store::bookings::{
    BookingRecord, CancelOutcome, CreateBookingError, NewBooking, NewSeat, PgBookings, ReleasedSeat, SeatRow,
};
use crate::store::flights::FlightFacts;
use crate::store::seat_holds::HoldOutcome;
use crate::store::users::{PgUsers, UserStore};
use crate::ErrorCode;
use crate::{ApiError, Services};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::Utc;
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap, HashSet};
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
        if let Some(status) = state.status.as_deref().filter(|s| *s != "SCHEDULED") {
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

pub async fn create_booking(svc: &Services, caller: &Caller, request: CreateBooking) -> Result<Value, ApiError> {
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
            if let Some(status) = seat_state(svc, flight_id).await?.status.filter(|s| s != "SCHEDULED") {
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
    let seats = match priced_seats(&planned) {
        Ok(seats) => seats,
        Err(e) => {
            give_back(svc, caller, &planned).await;
            return Err(e);
        }
    };
    let total: i64 = seats.iter().map(|s| s.fare).sum();
    let currency = planned[0].facts.fares.first().map(|f| f.currency.clone()).unwrap_or_else(|| "INR".into());
    if let Some(expected) = request.expected_total {
        if expected != total {
            give_back(svc, caller, &planned).await;
            return Err(price_changed(total, expected, &currency));
        }
    }

    let expires_at = Utc::now() + chrono::Duration::from_std(svc.config.seat_hold_ttl).map_err(ApiError::internal)?;
    let booking = NewBooking { user_id: caller.user_id, currency, expires_at, passengers, seats };
    let created = match PgBookings::new(&svc.db).create(&booking).await {
        Ok(created) => created,
        Err(e) => {
            give_back(svc, caller, &planned).await;
            return Err(match e {
                CreateBookingError::SeatTaken(taken) => {
                    let flight_id = taken.first().map(|(f, _)| *f).unwrap_or_default();
                    // Redis showed the seat free although Postgres had sold
                    // it (a write lost to a crash): load it afresh next time.
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
                CreateBookingError::Store(e) => e.into(),
            });
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
    let scheduled: HashMap<i64, String> = planned.iter().map(|l| (l.facts.leg.flight_id, "SCHEDULED".into())).collect();
    booking_view_with(svc, &record, &scheduled).await
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

/// A booking as the API shows it, with its flights' current status.
pub async fn booking_view(svc: &Services, record: &BookingRecord) -> Result<Value, ApiError> {
    let flight_ids: Vec<i64> = record.seats.iter().map(|s| s.flight_id).collect();
    let statuses = PgBookings::new(&svc.db).flight_statuses(&flight_ids).await?;
    booking_view_with(svc, record, &statuses).await
}

async fn booking_view_with(
    svc: &Services,
    record: &BookingRecord,
    statuses: &HashMap<i64, String>,
) -> Result<Value, ApiError> {
    let mut by_leg: BTreeMap<i32, Vec<&SeatRow>> = BTreeMap::new();
    for seat in &record.seats {
        by_leg.entry(seat.leg).or_default().push(seat);
    }
    let mut legs = Vec::new();
    for (leg, seats) in &by_leg {
        let flight_id = seats[0].flight_id;
        let facts = svc
            .flights
            .get(&svc.db, flight_id)
            .await?
            .ok_or_else(|| ApiError::internal(format!("flight {flight_id} vanished")))?;
        let flight = &facts.leg;
        let directory = svc.directory.get(&svc.db, &[&flight.origin, &flight.destination]).await?;
        let tz = |code: &str| directory.airports.get(code).map(|a| a.time_zone).unwrap_or(chrono_tz::UTC);
        legs.push(json!({
            "leg": leg,
            "flightId": flight_id,
            "flightNumber": flight.flight_number,
            "origin": flight.origin,
            "destination": flight.destination,
            "departureTime": flight.departs_at.with_timezone(&tz(&flight.origin)).to_rfc3339(),
            "arrivalTime": flight.arrives_at.with_timezone(&tz(&flight.destination)).to_rfc3339(),
            "flightStatus": statuses.get(&flight_id),
            "seats": seats.iter().map(|s| json!({
                "seatNumber": s.seat,
                "cabin": s.cabin,
                "passenger": s.passenger_position,
                "fare": Money::new(s.fare, &record.currency).to_json(),
                "active": s.live,
            })).collect::<Vec<_>>(),
        }));
    }
    let first_leg_seats: Vec<&str> = record.seats.iter().filter(|s| s.leg == 1).map(|s| s.seat.as_str()).collect();
    let money = |amount: i64| Money::new(amount, &record.currency).to_json();
    Ok(json!({
        "id": record.id,
        "bookingId": record.id,
        "pnr": record.pnr,
        "userId": record.user_id,
        "status": record.status.as_str(),
        "flightId": record.seats.first().map(|s| s.flight_id),
        "seatNumbers": first_leg_seats,
        "seats": first_leg_seats.len(),
        "price": record.total_amount as f64 / 100.0,
        "legs": legs,
        "passengers": record.passengers.iter().map(|(position, name)| json!({"position": position, "name": name})).collect::<Vec<_>>(),
        "totalAmount": money(record.total_amount),
        "discount": money(record.discount_amount),
        "amountDue": money(record.amount_due),
        "expiresAt": record.expires_at,
        "createdAt": record.created_at,
        "paidAt": record.paid_at,
        "cancelledAt": record.cancelled_at,
    }))
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
) -> Result<Value, ApiError> {
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
            items.push(booking_view(svc, &record).await?);
        }
    }
    let next = if more { ids.get(limit - 1).map(|id| URL_SAFE_NO_PAD.encode(format!("b:{id}"))) } else { None };
    Ok(json!({"bookings": items, "count": items.len(), "nextCursor": next}))
}

pub async fn cancel_booking(svc: &Services, caller: &Caller, booking_id: i64) -> Result<Value, ApiError> {
    match PgBookings::new(&svc.db).cancel_unpaid(booking_id, caller.user_id).await? {
        CancelOutcome::NotFound => return Err(ApiError::not_found(format!("booking {booking_id} does not exist"))),
        CancelOutcome::Expired => {
            return Err(ApiError::conflict(
                ErrorCode::BookingExpired,
                format!("booking {booking_id} has expired; its seats are released"),
            ))
        }
        CancelOutcome::Paid => {
            let (released, _refund) = super::payments::cancel_paid(svc, caller, booking_id).await?;
            after_release(svc, caller.user_id, &released).await;
        }
        CancelOutcome::AlreadyCancelled => {}
        CancelOutcome::Cancelled { released } => after_release(svc, caller.user_id, &released).await,
    }
    let record = owned_booking(svc, caller, booking_id).await?;
    let mut view = booking_view(svc, &record).await?;
    view["refund"] = refund_of(svc, booking_id, &record.currency).await?;
    Ok(view)
}

async fn refund_of(svc: &Services, booking_id: i64, currency: &str) -> Result<Value, ApiError> {
    let refunded = crate::store::payments::refunded_for(&svc.db, booking_id, "CANCELLATION").await?;
    Ok(Money::new(refunded, currency).to_json())
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
        let notification = super::notifications::Notification::new(
            user,
            "BOOKING_EXPIRED",
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
