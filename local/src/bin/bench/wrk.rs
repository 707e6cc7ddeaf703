//! Closed-loop load with `wrk` (as the Node baseline was measured:
//! `wrk -t2 -cN -d10s --latency` after a 3 s warm-up). The requests are
//! pre-rendered into a Lua script that cycles through them.

use anyhow::{bail, Context};
use serde_json::{json, Value};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

fn lua_quote(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() + 16);
    out.push('"');
    for &b in bytes {
        match b {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            b'\r' => out.push_str("\\r"),
            b'\n' => out.push_str("\\n"),
            0x20..=0x7e => out.push(b as char),
            _ => out.push_str(&format!("\\{b:03}")),
        }
    }
    out.push('"');
    out
}

/// Writes a wrk script sending `requests` in turn (each thread from its own
/// offset); with `count_cache_hits` it also counts `x-cache: HIT` answers,
/// with `count_statuses` the answers of each status other than 2xx (both
/// cost a Lua call per response, so read-only ceilings go without).
pub fn write_script(
    path: &Path,
    requests: &[Vec<u8>],
    count_cache_hits: bool,
    count_statuses: bool,
) -> anyhow::Result<()> {
    let mut lua = String::from("local reqs = {\n");
    for r in requests {
        lua.push_str(&lua_quote(r));
        lua.push_str(",\n");
    }
    lua.push_str(
        r#"}
local threads = {}
function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end
-- The two threads start half the list apart, so that within a run they
-- never send the same request (the same user booking the same flight)
-- at the same moment.
function init(args)
  i = (tid or 0) * math.floor(#reqs / 2)
  hits = 0
end
function request()
  i = i + 1
  return reqs[(i % #reqs) + 1]
end
"#,
    );
    if count_cache_hits || count_statuses {
        lua.push_str(&format!(
            r#"local count_hits, count_statuses = {count_cache_hits}, {count_statuses}
function response(status, headers, body)
  if count_hits and headers["x-cache"] == "HIT" then hits = hits + 1 end
  if count_statuses and status >= 300 then
    local name = "status" .. status
    _G[name] = (_G[name] or 0) + 1
  end
end
function done(summary, latency, requests)
  if count_hits then
    local h = 0
    for _, t in ipairs(threads) do h = h + (t:get("hits") or 0) end
    io.write(string.format("bench-cache-hits: %d\n", h))
  end
  if count_statuses then
    io.write("bench-statuses:")
    for status = 300, 599 do
      local n = 0
      for _, t in ipairs(threads) do n = n + (t:get("status" .. status) or 0) end
      if n > 0 then io.write(string.format(" %d=%d", status, n)) end
    end
    io.write("\n")
  end
end
"#
        ));
    }
    std::fs::write(path, lua).with_context(|| format!("writing {}", path.display()))
}

fn duration_ms(text: &str) -> Option<f64> {
    let text = text.trim();
    let split = text.find(|c: char| c.is_ascii_alphabetic())?;
    let (number, unit) = text.split_at(split);
    let n: f64 = number.parse().ok()?;
    Some(match unit {
        "us" => n / 1000.0,
        "ms" => n,
        "s" => n * 1000.0,
        "m" => n * 60_000.0,
        "h" => n * 3_600_000.0,
        _ => return None,
    })
}

pub struct WrkResult {
    pub requests_per_sec: f64,
    pub requests: u64,
    pub p50_ms: f64,
    pub p75_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    pub non_2xx: u64,
    pub socket_errors: String,
    pub cache_hits: Option<u64>,
    /// Answers per status other than 2xx, when counted.
    pub statuses: Option<std::collections::BTreeMap<u16, u64>>,
}

impl WrkResult {
    pub fn to_json(&self) -> Value {
        use crate::stats::round;
        json!({
            "requestsPerSec": round(self.requests_per_sec, 1),
            "requests": self.requests,
            "p50Ms": round(self.p50_ms, 3),
            "p75Ms": round(self.p75_ms, 3),
            "p90Ms": round(self.p90_ms, 3),
            "p99Ms": round(self.p99_ms, 3),
            "maxMs": round(self.max_ms, 3),
            "non2xx": self.non_2xx,
            "socketErrors": self.socket_errors,
            "cacheHits": self.cache_hits,
            "non2xxStatuses": self.statuses,
        })
    }
}

pub fn parse(output: &str) -> anyhow::Result<WrkResult> {
    let mut result = WrkResult {
        requests_per_sec: f64::NAN,
        requests: 0,
        p50_ms: f64::NAN,
        p75_ms: f64::NAN,
        p90_ms: f64::NAN,
        p99_ms: f64::NAN,
        max_ms: f64::NAN,
        non_2xx: 0,
        socket_errors: "none".into(),
        cache_hits: None,
        statuses: None,
    };
    for line in output.lines() {
        let t = line.trim();
        let words: Vec<&str> = t.split_whitespace().collect();
        if let Some(rest) = t.strip_prefix("Requests/sec:") {
            result.requests_per_sec = rest.trim().parse().unwrap_or(f64::NAN);
        } else if t.starts_with("Latency ") && words.len() >= 4 {
            result.max_ms = duration_ms(words[3]).unwrap_or(f64::NAN);
        } else if words.len() == 2 && words[0].ends_with('%') {
            let value = duration_ms(words[1]).unwrap_or(f64::NAN);
            match words[0] {
                "50%" => result.p50_ms = value,
                "75%" => result.p75_ms = value,
                "90%" => result.p90_ms = value,
                "99%" => result.p99_ms = value,
                _ => {}
            }
        } else if t.contains(" requests in ") {
            result.requests = words[0].parse().unwrap_or(0);
        } else if let Some(rest) = t.strip_prefix("Non-2xx or 3xx responses:") {
            result.non_2xx = rest.trim().parse().unwrap_or(0);
        } else if let Some(rest) = t.strip_prefix("Socket errors:") {
            result.socket_errors = rest.trim().to_string();
        } else if let Some(rest) = t.strip_prefix("bench-cache-hits:") {
            result.cache_hits = rest.trim().parse().ok();
        } else if let Some(rest) = t.strip_prefix("bench-statuses:") {
            let pairs = rest.split_whitespace().filter_map(|p| p.split_once('='));
            result.statuses = Some(pairs.filter_map(|(s, n)| Some((s.parse().ok()?, n.parse().ok()?))).collect());
        }
    }
    if !result.requests_per_sec.is_finite() {
        bail!("could not read wrk's output:\n{output}");
    }
    Ok(result)
}

/// `wrk -t2 -cN -dD --latency` with the script; a warm-up run first.
pub fn run(
    url: &str,
    script: &Path,
    connections: usize,
    warmup: Duration,
    duration: Duration,
) -> anyhow::Result<WrkResult> {
    let wrk = |seconds: u64, latency: bool| -> anyhow::Result<String> {
        let mut command = Command::new("wrk");
        command
            .arg("-t2")
            .arg(format!("-c{connections}"))
            .arg(format!("-d{seconds}s"))
            .arg("--timeout")
            .arg("10s")
            .arg("-s")
            .arg(script);
        if latency {
            command.arg("--latency");
        }
        let output = command.arg(url).output().context("running wrk (apt-get install wrk)")?;
        if !output.status.success() {
            bail!("wrk failed: {}", String::from_utf8_lossy(&output.stderr));
        }
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    };
    if !warmup.is_zero() {
        wrk(warmup.as_secs().max(1), false)?;
    }
    parse(&wrk(duration.as_secs().max(1), true)?)
}

#[cfg(test)]
mod tests {
    #[test]
    fn reads_wrk_output() {
        let out = "Running 10s test @ http://127.0.0.1:8090/api/health
  2 threads and 64 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.23ms  456.00us  10.00ms   80.00%
    Req/Sec    25.00k     1.00k   30.00k    70.00%
  Latency Distribution
     50%    1.10ms
     75%    1.40ms
     90%    1.80ms
     99%    3.00s
  500000 requests in 10.00s, 100.00MB read
  Non-2xx or 3xx responses: 123
Requests/sec:  50000.00
Transfer/sec:     10.00MB
bench-cache-hits: 7
bench-statuses: 409=120 503=3
";
        let r = super::parse(out).unwrap();
        assert_eq!(r.requests, 500000);
        assert_eq!(r.non_2xx, 123);
        assert_eq!(r.p99_ms, 3000.0);
        assert_eq!(r.max_ms, 10.0);
        assert_eq!(r.cache_hits, Some(7));
        assert_eq!(r.statuses.unwrap(), [(409, 120), (503, 3)].into_iter().collect());
    }
}
