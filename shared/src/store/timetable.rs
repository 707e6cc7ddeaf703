//! The timetable a warm instance keeps in memory for search
//! (`domain::timetable`): the airports, then one table per UTC day of
//! departures, loaded from Postgres the first time a search needs that day.
//!
//! Everything in memory belongs to one schedule revision
//! (`schedule_revision`, moved by triggers whenever flights, fares or
//! airports change). Each day is loaded in one statement together with the
//! revision it saw; after every search, one query reads the current
//! revision and the status and seats of the flights about to be shown. A
//! different revision drops the whole copy; a flight no longer sellable is
//! marked and the search runs again, so a result never shows one.

use super::StoreError;
use crate::domain::seating::Cabin;
use crate::domain::timetable::{
    utc_day, DayTable, Network, NewFlight, ScheduledFlight, TimetableView, SECONDS_PER_DAY,
};
use crate::store::flights::{read_directory, Directory};
use chrono::{DateTime, Utc};
use deadpool_postgres::Pool;
use futures::{pin_mut, TryStreamExt};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use tokio_postgres::IsolationLevel;

/// Days kept per instance (least recently used go first): the bench-scale
/// network has 50,000 flights a day, ~20 MiB each in memory.
const MAX_DAYS_IN_MEMORY: usize = 16;

struct Loaded {
    revision: i64,
    directory: Arc<Directory>,
    network: Arc<Network>,
    days: HashMap<i64, (Arc<DayTable>, u64)>,
    tick: u64,
}

#[derive(Default)]
pub struct Timetable {
    loaded: RwLock<Option<Loaded>>,
    /// One loader at a time: concurrent misses wait for it instead of all
    /// loading the same day.
    loading: tokio::sync::Mutex<()>,
}

/// The days one search reads, all of one revision.
pub struct Snapshot {
    pub revision: i64,
    pub directory: Arc<Directory>,
    pub network: Arc<Network>,
    days: Vec<Arc<DayTable>>,
}

impl Snapshot {
    pub fn view(&self) -> TimetableView<'_> {
        let days: Vec<&DayTable> = self.days.iter().map(Arc::as_ref).collect();
        TimetableView::new(&self.network, &days)
    }
}

/// What Postgres said about the flights a search is about to show.
pub struct SaleCheck {
    /// The schedule changed since the snapshot was loaded: search again.
    pub stale: bool,
    /// Flights that turned out not sellable (now marked as such).
    pub refused: usize,
}

impl Timetable {
    fn current(&self, days: &[i64]) -> Option<Snapshot> {
        let mut guard = self.loaded.write().unwrap_or_else(|e| e.into_inner());
        let loaded = guard.as_mut()?;
        let mut tables = Vec::with_capacity(days.len());
        loaded.tick += 1;
        for day in days {
            let (table, used) = loaded.days.get_mut(day)?;
            *used = loaded.tick;
            tables.push(table.clone());
        }
        Some(Snapshot {
            revision: loaded.revision,
            directory: loaded.directory.clone(),
            network: loaded.network.clone(),
            days: tables,
        })
    }

