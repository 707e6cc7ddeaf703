//! A small HTTP/1.1 keep-alive client for the gateway (loopback only), and
//! the open-loop (fixed-rate, wrk2-style) load generator built on it.
//!
//! Requests are pre-rendered bytes, the same ones the wrk scripts send.
//! Open loop: each connection sends on its own fixed schedule; a request
//! that could not be sent on time (the previous answer came late) is timed
//! from when it *should* have been sent, so queueing shows in the
//! percentiles instead of being hidden (coordinated omission).

use crate::stats::Samples;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Renders one request; `Content-Length` is added for a body.
pub fn render(method: &str, path: &str, headers: &[(&str, &str)], body: Option<&str>) -> Vec<u8> {
    let mut out = format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n");
    for (name, value) in headers {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    if let Some(body) = body {
        out.push_str(&format!("Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}", body.len()));
    } else {
        out.push_str("\r\n");
    }
    out.into_bytes()
}

pub struct Response {
    pub status: u16,
    pub cache_hit: Option<bool>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }
}

pub struct Conn {
    addr: SocketAddr,
    stream: Option<TcpStream>,
    buf: Vec<u8>,
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

impl Conn {
    pub fn new(addr: SocketAddr) -> Self {
        Conn { addr, stream: None, buf: Vec::with_capacity(16 * 1024) }
    }

    pub async fn connect(&mut self) -> std::io::Result<()> {
        if self.stream.is_none() {
            let stream = TcpStream::connect(self.addr).await?;
            stream.set_nodelay(true)?;
            self.stream = Some(stream);
            self.buf.clear();
        }
        Ok(())
    }

    /// Sends one request and reads its response; reconnects once if the
    /// server had closed an idle connection.
    pub async fn send(&mut self, request: &[u8]) -> std::io::Result<Response> {
        let reused = self.stream.is_some();
        match self.try_send(request).await {
            Ok(r) => Ok(r),
            Err(_) if reused => {
                self.stream = None;
                self.try_send(request).await
            }
            Err(e) => Err(e),
        }
    }

    async fn fill(&mut self) -> std::io::Result<()> {
        let stream = self.stream.as_mut().ok_or_else(|| std::io::Error::other("not connected"))?;
        let mut chunk = [0u8; 16 * 1024];
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Err(std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "connection closed"));
        }
        self.buf.extend_from_slice(&chunk[..n]);
        Ok(())
    }

    async fn try_send(&mut self, request: &[u8]) -> std::io::Result<Response> {
        self.connect().await?;
        let result = self.exchange(request).await;
        if result.is_err() {
            self.stream = None;
        }
        result
    }

    async fn exchange(&mut self, request: &[u8]) -> std::io::Result<Response> {
        self.buf.clear();
        self.stream.as_mut().expect("connected").write_all(request).await?;
        let header_end = loop {
            if let Some(i) = find(&self.buf, b"\r\n\r\n") {
                break i + 4;
            }
            self.fill().await?;
        };
        let head = std::str::from_utf8(&self.buf[..header_end]).map_err(std::io::Error::other)?.to_string();
        let mut lines = head.split("\r\n");
        let status: u16 = lines
            .next()
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| std::io::Error::other("bad status line"))?;
        let (mut length, mut chunked, mut close, mut cache_hit) = (None, false, false, None);
        for line in lines {
            let Some((name, value)) = line.split_once(':') else { continue };
            let value = value.trim();
            match name.trim().to_ascii_lowercase().as_str() {
                "content-length" => length = value.parse::<usize>().ok(),
                "transfer-encoding" => chunked = value.eq_ignore_ascii_case("chunked"),
                "connection" => close = value.eq_ignore_ascii_case("close"),
                "x-cache" => cache_hit = Some(value.eq_ignore_ascii_case("HIT")),
                _ => {}
            }
        }
        let body = if chunked {
            let mut body = Vec::new();
            let mut at = header_end;
            loop {
                let line_end = loop {
                    if let Some(i) = find(&self.buf[at..], b"\r\n") {
                        break at + i;
                    }
                    self.fill().await?;
                };
                let size_text = std::str::from_utf8(&self.buf[at..line_end]).unwrap_or("0");
                let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("0").trim(), 16)
                    .map_err(std::io::Error::other)?;
                let chunk_start = line_end + 2;
                while self.buf.len() < chunk_start + size + 2 {
                    self.fill().await?;
                }
                body.extend_from_slice(&self.buf[chunk_start..chunk_start + size]);
                at = chunk_start + size + 2;
                if size == 0 {
                    break;
                }
            }
            body
        } else {
            let length = length.unwrap_or(0);
            while self.buf.len() < header_end + length {
                self.fill().await?;
            }
            self.buf[header_end..header_end + length].to_vec()
        };
        if close {
            self.stream = None;
        }
        Ok(Response { status, cache_hit, body })
    }
}

