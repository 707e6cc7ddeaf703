//! Concurrency ("race") tests of the seat and booking routes: many requests
//! at once through the real handlers, against the real Postgres and Redis,
//! on a multi-thread runtime. Every test is bounded in time.

mod bookings;
mod holds;
mod pool;
mod redis_copy;

use crate::support::*;
use futures::future::join_all;
use serde_json::{json, Value};
use shared::auth::tokens::Role;
use shared::{Config, Services};
use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Barrier;

/// What a test needs of a response.
#[derive(Debug)]
struct Reply {
    status: u16,
    content_type: String,
    body: Value,
}

impl Reply {
    fn code(&self) -> &str {
        self.body["code"].as_str().unwrap_or("")
    }

    /// A problem+json answer with this status and one of these codes.
    fn assert_problem(&self, status: u16, codes: &[&str]) {
        assert_eq!(self.status, status, "{self:?}");
        assert_eq!(self.content_type, "application/problem+json", "{self:?}");
        assert_eq!(self.body["status"], status, "{self:?}");
        assert!(codes.contains(&self.code()), "expected one of {codes:?}: {self:?}");
    }
}

/// Calls one route's handler on the given services.
async fn send(
    svc: &Services,
    function: &str,
    method: &str,
    path: &str,
    params: &[(&str, &str)],
    body: Option<Value>,
    token: &str,
) -> Reply {
    let handler = local_stack::registry::http_handler(function).unwrap();
    let req = request_with(method, path, body.map(|b| b.to_string()), Some(token), params, &[]);
    let response = handler(svc, req).await.unwrap();
    Reply {
        status: response.status().as_u16(),
        content_type: response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_string(),
        body: body_json(&response),
    }
}

async fn post(svc: &Services, function: &str, path: &str, body: Value, token: &str) -> Reply {
    send(svc, function, "POST", path, &[], Some(body), token).await
}

async fn lock_on(svc: &Services, token: &str, body: Value) -> Reply {
    post(svc, "seats-lock", "/api/seats/lock", body, token).await
}

async fn release_on(svc: &Services, token: &str, body: Value) -> Reply {
    post(svc, "seats-release", "/api/seats/release", body, token).await
}

async fn book_on(svc: &Services, token: &str, body: Value) -> Reply {
    post(svc, "bookings-create", "/api/bookings/create", body, token).await
}

/// The stack's services with a few variables changed.
fn services_with(stack: &TestStack, overrides: &[(&str, &str)]) -> Services {
    let mut env = stack.env.clone();
    for (name, value) in overrides {
        env.insert(name.to_string(), value.to_string());
    }
    let config = Config::from_lookup(|k| env.get(k).cloned().or_else(|| std::env::var(k).ok())).unwrap();
    Services::new(config).unwrap()
}

/// Every race must finish well within a test's time budget.
async fn within<T>(seconds: u64, what: impl Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(seconds), what)
        .await
        .unwrap_or_else(|_| panic!("the race did not finish within {seconds} s"))
}

/// Runs every job on its own task, all released at the same instant.
async fn race<F, Fut>(svc: &Arc<Services>, jobs: Vec<F>) -> Vec<Reply>
where
    F: FnOnce(Arc<Services>) -> Fut + Send + 'static,
    Fut: Future<Output = Reply> + Send + 'static,
{
    let start = Arc::new(Barrier::new(jobs.len()));
    let tasks: Vec<_> = jobs
        .into_iter()
        .map(|job| {
            let (svc, start) = (svc.clone(), start.clone());
            tokio::spawn(async move {
                start.wait().await;
                job(svc).await
            })
        })
        .collect();
    within(20, join_all(tasks)).await.into_iter().map(|r| r.expect("a racing request panicked")).collect()
}

/// `n` customers made in one SQL statement (copying the password hash of one
/// real signup) with freshly minted tokens: (user id, token).
async fn customers(stack: &TestStack, n: usize) -> Vec<(i64, String)> {
    let (first, _) = customer(stack, "racer0@example.com").await;
    let db = stack.db().await;
    let hash: String = db.query_one("SELECT password_hash FROM users WHERE id = $1", &[&first]).await.unwrap().get(0);
    assert!(hash.starts_with("$argon2id$"), "{hash}");
    let rows = db
        .query(
            "INSERT INTO users (name, email, password_hash)
             SELECT 'Racer ' || g, 'racer' || g || '@example.com', $1
             FROM generate_series(1, $2::int) AS g ORDER BY g RETURNING id",
            &[&hash, &(n as i32 - 1)],
        )
        .await
        .unwrap();
    std::iter::once(first)
        .chain(rows.iter().map(|r| r.get::<_, i64>(0)))
        .map(|id| {
            let token = stack.services.tokens.issue(id, Role::Customer).unwrap().token;
            (id, token)
        })
        .collect()
}

