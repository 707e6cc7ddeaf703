//! Creating, reading, listing, cancelling and expiring bookings.
//!
//! Creation takes the seats the caller holds (assigning and holding more
//! when a count asks for more), checks the client's price against the
//! server's, then writes the booking in one Postgres transaction. Redis holds
//! are the fast path; the transaction's unique index is the final guard.

use super::flights::invalidate_searches;
use super::seats::{ensure_sellable, fare_of, flight_or_404, new_hold_id, seat_unavailable, seats_on_aircraft};
use crate::domain::booking::{assign_seats, MAX_PASSENGERS};
use crate::domain::money::Money;
use crate::domain::seating::{Cabin, SeatNumber};
use crate::http::Caller;
use crate::store::bookings::{BookingRecord, CancelOutcome, CreateBookingError, NewBooking, NewSeat, PgBookings};
use crate::store::flights::{FlightRecord, PgFlights};
use crate::store::seat_holds::HoldOutcome;
use crate::store::users::{PgUsers, UserStore};
use crate::{ApiError, Services};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::Utc;
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashSet};

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
    flight: FlightRecord,
    seats: Vec<String>,
    /// Seats this request newly held (given back if the booking fails).
    newly_held: Vec<String>,
}

/// Concurrent bookings by count tend to choose the same free seats; each
/// retry re-reads the holds and skips seats seen taken, after a short
/// random pause that spreads the contenders out.
const ASSIGNMENT_ATTEMPTS: usize = 10;

async fn plan_leg(
    svc: &Services,
    caller: &Caller,
    flight: FlightRecord,
    explicit: &[String],
    count: usize,
    cabin: Option<Cabin>,
) -> Result<PlannedLeg, ApiError> {
    let flight_id = flight.leg.flight_id;
    let holds = svc.seat_holds();
    let ttl = svc.config.seat_hold_ttl;
    let cap = svc.config.seat_hold_max_per_flight.max(count);
    let (held, _) = holds.held_by(flight_id, caller.user_id).await?;

    let mut seen_taken: HashSet<String> = HashSet::new();
    for attempt in 0..ASSIGNMENT_ATTEMPTS {
        if attempt > 0 {
            let pause = rand::Rng::gen_range(&mut rand::thread_rng(), 1..=15 * attempt as u64);
            tokio::time::sleep(std::time::Duration::from_millis(pause)).await;
        }
        let seats: Vec<String> = if !explicit.is_empty() {
            seats_on_aircraft(&flight, explicit)?
        } else {
            let mut chosen: Vec<String> = held.iter().take(count).cloned().collect();
            if chosen.len() < count {
                let cabin = cabin
                    .or_else(|| {
                        chosen
                            .first()
                            .and_then(|s| SeatNumber::parse(s))
                            .and_then(|s| flight.layout.seat(&s))
                            .map(|s| s.cabin)
                    })
                    .unwrap_or(Cabin::Economy);
                let all: Vec<String> = flight.layout.seats().map(|s| s.number).collect();
                let bookings = PgBookings::new(&svc.db);
                let (booked, holders) =
                    tokio::try_join!(bookings.booked_seats(flight_id), holds.holders(flight_id, &all))?;
                let mut unavailable: HashSet<String> = booked.into_iter().collect();
                unavailable.extend(
                    all.iter()
                        .zip(holders)
                        .filter(|(_, h)| h.is_some_and(|h| h != caller.user_id))
                        .map(|(s, _)| s.clone()),
                );
                unavailable.extend(chosen.iter().cloned());
                unavailable.extend(seen_taken.iter().filter(|s| !held.contains(*s)).cloned());
                let mut near: Vec<u16> = chosen.iter().filter_map(|s| SeatNumber::parse(s)).map(|s| s.row).collect();
                // Everyone who lost a race computes the same next-best seat;
                // with many racers some lose every round although the cabin
                // has room. After a lost race, start from a random row instead.
                if near.is_empty() && attempt > 0 {
                    let rows: Vec<u16> = all
                        .iter()
                        .filter_map(|s| SeatNumber::parse(s))
                        .filter(|s| flight.layout.seat(s).is_some_and(|seat| seat.cabin == cabin))
                        .map(|s| s.row)
                        .collect();
                    near.extend(rand::seq::SliceRandom::choose(rows.as_slice(), &mut rand::thread_rng()));
                }
                let extra = assign_seats(&flight.layout, cabin, count - chosen.len(), &unavailable, &near).ok_or_else(
                    || {
                        ApiError::conflict(
                            "NOT_ENOUGH_SEATS",
                            format!("flight {flight_id} has fewer than {} free {cabin} seats", count - chosen.len()),
                        )
                    },
                )?;
                chosen.extend(extra);
            }
            chosen
        };
        let newly_held: Vec<String> = seats.iter().filter(|s| !held.contains(s)).cloned().collect();
        match holds.hold(flight_id, caller.user_id, &new_hold_id(flight_id), &seats, ttl, cap).await? {
            HoldOutcome::Held if explicit.is_empty() => {
                // A booking holds its seats until it commits, then releases
                // them: a seat chosen from reads taken before that commit
                // can be held now yet be sold. Checked after the hold, the
                // sale is visible; give the seats back and choose again.
                let booked = match PgBookings::new(&svc.db).booked_seats(flight_id).await {
                    Ok(booked) => booked,
                    Err(e) => {
                        if let Err(e) = holds.release(flight_id, caller.user_id, &newly_held).await {
                            tracing::warn!(error = %e, "could not give back seat holds; they expire on their own");
                        }
                        return Err(e);
                    }
                };
                let sold: Vec<String> = newly_held.iter().filter(|s| booked.contains(s)).cloned().collect();
                if sold.is_empty() {
                    return Ok(PlannedLeg { flight, seats, newly_held });
                }
                holds.release(flight_id, caller.user_id, &newly_held).await?;
                seen_taken.extend(sold);
                continue;
            }
            HoldOutcome::Held => return Ok(PlannedLeg { flight, seats, newly_held }),
            // Someone took an automatically chosen seat meanwhile: choose again.
            HoldOutcome::Taken(taken) if explicit.is_empty() => {
                seen_taken.extend(taken);
                continue;
            }
            HoldOutcome::Taken(taken) => return Err(seat_unavailable(flight_id, &taken)),
            HoldOutcome::OverCap { already } => {
                return Err(ApiError::conflict(
                    "HOLD_LIMIT_REACHED",
                    format!("you already hold {already} seat(s) on flight {flight_id}; at most {cap} at a time"),
                ))
            }
        }
    }
    Err(ApiError::conflict("SEAT_UNAVAILABLE", format!("seats on flight {flight_id} kept being taken; try again")))
}

