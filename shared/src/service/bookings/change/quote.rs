//! Quoting a change: the new legs checked and held, priced in the booking's
//! brand, the figures stored until the seats' hold runs out.

use super::{not_changeable, ChangeQuote, ChangeRequest};
use crate::auth::caller::Caller;
use crate::domain::booking::BookingStatus;
use crate::domain::booking_plan::price_party;
use crate::domain::change::change_figures;
use crate::domain::fares::FareBrand;
use crate::domain::seating::Cabin;
use crate::domain::travellers::PassengerType;
use crate::service::bookings::create::{bookable_flights, priced_seats, LegRequest};
use crate::service::bookings::inventory::{give_back, hold_for_booking, HeldSeats, LiveSeats, SeatRequest};
use crate::service::bookings::owned_booking;
use crate::service::seats::seats_on_aircraft;
use crate::store::bookings::BookingRecord;
use crate::store::changes::{self, NewChangeQuote, QuotedLeg};
use crate::{ApiError, Services};
use chrono::Utc;
use std::collections::BTreeMap;

/// The slice's seated passengers (positions, in order) with their types,
/// its infants (infant, adult) and what the slice was paid in fares.
struct SliceParty {
    positions: Vec<i32>,
    kinds: Vec<PassengerType>,
    infants: Vec<(i32, i32)>,
    cabin: Cabin,
    paid: i64,
    /// The slice's flights, in order.
    flights: Vec<i64>,
}

fn slice_party(record: &BookingRecord, slice: i32) -> Option<SliceParty> {
    let live: Vec<_> = record.seats.iter().filter(|s| s.slice == slice && s.live).collect();
    let first_leg = live.iter().map(|s| s.leg).min()?;
    let mut positions: Vec<i32> = live.iter().filter(|s| s.leg == first_leg).map(|s| s.passenger_position).collect();
    positions.sort_unstable();
    let kind_of = |p: i32| record.passengers.iter().find(|x| x.position == p).map_or(PassengerType::Adult, |x| x.kind);
    let laps: Vec<_> = record.laps.iter().filter(|l| l.slice == slice).collect();
    let mut infants: Vec<(i32, i32)> = laps
        .iter()
        .filter_map(|l| {
            let adult = record.passengers.iter().find(|x| x.position == l.passenger_position)?.infant_of?;
            Some((l.passenger_position, adult))
        })
        .collect();
    infants.sort_unstable();
    infants.dedup();
    let cabin = Cabin::parse(&live[0].cabin)?;
    let paid = live.iter().map(|s| s.fare).sum::<i64>() + laps.iter().map(|l| l.fare).sum::<i64>();
    let mut legs: BTreeMap<i32, i64> = BTreeMap::new();
    for seat in &live {
        legs.insert(seat.leg, seat.flight_id);
    }
    Some(SliceParty {
        kinds: positions.iter().map(|p| kind_of(*p)).collect(),
        positions,
        infants,
        cabin,
        paid,
        flights: legs.into_values().collect(),
    })
}