/// A flight on a made-up aircraft whose economy cabin is `rows` × `letters`.
async fn flight_on(net: &Network, number: &str, aircraft: &str, rows: u16, letters: &str, fare: i64) -> i64 {
    let layout = json!({"cabins": [{"cabin": "ECONOMY", "firstRow": 1, "lastRow": rows, "letters": letters}]});
    net.db
        .execute(
            "INSERT INTO aircraft_types (code, name, layout) VALUES ($1, $1, $2) ON CONFLICT (code) DO NOTHING",
            &[&aircraft, &layout],
        )
        .await
        .unwrap();
    let departs = net.day + chrono::Duration::hours(9);
    let arrives = departs + chrono::Duration::hours(2);
    let id: i64 = net
        .db
        .query_one(
            "INSERT INTO flights (airline_code, flight_number, origin, destination, departs_at, arrives_at, aircraft_type)
             VALUES ('XY', $1, 'AAA', 'DDD', $2, $3, $4) RETURNING id",
            &[&number, &departs, &arrives, &aircraft],
        )
        .await
        .unwrap()
        .get(0);
    let seats = i32::from(rows) * letters.len() as i32;
    net.db
        .execute(
            "INSERT INTO flight_fares (flight_id, cabin, amount, currency, seats_total) VALUES ($1, 'ECONOMY', $2, 'INR', $3)",
            &[&id, &fare, &seats],
        )
        .await
        .unwrap();
    id
}

/// The invariants that no interleaving may break, checked in Postgres.
/// Returns the live seats of the flight: seat → booking id.
async fn assert_ledger_consistent(stack: &TestStack, flight: i64) -> BTreeMap<String, i64> {
    let db = stack.db().await;
    let doubles = db
        .query("SELECT flight_id, seat, count(*) FROM booking_seats WHERE live GROUP BY 1, 2 HAVING count(*) > 1", &[])
        .await
        .unwrap();
    let doubles: Vec<(i64, String, i64)> = doubles.iter().map(|r| (r.get(0), r.get(1), r.get(2))).collect();
    assert!(doubles.is_empty(), "seats sold twice: {doubles:?}");

    let live: BTreeMap<String, i64> = db
        .query("SELECT seat, booking_id FROM booking_seats WHERE flight_id = $1 AND live ORDER BY seat", &[&flight])
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    let sold: i32 = db
        .query_one("SELECT seats_sold FROM flight_fares WHERE flight_id = $1 AND cabin = 'ECONOMY'", &[&flight])
        .await
        .unwrap()
        .get(0);
    assert_eq!(sold as usize, live.len(), "seats_sold must equal the live seats {live:?}");

    // No half-written booking: one seat per passenger on every leg, the total
    // is the sum of the fares, and seats are live exactly while it is live.
    let broken = db
        .query(
            "SELECT b.id, b.status, s.seats, s.legs, s.live, s.fares, b.total_amount,
                    (SELECT count(*) FROM booking_passengers p WHERE p.booking_id = b.id) AS passengers
             FROM bookings b
             LEFT JOIN LATERAL (
                 SELECT count(*) AS seats, count(DISTINCT leg) AS legs,
                        count(*) FILTER (WHERE live) AS live, coalesce(sum(fare), 0)::bigint AS fares
                 FROM booking_seats WHERE booking_id = b.id
             ) s ON true
             WHERE s.seats = 0
                OR s.seats <> s.legs * (SELECT count(*) FROM booking_passengers p WHERE p.booking_id = b.id)
                OR s.fares <> b.total_amount
                OR (b.status IN ('PENDING_PAYMENT', 'PAID') AND s.live <> s.seats)
                OR (b.status IN ('CANCELLED', 'EXPIRED') AND s.live <> 0)",
            &[],
        )
        .await
        .unwrap();
    let broken: Vec<String> = broken
        .iter()
        .map(|r| {
            format!(
                "booking {} {}: {} seats, {} legs, {} live, fares {} vs total {}, {} passengers",
                r.get::<_, i64>(0),
                r.get::<_, String>(1),
                r.get::<_, i64>(2),
                r.get::<_, i64>(3),
                r.get::<_, i64>(4),
                r.get::<_, i64>(5),
                r.get::<_, i64>(6),
                r.get::<_, i64>(7)
            )
        })
        .collect();
    assert!(broken.is_empty(), "inconsistent bookings: {broken:?}");
    live
}

/// Redis's copy of what Postgres sold on the flight, when it has one, is
/// exactly Postgres's live seats (seat → booking).
async fn assert_redis_agrees(stack: &TestStack, flight: i64, live: &BTreeMap<String, i64>) {
    let state = stack.services.seat_holds().state(flight).await.unwrap();
    if state.status.is_some() {
        let copy: BTreeMap<String, i64> = state.sold.into_iter().collect();
        assert_eq!(&copy, live, "Redis's sold seats differ from Postgres's");
    }
}

fn state_of<'a>(map: &'a Value, seat: &str) -> &'a Value {
    map["seats"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["seatNumber"] == seat)
        .unwrap_or_else(|| panic!("no seat {seat} in {map}"))
}

fn seat_list(value: &Value) -> Vec<String> {
    value
        .as_array()
        .unwrap_or_else(|| panic!("not a list: {value}"))
        .iter()
        .map(|s| s.as_str().unwrap().to_string())
        .collect()
}
