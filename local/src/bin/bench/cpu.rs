//! Where the CPU went during a run: CPU time per process kind, read from
//! `/proc`, so a figure bounded by one component (moto, argon2) says so.

use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// Linux reports process times in clock ticks of 1/100 s on every platform
/// this runs on (`USER_HZ`, fixed at 100 for the `/proc` ABI).
const TICKS_PER_SECOND: f64 = 100.0;

/// The kind a process counts as, by its command name.
fn kind(comm: &str) -> &'static str {
    match comm {
        "gateway" => "gateway",
        "postgres" => "postgres",
        "redis-server" => "redis",
        "moto_server" => "moto",
        "bench" | "wrk" => "load generator",
        _ => "other",
    }
}

/// CPU seconds so far, per kind, and the machine's busy and total seconds.
#[derive(Clone, Default)]
pub struct Snapshot {
    by_kind: BTreeMap<&'static str, f64>,
    machine_busy: f64,
    machine_total: f64,
}

/// `utime + stime + cutime + cstime` of every process: the children's part
/// keeps the CPU of Postgres backends that ended during the run (their
/// postmaster reaps them).
pub fn snapshot() -> Snapshot {
    let mut snap = Snapshot::default();
    if let Ok(entries) = std::fs::read_dir("/proc") {
        for entry in entries.flatten() {
            let name = entry.file_name();
            if !name.to_string_lossy().bytes().all(|b| b.is_ascii_digit()) {
                continue;
            }
            let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else { continue };
            let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else { continue };
            let comm = &stat[open + 1..close];
            // After the command: state is field 3; utime..cstime are 14..17.
            let fields: Vec<&str> = stat[close + 1..].split_whitespace().collect();
            let ticks: f64 = fields.get(11..15).into_iter().flatten().filter_map(|v| v.parse::<f64>().ok()).sum();
            *snap.by_kind.entry(kind(comm)).or_default() += ticks / TICKS_PER_SECOND;
        }
    }
    if let Some(line) = std::fs::read_to_string("/proc/stat").ok().and_then(|s| s.lines().next().map(str::to_owned)) {
        let values: Vec<f64> = line.split_whitespace().skip(1).filter_map(|v| v.parse().ok()).collect();
        let total: f64 = values.iter().take(8).sum();
        let idle = values.get(3).copied().unwrap_or(0.0) + values.get(4).copied().unwrap_or(0.0);
        snap.machine_total = total / TICKS_PER_SECOND;
        snap.machine_busy = (total - idle) / TICKS_PER_SECOND;
    }
    snap
}

/// CPU milliseconds per unit of work (flow, request) between two snapshots,
/// per kind, and how busy the machine was.
pub fn per_unit(before: &Snapshot, after: &Snapshot, units: u64) -> Value {
    let units = units.max(1) as f64;
    let mut by_kind = Map::new();
    for (kind, seconds) in &after.by_kind {
        let used = (seconds - before.by_kind.get(kind).copied().unwrap_or(0.0)).max(0.0);
        by_kind.insert(kind.to_string(), json!((used * 1000.0 / units * 100.0).round() / 100.0));
    }
    let total = after.machine_total - before.machine_total;
    let busy = after.machine_busy - before.machine_busy;
    json!({
        "cpuMsPerUnit": by_kind,
        "machineBusyPercent": if total > 0.0 { (busy / total * 1000.0).round() / 10.0 } else { 0.0 },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_by_command_name() {
        assert_eq!(kind("gateway"), "gateway");
        assert_eq!(kind("postgres"), "postgres");
        assert_eq!(kind("moto_server"), "moto");
        assert_eq!(kind("wrk"), "load generator");
        assert_eq!(kind("sshd"), "other");
    }

    #[test]
    fn per_unit_divides_the_difference() {
        let mut before = Snapshot::default();
        before.by_kind.insert("gateway", 1.0);
        before.machine_total = 10.0;
        before.machine_busy = 4.0;
        let mut after = before.clone();
        after.by_kind.insert("gateway", 3.0);
        after.by_kind.insert("moto", 1.0);
        after.machine_total = 20.0;
        after.machine_busy = 12.0;
        let v = per_unit(&before, &after, 100);
        assert_eq!(v["cpuMsPerUnit"]["gateway"], json!(20.0));
        assert_eq!(v["cpuMsPerUnit"]["moto"], json!(10.0));
        assert_eq!(v["machineBusyPercent"], json!(80.0));
    }

    #[test]
    fn this_process_is_seen() {
        // Burn a little CPU so this process has ticks to show.
        let t = std::time::Instant::now();
        let mut x = 0u64;
        while t.elapsed() < std::time::Duration::from_millis(50) {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
        }
        std::hint::black_box(x);
        let snap = snapshot();
        assert!(snap.machine_total > 0.0);
        assert!(snap.by_kind.values().sum::<f64>() > 0.0);
    }
}
