use super::ranking::Key;
use super::*;
use crate::domain::seating::Cabin;
use crate::domain::timetable::{utc_day, DayTable, Network, NewFlight, TimetableView};

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
            airline: ["XY", "AB", "CD"][id as usize % 3].into(),
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
            filters: Filters::default(),
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
        filters: Filters::default(),
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
        let f = &input.filters;
        let (departs, arrives) = (legs[0].departs_at, legs[legs.len() - 1].arrives_at);
        if f.airlines.as_ref().is_some_and(|ids| legs.iter().any(|l| !ids.contains(&l.airline)))
            || f.max_layover_secs.is_some_and(|max| legs.windows(2).any(|p| p[1].departs_at - p[0].arrives_at > max))
            || f.max_duration_secs.is_some_and(|max| arrives - departs > max)
            || f.max_adult_fare.is_some_and(|max| price > max)
            || f.arrival.as_ref().is_some_and(|window| !window(arrives))
        {
            return;
        }
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
        for sort in [SortOrder::Price, SortOrder::Duration, SortOrder::Departure, SortOrder::Best] {
            for (max_stops, limit) in [(0, 5), (1, 3), (2, 4), (2, 300)] {
                let filters = match round % 4 {
                    0 => Filters::default(),
                    1 => Filters {
                        airlines: Some(vec![net.network.intern("XY"), net.network.intern("AB")]),
                        ..Filters::default()
                    },
                    2 => Filters {
                        max_layover_secs: Some(3 * 3600),
                        max_duration_secs: Some(10 * 3600),
                        ..Filters::default()
                    },
                    _ => Filters {
                        max_adult_fare: Some(12_000),
                        arrival: Some(std::sync::Arc::new(|t: i64| (t - T0).rem_euclid(86_400) >= 12 * 3600)),
                        ..Filters::default()
                    },
                };
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
                    filters,
                };
                let got: Vec<String> = search(&view, &input).iter().map(Itinerary::id).collect();
                assert_eq!(got, brute_force(&view, &input, &all), "round {round}, {sort:?}, {max_stops} stops");
            }
        }
    }
}
