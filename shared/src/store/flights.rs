//! The schedule in Postgres: airports and airlines (cached per warm
//! instance), candidate legs for search, single flights, status changes.

use super::StoreError;
use crate::domain::seating::{Cabin, SeatLayout, SeatPlan};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use deadpool_postgres::Pool;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

/// One flight's schedule and its economy (or first listed) fare.
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
    /// Price of one seat, in minor units.
    pub fare: i64,
    pub currency: String,
    pub seats_left: i32,
}

#[derive(Clone, Debug)]
pub struct Airport {
    pub code: String,
    pub name: String,
    pub city: String,
    pub country: String,
    pub time_zone: Tz,
    pub min_connection_minutes: i32,
    pub min_connection_minutes_international: i32,
}

/// Airports and airlines: a few hundred rows that change rarely, so each
/// warm instance keeps them and reloads when it meets a code it lacks.
#[derive(Debug, Default)]
pub struct Directory {
    pub airports: HashMap<String, Airport>,
    pub airlines: HashMap<String, String>,
    loaded_at: Option<std::time::Instant>,
}

/// How long a warm instance trusts its directory before reloading it.
const DIRECTORY_MAX_AGE: std::time::Duration = std::time::Duration::from_secs(600);

#[derive(Default)]
pub struct DirectoryCache {
    current: RwLock<Option<Arc<Directory>>>,
}

impl DirectoryCache {
    /// The cached directory, loaded on first use or when `must_know` names
    /// an airport it does not have (a new airport was added).
    pub async fn get(&self, pool: &Pool, must_know: &[&str]) -> Result<Arc<Directory>, StoreError> {
        if let Some(current) = self.current.read().expect("directory lock").as_ref() {
            let fresh = current.loaded_at.is_some_and(|t| t.elapsed() < DIRECTORY_MAX_AGE);
            if fresh && must_know.iter().all(|code| current.airports.contains_key(*code)) {
                return Ok(current.clone());
            }
        }
        let loaded = Arc::new(read_directory(&pool.get().await?).await?);
        *self.current.write().expect("directory lock") = Some(loaded.clone());
        Ok(loaded)
    }
}

/// Every airport and airline.
#[tracing::instrument(name = "postgres.flights.read_directory", level = "debug", skip_all)]
pub async fn read_directory(client: &impl deadpool_postgres::GenericClient) -> Result<Directory, StoreError> {
    let mut directory = Directory::default();
    let rows = client
        .query(
            "SELECT code, name, city, country, time_zone, min_connection_minutes, min_connection_minutes_international FROM airports",
            &[],
        )
        .await?;
    for row in rows {
        let code: String = row.get(0);
        let zone: String = row.get(4);
        let time_zone: Tz =
            zone.parse().map_err(|_| StoreError::internal(format!("airport {code} has unknown time zone {zone}")))?;
        let airport = Airport {
            code: code.clone(),
            name: row.get(1),
            city: row.get(2),
            country: row.get(3),
            time_zone,
            min_connection_minutes: row.get(5),
            min_connection_minutes_international: row.get(6),
        };
        directory.airports.insert(code, airport);
    }
    for row in client.query("SELECT code, name FROM airlines", &[]).await? {
        directory.airlines.insert(row.get(0), row.get(1));
    }
    directory.loaded_at = Some(std::time::Instant::now());
    Ok(directory)
}

/// What never changes about a scheduled flight: its schedule, aircraft,
/// seat plan and fares. Seats, holds and status live elsewhere (Redis and
/// Postgres); the booking transaction re-checks fares against Postgres.
#[derive(Debug)]
pub struct FlightFacts {
    pub leg: Leg,
    pub aircraft_name: String,
    pub plan: Arc<SeatPlan>,
    /// Per cabin, in cabin order.
    pub fares: Vec<FareRow>,
}

impl FlightFacts {
    pub fn fare(&self, cabin: Cabin) -> Option<&FareRow> {
        self.fares.iter().find(|f| f.cabin == cabin)
    }
}

