//! Fault injection: real dependencies stopped, restarted and slowed down
//! while requests are in flight. Each test runs its own throwaway Redis,
//! Postgres or AWS emulator on a free loopback port (never the shared ones
//! the other tests use) and builds `Services` pointing at it, so what is
//! exercised is the product's own clients: deadpool's verified recycling,
//! redis' `ConnectionManager`, the AWS SDK and the outbox. Every test is
//! bounded in time and cleans its processes up on drop, even on panic.

mod daemon;
mod emulator;
mod postgres;
mod redis;
mod slow;

pub(crate) use daemon::Daemon;

use crate::support::*;
use serde_json::{json, Value};
use shared::Services;
use std::future::Future;
use std::time::{Duration, Instant};

/// What a test needs of a response.
#[derive(Debug)]
pub(crate) struct Reply {
    pub status: u16,
    pub content_type: String,
    pub retry_after: Option<String>,
    pub body: Value,
    pub elapsed: Duration,
}

impl Reply {
    /// `503` problem+json with `Retry-After`: the contract's answer when a
    /// dependency is down or too slow.
    #[track_caller]
    pub fn assert_unavailable(&self, what: &str) {
        assert_eq!(self.status, 503, "{what}: {self:?}");
        assert_eq!(self.content_type, "application/problem+json", "{what}: {self:?}");
        assert_eq!(self.body["code"], "SERVICE_UNAVAILABLE", "{what}: {self:?}");
        assert_eq!(self.body["status"], 503, "{what}: {self:?}");
        let retry: u64 = self.retry_after.as_deref().and_then(|r| r.parse().ok()).unwrap_or(0);
        assert!(retry >= 1, "{what}: Retry-After missing: {self:?}");
    }
}

pub(crate) async fn send(
    svc: &Services,
    function: &str,
    method: &str,
    path: &str,
    params: &[(&str, &str)],
    body: Option<Value>,
    token: Option<&str>,
) -> Reply {
    let handler = local_stack::registry::http_handler(function).unwrap();
    let req = request_with(method, path, body.map(|b| b.to_string()), token, params, &[]);
    let started = Instant::now();
    let response = handler(svc, req).await.expect("a handler returned Err: API Gateway would answer 500");
    let header = |name: &str| response.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let text = match response.body() {
        lambda_http::Body::Text(t) => t.clone(),
        lambda_http::Body::Binary(b) => String::from_utf8_lossy(b).into_owned(),
        _ => String::new(),
    };
    Reply {
        status: response.status().as_u16(),
        content_type: header("content-type").unwrap_or_default(),
        retry_after: header("retry-after"),
        body: serde_json::from_str(&text).unwrap_or(Value::String(text)),
        elapsed: started.elapsed(),
    }
}

async fn lock_on(svc: &Services, token: &str, flight: i64, seats: &[&str]) -> Reply {
    send(
        svc,
        "seats-lock",
        "POST",
        "/api/seats/lock",
        &[],
        Some(json!({"flightId": flight, "seatNumbers": seats})),
        Some(token),
    )
    .await
}

async fn book_on(svc: &Services, token: &str, flight: i64, seats: u8) -> Reply {
    let body = json!({"flightId": flight, "seats": seats});
    send(svc, "bookings-create", "POST", "/api/bookings/create", &[], Some(body), Some(token)).await
}

async fn pay_on(svc: &Services, token: &str, booking: i64) -> Reply {
    send(svc, "payments-pay", "POST", "/api/payments/pay", &[], Some(json!({"bookingId": booking})), Some(token)).await
}

async fn seat_map_on(svc: &Services, token: &str, flight: i64) -> Reply {
    let id = flight.to_string();
    send(svc, "seats-list", "GET", &format!("/api/seats/{id}"), &[("flightId", &id)], None, Some(token)).await
}

async fn signup_on(svc: &Services, email: &str) -> Reply {
    let body = json!({"name": "Fault Tester", "email": email, "password": "correct horse battery"});
    send(svc, "auth-signup", "POST", "/api/auth/signup", &[], Some(body), None).await
}

