//! The schedule in Postgres: airports and airlines (cached per warm
//! instance), candidate legs for search, single flights, status changes.

use crate::domain::itinerary::{ConnectionRules, Leg};
use crate::domain::seating::{Cabin, SeatLayout};
use crate::ApiError;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use deadpool_postgres::Pool;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

#[derive(Clone, Debug)]
pub struct Airport {
    pub code: String,
    pub name: String,
    pub city: String,
    pub country: String,
    pub time_zone: Tz,
}

/// Airports and airlines: a few hundred rows that change rarely, so each
/// warm instance keeps them and reloads when it meets a code it lacks.
#[derive(Debug, Default)]
pub struct Directory {
    pub airports: HashMap<String, Airport>,
    pub connection_rules: HashMap<String, ConnectionRules>,
    pub airlines: HashMap<String, String>,
    /// Origin → destinations flown in the coming days: lets two-stop search
    /// probe only middle legs that exist instead of every hub pair.
    pub routes: HashMap<String, std::collections::HashSet<String>>,
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
    pub async fn get(&self, pool: &Pool, must_know: &[&str]) -> Result<Arc<Directory>, ApiError> {
        if let Some(current) = self.current.read().expect("directory lock").as_ref() {
            let fresh = current.loaded_at.is_some_and(|t| t.elapsed() < DIRECTORY_MAX_AGE);
            if fresh && must_know.iter().all(|code| current.airports.contains_key(*code)) {
                return Ok(current.clone());
            }
        }
        let loaded = Arc::new(load_directory(pool).await?);
        *self.current.write().expect("directory lock") = Some(loaded.clone());
        Ok(loaded)
    }
}

async fn load_directory(pool: &Pool) -> Result<Directory, ApiError> {
    let client = pool.get().await?;
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
            zone.parse().map_err(|_| ApiError::internal(format!("airport {code} has unknown time zone {zone}")))?;
        let country: String = row.get(3);
        directory.connection_rules.insert(
            code.clone(),
            ConnectionRules {
                country: country.clone(),
                min_connection_minutes: row.get(5),
                min_connection_minutes_international: row.get(6),
            },
        );
        directory
            .airports
            .insert(code.clone(), Airport { code, name: row.get(1), city: row.get(2), country, time_zone });
    }
    for row in client.query("SELECT code, name FROM airlines", &[]).await? {
        directory.airlines.insert(row.get(0), row.get(1));
    }
    let routes = client
        .query(
            "SELECT DISTINCT origin, destination FROM flights WHERE status = 'SCHEDULED' AND departs_at > now()",
            &[],
        )
        .await?;
    for row in routes {
        directory.routes.entry(row.get(0)).or_default().insert(row.get(1));
    }
    directory.loaded_at = Some(std::time::Instant::now());
    Ok(directory)
}

const LEG_COLUMNS: &str = "f.id, f.flight_number, f.airline_code, f.origin, f.destination, f.departs_at, f.arrives_at,
    f.aircraft_type, fa.amount, fa.currency, fa.seats_total - fa.seats_sold";

/// The searched cabin's fare (`$5`) of each flight `f`, probed through the
/// primary key `(flight_id, cabin)`. With a plain join the planner hash-joins
/// a sequential scan of every fare on busy airports (900k rows at bench
/// scale, three times slower); `LIMIT 1`, a no-op on a unique key, keeps the
/// subquery from being flattened, so it stays a nested loop of index probes.
const FARE_JOIN: &str = "JOIN LATERAL (SELECT amount, currency, seats_total, seats_sold FROM flight_fares
        WHERE flight_id = f.id AND cabin = $5 LIMIT 1) fa ON true";

/// Sellable legs only: scheduled, not yet departed, enough seats in the cabin.
const LEG_FILTER: &str = "f.status = 'SCHEDULED' AND f.departs_at > now() AND fa.seats_total - fa.seats_sold >= $4";

