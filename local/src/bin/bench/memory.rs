//! Phase 6: the gateway's memory, from `/proc` (idle at start, after each scenario and after
//! the load; the peak is the kernel's high-water mark).

use serde_json::{json, Value};

pub fn rss(pid: u32) -> Value {
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
