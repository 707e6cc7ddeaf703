//! The demo and benchmark seeds against the real Postgres: the walkthrough's
//! flight 1, idempotence, the shape of the schedule and the benchmark's size.

use crate::support::*;
use chrono::{Days, NaiveDate};
use local_stack::seed::{bench_busy_pairs, demo_today, seed_bench, seed_demo};
use shared::domain::seating::{Cabin, SeatLayout, SeatNumber};
use std::collections::HashMap;
use std::time::Instant;
use tokio_postgres::Client;

/// Enough days for tomorrow's flight 1 and connections overnight, few
/// enough to keep each test's seed well under a second or two.
const DAYS: u32 = 3;

fn day(today: NaiveDate, offset: u64) -> NaiveDate {
    today.checked_add_days(Days::new(offset)).unwrap()
}

async fn seeded() -> (TestStack, Client, NaiveDate) {
    let stack = TestStack::new().await;
    let db = stack.db().await;
    let today = demo_today();
    seed_demo(&db, today, DAYS).await.expect("seeding the demo");
    (stack, db, today)
}

async fn count(db: &Client, sql: &str, params: &[&(dyn tokio_postgres::types::ToSql + Sync)]) -> i64 {
    db.query_one(sql, params).await.unwrap().get(0)
}

#[tokio::test]
async fn flight_one_is_the_walkthroughs_ai101_tomorrow() {
    let (_stack, db, today) = seeded().await;
    let row = db
        .query_one(
            "SELECT f.airline_code, f.flight_number, f.origin, f.destination,
                 (f.departs_at AT TIME ZONE 'Asia/Kolkata')::date, f.status, t.layout
             FROM flights f JOIN aircraft_types t ON t.code = f.aircraft_type
             WHERE f.id = 1",
            &[],
        )
        .await
        .expect("flight 1 exists");
    let fields: (String, String, String, String) = (row.get(0), row.get(1), row.get(2), row.get(3));
    assert_eq!(fields, ("AI".into(), "AI101".into(), "DEL".into(), "BOM".into()));
    assert_eq!(row.get::<_, NaiveDate>(4), day(today, 1), "departs tomorrow in India");
    assert_eq!(row.get::<_, String>(5), "SCHEDULED");
    let layout: SeatLayout = serde_json::from_value(row.get(6)).unwrap();
    let seat = layout.seat(&SeatNumber::parse("A1").unwrap()).expect("the walkthrough's seat A1 exists");
    assert_eq!(seat.cabin, Cabin::Economy);

    let fares: Vec<(String, i64, String)> = db
        .query("SELECT cabin, amount, currency FROM flight_fares WHERE flight_id = 1", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    // Only economy, so two seats are 5000 INR whatever cabin a client assumes.
    assert_eq!(fares, [("ECONOMY".into(), 250_000, "INR".into())]);

    let later = count(&db, "SELECT count(*) FROM flights WHERE id > 1", &[]).await;
    assert!(later > 0, "the other flights took ids after flight 1");
}

#[tokio::test]
async fn seeding_again_adds_nothing_and_a_later_day_only_adds_its_new_day() {
    let stack = TestStack::new().await;
    let db = stack.db().await;
    let today = demo_today();
    let first = seed_demo(&db, today, 2).await.unwrap();
    assert!(first.flights_inserted >= 4000, "{first}");
    let totals = "SELECT (SELECT count(*) FROM flights) * 1000000 + (SELECT count(*) FROM flight_fares)";
    let before = count(&db, totals, &[]).await;

    let second = seed_demo(&db, today, 2).await.unwrap();
    assert_eq!(second.flights_inserted, 0, "{second}");
    assert_eq!(count(&db, totals, &[]).await, before);
    assert_eq!(
        (second.airports, second.airlines, second.aircraft_types),
        (first.airports, first.airlines, first.aircraft_types)
    );

    // The timetable does not depend on the day it is seeded from: tomorrow's
    // run finds tomorrow in place and adds only the day after.
    let next = seed_demo(&db, day(today, 1), 2).await.unwrap();
    assert_eq!(next.flights_inserted * 2, first.flights_inserted, "{next}");
    let ai101 = count(&db, "SELECT count(*) FROM flights WHERE flight_number = 'AI101'", &[]).await;
    assert_eq!(ai101, 3, "AI101 flies once a day");
}

#[tokio::test]
async fn demo_has_real_airports_and_thousands_of_flights_a_day() {
    let (_stack, db, today) = seeded().await;
    let zones: HashMap<String, String> = db
        .query("SELECT code, time_zone FROM airports", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    assert!(zones.len() >= 40, "{} airports", zones.len());
    for code in
        ["DEL", "BOM", "BLR", "MAA", "CCU", "HYD", "GOI", "COK", "AMD", "PNQ", "PAT", "DXB", "SIN", "LHR", "JFK"]
    {
        assert!(zones.contains_key(code), "{code} missing");
    }
    for (code, zone) in [
        ("DEL", "Asia/Kolkata"),
        ("DXB", "Asia/Dubai"),
        ("SIN", "Asia/Singapore"),
        ("LHR", "Europe/London"),
        ("JFK", "America/New_York"),
    ] {
        assert_eq!(zones[code], zone, "{code}");
    }
    for zone in zones.values() {
        assert!(zone.parse::<chrono_tz::Tz>().is_ok(), "{zone}");
    }

    let per_day: HashMap<NaiveDate, i64> = db
        .query(
            "SELECT (f.departs_at AT TIME ZONE a.time_zone)::date, count(*)
             FROM flights f JOIN airports a ON a.code = f.origin
             GROUP BY 1",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    for offset in 0..u64::from(DAYS) {
        let date = day(today, offset);
        let flights = per_day.get(&date).copied().unwrap_or(0);
        assert!(flights >= 2000, "{flights} flights on {date}");
    }
    let outside = per_day.iter().filter(|(date, _)| **date < today || **date >= day(today, DAYS.into())).count();
    assert_eq!(outside, 0, "flights outside the seeded dates: {per_day:?}");

    let bad_numbers = count(
        &db,
        "SELECT count(*) FROM flights
         WHERE flight_number NOT LIKE airline_code || '%' OR arrives_at <= departs_at",
        &[],
    )
    .await;
    assert_eq!(bad_numbers, 0);
}

#[tokio::test]
async fn fares_match_the_seat_layouts() {
    let (_stack, db, _today) = seeded().await;
    let layouts: HashMap<String, SeatLayout> = db
        .query("SELECT code, layout FROM aircraft_types", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), serde_json::from_value(r.get(1)).unwrap()))
        .collect();
    assert!(layouts.len() >= 6);

    for row in db
        .query(
            "SELECT f.aircraft_type, ff.cabin, ff.seats_total, ff.currency, count(*)
             FROM flights f JOIN flight_fares ff ON ff.flight_id = f.id
             GROUP BY 1, 2, 3, 4",
            &[],
        )
        .await
        .unwrap()
    {
        let (aircraft, cabin, seats): (String, String, i32) = (row.get(0), row.get(1), row.get(2));
        let expected = layouts[&aircraft].seat_count(Cabin::parse(&cabin).unwrap());
        assert_eq!(seats as u32, expected, "{aircraft} {cabin}");
        assert_eq!(row.get::<_, String>(3), "INR");
    }

    // Every flight sells every cabin its aircraft has, and nothing else.
    for row in db
        .query(
            "SELECT aircraft_type, fares, count(*)
             FROM (SELECT f.aircraft_type, count(ff.cabin) AS fares
                   FROM flights f LEFT JOIN flight_fares ff ON ff.flight_id = f.id
                   GROUP BY f.id) per_flight
             GROUP BY 1, 2",
            &[],
        )
        .await
        .unwrap()
    {
        let (aircraft, fares): (String, i64) = (row.get(0), row.get(1));
        let cabins = Cabin::ALL.into_iter().filter(|c| layouts[&aircraft].seat_count(*c) > 0).count();
        assert_eq!(fares as usize, cabins, "{aircraft}");
    }

    // Business sells at 3–4× economy, premium economy at about 1.6×.
    let (business, premium): (i64, i64) = {
        let row = db
            .query_one(
                "SELECT
                     count(*) FILTER (WHERE b.amount NOT BETWEEN e.amount * 2.9 AND e.amount * 4.1),
                     count(*) FILTER (WHERE p.amount NOT BETWEEN e.amount * 1.45 AND e.amount * 1.75)
                 FROM flight_fares e
                 LEFT JOIN flight_fares b ON b.flight_id = e.flight_id AND b.cabin = 'BUSINESS'
                 LEFT JOIN flight_fares p ON p.flight_id = e.flight_id AND p.cabin = 'PREMIUM_ECONOMY'
                 WHERE e.cabin = 'ECONOMY'",
                &[],
            )
            .await
            .unwrap();
        (row.get(0), row.get(1))
    };
    assert_eq!((business, premium), (0, 0));
}