fn leg_from_row(row: &tokio_postgres::Row) -> Leg {
    Leg {
        flight_id: row.get(0),
        flight_number: row.get(1),
        airline_code: row.get(2),
        origin: row.get(3),
        destination: row.get(4),
        departs_at: row.get(5),
        arrives_at: row.get(6),
        aircraft: row.get(7),
        fare: row.get(8),
        currency: row.get(9),
        seats_left: row.get(10),
    }
}

pub struct LegWindow {
    pub from: DateTime<Utc>,
    pub until: DateTime<Utc>,
    pub cabin: Cabin,
    pub passengers: i32,
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

    /// Departures from `origin` in the window (index `flights_by_origin`).
    pub async fn departures(&self, origin: &str, window: &LegWindow) -> Result<Vec<Leg>, ApiError> {
        let client = self.pool.get().await?;
        let sql = format!(
            "SELECT {LEG_COLUMNS} FROM flights f {FARE_JOIN}
             WHERE f.origin = $1 AND f.departs_at >= $2 AND f.departs_at < $3 AND {LEG_FILTER}"
        );
        let rows = client
            .query(&sql, &[&origin, &window.from, &window.until, &window.passengers, &window.cabin.as_str()])
            .await?;
        Ok(rows.iter().map(leg_from_row).collect())
    }

    /// Flights into `destination` departing in the window (index `flights_by_destination`).
    pub async fn arrivals(&self, destination: &str, window: &LegWindow) -> Result<Vec<Leg>, ApiError> {
        let client = self.pool.get().await?;
        let sql = format!(
            "SELECT {LEG_COLUMNS} FROM flights f {FARE_JOIN}
             WHERE f.destination = $1 AND f.departs_at >= $2 AND f.departs_at < $3 AND {LEG_FILTER}"
        );
        let rows = client
            .query(&sql, &[&destination, &window.from, &window.until, &window.passengers, &window.cabin.as_str()])
            .await?;
        Ok(rows.iter().map(leg_from_row).collect())
    }

    /// Middle legs of two-stop itineraries: from any first-leg destination to
    /// any last-leg origin (index `flights_by_route`, one probe per pair).
    pub async fn between(&self, pairs: &[(String, String)], window: &LegWindow) -> Result<Vec<Leg>, ApiError> {
        if pairs.is_empty() {
            return Ok(Vec::new());
        }
        let (origins, destinations): (Vec<&str>, Vec<&str>) =
            pairs.iter().map(|(o, d)| (o.as_str(), d.as_str())).unzip();
        let client = self.pool.get().await?;
        let sql = format!(
            "SELECT {LEG_COLUMNS}
             FROM unnest($1::text[], $6::text[]) AS pair(origin, destination)
             JOIN flights f ON f.origin = pair.origin AND f.destination = pair.destination
             {FARE_JOIN}
             WHERE f.departs_at >= $2 AND f.departs_at < $3 AND {LEG_FILTER}"
        );
        let rows = client
            .query(
                &sql,
                &[&origins, &window.from, &window.until, &window.passengers, &window.cabin.as_str(), &destinations],
            )
            .await?;
        Ok(rows.iter().map(leg_from_row).collect())
    }

    pub async fn find(&self, flight_id: i64) -> Result<Option<FlightRecord>, ApiError> {
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
                    cabin: Cabin::parse(&cabin).ok_or_else(|| ApiError::internal(format!("unknown cabin {cabin}")))?,
                    amount: r.get(1),
                    currency: r.get(2),
                    seats_total: r.get(3),
                    seats_sold: r.get(4),
                })
            })
            .collect::<Result<Vec<_>, ApiError>>()?;
        let layout: serde_json::Value = row.get(11);
        let layout: SeatLayout =
            serde_json::from_value(layout).map_err(|e| ApiError::internal(format!("aircraft layout: {e}")))?;
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
    pub async fn cancel(&self, flight_id: i64, admin_id: i64) -> Result<CancelOutcome, ApiError> {
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
    pub async fn affected_bookings(&self, flight_id: i64) -> Result<Vec<(i64, i64, String)>, ApiError> {
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
    pub async fn mark_departed(&self) -> Result<Vec<i64>, ApiError> {
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