async fn give_back(svc: &Services, caller: &Caller, planned: &[PlannedLeg]) {
    for leg in planned {
        if let Err(e) = svc.seat_holds().release(leg.flight.leg.flight_id, caller.user_id, &leg.newly_held).await {
            tracing::warn!(error = %e, "could not give back seat holds; they expire on their own");
        }
    }
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
        let flight = flight_or_404(svc, leg.flight_id).await?;
        ensure_sellable(&flight)?;
        flights.push(flight);
    }
    for pair in flights.windows(2) {
        let (a, b) = (&pair[0].leg, &pair[1].leg);
        if a.destination != b.origin || b.departs_at <= a.arrives_at {
            return Err(ApiError::unprocessable(
                "LEGS_DO_NOT_CONNECT",
                format!("flight {} does not continue from flight {}", b.flight_id, a.flight_id),
            ));
        }
    }

    let passengers = match request.passengers {
        Some(names) => names,
        None => {
            let user = PgUsers::new(&svc.db).find_by_id(caller.user_id).await?;
            let name = user.map(|u| u.name).unwrap_or_else(|| "Passenger".into());
            (1..=count).map(|i| if i == 1 { name.clone() } else { format!("{name} (guest {i})") }).collect()
        }
    };

    // Price check before anything is held: a stale price changes nothing.
    let mut planned: Vec<PlannedLeg> = Vec::new();
    for (leg, flight) in request.legs.iter().zip(flights) {
        match plan_leg(svc, caller, flight, &leg.seats, count, request.cabin).await {
            Ok(plan) => planned.push(plan),
            Err(e) => {
                give_back(svc, caller, &planned).await;
                return Err(e);
            }
        }
    }
    let mut seats = Vec::new();
    for (index, leg) in planned.iter().enumerate() {
        for (position, seat) in leg.seats.iter().enumerate() {
            let cabin = SeatNumber::parse(seat)
                .and_then(|s| leg.flight.layout.seat(&s))
                .map(|s| s.cabin)
                .ok_or_else(|| ApiError::internal(format!("seat {seat} vanished from the layout")))?;
            seats.push(NewSeat {
                leg: index as i32 + 1,
                flight_id: leg.flight.leg.flight_id,
                seat: seat.clone(),
                cabin: cabin.as_str().to_string(),
                passenger_position: position as i32 + 1,
                fare: fare_of(&leg.flight, cabin)?.amount,
            });
        }
    }
    let total: i64 = seats.iter().map(|s| s.fare).sum();
    let currency = planned[0].flight.fares.first().map(|f| f.currency.clone()).unwrap_or_else(|| "INR".into());
    if let Some(expected) = request.expected_total {
        if expected != total {
            give_back(svc, caller, &planned).await;
            return Err(ApiError::conflict(
                "PRICE_CHANGED",
                format!(
                    "the price is now {} (you sent {})",
                    Money::new(total, &currency).formatted(),
                    Money::new(expected, &currency).formatted()
                ),
            )
            .with("currentPrice", Money::new(total, &currency).to_json()));
        }
    }

    let expires_at = Utc::now() + chrono::Duration::from_std(svc.config.seat_hold_ttl).map_err(ApiError::internal)?;
    let created = PgBookings::new(&svc.db)
        .create(NewBooking { user_id: caller.user_id, currency, expires_at, passengers, seats })
        .await;
    let (record, now_full) = match created {
        Ok(done) => done,
        Err(e) => {
            give_back(svc, caller, &planned).await;
            return Err(match e {
                CreateBookingError::SeatTaken(taken) => {
                    let flight_id = taken.first().map(|(f, _)| *f).unwrap_or_default();
                    seat_unavailable(flight_id, &taken.into_iter().map(|(_, s)| s).collect::<Vec<_>>())
                }
                CreateBookingError::SoldOut => ApiError::conflict("SOLD_OUT", "the cabin sold out meanwhile"),
                CreateBookingError::FlightNotBookable(id) => {
                    ApiError::conflict("FLIGHT_NOT_BOOKABLE", format!("flight {id} can no longer be booked"))
                }
                CreateBookingError::Store(e) => e,
            });
        }
    };
    // The booking owns the seats now; the holds have done their job.
    for leg in &planned {
        if let Err(e) = svc.seat_holds().release(leg.flight.leg.flight_id, caller.user_id, &leg.seats).await {
            tracing::warn!(error = %e, "could not clear consumed holds; they expire on their own");
        }
    }
    for flight_id in now_full {
        invalidate_searches(svc, flight_id).await;
    }
    booking_view(svc, &record).await
}

