//! Demo and benchmark data.
//!
//! The demo is a realistic Indian hub-and-spoke schedule with international
//! routes through the Gulf, Asia and Europe, so direct, 1-stop and 2-stop
//! itineraries all exist. It is laid relative to the date it is given, never
//! on fixed dates, so a fresh stack always has bookable flights, and flight 1
//! is always the original walkthrough's AI101 DEL→BOM tomorrow at 2500 INR a
//! seat. The benchmark network is synthetic and much larger.
//!
//! Both are idempotent: reference rows and flights already present (same
//! flight number and departure) are left alone, so seeding again adds nothing
//! and seeding on a later day only adds the new days. Flights go in with a
//! binary COPY into a temporary table and one `INSERT … SELECT`, which keeps
//! hundreds of thousands of flights within seconds.

mod network;
mod reference;

use anyhow::{anyhow, Context};
use chrono::{DateTime, Days, NaiveDate, Utc};
use chrono_tz::Tz;
use network::{Network, SeatCounts};
use rand::rngs::StdRng;
use rand::SeedableRng;
use reference::{aircraft_types, AIRLINES};
use shared::domain::seating::{Cabin, SeatLayout};
use std::fmt;
use tokio_postgres::binary_copy::BinaryCopyInWriter;
use tokio_postgres::types::Type;
use tokio_postgres::Client;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeedReport {
    /// Airports, airlines and aircraft types of the seed; all are present afterwards.
    pub airports: usize,
    pub airlines: usize,
    pub aircraft_types: usize,
    /// Flights this run added (0 when everything was already there).
    pub flights_inserted: u64,
    pub days: u32,
}

impl fmt::Display for SeedReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} airports, {} airlines, {} aircraft types, {} flight(s) inserted over {} day(s)",
            self.airports, self.airlines, self.aircraft_types, self.flights_inserted, self.days
        )
    }
}

/// The date the demo is laid from: the schedule is Indian, so today in India.
pub fn demo_today() -> NaiveDate {
    Utc::now().with_timezone(&Tz::Asia__Kolkata).date_naive()
}

/// Loads the demo schedule for the local dates `today .. today + days - 1`,
/// and flight 1 (AI101 DEL→BOM tomorrow) if there is no flight 1 yet.
pub async fn seed_demo(client: &Client, today: NaiveDate, days: u32) -> anyhow::Result<SeedReport> {
    let network = Network::demo()?;
    let seats = insert_reference(client, &network).await?;
    let mut flights_inserted = ensure_walkthrough_flight(client, &network, today, &seats).await?;
    flights_inserted += load_flights(client, &network, today, days, &seats).await?;
    seed_discount_codes(client).await?;
    Ok(report(&network, flights_inserted, days))
}

/// The demo discount codes, valid for a year from the first seeding:
/// FLY100 (the original's: ₹100 off, from ₹1,000), SAVE200 (₹200 off from
/// ₹5,000), NEW50 (50% off up to ₹750, once per customer). Existing codes
/// are left as they are.
pub async fn seed_discount_codes(client: &Client) -> anyhow::Result<()> {
    client
        .batch_execute(
            "INSERT INTO discount_codes
               (code, description, kind, value, max_discount, min_fare, valid_from, valid_until, usage_limit, per_user_limit)
             VALUES
               ('FLY100', '₹100 off any booking of ₹1,000 or more', 'FLAT', 10000, NULL, 100000,
                now() - interval '1 day', now() + interval '365 days', NULL, 5),
               ('SAVE200', '₹200 off bookings of ₹5,000 or more', 'FLAT', 20000, NULL, 500000,
                now() - interval '1 day', now() + interval '365 days', 10000, 3),
               ('NEW50', '50% off up to ₹750, once per customer', 'PERCENT', 50, 75000, 0,
                now() - interval '1 day', now() + interval '365 days', 1000, 1)
             ON CONFLICT (code) DO NOTHING",
        )
        .await?;
    Ok(())
}

/// Loads a synthetic network of `airports` airports (the real ones plus
/// synthetic codes) with `flights_per_day` flights on each of `days` dates
/// from `today`. Meant for a database of its own: its flight numbers may
/// coincide with the demo's, and such flights are skipped.
pub async fn seed_bench(
    client: &Client,
    today: NaiveDate,
    days: u32,
    airports: u32,
    flights_per_day: u32,
) -> anyhow::Result<SeedReport> {
    let network = Network::bench(airports, flights_per_day)?;
    let seats = insert_reference(client, &network).await?;
    let flights_inserted = load_flights(client, &network, today, days, &seats).await?;
    Ok(report(&network, flights_inserted, days))
}

/// The searches worth benchmarking on the `seed_bench` network, in this
/// order: a hub pair with hundreds of direct flights a day (and many 1-stop
/// alternatives), a spoke pair that needs one stop (Patna and Goa share the
/// Delhi and Mumbai hubs), and a pair that needs two (PAT→DEL→JFK→ORD).
/// The demo network has the same first two; there PAT→JFK needs two stops.
pub fn bench_busy_pairs() -> Vec<(&'static str, &'static str)> {
    vec![("DEL", "BOM"), ("PAT", "GOI"), ("PAT", "ORD")]
}

