//! Building itineraries from candidate legs: direct, one-stop and two-stop,
//! with minimum connection times, a 24 h layover limit, no repeated airport,
//! and the three sort orders. Pure: the store fetches the candidate legs
//! (index-driven, see `store::flights`), this module joins them in memory.

use chrono::{DateTime, Duration, Utc};
use std::collections::HashMap;

pub const MAX_LAYOVER: Duration = Duration::hours(24);
/// Stop combining once this many itineraries exist; busy pairs have many
/// near-identical two-stop routings and nobody pages through thousands.
pub const MAX_CANDIDATES: usize = 20_000;
/// Itineraries kept per search after sorting (and so reachable by paging).
pub const MAX_RESULTS: usize = 300;

#[derive(Clone, Debug, PartialEq)]
pub struct Leg {
    pub flight_id: i64,
    pub flight_number: String,
    pub airline_code: String,
    pub origin: String,
    pub destination: String,
    pub departs_at: DateTime<Utc>,
    pub arrives_at: DateTime<Utc>,
    pub aircraft: String,
    /// Price of one seat in the searched cabin, in minor units.
    pub fare: i64,
    pub currency: String,
    pub seats_left: i32,
}

/// What connection rules need to know about an airport.
#[derive(Clone, Debug)]
pub struct ConnectionRules {
    pub country: String,
    pub min_connection_minutes: i32,
    pub min_connection_minutes_international: i32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SortOrder {
    Price,
    Duration,
    Departure,
}

impl SortOrder {
    pub fn parse(raw: &str) -> Option<SortOrder> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "price" | "cheapest" => Some(SortOrder::Price),
            "duration" | "fastest" => Some(SortOrder::Duration),
            "departure" | "earliest" => Some(SortOrder::Departure),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SortOrder::Price => "price",
            SortOrder::Duration => "duration",
            SortOrder::Departure => "departure",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Itinerary {
    pub legs: Vec<Leg>,
    /// All passengers, all legs, minor units.
    pub total_price: i64,
    pub currency: String,
    pub seats_left: i32,
}

impl Itinerary {
    fn new(legs: Vec<Leg>, passengers: i32) -> Option<Itinerary> {
        let currency = legs[0].currency.clone();
        // Fares in different currencies cannot be added up honestly.
        if legs.iter().any(|l| l.currency != currency) {
            return None;
        }
        let per_passenger: i64 = legs.iter().map(|l| l.fare).sum();
        Some(Itinerary {
            total_price: per_passenger * i64::from(passengers),
            seats_left: legs.iter().map(|l| l.seats_left).min().unwrap_or(0),
            currency,
            legs,
        })
    }

    pub fn id(&self) -> String {
        self.legs.iter().map(|l| l.flight_id.to_string()).collect::<Vec<_>>().join("-")
    }

    pub fn departs_at(&self) -> DateTime<Utc> {
        self.legs[0].departs_at
    }

    pub fn arrives_at(&self) -> DateTime<Utc> {
        self.legs[self.legs.len() - 1].arrives_at
    }

    pub fn duration_minutes(&self) -> i64 {
        (self.arrives_at() - self.departs_at()).num_minutes()
    }

    pub fn stops(&self) -> usize {
        self.legs.len() - 1
    }

    /// (airport, minutes on the ground) between consecutive legs.
    pub fn layovers(&self) -> Vec<(String, i64)> {
        self.legs
            .windows(2)
            .map(|pair| (pair[0].destination.clone(), (pair[1].departs_at - pair[0].arrives_at).num_minutes()))
            .collect()
    }

    pub fn flight_ids(&self) -> impl Iterator<Item = i64> + '_ {
        self.legs.iter().map(|l| l.flight_id)
    }
}

pub struct SearchInput<'a> {
    pub origin: &'a str,
    pub destination: &'a str,
    pub passengers: i32,
    pub max_stops: u8,
    pub sort: SortOrder,
    pub airports: &'a HashMap<String, ConnectionRules>,
}

