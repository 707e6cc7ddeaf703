//! The targets and the Markdown report of a run.

use serde_json::{json, Value};

pub fn machine() -> Value {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split_once(':'))
        .map(|(_, m)| m.trim().to_string());
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let mem_kib: Option<u64> = meminfo
        .lines()
        .find(|l| l.starts_with("MemTotal:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok());
    json!({
        "cpu": model,
        "cores": std::thread::available_parallelism().map(|n| n.get()).ok(),
        "memoryGib": mem_kib.map(|k| (k as f64 / 1024.0 / 1024.0 * 10.0).round() / 10.0),
        "kernel": std::fs::read_to_string("/proc/sys/kernel/osrelease").ok().map(|s| s.trim().to_string()),
    })
}

pub fn git_commit() -> Option<String> {
    let output = std::process::Command::new("git").args(["rev-parse", "--short", "HEAD"]).output().ok()?;
    let commit = String::from_utf8_lossy(&output.stdout).trim().to_string();
    // The results of an earlier run are not changes to what is measured.
    let dirty = std::process::Command::new("git")
        .args(["status", "--porcelain", "--untracked-files=no", "--", ".", ":(exclude)bench"])
        .output()
        .map(|o| !o.stdout.is_empty())
        .unwrap_or(false);
    Some(if dirty { format!("{commit} (+ uncommitted changes)") } else { commit })
}

fn scenario<'a>(results: &'a Value, name: &str) -> &'a Value {
    results["gateway"]["scenarios"]
        .as_array()
        .and_then(|s| s.iter().find(|s| s["name"] == name))
        .unwrap_or(&Value::Null)
}

fn f(v: &Value) -> Option<f64> {
    v.as_f64()
}

fn target(name: &str, measured: Option<f64>, unit: &str, goal: f64, at_least: bool, note: &str) -> Value {
    let met = measured.map(|m| if at_least { m >= goal } else { m <= goal });
    json!({
        "target": name,
        "measured": measured.map(|m| (m * 100.0).round() / 100.0),
        "unit": unit,
        "goal": format!("{} {goal} {unit}", if at_least { "≥" } else { "≤" }),
        "met": met,
        "note": note,
    })
}

