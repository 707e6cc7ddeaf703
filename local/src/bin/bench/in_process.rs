//! Phase 4, in process: the handlers called directly, without the gateway. What verifying a
//! token and hashing a password cost alone; search latency, uncached (the query's cache
//! entry deleted before every call) and cached; seat holds/s with 64 concurrent clients
//! (random seats, and everyone on the same 10 seats); booking creations/s with 16 clients.

use crate::cache_latency::{self, Measured};
use crate::context::{Ctx, Flight, PASSWORD};
use crate::requests::{handler, lambda_request, lock_body, search_cache_keys, search_path};
use crate::stats::{round, Samples};
use anyhow::{anyhow, bail};
use futures::future::join_all;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};
use shared::Services;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The phase's figures, as `inProcess` in the results.
pub async fn measure(ctx: &mut Ctx) -> anyhow::Result<Value> {
    ctx.load_average("in-process search");
    let verify = token_verification(ctx);
    let hashing = password_hashing().await?;
    let search = if ctx.wants("search") { inproc_search(ctx).await? } else { json!([]) };
    let trips = if ctx.wants("trips") { crate::trips::measure(ctx).await? } else { json!([]) };
    let writes = if ctx.wants("writes") { inproc_writes(ctx).await? } else { json!({}) };
    Ok(
        json!({"tokenVerification": verify, "passwordHash": hashing, "search": search, "trips": trips, "writes": writes}),
    )
}

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
        let svc = ctx.svc.clone();
        let call = || {
            let request = lambda_request("GET", "/api/flights/search", &path, &[], Some(&token), None);
            handle(&svc, request)
        };
        let head = json!({"origin": origin, "destination": destination, "maxStops": max_stops, "date": ctx.tomorrow.to_string()});
        match cache_latency::measure(&mut ctx.redis, &keys, call).await? {
            Measured::Refused(status, first_ms, body) => {
                eprintln!("[bench] in-process search {origin}→{destination} maxStops={max_stops}: {status} after {first_ms:.0} ms");
                let mut entry = head;
                entry["status"] = json!(status);
                entry["firstCallMs"] = round(first_ms, 1);
                entry["error"] = body["code"].clone();
                out.push(entry);
            }
            Measured::Done(figures) => {
                let total = figures.first["total"].as_u64().unwrap_or(0);
                eprintln!(
                    "[bench] in-process search {origin}→{destination} maxStops={max_stops}: first call {:.0} ms, {total} itineraries; uncached p50 {:.2} ms p99 {:.2} ms ({}/{} misses); cached p50 {:.3} ms p99 {:.3} ms ({}/{} hits)",
                    figures.first_ms, figures.uncached.p50_ms, figures.uncached.p99_ms, figures.misses, figures.uncached.count,
                    figures.cached.p50_ms, figures.cached.p99_ms, figures.hits, figures.cached.count
                );
                let mut entry = head;
                for (k, v) in figures.to_json().as_object().expect("an object") {
                    entry[k] = v.clone();
                }
                entry["status"] = json!(200);
                entry["itineraries"] = json!(total);
                out.push(entry);
            }
        }
    }
    Ok(json!(out))
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
