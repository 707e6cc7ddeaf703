//! Cancellation by fare rules: what giving up some passengers' slices of a
//! booking refunds and keeps ([`quote`]), from the booking as it stands.
//!
//! Each part (one passenger's one slice) is refunded by its fare's rules
//! (`fares::refund_of`): what the part paid is its seat or lap fares less
//! its share of the pre-payment discount (spread over all the booking's
//! fares in proportion, as the invoice spreads it), and its taxes are the
//! GST inside that on legs embarking in India. A refund never takes the
//! booking's refunds past what was paid: a cashback already given back is
//! taken off. An unpaid booking is cancelled whole, for nothing.
//!
//! A quote records the booking it was computed from ([`QuoteBasis`]): the
//! confirmation computes it again and goes ahead only when nothing changed.

use super::booking::BookingStatus;
use super::fares::{refund_of, FareBrand, PaidPart, SliceState};
use super::flight::{unbookable_because, FlightStatus};
use super::invoice::gst_included;
use super::money::apportion;
use super::seating::Cabin;
use super::travellers::PassengerType;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// A passenger of the booking.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QuotePassenger {
    pub position: i32,
    pub name: String,
    pub kind: PassengerType,
    /// The adult whose lap an infant travels on.
    pub infant_of: Option<i32>,
}

/// One fare of the booking: a passenger's seat, or an infant's lap, on one leg.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FareLine {
    pub position: i32,
    pub slice: i32,
    pub leg: i32,
    pub flight_id: i64,
    /// `None` for an infant on a lap.
    pub seat: Option<String>,
    pub cabin: Cabin,
    pub fare: i64,
    /// The booking still holds the seat; a lap is live while its adult's
    /// seat on the leg is.
    pub live: bool,
    /// The leg embarks in India: GST is inside the fare.
    pub taxed: bool,
}

/// A flight of the booking and where it stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QuoteFlight {
    pub flight_id: i64,
    pub status: FlightStatus,
    pub departs_at: DateTime<Utc>,
}

/// Everything a quote is computed from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QuoteFacts {
    pub booking_id: i64,
    pub user_id: i64,
    pub pnr: String,
    pub status: BookingStatus,
    pub currency: String,
    pub expires_at: DateTime<Utc>,
    /// The brand the booking chose; each seat's cabin says what it means there.
    pub brand: FareBrand,
    /// The discount applied before payment.
    pub discount: i64,
    /// What the successful payment took; 0 while unpaid.
    pub paid: i64,
    /// Every refund so far (a cashback, earlier partial cancellations).
    pub refunded: i64,
    pub passengers: Vec<QuotePassenger>,
    /// Every fare of the booking, live or given up.
    pub lines: Vec<FareLine>,
    pub flights: Vec<QuoteFlight>,
}

/// What the customer asks to cancel: everything not named is all of it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ScopeRequest {
    pub passengers: Option<Vec<i32>>,
    pub slices: Option<Vec<i32>>,
}

/// Why a part is refunded as it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PartRule {
    /// Before departure: what was paid less the brand's penalty.
    RefundLessPenalty,
    /// The slice departed: the taxes only.
    NoShowTaxesOnly,
    /// The airline cancelled a flight of the slice: everything.
    CancelledByAirline,
    /// Nothing was paid, nothing is refunded.
    Unpaid,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SliceRefund {
    pub slice: i32,
    /// What the part's fare is sold as in its cabin.
    pub fare_brand: String,
    pub paid: i64,
    pub taxes: i64,
    pub refund: i64,
    pub penalty: i64,
    pub rule: PartRule,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PassengerRefund {
    pub position: i32,
    pub name: String,
    #[serde(rename = "type")]
    pub kind: PassengerType,
    pub refund: i64,
    pub penalty: i64,
    pub slices: Vec<SliceRefund>,
}

/// A seat the cancellation frees.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct QuotedSeat {
    pub flight_id: i64,
    pub seat: String,
}

/// What the booking looked like when quoted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QuoteBasis {
    pub paid: i64,
    pub refunded: i64,
    pub live_seats: Vec<QuotedSeat>,
}

/// A computed cancellation quote, stored as it is and executed as it is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Quote {
    /// The scope, resolved: positions and slices, ascending.
    pub passengers: Vec<i32>,
    pub slices: Vec<i32>,
    pub refund: i64,
    pub penalty: i64,
    /// Taken off the parts' refunds so that the booking's refunds never
    /// exceed what was paid (a cashback already given back).
    pub deducted: i64,
    pub per_passenger: Vec<PassengerRefund>,
    /// The seats it frees.
    pub seats: Vec<QuotedSeat>,
    /// The (passenger, leg) pairs it gives up, laps included: their tickets
    /// are voided.
    pub legs: Vec<(i32, i32)>,
    /// No live seat is left after it: the booking is cancelled.
    pub closes_booking: bool,
    pub basis: QuoteBasis,
}