#[tokio::test]
async fn one_and_two_stop_itineraries_exist() {
    let (_stack, db, today) = seeded().await;
    let tomorrow = day(today, 1);
    let direct = |from: &'static str, to: &'static str| {
        let db = &db;
        async move { count(db, "SELECT count(*) FROM flights WHERE origin = $1 AND destination = $2", &[&from, &to]).await }
    };
    assert!(direct("DEL", "BOM").await >= 40 * i64::from(DAYS));

    // Spoke → hub → spoke: Patna and Goa have no flight but share hubs.
    assert_eq!(direct("PAT", "GOI").await, 0);
    let one_stop = count(
        &db,
        "SELECT count(*)
         FROM flights a
         JOIN flights b ON b.origin = a.destination
             AND b.departs_at BETWEEN a.arrives_at + interval '45 minutes'
                                  AND a.arrives_at + interval '24 hours'
         WHERE a.origin = 'PAT' AND b.destination = 'GOI'
           AND (a.departs_at AT TIME ZONE 'Asia/Kolkata')::date = $1",
        &[&tomorrow],
    )
    .await;
    assert!(one_stop >= 5, "{one_stop} PAT→GOI connections");

    // Patna to New York: no direct flight, no 1-stop route, but 2-stop
    // itineraries through an Indian hub and a Gulf or European gateway.
    assert_eq!(direct("PAT", "JFK").await, 0);
    let one_stop_routes = count(
        &db,
        "SELECT count(*) FROM flights a JOIN flights b ON b.origin = a.destination
         WHERE a.origin = 'PAT' AND b.destination = 'JFK'",
        &[],
    )
    .await;
    assert_eq!(one_stop_routes, 0);
    let two_stops = db
        .query(
            "SELECT a.flight_number, a.destination, b.flight_number, b.destination, c.flight_number
             FROM flights a
             JOIN flights b ON b.origin = a.destination
                 AND b.departs_at BETWEEN a.arrives_at + interval '90 minutes'
                                      AND a.arrives_at + interval '24 hours'
             JOIN flights c ON c.origin = b.destination
                 AND c.departs_at BETWEEN b.arrives_at + interval '90 minutes'
                                      AND b.arrives_at + interval '24 hours'
             WHERE a.origin = 'PAT' AND c.destination = 'JFK'
               AND (a.departs_at AT TIME ZONE 'Asia/Kolkata')::date = $1
             LIMIT 20",
            &[&tomorrow],
        )
        .await
        .unwrap();
    assert!(!two_stops.is_empty(), "no PAT→?→?→JFK itinerary");
}

