//! What every phase works with: the options, the product's services (in this process, for
//! the in-process phase and to sign the users' tokens), the bench's own Postgres and Redis
//! connections, and the users and flights prepared for the run.

use crate::options::Options;
use anyhow::{anyhow, bail, Context};
use chrono::{Days, NaiveDate};
use local_stack::provision::{provision_aws, resolve_environment};
use local_stack::template::Template;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use redis::aio::MultiplexedConnection;
use serde_json::{json, Value};
use shared::auth::tokens::Role;
use shared::domain::seating::{Cabin, SeatLayout};
use shared::{Config, Services};
use std::collections::HashMap;
use std::sync::Arc;

/// Every bench user's password.
pub const PASSWORD: &str = "Bench-pass-2024!";
const USERS: usize = 1024;

pub struct User {
    pub id: i64,
    pub email: String,
    pub token: String,
}

#[derive(Clone)]
pub struct Flight {
    pub id: i64,
    pub seats: Arc<Vec<String>>,
}

pub struct Ctx {
    pub opts: Options,
    pub svc: Arc<Services>,
    pub db: tokio_postgres::Client,
    /// The bench's own Redis bookkeeping (loading the ceiling script, deleting cached
    /// searches and login counters); the product's Redis access is never measured through it.
    pub redis: MultiplexedConnection,
    pub database_url: String,
    pub redis_url: String,
    pub users: Vec<User>,
    /// Sellable flights 1 to 6 days out, shuffled, split per phase so the
    /// phases do not see each other's holds.
    pub flights: Vec<Flight>,
    pub seats_by_aircraft: HashMap<String, Arc<Vec<String>>>,
    pub tomorrow: NaiveDate,
    pub loads: Vec<Value>,
}

impl Ctx {
    /// Connects to the stack `local/bench` started and prepares the users and flights.
    pub async fn prepare(opts: Options, template: &Template) -> anyhow::Result<Ctx> {
        let database_url =
            std::env::var("DATABASE_URL").context("DATABASE_URL is not set (run through local/bench)")?;
        let redis_url = std::env::var("REDIS_URL").context("REDIS_URL is not set (run through local/bench)")?;
        let svc = Arc::new(services(template).await?);
        // Set-up as the schema's owner (directly); the load goes through the
        // pooler as the functions' role.
        let db = local_stack::database::connect(&local_stack::database::admin_url(&database_url)).await?;
        let redis = connect_redis(&redis_url).await?;
        eprintln!("[bench] preparing users and flights");
        let users = create_users(&svc, &db).await?;
        let (mut flights, seats_by_aircraft) = load_flights(&db).await?;
        // A fixed order, different from the id order (which follows departures).
        let mut rng = StdRng::seed_from_u64(7);
        for i in (1..flights.len()).rev() {
            flights.swap(i, rng.gen_range(0..=i));
        }
        let tomorrow = local_stack::seed::demo_today().checked_add_days(Days::new(1)).context("a date")?;
        Ok(Ctx {
            opts,
            svc,
            db,
            redis,
            database_url,
            redis_url,
            users,
            flights,
            seats_by_aircraft,
            tomorrow,
            loads: Vec::new(),
        })
    }

    /// Whether `--phases` names this phase.
    pub fn runs(&self, phase: &str) -> bool {
        self.opts.phases.iter().any(|p| p == phase)
    }

    /// Whether `--only` (if given) names this part.
    pub fn wants(&self, part: &str) -> bool {
        self.opts.only.as_ref().is_none_or(|only| only.iter().any(|p| p == part))
    }

    pub fn flight_set(&self, index: usize, count: usize) -> &[Flight] {
        let start = (index * count).min(self.flights.len());
        &self.flights[start..(start + count).min(self.flights.len())]
    }

    pub fn load_average(&mut self, phase: &str) -> f64 {
        let text = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
        let one: f64 = text.split_whitespace().next().and_then(|v| v.parse().ok()).unwrap_or(f64::NAN);
        self.loads.push(json!({"phase": phase, "loadAvg1m": one, "loadavg": text.trim()}));
        eprintln!("[bench] {phase}: load average {}", text.trim());
        one
    }
}