pub async fn booking_view(svc: &Services, record: &BookingRecord) -> Result<Value, ApiError> {
    let flights = PgFlights::new(&svc.db);
    let mut by_leg: BTreeMap<i32, Vec<&crate::store::bookings::SeatRow>> = BTreeMap::new();
    for seat in &record.seats {
        by_leg.entry(seat.leg).or_default().push(seat);
    }
    let mut legs = Vec::new();
    for (leg, seats) in &by_leg {
        let flight_id = seats[0].flight_id;
        let flight =
            flights.find(flight_id).await?.ok_or_else(|| ApiError::internal(format!("flight {flight_id} vanished")))?;
        let directory = svc.directory.get(&svc.db, &[&flight.leg.origin, &flight.leg.destination]).await?;
        let tz = |code: &str| directory.airports.get(code).map(|a| a.time_zone).unwrap_or(chrono_tz::UTC);
        legs.push(json!({
            "leg": leg,
            "flightId": flight_id,
            "flightNumber": flight.leg.flight_number,
            "origin": flight.leg.origin,
            "destination": flight.leg.destination,
            "departureTime": flight.leg.departs_at.with_timezone(&tz(&flight.leg.origin)).to_rfc3339(),
            "arrivalTime": flight.leg.arrives_at.with_timezone(&tz(&flight.leg.destination)).to_rfc3339(),
            "flightStatus": flight.status,
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
                    ApiError::bad_request("INVALID_CURSOR", "cursor is not valid; start again without it")
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
                "BOOKING_EXPIRED",
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

/// Seats freed in Postgres: clear any leftover hold of the owner and let
/// cached searches show the flight again.
async fn after_release(svc: &Services, user_id: i64, released: &[(i64, String)]) {
    let mut per_flight: BTreeMap<i64, Vec<String>> = BTreeMap::new();
    for (flight_id, seat) in released {
        per_flight.entry(*flight_id).or_default().push(seat.clone());
    }
    for (flight_id, seats) in per_flight {
        if let Err(e) = svc.seat_holds().release(flight_id, user_id, &seats).await {
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
    let released = PgBookings::new(&svc.db).expire_due(announce).await?;
    let mut per_user: BTreeMap<i64, Vec<(i64, String)>> = BTreeMap::new();
    let mut bookings = HashSet::new();
    for (booking, user, flight, seat) in released {
        bookings.insert(booking);
        per_user.entry(user).or_default().push((flight, seat));
    }
    for (user, seats) in per_user {
        after_release(svc, user, &seats).await;
    }
    Ok(bookings.len())
}