impl Quote {
    /// The request that computes this quote again.
    pub fn scope(&self) -> ScopeRequest {
        ScopeRequest { passengers: Some(self.passengers.clone()), slices: Some(self.slices.clone()) }
    }
}

/// Why no quote can be given.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum QuoteRefusal {
    UnknownPassenger(i32),
    UnknownSlice(i32),
    /// An adult's lap infant must go with them.
    InfantLeftBehind {
        adult: i32,
        infant: i32,
    },
    /// An infant on a lap goes with its adult's seat.
    InfantWithoutAdult {
        infant: i32,
        adult: i32,
    },
    /// An unpaid booking is cancelled whole.
    PartOfUnpaid,
    Closed(BookingStatus),
    /// Everything asked for is cancelled already.
    NothingToCancel,
}

/// Where a slice stands: a flight of it cancelled by the airline, its first
/// flight gone (by its status or the clock), or still ahead.
fn slice_state(legs: &[&FareLine], flights: &BTreeMap<i64, QuoteFlight>, now: DateTime<Utc>) -> SliceState {
    let flight_of = |line: &&FareLine| flights.get(&line.flight_id);
    if legs.iter().filter_map(flight_of).any(|f| f.status == FlightStatus::Cancelled) {
        return SliceState::CancelledByAirline;
    }
    let first = legs.iter().min_by_key(|l| l.leg).and_then(flight_of);
    match first {
        Some(f) if unbookable_because(f.status, f.departs_at, now) == Some(FlightStatus::Departed) => {
            SliceState::Departed
        }
        _ => SliceState::BeforeDeparture,
    }
}

/// Checks the request against the booking and resolves it to positions and
/// slices.
fn resolve_scope(facts: &QuoteFacts, scope: &ScopeRequest) -> Result<(Vec<i32>, Vec<i32>), QuoteRefusal> {
    let known: BTreeSet<i32> = facts.passengers.iter().map(|p| p.position).collect();
    let slices: BTreeSet<i32> = facts.lines.iter().map(|l| l.slice).collect();
    let passengers: BTreeSet<i32> = match &scope.passengers {
        None => known.clone(),
        Some(asked) => {
            if let Some(unknown) = asked.iter().find(|p| !known.contains(p)) {
                return Err(QuoteRefusal::UnknownPassenger(*unknown));
            }
            asked.iter().copied().collect()
        }
    };
    let chosen_slices: BTreeSet<i32> = match &scope.slices {
        None => slices.clone(),
        Some(asked) => {
            if let Some(unknown) = asked.iter().find(|s| !slices.contains(s)) {
                return Err(QuoteRefusal::UnknownSlice(*unknown));
            }
            asked.iter().copied().collect()
        }
    };
    for infant in facts.passengers.iter() {
        let Some(adult) = infant.infant_of else { continue };
        match (passengers.contains(&adult), passengers.contains(&infant.position)) {
            (true, false) => return Err(QuoteRefusal::InfantLeftBehind { adult, infant: infant.position }),
            (false, true) => return Err(QuoteRefusal::InfantWithoutAdult { infant: infant.position, adult }),
            _ => {}
        }
    }
    Ok((passengers.into_iter().collect(), chosen_slices.into_iter().collect()))
}