pub fn targets(results: &Value) -> Value {
    let mut out = Vec::new();
    let cached = scenario(results, "search_cached");
    out.push(target(
        "cached search through the gateway (wrk c64)",
        f(&cached["closedLoop"]["requestsPerSec"]),
        "req/s",
        15_000.0,
        true,
        "Node: 1,449 req/s",
    ));
    out.push(target(
        "cached search p99 through the gateway (wrk c64)",
        f(&cached["closedLoop"]["p99Ms"]),
        "ms",
        10.0,
        false,
        "Node: 126 ms",
    ));
    out.push(target(
        "seat map through the gateway (wrk c64)",
        f(&scenario(results, "seat_map")["closedLoop"]["requestsPerSec"]),
        "req/s",
        6_000.0,
        true,
        "Node: 64 req/s (p99 1.1 s)",
    ));
    out.push(target(
        "booking creation through the gateway (wrk c16)",
        f(&scenario(results, "booking")["closedLoop"]["requestsPerSec"]),
        "req/s",
        1_500.0,
        true,
        "Node: 1,109 req/s (p99 29 ms)",
    ));
    out.push(target(
        "login with argon2id at OWASP parameters (wrk c16)",
        f(&scenario(results, "login")["closedLoop"]["requestsPerSec"]),
        "req/s",
        50.0,
        true,
        "Node: 43 req/s",
    ));
    let flow = results["gateway"]["flows"].as_array().and_then(|a| a.iter().find(|f| f["name"] == "flow"));
    out.push(target(
        "whole flow signup → … → ticket (16 clients)",
        flow.and_then(|f| f["flowsPerSec"].as_f64()),
        "flows/s",
        200.0,
        true,
        "",
    ));
    let signed_in =
        results["gateway"]["flows"].as_array().and_then(|a| a.iter().find(|f| f["name"] == "flow_signed_in"));
    out.push(target(
        "whole flow without signup, search → … → ticket (16 clients)",
        signed_in.and_then(|f| f["flowsPerSec"].as_f64()),
        "flows/s",
        200.0,
        true,
        "",
    ));
    let searches = results["inProcess"]["search"].as_array().cloned().unwrap_or_default();
    let worst = |stops: Option<u64>, which: &str| -> Option<f64> {
        searches
            .iter()
            .filter(|s| stops.is_none_or(|n| s["maxStops"].as_u64() == Some(n)))
            .filter_map(|s| s[which]["latency"]["p99Ms"].as_f64())
            .reduce(f64::max)
    };
    let pair = |origin: &str, destination: &str, stops: u64, which: &str| -> Option<f64> {
        searches
            .iter()
            .find(|s| s["origin"] == origin && s["destination"] == destination && s["maxStops"].as_u64() == Some(stops))
            .and_then(|s| s[which]["latency"]["p99Ms"].as_f64())
    };
    out.push(target(
        "uncached 2-stop search p99, in-process, PAT→ORD (the 2-stop busy pair)",
        pair("PAT", "ORD", 2, "uncached"),
        "ms",
        25.0,
        false,
        "",
    ));
    out.push(target(
        "uncached 2-stop search p99, in-process, worst pair (DEL→BOM hub to hub)",
        worst(Some(2), "uncached"),
        "ms",
        25.0,
        false,
        "",
    ));
    out.push(target("cached search p99, in-process (worst case)", worst(None, "cached"), "ms", 1.0, false, ""));
    let trips = results["inProcess"]["trips"].as_array().cloned().unwrap_or_default();
    let worst_trip = |kind: &str, which: &str| -> Option<f64> {
        trips
            .iter()
            .filter(|t| t["kind"] == kind)
            .filter_map(|t| t[which]["latency"]["p99Ms"].as_f64())
            .reduce(f64::max)
    };
    for (name, kind, which, goal) in [
        ("uncached round-trip search p99, in-process, busy pairs", "roundTrip", "uncached", 30.0),
        ("uncached multi-city search (3 slices) p99, in-process", "multiCity", "uncached", 40.0),
        ("uncached 31-day fare calendar p99, in-process", "calendar", "uncached", 50.0),
        ("cached 31-day fare calendar p99, in-process", "calendar", "cached", 1.0),
    ] {
        out.push(target(name, worst_trip(kind, which), "ms", goal, false, ""));
    }
    let holds = f(&results["inProcess"]["writes"]["holds"]["perSec"]);
    let evalsha = f(&results["ceilings"]["redis"]["evalshaHold"]["requestsPerSec"]);
    out.push(target(
        "in-process holds / redis-benchmark EVALSHA of the hold-shaped script",
        holds.zip(evalsha).map(|(h, e)| 100.0 * h / e),
        "%",
        30.0,
        true,
        "",
    ));
    let cold = results["coldStart"]["functions"].as_array().cloned().unwrap_or_default();
    let worst_cold = |key: &str| cold.iter().filter_map(|c| c[key].as_f64()).reduce(f64::max);
    out.push(target(
        "cold start exec → ready, slowest function (median of runs)",
        worst_cold("readyMsMedian"),
        "ms",
        15.0,
        false,
        "Node: 115 ms",
    ));
    out.push(target(
        "idle RSS, largest function",
        worst_cold("idleRssMibMedian"),
        "MiB",
        20.0,
        false,
        "Node: 566 MiB for 9 processes",
    ));
    let zips = results["sizes"].as_array().cloned().unwrap_or_default();
    out.push(target(
        "bootstrap zip, largest function",
        zips.iter().filter_map(|z| z["zipBytes"].as_f64()).reduce(f64::max).map(|b| b / 1e6),
        "MB",
        4.0,
        false,
        "",
    ));
    out.push(target(
        "local gateway idle RSS (all functions in one process), at start",
        f(&results["gatewayRss"]["atStart"]["rssMib"]),
        "MiB",
        60.0,
        false,
        "",
    ));
    out.push(target(
        "local gateway idle RSS, after the load",
        f(&results["gatewayRss"]["afterLoad"]["rssMib"]),
        "MiB",
        60.0,
        false,
        "",
    ));
    json!(out)
}

