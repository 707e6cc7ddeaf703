//! Latency samples and their summary.

use serde_json::{json, Value};
use std::time::Duration;

/// Latencies in microseconds; summarised by sorting (runs are bounded, so
/// a few hundred thousand samples at most).
#[derive(Default, Clone)]
pub struct Samples {
    micros: Vec<u64>,
}

impl Samples {
    pub fn with_capacity(n: usize) -> Self {
        Samples { micros: Vec::with_capacity(n) }
    }

    pub fn push(&mut self, d: Duration) {
        self.micros.push(d.as_micros() as u64);
    }

    pub fn extend(&mut self, other: Samples) {
        self.micros.extend(other.micros);
    }

    pub fn summary(&mut self) -> Summary {
        self.micros.sort_unstable();
        let n = self.micros.len();
        let at = |q: f64| -> f64 {
            if n == 0 {
                return f64::NAN;
            }
            let index = ((q * n as f64).ceil() as usize).clamp(1, n) - 1;
            self.micros[index] as f64 / 1000.0
        };
        let mean = if n == 0 { f64::NAN } else { self.micros.iter().sum::<u64>() as f64 / n as f64 / 1000.0 };
        Summary {
            count: n,
            mean_ms: mean,
            p50_ms: at(0.50),
            p90_ms: at(0.90),
            p99_ms: at(0.99),
            p999_ms: at(0.999),
            max_ms: self.micros.last().map(|m| *m as f64 / 1000.0).unwrap_or(f64::NAN),
        }
    }
}

#[derive(Clone, Copy, Debug)]
pub struct Summary {
    pub count: usize,
    pub mean_ms: f64,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub p999_ms: f64,
    pub max_ms: f64,
}

pub fn round(x: f64, digits: i32) -> Value {
    if !x.is_finite() {
        return Value::Null;
    }
    let f = 10f64.powi(digits);
    json!((x * f).round() / f)
}

impl Summary {
    pub fn to_json(self) -> Value {
        json!({
            "count": self.count,
            "meanMs": round(self.mean_ms, 3),
            "p50Ms": round(self.p50_ms, 3),
            "p90Ms": round(self.p90_ms, 3),
            "p99Ms": round(self.p99_ms, 3),
            "p999Ms": round(self.p999_ms, 3),
            "maxMs": round(self.max_ms, 3),
        })
    }
}