impl SearchInput<'_> {
    /// A connection from `arriving` to `departing` at their shared airport is
    /// possible: at least the airport's minimum connection time (the
    /// international one when either flight crosses a border), at most 24 h.
    pub fn connects(&self, arriving: &Leg, departing: &Leg) -> bool {
        if arriving.destination != departing.origin {
            return false;
        }
        let Some(hub) = self.airports.get(&arriving.destination) else {
            return false;
        };
        let crosses_border = |leg: &Leg| {
            let country = |code: &str| self.airports.get(code).map(|a| a.country.as_str());
            country(&leg.origin) != country(&leg.destination)
        };
        let minimum = if crosses_border(arriving) || crosses_border(departing) {
            hub.min_connection_minutes_international
        } else {
            hub.min_connection_minutes
        };
        let gap = departing.departs_at - arriving.arrives_at;
        gap >= Duration::minutes(i64::from(minimum)) && gap <= MAX_LAYOVER
    }

    fn has_seats(&self, leg: &Leg) -> bool {
        leg.seats_left >= self.passengers
    }
}

/// Legs grouped by origin, each group sorted by departure, for window lookups.
struct DeparturesByAirport<'a>(HashMap<&'a str, Vec<&'a Leg>>);

impl<'a> DeparturesByAirport<'a> {
    fn new(legs: &'a [Leg]) -> Self {
        let mut map: HashMap<&str, Vec<&Leg>> = HashMap::new();
        for leg in legs {
            map.entry(leg.origin.as_str()).or_default().push(leg);
        }
        for group in map.values_mut() {
            group.sort_by_key(|l| (l.departs_at, l.flight_id));
        }
        DeparturesByAirport(map)
    }

    /// Departures from `airport` within the layover window after `arrival`.
    fn after(&self, airport: &str, arrival: DateTime<Utc>) -> &[&'a Leg] {
        let Some(group) = self.0.get(airport) else {
            return &[];
        };
        let start = group.partition_point(|l| l.departs_at < arrival);
        let end = group.partition_point(|l| l.departs_at <= arrival + MAX_LAYOVER);
        &group[start..end]
    }
}

/// Joins first legs (from the origin on the date), middle legs and last legs
/// (into the destination) into itineraries, sorted and truncated to
/// [`MAX_RESULTS`].
pub fn build_itineraries(input: &SearchInput<'_>, first: &[Leg], middle: &[Leg], last: &[Leg]) -> Vec<Itinerary> {
    let mut found: Vec<Itinerary> = Vec::new();
    let push = |found: &mut Vec<Itinerary>, legs: Vec<Leg>| {
        if let Some(itinerary) = Itinerary::new(legs, input.passengers) {
            found.push(itinerary);
        }
    };
    let last_by_origin = DeparturesByAirport::new(last);
    let middle_by_origin = DeparturesByAirport::new(middle);

    // Once MAX_CANDIDATES are found nothing more is kept, so the loops stop
    // there (a busy hub pair with two stops has millions of combinations).
    'first: for f1 in first.iter().filter(|l| l.origin == input.origin).filter(|l| input.has_seats(l)) {
        if found.len() >= MAX_CANDIDATES {
            break;
        }
        if f1.destination == input.destination {
            push(&mut found, vec![f1.clone()]);
            continue;
        }
        if input.max_stops >= 1 {
            for f2 in last_by_origin.after(&f1.destination, f1.arrives_at).iter().filter(|l| input.has_seats(l)) {
                if f2.destination == input.destination && input.connects(f1, f2) {
                    if found.len() >= MAX_CANDIDATES {
                        break 'first;
                    }
                    push(&mut found, vec![f1.clone(), (*f2).clone()]);
                }
            }
        }
        if input.max_stops >= 2 {
            for f2 in middle_by_origin.after(&f1.destination, f1.arrives_at).iter().filter(|l| input.has_seats(l)) {
                let hub = f2.destination.as_str();
                if hub == input.origin || hub == input.destination || hub == f1.destination || !input.connects(f1, f2) {
                    continue;
                }
                for f3 in last_by_origin.after(hub, f2.arrives_at).iter().filter(|l| input.has_seats(l)) {
                    if f3.destination == input.destination && input.connects(f2, f3) {
                        if found.len() >= MAX_CANDIDATES {
                            break 'first;
                        }
                        push(&mut found, vec![f1.clone(), (*f2).clone(), (*f3).clone()]);
                    }
                }
            }
        }
    }
    sort_itineraries(&mut found, input.sort);
    found.truncate(MAX_RESULTS);
    found
}