/// A Redis connection for the bench's bookkeeping, over the same TLS (`rediss://` with
/// `REDIS_CA_FILE` naming a private CA) and ACL user as the product.
pub async fn connect_redis(url: &str) -> anyhow::Result<MultiplexedConnection> {
    let ca = std::env::var("REDIS_CA_FILE").ok().filter(|c| !c.is_empty());
    let client = shared::store::redis::client(url, ca.as_deref()).map_err(anyhow::Error::msg)?;
    client.get_multiplexed_async_connection().await.context("connecting to Redis")
}

/// One `DEL` of all the keys (none: nothing sent).
pub async fn delete_keys(redis: &mut MultiplexedConnection, keys: &[String]) -> anyhow::Result<()> {
    if !keys.is_empty() {
        redis::cmd("DEL").arg(keys).query_async::<()>(redis).await?;
    }
    Ok(())
}

async fn services(template: &Template) -> anyhow::Result<Services> {
    let prefix = std::env::var("LOCAL_RESOURCE_PREFIX").unwrap_or_else(|_| "flightbook-".into());
    let aws = shared::store::aws::load().await;
    let resources = provision_aws(template, &aws, &prefix).await.context("provisioning the emulator's resources")?;
    let mut env = resolve_environment(template, &resources, |k| std::env::var(k).ok());
    if std::env::var("DB_POOL_SIZE").is_err() {
        env.insert("DB_POOL_SIZE".into(), local_stack::testing::LOCAL_POOL_SIZE.to_string());
    }
    let config = Config::from_lookup(|k| env.get(k).cloned().or_else(|| std::env::var(k).ok()))?;
    let services = Services::new(config).map_err(anyhow::Error::msg)?;
    // The bench signs its users' tokens itself: read the keys first.
    services.current_keys().await.map_err(|e| anyhow!("reading the token keys: {e}"))?;
    Ok(services)
}

async fn create_users(ctx_svc: &Services, db: &tokio_postgres::Client) -> anyhow::Result<Vec<User>> {
    let hash = shared::auth::password::hash_password(PASSWORD).await.map_err(|e| anyhow!("{e}"))?;
    db.execute(
        "INSERT INTO users (name, email, password_hash)
         SELECT 'Bench User ' || g, 'bench-user-' || g || '@bench.flightbook.local', $1
         FROM generate_series(1, $2::int) g
         ON CONFLICT (email) DO NOTHING",
        &[&hash, &(USERS as i32)],
    )
    .await?;
    let rows = db
        .query(
            "SELECT id, email, name FROM users WHERE email LIKE 'bench-user-%@bench.flightbook.local' ORDER BY id LIMIT $1",
            &[&(USERS as i64)],
        )
        .await?;
    rows.iter()
        .map(|r| {
            let (id, name): (i64, &str) = (r.get(0), r.get(2));
            // The token login would give (it carries the account's name).
            let token = ctx_svc.tokens.issue_named(id, Role::Customer, Some(name)).map_err(|e| anyhow!("{e}"))?.token;
            Ok(User { id, email: r.get(1), token })
        })
        .collect()
}

async fn load_flights(db: &tokio_postgres::Client) -> anyhow::Result<(Vec<Flight>, HashMap<String, Arc<Vec<String>>>)> {
    let mut seats_by_aircraft = HashMap::new();
    for row in db.query("SELECT code, layout FROM aircraft_types", &[]).await? {
        let layout: SeatLayout = serde_json::from_value(row.get(1))?;
        let economy: Vec<String> = layout.seats().filter(|s| s.cabin == Cabin::Economy).map(|s| s.number).collect();
        seats_by_aircraft.insert(row.get::<_, String>(0), Arc::new(economy));
    }
    let rows = db
        .query(
            "SELECT id, aircraft_type FROM flights
             WHERE status = 'SCHEDULED' AND departs_at > now() + interval '1 day'
               AND departs_at < now() + interval '6 days'
             ORDER BY md5(id::text) LIMIT 40000",
            &[],
        )
        .await?;
    let flights = rows
        .iter()
        .filter_map(|r| {
            let seats = seats_by_aircraft.get(&r.get::<_, String>(1))?.clone();
            (!seats.is_empty()).then(|| Flight { id: r.get(0), seats })
        })
        .collect::<Vec<_>>();
    if flights.len() < 20_000 {
        bail!("only {} sellable flights found: run `stack bench-seed` first", flights.len());
    }
    Ok((flights, seats_by_aircraft))
}
