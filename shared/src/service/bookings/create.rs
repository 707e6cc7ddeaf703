//! Creating a booking: the request's shape, the legs' connections, the
//! slices' order and the passengers are checked by the booking plan
//! (`domain::booking_plan`, `domain::passengers`), the seats are held by the
//! seat inventory (`inventory`), the price is the server's (each passenger
//! type's share of the adult fares), and the booking is written in one
//! Postgres transaction. Redis holds are the fast path; the transaction's
//! unique index is the final guard. What this request newly held is given
//! back on any failure after it was held.

use super::inventory::{give_back, hold_for_booking, HeldSeats, LiveSeats, SeatRequest};
use super::{details_with, BookingDetails};
use crate::auth::caller::Caller;
use crate::domain::booking::BookingStatus;
use crate::domain::booking_actions::BookingLedger;
use crate::domain::booking_plan::{
    check_connections, check_slice_order, check_slices, passenger_count, price_party, price_seats, LegSeats, LegTimes,
    PlanError, PricedSeat, RequestedLegs,
};
use crate::domain::fares::FareBrand;
use crate::domain::flight::FlightStatus;
use crate::domain::ids::{BookingId, FlightId, UserId};
use crate::domain::money::Money;
use crate::domain::passengers::{check_passengers, ticket_name, Journey, Passenger};
use crate::domain::seat_charges::{seat_charge, SeatChoice, SeatProduct};
use crate::domain::seating::Cabin;
use crate::domain::travellers::PassengerType;
use crate::service::search::invalidate_searches;
use crate::service::seats::{
    facts_or_404, has_departed, not_bookable, seat_state, seat_unavailable, seats_on_aircraft,
};
use crate::store::bookings::{
    BookingRecord, CreateBookingError, LapRow, NewBooking, NewSeat, PassengerRow, PgBookings, SeatRow,
};
use crate::store::flights::FlightFacts;
use crate::store::users::{PgUsers, UserStore};
use crate::ErrorCode;
use crate::{ApiError, Services};
use chrono::Utc;
use std::collections::HashMap;
use std::sync::Arc;

pub struct LegRequest {
    /// 0-based: the slice of the order the leg belongs to.
    pub slice: usize,
    pub flight_id: i64,
    /// Empty: use the caller's held seats, assigning more if needed.
    pub seats: Vec<String>,
}

/// Who travels: names only (every one an adult, the original shapes), or
/// passengers with their type, details and documents.
pub enum PassengersRequest {
    Names(Vec<String>),
    Detailed(Vec<Passenger>),
}

pub struct CreateBooking {
    /// In order, slice by slice.
    pub legs: Vec<LegRequest>,
    /// The original specification's `seats: 2`: how many seats per leg.
    pub count: Option<usize>,
    pub passengers: Option<PassengersRequest>,
    pub cabin: Option<Cabin>,
    /// What the client believes the total is, in minor units.
    pub expected_total: Option<i64>,
    /// `None`: each cabin's default (the published fare).
    pub fare_brand: Option<FareBrand>,
}

