//! Phase 5, through the local gateway: each scenario in a closed loop with `wrk -t2 -cN
//! --latency` after a warm-up (N = 64 for reads and holds, 16 for writes and login), then in
//! an open loop at a fixed rate (half the closed-loop ceiling) with this binary's own
//! client, timed from each request's scheduled send (no coordinated omission); then the
//! whole flow (`flow.rs`).

use crate::context::{connect_redis, delete_keys, Ctx, PASSWORD};
use crate::memory::rss;
use crate::requests::{bearer, lock_body, search_cache_keys, search_path};
use crate::stats::round;
use crate::{cpu, flow, http, wrk};
use anyhow::{bail, Context};
use chrono::Days;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The phase's figures, as `gateway` in the results.
pub async fn measure(ctx: &mut Ctx) -> anyhow::Result<Value> {
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
    for scenario in scenarios(ctx) {
        if ctx.wants(scenario.name) {
            runs.push(run_scenario(ctx, addr, scenario).await?);
        }
    }
    let flow = if ctx.wants("flow") { flow::flows(ctx, addr).await? } else { json!([]) };
    Ok(json!({"scenarios": runs, "flows": flow}))
}

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
    let mut connection = connect_redis(&redis_url).await?;
    let mut rounds = 0;
    let mut ticks = tokio::time::interval(Duration::from_millis(1));
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut last_delete = Instant::now() - Duration::from_secs(1);
    let stopped = stop.notified();
    tokio::pin!(stopped);
    loop {
        let mut commands = redis::pipe();
        commands.cmd("INCR").arg(&epoch_key);
        if last_delete.elapsed() >= Duration::from_millis(50) {
            commands.cmd("DEL").arg(&keys);
            last_delete = Instant::now();
        }
        commands.query_async::<()>(&mut connection).await?;
        rounds += 1;
        tokio::select! {
            _ = &mut stopped => return Ok(rounds),
            _ = ticks.tick() => {}
        }
    }
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
    delete_keys(&mut ctx.redis, &scenario.reset).await?;
    let (u, s) = (url.clone(), script.clone());
    tokio::task::spawn_blocking(move || wrk::run(&u, &s, connections, Duration::ZERO, warmup)).await??;
    delete_keys(&mut ctx.redis, &scenario.reset).await?;
    let cpu_before = cpu::snapshot();
    let closed =
        tokio::task::spawn_blocking(move || wrk::run(&url, &script, connections, Duration::ZERO, duration)).await??;
    let cpu = cpu::per_unit(&cpu_before, &cpu::snapshot(), closed.requests);
    delete_keys(&mut ctx.redis, &scenario.reset).await?;
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
