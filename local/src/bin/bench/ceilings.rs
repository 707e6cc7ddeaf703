//! What the machine can do without our code, measured in the same run:
//! `redis-benchmark` (SET, SET NX and an EVALSHA of a script shaped like
//! the seat-hold script) and `pgbench` with a transaction shaped like the
//! booking's (raise a cabin count, insert a seat, on scratch tables).

use crate::context::Ctx;
use anyhow::{bail, Context};
use redis::aio::MultiplexedConnection;
use serde_json::{json, Value};
use std::process::Command;

/// Phase 3: the figures, as `ceilings` in the results.
pub async fn measure(ctx: &mut Ctx) -> anyhow::Result<Value> {
    ctx.load_average("ceilings");
    let target = RedisTarget::from_url(&ctx.redis_url)?;
    let redis = redis(&target, &mut ctx.redis, 64).await?;
    eprintln!("[bench] redis-benchmark: {redis}");
    ctx.db.batch_execute(PGBENCH_SETUP).await?;
    // pgbench runs as the functions' role, through the pooler, as they do.
    if let Some(app) = local_stack::database::app_role(&ctx.database_url) {
        let app = format!("\"{}\"", app.replace('"', "\"\""));
        ctx.db
            .batch_execute(&format!(
                "GRANT USAGE ON SCHEMA bench_scratch TO {app};
                 GRANT SELECT, INSERT, UPDATE ON ALL TABLES IN SCHEMA bench_scratch TO {app}"
            ))
            .await?;
    }
    let pgbench = pgbench(&ctx.database_url, &ctx.opts.work, 16, ctx.opts.duration.as_secs())?;
    eprintln!("[bench] pgbench: {pgbench}");
    ctx.db.batch_execute("DROP SCHEMA IF EXISTS bench_scratch CASCADE").await?;
    Ok(json!({"redis": redis, "pgbench": pgbench}))
}

struct RedisTarget {
    host: String,
    port: u16,
    /// `rediss://`: redis-benchmark over TLS, with `REDIS_CA_FILE`.
    tls: bool,
    user: Option<String>,
    password: Option<String>,
}

impl RedisTarget {
    fn from_url(url: &str) -> anyhow::Result<Self> {
        let (tls, rest) = match (url.strip_prefix("rediss://"), url.strip_prefix("redis://")) {
            (Some(rest), _) => (true, rest),
            (None, Some(rest)) => (false, rest),
            _ => bail!("REDIS_URL must be redis:// or rediss://"),
        };
        let (userinfo, rest) = rest.rsplit_once('@').map_or((None, rest), |(u, r)| (Some(u), r));
        let (user, password) = match userinfo.map(|u| u.split_once(':').unwrap_or(("", u))) {
            Some((user, password)) => {
                (Some(user.to_string()).filter(|u| !u.is_empty()), Some(password.to_string()).filter(|p| !p.is_empty()))
            }
            None => (None, None),
        };
        let hostport = rest.split('/').next().unwrap_or(rest);
        let (host, port) = hostport.rsplit_once(':').unwrap_or((hostport, "6379"));
        Ok(RedisTarget { host: host.to_string(), port: port.parse()?, tls, user, password })
    }

    /// redis-benchmark's connection arguments.
    fn arguments(&self) -> Vec<String> {
        let mut args = vec!["-h".into(), self.host.clone(), "-p".into(), self.port.to_string()];
        if self.tls {
            args.push("--tls".into());
            if let Ok(ca) = std::env::var("REDIS_CA_FILE") {
                args.extend(["--cacert".into(), ca]);
            }
        }
        if let Some(user) = &self.user {
            args.extend(["--user".into(), user.clone()]);
        }
        if let Some(password) = &self.password {
            args.extend(["-a".into(), password.clone()]);
        }
        args
    }
}

/// One `redis-benchmark` test: requests/s and latency percentiles (CSV).
fn redis_benchmark(target: &RedisTarget, clients: usize, requests: usize, extra: &[&str]) -> anyhow::Result<Value> {
    let output = Command::new("redis-benchmark")
        .args(target.arguments())
        .args(["-c", &clients.to_string(), "-n", &requests.to_string(), "-r", "1000000", "--csv"])
        .args(extra)
        .output()
        .context("running redis-benchmark")?;
    let text = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        bail!("redis-benchmark failed: {}{}", text, String::from_utf8_lossy(&output.stderr));
    }
    // "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"
    let line = text
        .lines()
        .filter(|l| !l.starts_with("\"test\""))
        .rfind(|l| l.starts_with('"'))
        .with_context(|| format!("no result in redis-benchmark output: {text}"))?;
    let fields: Vec<String> = line.split(',').map(|f| f.trim_matches('"').to_string()).collect();
    let number = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok());
    Ok(json!({
        "test": fields.first(),
        "requestsPerSec": number(1),
        "p50Ms": number(4),
        "p99Ms": number(6),
        "clients": clients,
    }))
}