fn num(v: &Value, digits: usize) -> String {
    match v.as_f64() {
        Some(x) if x >= 10_000.0 && digits == 0 => {
            let s = format!("{x:.0}");
            let mut out = String::new();
            for (i, c) in s.chars().enumerate() {
                if i > 0 && (s.len() - i) % 3 == 0 {
                    out.push(',');
                }
                out.push(c);
            }
            out
        }
        Some(x) => format!("{x:.digits$}"),
        None => "–".into(),
    }
}

fn ratio(a: &Value, b: &Value) -> String {
    match (a.as_f64(), b.as_f64()) {
        (Some(a), Some(b)) if b > 0.0 => format!("{:.0}%", 100.0 * a / b),
        _ => "–".into(),
    }
}

pub fn markdown(r: &Value) -> String {
    let mut md = String::new();
    let meta = &r["meta"];
    md.push_str("# Benchmark results\n\n");
    md.push_str(&format!(
        "Run of `local/bench` on {} — {} ({} cores, {} GiB), commit {}. Warm-up {} s, closed loop {} s, open loop {} s.\n\n",
        meta["date"].as_str().unwrap_or("?"),
        meta["machine"]["cpu"].as_str().unwrap_or("?"),
        meta["machine"]["cores"],
        meta["machine"]["memoryGib"],
        meta["commit"].as_str().unwrap_or("?"),
        meta["durations"]["warmupSeconds"],
        meta["durations"]["closedLoopSeconds"],
        meta["durations"]["openLoopSeconds"],
    ));
    let loads: Vec<f64> =
        meta["loadAverages"].as_array().into_iter().flatten().filter_map(|l| l["loadAvg1m"].as_f64()).collect();
    if !loads.is_empty() {
        md.push_str(&format!(
            "1-minute load average at the start of each phase: {:.2} to {:.2} (the load generator, Postgres, Redis, moto and the gateway share the 2 cores; other work on the machine shows here too).\n\n",
            loads.iter().copied().fold(f64::INFINITY, f64::min),
            loads.iter().copied().fold(0.0, f64::max)
        ));
    }
    for note in meta["notes"].as_array().into_iter().flatten() {
        md.push_str(&format!("- {}\n", note.as_str().unwrap_or("")));
    }
    if meta["notes"].as_array().is_some_and(|n| !n.is_empty()) {
        md.push('\n');
    }

    md.push_str("## Targets\n\n| target | measured | goal | met |\n|---|---|---|---|\n");
    for t in r["targets"].as_array().into_iter().flatten() {
        md.push_str(&format!(
            "| {} | {} {} | {}{} | {} |\n",
            t["target"].as_str().unwrap_or(""),
            num(&t["measured"], 2),
            t["unit"].as_str().unwrap_or(""),
            t["goal"].as_str().unwrap_or(""),
            t["note"].as_str().filter(|n| !n.is_empty()).map(|n| format!(" ({n})")).unwrap_or_default(),
            match t["met"].as_bool() {
                Some(true) => "yes",
                Some(false) => "**no**",
                None => "not measured",
            }
        ));
    }

    if let Some(scenarios) = r["gateway"]["scenarios"].as_array() {
        let bare = &scenario(r, "jwks")["closedLoop"]["requestsPerSec"];
        let evalsha = &r["ceilings"]["redis"]["evalshaHold"]["requestsPerSec"];
        let pgbench = &r["ceilings"]["pgbench"]["transactionsPerSec"];
        md.push_str("\n## Through the local gateway\n\n");
        md.push_str("Closed loop: `wrk -t2 -cN -d10s --latency` after a 3 s warm-up (the ceiling; wrk's percentiles hide queueing). ");
        md.push_str(
            "Open loop: a fixed rate of half the closed-loop figure, each request timed from its scheduled send.\n\n",
        );
        md.push_str("| scenario | N | req/s | p50 ms | p99 ms | non-2xx | vs ceiling | open-loop rate | p50 ms | p99 ms | max ms |\n");
        md.push_str("|---|---|---|---|---|---|---|---|---|---|---|\n");
        for s in scenarios {
            let name = s["name"].as_str().unwrap_or("");
            let closed = &s["closedLoop"];
            let vs = match name {
                "hold" | "hold_contention" => format!("{} of EVALSHA", ratio(&closed["requestsPerSec"], evalsha)),
                "booking" => format!("{} of pgbench", ratio(&closed["requestsPerSec"], pgbench)),
                "options" | "jwks" => "(ceiling)".into(),
                _ => format!("{} of bare route", ratio(&closed["requestsPerSec"], bare)),
            };
            let open = &s["openLoop"];
            md.push_str(&format!(
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
                name,
                s["connections"],
                num(&closed["requestsPerSec"], 0),
                num(&closed["p50Ms"], 2),
                num(&closed["p99Ms"], 2),
                closed["non2xx"],
                vs,
                num(&open["rate"], 0),
                num(&open["latency"]["p50Ms"], 2),
                num(&open["latency"]["p99Ms"], 2),
                num(&open["latency"]["maxMs"], 1),
            ));
        }
        md.push_str("\n| scenario | what |\n|---|---|\n");
        for s in scenarios {
            let mut what = s["what"].as_str().unwrap_or("").replace('|', "\\|");
            if let Some(h) = s["closedLoop"]["cacheHits"].as_u64() {
                what.push_str(&format!(
                    " — cache hits seen: {h} closed loop, {} open loop",
                    s["openLoop"]["cacheHits"].as_u64().unwrap_or(0)
                ));
            }
            if s["closedLoop"]["non2xx"].as_u64().unwrap_or(0) > 0
                || s["openLoop"]["statuses"].as_object().is_some_and(|m| m.len() > 1)
            {
                what.push_str(&format!(" — open-loop statuses {}", s["openLoop"]["statuses"]));
            }
            md.push_str(&format!("| {} | {} |\n", s["name"].as_str().unwrap_or(""), what));
        }
        let kinds = ["gateway", "postgres", "redis", "moto", "load generator", "other"];
        let mut cpu_table = String::new();
        for s in scenarios {
            let cpu = &s["cpuPerRequest"];
            if !cpu.is_object() {
                continue;
            }
            let cells: Vec<String> =
                kinds.iter().map(|k| num(&json!(cpu["cpuMsPerUnit"][*k].as_f64().map(|ms| ms * 1000.0)), 0)).collect();
            cpu_table.push_str(&format!(
                "| {} | {} | {}% | {} |\n",
                s["name"].as_str().unwrap_or(""),
                cells.join(" | "),
                num(&cpu["machineBusyPercent"], 0),
                num(&s["gatewayRssAfter"]["rssMib"], 0),
            ));
        }
        if !cpu_table.is_empty() {
            md.push_str("\nCPU per request in the closed-loop run, µs, by process (`/proc` times during the run divided by the requests wrk completed; `gateway` is every function's code, `load generator` is wrk), and the gateway's resident memory once the scenario is over:\n\n| scenario | gateway | postgres | redis | moto | load generator | other | machine busy | gateway RSS after, MiB |\n|---|---|---|---|---|---|---|---|---|\n");
            md.push_str(&cpu_table);
        }
    }
    if let Some(flows) = r["gateway"]["flows"].as_array() {
        md.push_str("\n### Whole flow\n\n| flow | clients | flows/s | flow p50 ms | flow p99 ms | step p50 / p99 ms | failed flows | retries |\n|---|---|---|---|---|---|---|---|\n");
        let mut cpu_rows = String::new();
        for flow in flows {
            let steps: Vec<String> = ["signup", "search", "hold", "book", "pay", "ticket"]
                .iter()
                .filter(|s| flow["steps"][**s].is_object())
                .map(|s| {
                    format!("{s} {} / {}", num(&flow["steps"][*s]["p50Ms"], 1), num(&flow["steps"][*s]["p99Ms"], 1))
                })
                .collect();
            md.push_str(&format!(
                "| {} | {} | {} | {} | {} | {} | {} | {} |\n",
                flow["what"].as_str().unwrap_or(""),
                flow["clients"],
                num(&flow["flowsPerSec"], 1),
                num(&flow["flowLatency"]["p50Ms"], 1),
                num(&flow["flowLatency"]["p99Ms"], 1),
                steps.join(", "),
                flow["failures"],
                flow["retries"]
            ));
            let cpu = &flow["cpuPerFlow"];
            if cpu.is_object() {
                let by_kind: Vec<String> = cpu["cpuMsPerUnit"]
                    .as_object()
                    .into_iter()
                    .flatten()
                    .map(|(kind, ms)| format!("{kind} {}", num(ms, 1)))
                    .collect();
                cpu_rows.push_str(&format!(
                    "| {} | {} | {}% | {} ms | {} |\n",
                    flow["name"].as_str().unwrap_or(""),
                    by_kind.join(", "),
                    num(&cpu["machineBusyPercent"], 0),
                    num(&flow["productCpuMsPerFlow"], 1),
                    num(&flow["productCeilingFlowsPerSec"], 0),
                ));
            }
        }
        if !cpu_rows.is_empty() {
            md.push_str("\nWhere the CPU went, per completed flow (from `/proc`: CPU time of each kind of process during the measured run, divided by the flows). *Product* = the gateway (every function) + Postgres + Redis; *product ceiling* = the machine's cores divided by the product's CPU per flow: the flows/s these cores could carry with nothing else on them (no emulator, no load generator).\n\n| flow | CPU ms per flow, by process | machine busy | product CPU per flow | product ceiling, flows/s |\n|---|---|---|---|---|\n");
            md.push_str(&cpu_rows);
        }
    }
    if let Some(searches) = r["inProcess"]["search"].as_array() {
        md.push_str("\n## In-process (handler called directly, one client)\n\n");
        let verify = &r["inProcess"]["tokenVerification"];
        if verify.is_object() {
            // Samples are whole microseconds: 0 means under one.
            let again = match verify["p50Us"].as_f64() {
                Some(us) if us < 1.0 => "under 1 µs".to_string(),
                _ => format!("{} µs", num(&verify["p50Us"], 1)),
            };
            md.push_str(&format!(
                "Verifying the bearer token (RS256): {} µs p50 the first time an instance sees it, {again} p50 after (an instance remembers the tokens it verified until they expire).\n\n",
                num(&verify["firstSightP50Us"], 1),
            ));
        }
        let hashing = &r["inProcess"]["passwordHash"];
        if hashing.is_object() {
            md.push_str(&format!(
                "One argon2id hash (19 MiB, t=2, p=1; what every login and signup costs), alone: p50 {} ms, p99 {} ms.\n\n",
                num(&hashing["p50Ms"], 1),
                num(&hashing["p99Ms"], 1)
            ));
        }
        md.push_str("Uncached: the query's cache entry is deleted before each call (not timed), so every call misses Redis and queries Postgres; the instance is warm (airport directory loaded, connections open) and so is Postgres' buffer cache.\n\n");
        md.push_str("| search | itineraries | uncached p50 ms | p99 ms | max ms | calls (misses) | cached p50 ms | p99 ms | calls (hits) |\n|---|---|---|---|---|---|---|---|---|\n");
        for s in searches {
            if s["status"].as_u64() != Some(200) {
                md.push_str(&format!(
                    "| {}→{} maxStops={} | answered {} ({}) after {} ms | – | – | – | – | – | – | – |\n",
                    s["origin"].as_str().unwrap_or(""),
                    s["destination"].as_str().unwrap_or(""),
                    s["maxStops"],
                    s["status"],
                    s["error"].as_str().unwrap_or(""),
                    num(&s["firstCallMs"], 0),
                ));
                continue;
            }
            md.push_str(&format!(
                "| {}→{} maxStops={} | {} | {} | {} | {} | {} ({}) | {} | {} | {} ({}) |\n",
                s["origin"].as_str().unwrap_or(""),
                s["destination"].as_str().unwrap_or(""),
                s["maxStops"],
                s["itineraries"],
                num(&s["uncached"]["latency"]["p50Ms"], 2),
                num(&s["uncached"]["latency"]["p99Ms"], 2),
                num(&s["uncached"]["latency"]["maxMs"], 2),
                s["uncached"]["latency"]["count"],
                s["uncached"]["misses"],
                num(&s["cached"]["latency"]["p50Ms"], 3),
                num(&s["cached"]["latency"]["p99Ms"], 3),
                s["cached"]["latency"]["count"],
                s["cached"]["hits"],
            ));
        }
    }
    if let Some(trips) = r["inProcess"]["trips"].as_array().filter(|t| !t.is_empty()) {
        md.push_str("\n| journey | found | uncached p50 ms | p99 ms | max ms | calls (misses) | cached p50 ms | p99 ms | calls (hits) |\n|---|---|---|---|---|---|---|---|---|\n");
        for t in trips {
            if t["status"].as_u64() != Some(200) {
                md.push_str(&format!(
                    "| {} | answered {} ({}) | – | – | – | – | – | – | – |\n",
                    t["what"].as_str().unwrap_or(""),
                    t["status"],
                    t["error"].as_str().unwrap_or("")
                ));
                continue;
            }
            md.push_str(&format!(
                "| {} | {} | {} | {} | {} | {} ({}) | {} | {} | {} ({}) |\n",
                t["what"].as_str().unwrap_or(""),
                t["found"],
                num(&t["uncached"]["latency"]["p50Ms"], 2),
                num(&t["uncached"]["latency"]["p99Ms"], 2),
                num(&t["uncached"]["latency"]["maxMs"], 2),
                t["uncached"]["latency"]["count"],
                t["uncached"]["misses"],
                num(&t["cached"]["latency"]["p50Ms"], 3),
                num(&t["cached"]["latency"]["p99Ms"], 3),
                t["cached"]["latency"]["count"],
                t["cached"]["hits"],
            ));
        }
    }
    let writes = &r["inProcess"]["writes"];
    if writes.is_object() {
        let evalsha = &r["ceilings"]["redis"]["evalshaHold"]["requestsPerSec"];
        let pgbench = &r["ceilings"]["pgbench"]["transactionsPerSec"];
        md.push_str("\n| in-process writes | clients | calls/s | successes/s | p50 ms | p99 ms | statuses | vs ceiling |\n|---|---|---|---|---|---|---|---|\n");
        for (name, key, ceiling, label) in [
            ("seat holds, random seats", "holds", evalsha, "EVALSHA"),
            ("seat holds, same 10 seats", "holdsContention", evalsha, "EVALSHA"),
            ("booking creations", "bookings", pgbench, "pgbench"),
        ] {
            let w = &writes[key];
            md.push_str(&format!(
                "| {name} | {} | {} | {} | {} | {} | {} | {} of {label} |\n",
                w["clients"],
                num(&w["perSec"], 0),
                num(&w["successPerSec"], 0),
                num(&w["latency"]["p50Ms"], 2),
                num(&w["latency"]["p99Ms"], 2),
                w["statuses"],
                ratio(&w["perSec"], ceiling),
            ));
        }
    }
    let c = &r["ceilings"];
    if c.is_object() {
        md.push_str(
            "\n## Ceilings (same machine, same run)\n\n| ceiling | req/s | p50 ms | p99 ms |\n|---|---|---|---|\n",
        );
        for (name, v) in [
            ("redis-benchmark SET (-c 64)", &c["redis"]["set"]),
            ("redis-benchmark SET NX PX (-c 64)", &c["redis"]["setNx"]),
            ("redis-benchmark EVALSHA hold-shaped script, 1 seat (-c 64)", &c["redis"]["evalshaHold"]),
        ] {
            md.push_str(&format!(
                "| {name} | {} | {} | {} |\n",
                num(&v["requestsPerSec"], 0),
                num(&v["p50Ms"], 3),
                num(&v["p99Ms"], 3)
            ));
        }
        md.push_str(&format!(
            "| pgbench booking-shaped transaction (-c 16 -j 2, prepared) | {} tx/s | avg {} | – |\n",
            num(&c["pgbench"]["transactionsPerSec"], 0),
            num(&c["pgbench"]["latencyAvgMs"], 2)
        ));
    }
    if let Some(cold) = r["coldStart"]["functions"].as_array() {
        md.push_str(&format!(
            "\n## Cold start, memory and size per function\n\nEach release binary started {} times against the local Runtime API stub (`lambda_stub`): exec → first `GET …/invocation/next` (ready), exec → the first event's response, RSS once idle again, peak RSS. Init connections: connections to Postgres/Redis/AWS opened before the first `next` (endpoints pointed at listeners of the stub).\n\n",
            r["coldStart"]["runsPerFunction"]
        ));
        md.push_str("| function | ready ms (median) | first response ms | first event → status | idle RSS MiB | peak RSS MiB | init connections | bootstrap MB | zip MB |\n|---|---|---|---|---|---|---|---|---|\n");
        let sizes = r["sizes"].as_array().cloned().unwrap_or_default();
        for f in cold {
            let size = sizes.iter().find(|s| s["function"] == f["function"]).cloned().unwrap_or(Value::Null);
            md.push_str(&format!(
                "| {} | {} | {} | {} → {} | {} | {} | {} | {} | {} |\n",
                f["function"].as_str().unwrap_or(""),
                num(&f["readyMsMedian"], 2),
                num(&f["firstResponseMsMedian"], 2),
                f["event"].as_str().unwrap_or(""),
                match &f["firstResponseStatus"] {
                    Value::Null if f["errors"].as_u64() == Some(0) => "ok".to_string(),
                    Value::Null => "error".to_string(),
                    status => status.to_string(),
                },
                num(&f["idleRssMibMedian"], 1),
                num(&f["peakRssMibMax"], 1),
                f["initConnections"],
                size["bootstrapBytes"].as_f64().map(|b| format!("{:.2}", b / 1e6)).unwrap_or("–".into()),
                size["zipBytes"].as_f64().map(|b| format!("{:.2}", b / 1e6)).unwrap_or("–".into()),
            ));
        }
    }
    let g = &r["gatewayRss"];
    if g.is_object() {
        md.push_str(&format!(
            "\n## Local gateway memory\n\nEvery HTTP function, the schedule and the queue consumers in one process: {} MiB RSS idle after start, {} MiB idle after the load, {} MiB peak.\n",
            num(&g["atStart"]["rssMib"], 1),
            num(&g["afterLoad"]["rssMib"], 1),
            num(&g["afterLoad"]["peakRssMib"], 1)
        ));
    }
    md
}
