//! Latency of one cached request, uncached (its cache entries deleted
//! before each call, not timed: every call misses Redis and computes) and
//! cached, on a warm instance: what the in-process search, trip and
//! calendar figures are made of.

use crate::context::delete_keys;
use crate::requests::body_text;
use crate::stats::{round, Samples, Summary};
use lambda_http::{Body, Response};
use redis::aio::MultiplexedConnection;
use serde_json::{json, Value};
use std::future::Future;
use std::time::{Duration, Instant};

/// What one request's measurement found.
pub enum Measured {
    /// The first call did not answer `200`: (status, milliseconds, body).
    Refused(u16, f64, Value),
    Done(Figures),
}

pub struct Figures {
    pub first_ms: f64,
    /// The first answer's body.
    pub first: Value,
    pub uncached: Summary,
    pub misses: usize,
    pub cached: Summary,
    pub hits: usize,
}

impl Figures {
    pub fn to_json(&self) -> Value {
        json!({
            "firstCallMs": round(self.first_ms, 1),
            "uncached": {"latency": self.uncached.to_json(), "misses": self.misses},
            "cached": {"latency": self.cached.to_json(), "hits": self.hits},
        })
    }
}

fn cache_header_is(response: &Response<Body>, value: &str) -> bool {
    response.headers().get("x-cache").is_some_and(|v| v == value) && response.status() == 200
}

/// The first call (cold for this query: it shows what a cold instance
/// pays), then at least 20 uncached calls (more while under 6 s, never past
/// 30 s), then cached calls for about 3 s (at least 500).
pub async fn measure<F, Fut>(redis: &mut MultiplexedConnection, keys: &[String], call: F) -> anyhow::Result<Measured>
where
    F: Fn() -> Fut,
    Fut: Future<Output = Result<Response<Body>, lambda_http::Error>>,
{
    delete_keys(redis, keys).await?;
    let t = Instant::now();
    let first = call().await.map_err(|e| anyhow::anyhow!("{e}"))?;
    let first_ms = t.elapsed().as_secs_f64() * 1000.0;
    let first_body = serde_json::from_str::<Value>(body_text(first.body())).unwrap_or(Value::Null);
    if first.status() != 200 {
        return Ok(Measured::Refused(first.status().as_u16(), first_ms, first_body));
    }
    let mut uncached = Samples::default();
    let mut misses = 0;
    let started = Instant::now();
    for i in 0..400 {
        let spent = started.elapsed();
        if (i >= 20 && spent > Duration::from_secs(6)) || spent > Duration::from_secs(30) {
            break;
        }
        delete_keys(redis, keys).await?;
        let t = Instant::now();
        let response = call().await.map_err(|e| anyhow::anyhow!("{e}"))?;
        uncached.push(t.elapsed());
        misses += usize::from(cache_header_is(&response, "MISS"));
    }
    let _ = call().await; // stored again: from here on every call is a hit
    let mut cached = Samples::default();
    let mut hits = 0;
    let budget = Instant::now() + Duration::from_secs(3);
    for i in 0..5000 {
        if i >= 500 && Instant::now() > budget {
            break;
        }
        let t = Instant::now();
        let response = call().await.map_err(|e| anyhow::anyhow!("{e}"))?;
        cached.push(t.elapsed());
        hits += usize::from(cache_header_is(&response, "HIT"));
    }
    Ok(Measured::Done(Figures {
        first_ms,
        first: first_body,
        uncached: uncached.summary(),
        misses,
        cached: cached.summary(),
        hits,
    }))
}