/// Flight facts per warm instance: read from Postgres once per flight and
/// kept for [`FACTS_MAX_AGE`] (seat plans once per aircraft type), so the
/// seat map, holds and bookings need no query to know a flight.
#[derive(Default)]
pub struct FlightCatalog {
    flights: RwLock<HashMap<i64, (Arc<FlightFacts>, std::time::Instant)>>,
    plans: RwLock<HashMap<String, CatalogPlan>>,
}

/// One seat plan per aircraft type, shared by its flights (the seat map's
/// renderer keys its pre-rendered seats by it).
#[derive(Clone)]
struct CatalogPlan {
    plan: Arc<SeatPlan>,
}

const FACTS_MAX_AGE: std::time::Duration = std::time::Duration::from_secs(600);
/// Flights remembered per instance; past it the catalog starts again.
const FACTS_MAX_FLIGHTS: usize = 50_000;

impl FlightCatalog {
    pub async fn get(&self, pool: &Pool, flight_id: i64) -> Result<Option<Arc<FlightFacts>>, StoreError> {
        if let Some((facts, loaded)) = self.flights.read().unwrap_or_else(|e| e.into_inner()).get(&flight_id) {
            if loaded.elapsed() < FACTS_MAX_AGE {
                return Ok(Some(facts.clone()));
            }
        }
        let Some(record) = PgFlights::new(pool).find(flight_id).await? else { return Ok(None) };
        let cached_plan = self.plans.read().unwrap_or_else(|e| e.into_inner()).get(&record.leg.aircraft).cloned();
        let plan = match cached_plan {
            Some(cached) if cached.plan.layout == record.layout => cached,
            _ => {
                let plan = CatalogPlan { plan: Arc::new(SeatPlan::new(record.layout.clone())) };
                self.plans.write().unwrap_or_else(|e| e.into_inner()).insert(record.leg.aircraft.clone(), plan.clone());
                plan
            }
        };
        let mut fares = record.fares;
        fares.sort_by_key(|f| f.cabin);
        let facts =
            Arc::new(FlightFacts { leg: record.leg, aircraft_name: record.aircraft_name, plan: plan.plan, fares });
        let mut flights = self.flights.write().unwrap_or_else(|e| e.into_inner());
        if flights.len() >= FACTS_MAX_FLIGHTS {
            flights.clear();
        }
        flights.insert(flight_id, (facts.clone(), std::time::Instant::now()));
        Ok(Some(facts))
    }

    /// Forgets a flight (its facts changed): the next `get` reads it again.
    pub fn forget(&self, flight_id: i64) {
        self.flights.write().unwrap_or_else(|e| e.into_inner()).remove(&flight_id);
    }
}

pub struct PgFlights<'a> {
    pool: &'a Pool,
}

#[derive(Clone, Debug)]
pub struct FareRow {
    pub cabin: Cabin,
    pub amount: i64,
    pub currency: String,
    pub seats_total: i32,
    pub seats_sold: i32,
}

#[derive(Clone, Debug)]
pub struct FlightRecord {
    pub leg: Leg,
    pub status: String,
    pub aircraft_name: String,
    pub layout: SeatLayout,
    pub fares: Vec<FareRow>,
    pub cancelled_at: Option<DateTime<Utc>>,
}

impl<'a> PgFlights<'a> {
    pub fn new(pool: &'a Pool) -> Self {
        PgFlights { pool }
    }