#[tokio::test]
async fn bench_seed_loads_a_large_network_quickly() {
    let stack = TestStack::new().await;
    let db = stack.db().await;
    let started = Instant::now();
    let report = seed_bench(&db, demo_today(), 1, 600, 50_000).await.unwrap();
    let elapsed = started.elapsed();
    println!("seed_bench: {report} in {:.1} s", elapsed.as_secs_f64());
    assert!(report.airports >= 500 && report.flights_inserted >= 50_000, "{report}");
    assert!(count(&db, "SELECT count(*) FROM airports", &[]).await >= 500);
    assert!(count(&db, "SELECT count(*) FROM flights", &[]).await >= 50_000);
    let unpriced = count(
        &db,
        "SELECT count(*) FROM flights f
         WHERE NOT EXISTS (SELECT 1 FROM flight_fares ff WHERE ff.flight_id = f.id)",
        &[],
    )
    .await;
    assert_eq!(unpriced, 0);

    let routes = "WITH routes AS (SELECT DISTINCT origin, destination FROM flights)";
    let stops = |from: &'static str, to: &'static str| {
        let db = &db;
        async move {
            let direct =
                count(db, "SELECT count(*) FROM flights WHERE origin = $1 AND destination = $2", &[&from, &to]).await;
            let one = count(
                db,
                &format!(
                    "{routes} SELECT count(*) FROM routes a JOIN routes b ON b.origin = a.destination
                     WHERE a.origin = $1 AND b.destination = $2"
                ),
                &[&from, &to],
            )
            .await;
            let two = count(
                db,
                &format!(
                    "{routes} SELECT count(*) FROM routes a
                     JOIN routes b ON b.origin = a.destination
                     JOIN routes c ON c.origin = b.destination
                     WHERE a.origin = $1 AND c.destination = $2"
                ),
                &[&from, &to],
            )
            .await;
            (direct, one, two)
        }
    };
    let pairs = bench_busy_pairs();
    let (direct, one, _) = stops(pairs[0].0, pairs[0].1).await;
    assert!(direct >= 100 && one >= 10, "{pairs:?}[0]: {direct} direct, {one} 1-stop routes");
    let (direct, one, _) = stops(pairs[1].0, pairs[1].1).await;
    assert!(direct == 0 && one > 0, "{pairs:?}[1]: {direct} direct, {one} 1-stop routes");
    let (direct, one, two) = stops(pairs[2].0, pairs[2].1).await;
    assert!(direct == 0 && one == 0 && two > 0, "{pairs:?}[2]: {direct} direct, {one} 1-stop, {two} 2-stop routes");
}