    /// The given UTC days (loading what is missing) and the airports.
    pub async fn snapshot(&self, pool: &Pool, days: &[i64]) -> Result<Snapshot, StoreError> {
        if let Some(snapshot) = self.current(days) {
            return Ok(snapshot);
        }
        let _loader = self.loading.lock().await;
        for _ in 0..3 {
            if let Some(snapshot) = self.current(days) {
                return Ok(snapshot);
            }
            let base = self.read(|l| (l.revision, l.network.clone()));
            let (revision, network) = match base {
                Some(base) => base,
                None => {
                    let (revision, directory, network) = load_network(pool).await?;
                    let network = Arc::new(network);
                    *self.loaded.write().unwrap_or_else(|e| e.into_inner()) = Some(Loaded {
                        revision,
                        directory: Arc::new(directory),
                        network: network.clone(),
                        days: HashMap::new(),
                        tick: 0,
                    });
                    (revision, network)
                }
            };
            let missing: Vec<i64> =
                self.read(|l| days.iter().copied().filter(|d| !l.days.contains_key(d)).collect()).unwrap_or_default();
            // Days load side by side (each is one indexed query of a few
            // hundred milliseconds at bench scale).
            let loaded_days =
                futures::future::try_join_all(missing.iter().map(|day| load_day(pool, &network, *day))).await?;
            for (day, (seen, table)) in missing.into_iter().zip(loaded_days) {
                let mut guard = self.loaded.write().unwrap_or_else(|e| e.into_inner());
                let Some(loaded) = guard.as_mut().filter(|l| l.revision == revision) else { break };
                if seen != revision {
                    // The schedule changed meanwhile: start again from the airports.
                    *guard = None;
                    break;
                }
                loaded.tick += 1;
                loaded.days.insert(day, (Arc::new(table), loaded.tick));
                while loaded.days.len() > MAX_DAYS_IN_MEMORY.max(days.len()) {
                    let oldest =
                        loaded.days.iter().filter(|(d, _)| !days.contains(d)).min_by_key(|(_, (_, used))| *used);
                    let Some(oldest) = oldest.map(|(d, _)| *d) else { break };
                    loaded.days.remove(&oldest);
                }
            }
        }
        self.current(days)
            .ok_or_else(|| StoreError::unavailable("postgres", "the schedule kept changing while loading"))
    }

    fn read<T>(&self, f: impl FnOnce(&Loaded) -> T) -> Option<T> {
        self.loaded.read().unwrap_or_else(|e| e.into_inner()).as_ref().map(f)
    }

    /// Drops the copy if it is still of `revision`.
    pub fn forget(&self, revision: i64) {
        let mut guard = self.loaded.write().unwrap_or_else(|e| e.into_inner());
        if guard.as_ref().is_some_and(|l| l.revision == revision) {
            *guard = None;
        }
    }

    /// Reads the current revision and, for each flight, whether it can
    /// still be sold in `cabin` to `passengers`; records the answers in the
    /// flights (their seats left become exact as of now).
    #[tracing::instrument(name = "postgres.timetable.check", level = "debug", skip_all, fields(revision = snapshot.revision, flights = flights.len()))]
    pub async fn check(
        &self,
        pool: &Pool,
        snapshot: &Snapshot,
        flights: &[&ScheduledFlight],
        cabin: Cabin,
        passengers: i32,
    ) -> Result<SaleCheck, StoreError> {
        let ids: Vec<i64> = flights.iter().map(|f| f.id).collect();
        let client = pool.get().await?;
        let statement = client
            .prepare_cached(
                "SELECT r.revision, s.id, s.open, s.seats_left
                 FROM schedule_revision r
                 LEFT JOIN LATERAL (
                     SELECT f.id, f.status = 'SCHEDULED' AND f.departs_at > now() AS open,
                            fa.seats_total - fa.seats_sold AS seats_left
                     FROM flights f JOIN flight_fares fa ON fa.flight_id = f.id AND fa.cabin = $2
                     WHERE f.id = ANY($1)
                 ) s ON true",
            )
            .await?;
        let rows = client.query(&statement, &[&ids, &cabin.as_str()]).await?;
        drop(client);
        let revision: i64 = rows.first().map(|r| r.get(0)).unwrap_or_default();
        if revision != snapshot.revision {
            self.forget(snapshot.revision);
            return Ok(SaleCheck { stale: true, refused: 0 });
        }
        let now = Utc::now().timestamp();
        let mut seen: HashMap<i64, (bool, i32)> = HashMap::with_capacity(rows.len());
        for row in &rows {
            if let Some(id) = row.get::<_, Option<i64>>(1) {
                seen.insert(id, (row.get(2), row.get(3)));
            }
        }
        let mut refused = 0;
        for flight in flights {
            let (open, seats_left) = seen.get(&flight.id).copied().unwrap_or((false, 0));
            flight.observe(open, cabin, seats_left, now);
            if !open || seats_left < passengers {
                refused += 1;
            }
        }
        Ok(SaleCheck { stale: false, refused })
    }
}