pub fn sort_itineraries(itineraries: &mut [Itinerary], order: SortOrder) {
    // Every key ends with the itinerary id, so the order is total and
    // pagination is stable between requests.
    match order {
        SortOrder::Price => {
            itineraries.sort_by_cached_key(|i| (i.total_price, i.duration_minutes(), i.departs_at(), i.id()))
        }
        SortOrder::Duration => {
            itineraries.sort_by_cached_key(|i| (i.duration_minutes(), i.total_price, i.departs_at(), i.id()))
        }
        SortOrder::Departure => {
            itineraries.sort_by_cached_key(|i| (i.departs_at(), i.total_price, i.duration_minutes(), i.id()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn airports() -> HashMap<String, ConnectionRules> {
        [("AAA", "IN", 45), ("BBB", "IN", 45), ("CCC", "IN", 60), ("DDD", "IN", 45), ("XXX", "AE", 60)]
            .into_iter()
            .map(|(code, country, mct)| {
                (
                    code.to_string(),
                    ConnectionRules {
                        country: country.into(),
                        min_connection_minutes: mct,
                        min_connection_minutes_international: 90,
                    },
                )
            })
            .collect()
    }

    fn at(hour: i64, minute: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).unwrap() + Duration::minutes(hour * 60 + minute)
    }

    fn leg(id: i64, from: &str, to: &str, dep: DateTime<Utc>, minutes: i64, fare: i64) -> Leg {
        Leg {
            flight_id: id,
            flight_number: format!("XY{id}"),
            airline_code: "XY".into(),
            origin: from.into(),
            destination: to.into(),
            departs_at: dep,
            arrives_at: dep + Duration::minutes(minutes),
            aircraft: "A320".into(),
            fare,
            currency: "INR".into(),
            seats_left: 10,
        }
    }

    fn input<'a>(airports: &'a HashMap<String, ConnectionRules>, max_stops: u8) -> SearchInput<'a> {
        SearchInput { origin: "AAA", destination: "DDD", passengers: 1, max_stops, sort: SortOrder::Price, airports }
    }

    fn ids(found: &[Itinerary]) -> Vec<String> {
        found.iter().map(Itinerary::id).collect()
    }

    #[test]
    fn direct_one_and_two_stop() {
        let a = airports();
        let first = vec![leg(1, "AAA", "DDD", at(6, 0), 120, 5000), leg(2, "AAA", "BBB", at(7, 0), 60, 1000)];
        let middle = vec![leg(3, "BBB", "CCC", at(9, 0), 60, 1000)];
        let last = vec![leg(4, "BBB", "DDD", at(9, 0), 60, 1500), leg(5, "CCC", "DDD", at(11, 0), 60, 1000)];
        assert_eq!(ids(&build_itineraries(&input(&a, 0), &first, &middle, &last)), vec!["1"]);
        assert_eq!(ids(&build_itineraries(&input(&a, 1), &first, &middle, &last)), vec!["2-4", "1"]);
        assert_eq!(ids(&build_itineraries(&input(&a, 2), &first, &middle, &last)), vec!["2-4", "2-3-5", "1"]);
        let two_stop = &build_itineraries(&input(&a, 2), &first, &middle, &last)[1];
        assert_eq!(two_stop.layovers(), vec![("BBB".to_string(), 60), ("CCC".to_string(), 60)]);
        assert_eq!(two_stop.duration_minutes(), 5 * 60);
        assert_eq!(two_stop.total_price, 3000);
    }

    #[test]
    fn minimum_connection_time_is_inclusive_at_the_boundary() {
        let a = airports();
        let first = vec![leg(1, "AAA", "BBB", at(6, 0), 60, 100)];
        // Arrives 07:00; BBB needs 45 min.
        let last = vec![leg(2, "BBB", "DDD", at(7, 44), 60, 100), leg(3, "BBB", "DDD", at(7, 45), 60, 100)];
        assert_eq!(ids(&build_itineraries(&input(&a, 1), &first, &[], &last)), vec!["1-3"]);
    }

    #[test]
    fn international_connections_need_the_longer_minimum() {
        let a = airports();
        let first = vec![leg(1, "AAA", "XXX", at(6, 0), 60, 100)];
        let mut back = leg(2, "XXX", "DDD", at(8, 0), 60, 100); // 60 min gap; XXX needs 90 international
        let input = SearchInput {
            origin: "AAA",
            destination: "DDD",
            passengers: 1,
            max_stops: 1,
            sort: SortOrder::Price,
            airports: &a,
        };
        assert!(build_itineraries(&input, &first, &[], std::slice::from_ref(&back)).is_empty());
        back.departs_at = at(8, 30);
        back.arrives_at = at(9, 30);
        assert_eq!(build_itineraries(&input, &first, &[], &[back]).len(), 1);
    }

    #[test]
    fn layovers_longer_than_24h_do_not_connect() {
        let a = airports();
        let first = vec![leg(1, "AAA", "BBB", at(6, 0), 60, 100)];
        let last = vec![leg(2, "BBB", "DDD", at(31, 0), 60, 100), leg(3, "BBB", "DDD", at(31, 1), 60, 100)];
        assert_eq!(ids(&build_itineraries(&input(&a, 1), &first, &[], &last)), vec!["1-2"]);
    }

    #[test]
    fn no_airport_repeats_and_full_legs_are_skipped() {
        let a = airports();
        let first = vec![leg(1, "AAA", "BBB", at(6, 0), 60, 100)];
        // BBB → AAA → DDD would revisit the origin.
        let middle = vec![leg(2, "BBB", "AAA", at(8, 0), 60, 100)];
        let mut full = leg(4, "BBB", "DDD", at(8, 0), 60, 100);
        full.seats_left = 0;
        let last = vec![leg(3, "AAA", "DDD", at(10, 0), 60, 100), full];
        assert!(build_itineraries(&input(&a, 2), &first, &middle, &last).is_empty());
    }

    #[test]
    fn passengers_multiply_the_price_and_need_seats() {
        let a = airports();
        let mut few = leg(1, "AAA", "DDD", at(6, 0), 60, 2500);
        few.seats_left = 2;
        let mut two = input(&a, 0);
        two.passengers = 2;
        let found = build_itineraries(&two, std::slice::from_ref(&few), &[], &[]);
        assert_eq!(found[0].total_price, 5000);
        two.passengers = 3;
        assert!(build_itineraries(&two, &[few], &[], &[]).is_empty());
    }

    #[test]
    fn sort_orders() {
        let a = airports();
        let first = vec![
            leg(1, "AAA", "DDD", at(6, 0), 180, 3000),
            leg(2, "AAA", "DDD", at(7, 0), 60, 9000),
            leg(3, "AAA", "DDD", at(5, 0), 120, 3000),
        ];
        let mut i = input(&a, 0);
        assert_eq!(ids(&build_itineraries(&i, &first, &[], &[])), vec!["3", "1", "2"]);
        i.sort = SortOrder::Duration;
        assert_eq!(ids(&build_itineraries(&i, &first, &[], &[])), vec!["2", "3", "1"]);
        i.sort = SortOrder::Departure;
        assert_eq!(ids(&build_itineraries(&i, &first, &[], &[])), vec!["3", "1", "2"]);
    }
}
