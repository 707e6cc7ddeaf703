//! Slow dependencies behind a delaying proxy: a quick 503 (in process and over HTTP), never a hang, then recovery.

use super::{count, eventually, lock_on, seat_map_on};
use crate::support::*;
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A TCP proxy in front of a real server that holds every chunk coming
/// back from the server for `delay` (changeable at any time): a dependency
/// that accepts connections and requests but answers too late.
pub(crate) struct SlowProxy {
    pub address: SocketAddr,
    delay_ms: Arc<AtomicU64>,
    task: tokio::task::JoinHandle<()>,
}

impl SlowProxy {
    pub async fn start(upstream: SocketAddr) -> SlowProxy {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let delay_ms = Arc::new(AtomicU64::new(0));
        let delay = delay_ms.clone();
        let task = tokio::spawn(async move {
            // Dropped with the accept loop: every connection's pumps stop too.
            let mut connections = tokio::task::JoinSet::new();
            loop {
                let Ok((client, _)) = listener.accept().await else { continue };
                let Ok(server) = tokio::net::TcpStream::connect(upstream).await else { continue };
                let (client_read, client_write) = client.into_split();
                let (server_read, server_write) = server.into_split();
                connections.spawn(pump(client_read, server_write, None));
                connections.spawn(pump(server_read, client_write, Some(delay.clone())));
                while connections.try_join_next().is_some() {}
            }
        });
        SlowProxy { address, delay_ms, task }
    }

    pub fn set_delay(&self, delay: Duration) {
        self.delay_ms.store(delay.as_millis() as u64, Ordering::SeqCst);
    }
}

impl Drop for SlowProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn pump(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    delay: Option<Arc<AtomicU64>>,
) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut buffer = vec![0u8; 16 * 1024];
    loop {
        let n = match from.read(&mut buffer).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        if let Some(delay) = &delay {
            let ms = delay.load(Ordering::SeqCst);
            if ms > 0 {
                tokio::time::sleep(Duration::from_millis(ms)).await;
            }
        }
        if to.write_all(&buffer[..n]).await.is_err() {
            break;
        }
    }
    let _ = to.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_redis_is_a_quick_503_never_a_hang_and_recovers() {
    within(60, async {
        let base = TestStack::new().await;
        let url = std::env::var("REDIS_URL").unwrap();
        let upstream: SocketAddr = tokio::net::lookup_host(address_of(&url)).await.unwrap().next().unwrap();
        let proxy = SlowProxy::start(upstream).await;
        let stack = stack_with(
            &base,
            &[("REDIS_URL", with_address(&url, &proxy.address.to_string())), ("DEPENDENCY_TIMEOUT_MS", "300".into())],
        );
        let svc = stack.services.clone();
        let net = Network::new(&stack).await;
        let flight = net.flight("XY1", "AAA", "DDD", 6 * 60, 120, 250000).await;
        let (_, token) = customer(&stack, "slow-redis@example.com").await;
        assert_eq!(lock_on(&svc, &token, flight, &["1A"]).await.status, 200);

        proxy.set_delay(Duration::from_secs(3));
        for seat in ["1B", "2A"] {
            let locked = lock_on(&svc, &token, flight, &[seat]).await;
            locked.assert_unavailable("seats-lock with Redis slow");
            assert!(locked.elapsed < Duration::from_millis(1500), "not quick: {:?}", locked.elapsed);
        }
        // Over HTTP too: an answer, not a dropped connection or a hang.
        let gateway = start_gateway_with(&stack).await;
        let started = Instant::now();
        let response = reqwest::Client::new()
            .post(format!("{gateway}/api/seats/lock"))
            .bearer_auth(&token)
            .json(&json!({"flightId": flight, "seatNumber": "2B"}))
            .timeout(Duration::from_secs(10))
            .send()
            .await
            .expect("the gateway must answer");
        assert_http_unavailable(response, started).await;

        proxy.set_delay(Duration::ZERO);
        let (locked, _) =
            eventually(Duration::from_secs(15), || lock_on(&svc, &token, flight, &["2B"]), |r| r.status != 503).await;
        assert_eq!(locked.status, 200, "{locked:?}");
        // The refused requests held nothing: only the two successful locks hold seats.
        let map = seat_map_on(&svc, &token, flight).await;
        let held: Vec<&str> = map.body["seats"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["state"] != "available")
            .map(|s| s["seatNumber"].as_str().unwrap())
            .collect();
        assert_eq!(held, ["1A", "2B"], "{map:?}");
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_postgres_is_a_quick_503_over_http_never_a_hang_and_recovers() {
    within(60, async {
        let base = TestStack::new().await;
        let upstream = tokio::net::lookup_host(address_of(&base.database_url)).await.unwrap().next().unwrap();
        let proxy = SlowProxy::start(upstream).await;
        let through_proxy = with_address(&base.database_url, &proxy.address.to_string());
        let stack = stack_with(&base, &[("DATABASE_URL", through_proxy), ("DEPENDENCY_TIMEOUT_MS", "300".into())]);
        let net = Network::new(&base).await;
        let flight = net.flight("XY1", "AAA", "DDD", 6 * 60, 120, 250000).await;
        let (_, token) = customer(&stack, "slow-pg@example.com").await;
        let gateway = start_gateway_with(&stack).await;
        let http = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().unwrap();
        let flight_url = format!("{gateway}/api/flights/{flight}");
        assert_eq!(http.get(&flight_url).bearer_auth(&token).send().await.unwrap().status(), 200);

        proxy.set_delay(Duration::from_secs(3));
        let signup = json!({"name": "Slow", "email": "slow2@example.com", "password": "correct horse battery"});
        for (method, url, body) in [
            ("GET", flight_url.clone(), None),
            ("GET", format!("{gateway}/api/bookings"), None),
            ("POST", format!("{gateway}/api/auth/signup"), Some(signup.clone())),
            ("POST", format!("{gateway}/api/bookings/create"), Some(json!({"flightId": flight, "seats": 1}))),
        ] {
            let mut request = http.request(method.parse().unwrap(), &url).bearer_auth(&token);
            if let Some(body) = body {
                request = request.json(&body);
            }
            let started = Instant::now();
            let response = request.send().await.unwrap_or_else(|e| panic!("{method} {url}: no answer: {e}"));
            assert_http_unavailable(response, started).await;
        }

        proxy.set_delay(Duration::ZERO);
        let started = Instant::now();
        loop {
            let status = http.get(&flight_url).bearer_auth(&token).send().await.unwrap().status();
            if status == 200 {
                break;
            }
            assert!(started.elapsed() < Duration::from_secs(15), "never recovered: {status}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        // The timed-out signup and booking left nothing behind.
        let db = base.db().await;
        assert_eq!(count(&db, "SELECT count(*) FROM users WHERE email = 'slow2@example.com'").await, 0);
        assert_eq!(count(&db, "SELECT count(*) FROM bookings").await, 0);
    })
    .await
}

async fn assert_http_unavailable(response: reqwest::Response, started: Instant) {
    let elapsed = started.elapsed();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.text().await.unwrap();
    assert_eq!(status, 503, "{text}");
    assert!(elapsed < Duration::from_millis(1500), "a 503 after {elapsed:?} is not quick");
    assert_eq!(headers["content-type"], "application/problem+json");
    assert!(headers["retry-after"].to_str().unwrap().parse::<u64>().unwrap() >= 1);
    let doc: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(doc["code"], "SERVICE_UNAVAILABLE", "{doc}");
    assert_eq!(doc["requestId"], headers["x-request-id"].to_str().unwrap(), "{doc}");
}