/// `AI101 DEL→BOM 2025-08-05 09:00 IST (UTC+05:30)`: a flight with its local
/// departure time, or `None` when there is no such flight.
pub async fn describe_flight(client: &Client, id: i64) -> anyhow::Result<Option<String>> {
    let Some(row) = client
        .query_opt(
            "SELECT f.flight_number, f.origin, f.destination, f.departs_at, a.time_zone
             FROM flights f JOIN airports a ON a.code = f.origin
             WHERE f.id = $1",
            &[&id],
        )
        .await?
    else {
        return Ok(None);
    };
    let zone_name: String = row.get(4);
    let zone: Tz = zone_name.parse().map_err(|e| anyhow!("airport time zone {zone_name}: {e}"))?;
    let departs_at: DateTime<Utc> = row.get(3);
    Ok(Some(format!(
        "{} {}→{} {}",
        row.get::<_, String>(0),
        row.get::<_, String>(1),
        row.get::<_, String>(2),
        departs_at.with_timezone(&zone).format("%Y-%m-%d %H:%M %Z (UTC%:z)")
    )))
}

fn report(network: &Network, flights_inserted: u64, days: u32) -> SeedReport {
    SeedReport {
        airports: network.airports.len(),
        airlines: AIRLINES.len(),
        aircraft_types: aircraft_types().len(),
        flights_inserted,
        days,
    }
}

/// Inserts the airports, airlines and aircraft types that are missing and
/// returns the seats per cabin of each aircraft type as the database has
/// it, so fares always match the stored layout even if it was edited.
async fn insert_reference(client: &Client, network: &Network) -> anyhow::Result<SeatCounts> {
    let airports = &network.airports;
    let column = |f: fn(&network::Airport) -> &str| airports.iter().map(f).collect::<Vec<_>>();
    let zones: Vec<&str> = airports.iter().map(|a| a.time_zone.name()).collect();
    let minimums: Vec<i32> = airports.iter().map(|a| a.min_connection_minutes).collect();
    let minimums_international: Vec<i32> = airports.iter().map(|a| a.min_connection_minutes_international).collect();
    client
        .execute(
            "INSERT INTO airports (code, name, city, country, time_zone,
                 min_connection_minutes, min_connection_minutes_international)
             SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[],
                 $6::int4[], $7::int4[])
             ON CONFLICT DO NOTHING",
            &[
                &column(|a| a.code.as_str()),
                &column(|a| a.name.as_str()),
                &column(|a| a.city.as_str()),
                &column(|a| a.country.as_str()),
                &zones,
                &minimums,
                &minimums_international,
            ],
        )
        .await
        .context("inserting airports")?;

    let airline_codes: Vec<&str> = AIRLINES.iter().map(|a| a.code).collect();
    let airline_names: Vec<&str> = AIRLINES.iter().map(|a| a.name).collect();
    client
        .execute(
            "INSERT INTO airlines (code, name)
             SELECT * FROM unnest($1::text[], $2::text[])
             ON CONFLICT DO NOTHING",
            &[&airline_codes, &airline_names],
        )
        .await
        .context("inserting airlines")?;

    let aircraft = aircraft_types();
    let aircraft_codes: Vec<&str> = aircraft.iter().map(|a| a.code).collect();
    let aircraft_names: Vec<&str> = aircraft.iter().map(|a| a.name).collect();
    let layouts = aircraft.iter().map(|a| serde_json::to_value(&a.layout)).collect::<Result<Vec<_>, _>>()?;
    client
        .execute(
            "INSERT INTO aircraft_types (code, name, layout)
             SELECT * FROM unnest($1::text[], $2::text[], $3::jsonb[])
             ON CONFLICT DO NOTHING",
            &[&aircraft_codes, &aircraft_names, &layouts],
        )
        .await
        .context("inserting aircraft types")?;

    let mut seats = SeatCounts::new();
    for row in client.query("SELECT code, layout FROM aircraft_types WHERE code = ANY($1)", &[&aircraft_codes]).await? {
        let code: String = row.get(0);
        let layout: SeatLayout =
            serde_json::from_value(row.get(1)).with_context(|| format!("the stored layout of aircraft type {code}"))?;
        let cabins = Cabin::ALL
            .into_iter()
            .filter_map(|cabin| {
                let count = layout.seat_count(cabin);
                (count > 0).then(|| Ok((cabin, i32::try_from(count)?)))
            })
            .collect::<anyhow::Result<_>>()?;
        seats.insert(code, cabins);
    }
    Ok(seats)
}

