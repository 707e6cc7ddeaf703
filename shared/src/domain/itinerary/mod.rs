//! Itinerary search over the in-memory timetable: direct, one-stop and
//! two-stop itineraries with minimum connection times (the international
//! one when a leg crosses a border), at most 24 h on the ground, no airport
//! twice, one currency, and the best [`MAX_RESULTS`] in the requested order.
//!
//! Exact top-k by branch and bound: itineraries are kept in a bounded heap
//! ordered by the sort key, and a partial itinerary is extended only while a
//! lower bound of its best completion (cheapest fare and shortest flight
//! time of each remaining route, shortest connection at each airport) could
//! still beat the worst itinerary kept. Direct and one-stop itineraries are
//! found first, so the bound is already tight when two-stop search starts,
//! and first legs are tried best bound first, so the loop stops at the first
//! one that cannot win. Pure: no I/O, the store provides the timetable.

use super::seating::Cabin;
use super::timetable::{AirportId, ScheduledFlight, TimetableView};
use std::cmp::Ordering;
use std::collections::BinaryHeap;

pub const MAX_LAYOVER_SECS: i64 = 24 * 3600;
/// Itineraries kept per search after sorting (and so reachable by paging).
pub const MAX_RESULTS: usize = 300;

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

    /// The two leading sort keys of (price per passenger, departure, arrival).
    fn rank(self, price: i64, departs: i64, arrives: i64) -> (i64, i64) {
        match self {
            SortOrder::Price => (price, arrives - departs),
            SortOrder::Duration => (arrives - departs, price),
            SortOrder::Departure => (departs, price),
        }
    }

    /// The whole key; every key ends with the flight ids, so the order is
    /// total and pages are stable between requests.
    fn key(self, price: i64, departs: i64, arrives: i64, ids: [i64; 3]) -> Key {
        let (first, second) = self.rank(price, departs, arrives);
        let third = match self {
            SortOrder::Price | SortOrder::Duration => departs,
            SortOrder::Departure => arrives - departs,
        };
        Key { first, second, third, ids }
    }
}

pub struct SearchInput {
    pub origin: AirportId,
    pub destination: AirportId,
    /// First legs depart in `[departs_from, departs_until)` (Unix seconds):
    /// the search date at the origin.
    pub departs_from: i64,
    pub departs_until: i64,
    pub passengers: i32,
    pub max_stops: u8,
    pub cabin: Cabin,
    pub sort: SortOrder,
    pub now: i64,
    pub limit: usize,
}

#[derive(Clone, Debug)]
pub struct Itinerary<'a> {
    pub legs: Vec<&'a ScheduledFlight>,
    /// One passenger, all legs, minor units.
    pub price_per_passenger: i64,
    pub currency: [u8; 3],
}

impl Itinerary<'_> {
    pub fn departs_at(&self) -> i64 {
        self.legs[0].departs_at
    }

    pub fn arrives_at(&self) -> i64 {
        self.legs[self.legs.len() - 1].arrives_at
    }

    pub fn duration_minutes(&self) -> i64 {
        (self.arrives_at() - self.departs_at()) / 60
    }

    pub fn stops(&self) -> usize {
        self.legs.len() - 1
    }

    pub fn id(&self) -> String {
        self.legs.iter().map(|l| l.id.to_string()).collect::<Vec<_>>().join("-")
    }

    /// (airport, minutes on the ground) between consecutive legs.
    pub fn layovers(&self) -> impl Iterator<Item = (AirportId, i64)> + '_ {
        self.legs.windows(2).map(|pair| (pair[0].destination, (pair[1].departs_at - pair[0].arrives_at) / 60))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Key {
    first: i64,
    second: i64,
    third: i64,
    ids: [i64; 3],
}

struct Kept<'a> {
    key: Key,
    legs: [&'a ScheduledFlight; 3],
    len: usize,
    price: i64,
    currency: [u8; 3],
}

impl PartialEq for Kept<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}
impl Eq for Kept<'_> {}
impl PartialOrd for Kept<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Kept<'_> {
    fn cmp(&self, other: &Self) -> Ordering {
        self.key.cmp(&other.key)
    }
}