pub async fn quote_change(
    svc: &Services,
    caller: &Caller,
    booking_id: i64,
    request: ChangeRequest,
) -> Result<ChangeQuote, ApiError> {
    let record = owned_booking(svc, caller, booking_id).await?;
    if record.status != BookingStatus::Paid {
        return Err(not_changeable(booking_id, "only a paid booking can be changed"));
    }
    let party = slice_party(&record, request.slice).ok_or_else(|| {
        ApiError::invalid_field("slice", format!("booking {booking_id} has no slice {}", request.slice))
    })?;
    // A change is charged or refunded against the booking's invoice: a paid
    // booking not ticketed yet is ticketed now (as the queue would be moments later).
    if crate::store::documents::PgDocuments::new(&svc.db).invoice_of_booking(booking_id).await?.is_none() {
        crate::service::tickets::issue_tickets(svc, booking_id).await?;
        if crate::store::documents::PgDocuments::new(&svc.db).invoice_of_booking(booking_id).await?.is_none() {
            return Err(not_changeable(booking_id, "its tickets could not be issued; try again in a moment"));
        }
    }
    if request.legs.is_empty() || request.legs.len() > 3 {
        return Err(ApiError::invalid_field("legs", "give 1 to 3 legs"));
    }
    // The slice's flights now and the booking's other slices, to check the
    // new legs against: same route, still departing later, slices in order.
    let old_flights = party.flights.clone();
    let old_first = crate::service::seats::facts_or_404(svc, old_flights[0]).await?;
    let old_last = crate::service::seats::facts_or_404(svc, old_flights[old_flights.len() - 1]).await?;
    if old_first.leg.departs_at <= Utc::now() {
        return Err(not_changeable(booking_id, "the slice has departed"));
    }
    let mut slices: BTreeMap<i32, Vec<i64>> = BTreeMap::new();
    for seat in record.seats.iter().filter(|s| s.live) {
        let legs = slices.entry(seat.slice).or_default();
        if !legs.contains(&seat.flight_id) {
            legs.push(seat.flight_id);
        }
    }
    let mut wanted = Vec::new();
    for (index, (slice, flights)) in slices.iter().enumerate() {
        let legs: Vec<i64> =
            if *slice == request.slice { request.legs.iter().map(|(f, _)| *f).collect() } else { flights.clone() };
        wanted.extend(legs.into_iter().map(|flight_id| LegRequest { slice: index, flight_id, seats: Vec::new() }));
    }
    let flights = bookable_flights(svc, &wanted).await?;
    let new_flights: Vec<_> =
        flights.iter().filter(|f| request.legs.iter().any(|(id, _)| *id == f.leg.flight_id)).cloned().collect();
    let (first, last) = (&new_flights[0].leg, &new_flights[new_flights.len() - 1].leg);
    if first.origin != old_first.leg.origin || last.destination != old_last.leg.destination {
        return Err(ApiError::invalid_field(
            "legs",
            format!("a change keeps the route: from {} to {}", old_first.leg.origin, old_last.leg.destination),
        ));
    }
    if request.legs.iter().map(|(f, _)| *f).collect::<Vec<_>>() == old_flights {
        return Err(ApiError::invalid_field("legs", "these are the slice's flights already"));
    }

    let ledger = LiveSeats { svc };
    let count = party.positions.len();
    let cap = svc.config.seat_hold_max_per_flight.max(count);
    let mut held: Vec<HeldSeats> = Vec::new();
    let quoted = async {
        for ((flight_id, seats), facts) in request.legs.iter().zip(&new_flights) {
            let named = if seats.is_empty() { Vec::new() } else { seats_on_aircraft(facts, seats)? };
            if !named.is_empty() && named.len() != count {
                return Err(ApiError::invalid_field(
                    "legs",
                    format!("name {count} seats on flight {flight_id}, or none"),
                ));
            }
            let request = SeatRequest {
                flight_id: *flight_id,
                plan: &facts.plan,
                named: &named,
                count,
                cabin: Some(party.cabin),
                cap,
            };
            held.push(hold_for_booking(&ledger, caller.user_id, request).await?);
        }
        let priced = priced_seats(&new_flights, &held, record.fare_brand)?;
        if priced.iter().any(|p| p.cabin != party.cabin) {
            return Err(ApiError::invalid_field("legs", format!("a change keeps the cabin: {}", party.cabin)));
        }
        // The party in the order of its positions, as price_party numbers them (1..).
        let local_of = |position: i32| party.positions.iter().position(|p| *p == position).map(|i| i as i32 + 1);
        let local_infants: Vec<(i32, i32)> = party
            .infants
            .iter()
            .enumerate()
            .filter_map(|(i, (_, adult))| Some((count as i32 + 1 + i as i32, local_of(*adult)?)))
            .collect();
        let (charged, laps) = price_party(&priced, &party.kinds, &local_infants);
        let new_total = charged.iter().sum::<i64>() + laps.iter().map(|l| l.fare).sum::<i64>();
        let quoted_legs: Vec<QuotedLeg> = held
            .iter()
            .enumerate()
            .map(|(index, leg)| {
                let mine: Vec<usize> = (0..priced.len()).filter(|i| priced[*i].leg == index as i32 + 1).collect();
                QuotedLeg {
                    flight_id: leg.flight_id,
                    cabin: party.cabin.as_str().to_string(),
                    seats: leg.seats.clone(),
                    positions: party.positions.clone(),
                    fares: mine.iter().map(|i| charged[*i]).collect(),
                    published: mine.first().map_or(0, |i| priced[*i].published),
                    laps: laps
                        .iter()
                        .filter(|l| l.leg == index as i32 + 1)
                        .map(|l| (party.infants[(l.passenger_position - count as i32 - 1) as usize].0, l.fare))
                        .collect(),
                }
            })
            .collect();
        let brand = record.fare_brand.in_cabin(party.cabin).unwrap_or(FareBrand::default_in(party.cabin));
        let refundable = {
            let ledger = crate::store::bookings::PgBookings::new(&svc.db).ledger(booking_id).await?;
            ledger.paid - ledger.refunded
        };
        let figures = change_figures(brand, party.paid, new_total, count, refundable)
            .map_err(|_| not_changeable(booking_id, "its fare does not allow changes"))?;
        let replaced = {
            let mut seats: Vec<String> = record
                .seats
                .iter()
                .filter(|s| s.slice == request.slice && s.live)
                .map(|s| format!("{}:{}", s.flight_id, s.seat))
                .collect();
            seats.sort();
            seats
        };
        let expires_at =
            Utc::now() + chrono::Duration::from_std(svc.config.seat_hold_ttl).map_err(ApiError::internal)?;
        let row = changes::insert_quote(
            &svc.db,
            &NewChangeQuote {
                booking_id,
                user_id: caller.user_id,
                slice: request.slice,
                legs: &quoted_legs,
                replaced_seats: &replaced,
                currency: &record.currency,
                fare_difference: figures.fare_difference,
                penalty: figures.penalty,
                total_due: figures.total_due,
                expires_at,
            },
        )
        .await?;
        Ok(row)
    }
    .await;
    match quoted {
        Ok(quote) => Ok(ChangeQuote { quote }),
        Err(e) => {
            give_back(&ledger, caller.user_id, &held).await;
            Err(e)
        }
    }
}
