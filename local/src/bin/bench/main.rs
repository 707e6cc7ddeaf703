//! `bench`: the benchmark suite behind `local/bench` (run it through that
//! script, which brings up the `bench` stack, seeds the bench-scale network,
//! builds the release binaries and starts the local gateway).
//!
//! Phases, in this order (the quiet ones first):
//!
//! 1. sizes: each function's release binary (`bootstrap`) and its `zip -9`;
//! 2. cold starts: read from `--cold-start FILE` (written by `lambda_stub`);
//! 3. ceilings: `redis-benchmark` (SET, SET NX, EVALSHA of a hold-shaped
//!    script), `pgbench` (a booking-shaped transaction on scratch tables);
//! 4. in-process: search latency (handler called directly; uncached = the
//!    query's cache entry deleted before every call), seat holds/s with 64
//!    concurrent clients (random seats, and everyone on the same 10 seats),
//!    booking creations/s with 16 clients;
//! 5. through the local gateway: closed loop with `wrk -t2 -cN -d10s
//!    --latency` after a 3 s warm-up (N = 64 for reads and holds, 16 for
//!    writes and login), then an open-loop run at a fixed rate (half the
//!    closed-loop ceiling) with this binary's own client, timed from each
//!    request's scheduled send (no coordinated omission); the whole flow
//!    (signup → search → hold → book → pay → ticket) per second;
//! 6. the gateway's RSS (idle at start, idle after the load, peak).
//!
//! Writes `--out results.json` and `--md results.md`.

mod ceilings;
mod cpu;
mod http;
mod report;
mod resp;
mod stats;
mod wrk;

use anyhow::{anyhow, bail, Context};
use chrono::{Datelike, Days, NaiveDate};
use futures::future::join_all;
use local_stack::provision::{provision_aws, resolve_environment};
use local_stack::registry::{http_handler, HttpHandler};
use local_stack::template::Template;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};
use shared::auth::tokens::Role;
use shared::domain::seating::{Cabin, SeatLayout};
use shared::service::search::SearchRequest;
use shared::{Config, Services};
use stats::{round, Samples};
use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

const PASSWORD: &str = "Bench-pass-2024!";
const USERS: usize = 1024;

// ---------------------------------------------------------------- options

struct Options {
    gateway: Option<SocketAddr>,
    gateway_pid: Option<u32>,
    out: PathBuf,
    md: PathBuf,
    work: PathBuf,
    bin_dir: PathBuf,
    template: PathBuf,
    cold_start: Option<PathBuf>,
    warmup: Duration,
    duration: Duration,
    open_duration: Duration,
    phases: Vec<String>,
    /// Only these parts (search, writes, flow, or gateway scenario names).
    only: Option<Vec<String>>,
    notes: Vec<String>,
    render: Option<PathBuf>,
}

fn flag(args: &[String], name: &str) -> Option<String> {
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned()
}

fn options() -> anyhow::Result<Options> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "-h" || a == "--help") {
        println!(
            "usage: bench [--gateway 127.0.0.1:PORT] [--gateway-pid PID] [--out bench/results.json] [--md bench/results.md]\n\
             \x20            [--work DIR] [--bin-dir target/release] [--template template.yaml] [--cold-start FILE]\n\
             \x20            [--duration 10] [--warmup 3] [--open-duration 8] [--phases sizes,ceilings,inprocess,gateway]\n\
             \x20            [--only search,writes,flow,SCENARIO...] [--note TEXT]...\n\
             \x20      bench --render bench/results.json [--md bench/results.md]   (the report again)"
        );
        std::process::exit(0);
    }
    let secs = |name: &str, default: u64| -> anyhow::Result<Duration> {
        Ok(Duration::from_secs(flag(&args, name).map(|v| v.parse()).transpose()?.unwrap_or(default)))
    };
    let notes =
        args.iter().enumerate().filter(|(_, a)| *a == "--note").filter_map(|(i, _)| args.get(i + 1).cloned()).collect();
    Ok(Options {
        gateway: flag(&args, "--gateway").map(|g| g.parse()).transpose().context("--gateway takes HOST:PORT")?,
        gateway_pid: flag(&args, "--gateway-pid").map(|p| p.parse()).transpose()?,
        out: flag(&args, "--out").unwrap_or_else(|| "bench/results.json".into()).into(),
        md: flag(&args, "--md").unwrap_or_else(|| "bench/results.md".into()).into(),
        work: flag(&args, "--work").unwrap_or_else(|| ".stack/bench/work".into()).into(),
        bin_dir: flag(&args, "--bin-dir").unwrap_or_else(|| "target/release".into()).into(),
        template: flag(&args, "--template").unwrap_or_else(|| "template.yaml".into()).into(),
        cold_start: flag(&args, "--cold-start").map(PathBuf::from),
        warmup: secs("--warmup", 3)?,
        duration: secs("--duration", 10)?,
        open_duration: secs("--open-duration", 8)?,
        phases: flag(&args, "--phases")
            .unwrap_or_else(|| "sizes,ceilings,inprocess,gateway".into())
            .split(',')
            .map(str::to_owned)
            .collect(),
        only: flag(&args, "--only").map(|v| v.split(',').map(str::to_owned).collect()),
        notes,
        render: flag(&args, "--render").map(PathBuf::from),
    })
}

// ---------------------------------------------------------------- fixtures

struct User {
    id: i64,
    email: String,
    token: String,
}

#[derive(Clone)]
struct Flight {
    id: i64,
    seats: Arc<Vec<String>>,
}

struct Ctx {
    opts: Options,
    svc: Arc<Services>,
    db: tokio_postgres::Client,
    resp: resp::Resp,
    database_url: String,
    redis_url: String,
    users: Vec<User>,
    /// Sellable flights 1 to 6 days out, shuffled, split per phase so the
    /// phases do not see each other's holds.
    flights: Vec<Flight>,
    seats_by_aircraft: HashMap<String, Arc<Vec<String>>>,
    tomorrow: NaiveDate,
    loads: Vec<Value>,
}

impl Ctx {
    /// Whether `--only` (if given) names this part.
    fn wants(&self, part: &str) -> bool {
        self.opts.only.as_ref().is_none_or(|only| only.iter().any(|p| p == part))
    }

    fn flight_set(&self, index: usize, count: usize) -> &[Flight] {
        let start = (index * count).min(self.flights.len());
        &self.flights[start..(start + count).min(self.flights.len())]
    }

