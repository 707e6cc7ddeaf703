//! The booking plan without I/O: how many passengers a request books, whether
//! its legs form one journey, and what each seat costs. The use case
//! (`service::bookings::create`) gathers the flights and seats, asks these
//! rules, and turns a [`PlanError`] into the client's problem.

use super::booking::MAX_PASSENGERS;
use super::fares::FareBrand;
use super::passengers::leg_fares;
use super::seating::{Cabin, SeatPlan};
use super::travellers::PassengerType;
use chrono::{DateTime, Utc};
use std::collections::HashSet;

/// Most legs one slice may chain.
pub const MAX_LEGS: usize = 3;
/// Most slices one order may hold (a round trip has two).
pub const MAX_SLICES: usize = 5;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlanError {
    /// A field of the request is out of range; `(field, reason)`.
    InvalidField(&'static str, String),
    /// Leg `to` does not leave from where leg `from` lands, after it lands.
    LegsDoNotConnect { from: i64, to: i64 },
    /// Slice `slice` (0-based) leaves before the one before it lands.
    SlicesOutOfOrder { slice: usize },
    /// The seat plan or fares of a flight do not cover a chosen seat (a bug
    /// or a schedule changed under us).
    Unpriceable(String),
}

/// What a booking request asks for, before any flight is read.
pub struct RequestedLegs<'a> {
    pub flight_ids: &'a [i64],
    /// Per leg, how many seats the request names (0: choose for me).
    pub named_seats: &'a [usize],
    pub passenger_names: Option<usize>,
    /// The original specification's `seats: 2`.
    pub count: Option<usize>,
}

/// 1 to [`MAX_SLICES`] slices of 1 to [`MAX_LEGS`] legs each.
pub fn check_slices(legs_per_slice: &[usize]) -> Result<(), PlanError> {
    if legs_per_slice.is_empty() || legs_per_slice.len() > MAX_SLICES {
        return Err(PlanError::InvalidField("slices", format!("give 1 to {MAX_SLICES} slices")));
    }
    if legs_per_slice.iter().any(|n| *n == 0 || *n > MAX_LEGS) {
        let field = if legs_per_slice.len() == 1 { "legs" } else { "slices" };
        return Err(PlanError::InvalidField(field, format!("give 1 to {MAX_LEGS} legs per slice")));
    }
    Ok(())
}

/// The number of seated passengers (seats per leg) a request books.
pub fn passenger_count(request: &RequestedLegs<'_>) -> Result<usize, PlanError> {
    if request.flight_ids.is_empty() || request.flight_ids.len() > MAX_LEGS * MAX_SLICES {
        return Err(PlanError::InvalidField("legs", format!("give 1 to {MAX_LEGS} legs per slice")));
    }
    let mut seen = HashSet::new();
    if !request.flight_ids.iter().all(|id| seen.insert(*id)) {
        return Err(PlanError::InvalidField("legs", "a flight appears twice".into()));
    }
    let named: HashSet<usize> = request.named_seats.iter().copied().filter(|n| *n > 0).collect();
    if named.len() > 1 {
        return Err(PlanError::InvalidField("legs", "every leg needs the same number of seats".into()));
    }
    let named = named.into_iter().next();
    let count = request.passenger_names.or(request.count).or(named).unwrap_or(0);
    if count == 0 || count > MAX_PASSENGERS {
        let field = if request.passenger_names.is_some() { "passengers" } else { "seats" };
        return Err(PlanError::InvalidField(field, format!("book 1 to {MAX_PASSENGERS} seats")));
    }
    match named {
        Some(named) if named != count => {
            Err(PlanError::InvalidField("seatNumbers", format!("{named} seat(s) for {count} passenger(s)")))
        }
        _ => Ok(count),
    }
}

/// One leg's place in the journey.
#[derive(Clone, Debug)]
pub struct LegTimes<'a> {
    pub flight_id: i64,
    pub origin: &'a str,
    pub destination: &'a str,
    pub departs_at: DateTime<Utc>,
    pub arrives_at: DateTime<Utc>,
}