#[derive(Default)]
pub struct LoadResult {
    pub samples: Samples,
    pub statuses: BTreeMap<u16, u64>,
    pub errors: u64,
    pub cache_hits: u64,
    pub elapsed: Duration,
    /// Requests that left later than scheduled (the server fell behind).
    pub late: u64,
}

impl LoadResult {
    pub fn completed(&self) -> u64 {
        self.statuses.values().sum()
    }

    pub fn non_2xx(&self) -> u64 {
        self.statuses.iter().filter(|(s, _)| !(200..300).contains(*s)).map(|(_, n)| n).sum()
    }

    fn merge(&mut self, other: LoadResult) {
        self.samples.extend(other.samples);
        for (status, n) in other.statuses {
            *self.statuses.entry(status).or_default() += n;
        }
        self.errors += other.errors;
        self.cache_hits += other.cache_hits;
        self.late += other.late;
    }
}

/// Sends `rate` requests a second for `duration` over `connections`
/// keep-alive connections, each on its own fixed schedule.
pub async fn open_loop(
    addr: SocketAddr,
    requests: Arc<Vec<Vec<u8>>>,
    rate: f64,
    duration: Duration,
    connections: usize,
) -> LoadResult {
    let next = Arc::new(AtomicUsize::new(0));
    let mut conns = Vec::with_capacity(connections);
    for _ in 0..connections {
        let mut conn = Conn::new(addr);
        let _ = conn.connect().await;
        conns.push(conn);
    }
    let interval = Duration::from_secs_f64(connections as f64 / rate);
    let t0 = Instant::now() + Duration::from_millis(50);
    let end = t0 + duration;
    let mut tasks = Vec::new();
    for (c, mut conn) in conns.into_iter().enumerate() {
        let (requests, next) = (requests.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            let mut result = LoadResult {
                samples: Samples::with_capacity((duration.as_secs_f64() / interval.as_secs_f64()) as usize + 8),
                ..LoadResult::default()
            };
            let mut scheduled = t0 + Duration::from_secs_f64(c as f64 / rate);
            while scheduled < end {
                let now = Instant::now();
                let start = if now > scheduled + Duration::from_micros(200) {
                    result.late += 1;
                    scheduled
                } else {
                    tokio::time::sleep_until(scheduled.into()).await;
                    Instant::now()
                };
                let i = next.fetch_add(1, Ordering::Relaxed);
                match conn.send(&requests[i % requests.len()]).await {
                    Ok(response) => {
                        result.samples.push(start.elapsed());
                        *result.statuses.entry(response.status).or_default() += 1;
                        if response.cache_hit == Some(true) {
                            result.cache_hits += 1;
                        }
                    }
                    Err(_) => result.errors += 1,
                }
                scheduled += interval;
            }
            result
        }));
    }
    let mut total = LoadResult::default();
    for task in tasks {
        if let Ok(result) = task.await {
            total.merge(result);
        }
    }
    total.elapsed = t0.elapsed().min(duration + Duration::from_secs(60));
    total
}
