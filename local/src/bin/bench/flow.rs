//! The whole flow through the gateway, per second: signup → search → hold → book → pay →
//! ticket with a new user each time, and the same without the signup for signed-in users.

use crate::context::{Ctx, PASSWORD};
use crate::requests::{bearer, search_path};
use crate::stats::{round, Samples};
use crate::{cpu, http};
use chrono::{Days, NaiveDate};
use futures::future::join_all;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

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

pub async fn flows(ctx: &mut Ctx, addr: SocketAddr) -> anyhow::Result<Value> {
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