    fn load_average(&mut self, phase: &str) -> f64 {
        let text = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
        let one: f64 = text.split_whitespace().next().and_then(|v| v.parse().ok()).unwrap_or(f64::NAN);
        self.loads.push(json!({"phase": phase, "loadAvg1m": one, "loadavg": text.trim()}));
        eprintln!("[bench] {phase}: load average {}", text.trim());
        one
    }
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

// ---------------------------------------------------------------- requests

fn peer() -> SocketAddr {
    "127.0.0.1:40000".parse().expect("a socket address")
}

/// The API Gateway v2 request the gateway would build for this call.
fn lambda_request(
    method: &str,
    route: &str,
    path_and_query: &str,
    params: &[(&str, String)],
    token: Option<&str>,
    body: Option<&str>,
) -> lambda_http::Request {
    let uri: ::http::Uri = path_and_query.parse().expect("a valid URI");
    let mut headers = ::http::HeaderMap::new();
    headers.insert("host", ::http::HeaderValue::from_static("127.0.0.1"));
    headers.insert("user-agent", ::http::HeaderValue::from_static("bench"));
    if let Some(token) = token {
        headers.insert("authorization", format!("Bearer {token}").parse().expect("a header value"));
    }
    if body.is_some() {
        headers.insert("content-type", ::http::HeaderValue::from_static("application/json"));
    }
    let params = params.iter().map(|(k, v)| (k.to_string(), Value::String(v.clone()))).collect();
    let method: ::http::Method = method.parse().expect("a method");
    local_stack::gateway::api_gateway_v2_request(
        &format!("{method} {route}"),
        &method,
        &uri,
        &headers,
        body.unwrap_or("").as_bytes(),
        params,
        peer(),
    )
    .expect("a valid API Gateway event")
}

fn handler(package: &str) -> HttpHandler {
    http_handler(package).unwrap_or_else(|| panic!("no handler for {package}"))
}

fn body_text(body: &lambda_http::Body) -> &str {
    match body {
        lambda_http::Body::Text(t) => t,
        _ => "",
    }
}

fn search_path(origin: &str, destination: &str, date: NaiveDate, max_stops: u8, passengers: u8, sort: &str) -> String {
    format!(
        "/api/flights/search?source={origin}&destination={destination}&date={date}&maxStops={max_stops}&passengers={passengers}&sort={sort}"
    )
}

/// The Redis keys of a query's cached result (`store::search_cache`).
fn search_cache_keys(svc: &Services, path_and_query: &str) -> Vec<String> {
    let query = path_and_query.split_once('?').map(|(_, q)| q).unwrap_or("");
    let params: HashMap<&str, &str> = query.split('&').filter_map(|kv| kv.split_once('=')).collect();
    let request = SearchRequest::parse(|k| params.get(k).copied()).expect("a valid search");
    let hash = request.query.hash();
    ["m", "fl", "q"].iter().map(|kind| svc.redis.key(&format!("{{search}}:{kind}:{hash}"))).collect()
}

// ---------------------------------------------------------------- in-process

struct InprocResult {
    samples: Samples,
    statuses: BTreeMap<u16, u64>,
    elapsed: Duration,
}

impl InprocResult {
    fn into_json(mut self, clients: usize) -> Value {
        let completed: u64 = self.statuses.values().sum();
        let ok: u64 = self.statuses.iter().filter(|(s, _)| (200..300).contains(*s)).map(|(_, n)| n).sum();
        json!({
            "clients": clients,
            "seconds": round(self.elapsed.as_secs_f64(), 2),
            "requests": completed,
            "perSec": round(completed as f64 / self.elapsed.as_secs_f64(), 1),
            "successPerSec": round(ok as f64 / self.elapsed.as_secs_f64(), 1),
            "statuses": self.statuses.iter().map(|(s, n)| (s.to_string(), json!(n))).collect::<serde_json::Map<_, _>>(),
            "latency": self.samples.summary().to_json(),
        })
    }
}

/// Builds the `k`-th request of client `client` (not timed).
type MakeRequest = Arc<dyn Fn(usize, u64, &mut StdRng) -> lambda_http::Request + Send + Sync>;

/// `clients` tasks call the handler back to back for `duration`.
async fn inproc_load(
    svc: Arc<Services>,
    package: &str,
    clients: usize,
    duration: Duration,
    make: MakeRequest,
) -> InprocResult {
    let handle = handler(package);
    let started = Instant::now();
    let deadline = started + duration;
    let tasks = (0..clients).map(|client| {
        let (svc, make) = (svc.clone(), make.clone());
        tokio::spawn(async move {
            let mut rng = StdRng::seed_from_u64(client as u64 * 7919 + 1);
            let mut samples = Samples::with_capacity(4096);
            let mut statuses: BTreeMap<u16, u64> = BTreeMap::new();
            let mut k = 0u64;
            while Instant::now() < deadline {
                let request = make(client, k, &mut rng);
                let t = Instant::now();
                let status = match handle(&svc, request).await {
                    Ok(response) => response.status().as_u16(),
                    Err(_) => 599,
                };
                samples.push(t.elapsed());
                *statuses.entry(status).or_default() += 1;
                k += 1;
            }
            (samples, statuses)
        })
    });
    let mut result = InprocResult { samples: Samples::default(), statuses: BTreeMap::new(), elapsed: Duration::ZERO };
    for joined in join_all(tasks).await {
        let (samples, statuses) = joined.expect("a load task");
        result.samples.extend(samples);
        for (s, n) in statuses {
            *result.statuses.entry(s).or_default() += n;
        }
    }
    result.elapsed = started.elapsed();
    result
}

/// What verifying a bearer token (RS256) costs per request, alone.
fn token_verification(ctx: &Ctx) -> Value {
    let request = |token: &str| lambda_request("GET", "/api/auth/me", "/api/auth/me", &[], Some(token), None);
    // The first sight of each token checks its RS256 signature; later ones
    // find it among the instance's verified tokens.
    let requests: Vec<_> = ctx.users.iter().map(|u| request(&u.token)).collect();
    let mut first = Samples::default();
    for request in &requests {
        let t = Instant::now();
        let caller = shared::http::auth::bearer_token(request).and_then(|t| ctx.svc.tokens.verify(t));
        first.push(t.elapsed());
        assert!(caller.is_ok(), "the bench token verifies");
    }
    let mut again = Samples::default();
    for i in 0..20_000 {
        let request = &requests[i % requests.len()];
        let t = Instant::now();
        let caller = shared::http::auth::bearer_token(request).and_then(|t| ctx.svc.tokens.verify(t));
        again.push(t.elapsed());
        assert!(caller.is_ok(), "the bench token verifies");
    }
    let (first, again) = (first.summary(), again.summary());
    eprintln!(
        "[bench] token verification: first sight (RS256) p50 {:.1} µs, remembered p50 {:.1} µs",
        first.p50_ms * 1000.0,
        again.p50_ms * 1000.0
    );
    json!({
        "p50Us": round(again.p50_ms * 1000.0, 1), "p99Us": round(again.p99_ms * 1000.0, 1),
        "firstSightP50Us": round(first.p50_ms * 1000.0, 1), "firstSightP99Us": round(first.p99_ms * 1000.0, 1),
    })
}

/// What one argon2id hash (login's and signup's cost) takes here, alone.
async fn password_hashing() -> anyhow::Result<Value> {
    let mut samples = Samples::default();
    for i in 0..20 {
        let t = Instant::now();
        shared::auth::password::hash_password(&format!("{PASSWORD}{i}")).await.map_err(|e| anyhow!("{e}"))?;
        samples.push(t.elapsed());
    }
    let summary = samples.summary();
    eprintln!("[bench] argon2id hash: p50 {:.1} ms, p99 {:.1} ms", summary.p50_ms, summary.p99_ms);
    Ok(json!({"p50Ms": round(summary.p50_ms, 2), "p99Ms": round(summary.p99_ms, 2)}))
}

async fn inproc_search(ctx: &mut Ctx) -> anyhow::Result<Value> {
    let handle = handler("flights-search");
    let token = ctx.users[0].token.clone();
    // The busy pairs of `seed::bench_busy_pairs` at the stops they need
    // (and more); DEL→BOM with two stops is the worst case there is.
    let cases: [(&str, &str, u8); 6] = [
        ("DEL", "BOM", 0),
        ("DEL", "BOM", 1),
        ("PAT", "GOI", 1),
        ("PAT", "GOI", 2),
        ("PAT", "ORD", 2),
        ("DEL", "BOM", 2),
    ];
    let mut out = Vec::new();
    for (origin, destination, max_stops) in cases {
        let path = search_path(origin, destination, ctx.tomorrow, max_stops, 1, "price");
        let keys = search_cache_keys(&ctx.svc, &path);
        let call = || {
            let request = lambda_request("GET", "/api/flights/search", &path, &[], Some(&token), None);
            handle(&ctx.svc, request)
        };
        // Warm the instance (airport directory, the days of the timetable
        // it reads, connections) as a warm Lambda would be; the first call
        // misses the cache and shows what a cold instance pays.
        let mut del = vec!["DEL".to_string()];
        del.extend(keys.iter().cloned());
        ctx.resp.pipeline(&[del]).await?;
        let t = Instant::now();
        let first = call().await.map_err(|e| anyhow!("{e}"))?;
        let first_ms = t.elapsed().as_secs_f64() * 1000.0;
        if first.status() != 200 {
            eprintln!(
                "[bench] in-process search {origin}→{destination} maxStops={max_stops}: {} after {first_ms:.0} ms",
                first.status()
            );
            out.push(json!({
                "origin": origin, "destination": destination, "maxStops": max_stops, "date": ctx.tomorrow.to_string(),
                "status": first.status().as_u16(), "firstCallMs": round(first_ms, 1),
                "error": serde_json::from_str::<Value>(body_text(first.body())).unwrap_or(Value::Null)["code"],
            }));
            continue;
        }
        let parsed: Value = serde_json::from_str(body_text(first.body()))?;
        let total = parsed["total"].as_u64().unwrap_or(0);

        // At least 20 calls (more while under 6 s), never past 30 s.
        let mut uncached = Samples::default();
        let mut misses = 0;
        let started = Instant::now();
        for i in 0..400 {
            let spent = started.elapsed();
            if (i >= 20 && spent > Duration::from_secs(6)) || spent > Duration::from_secs(30) {
                break;
            }
            let mut del = vec!["DEL".to_string()];
            del.extend(keys.iter().cloned());
            ctx.resp.pipeline(&[del]).await?;
            let t = Instant::now();
            let response = call().await.map_err(|e| anyhow!("{e}"))?;
            uncached.push(t.elapsed());
            if response.headers().get("x-cache").is_some_and(|v| v == "MISS") && response.status() == 200 {
                misses += 1;
            }
        }
        let uncached_count = uncached.len();
        let uncached_summary = uncached.summary();

        let _ = call().await; // stored again: from here on every call is a hit
        let mut cached = Samples::default();
        let mut hits = 0;
        let budget = Instant::now() + Duration::from_secs(3);
        for i in 0..5000 {
            if i >= 500 && Instant::now() > budget {
                break;
            }
            let t = Instant::now();
            let response = call().await.map_err(|e| anyhow!("{e}"))?;
            cached.push(t.elapsed());
            if response.headers().get("x-cache").is_some_and(|v| v == "HIT") {
                hits += 1;
            }
        }
        let cached_count = cached.len();
        let cached_summary = cached.summary();
        eprintln!(
            "[bench] in-process search {origin}→{destination} maxStops={max_stops}: first call {first_ms:.0} ms, {total} itineraries; uncached p50 {:.2} ms p99 {:.2} ms ({misses}/{uncached_count} misses); cached p50 {:.3} ms p99 {:.3} ms ({hits}/{cached_count} hits)",
            uncached_summary.p50_ms, uncached_summary.p99_ms, cached_summary.p50_ms, cached_summary.p99_ms
        );
        out.push(json!({
            "origin": origin, "destination": destination, "maxStops": max_stops, "date": ctx.tomorrow.to_string(),
            "status": 200, "itineraries": total, "firstCallMs": round(first_ms, 1),
            "uncached": {"latency": uncached_summary.to_json(), "misses": misses},
            "cached": {"latency": cached_summary.to_json(), "hits": hits},
        }));
    }
    Ok(json!(out))
}

fn lock_body(flight: &Flight, rng: &mut StdRng) -> String {
    let seat = &flight.seats[rng.gen_range(0..flight.seats.len())];
    format!(r#"{{"flightId":{},"seatNumber":"{seat}"}}"#, flight.id)
}

/// Asks for the seat map of every flight once (64 at a time), as a warm
/// instance would have: its facts and seat plan in the instance, what
/// Postgres sold copied into Redis. Returns the seconds it took.
async fn warm_flights(svc: &Arc<Services>, flights: &[Flight], token: &str) -> anyhow::Result<f64> {
    let handle = handler("seats-list");
    let started = Instant::now();
    let queue = Arc::new(std::sync::Mutex::new(flights.iter().map(|f| f.id).collect::<Vec<_>>()));
    let tasks = (0..64).map(|_| {
        let (svc, queue, token) = (svc.clone(), queue.clone(), token.to_string());
        tokio::spawn(async move {
            loop {
                let Some(id) = queue.lock().expect("the queue").pop() else { return Ok(()) };
                let path = format!("/api/seats/{id}");
                let request = lambda_request(
                    "GET",
                    "/api/seats/{flightId}",
                    &path,
                    &[("flightId", id.to_string())],
                    Some(&token),
                    None,
                );
                let response = handle(&svc, request).await.map_err(|e| anyhow!("{e}"))?;
                if response.status() != 200 {
                    bail!("the seat map of flight {id} answered {}", response.status());
                }
            }
        })
    });
    for joined in join_all(tasks).await {
        joined??;
    }
    Ok(started.elapsed().as_secs_f64())
}

async fn inproc_writes(ctx: &mut Ctx) -> anyhow::Result<Value> {
    let tokens: Arc<Vec<String>> = Arc::new(ctx.users.iter().map(|u| u.token.clone()).collect());
    let duration = ctx.opts.duration;
    let mut warm_seconds = 0.0;
    for set in 0..3 {
        warm_seconds += warm_flights(&ctx.svc, ctx.flight_set(set, 6000), &tokens[0]).await?;
    }
    eprintln!("[bench] in-process writes: 18,000 flights warmed (seat map once each) in {warm_seconds:.1} s");

    let flights: Arc<Vec<Flight>> = Arc::new(ctx.flight_set(0, 6000).to_vec());
    let (t, f) = (tokens.clone(), flights.clone());
    ctx.load_average("in-process holds");
    let holds = inproc_load(
        ctx.svc.clone(),
        "seats-lock",
        64,
        duration,
        Arc::new(move |client, k, rng| {
            let flight = &f[rng.gen_range(0..f.len())];
            let token = &t[(client * 16 + k as usize) % t.len()];
            lambda_request(
                "POST",
                "/api/seats/lock",
                "/api/seats/lock",
                &[],
                Some(token),
                Some(&lock_body(flight, rng)),
            )
        }),
    )
    .await
    .into_json(64);
    eprintln!("[bench] in-process holds (random seats, 64 clients): {holds}");

    let contended = ctx.flight_set(1, 6000)[0].clone();
    let ten: Arc<Vec<String>> = Arc::new(contended.seats.iter().take(10).cloned().collect());
    let (t, ten_seats, flight_id) = (tokens.clone(), ten.clone(), contended.id);
    ctx.load_average("in-process holds under contention");
    let contention = inproc_load(
        ctx.svc.clone(),
        "seats-lock",
        64,
        Duration::from_secs(5).min(duration),
        Arc::new(move |client, k, rng| {
            let seat = &ten_seats[rng.gen_range(0..ten_seats.len())];
            let token = &t[(client * 16 + k as usize) % t.len()];
            let body = format!(r#"{{"flightId":{flight_id},"seatNumber":"{seat}"}}"#);
            lambda_request("POST", "/api/seats/lock", "/api/seats/lock", &[], Some(token), Some(&body))
        }),
    )
    .await
    .into_json(64);
    eprintln!("[bench] in-process holds (10 seats, 64 clients): {contention}");

    let flights: Arc<Vec<Flight>> = Arc::new(ctx.flight_set(2, 6000).to_vec());
    let (t, f) = (tokens.clone(), flights.clone());
    ctx.load_average("in-process bookings");
    let bookings = inproc_load(
        ctx.svc.clone(),
        "bookings-create",
        16,
        duration,
        Arc::new(move |client, k, rng| {
            let flight = &f[rng.gen_range(0..f.len())];
            let token = &t[(client * 64 + k as usize) % t.len()];
            let body = format!(r#"{{"flightId":{},"seats":1}}"#, flight.id);
            lambda_request("POST", "/api/bookings/create", "/api/bookings/create", &[], Some(token), Some(&body))
        }),
    )
    .await
    .into_json(16);
    eprintln!("[bench] in-process booking creations (16 clients): {bookings}");
    Ok(json!({"holds": holds, "holdsContention": contention, "bookings": bookings,
              "contendedFlight": flight_id, "contendedSeats": *ten, "warmUpSeconds": round(warm_seconds, 1)}))
}

// ---------------------------------------------------------------- gateway

struct Scenario {
    name: &'static str,
    what: String,
    connections: usize,
    requests: Vec<Vec<u8>>,
    /// Cached search entries to keep deleting while it runs (uncached search).
    flush: Vec<String>,
    /// Keys deleted before the warm-up, the measured run and the open loop:
    /// every login comes from 127.0.0.1, and wrk ending mid-request leaves
    /// the per-IP login counter raised (the attempt was counted, its
    /// success never recorded), which would turn the next run into 429s.
    reset: Vec<String>,
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

fn scenarios(ctx: &Ctx) -> Vec<Scenario> {
    let mut rng = StdRng::seed_from_u64(42);
    let users = &ctx.users;
    let token = |i: usize| bearer(&users[i % users.len()].token);
    let mut list = Vec::new();

    list.push(Scenario {
        name: "options",
        what: "OPTIONS /api/health: the gateway's HTTP layer alone (CORS preflight, no function)".into(),
        connections: 64,
        requests: vec![http::render("OPTIONS", "/api/health", &[], None)],
        flush: vec![],
        reset: vec![],
    });
    list.push(Scenario {
        name: "jwks",
        what: "GET /.well-known/jwks.json: a bare function route (event conversion + handler, no I/O)".into(),
        connections: 64,
        requests: vec![http::render("GET", "/.well-known/jwks.json", &[], None)],
        flush: vec![],
        reset: vec![],
    });
    list.push(Scenario {
        name: "health",
        what: "GET /api/health: Postgres, Redis, SQS, SNS, DynamoDB (moto) checked per request".into(),
        connections: 64,
        requests: vec![http::render("GET", "/api/health", &[], None)],
        flush: vec![],
        reset: vec![],
    });
    list.push(Scenario {
        name: "login",
        what: format!("POST /api/auth/login: argon2id (19 MiB, t=2, p=1), {} users in turn", users.len()),
        connections: 16,
        requests: users
            .iter()
            .map(|u| {
                let body = format!(r#"{{"email":"{}","password":"{PASSWORD}"}}"#, u.email);
                http::render("POST", "/api/auth/login", &[], Some(&body))
            })
            .collect(),
        flush: vec![],
        reset: std::iter::once(ctx.svc.redis.key("login-attempts:ip:127.0.0.1"))
            .chain(users.iter().map(|u| ctx.svc.redis.key(&format!("login-attempts:email:{}", u.email))))
            .collect(),
    });
    let cached = search_path("DEL", "BOM", ctx.tomorrow, 1, 1, "price");
    list.push(Scenario {
        name: "search_cached",
        what: format!("GET {cached} (cache hit)"),
        connections: 64,
        requests: (0..256).map(|i| http::render("GET", &cached, &[("Authorization", &token(i))], None)).collect(),
        flush: vec![],
        reset: vec![],
    });
    for (name, origin, destination, max_stops) in
        [("search_uncached_1stop", "PAT", "GOI", 1u8), ("search_uncached_2stop", "PAT", "ORD", 2u8)]
    {
        // 162 distinct queries (6 dates × 9 passenger counts × 3 sorts), each
        // deleted from the cache every 50 ms while the run lasts, so every
        // request misses (the wrk script counts x-cache: HIT to prove it).
        let mut requests = Vec::new();
        let mut flush = Vec::new();
        for day in 1..=6u64 {
            let date = ctx.tomorrow.checked_add_days(Days::new(day - 1)).expect("a date");
            for passengers in 1..=9u8 {
                for sort in ["price", "duration", "departure"] {
                    let path = search_path(origin, destination, date, max_stops, passengers, sort);
                    flush.extend(search_cache_keys(&ctx.svc, &path));
                    requests.push(http::render("GET", &path, &[("Authorization", &token(requests.len()))], None));
                }
            }
        }
        // Interleave so consecutive requests differ in date and passengers.
        let n = requests.len();
        let order: Vec<usize> = (0..n).map(|i| (i * 37) % n).collect();
        let requests = order.into_iter().map(|i| requests[i].clone()).collect();
        list.push(Scenario {
            name,
            what: format!("GET search {origin}→{destination} maxStops={max_stops}, 162 queries in turn, the cache invalidated every millisecond (every request a miss)"),
            connections: 64,
            requests,
            flush,
            reset: vec![],
        });
    }
    let seat_flights = ctx.flight_set(3, 2000);
    list.push(Scenario {
        name: "seat_map",
        what: format!("GET /api/seats/{{flightId}}, {} flights in turn", seat_flights.len()),
        connections: 64,
        requests: seat_flights
            .iter()
            .enumerate()
            .map(|(i, f)| http::render("GET", &format!("/api/seats/{}", f.id), &[("Authorization", &token(i))], None))
            .collect(),
        flush: vec![],
        reset: vec![],
    });
    let hold_flights = ctx.flight_set(4, 6000);
    list.push(Scenario {
        name: "hold",
        what: format!(
            "POST /api/seats/lock, a random economy seat on one of {} flights, users in turn",
            hold_flights.len()
        ),
        connections: 64,
        requests: (0..10_000)
            .map(|i| {
                let flight = &hold_flights[rng.gen_range(0..hold_flights.len())];
                http::render(
                    "POST",
                    "/api/seats/lock",
                    &[("Authorization", &token(i))],
                    Some(&lock_body(flight, &mut rng)),
                )
            })
            .collect(),
        flush: vec![],
        reset: vec![],
    });
    let contended = &ctx.flight_set(5, 6000)[0];
    list.push(Scenario {
        name: "hold_contention",
        what: format!("POST /api/seats/lock, everyone on the same 10 seats of flight {}", contended.id),
        connections: 64,
        requests: (0..2048)
            .map(|i| {
                let seat = &contended.seats[rng.gen_range(0..10)];
                let body = format!(r#"{{"flightId":{},"seatNumber":"{seat}"}}"#, contended.id);
                http::render("POST", "/api/seats/lock", &[("Authorization", &token(i))], Some(&body))
            })
            .collect(),
        flush: vec![],
        reset: vec![],
    });
    let booking_flights = ctx.flight_set(6, 6000);
    list.push(Scenario {
        name: "booking",
        what: format!(
            "POST /api/bookings/create {{flightId, seats: 1}} (seat assigned and held, price computed, Postgres guard), {} flights",
            booking_flights.len()
        ),
        connections: 16,
        requests: (0..8192)
            .map(|i| {
                let flight = &booking_flights[rng.gen_range(0..booking_flights.len())];
                let body = format!(r#"{{"flightId":{},"seats":1}}"#, flight.id);
                http::render("POST", "/api/bookings/create", &[("Authorization", &token(i))], Some(&body))
            })
            .collect(),
        flush: vec![],
        reset: vec![],
    });
    list
}

/// Keeps a scenario's searches uncached while it runs, the way the product
/// itself invalidates: the invalidation epoch moves every millisecond (a
/// result computed while it moved is never stored, and no instance reuses
/// a page read before), and the scenario's entries are deleted every 50 ms
/// (for the few computed within one tick).
async fn flusher(
    redis_url: String,
    epoch_key: String,
    keys: Vec<String>,
    stop: Arc<tokio::sync::Notify>,
) -> anyhow::Result<u64> {
    if keys.is_empty() {
        return Ok(0);
    }
    let mut resp = resp::Resp::connect(&redis_url).await?;
    let mut rounds = 0;
    let mut ticks = tokio::time::interval(Duration::from_millis(1));
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut last_delete = Instant::now() - Duration::from_secs(1);
    let stopped = stop.notified();
    tokio::pin!(stopped);
    loop {
        let mut commands = vec![vec!["INCR".to_string(), epoch_key.clone()]];
        if last_delete.elapsed() >= Duration::from_millis(50) {
            let mut delete = vec!["DEL".to_string()];
            delete.extend(keys.iter().cloned());
            commands.push(delete);
            last_delete = Instant::now();
        }
        resp.pipeline(&commands).await?;
        rounds += 1;
        tokio::select! {
            _ = &mut stopped => return Ok(rounds),
            _ = ticks.tick() => {}
        }
    }
}

async fn delete_keys(resp: &mut resp::Resp, keys: &[String]) -> anyhow::Result<()> {
    if !keys.is_empty() {
        let mut command = vec!["DEL".to_string()];
        command.extend(keys.iter().cloned());
        resp.pipeline(&[command]).await?;
    }
    Ok(())
}

async fn run_scenario(ctx: &mut Ctx, addr: SocketAddr, scenario: Scenario) -> anyhow::Result<Value> {
    let script = ctx.opts.work.join(format!("{}.lua", scenario.name));
    let uncached = !scenario.flush.is_empty();
    // Writes may be refused (a seat taken): count why, per status.
    let writes = scenario.requests.first().is_some_and(|r| r.starts_with(b"POST"));
    wrk::write_script(&script, &scenario.requests, uncached, writes)?;
    let stop = Arc::new(tokio::sync::Notify::new());
    let epoch_key = ctx.svc.redis.key("{search}:epoch");
    let flushing = tokio::spawn(flusher(ctx.redis_url.clone(), epoch_key, scenario.flush.clone(), stop.clone()));
    let load = ctx.load_average(scenario.name);
    let url = format!("http://{addr}");
    let (connections, warmup, duration) = (scenario.connections, ctx.opts.warmup, ctx.opts.duration);
    delete_keys(&mut ctx.resp, &scenario.reset).await?;
    let (u, s) = (url.clone(), script.clone());
    tokio::task::spawn_blocking(move || wrk::run(&u, &s, connections, Duration::ZERO, warmup)).await??;
    delete_keys(&mut ctx.resp, &scenario.reset).await?;
    let cpu_before = cpu::snapshot();
    let closed =
        tokio::task::spawn_blocking(move || wrk::run(&url, &script, connections, Duration::ZERO, duration)).await??;
    let cpu = cpu::per_unit(&cpu_before, &cpu::snapshot(), closed.requests);
    delete_keys(&mut ctx.resp, &scenario.reset).await?;
    eprintln!(
        "[bench] {:<22} closed loop c{connections}: {:>9.1} req/s  p50 {:>8.2} ms  p99 {:>8.2} ms  non-2xx {}{}",
        scenario.name,
        closed.requests_per_sec,
        closed.p50_ms,
        closed.p99_ms,
        closed.non_2xx,
        closed.cache_hits.map(|h| format!("  cache hits {h}")).unwrap_or_default()
            + &closed.statuses.as_ref().map(|s| format!("  {s:?}")).unwrap_or_default()
    );
    let rate = (closed.requests_per_sec * 0.5).max(1.0).round();
    let requests = Arc::new(scenario.requests);
    let mut open = http::open_loop(addr, requests, rate, ctx.opts.open_duration, connections).await;
    stop.notify_waiters();
    let rss_after = ctx.opts.gateway_pid.map(rss);
    let flush_rounds = flushing.await.ok().and_then(|r| r.ok()).unwrap_or(0);
    let completed = open.completed();
    let open_summary = open.samples.summary();
    eprintln!(
        "[bench] {:<22} open loop {rate:>7} req/s: p50 {:>8.2} ms  p99 {:>8.2} ms  max {:>8.2} ms  non-2xx {} errors {} late {}",
        scenario.name, open_summary.p50_ms, open_summary.p99_ms, open_summary.max_ms, open.non_2xx(), open.errors, open.late
    );
    Ok(json!({
        "name": scenario.name,
        "what": scenario.what,
        "connections": connections,
        "loadAvgBefore": load,
        "closedLoop": closed.to_json(),
        "cpuPerRequest": cpu,
        "openLoop": {
            "rate": rate,
            "seconds": ctx.opts.open_duration.as_secs(),
            "completed": completed,
            "achievedPerSec": round(completed as f64 / open.elapsed.as_secs_f64(), 1),
            "latency": open_summary.to_json(),
            "statuses": open.statuses.iter().map(|(s, n)| (s.to_string(), json!(n))).collect::<serde_json::Map<_, _>>(),
            "errors": open.errors,
            "late": open.late,
            "cacheHits": if uncached { json!(open.cache_hits) } else { Value::Null },
        },
        "flushRounds": if uncached { json!(flush_rounds) } else { Value::Null },
        "gatewayRssAfter": rss_after,
    }))
}

// ---------------------------------------------------------------- the flow

#[derive(Default)]
struct FlowStats {
    steps: BTreeMap<&'static str, Samples>,
    failures: BTreeMap<String, u64>,
    retries: BTreeMap<&'static str, u64>,
    flows: Samples,
}

impl FlowStats {
    fn merge(&mut self, other: FlowStats) {
        for (step, samples) in other.steps {
            self.steps.entry(step).or_default().extend(samples);
        }
        for (step, n) in other.failures {
            *self.failures.entry(step).or_default() += n;
        }
        for (what, n) in other.retries {
            *self.retries.entry(what).or_default() += n;
        }
        self.flows.extend(other.flows);
    }
}

struct FlowInput {
    dates: Vec<NaiveDate>,
    seats_by_aircraft: HashMap<String, Arc<Vec<String>>>,
    run_id: String,
    /// Signed-in users for the flow without signup.
    tokens: Vec<(i64, String)>,
}

fn clone_input(input: &FlowInput) -> FlowInput {
    FlowInput {
        dates: input.dates.clone(),
        seats_by_aircraft: input.seats_by_aircraft.clone(),
        run_id: input.run_id.clone(),
        tokens: input.tokens.clone(),
    }
}

async fn step(
    conn: &mut http::Conn,
    stats: &mut FlowStats,
    name: &'static str,
    request: Vec<u8>,
    ok: &[u16],
) -> Option<Value> {
    let t = Instant::now();
    match conn.send(&request).await {
        Ok(response) if ok.contains(&response.status) => {
            stats.steps.entry(name).or_default().push(t.elapsed());
            Some(response.json())
        }
        Ok(response) => {
            let code = response.json()["code"].as_str().unwrap_or("").to_string();
            *stats.failures.entry(format!("{name} {} {code}", response.status)).or_default() += 1;
            None
        }
        Err(e) => {
            *stats.failures.entry(format!("{name} io {e}")).or_default() += 1;
            None
        }
    }
}

/// One flow: [signup →] search → hold → book → pay → ticket. True when all steps succeeded.
async fn one_flow(
    conn: &mut http::Conn,
    stats: &mut FlowStats,
    input: &FlowInput,
    rng: &mut StdRng,
    client: usize,
    k: u64,
) -> bool {
    let (user_id, token) = if input.tokens.is_empty() {
        let email = format!("flow-{}-{client}-{k}@bench.flightbook.local", input.run_id);
        let body = format!(r#"{{"name":"Flow Bench","email":"{email}","password":"{PASSWORD}"}}"#);
        let Some(signed) =
            step(conn, stats, "signup", http::render("POST", "/api/auth/signup", &[], Some(&body)), &[201]).await
        else {
            return false;
        };
        (signed["userId"].as_i64().unwrap_or(0), signed["token"].as_str().unwrap_or("").to_string())
    } else {
        input.tokens[(client * 997 + k as usize) % input.tokens.len()].clone()
    };
    let auth = bearer(&token);
    let date = input.dates[rng.gen_range(0..input.dates.len())];
    let path = search_path("DEL", "BOM", date, 0, 1, "price");
    let Some(found) =
        step(conn, stats, "search", http::render("GET", &path, &[("Authorization", &auth)], None), &[200]).await
    else {
        return false;
    };
    let itineraries = found["itineraries"].as_array().cloned().unwrap_or_default();
    if itineraries.is_empty() {
        *stats.failures.entry("search empty".into()).or_default() += 1;
        return false;
    }
    let leg = &itineraries[rng.gen_range(0..itineraries.len())]["legs"][0];
    let flight_id = leg["flightId"].as_i64().unwrap_or(0);
    let Some(seats) = leg["aircraft"].as_str().and_then(|a| input.seats_by_aircraft.get(a)) else {
        *stats.failures.entry("search unknown aircraft".into()).or_default() += 1;
        return false;
    };
    let mut held = false;
    for _ in 0..5 {
        let seat = &seats[rng.gen_range(0..seats.len())];
        let body = format!(r#"{{"flightId":{flight_id},"seatNumber":"{seat}"}}"#);
        let request = http::render("POST", "/api/seats/lock", &[("Authorization", &auth)], Some(&body));
        let t = Instant::now();
        match conn.send(&request).await {
            Ok(r) if r.status == 200 => {
                stats.steps.entry("hold").or_default().push(t.elapsed());
                held = true;
                break;
            }
            // A seat someone else holds: another seat, as a person would.
            Ok(r) if r.status == 409 => *stats.retries.entry("hold: seat taken, another tried").or_default() += 1,
            Ok(r) => {
                *stats.failures.entry(format!("hold {}", r.status)).or_default() += 1;
                return false;
            }
            Err(e) => {
                *stats.failures.entry(format!("hold io {e}")).or_default() += 1;
                return false;
            }
        }
    }
    if !held {
        return false;
    }
    let body = format!(r#"{{"userId":{user_id},"flightId":{flight_id},"seats":1}}"#);
    let Some(booking) = step(
        conn,
        stats,
        "book",
        http::render("POST", "/api/bookings/create", &[("Authorization", &auth)], Some(&body)),
        &[201],
    )
    .await
    else {
        return false;
    };
    let booking_id = booking["id"].as_i64().unwrap_or(0);
    let key = uuid::Uuid::new_v4().to_string();
    let body = format!(r#"{{"bookingId":{booking_id}}}"#);
    let pay =
        http::render("POST", "/api/payments/pay", &[("Authorization", &auth), ("Idempotency-Key", &key)], Some(&body));
    if step(conn, stats, "pay", pay, &[200, 201]).await.is_none() {
        return false;
    }
    let ticket = http::render("POST", "/api/tickets/generate", &[("Authorization", &auth)], Some(&body));
    step(conn, stats, "ticket", ticket, &[200, 201]).await.is_some()
}

async fn flow_run(
    addr: SocketAddr,
    input: Arc<FlowInput>,
    clients: usize,
    duration: Duration,
) -> (FlowStats, u64, Duration) {
    let started = Instant::now();
    let deadline = started + duration;
    let tasks = (0..clients).map(|client| {
        let input = input.clone();
        tokio::spawn(async move {
            let mut conn = http::Conn::new(addr);
            let mut stats = FlowStats::default();
            let mut rng = StdRng::seed_from_u64(client as u64 + 99);
            let mut done = 0u64;
            let mut k = 0u64;
            while Instant::now() < deadline {
                let t = Instant::now();
                if one_flow(&mut conn, &mut stats, &input, &mut rng, client, k).await {
                    stats.flows.push(t.elapsed());
                    done += 1;
                }
                k += 1;
            }
            (stats, done)
        })
    });
    let mut total = FlowStats::default();
    let mut done = 0;
    for joined in join_all(tasks).await {
        let (stats, n) = joined.expect("a flow task");
        total.merge(stats);
        done += n;
    }
    (total, done, started.elapsed())
}

async fn flows(ctx: &mut Ctx, addr: SocketAddr) -> anyhow::Result<Value> {
    let dates: Vec<NaiveDate> = (0..5).filter_map(|d| ctx.tomorrow.checked_add_days(Days::new(d))).collect();
    let run_id = format!("{:x}", chrono::Utc::now().timestamp_millis());
    let mut out = Vec::new();
    for (name, with_signup) in [("flow", true), ("flow_signed_in", false)] {
        let input = Arc::new(FlowInput {
            dates: dates.clone(),
            seats_by_aircraft: ctx.seats_by_aircraft.clone(),
            run_id: format!("{run_id}{}", if with_signup { "s" } else { "n" }),
            tokens: if with_signup { Vec::new() } else { ctx.users.iter().map(|u| (u.id, u.token.clone())).collect() },
        });
        let clients = 16;
        let load = ctx.load_average(name);
        let warm = Arc::new(FlowInput { run_id: format!("{}w", input.run_id), ..clone_input(&input) });
        let _ = flow_run(addr, warm, clients, ctx.opts.warmup).await;
        let cpu_before = cpu::snapshot();
        let (mut stats, done, elapsed) = flow_run(addr, input, clients, ctx.opts.duration).await;
        let cpu = cpu::per_unit(&cpu_before, &cpu::snapshot(), done);
        let per_sec = done as f64 / elapsed.as_secs_f64();
        // What the product's own processes spend per flow, and so how many
        // flows the machine's cores could carry if nothing else ran on them.
        let product_ms: f64 =
            ["gateway", "postgres", "redis"].iter().filter_map(|k| cpu["cpuMsPerUnit"][*k].as_f64()).sum();
        let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1) as f64;
        let product_ceiling = if product_ms > 0.0 { cores * 1000.0 / product_ms } else { 0.0 };
        eprintln!("[bench] {name:<22} CPU per flow: {} (product {product_ms:.1} ms → {product_ceiling:.0} flows/s on {cores} cores)", cpu["cpuMsPerUnit"]);
        let steps: serde_json::Map<String, Value> =
            stats.steps.iter_mut().map(|(k, s)| (k.to_string(), s.summary().to_json())).collect();
        let flow_latency = stats.flows.summary();
        eprintln!(
            "[bench] {name:<22} {clients} clients: {per_sec:.1} flows/s, flow p50 {:.1} ms p99 {:.1} ms, failures {:?}",
            flow_latency.p50_ms, flow_latency.p99_ms, stats.failures
        );
        out.push(json!({
            "name": name,
            "what": if with_signup { "signup → search → hold → book → pay (Idempotency-Key) → ticket, a new user per flow" }
                    else { "search → hold → book → pay (Idempotency-Key) → ticket, existing signed-in users" },
            "clients": clients,
            "loadAvgBefore": load,
            "flows": done,
            "seconds": round(elapsed.as_secs_f64(), 2),
            "flowsPerSec": round(per_sec, 1),
            "flowLatency": flow_latency.to_json(),
            "steps": steps,
            "failures": stats.failures,
            "retries": stats.retries,
            "cpuPerFlow": cpu,
            "productCpuMsPerFlow": round(product_ms, 2),
            "productCeilingFlowsPerSec": round(product_ceiling, 0),
        }));
    }
    Ok(json!(out))
}

// ---------------------------------------------------------------- sizes, RSS

fn sizes(opts: &Options, template: &Template) -> anyhow::Result<Value> {
    let dir = opts.work.join("zip");
    std::fs::create_dir_all(&dir)?;
    let mut out = Vec::new();
    for function in &template.functions {
        let binary = opts.bin_dir.join(&function.package);
        let Ok(meta) = std::fs::metadata(&binary) else {
            eprintln!("[bench] no release binary for {}", function.package);
            continue;
        };
        let bootstrap = dir.join("bootstrap");
        let zip = dir.join(format!("{}.zip", function.package));
        std::fs::copy(&binary, &bootstrap)?;
        let _ = std::fs::remove_file(&zip);
        let status = std::process::Command::new("zip")
            .arg("-9")
            .arg("-q")
            .arg("-j")
            .arg(&zip)
            .arg(&bootstrap)
            .status()
            .context("running zip (apt-get install zip)")?;
        if !status.success() {
            bail!("zip failed for {}", function.package);
        }
        let zipped = std::fs::metadata(&zip)?.len();
        out.push(json!({"function": function.package, "bootstrapBytes": meta.len(), "zipBytes": zipped}));
    }
    Ok(json!(out))
}

fn rss(pid: u32) -> Value {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| -> Option<f64> {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<f64>().ok())
            .map(|kib| (kib / 1024.0 * 10.0).round() / 10.0)
    };
    json!({"rssMib": field("VmRSS:"), "peakRssMib": field("VmHWM:")})
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let opts = options()?;
    if let Some(path) = &opts.render {
        // Only the report: targets and Markdown again from a results file.
        let mut results: Value = serde_json::from_str(&std::fs::read_to_string(path)?)?;
        results["targets"] = report::targets(&results);
        std::fs::write(path, serde_json::to_string_pretty(&results)?)?;
        std::fs::write(&opts.md, report::markdown(&results))?;
        eprintln!("[bench] rendered {} from {}", opts.md.display(), path.display());
        return Ok(());
    }
    std::fs::create_dir_all(&opts.work)?;
    let template = Template::load(&opts.template)?;
    let started = Instant::now();
    let mut results = serde_json::Map::new();

    let database_url = std::env::var("DATABASE_URL").context("DATABASE_URL is not set (run through local/bench)")?;
    let redis_url = std::env::var("REDIS_URL").context("REDIS_URL is not set (run through local/bench)")?;
    let svc = Arc::new(services(&template).await?);
    let db = local_stack::database::connect(&database_url).await?;
    let resp = resp::Resp::connect(&redis_url).await?;
    eprintln!("[bench] preparing users and flights");
    let users = create_users(&svc, &db).await?;
    let (mut flights, seats_by_aircraft) = load_flights(&db).await?;
    // A fixed order, different from the id order (which follows departures).
    let mut rng = StdRng::seed_from_u64(7);
    for i in (1..flights.len()).rev() {
        flights.swap(i, rng.gen_range(0..=i));
    }
    let tomorrow = local_stack::seed::demo_today().checked_add_days(Days::new(1)).context("a date")?;
    let mut ctx = Ctx {
        opts,
        svc,
        db,
        resp,
        database_url,
        redis_url,
        users,
        flights,
        seats_by_aircraft,
        tomorrow,
        loads: Vec::new(),
    };
    let phase = |name: &str, ctx: &Ctx| ctx.opts.phases.iter().any(|p| p == name);

    let gateway_rss_start = ctx.opts.gateway_pid.map(rss);

    if phase("sizes", &ctx) {
        ctx.load_average("sizes");
        results.insert("sizes".into(), sizes(&ctx.opts, &template)?);
    }
    if let Some(path) = &ctx.opts.cold_start {
        let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        results.insert("coldStart".into(), serde_json::from_str(&text)?);
    }
    if phase("ceilings", &ctx) {
        ctx.load_average("ceilings");
        let target = ceilings::RedisTarget::from_url(&ctx.redis_url)?;
        let redis = ceilings::redis(&target, &mut ctx.resp, 64).await?;
        eprintln!("[bench] redis-benchmark: {redis}");
        ctx.db.batch_execute(ceilings::PGBENCH_SETUP).await?;
        let pgbench = ceilings::pgbench(&ctx.database_url, &ctx.opts.work, 16, ctx.opts.duration.as_secs())?;
        eprintln!("[bench] pgbench: {pgbench}");
        ctx.db.batch_execute("DROP SCHEMA IF EXISTS bench_scratch CASCADE").await?;
        results.insert("ceilings".into(), json!({"redis": redis, "pgbench": pgbench}));
    }
    if phase("inprocess", &ctx) {
        ctx.load_average("in-process search");
        let verify = token_verification(&ctx);
        let hashing = password_hashing().await?;
        let search = if ctx.wants("search") { inproc_search(&mut ctx).await? } else { json!([]) };
        let writes = if ctx.wants("writes") { inproc_writes(&mut ctx).await? } else { json!({}) };
        results.insert(
            "inProcess".into(),
            json!({"tokenVerification": verify, "passwordHash": hashing, "search": search, "writes": writes}),
        );
    }
    if phase("gateway", &ctx) {
        let addr = ctx.opts.gateway.context("--gateway is needed for the gateway phase")?;
        // The cached search must be in the cache before its run.
        let mut conn = http::Conn::new(addr);
        let cached = search_path("DEL", "BOM", ctx.tomorrow, 1, 1, "price");
        let warm =
            conn.send(&http::render("GET", &cached, &[("Authorization", &bearer(&ctx.users[0].token))], None)).await?;
        if warm.status != 200 {
            bail!("the gateway answered {} to a search: {}", warm.status, String::from_utf8_lossy(&warm.body));
        }
        let mut runs = Vec::new();
        for scenario in scenarios(&ctx) {
            if ctx.wants(scenario.name) {
                runs.push(run_scenario(&mut ctx, addr, scenario).await?);
            }
        }
        let flow = if ctx.wants("flow") { flows(&mut ctx, addr).await? } else { json!([]) };
        results.insert("gateway".into(), json!({"scenarios": runs, "flows": flow}));
    }
    if let Some(pid) = ctx.opts.gateway_pid {
        tokio::time::sleep(Duration::from_secs(2)).await;
        results.insert("gatewayRss".into(), json!({"atStart": gateway_rss_start, "afterLoad": rss(pid)}));
    }

    results.insert(
        "meta".into(),
        json!({
            "date": chrono::Utc::now().to_rfc3339(),
            "machine": report::machine(),
            "commit": report::git_commit(),
            "loadAverages": ctx.loads,
            "benchSeconds": round(started.elapsed().as_secs_f64(), 1),
            "durations": {"warmupSeconds": ctx.opts.warmup.as_secs(), "closedLoopSeconds": ctx.opts.duration.as_secs(),
                          "openLoopSeconds": ctx.opts.open_duration.as_secs()},
            "searchDate": ctx.tomorrow.to_string(),
            "searchDateWeekday": ctx.tomorrow.weekday().to_string(),
            "users": ctx.users.len(),
            "notes": ctx.opts.notes,
        }),
    );
    let results = Value::Object(results);
    let targets = report::targets(&results);
    let mut results = results;
    results["targets"] = targets;
    if let Some(parent) = ctx.opts.out.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(&ctx.opts.out, serde_json::to_string_pretty(&results)?)?;
    let md = report::markdown(&results);
    std::fs::write(&ctx.opts.md, &md)?;
    println!("{md}");
    eprintln!("[bench] wrote {} and {}", ctx.opts.out.display(), ctx.opts.md.display());
    Ok(())
}