/// Each slice must leave after the previous one lands (from anywhere: an
/// open jaw is a journey too).
pub fn check_slice_order(slices: &[&[LegTimes<'_>]]) -> Result<(), PlanError> {
    for (index, pair) in slices.windows(2).enumerate() {
        let (landed, leaves) = (&pair[0][pair[0].len() - 1], &pair[1][0]);
        if leaves.departs_at <= landed.arrives_at {
            return Err(PlanError::SlicesOutOfOrder { slice: index + 1 });
        }
    }
    Ok(())
}

/// Each leg must leave from where the previous one landed, after it landed.
pub fn check_connections(legs: &[LegTimes<'_>]) -> Result<(), PlanError> {
    for pair in legs.windows(2) {
        let (a, b) = (&pair[0], &pair[1]);
        if a.destination != b.origin || b.departs_at <= a.arrives_at {
            return Err(PlanError::LegsDoNotConnect { from: a.flight_id, to: b.flight_id });
        }
    }
    Ok(())
}

/// A leg's chosen seats with what prices them.
pub struct LegSeats<'a> {
    pub flight_id: i64,
    pub plan: &'a SeatPlan,
    /// The flight's fare per cabin, minor units.
    pub fares: &'a [(Cabin, i64)],
    /// In passenger order.
    pub seats: &'a [String],
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PricedSeat {
    /// 1-based.
    pub leg: i32,
    pub flight_id: i64,
    pub seat: String,
    pub cabin: Cabin,
    /// 1-based.
    pub passenger_position: i32,
    /// The adult fare of the seat's brand.
    pub fare: i64,
    /// The cabin's published fare it is priced from (the booking statement
    /// checks it is still the flight's).
    pub published: i64,
}

/// Every seat with its cabin and the server's fare for it under the
/// booking's brand.
pub fn price_seats(legs: &[LegSeats<'_>], brand: FareBrand) -> Result<Vec<PricedSeat>, PlanError> {
    let mut priced = Vec::new();
    for (index, leg) in legs.iter().enumerate() {
        for (position, seat) in leg.seats.iter().enumerate() {
            let cabin = leg
                .plan
                .find(seat)
                .map(|s| s.cabin)
                .ok_or_else(|| PlanError::Unpriceable(format!("seat {seat} is not on flight {}", leg.flight_id)))?;
            let published = leg
                .fares
                .iter()
                .find(|(c, _)| *c == cabin)
                .map(|(_, amount)| *amount)
                .ok_or_else(|| PlanError::Unpriceable(format!("flight {} has no {cabin} fare", leg.flight_id)))?;
            let brand = brand.in_cabin(cabin).ok_or_else(|| {
                PlanError::InvalidField(
                    "fareBrand",
                    format!(
                        "{} is not sold in {cabin} (seat {seat} of flight {}); choose one of {}",
                        brand.as_str(),
                        leg.flight_id,
                        FareBrand::offered_in(cabin).iter().map(|b| b.as_str()).collect::<Vec<_>>().join(", ")
                    ),
                )
            })?;
            priced.push(PricedSeat {
                leg: index as i32 + 1,
                flight_id: leg.flight_id,
                seat: seat.clone(),
                cabin,
                passenger_position: position as i32 + 1,
                fare: brand.price(published),
                published,
            });
        }
    }
    Ok(priced)
}

/// What the whole booking costs.
pub fn total(seats: &[PricedSeat]) -> i64 {
    seats.iter().map(|s| s.fare).sum()
}

/// An infant's fare on one leg, on the lap of its adult (in the adult's cabin).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LapFare {
    pub leg: i32,
    pub flight_id: i64,
    pub cabin: Cabin,
    /// 1-based: the infant's and its adult's.
    pub passenger_position: i32,
    pub adult_position: i32,
    pub fare: i64,
}

/// What each passenger pays: per priced seat (aligned with `seats`) what it
/// costs its passenger, and the infants' lap fares. `seated[p - 1]` is the
/// type of the passenger at position `p`; `infants` are (infant position,
/// adult position). A seat's `fare` is the adult fare it is priced from.
pub fn price_party(seats: &[PricedSeat], seated: &[PassengerType], infants: &[(i32, i32)]) -> (Vec<i64>, Vec<LapFare>) {
    let of = |position: i32| -> Vec<usize> {
        let mut mine: Vec<usize> = (0..seats.len()).filter(|i| seats[*i].passenger_position == position).collect();
        mine.sort_by_key(|i| seats[*i].leg);
        mine
    };
    let mut charged: Vec<i64> = seats.iter().map(|s| s.fare).collect();
    for (index, kind) in seated.iter().enumerate() {
        let mine = of(index as i32 + 1);
        let adult: Vec<i64> = mine.iter().map(|i| seats[*i].fare).collect();
        for (i, fare) in mine.iter().zip(leg_fares(*kind, &adult)) {
            charged[*i] = fare;
        }
    }
    let mut laps = Vec::new();
    for (infant, adult_position) in infants {
        let lap = of(*adult_position);
        let adult: Vec<i64> = lap.iter().map(|i| seats[*i].fare).collect();
        for (i, fare) in lap.iter().zip(leg_fares(PassengerType::Infant, &adult)) {
            let seat = &seats[*i];
            laps.push(LapFare {
                leg: seat.leg,
                flight_id: seat.flight_id,
                cabin: seat.cabin,
                passenger_position: *infant,
                adult_position: *adult_position,
                fare,
            });
        }
    }
    (charged, laps)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::seating::SeatLayout;
    use chrono::Duration;

    fn request<'a>(
        ids: &'a [i64],
        named: &'a [usize],
        names: Option<usize>,
        count: Option<usize>,
    ) -> RequestedLegs<'a> {
        RequestedLegs { flight_ids: ids, named_seats: named, passenger_names: names, count }
    }

    #[test]
    fn the_passenger_count_comes_from_names_then_count_then_named_seats() {
        assert_eq!(passenger_count(&request(&[1], &[0], Some(3), Some(2))), Ok(3));
        assert_eq!(passenger_count(&request(&[1], &[0], None, Some(2))), Ok(2));
        assert_eq!(passenger_count(&request(&[1, 2], &[2, 2], None, None)), Ok(2));
        assert_eq!(passenger_count(&request(&[1, 2], &[2, 0], None, None)), Ok(2), "a leg may leave seats to us");
    }

    #[test]
    fn malformed_requests_name_the_field() {
        let field = |r: Result<usize, PlanError>| match r {
            Err(PlanError::InvalidField(field, _)) => field,
            other => panic!("{other:?}"),
        };
        assert_eq!(field(passenger_count(&request(&[], &[], None, Some(1)))), "legs");
        assert_eq!(field(check_slices(&[4]).map(|_| 0)), "legs");
        assert_eq!(field(check_slices(&[2, 4]).map(|_| 0)), "slices");
        assert_eq!(field(check_slices(&[1; 6]).map(|_| 0)), "slices");
        assert_eq!(field(check_slices(&[]).map(|_| 0)), "slices");
        assert_eq!(check_slices(&[3, 3, 1, 2, 1]), Ok(()));
        assert_eq!(field(passenger_count(&request(&[1, 1], &[0, 0], None, Some(1)))), "legs");
        assert_eq!(field(passenger_count(&request(&[1, 2], &[1, 2], None, None))), "legs");
        assert_eq!(field(passenger_count(&request(&[1], &[0], None, None))), "seats");
        assert_eq!(field(passenger_count(&request(&[1], &[0], None, Some(MAX_PASSENGERS + 1)))), "seats");
        assert_eq!(field(passenger_count(&request(&[1], &[2], Some(3), None))), "seatNumbers");
    }

    /// A leg departing and arriving `dep` and `arr` hours from a fixed instant.
    fn leg(id: i64, from: &'static str, to: &'static str, dep: i64, arr: i64) -> LegTimes<'static> {
        let t0 = DateTime::<Utc>::from_timestamp(1_893_456_000, 0).unwrap();
        LegTimes {
            flight_id: id,
            origin: from,
            destination: to,
            departs_at: t0 + Duration::hours(dep),
            arrives_at: t0 + Duration::hours(arr),
        }
    }

    #[test]
    fn legs_connect_where_and_after_the_previous_one_lands() {
        assert_eq!(check_connections(&[leg(1, "DEL", "BOM", 0, 2), leg(2, "BOM", "GOI", 3, 4)]), Ok(()));
        assert_eq!(
            check_connections(&[leg(1, "DEL", "BOM", 0, 2), leg(2, "BLR", "GOI", 3, 4)]),
            Err(PlanError::LegsDoNotConnect { from: 1, to: 2 })
        );
        assert_eq!(
            check_connections(&[leg(1, "DEL", "BOM", 0, 2), leg(2, "BOM", "GOI", 2, 4)]),
            Err(PlanError::LegsDoNotConnect { from: 1, to: 2 }),
            "leaving as the first lands is no connection"
        );
    }

    #[test]
    fn slices_follow_each_other_even_from_another_airport() {
        let out = [leg(1, "DEL", "GOI", 0, 2)];
        let back = [leg(2, "BOM", "DEL", 48, 50)];
        assert_eq!(check_slice_order(&[&out, &back]), Ok(()), "an open jaw");
        let early = [leg(3, "GOI", "DEL", 1, 3)];
        assert_eq!(check_slice_order(&[&out, &back, &early]), Err(PlanError::SlicesOutOfOrder { slice: 2 }));
    }

    #[test]
    fn a_family_pays_by_type_and_the_infant_rides_in_its_adults_cabin() {
        let seat = |leg, flight_id, position, fare| PricedSeat {
            leg,
            flight_id,
            seat: format!("{position}A"),
            cabin: Cabin::Economy,
            passenger_position: position,
            fare,
            published: fare,
        };
        let seats: Vec<PricedSeat> = (1..=3).flat_map(|p| [seat(1, 10, p, 400_001), seat(2, 20, p, 200_000)]).collect();
        let kinds = [PassengerType::Adult, PassengerType::Adult, PassengerType::Child];
        let (charged, laps) = price_party(&seats, &kinds, &[(4, 1)]);
        let paid =
            |p: i32| seats.iter().zip(&charged).filter(|(s, _)| s.passenger_position == p).map(|(_, c)| c).sum::<i64>();
        assert_eq!((paid(1), paid(2), paid(3)), (600_001, 600_001, 450_001));
        assert_eq!(laps.iter().map(|l| l.fare).sum::<i64>(), 60_000);
        assert_eq!(
            laps.iter().map(|l| (l.leg, l.flight_id, l.passenger_position)).collect::<Vec<_>>(),
            [(1, 10, 4), (2, 20, 4)]
        );
        let party = crate::domain::travellers::Travellers::new(2, 1, 1).unwrap();
        assert_eq!(charged.iter().sum::<i64>() + 60_000, party.total(600_001), "the search's price");
    }

    #[test]
    fn each_seat_is_priced_by_its_cabin_and_the_total_is_their_sum() {
        let layout: SeatLayout = serde_json::from_value(serde_json::json!({"cabins": [
            {"cabin": "BUSINESS", "firstRow": 1, "lastRow": 2, "letters": "ACDF", "aisleAfter": ["C"]},
            {"cabin": "ECONOMY", "firstRow": 3, "lastRow": 30, "letters": "ABCDEF", "aisleAfter": ["C"]}
        ]}))
        .unwrap();
        let plan = SeatPlan::new(layout);
        let fares = [(Cabin::Business, 1_200_000), (Cabin::Economy, 450_000)];
        let outbound = ["1A".to_string(), "12C".to_string()];
        let inbound = ["14A".to_string(), "14B".to_string()];
        let legs = [
            LegSeats { flight_id: 7, plan: &plan, fares: &fares, seats: &outbound },
            LegSeats { flight_id: 8, plan: &plan, fares: &fares, seats: &inbound },
        ];
        let priced = price_seats(&legs, FareBrand::Saver).unwrap();
        assert_eq!(priced.len(), 4);
        assert_eq!(
            (priced[0].cabin, priced[0].fare, priced[0].leg, priced[0].passenger_position),
            (Cabin::Business, 1_200_000, 1, 1)
        );
        assert_eq!((priced[3].flight_id, priced[3].leg, priced[3].passenger_position), (8, 2, 2));
        assert_eq!(total(&priced), 1_200_000 + 3 * 450_000);

        let missing = ["99Z".to_string()];
        let unknown = [LegSeats { flight_id: 7, plan: &plan, fares: &fares, seats: &missing }];
        assert!(matches!(price_seats(&unknown, FareBrand::Saver), Err(PlanError::Unpriceable(_))));
        let economy_only = [(Cabin::Economy, 450_000)];
        let business = ["1A".to_string()];
        let unfared = [LegSeats { flight_id: 7, plan: &plan, fares: &economy_only, seats: &business }];
        assert!(matches!(price_seats(&unfared, FareBrand::Saver), Err(PlanError::Unpriceable(_))));
    }

    #[test]
    fn a_brand_prices_each_seat_in_what_its_cabin_makes_of_it() {
        let layout: SeatLayout = serde_json::from_value(serde_json::json!({"cabins": [
            {"cabin": "BUSINESS", "firstRow": 1, "lastRow": 2, "letters": "ACDF", "aisleAfter": ["C"]},
            {"cabin": "ECONOMY", "firstRow": 3, "lastRow": 30, "letters": "ABCDEF", "aisleAfter": ["C"]}
        ]}))
        .unwrap();
        let plan = SeatPlan::new(layout);
        let fares = [(Cabin::Business, 1_200_000), (Cabin::Economy, 450_000)];
        let seats = ["1A".to_string(), "12C".to_string()];
        let legs = [LegSeats { flight_id: 7, plan: &plan, fares: &fares, seats: &seats }];
        let priced = price_seats(&legs, FareBrand::Flexi).unwrap();
        let fares: Vec<(i64, i64)> = priced.iter().map(|p| (p.fare, p.published)).collect();
        assert_eq!(fares, [(1_200_000, 1_200_000), (517_500, 450_000)], "business sells Flex; economy Flexi +15 %");
        assert!(matches!(price_seats(&legs, FareBrand::Flex), Err(PlanError::InvalidField("fareBrand", _))));
    }
}