/// Inserts tomorrow's AI101 as flight 1 unless a flight 1 exists; returns
/// how many flights it inserted (0 or 1).
async fn ensure_walkthrough_flight(
    client: &Client,
    network: &Network,
    today: NaiveDate,
    seats: &SeatCounts,
) -> anyhow::Result<u64> {
    let tomorrow = today.succ_opt().context("no date after today")?;
    let walkthrough = &network.slots[0];
    // The walkthrough's fare is fixed, so the RNG draws do not matter.
    let flight = network.flight(walkthrough, tomorrow, seats, &mut StdRng::seed_from_u64(0))?;
    let inserted: i64 = client
        .query_one(
            "WITH flight AS (
                 INSERT INTO flights (id, airline_code, flight_number, origin, destination,
                     departs_at, arrives_at, aircraft_type)
                 VALUES (1, $1, $2, $3, $4, $5, $6, $7)
                 ON CONFLICT DO NOTHING
                 RETURNING id
             ), fares AS (
                 INSERT INTO flight_fares (flight_id, cabin, amount, currency, seats_total)
                 SELECT flight.id, fare.cabin, fare.amount, 'INR', fare.seats
                 FROM flight, unnest($8::text[], $9::int8[], $10::int4[]) AS fare (cabin, amount, seats)
             )
             SELECT count(*) FROM flight",
            &[
                &flight.airline,
                &flight.flight_number,
                &flight.origin,
                &flight.destination,
                &flight.departs_at,
                &flight.arrives_at,
                &flight.aircraft,
                &flight.cabins,
                &flight.amounts,
                &flight.seats,
            ],
        )
        .await
        .context("inserting flight 1")?
        .get(0);
    if inserted > 0 {
        // An explicit id leaves the identity sequence behind: move it past
        // the highest id so the next insert does not collide with flight 1.
        client
            .execute(
                "SELECT setval(pg_get_serial_sequence('flights', 'id'), max(id))
                 FROM flights HAVING max(id) IS NOT NULL",
                &[],
            )
            .await?;
    }
    Ok(inserted as u64)
}

/// COPYs the flights of `days` dates from `first_day` into a temporary
/// table, then moves the ones not yet present, with their fares, into the
/// schedule in one statement (so a flight never lands without its fares).
async fn load_flights(
    client: &Client,
    network: &Network,
    first_day: NaiveDate,
    days: u32,
    seats: &SeatCounts,
) -> anyhow::Result<u64> {
    client
        .batch_execute(
            "DROP TABLE IF EXISTS pg_temp.seed_flights;
             CREATE TEMP TABLE seed_flights (
                 airline_code text, flight_number text, origin text, destination text,
                 departs_at timestamptz, arrives_at timestamptz, aircraft_type text,
                 cabins text[], amounts int8[], seats int4[])",
        )
        .await?;
    let sink = client.copy_in("COPY seed_flights FROM STDIN (FORMAT binary)").await?;
    let writer = BinaryCopyInWriter::new(
        sink,
        &[
            Type::TEXT,
            Type::TEXT,
            Type::TEXT,
            Type::TEXT,
            Type::TIMESTAMPTZ,
            Type::TIMESTAMPTZ,
            Type::TEXT,
            Type::TEXT_ARRAY,
            Type::INT8_ARRAY,
            Type::INT4_ARRAY,
        ],
    );
    let mut writer = std::pin::pin!(writer);
    for day in 0..days {
        let date =
            first_day.checked_add_days(Days::new(u64::from(day))).context("seeding past the end of the calendar")?;
        for flight in network.flights_on(date, seats) {
            let flight = flight?;
            writer
                .as_mut()
                .write(&[
                    &flight.airline,
                    &flight.flight_number,
                    &flight.origin,
                    &flight.destination,
                    &flight.departs_at,
                    &flight.arrives_at,
                    &flight.aircraft,
                    &flight.cabins,
                    &flight.amounts,
                    &flight.seats,
                ])
                .await
                .context("copying flights")?;
        }
    }
    writer.finish().await.context("copying flights")?;
    client.batch_execute("ANALYZE seed_flights").await?;
    // Ordered so ids follow departure times.
    let inserted: i64 = client
        .query_one(
            "WITH inserted AS (
                 INSERT INTO flights (airline_code, flight_number, origin, destination,
                     departs_at, arrives_at, aircraft_type)
                 SELECT airline_code, flight_number, origin, destination,
                     departs_at, arrives_at, aircraft_type
                 FROM seed_flights
                 ORDER BY departs_at, flight_number
                 ON CONFLICT DO NOTHING
                 RETURNING id, flight_number, departs_at
             ), fares AS (
                 INSERT INTO flight_fares (flight_id, cabin, amount, currency, seats_total)
                 SELECT inserted.id, fare.cabin, fare.amount, 'INR', fare.seats
                 FROM inserted
                 JOIN seed_flights USING (flight_number, departs_at)
                 CROSS JOIN LATERAL unnest(seed_flights.cabins, seed_flights.amounts,
                     seed_flights.seats) AS fare (cabin, amount, seats)
             )
             SELECT count(*) FROM inserted",
            &[],
        )
        .await
        .context("inserting flights and fares")?
        .get(0);
    client.batch_execute("DROP TABLE seed_flights").await?;
    Ok(inserted as u64)
}