/// Airports and airlines with the revision they belong to, read in one
/// snapshot.
#[tracing::instrument(name = "postgres.timetable.load_network", level = "debug", skip_all)]
async fn load_network(pool: &Pool) -> Result<(i64, Directory, Network), StoreError> {
    let mut client = pool.get().await?;
    let tx = client.build_transaction().isolation_level(IsolationLevel::RepeatableRead).read_only(true).start().await?;
    let revision: i64 = tx.query_one("SELECT revision FROM schedule_revision", &[]).await?.get(0);
    let directory = read_directory(&tx).await?;
    tx.commit().await?;
    let mut network = Network::default();
    let mut codes: Vec<&String> = directory.airports.keys().collect();
    codes.sort();
    for code in codes {
        let airport = &directory.airports[code];
        network.add_airport(
            code,
            &airport.country,
            airport.min_connection_minutes,
            airport.min_connection_minutes_international,
        );
    }
    Ok((revision, directory, network))
}

/// One UTC day of scheduled departures, with the revision it was read at
/// (both in one snapshot).
#[tracing::instrument(name = "postgres.timetable.load_day", level = "debug", skip_all, fields(day = day))]
async fn load_day(pool: &Pool, network: &Network, day: i64) -> Result<(i64, DayTable), StoreError> {
    let from = DateTime::<Utc>::from_timestamp(day * SECONDS_PER_DAY, 0).ok_or_else(|| StoreError::internal("day"))?;
    let until = from + chrono::Duration::days(1);
    let mut client = pool.get().await?;
    let tx = client.build_transaction().isolation_level(IsolationLevel::RepeatableRead).read_only(true).start().await?;
    let revision: i64 = tx.query_one("SELECT revision FROM schedule_revision", &[]).await?.get(0);
    // The fares of each flight through their primary key: with a plain join
    // the planner hash-joins a scan of every fare (900k rows at bench
    // scale, three times slower); `OFFSET 0` keeps the subquery a nested
    // loop of index probes.
    let statement = tx
        .prepare_cached(
            "SELECT f.id, f.flight_number, f.airline_code, f.origin, f.destination, f.departs_at, f.arrives_at,
                    f.aircraft_type, fa.cabin, fa.amount, fa.currency, fa.seats_total - fa.seats_sold
             FROM flights f
             JOIN LATERAL (SELECT * FROM flight_fares x WHERE x.flight_id = f.id OFFSET 0) fa ON true
             WHERE f.status = 'SCHEDULED' AND f.departs_at >= $1 AND f.departs_at < $2",
        )
        .await?;
    let params: [&(dyn tokio_postgres::types::ToSql + Sync); 2] = [&from, &until];
    let rows = tx.query_raw(&statement, params).await?;
    pin_mut!(rows);
    let mut flights: Vec<NewFlight> = Vec::new();
    let mut index: HashMap<i64, usize> = HashMap::new();
    while let Some(row) = rows.try_next().await? {
        let id: i64 = row.get(0);
        let cabin: String = row.get(8);
        let Some(cabin) = Cabin::parse(&cabin) else { continue };
        let (Some(origin), Some(destination)) = (network.airport(row.get(3)), network.airport(row.get(4))) else {
            continue;
        };
        let position = *index.entry(id).or_insert_with(|| {
            let departs: DateTime<Utc> = row.get(5);
            let arrives: DateTime<Utc> = row.get(6);
            flights.push(NewFlight {
                id,
                flight_number: row.get(1),
                airline: row.get(2),
                aircraft: row.get(7),
                origin,
                destination,
                departs_at: departs.timestamp(),
                arrives_at: arrives.timestamp(),
                cabins: Vec::with_capacity(2),
            });
            flights.len() - 1
        });
        flights[position].cabins.push((cabin, row.get(9), row.get(10), row.get(11)));
    }
    tx.commit().await?;
    let table = DayTable::build(day, flights, network, Utc::now().timestamp());
    debug_assert!(table.flights().iter().all(|f| utc_day(f.departs_at) == day));
    Ok((revision, table))
}