    #[tracing::instrument(name = "postgres.flights.find", level = "debug", skip_all, fields(flight_id = flight_id))]
    pub async fn find(&self, flight_id: i64) -> Result<Option<FlightRecord>, StoreError> {
        let client = self.pool.get().await?;
        let Some(row) = client
            .query_opt(
                "SELECT f.id, f.flight_number, f.airline_code, f.origin, f.destination, f.departs_at, f.arrives_at,
                        f.aircraft_type, f.status, f.cancelled_at, a.name, a.layout
                 FROM flights f JOIN aircraft_types a ON a.code = f.aircraft_type WHERE f.id = $1",
                &[&flight_id],
            )
            .await?
        else {
            return Ok(None);
        };
        let fares = client
            .query(
                "SELECT cabin, amount, currency, seats_total, seats_sold FROM flight_fares WHERE flight_id = $1",
                &[&flight_id],
            )
            .await?
            .iter()
            .map(|r| {
                let cabin: String = r.get(0);
                Ok(FareRow {
                    cabin: Cabin::parse(&cabin)
                        .ok_or_else(|| StoreError::internal(format!("unknown cabin {cabin}")))?,
                    amount: r.get(1),
                    currency: r.get(2),
                    seats_total: r.get(3),
                    seats_sold: r.get(4),
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        let layout: serde_json::Value = row.get(11);
        let layout: SeatLayout =
            serde_json::from_value(layout).map_err(|e| StoreError::internal(format!("aircraft layout: {e}")))?;
        let economy = fares.iter().find(|f| f.cabin == Cabin::Economy).or(fares.first());
        Ok(Some(FlightRecord {
            leg: Leg {
                flight_id: row.get(0),
                flight_number: row.get(1),
                airline_code: row.get(2),
                origin: row.get(3),
                destination: row.get(4),
                departs_at: row.get(5),
                arrives_at: row.get(6),
                aircraft: row.get(7),
                fare: economy.map(|f| f.amount).unwrap_or_default(),
                currency: economy.map(|f| f.currency.clone()).unwrap_or_else(|| "INR".into()),
                seats_left: economy.map(|f| f.seats_total - f.seats_sold).unwrap_or_default(),
            },
            status: row.get(8),
            cancelled_at: row.get(9),
            aircraft_name: row.get(10),
            layout,
            fares,
        }))
    }

    /// Cancels a scheduled flight. `Ok(false)` when it was already cancelled
    /// (a repeated request changes nothing).
    #[tracing::instrument(name = "postgres.flights.cancel", level = "debug", skip_all, fields(flight_id = flight_id, admin_id = admin_id))]
    pub async fn cancel(&self, flight_id: i64, admin_id: i64) -> Result<CancelOutcome, StoreError> {
        let client = self.pool.get().await?;
        let row = client
            .query_opt(
                "WITH target AS (SELECT id, status FROM flights WHERE id = $1 FOR UPDATE)
                 UPDATE flights f SET status = 'CANCELLED', cancelled_at = now(), cancelled_by = $2
                 FROM target WHERE f.id = target.id AND target.status = 'SCHEDULED'
                 RETURNING f.id",
                &[&flight_id, &admin_id],
            )
            .await?;
        if row.is_some() {
            return Ok(CancelOutcome::Cancelled);
        }
        let status: Option<String> =
            client.query_opt("SELECT status FROM flights WHERE id = $1", &[&flight_id]).await?.map(|r| r.get(0));
        Ok(match status.as_deref() {
            None => CancelOutcome::NotFound,
            Some("CANCELLED") => CancelOutcome::AlreadyCancelled,
            Some(_) => CancelOutcome::Departed,
        })
    }

    /// Live bookings with seats on the flight: (booking, user, pnr).
    #[tracing::instrument(name = "postgres.flights.affected_bookings", level = "debug", skip_all, fields(flight_id = flight_id))]
    pub async fn affected_bookings(&self, flight_id: i64) -> Result<Vec<(i64, i64, String)>, StoreError> {
        let client = self.pool.get().await?;
        let rows = client
            .query(
                "SELECT DISTINCT b.id, b.user_id, b.pnr FROM bookings b JOIN booking_seats s ON s.booking_id = b.id
                 WHERE s.flight_id = $1 AND s.live AND b.status IN ('PENDING_PAYMENT', 'PAID') ORDER BY b.id",
                &[&flight_id],
            )
            .await?;
        Ok(rows.iter().map(|r| (r.get(0), r.get(1), r.get(2))).collect())
    }

    /// Marks every scheduled flight whose departure has passed as departed
    /// and returns their ids. Safe when two runs overlap: each row changes once.
    #[tracing::instrument(name = "postgres.flights.mark_departed", level = "debug", skip_all)]
    pub async fn mark_departed(&self) -> Result<Vec<i64>, StoreError> {
        let client = self.pool.get().await?;
        let rows = client
            .query(
                "UPDATE flights SET status = 'DEPARTED' WHERE status = 'SCHEDULED' AND departs_at <= now() RETURNING id",
                &[],
            )
            .await?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }
}

#[derive(Debug, PartialEq, Eq)]
pub enum CancelOutcome {
    Cancelled,
    AlreadyCancelled,
    Departed,
    NotFound,
}
