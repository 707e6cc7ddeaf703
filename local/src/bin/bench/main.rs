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
//! Writes `--out results.json` and `--md results.md`. Each phase is a module
//! (`sizes`, `ceilings`, `in_process`, `through_gateway` with `flow`,
//! `memory`); `context` holds what they share.

mod cache_latency;
mod ceilings;
mod context;
mod cpu;
mod flow;
mod http;
mod in_process;
mod memory;
mod options;
mod report;
mod requests;
mod sizes;
mod stats;
mod through_gateway;
mod trips;
mod wrk;

use anyhow::Context;
use chrono::Datelike;
use clap::Parser;
use context::Ctx;
use local_stack::template::Template;
use options::Options;
use serde_json::{json, Value};
use stats::round;
use std::path::Path;
use std::time::{Duration, Instant};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let opts = Options::parse();
    if let Some(path) = &opts.render {
        return render(path, &opts.md);
    }
    std::fs::create_dir_all(&opts.work)?;
    let template = Template::load(&opts.template)?;
    let started = Instant::now();
    let mut results = serde_json::Map::new();

    let mut ctx = Ctx::prepare(opts, &template).await?;
    let gateway_rss_start = ctx.opts.gateway_pid.map(memory::rss);

    if ctx.runs("sizes") {
        ctx.load_average("sizes");
        results.insert("sizes".into(), sizes::sizes(&ctx.opts, &template)?);
    }
    if let Some(path) = &ctx.opts.cold_start {
        let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        results.insert("coldStart".into(), serde_json::from_str(&text)?);
    }
    if ctx.runs("ceilings") {
        results.insert("ceilings".into(), ceilings::measure(&mut ctx).await?);
    }
    if ctx.runs("inprocess") {
        results.insert("inProcess".into(), in_process::measure(&mut ctx).await?);
    }
    if ctx.runs("gateway") {
        results.insert("gateway".into(), through_gateway::measure(&mut ctx).await?);
    }
    if let Some(pid) = ctx.opts.gateway_pid {
        tokio::time::sleep(Duration::from_secs(2)).await;
        results.insert("gatewayRss".into(), json!({"atStart": gateway_rss_start, "afterLoad": memory::rss(pid)}));
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

/// Only the report: targets and Markdown again from a results file.
fn render(path: &Path, md: &Path) -> anyhow::Result<()> {
    let mut results: Value = serde_json::from_str(&std::fs::read_to_string(path)?)?;
    results["targets"] = report::targets(&results);
    std::fs::write(path, serde_json::to_string_pretty(&results)?)?;
    std::fs::write(md, report::markdown(&results))?;
    eprintln!("[bench] rendered {} from {}", md.display(), path.display());
    Ok(())
}