/// The quote for cancelling `scope` of the booking at `now`.
pub fn quote(facts: &QuoteFacts, scope: &ScopeRequest, now: DateTime<Utc>) -> Result<Quote, QuoteRefusal> {
    match facts.status {
        BookingStatus::Cancelled | BookingStatus::Expired => return Err(QuoteRefusal::Closed(facts.status)),
        BookingStatus::PendingPayment if facts.expires_at <= now => {
            return Err(QuoteRefusal::Closed(BookingStatus::Expired))
        }
        BookingStatus::PendingPayment | BookingStatus::Paid => {}
    }
    let (passengers, slices) = resolve_scope(facts, scope)?;
    let chosen = |l: &FareLine| l.live && passengers.contains(&l.position) && slices.contains(&l.slice);
    let parts: Vec<usize> = (0..facts.lines.len()).filter(|i| chosen(&facts.lines[*i])).collect();
    if parts.is_empty() {
        return Err(QuoteRefusal::NothingToCancel);
    }
    let live_seats = facts.lines.iter().filter(|l| l.live && l.seat.is_some()).count();
    let chosen_seats = parts.iter().filter(|i| facts.lines[**i].seat.is_some()).count();
    let closes_booking = chosen_seats == live_seats;
    let paid = facts.status == BookingStatus::Paid;
    if !paid && !closes_booking {
        return Err(QuoteRefusal::PartOfUnpaid);
    }

    // What each fare paid: its share of the discount comes off, over every
    // fare of the booking (given up or not, so earlier cancellations do not
    // move it).
    let fares: Vec<i64> = facts.lines.iter().map(|l| l.fare.max(0)).collect();
    let shares = apportion(facts.discount.clamp(0, fares.iter().sum()), &fares);
    let flights: BTreeMap<i64, QuoteFlight> = facts.flights.iter().map(|f| (f.flight_id, *f)).collect();

    let mut by_part: BTreeMap<(i32, i32), Vec<usize>> = BTreeMap::new();
    for i in &parts {
        let line = &facts.lines[*i];
        by_part.entry((line.position, line.slice)).or_default().push(*i);
    }
    let mut computed: Vec<((i32, i32), SliceRefund)> = Vec::new();
    for ((position, slice), indices) in &by_part {
        let lines: Vec<&FareLine> = indices.iter().map(|i| &facts.lines[*i]).collect();
        let part_paid: i64 = indices.iter().map(|i| fares[*i] - shares[*i]).sum();
        let taxes: i64 = indices
            .iter()
            .filter(|i| facts.lines[**i].taxed)
            .map(|i| gst_included(fares[*i] - shares[*i], facts.lines[*i].cabin))
            .sum();
        let cabin = lines.iter().min_by_key(|l| l.leg).map(|l| l.cabin).unwrap_or(Cabin::Economy);
        // A brand the cabin does not sell (no booking should carry one)
        // reads as the cabin's default: the published fare it was priced at.
        let brand = facts.brand.in_cabin(cabin).unwrap_or_else(|| FareBrand::default_in(cabin));
        let state = slice_state(&lines, &flights, now);
        let lap = lines.iter().all(|l| l.seat.is_none());
        let (refund, rule) = if paid {
            let refund = refund_of(&PaidPart { brand, paid: part_paid, taxes, lap, state });
            let rule = match state {
                SliceState::BeforeDeparture => PartRule::RefundLessPenalty,
                SliceState::Departed => PartRule::NoShowTaxesOnly,
                SliceState::CancelledByAirline => PartRule::CancelledByAirline,
            };
            (refund, rule)
        } else {
            (Default::default(), PartRule::Unpaid)
        };
        let slice_refund = SliceRefund {
            slice: *slice,
            fare_brand: brand.as_str().to_string(),
            paid: if paid { part_paid } else { 0 },
            taxes: if paid { taxes } else { 0 },
            refund: refund.refund,
            penalty: refund.penalty,
            rule,
        };
        computed.push(((*position, *slice), slice_refund));
    }

    // Never more back than was paid: what earlier refunds took is deducted,
    // spread over the parts in proportion to their refunds.
    let owed: i64 = computed.iter().map(|(_, s)| s.refund).sum();
    let refundable = (facts.paid - facts.refunded).max(0);
    let refund = owed.min(refundable);
    if refund < owed {
        let weights: Vec<i64> = computed.iter().map(|(_, s)| s.refund).collect();
        for ((_, part), share) in computed.iter_mut().zip(apportion(refund, &weights)) {
            part.refund = share;
        }
    }

    let mut per_passenger: Vec<PassengerRefund> = Vec::new();
    for ((position, _), part) in computed {
        if per_passenger.last().map(|p| p.position) != Some(position) {
            let passenger = facts.passengers.iter().find(|p| p.position == position);
            per_passenger.push(PassengerRefund {
                position,
                name: passenger.map(|p| p.name.clone()).unwrap_or_default(),
                kind: passenger.map(|p| p.kind).unwrap_or_default(),
                refund: 0,
                penalty: 0,
                slices: Vec::new(),
            });
        }
        let passenger = per_passenger.last_mut().expect("pushed above");
        passenger.refund += part.refund;
        passenger.penalty += part.penalty;
        passenger.slices.push(part);
    }
    let seat_of = |l: &FareLine| l.seat.as_ref().map(|seat| QuotedSeat { flight_id: l.flight_id, seat: seat.clone() });
    let mut seats: Vec<QuotedSeat> = parts.iter().filter_map(|i| seat_of(&facts.lines[*i])).collect();
    seats.sort();
    let mut live: Vec<QuotedSeat> = facts.lines.iter().filter(|l| l.live).filter_map(seat_of).collect();
    live.sort();
    let mut legs: Vec<(i32, i32)> = parts.iter().map(|i| (facts.lines[*i].position, facts.lines[*i].leg)).collect();
    legs.sort();
    Ok(Quote {
        passengers: by_part.keys().map(|(p, _)| *p).collect::<BTreeSet<_>>().into_iter().collect(),
        slices: by_part.keys().map(|(_, s)| *s).collect::<BTreeSet<_>>().into_iter().collect(),
        refund,
        penalty: per_passenger.iter().map(|p| p.penalty).sum(),
        deducted: owed - refund,
        per_passenger,
        seats,
        legs,
        closes_booking,
        basis: QuoteBasis { paid: facts.paid, refunded: facts.refunded, live_seats: live },
    })
}

#[cfg(test)]
#[path = "cancellation_tests.rs"]
mod tests;
