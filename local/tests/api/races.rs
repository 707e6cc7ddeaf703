//! Concurrency ("race") tests of the seat and booking routes: many requests
//! at once through the real handlers, against the real Postgres and Redis,
//! on a multi-thread runtime. Every test is bounded in time.

use crate::support::*;
use futures::future::join_all;
use serde_json::{json, Value};
use shared::auth::tokens::Role;
use shared::{Config, Services};
use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_clients_locking_one_seat_get_exactly_one_hold() {
    let stack = TestStack::new().await;
    let net = Network::new(&stack).await;
    let flight = net.flight("XY1", "AAA", "DDD", 6 * 60, 120, 250000).await;
    let users = customers(&stack, 200).await;
    let ids: BTreeSet<i64> = users.iter().map(|(id, _)| *id).collect();
    assert_eq!(ids.len(), 200, "200 distinct users");

    let started = Instant::now();
    let jobs: Vec<_> = users
        .iter()
        .map(|(_, token)| {
            let token = token.clone();
            move |svc: Arc<Services>| async move {
                lock_on(&svc, &token, json!({"flightId": flight, "seatNumbers": ["1A"]})).await
            }
        })
        .collect();
    let replies = race(&stack.services, jobs).await;
    let elapsed = started.elapsed();

    let winners: Vec<(usize, &Reply)> = replies.iter().enumerate().filter(|(_, r)| r.status == 200).collect();
    let statuses: BTreeMap<u16, usize> = replies.iter().fold(BTreeMap::new(), |mut m, r| {
        *m.entry(r.status).or_default() += 1;
        m
    });
    assert_eq!(winners.len(), 1, "exactly one lock wins ({statuses:?} in {elapsed:?})");
    for reply in replies.iter().filter(|r| r.status != 200) {
        reply.assert_problem(409, &["SEAT_UNAVAILABLE"]);
        assert_eq!(reply.body["seatNumbers"], json!(["1A"]), "{reply:?}");
        assert_eq!(reply.body["flightId"], flight, "{reply:?}");
    }
    let (index, won) = winners[0];
    let (winner, winner_token) = &users[index];
    assert_eq!(won.body["userId"], *winner);
    assert_eq!(won.body["seatNumbers"], json!(["1A"]));
    assert_eq!(won.body["status"], "HELD");

    // Redis and the seat map agree: held by the winner, nothing else held.
    let holders = stack
        .services
        .seat_holds()
        .holders(flight, &["1A".into(), "1B".into(), "2A".into(), "2B".into()])
        .await
        .unwrap();
    assert_eq!(holders, vec![Some(*winner), None, None, None]);
    let (_, mine) = seat_map(&stack, winner_token, flight).await;
    assert_eq!(state_of(&mine, "1A")["state"], "held");
    assert_eq!(state_of(&mine, "1A")["heldByYou"], true);
    assert_eq!(mine["availableSeats"], json!(["1B", "2A", "2B"]));
    let loser = &users[(index + 1) % users.len()].1;
    let (_, theirs) = seat_map(&stack, loser, flight).await;
    assert_eq!(state_of(&theirs, "1A")["state"], "held");
    assert_eq!(state_of(&theirs, "1A")["heldByYou"], false);

    // The winner's hold id is the one that releases it.
    let released = release_on(&stack.services, winner_token, json!({"holdId": won.body["holdId"]})).await;
    assert_eq!(released.status, 200, "{released:?}");
    assert_eq!(released.body["releasedSeatNumbers"], json!(["1A"]));
    assert_eq!(stack.services.seat_holds().holders(flight, &["1A".into()]).await.unwrap(), vec![None]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_bookings_over_overlapping_seats_never_sell_a_seat_twice() {
    use rand::seq::SliceRandom;
    use rand::SeedableRng;

    let stack = TestStack::new().await;
    let net = Network::new(&stack).await;
    // A 10-seat pool: 1A..1E, 2A..2E.
    let flight = flight_on(&net, "XY2", "T10", 2, "ABCDE", 100000).await;
    let pool: Vec<String> = (1..=2).flat_map(|r| "ABCDE".chars().map(move |l| format!("{r}{l}"))).collect();
    let users = customers(&stack, 100).await;
    let mut rng = rand::rngs::StdRng::seed_from_u64(0x5EA7);
    let picks: Vec<Vec<String>> = users
        .iter()
        .map(|_| {
            let mut two: Vec<String> = pool.choose_multiple(&mut rng, 2).cloned().collect();
            two.sort();
            two
        })
        .collect();

    // Half lock first and then book their seats; half book without a lock,
    // alternating the original flat body and the `legs` body.
    let jobs: Vec<_> = users
        .iter()
        .zip(&picks)
        .enumerate()
        .map(|(i, ((_, token), seats))| {
            let (token, seats) = (token.clone(), seats.clone());
            move |svc: Arc<Services>| async move {
                if i % 2 == 0 {
                    let locked = lock_on(&svc, &token, json!({"flightId": flight, "seatNumbers": seats})).await;
                    if locked.status != 200 {
                        return locked;
                    }
                }
                let body = if i % 4 < 2 {
                    json!({"legs": [{"flightId": flight, "seatNumbers": seats}]})
                } else {
                    json!({"flightId": flight, "seatNumbers": seats})
                };
                book_on(&svc, &token, body).await
            }
        })
        .collect();
    let replies = race(&stack.services, jobs).await;

    let mut sold: BTreeMap<String, i64> = BTreeMap::new();
    let mut created = BTreeSet::new();
    for (i, reply) in replies.iter().enumerate() {
        match reply.status {
            201 => {
                assert_eq!(reply.body["userId"], users[i].0, "{reply:?}");
                assert_eq!(seat_list(&reply.body["seatNumbers"]), picks[i], "{reply:?}");
                assert_eq!(reply.body["status"], "PENDING_PAYMENT");
                assert_eq!(reply.body["amountDue"]["amount"], 200000);
                let id = reply.body["id"].as_i64().unwrap();
                created.insert(id);
                for seat in &picks[i] {
                    if let Some(other) = sold.insert(seat.clone(), id) {
                        panic!("seat {seat} confirmed to bookings {other} and {id}");
                    }
                }
            }
            // A lock or a booking that lost: a clean conflict, never a 5xx.
            _ => reply.assert_problem(409, &["SEAT_UNAVAILABLE", "SOLD_OUT"]),
        }
    }
    assert!(!created.is_empty(), "someone must win a seat");

    let live = assert_ledger_consistent(&stack, flight).await;
    assert_eq!(live, sold, "the database holds exactly the confirmed bookings");
    assert_redis_agrees(&stack, flight, &live).await;
    let db = stack.db().await;
    let bookings: i64 = db.query_one("SELECT count(*) FROM bookings", &[]).await.unwrap().get(0);
    assert_eq!(bookings as usize, created.len(), "no booking row behind a 409");
    let (_, map) = seat_map(&stack, &users[0].1, flight).await;
    for seat in &pool {
        let state = &state_of(&map, seat)["state"];
        assert_eq!(state == "booked", sold.contains_key(seat), "{seat}: {state}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_bookings_by_count_race_for_the_last_four_seats() {
    let stack = TestStack::new().await;
    let net = Network::new(&stack).await;
    let flight = net.flight("XY3", "AAA", "DDD", 6 * 60, 120, 250000).await;
    let other = net.flight("XY4", "AAA", "DDD", 8 * 60, 120, 260000).await;
    let users = customers(&stack, 20).await;
    let query = format!("source=AAA&destination=DDD&date={}&maxStops=0", net.date);
    // A cached search containing the flight, which selling out must invalidate.
    let (status, before, _) = search(&stack, &users[0].1, &query).await;
    assert_eq!(status, 200, "{before}");
    assert_eq!(itinerary_ids(&before), vec![flight.to_string(), other.to_string()]);

    let jobs: Vec<_> = users
        .iter()
        .map(|(_, token)| {
            let token = token.clone();
            move |svc: Arc<Services>| async move { book_on(&svc, &token, json!({"flightId": flight, "seats": 1})).await }
        })
        .collect();
    let replies = race(&stack.services, jobs).await;

    let won: Vec<&Reply> = replies.iter().filter(|r| r.status == 201).collect();
    let codes: Vec<String> =
        replies.iter().filter(|r| r.status != 201).map(|r| format!("{} {}", r.status, r.code())).collect();
    assert_eq!(won.len(), 4, "all four seats sell; the others got {codes:?}");
    for reply in replies.iter().filter(|r| r.status != 201) {
        reply.assert_problem(409, &["NOT_ENOUGH_SEATS", "SEAT_UNAVAILABLE", "SOLD_OUT"]);
    }
    let seats: BTreeSet<String> = won.iter().flat_map(|r| seat_list(&r.body["seatNumbers"])).collect();
    assert_eq!(seats, ["1A", "1B", "2A", "2B"].map(String::from).into_iter().collect());

    let live = assert_ledger_consistent(&stack, flight).await;
    assert_eq!(live.len(), 4);
    let (status, after, _) = search(&stack, &users[0].1, &query).await;
    assert_eq!(status, 200, "{after}");
    assert_eq!(itinerary_ids(&after), vec![other.to_string()], "a full flight is never listed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_hold_lets_the_next_user_take_the_seat() {
    let stack = TestStack::new().await;
    let net = Network::new(&stack).await;
    let flight = net.flight("XY5", "AAA", "DDD", 6 * 60, 120, 250000).await;
    let users = customers(&stack, 2).await;
    let ((a, token_a), (b, token_b)) = (&users[0], &users[1]);
    let svc = services_with(&stack, &[("SEAT_HOLD_TTL_SECONDS", "1")]);

    let held = lock_on(&svc, token_a, json!({"flightId": flight, "seatNumbers": ["1A"]})).await;
    assert_eq!(held.status, 200, "{held:?}");
    let expires: chrono::DateTime<chrono::Utc> = held.body["expiresAt"].as_str().unwrap().parse().unwrap();
    let left = expires - chrono::Utc::now();
    assert!(left <= chrono::Duration::seconds(1) && left > chrono::Duration::zero(), "{left}");

    let refused = lock_on(&svc, token_b, json!({"flightId": flight, "seatNumbers": ["1A"]})).await;
    refused.assert_problem(409, &["SEAT_UNAVAILABLE"]);
    assert_eq!(svc.seat_holds().holders(flight, &["1A".into()]).await.unwrap(), vec![Some(*a)]);

    tokio::time::sleep(Duration::from_millis(1200)).await;
    let taken = lock_on(&svc, token_b, json!({"flightId": flight, "seatNumbers": ["1A"]})).await;
    assert_eq!(taken.status, 200, "{taken:?}");
    assert_eq!(svc.seat_holds().holders(flight, &["1A".into()]).await.unwrap(), vec![Some(*b)]);
    let (_, map) = seat_map(&stack, token_a, flight).await;
    assert_eq!(state_of(&map, "1A")["state"], "held");
    assert_eq!(state_of(&map, "1A")["heldByYou"], false, "A's hold is gone");
    // A's expired hold id no longer exists, and cannot release B's seat.
    let gone = release_on(&svc, token_a, json!({"holdId": held.body["holdId"]})).await;
    gone.assert_problem(404, &["NOT_FOUND"]);
    let not_mine = release_on(&svc, token_a, json!({"flightId": flight, "seatNumbers": ["1A"]})).await;
    not_mine.assert_problem(409, &["SEAT_NOT_HELD"]);
    assert_eq!(svc.seat_holds().holders(flight, &["1A".into()]).await.unwrap(), vec![Some(*b)]);
    // A booking by A after expiry cannot take it either; B's booking can.
    let late = book_on(&svc, token_a, json!({"flightId": flight, "seatNumbers": ["1A"]})).await;
    late.assert_problem(409, &["SEAT_UNAVAILABLE"]);
    let booked = book_on(&svc, token_b, json!({"flightId": flight, "seats": 1})).await;
    assert_eq!(booked.status, 201, "{booked:?}");
    assert_eq!(booked.body["seatNumbers"], json!(["1A"]));
    assert_ledger_consistent(&stack, flight).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_user_locking_releasing_and_booking_at_once_stays_consistent() {
    let stack = TestStack::new().await;
    let net = Network::new(&stack).await;
    let flight = net.flight("XY6", "AAA", "DDD", 6 * 60, 120, 250000).await;
    let users = customers(&stack, 1).await;
    let (user, token) = users[0].clone();

    #[derive(Clone, Copy, Debug, PartialEq)]
    enum Op {
        Lock,
        LockOne,
        Release,
        Book,
        BookCount,
    }
    let ops: Vec<Op> = [Op::Lock, Op::Release, Op::Book, Op::LockOne, Op::BookCount, Op::Release]
        .into_iter()
        .cycle()
        .take(30)
        .collect();
    let jobs: Vec<_> = ops
        .iter()
        .map(|op| {
            let (op, token) = (*op, token.clone());
            move |svc: Arc<Services>| async move {
                let pair = json!(["1A", "1B"]);
                match op {
                    Op::Lock => lock_on(&svc, &token, json!({"flightId": flight, "seatNumbers": pair})).await,
                    Op::LockOne => lock_on(&svc, &token, json!({"flightId": flight, "seatNumber": "1B"})).await,
                    Op::Release => release_on(&svc, &token, json!({"flightId": flight, "seatNumbers": pair})).await,
                    Op::Book => {
                        book_on(&svc, &token, json!({"legs": [{"flightId": flight, "seatNumbers": pair}]})).await
                    }
                    Op::BookCount => book_on(&svc, &token, json!({"flightId": flight, "seats": 1})).await,
                }
            }
        })
        .collect();
    let replies = race(&stack.services, jobs).await;

    let mut booked_pair = 0;
    let mut created = BTreeSet::new();
    for (op, reply) in ops.iter().zip(&replies) {
        match (op, reply.status) {
            (Op::Lock | Op::LockOne, 200) => assert_eq!(reply.body["userId"], user),
            (Op::Lock | Op::LockOne, _) => reply.assert_problem(409, &["SEAT_UNAVAILABLE"]),
            (Op::Release, 200) => assert_eq!(reply.body["status"], "RELEASED"),
            (Op::Release, _) => reply.assert_problem(409, &["SEAT_NOT_HELD"]),
            (Op::Book | Op::BookCount, 201) => {
                if *op == Op::Book {
                    booked_pair += 1;
                    assert_eq!(reply.body["seatNumbers"], json!(["1A", "1B"]));
                }
                created.insert(reply.body["id"].as_i64().unwrap());
            }
            (Op::Book | Op::BookCount, _) => {
                reply.assert_problem(409, &["SEAT_UNAVAILABLE", "NOT_ENOUGH_SEATS", "SOLD_OUT"])
            }
        }
    }
    assert!(booked_pair <= 1, "1A+1B booked {booked_pair} times");

    let live = assert_ledger_consistent(&stack, flight).await;
    let db = stack.db().await;
    let rows = db.query("SELECT id, user_id FROM bookings ORDER BY id", &[]).await.unwrap();
    let in_db: BTreeSet<i64> = rows.iter().map(|r| r.get(0)).collect();
    assert_eq!(in_db, created, "one booking row per 201, none for a 409");
    assert!(rows.iter().all(|r| r.get::<_, i64>(1) == user));
    assert!(!live.is_empty(), "something was booked");

    // Each seat is booked once, or free, or held by this user: never by anyone else.
    let all: Vec<String> = ["1A", "1B", "2A", "2B"].map(String::from).to_vec();
    let holders = stack.services.seat_holds().holders(flight, &all).await.unwrap();
    let (_, map) = seat_map(&stack, &token, flight).await;
    for (seat, holder) in all.iter().zip(holders) {
        assert!(holder.is_none() || holder == Some(user), "{seat} held by {holder:?}");
        let shown = state_of(&map, seat);
        if live.contains_key(seat) {
            assert_eq!(shown["state"], "booked", "{seat}");
        } else {
            assert!(shown["state"] == "available" || shown["heldByYou"] == true, "{seat}: {shown}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_user_cannot_hold_more_than_nine_seats_even_concurrently() {
    let stack = TestStack::new().await;
    let net = Network::new(&stack).await;
    // 12 seats each: 1A..3D.
    let first = flight_on(&net, "XY7", "T12", 3, "ABCD", 100000).await;
    let second = flight_on(&net, "XY8", "T12", 3, "ABCD", 100000).await;
    let seats: Vec<String> = (1..=3).flat_map(|r| "ABCD".chars().map(move |l| format!("{r}{l}"))).collect();
    let users = customers(&stack, 2).await;
    let ((user, token), (_, other)) = (users[0].clone(), &users[1]);
    let svc = &stack.services;

    // One after the other: nine fit, the tenth does not.
    let nine = lock_on(svc, &token, json!({"flightId": first, "seatNumbers": &seats[..9]})).await;
    assert_eq!(nine.status, 200, "{nine:?}");
    let tenth = lock_on(svc, &token, json!({"flightId": first, "seatNumbers": [&seats[9]]})).await;
    tenth.assert_problem(409, &["HOLD_LIMIT_REACHED"]);
    // Re-locking a seat already held extends it and is not a tenth seat;
    // a request mixing held and new seats is all-or-nothing.
    assert_eq!(lock_on(svc, &token, json!({"flightId": first, "seatNumbers": [&seats[0]]})).await.status, 200);
    let mixed = lock_on(svc, &token, json!({"flightId": first, "seatNumbers": [&seats[1], &seats[10]]})).await;
    mixed.assert_problem(409, &["HOLD_LIMIT_REACHED"]);
    let (held, _) = svc.seat_holds().held_by(first, user).await.unwrap();
    assert_eq!(held.len(), 9, "{held:?}");
    assert!(!held.contains(&seats[10]));
    // The cap is per user: someone else can still lock the remaining seats.
    assert_eq!(lock_on(svc, other, json!({"flightId": first, "seatNumbers": &seats[9..]})).await.status, 200);
    // Releasing one makes room for one more.
    assert_eq!(release_on(svc, &token, json!({"flightId": first, "seatNumbers": [&seats[0]]})).await.status, 200);
    let freed = lock_on(svc, &token, json!({"flightId": first, "seatNumbers": [&seats[0]]})).await;
    assert_eq!(freed.status, 200, "{freed:?}");

    // At once: twelve single-seat locks by one user on an empty flight.
    let jobs: Vec<_> = seats
        .iter()
        .map(|seat| {
            let (seat, token) = (seat.clone(), token.clone());
            move |svc: Arc<Services>| async move {
                lock_on(&svc, &token, json!({"flightId": second, "seatNumbers": [seat]})).await
            }
        })
        .collect();
    let replies = race(&stack.services, jobs).await;
    let won = replies.iter().filter(|r| r.status == 200).count();
    for reply in replies.iter().filter(|r| r.status != 200) {
        reply.assert_problem(409, &["HOLD_LIMIT_REACHED"]);
    }
    assert_eq!(won, 9, "exactly nine of twelve concurrent locks win");
    let (held, _) = svc.seat_holds().held_by(second, user).await.unwrap();
    assert_eq!(held.len(), 9, "{held:?}");
    let holders = svc.seat_holds().holders(second, &seats).await.unwrap();
    assert_eq!(holders.iter().filter(|h| **h == Some(user)).count(), 9);
    assert_eq!(holders.iter().filter(|h| h.is_none()).count(), 3);

    // And concurrent multi-seat requests: six pairs, at most four fit.
    let third = flight_on(&net, "XY9", "T12", 3, "ABCD", 100000).await;
    let jobs: Vec<_> = seats
        .chunks(2)
        .map(|pair| {
            let (pair, token) = (pair.to_vec(), token.clone());
            move |svc: Arc<Services>| async move {
                lock_on(&svc, &token, json!({"flightId": third, "seatNumbers": pair})).await
            }
        })
        .collect();
    let replies = race(&stack.services, jobs).await;
    for reply in replies.iter().filter(|r| r.status != 200) {
        reply.assert_problem(409, &["HOLD_LIMIT_REACHED"]);
    }
    assert_eq!(replies.iter().filter(|r| r.status == 200).count(), 4);
    let (held, _) = svc.seat_holds().held_by(third, user).await.unwrap();
    assert_eq!(held.len(), 8, "{held:?}");
}

/// Bookings by count on a roomy flight: nine customers each asking for one
/// seat at the same moment, on a 30-seat flight. Every one of them must get
/// a seat (the contract's only 409 for a count is "too few are free").
///
/// Regression test: before 6b5265c, `plan_leg` (shared/src/service/bookings.rs)
/// let every concurrent request pick the same "best" free seat with the
/// deterministic `assign_seats`; only one won the Redis hold and after 3
/// lost races the others gave up with `409 SEAT_UNAVAILABLE "seats on flight
/// N kept being taken; try again"` although 20+ seats were free (5 or 6 of 9
/// succeeded).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bookings_by_count_at_once_all_succeed_while_seats_are_free() {
    let stack = TestStack::new().await;
    let net = Network::new(&stack).await;
    let flight = flight_on(&net, "XY10", "T30", 5, "ABCDEF", 100000).await;
    let users = customers(&stack, 9).await;
    let jobs: Vec<_> = users
        .iter()
        .map(|(_, token)| {
            let token = token.clone();
            move |svc: Arc<Services>| async move { book_on(&svc, &token, json!({"flightId": flight, "seats": 1})).await }
        })
        .collect();
    let replies = race(&stack.services, jobs).await;
    let live = assert_ledger_consistent(&stack, flight).await;
    let refused: Vec<String> = replies
        .iter()
        .filter(|r| r.status != 201)
        .map(|r| format!("{} {}: {}", r.status, r.code(), r.body["detail"]))
        .collect();
    assert!(
        refused.is_empty(),
        "{} of 9 one-seat bookings refused with {} of 30 seats sold: {refused:?}",
        refused.len(),
        live.len()
    );
    assert_eq!(live.len(), 9);
}

/// Regression test: before 6b5265c, `PgBookings::create`
/// (shared/src/store/bookings.rs) kept its pooled connection while
/// `self.find(id)` after the commit and `self.live_among(..)` after a unique
/// violation each took a second one from the same pool. With
/// `DB_POOL_SIZE=1` every booking waited for the pool's `wait_timeout`
/// (3 s), then answered `503 "nothing was changed"` although the booking was
/// committed: a seat sold that the client never heard about.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_booking_needs_only_one_pooled_connection() {
    let stack = TestStack::new().await;
    let net = Network::new(&stack).await;
    let flight = net.flight("XY11", "AAA", "DDD", 6 * 60, 120, 250000).await;
    let (_, token) = customer(&stack, "single@example.com").await;
    let svc = services_with(&stack, &[("DB_POOL_SIZE", "1")]);
    let started = Instant::now();
    let reply = book_on(&svc, &token, json!({"flightId": flight, "seats": 1})).await;
    let elapsed = started.elapsed();
    let rows: i64 = stack.db().await.query_one("SELECT count(*) FROM bookings", &[]).await.unwrap().get(0);
    assert!(
        reply.status < 500 || rows == 0,
        "{} {} after {elapsed:?}, yet {rows} booking row(s) were committed: {}",
        reply.status,
        reply.code(),
        reply.body["detail"]
    );
    assert_eq!(reply.status, 201, "{reply:?} after {elapsed:?}");
    assert_eq!(rows, 1);
}

/// The same defect on the configuration that ships: template.yaml sets
/// `DB_POOL_SIZE: "2"` and the local gateway serves every request with one
/// `Services`, so two overlapping bookings each held one connection and
/// waited for a second: 503 after 3 s, with bookings committed. Whatever
/// the outcome, a 5xx must leave no booking behind.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn simultaneous_bookings_on_the_shipped_pool_are_never_503() {
    let stack = TestStack::new().await;
    let net = Network::new(&stack).await;
    let flight = flight_on(&net, "XY12", "T12", 3, "ABCD", 100000).await;
    let users = customers(&stack, 4).await;
    // Distinct explicit seats: no seat contention at all.
    let jobs: Vec<_> = users
        .iter()
        .zip(["1A", "1B", "2A", "2B"])
        .map(|((_, token), seat)| {
            let token = token.clone();
            move |svc: Arc<Services>| async move {
                book_on(&svc, &token, json!({"flightId": flight, "seatNumbers": [seat]})).await
            }
        })
        .collect();
    let started = Instant::now();
    let replies = race(&stack.services, jobs).await;
    let elapsed = started.elapsed();
    let live = assert_ledger_consistent(&stack, flight).await;
    let created = replies.iter().filter(|r| r.status == 201).count();
    let statuses: Vec<String> = replies.iter().map(|r| format!("{} {}", r.status, r.code())).collect();
    assert_eq!(live.len(), created, "{statuses:?} after {elapsed:?}, but {} seats were sold: {live:?}", live.len());
    assert_eq!(created, 4, "{statuses:?} after {elapsed:?}");
}

/// Owners cancel (twice each), the expiry schedule runs three times and new
/// customers book the freed seats, all at once: every booking ends cancelled
/// or expired exactly once, and `seats_sold` stays equal to the live seats.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancels_expiry_sweeps_and_new_bookings_at_once_keep_the_count_exact() {
    let stack = TestStack::new().await;
    let net = Network::new(&stack).await;
    let flight = flight_on(&net, "XY13", "T12", 3, "ABCD", 100000).await;
    let users = customers(&stack, 12).await;
    let (owners, newcomers) = users.split_at(6);
    // Six bookings of two seats fill the flight; three are past their deadline.
    let mut old = Vec::new();
    for (_, token) in owners {
        let booked = book_on(&stack.services, token, json!({"flightId": flight, "seats": 2})).await;
        assert_eq!(booked.status, 201, "{booked:?}");
        old.push(booked.body["id"].as_i64().unwrap());
    }
    let db = stack.db().await;
    db.execute(
        "UPDATE bookings SET expires_at = now() - interval '1 second' WHERE id = ANY($1)",
        &[&old[..3].to_vec()],
    )
    .await
    .unwrap();
    assert_eq!(assert_ledger_consistent(&stack, flight).await.len(), 12);

    #[derive(Clone, Copy, Debug, PartialEq)]
    enum Job {
        Cancel(usize),
        Sweep,
        Book(usize),
    }
    let mut plan: Vec<Job> = (0..6).flat_map(|i| [Job::Cancel(i), Job::Cancel(i)]).collect();
    plan.extend([Job::Sweep; 3]);
    plan.extend((0..6).map(Job::Book));
    let jobs: Vec<_> = plan
        .iter()
        .map(|job| {
            let job = *job;
            let (owner, newcomer) = match job {
                Job::Cancel(i) => (owners[i].1.clone(), String::new()),
                Job::Book(i) => (String::new(), newcomers[i].1.clone()),
                Job::Sweep => (String::new(), String::new()),
            };
            let id = match job {
                Job::Cancel(i) => old[i],
                _ => 0,
            };
            move |svc: Arc<Services>| async move {
                match job {
                    Job::Cancel(_) => {
                        let path = format!("/api/bookings/{id}/cancel");
                        let id = id.to_string();
                        send(&svc, "bookings-cancel", "POST", &path, &[("bookingId", &id)], None, &owner).await
                    }
                    Job::Sweep => {
                        let swept = bookings_expire::handle(&svc, json!({})).await;
                        match swept {
                            Ok(body) => Reply { status: 200, content_type: "application/json".into(), body },
                            Err(e) => Reply { status: 500, content_type: String::new(), body: json!(e.to_string()) },
                        }
                    }
                    Job::Book(_) => book_on(&svc, &newcomer, json!({"flightId": flight, "seats": 2})).await,
                }
            }
        })
        .collect();
    let replies = race(&stack.services, jobs).await;

    let mut swept = 0;
    let mut created = BTreeSet::new();
    let mut cancels: BTreeMap<usize, Vec<&Reply>> = BTreeMap::new();
    for (job, reply) in plan.iter().zip(&replies) {
        match job {
            Job::Cancel(i) => cancels.entry(*i).or_default().push(reply),
            Job::Sweep => {
                assert_eq!(reply.status, 200, "{reply:?}");
                swept += reply.body["expiredBookings"].as_i64().unwrap();
            }
            Job::Book(_) if reply.status == 201 => {
                created.insert(reply.body["id"].as_i64().unwrap());
            }
            Job::Book(_) => reply.assert_problem(409, &["NOT_ENOUGH_SEATS", "SEAT_UNAVAILABLE", "SOLD_OUT"]),
        }
    }
    for (i, replies) in &cancels {
        let status: String =
            db.query_one("SELECT status FROM bookings WHERE id = $1", &[&old[*i]]).await.unwrap().get(0);
        for reply in replies {
            if status == "EXPIRED" {
                // The sweep got there first, so every cancel saw it expired.
                reply.assert_problem(409, &["BOOKING_EXPIRED"]);
            } else {
                assert_eq!(status, "CANCELLED", "booking {}", old[*i]);
                assert_eq!(reply.status, 200, "{reply:?}");
                assert_eq!(reply.body["status"], "CANCELLED", "{reply:?}");
            }
        }
        if *i >= 3 {
            assert_eq!(status, "CANCELLED", "a booking within its deadline is only cancelled");
        }
    }
    let expired: i64 =
        db.query_one("SELECT count(*) FROM bookings WHERE status = 'EXPIRED'", &[]).await.unwrap().get(0);
    assert_eq!(swept, expired, "each booking expires exactly once");

    let live = assert_ledger_consistent(&stack, flight).await;
    assert_redis_agrees(&stack, flight, &live).await;
    let owners_of_live: BTreeSet<i64> = live.values().copied().collect();
    assert_eq!(owners_of_live, created, "only the new bookings hold seats");
    assert_eq!(live.len(), 2 * created.len());
    // Whatever the newcomers did not take is really free again.
    if live.len() < 12 {
        let again = book_on(&stack.services, &owners[0].1, json!({"flightId": flight, "seats": 2})).await;
        assert_eq!(again.status, 201, "{again:?} with {} of 12 seats sold", live.len());
        assert_eq!(assert_ledger_consistent(&stack, flight).await.len(), live.len() + 2);
    }
}

// ---- Redis's copy of the sold seats: the orders of writes that could
// make it wrong, played out against the real Redis.

#[tokio::test]
async fn a_release_arriving_late_never_unsells_a_newer_booking() {
    let stack = TestStack::new().await;
    let holds = stack.services.seat_holds();
    let flight = 424_242;
    let state = holds.state(flight).await.unwrap();
    assert!(holds.fill_sold(flight, &state.version, "SCHEDULED", &[("1A".into(), 7)]).await.unwrap());
    // Booking 7 expires; before its release reaches Redis, booking 8 buys
    // the seat and marks it. The late release of 7 must leave 8's mark.
    holds.mark_sold(flight, 2, 8, &["1A".into()]).await.unwrap();
    holds.mark_unsold(flight, &[("1A".into(), 7)]).await.unwrap();
    assert_eq!(holds.state(flight).await.unwrap().sold.get("1A"), Some(&8));
    holds.mark_unsold(flight, &[("1A".into(), 8)]).await.unwrap();
    assert_eq!(holds.state(flight).await.unwrap().sold.get("1A"), None);
}

#[tokio::test]
async fn a_copy_read_before_a_sale_is_never_stored() {
    let stack = TestStack::new().await;
    let holds = stack.services.seat_holds();
    let flight = 434_343;
    let before = holds.state(flight).await.unwrap();
    assert!(before.status.is_none(), "nothing loaded yet");
    // A sale commits (and tells Redis) while the loader still reads Postgres.
    holds.mark_sold(flight, 1, 9, &["2B".into()]).await.unwrap();
    assert!(!holds.fill_sold(flight, &before.version, "SCHEDULED", &[]).await.unwrap(), "stale copy stored");
    assert!(holds.state(flight).await.unwrap().status.is_none());
    let now = holds.state(flight).await.unwrap();
    assert!(holds.fill_sold(flight, &now.version, "SCHEDULED", &[("2B".into(), 9)]).await.unwrap());
    assert_eq!(holds.state(flight).await.unwrap().sold.get("2B"), Some(&9));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_seat_sold_behind_redis_back_is_refused_by_postgres_and_redis_heals() {
    let stack = TestStack::new().await;
    let net = Network::new(&stack).await;
    let flight = flight_on(&net, "XY14", "T13", 2, "AB", 100000).await;
    let users = customers(&stack, 2).await;
    let ((_, token_a), (_, token_b)) = (&users[0], &users[1]);
    let first = book_on(&stack.services, token_a, json!({"flightId": flight, "seatNumbers": ["1A"]})).await;
    assert_eq!(first.status, 201, "{first:?}");
    let booking = first.body["id"].as_i64().unwrap();
    // The write telling Redis was lost (a crash between commit and Redis).
    stack.services.seat_holds().mark_unsold(flight, &[("1A".into(), booking)]).await.unwrap();
    let (_, map) = seat_map(&stack, token_b, flight).await;
    assert_eq!(state_of(&map, "1A")["state"], "available", "Redis believes the seat free");

    // Redis lets B hold it; Postgres refuses to sell it a second time.
    let held = lock_on(&stack.services, token_b, json!({"flightId": flight, "seatNumbers": ["1A"]})).await;
    assert_eq!(held.status, 200, "{held:?}");
    let refused = book_on(&stack.services, token_b, json!({"flightId": flight, "seatNumbers": ["1A"]})).await;
    refused.assert_problem(409, &["SEAT_UNAVAILABLE"]);
    let live = assert_ledger_consistent(&stack, flight).await;
    assert_eq!(live, BTreeMap::from([("1A".to_string(), booking)]));

    // The refusal dropped Redis's copy: it is read again from Postgres.
    let (_, map) = seat_map(&stack, token_b, flight).await;
    assert_eq!(state_of(&map, "1A")["state"], "booked");
    assert_redis_agrees(&stack, flight, &live).await;
    let again = lock_on(&stack.services, token_b, json!({"flightId": flight, "seatNumbers": ["1A"]})).await;
    again.assert_problem(409, &["SEAT_UNAVAILABLE"]);
}

#[tokio::test]
async fn a_cancelled_flight_refuses_holds_at_once_though_its_seats_were_in_redis() {
    let stack = TestStack::new().await;
    let net = Network::new(&stack).await;
    let flight = flight_on(&net, "XY15", "T14", 2, "AB", 100000).await;
    let users = customers(&stack, 1).await;
    let token = &users[0].1;
    let held = lock_on(&stack.services, token, json!({"flightId": flight, "seatNumbers": ["1A"]})).await;
    assert_eq!(held.status, 200, "{held:?}");
    let db = stack.db().await;
    let admin: i64 = db
        .query_one(
            "INSERT INTO users (id, name, email, password_hash, role)
             VALUES (nextval('admin_user_ids'), 'Ops', 'ops@example.com', '$argon2id$x', 'admin') RETURNING id",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    let admin_token = stack.services.tokens.issue(admin, Role::Admin).unwrap().token;
    let path = format!("/api/admin/flights/{flight}/cancel");
    let id = flight.to_string();
    let cancelled =
        send(&stack.services, "flights-cancel", "POST", &path, &[("flightId", &id)], None, &admin_token).await;
    assert_eq!(cancelled.status, 200, "{cancelled:?}");
    let refused = lock_on(&stack.services, token, json!({"flightId": flight, "seatNumbers": ["1B"]})).await;
    refused.assert_problem(409, &["FLIGHT_NOT_BOOKABLE"]);
    assert_eq!(refused.body["flightStatus"], "CANCELLED");
    let (_, map) = seat_map(&stack, token, flight).await;
    assert_eq!(map["status"], "CANCELLED");
    assert_eq!(map["sellable"], false);
    assert_eq!(map["availableSeats"], json!([]));
}