async fn redis(target: &RedisTarget, connection: &mut MultiplexedConnection, clients: usize) -> anyhow::Result<Value> {
    let n = 200_000;
    let set = redis_benchmark(target, clients, n, &["-t", "set"])?;
    let set_nx =
        redis_benchmark(target, clients, n, &["SET", "bench-ceiling:nx:__rand_int__", "1", "NX", "PX", "600000"])?;
    // The seat-hold script itself, so the ceiling is the same work: one
    // seat per hold, a random user and hold id, on a flight whose sold
    // seats are in Redis, as a single-seat lock does.
    let script = shared::store::seat_holds::hold_script_source();
    let sha: String = redis::cmd("SCRIPT")
        .arg("LOAD")
        .arg(&script)
        .query_async(connection)
        .await
        .context("SCRIPT LOAD of the hold script")?;
    redis::cmd("HSET").arg(&["bench-ceiling:sold:{f1}", "_status", "SCHEDULED"]).query_async::<()>(connection).await?;
    let evalsha = redis_benchmark(
        target,
        clients,
        n,
        &[
            "EVALSHA",
            &sha,
            "5",
            "bench-ceiling:holds:{f1}",
            "bench-ceiling:held:{f1}:__rand_int__",
            "bench-ceiling:hold:{f1}:__rand_int__",
            "bench-ceiling:sold:{f1}",
            "bench-ceiling:sold-v:{f1}",
            "__rand_int__",
            "600000",
            "9",
            "__rand_int__",
        ],
    )?;
    Ok(json!({"set": set, "setNx": set_nx, "evalshaHold": evalsha}))
}

fn pgbench_binary() -> String {
    if Command::new("pgbench").arg("--version").output().is_ok_and(|o| o.status.success()) {
        return "pgbench".into();
    }
    for version in ["17", "16", "15", "14", "13"] {
        let path = format!("/usr/lib/postgresql/{version}/bin/pgbench");
        if std::path::Path::new(&path).exists() {
            return path;
        }
    }
    "pgbench".into()
}

const PGBENCH_SETUP: &str = "
DROP SCHEMA IF EXISTS bench_scratch CASCADE;
CREATE SCHEMA bench_scratch;
CREATE TABLE bench_scratch.flight_fares (
    flight_id bigint NOT NULL, cabin text NOT NULL, amount bigint NOT NULL,
    seats_total int NOT NULL, seats_sold int NOT NULL DEFAULT 0 CHECK (seats_sold <= seats_total),
    PRIMARY KEY (flight_id, cabin));
INSERT INTO bench_scratch.flight_fares (flight_id, cabin, amount, seats_total)
    SELECT g, 'ECONOMY', 500000, 1000000000 FROM generate_series(1, 10000) g;
CREATE TABLE bench_scratch.booking_seats (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, booking_id bigint NOT NULL, leg int NOT NULL,
    flight_id bigint NOT NULL, seat text NOT NULL, cabin text NOT NULL, passenger_position int NOT NULL,
    fare bigint NOT NULL, live boolean NOT NULL DEFAULT true);
CREATE UNIQUE INDEX ON bench_scratch.booking_seats (flight_id, seat) WHERE live;
ANALYZE bench_scratch.flight_fares;
";

const PGBENCH_SCRIPT: &str = "\\set fid random(1, 10000)
\\set seat random(1, 2000000000)
BEGIN;
UPDATE bench_scratch.flight_fares SET seats_sold = seats_sold + 1 WHERE flight_id = :fid AND cabin = 'ECONOMY' RETURNING seats_sold, seats_total;
INSERT INTO bench_scratch.booking_seats (booking_id, leg, flight_id, seat, cabin, passenger_position, fare) VALUES (:seat, 1, :fid, :seat, 'ECONOMY', 1, 500000) ON CONFLICT DO NOTHING;
COMMIT;
";

/// pgbench with the booking-shaped transaction; the scratch schema must
/// exist (`PGBENCH_SETUP`).
fn pgbench(database_url: &str, work: &std::path::Path, clients: usize, seconds: u64) -> anyhow::Result<Value> {
    let script = work.join("booking-shaped.sql");
    std::fs::write(&script, PGBENCH_SCRIPT)?;
    let output = Command::new(pgbench_binary())
        .args(["-n", "-M", "prepared", "-c", &clients.to_string(), "-j", "2", "-T", &seconds.to_string(), "-f"])
        .arg(&script)
        .arg(database_url)
        .output()
        .context("running pgbench")?;
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    if !output.status.success() {
        bail!("pgbench failed: {text}{}", String::from_utf8_lossy(&output.stderr));
    }
    let find = |prefix: &str| -> Option<f64> {
        text.lines()
            .find_map(|l| l.trim().strip_prefix(prefix))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|n| n.parse().ok())
    };
    Ok(json!({
        "transactionsPerSec": find("tps = "),
        "latencyAvgMs": find("latency average = "),
        "clients": clients,
        "seconds": seconds,
        "script": "BEGIN; UPDATE flight_fares (+1 seat, RETURNING); INSERT booking_seats (unique live seat); COMMIT",
    }))
}
