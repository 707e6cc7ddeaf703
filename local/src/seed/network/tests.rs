use super::daily_flights::local_to_utc;
use super::*;
use chrono::{Duration, NaiveDate};
use std::collections::HashSet;

#[test]
fn demo_schedule_is_busy_and_numbers_are_unique() {
    let network = Network::demo().unwrap();
    assert!(network.slots.len() >= 2500, "{}", network.slots.len());
    let numbers: HashSet<_> = network.slots.iter().map(|s| (s.airline, s.number)).collect();
    assert_eq!(numbers.len(), network.slots.len());
    let first = &network.slots[0];
    assert_eq!((AIRLINES[first.airline].code, first.number), ("AI", 101));
}

#[test]
fn bench_schedule_hits_the_requested_size() {
    let network = Network::bench(600, 50_000).unwrap();
    assert_eq!(network.airports.len(), 600);
    assert_eq!(network.slots.len(), 50_000);
    let codes: HashSet<_> = network.airports.iter().map(|a| &a.code).collect();
    assert_eq!(codes.len(), 600);
    assert!(network.airports.iter().all(|a| a.code.len() == 3 && a.code.bytes().all(|b| b.is_ascii_uppercase())));
}

#[test]
fn a_date_always_gets_the_same_flights_and_only_fares_vary_by_date() {
    let network = Network::demo().unwrap();
    let seats: SeatCounts = reference::aircraft_types()
        .into_iter()
        .map(|a| {
            let cabins =
                Cabin::ALL.into_iter().map(|c| (c, a.layout.seat_count(c) as i32)).filter(|(_, n)| *n > 0).collect();
            (a.code.to_string(), cabins)
        })
        .collect();
    let day = NaiveDate::from_ymd_opt(2025, 8, 5).unwrap();
    let flights = |date| {
        network
            .flights_on(date, &seats)
            .map(|f| {
                let f = f.unwrap();
                (f.flight_number, f.departs_at, f.amounts)
            })
            .collect::<Vec<_>>()
    };
    let (first, again, next) = (flights(day), flights(day), flights(day.succ_opt().unwrap()));
    assert_eq!(first, again);
    let shifted = |f: &(String, DateTime<Utc>, Vec<i64>)| (f.0.clone(), f.1 + Duration::days(1));
    assert!(first.iter().map(shifted).eq(next.iter().map(|f| (f.0.clone(), f.1))));
    assert_ne!(first.iter().map(|f| &f.2).collect::<Vec<_>>(), next.iter().map(|f| &f.2).collect::<Vec<_>>());
    assert_eq!(first[0].2, [WALKTHROUGH_ECONOMY_PAISE]);
    assert_eq!(next[0].2, [WALKTHROUGH_ECONOMY_PAISE]);
}

#[test]
fn every_international_route_has_a_carrier() {
    let network = Network::demo().unwrap();
    let mut builder = Builder::new(&network.airports, 1, Carriers::Realistic);
    let index = index_by_code(&network.airports);
    for &(a, b, _) in INTERNATIONAL {
        let (a, b) = (index[a], index[b]);
        let domestic = builder.domestic(a, b);
        let distance = builder.distance(a, b);
        let airline = AIRLINES[builder.pick_airline(a, b, distance, domestic)].code;
        let (a, b) = (&network.airports[a], &network.airports[b]);
        let based = AIRLINES
            .iter()
            .any(|x| x.code == airline && (x.bases.contains(&a.code.as_str()) || x.bases.contains(&b.code.as_str())));
        assert!(based || a.country == "IN" || b.country == "IN", "{}-{} flown by {airline}", a.code, b.code);
    }
}

#[test]
fn local_times_survive_daylight_saving_changes() {
    let spring = NaiveDate::from_ymd_opt(2025, 3, 30).unwrap();
    let t = local_to_utc(Tz::Europe__London, spring, 60 + 30);
    assert_eq!(t.to_rfc3339(), "2025-03-30T01:30:00+00:00");
    let kolkata = local_to_utc(Tz::Asia__Kolkata, spring, 9 * 60);
    assert_eq!(kolkata.to_rfc3339(), "2025-03-30T03:30:00+00:00");
}

#[test]
fn block_times_round_to_five_minutes() {
    assert_eq!(block_minutes(0.0), 30);
    assert_eq!(block_minutes(1150.0), 115);
}