pub(super) fn plan_error(error: PlanError) -> ApiError {
    match error {
        PlanError::InvalidField(field, reason) => ApiError::invalid_field(field, reason),
        PlanError::LegsDoNotConnect { from, to } => ApiError::unprocessable(
            ErrorCode::LegsDoNotConnect,
            format!("flight {to} does not continue from flight {from}"),
        ),
        PlanError::SlicesOutOfOrder { slice } => ApiError::invalid_field(
            &format!("slices[{slice}]"),
            format!("leaves before slices[{}] lands: slices are in travel order", slice - 1),
        ),
        PlanError::Unpriceable(reason) => ApiError::internal(reason),
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

/// The flights of the request, each still sellable, each slice one
/// journey, the slices in travel order.
pub(super) async fn bookable_flights(svc: &Services, legs: &[LegRequest]) -> Result<Vec<Arc<FlightFacts>>, ApiError> {
    let mut flights = Vec::new();
    for leg in legs {
        let facts = facts_or_404(svc, leg.flight_id).await?;
        if has_departed(&facts) {
            return Err(not_bookable(leg.flight_id, FlightStatus::Departed.as_str()));
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
    let times: Vec<LegTimes> = flights
        .iter()
        .map(|f| LegTimes {
            flight_id: f.leg.flight_id,
            origin: &f.leg.origin,
            destination: &f.leg.destination,
            departs_at: f.leg.departs_at,
            arrives_at: f.leg.arrives_at,
        })
        .collect();
    let mut slices: Vec<&[LegTimes]> = Vec::new();
    let mut start = 0;
    for end in 1..=legs.len() {
        if end == legs.len() || legs[end].slice != legs[start].slice {
            slices.push(&times[start..end]);
            start = end;
        }
    }
    for slice in &slices {
        check_connections(slice).map_err(plan_error)?;
    }
    check_slice_order(&slices).map_err(plan_error)?;
    Ok(flights)
}

/// Detailed passengers checked against the journey (ages on the day of the
/// last flight, passports when it crosses a border) and put in booking
/// order: seated passengers first, then infants naming their adult's
/// position.
async fn detailed_passengers(
    svc: &Services,
    flights: &[Arc<FlightFacts>],
    list: Vec<Passenger>,
) -> Result<Vec<PassengerRow>, ApiError> {
    let codes: Vec<&str> = flights.iter().flat_map(|f| [f.leg.origin.as_str(), f.leg.destination.as_str()]).collect();
    let directory = svc.directory.get(&svc.db, &codes).await?;
    let country = |code: &str| directory.airports.get(code).map(|a| a.country.as_str());
    let last = &flights[flights.len() - 1].leg;
    let tz = directory.airports.get(&last.origin).map_or(chrono_tz::UTC, |a| a.time_zone);
    let journey = Journey {
        last_date: last.departs_at.with_timezone(&tz).date_naive(),
        international: flights.iter().any(|f| country(&f.leg.origin) != country(&f.leg.destination)),
    };
    check_passengers(&list, &journey).map_err(|e| ApiError::invalid_field(&e.0, e.1))?;
    let mut order: Vec<usize> = (0..list.len()).filter(|i| list[*i].kind.is_seated()).collect();
    order.extend((0..list.len()).filter(|i| !list[*i].kind.is_seated()));
    let position_of: HashMap<usize, i32> = order.iter().enumerate().map(|(pos, i)| (*i, pos as i32 + 1)).collect();
    Ok(order
        .iter()
        .map(|i| {
            let p = &list[*i];
            let passport = p.passport.as_ref();
            PassengerRow {
                position: position_of[i],
                name: ticket_name(p),
                kind: p.kind,
                title: p.title.map(|t| t.as_str().to_string()),
                given_name: Some(p.given_name.trim().to_string()),
                family_name: Some(p.family_name.trim().to_string()),
                date_of_birth: Some(p.date_of_birth),
                gender: p.gender.map(|g| g.as_str().to_string()),
                infant_of: p.infant_of.map(|adult| position_of[&adult]),
                passport_number: passport.map(|d| d.number.clone()),
                passport_issuing_country: passport.map(|d| d.issuing_country.clone()),
                passport_nationality: passport.map(|d| d.nationality.clone()),
                passport_expires_on: passport.map(|d| d.expires_on),
            }
        })
        .collect())
}

pub async fn create_booking(
    svc: &Services,
    caller: &Caller,
    request: CreateBooking,
) -> Result<BookingDetails, ApiError> {
    let mut legs_per_slice: Vec<usize> = Vec::new();
    for (index, leg) in request.legs.iter().enumerate() {
        match leg.slice {
            s if s + 1 == legs_per_slice.len() => *legs_per_slice.last_mut().expect("a slice") += 1,
            s if s == legs_per_slice.len() => legs_per_slice.push(1),
            _ => return Err(ApiError::internal(format!("leg {index} is out of its slice's order"))),
        }
    }
    check_slices(&legs_per_slice).map_err(plan_error)?;
    // Bookings hold seats from everyone else until paid: a script may not
    // make them at machine speed (the unpaid-seat caps bound what it keeps).
    svc.rate_limiter().check("booking", caller.user_id, svc.config.booking_rate_per_minute).await?;
    let flight_ids: Vec<i64> = request.legs.iter().map(|l| l.flight_id).collect();
    let named_seats: Vec<usize> = request.legs.iter().map(|l| l.seats.len()).collect();
    let seated = match &request.passengers {
        Some(PassengersRequest::Names(names)) => Some(names.len()),
        Some(PassengersRequest::Detailed(list)) => Some(list.iter().filter(|p| p.kind.is_seated()).count()),
        None => None,
    };
    let count = passenger_count(&RequestedLegs {
        flight_ids: &flight_ids,
        named_seats: &named_seats,
        passenger_names: seated,
        count: request.count,
    })
    .map_err(plan_error)?;
    let flights = bookable_flights(svc, &request.legs).await?;
    let passengers: Vec<PassengerRow> = match request.passengers {
        Some(PassengersRequest::Detailed(list)) => detailed_passengers(svc, &flights, list).await?,
        Some(PassengersRequest::Names(names)) => named(names),
        None => named(passenger_names(svc, caller, None, count).await?),
    };
    let kinds: Vec<PassengerType> = passengers.iter().filter(|p| p.kind.is_seated()).map(|p| p.kind).collect();
    let infants: Vec<(i32, i32)> =
        passengers.iter().filter_map(|p| p.infant_of.map(|adult| (p.position, adult))).collect();

    let brand = request.fare_brand.unwrap_or(FareBrand::Saver);
    let ledger = LiveSeats { svc };
    let cap = svc.config.seat_hold_max_per_flight.max(count);
    let mut held: Vec<HeldSeats> = Vec::new();
    let written = async {
        for (leg, facts) in request.legs.iter().zip(&flights) {
            let named = if leg.seats.is_empty() { Vec::new() } else { seats_on_aircraft(facts, &leg.seats)? };
            let seats = SeatRequest {
                flight_id: facts.leg.flight_id,
                plan: &facts.plan,
                named: &named,
                count,
                cabin: request.cabin,
                cap,
            };
            held.push(hold_for_booking(&ledger, caller.user_id, seats).await?);
        }
        let priced = priced_seats(&flights, &held, brand)?;
        let currency = flights[0].fares.first().map(|f| f.currency.clone()).unwrap_or_else(|| "INR".into());
        let choices = seat_choices(&request.legs, &held, request.count.is_some());
        let seat_charges = charges_of(&flights, &priced, &choices, brand, &currency);
        let (mut charged, laps) = price_party(&priced, &kinds, &infants);
        for (fare, charge) in charged.iter_mut().zip(&seat_charges) {
            *fare += charge.map_or(0, |(_, amount)| amount);
        }
        let total = charged.iter().sum::<i64>() + laps.iter().map(|l| l.fare).sum::<i64>();
        if let Some(expected) = request.expected_total {
            if expected != total {
                return Err(price_changed(total, expected, &currency));
            }
        }
        let expires_at =
            Utc::now() + chrono::Duration::from_std(svc.config.seat_hold_ttl).map_err(ApiError::internal)?;
        let slice_of = |leg: i32| request.legs[leg as usize - 1].slice as i32 + 1;
        let seats = priced
            .into_iter()
            .zip(charged)
            .zip(seat_charges)
            .map(|((seat, fare), seat_charge)| new_seat(seat, fare, seat_charge, slice_of))
            .collect();
        let laps = laps
            .into_iter()
            .map(|l| LapRow {
                slice: slice_of(l.leg),
                leg: l.leg,
                flight_id: l.flight_id,
                cabin: l.cabin.as_str().to_string(),
                passenger_position: l.passenger_position,
                fare: l.fare,
            })
            .collect();
        let caps = svc.config.unpaid_seat_caps;
        let booking = NewBooking {
            user_id: caller.user_id,
            caps,
            currency,
            fare_brand: brand,
            expires_at,
            passengers,
            seats,
            laps,
        };
        match PgBookings::new(&svc.db).create(&booking).await {
            Ok(created) => Ok((booking, created, total)),
            Err(e) => Err(booking_refused(svc, e).await),
        }
    }
    .await;
    // Any failure once seats were held gives back what this request held.
    let (booking, created, total) = match written {
        Ok(written) => written,
        Err(e) => {
            give_back(&ledger, caller.user_id, &held).await;
            return Err(e);
        }
    };
    // The booking owns the seats now: mark them sold, drop the holds.
    for leg in &held {
        if let Err(e) = svc
            .seat_holds()
            .mark_sold(FlightId(leg.flight_id), UserId(caller.user_id), BookingId(created.id), &leg.seats)
            .await
        {
            tracing::warn!(error = %e, flight_id = leg.flight_id, "could not mark seats sold in Redis; Postgres still guards them");
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
        fare_brand: brand,
        expires_at: booking.expires_at,
        created_at: created.created_at,
        paid_at: None,
        cancelled_at: None,
        passengers: booking.passengers,
        seats: booking
            .seats
            .into_iter()
            .map(|s| SeatRow {
                slice: s.slice,
                leg: s.leg,
                flight_id: s.flight_id,
                seat: s.seat,
                cabin: s.cabin,
                passenger_position: s.passenger_position,
                fare: s.fare,
                seat_charge: s.seat_charge,
                live: true,
            })
            .collect(),
        laps: booking.laps,
    };
    let scheduled: HashMap<i64, FlightStatus> = held.iter().map(|l| (l.flight_id, FlightStatus::Scheduled)).collect();
    details_with(svc, record, &scheduled, BookingLedger::default()).await
}

fn named(names: Vec<String>) -> Vec<PassengerRow> {
    names.into_iter().enumerate().map(|(i, name)| PassengerRow::named(i as i32 + 1, name)).collect()
}

/// Each held seat with its cabin and the server's fare.
pub(super) fn priced_seats(
    flights: &[Arc<FlightFacts>],
    held: &[HeldSeats],
    brand: FareBrand,
) -> Result<Vec<PricedSeat>, ApiError> {
    let fares: Vec<Vec<(Cabin, i64)>> =
        flights.iter().map(|f| f.fares.iter().map(|fare| (fare.cabin, fare.amount)).collect()).collect();
    let legs: Vec<LegSeats> = flights
        .iter()
        .zip(held)
        .zip(&fares)
        .map(|((facts, held), fares)| LegSeats {
            flight_id: facts.leg.flight_id,
            plan: &facts.plan,
            fares,
            seats: &held.seats,
        })
        .collect();
    price_seats(&legs, brand).map_err(plan_error)
}

/// How each held seat came to its passenger, in the priced seats' order
/// (leg by leg, in passenger order): named in the request or held before it
/// is chosen; the rest we assigned. The original body's count of seats
/// includes the choice of a standard seat.
fn seat_choices(legs: &[LegRequest], held: &[HeldSeats], by_count: bool) -> Vec<SeatChoice> {
    let held_before = if by_count { SeatChoice::ChosenWithStandardIncluded } else { SeatChoice::Chosen };
    legs.iter()
        .zip(held)
        .flat_map(|(leg, held)| {
            held.seats.iter().map(move |seat| {
                if !leg.seats.is_empty() {
                    SeatChoice::Chosen
                } else if held.newly_held.contains(seat) {
                    SeatChoice::Assigned
                } else {
                    held_before
                }
            })
        })
        .collect()
}

/// What each priced seat's choice costs, in its order.
fn charges_of(
    flights: &[Arc<FlightFacts>],
    priced: &[PricedSeat],
    choices: &[SeatChoice],
    brand: FareBrand,
    currency: &str,
) -> Vec<Option<(SeatProduct, i64)>> {
    priced
        .iter()
        .zip(choices)
        .map(|(seat, choice)| {
            let on_plan = flights[seat.leg as usize - 1].plan.find(&seat.seat)?;
            seat_charge(on_plan, brand, *choice, currency)
        })
        .collect()
}

/// A priced seat as written: what its passenger pays (`fare`, its seat
/// charge included) beside the cabin's adult fare it was priced from.
fn new_seat(
    seat: PricedSeat,
    fare: i64,
    seat_charge: Option<(SeatProduct, i64)>,
    slice_of: impl Fn(i32) -> i32,
) -> NewSeat {
    NewSeat {
        slice: slice_of(seat.leg),
        leg: seat.leg,
        flight_id: seat.flight_id,
        seat: seat.seat,
        cabin: seat.cabin.as_str().to_string(),
        passenger_position: seat.passenger_position,
        fare,
        adult_fare: seat.published,
        seat_charge,
    }
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
        CreateBookingError::UnpaidSeatsPerFlight { flight_id, cap } => ApiError::conflict(
            ErrorCode::UnpaidSeatsLimit,
            format!(
                "you would have more than {cap} unpaid seats on flight {flight_id}; pay for or cancel a booking \
                 on it first"
            ),
        )
        .with("limit", cap)
        .with("flightId", flight_id),
        CreateBookingError::UnpaidSeatsInAll { cap } => ApiError::conflict(
            ErrorCode::UnpaidSeatsLimit,
            format!("you would have more than {cap} unpaid seats in all; pay for or cancel a booking first"),
        )
        .with("limit", cap),
        CreateBookingError::Store(e) => e.into(),
    }
}