/// A lower bound of every completion of a partial itinerary: price at
/// least `price`, arrival no earlier than `arrives`, departure exact.
#[derive(Clone, Copy)]
struct Bound {
    price: i64,
    departs: i64,
    arrives: i64,
}

/// The best `limit` itineraries seen so far (a max-heap on the key).
struct Best<'a> {
    heap: BinaryHeap<Kept<'a>>,
    limit: usize,
    sort: SortOrder,
    cabin: Cabin,
}

impl<'a> Best<'a> {
    /// True when no completion of the partial itinerary can enter the best.
    fn prunes(&self, bound: &Bound) -> bool {
        if self.heap.len() < self.limit {
            return false;
        }
        let worst = &self.heap.peek().expect("full heap").key;
        self.sort.rank(bound.price, bound.departs, bound.arrives) > (worst.first, worst.second)
    }

    fn offer(&mut self, legs: &[&'a ScheduledFlight]) {
        if self.limit == 0 {
            return;
        }
        let mut price = 0;
        let mut currency = None;
        for leg in legs {
            let Some(fare) = leg.fare(self.cabin) else { return };
            // Fares in different currencies cannot be added up honestly.
            if currency.is_some_and(|c| c != fare.currency) {
                return;
            }
            currency = Some(fare.currency);
            price += fare.amount;
        }
        let mut ids = [0; 3];
        for (slot, leg) in ids.iter_mut().zip(legs) {
            *slot = leg.id;
        }
        let (departs, arrives) = (legs[0].departs_at, legs[legs.len() - 1].arrives_at);
        let key = self.sort.key(price, departs, arrives, ids);
        if self.heap.len() == self.limit {
            if key >= self.heap.peek().expect("full heap").key {
                return;
            }
            self.heap.pop();
        }
        let mut kept = [legs[0]; 3];
        kept[..legs.len()].copy_from_slice(legs);
        let currency = currency.expect("at least one leg");
        self.heap.push(Kept { key, legs: kept, len: legs.len(), price, currency });
    }
}

/// Whether `departing` can follow `arriving` at their shared airport: at
/// least the airport's minimum connection time (the international one when
/// either flight crosses a border), at most 24 h.
pub fn connects(view: &TimetableView<'_>, arriving: &ScheduledFlight, departing: &ScheduledFlight) -> bool {
    if arriving.destination != departing.origin {
        return false;
    }
    let network = view.network;
    let rules = network.rules(arriving.destination);
    let international = network.crosses_border(arriving.origin, arriving.destination)
        || network.crosses_border(departing.origin, departing.destination);
    let minimum = if international { rules.min_connection_minutes_international } else { rules.min_connection_minutes };
    let gap = departing.departs_at - arriving.arrives_at;
    gap >= i64::from(minimum) * 60 && gap <= MAX_LAYOVER_SECS
}

/// The best itineraries, in order. Days the view lacks are recorded in it
/// (`missing_days`); a result computed with days missing is incomplete.
pub fn search<'a>(view: &TimetableView<'a>, input: &SearchInput) -> Vec<Itinerary<'a>> {
    let network = view.network;
    let (origin, destination, cabin) = (input.origin, input.destination, input.cabin);
    let sellable = |f: &ScheduledFlight| f.looks_sellable(cabin, input.passengers, input.now);
    let shortest_connection = |airport: AirportId| network.rules(airport).shortest_connection_secs();
    let mut best = Best { heap: BinaryHeap::new(), limit: input.limit, sort: input.sort, cabin };

    // Every day a later leg could depart on must be in the view, or the
    // bounds below would miss routes: leg k+1 departs within 24 h of leg
    // k's arrival, and no flight is longer than the longest one departing
    // by then.
    let mut latest = input.departs_until;
    for _ in 0..input.max_stops {
        latest += view.longest_flight_secs(input.departs_from, latest) + MAX_LAYOVER_SECS + 1;
    }
    view.require(input.departs_from, latest);
    if !view.missing_days().is_empty() {
        return Vec::new();
    }

    let firsts: Vec<&ScheduledFlight> =
        view.departures(origin, input.departs_from, input.departs_until).filter(|f| sellable(f)).collect();
    // For each airport with a route into the destination: cheapest fare and
    // shortest flight time of a last leg from there.
    let last_leg = if input.max_stops >= 1 { view.bounds_into(destination, cabin) } else { Vec::new() };
    let fare_of = |f: &ScheduledFlight| f.fare(cabin).map_or(i64::MAX / 4, |fare| fare.amount);

    for f1 in &firsts {
        if f1.destination == destination {
            best.offer(&[f1]);
            continue;
        }
        let hub = f1.destination;
        let Some(Some((fare, secs))) = last_leg.get(usize::from(hub)) else { continue };
        let bound = Bound {
            price: fare_of(f1) + fare,
            departs: f1.departs_at,
            arrives: f1.arrives_at + shortest_connection(hub) + secs,
        };
        if best.prunes(&bound) {
            continue;
        }
        let (from, until) = (f1.arrives_at + shortest_connection(hub), f1.arrives_at + MAX_LAYOVER_SECS + 1);
        for f2 in view.route_departures(hub, destination, from, until) {
            if sellable(f2) && connects(view, f1, f2) {
                best.offer(&[f1, f2]);
            }
        }
    }

    if input.max_stops >= 2 {
        // Cheapest fare and shortest time from arriving at a first hub to
        // the destination through a second hub, over every day of the view.
        let mut through: Vec<Option<Option<(i64, i64)>>> = vec![None; network.airport_count()];
        let mut two_more = |hub: AirportId| -> Option<(i64, i64)> {
            *through[usize::from(hub)].get_or_insert_with(|| {
                view.all_routes_from(hub)
                    .filter(|r| r.destination != origin && r.destination != destination)
                    .filter_map(|route| {
                        let (fare, secs) = last_leg[usize::from(route.destination)]?;
                        let route_fare = route.min_fare[cabin as usize];
                        (route_fare != i64::MAX).then(|| {
                            (route_fare + fare, route.min_secs + shortest_connection(route.destination) + secs)
                        })
                    })
                    .reduce(|(f1, s1), (f2, s2)| (f1.min(f2), s1.min(s2)))
                    .map(|(fare, secs)| (fare, secs + shortest_connection(hub)))
            })
        };
        let mut candidates: Vec<(Bound, &ScheduledFlight)> = firsts
            .iter()
            .filter(|f1| f1.destination != destination)
            .filter_map(|f1| {
                let (fare, secs) = two_more(f1.destination)?;
                Some((Bound { price: fare_of(f1) + fare, departs: f1.departs_at, arrives: f1.arrives_at + secs }, *f1))
            })
            .collect();
        candidates.sort_by_key(|(b, f1)| (input.sort.rank(b.price, b.departs, b.arrives), f1.id));

        for (bound, f1) in candidates {
            if best.prunes(&bound) {
                // Sorted by bound: no later first leg can do better.
                break;
            }
            let hub = f1.destination;
            let (from, until) = (f1.arrives_at + shortest_connection(hub), f1.arrives_at + MAX_LAYOVER_SECS + 1);
            for route in view.routes_from(hub, from, until) {
                let second_hub = route.route.destination;
                if second_hub == origin || second_hub == destination {
                    continue;
                }
                let Some((last_fare, last_secs)) = last_leg[usize::from(second_hub)] else { continue };
                let route_fare = route.route.min_fare[cabin as usize];
                if route_fare == i64::MAX {
                    continue;
                }
                let after_hub = shortest_connection(second_hub) + last_secs;
                let route_bound = Bound {
                    price: fare_of(f1) + route_fare + last_fare,
                    departs: f1.departs_at,
                    arrives: f1.arrives_at + shortest_connection(hub) + route.route.min_secs + after_hub,
                };
                if best.prunes(&route_bound) {
                    continue;
                }
                for f2 in route.departures(from, until) {
                    if !sellable(f2) || !connects(view, f1, f2) {
                        continue;
                    }
                    let bound = Bound {
                        price: fare_of(f1) + fare_of(f2) + last_fare,
                        departs: f1.departs_at,
                        arrives: f2.arrives_at + after_hub,
                    };
                    if best.prunes(&bound) {
                        continue;
                    }
                    let (from3, until3) =
                        (f2.arrives_at + shortest_connection(second_hub), f2.arrives_at + MAX_LAYOVER_SECS + 1);
                    for f3 in view.route_departures(second_hub, destination, from3, until3) {
                        if sellable(f3) && connects(view, f2, f3) {
                            best.offer(&[f1, f2, f3]);
                        }
                    }
                }
            }
        }
    }

    best.heap
        .into_sorted_vec()
        .into_iter()
        .map(|kept| Itinerary {
            legs: kept.legs[..kept.len].to_vec(),
            price_per_passenger: kept.price,
            currency: kept.currency,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::timetable::{utc_day, DayTable, Network, NewFlight};

    const T0: i64 = 1_893_456_000; // 2030-01-01T00:00:00Z

    fn network() -> Network {
        let mut network = Network::default();
        for (code, country, mct) in
            [("AAA", "IN", 45), ("BBB", "IN", 45), ("CCC", "IN", 60), ("DDD", "IN", 45), ("XXX", "AE", 60)]
        {
            network.add_airport(code, country, mct, 90);
        }
        network
    }

    fn at(hour: i64, minute: i64) -> i64 {
        T0 + (hour * 60 + minute) * 60
    }

    struct Net {
        network: Network,
        flights: Vec<NewFlight>,
    }

    impl Net {
        fn new() -> Net {
            Net { network: network(), flights: Vec::new() }
        }

        fn add(&mut self, id: i64, from: &str, to: &str, departs: i64, minutes: i64, fare: i64) -> &mut NewFlight {
            let (origin, destination) = (self.network.airport(from).unwrap(), self.network.airport(to).unwrap());
            self.flights.push(NewFlight {
                id,
                flight_number: format!("XY{id}"),
                airline: "XY".into(),
                aircraft: "A320".into(),
                origin,
                destination,
                departs_at: departs,
                arrives_at: departs + minutes * 60,
                cabins: vec![(Cabin::Economy, fare, "INR".into(), 10)],
            });
            self.flights.last_mut().unwrap()
        }

        fn tables(&mut self) -> Vec<DayTable> {
            let days: std::collections::BTreeSet<i64> = self.flights.iter().map(|f| utc_day(f.departs_at)).collect();
            let first = utc_day(T0);
            let last = days.iter().copied().max().unwrap_or(first).max(first + 3);
            (first..=last).map(|day| DayTable::build(day, self.flights.clone(), &self.network, T0 - 60)).collect()
        }

        fn search(&mut self, max_stops: u8, sort: SortOrder, passengers: i32) -> Vec<String> {
            let tables = self.tables();
            let refs: Vec<&DayTable> = tables.iter().collect();
            let view = TimetableView::new(&self.network, &refs);
            let input = SearchInput {
                origin: self.network.airport("AAA").unwrap(),
                destination: self.network.airport("DDD").unwrap(),
                departs_from: T0,
                departs_until: T0 + 86_400,
                passengers,
                max_stops,
                cabin: Cabin::Economy,
                sort,
                now: T0 - 60,
                limit: MAX_RESULTS,
            };
            let found = search(&view, &input);
            assert!(view.missing_days().is_empty(), "{:?}", view.missing_days());
            found.iter().map(Itinerary::id).collect()
        }
    }

    #[test]
    fn direct_one_and_two_stop() {
        let mut net = Net::new();
        net.add(1, "AAA", "DDD", at(6, 0), 120, 5000);
        net.add(2, "AAA", "BBB", at(7, 0), 60, 1000);
        net.add(3, "BBB", "CCC", at(9, 0), 60, 1000);
        net.add(4, "BBB", "DDD", at(9, 0), 60, 1500);
        net.add(5, "CCC", "DDD", at(11, 0), 60, 1000);
        assert_eq!(net.search(0, SortOrder::Price, 1), vec!["1"]);
        assert_eq!(net.search(1, SortOrder::Price, 1), vec!["2-4", "1"]);
        assert_eq!(net.search(2, SortOrder::Price, 1), vec!["2-4", "2-3-5", "1"]);
    }

    #[test]
    fn minimum_connection_time_is_inclusive_at_the_boundary() {
        let mut net = Net::new();
        net.add(1, "AAA", "BBB", at(6, 0), 60, 100);
        // Arrives 07:00; BBB needs 45 min.
        net.add(2, "BBB", "DDD", at(7, 44), 60, 100);
        net.add(3, "BBB", "DDD", at(7, 45), 60, 100);
        assert_eq!(net.search(1, SortOrder::Price, 1), vec!["1-3"]);
    }

    #[test]
    fn international_connections_need_the_longer_minimum() {
        let mut net = Net::new();
        net.add(1, "AAA", "XXX", at(6, 0), 60, 100);
        net.add(2, "XXX", "DDD", at(8, 0), 60, 100); // 60 min gap; XXX needs 90 international
        assert!(net.search(1, SortOrder::Price, 1).is_empty());
        net.add(3, "XXX", "DDD", at(8, 30), 60, 100);
        assert_eq!(net.search(1, SortOrder::Price, 1), vec!["1-3"]);
    }

    #[test]
    fn layovers_longer_than_24h_do_not_connect() {
        let mut net = Net::new();
        net.add(1, "AAA", "BBB", at(6, 0), 60, 100);
        net.add(2, "BBB", "DDD", at(31, 0), 60, 100);
        net.add(3, "BBB", "DDD", at(31, 1), 60, 100);
        assert_eq!(net.search(1, SortOrder::Price, 1), vec!["1-2"]);
    }

    #[test]
    fn no_airport_repeats_and_full_legs_are_skipped() {
        let mut net = Net::new();
        net.add(1, "AAA", "BBB", at(6, 0), 60, 100);
        // BBB → AAA → DDD would revisit the origin.
        net.add(2, "BBB", "AAA", at(8, 0), 60, 100);
        // Within 24 h of the arrival back at AAA, but not itself on the date.
        net.add(3, "AAA", "DDD", at(25, 0), 60, 100);
        net.add(4, "BBB", "DDD", at(8, 0), 60, 100).cabins[0].3 = 0;
        assert!(net.search(2, SortOrder::Price, 1).is_empty());
    }

    #[test]
    fn passengers_need_seats_on_every_leg() {
        let mut net = Net::new();
        net.add(1, "AAA", "DDD", at(6, 0), 60, 2500).cabins[0].3 = 2;
        assert_eq!(net.search(0, SortOrder::Price, 2), vec!["1"]);
        assert!(net.search(0, SortOrder::Price, 3).is_empty());
    }

    #[test]
    fn sort_orders() {
        let mut net = Net::new();
        net.add(1, "AAA", "DDD", at(6, 0), 180, 3000);
        net.add(2, "AAA", "DDD", at(7, 0), 60, 9000);
        net.add(3, "AAA", "DDD", at(5, 0), 120, 3000);
        assert_eq!(net.search(0, SortOrder::Price, 1), vec!["3", "1", "2"]);
        assert_eq!(net.search(0, SortOrder::Duration, 1), vec!["2", "3", "1"]);
        assert_eq!(net.search(0, SortOrder::Departure, 1), vec!["3", "1", "2"]);
    }

    #[test]
    fn mixed_currencies_do_not_combine() {
        let mut net = Net::new();
        net.add(1, "AAA", "XXX", at(6, 0), 60, 100);
        net.add(2, "XXX", "DDD", at(9, 0), 60, 100).cabins[0].2 = "AED".into();
        assert!(net.search(1, SortOrder::Price, 1).is_empty());
    }

    #[test]
    fn a_missing_day_is_reported() {
        let mut net = Net::new();
        net.add(1, "AAA", "BBB", at(23, 0), 60, 100);
        net.add(2, "BBB", "DDD", at(26, 0), 60, 100);
        let tables = net.tables();
        let first_only = [&tables[0]];
        let view = TimetableView::new(&net.network, &first_only);
        let input = SearchInput {
            origin: net.network.airport("AAA").unwrap(),
            destination: net.network.airport("DDD").unwrap(),
            departs_from: T0,
            departs_until: T0 + 86_400,
            passengers: 1,
            max_stops: 1,
            cabin: Cabin::Economy,
            sort: SortOrder::Price,
            now: T0 - 60,
            limit: 10,
        };
        assert!(search(&view, &input).is_empty());
        // A one-hour first leg and up to 24 h on the ground reach two more days.
        assert_eq!(view.missing_days(), vec![utc_day(T0) + 1, utc_day(T0) + 2]);
    }

    /// Every itinerary by brute force, sorted by the same key: the pruned
    /// search must return exactly its first `limit`.
    fn brute_force(view: &TimetableView<'_>, input: &SearchInput, all: &[&ScheduledFlight]) -> Vec<String> {
        let ok = |f: &ScheduledFlight| f.looks_sellable(input.cabin, input.passengers, input.now);
        let mut found: Vec<(Key, String)> = Vec::new();
        let mut consider = |legs: &[&ScheduledFlight]| {
            let mut airports = vec![legs[0].origin];
            airports.extend(legs.iter().map(|l| l.destination));
            let mut unique = airports.clone();
            unique.sort();
            unique.dedup();
            if unique.len() != airports.len() || legs[legs.len() - 1].destination != input.destination {
                return;
            }
            if !legs.iter().all(|l| ok(l)) || !legs.windows(2).all(|p| connects(view, p[0], p[1])) {
                return;
            }
            let price: i64 = legs.iter().map(|l| l.fare(input.cabin).unwrap().amount).sum();
            let mut ids = [0; 3];
            for (slot, leg) in ids.iter_mut().zip(legs) {
                *slot = leg.id;
            }
            let key = input.sort.key(price, legs[0].departs_at, legs[legs.len() - 1].arrives_at, ids);
            found.push((key, legs.iter().map(|l| l.id.to_string()).collect::<Vec<_>>().join("-")));
        };
        let firsts: Vec<&&ScheduledFlight> = all
            .iter()
            .filter(|f| {
                f.origin == input.origin && f.departs_at >= input.departs_from && f.departs_at < input.departs_until
            })
            .collect();
        for f1 in &firsts {
            consider(&[f1]);
            if input.max_stops >= 1 {
                for f2 in all {
                    consider(&[f1, f2]);
                    if input.max_stops >= 2 {
                        for f3 in all {
                            consider(&[f1, f2, f3]);
                        }
                    }
                }
            }
        }
        found.sort();
        found.into_iter().take(input.limit).map(|(_, id)| id).collect()
    }

    #[test]
    fn pruned_search_equals_brute_force_on_random_networks() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let codes = ["AAA", "BBB", "CCC", "DDD", "XXX"];
        for round in 0..40 {
            let mut net = Net::new();
            for id in 1..=rng.gen_range(10..60) {
                let from = codes[rng.gen_range(0..codes.len())];
                let to = codes[rng.gen_range(0..codes.len())];
                if from == to {
                    continue;
                }
                let departs = T0 + rng.gen_range(0..3 * 86_400) / 300 * 300;
                let fare = rng.gen_range(1..20) * 500;
                let flight = net.add(id, from, to, departs, rng.gen_range(6..40) * 5, fare);
                flight.cabins[0].3 = rng.gen_range(0..4);
            }
            let tables = net.tables();
            let refs: Vec<&DayTable> = tables.iter().collect();
            let view = TimetableView::new(&net.network, &refs);
            let all: Vec<&ScheduledFlight> = tables.iter().flat_map(|t| t.flights()).collect();
            for sort in [SortOrder::Price, SortOrder::Duration, SortOrder::Departure] {
                for (max_stops, limit) in [(0, 5), (1, 3), (2, 4), (2, 300)] {
                    let input = SearchInput {
                        origin: net.network.airport("AAA").unwrap(),
                        destination: net.network.airport("DDD").unwrap(),
                        departs_from: T0,
                        departs_until: T0 + 86_400,
                        passengers: 2,
                        max_stops,
                        cabin: Cabin::Economy,
                        sort,
                        now: T0 - 60,
                        limit,
                    };
                    let got: Vec<String> = search(&view, &input).iter().map(Itinerary::id).collect();
                    assert_eq!(got, brute_force(&view, &input, &all), "round {round}, {sort:?}, {max_stops} stops");
                }
            }
        }
    }
}