async fn search_on(svc: &Services, token: &str, query: &str) -> Reply {
    send(svc, "flights-search", "GET", &format!("/api/flights/search?{query}"), &[], None, Some(token)).await
}

/// Repeats `attempt` until `done` accepts its reply (at most `limit`);
/// returns the accepted reply and how many attempts it took.
async fn eventually<Fut>(
    limit: Duration,
    mut attempt: impl FnMut() -> Fut,
    done: impl Fn(&Reply) -> bool,
) -> (Reply, usize)
where
    Fut: Future<Output = Reply>,
{
    let started = Instant::now();
    let mut tries = 0;
    loop {
        tries += 1;
        let reply = attempt().await;
        if done(&reply) {
            return (reply, tries);
        }
        assert!(started.elapsed() < limit, "still failing after {tries} attempts in {limit:?}: {reply:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn count(db: &tokio_postgres::Client, sql: &str) -> i64 {
    db.query_one(sql, &[]).await.unwrap().get(0)
}

/// Nothing half-done in Postgres: every booking has its passengers and one
/// seat per passenger per leg, fares summing to its total, seats live
/// exactly while it is; every cabin's `seats_sold` equals its live seats;
/// every successful payment's booking is PAID with exactly one success and
/// its ticketing message in the outbox (same transaction).
async fn assert_nothing_half_done(db: &tokio_postgres::Client) {
    let broken: Vec<String> = db
        .query(
            "SELECT b.id::text || ' ' || b.status FROM bookings b
             LEFT JOIN LATERAL (
                 SELECT count(*) AS seats, count(DISTINCT leg) AS legs,
                        count(*) FILTER (WHERE live) AS live, coalesce(sum(fare), 0)::bigint AS fares
                 FROM booking_seats WHERE booking_id = b.id) s ON true
             LEFT JOIN LATERAL (
                 SELECT count(*) AS passengers FROM booking_passengers WHERE booking_id = b.id) p ON true
             WHERE s.seats = 0 OR p.passengers = 0
                OR s.seats <> s.legs * p.passengers
                OR s.fares <> b.total_amount
                OR (b.status IN ('PENDING_PAYMENT', 'PAID') AND s.live <> s.seats)
                OR (b.status IN ('CANCELLED', 'EXPIRED') AND s.live <> 0)",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert!(broken.is_empty(), "half-written bookings: {broken:?}");

    let oversold: Vec<String> = db
        .query(
            "SELECT fa.flight_id::text || ' ' || fa.cabin || ': sold ' || fa.seats_sold || ', live ' || count(s.seat)
             FROM flight_fares fa
             LEFT JOIN booking_seats s ON s.flight_id = fa.flight_id AND s.cabin = fa.cabin AND s.live
             GROUP BY fa.flight_id, fa.cabin, fa.seats_sold
             HAVING fa.seats_sold <> count(s.seat)",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert!(oversold.is_empty(), "seats_sold differs from the live seats: {oversold:?}");

    let unpaid: Vec<String> = db
        .query(
            "SELECT b.id::text || ' ' || b.status || ', successes ' ||
                    (SELECT count(*) FROM payments q WHERE q.booking_id = b.id AND q.status = 'SUCCEEDED') ||
                    ', outbox ' || (SELECT count(*) FROM outbox o WHERE o.dedup_key = 'ticketing:' || b.id)
             FROM bookings b
             WHERE (EXISTS (SELECT 1 FROM payments q WHERE q.booking_id = b.id AND q.status = 'SUCCEEDED')
                    OR b.status = 'PAID')
               AND (b.status <> 'PAID'
                    OR (SELECT count(*) FROM payments q WHERE q.booking_id = b.id AND q.status = 'SUCCEEDED') <> 1
                    OR NOT EXISTS (SELECT 1 FROM outbox o WHERE o.dedup_key = 'ticketing:' || b.id))",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert!(unpaid.is_empty(), "payments and bookings disagree: {unpaid:?}");
}
