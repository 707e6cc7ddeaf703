//! Random sequences over the whole system (issue 17, "Done when"): several
//! customers at once, each taking random steps through the same handlers
//! the gateway serves — book (one way or a round trip), pay (sometimes
//! declined, sometimes retried with its Idempotency-Key), apply a code,
//! cancel, let a booking expire, issue tickets from the queue or on demand —
//! while the airline now and then cancels a flight and the schedule refunds
//! what was left on it. Everyone shares a few small flights, so they race
//! for seats. Expected refusals (`402`, `409`, `422`, `429`) are part of the
//! game; anything else fails the run, and so does any violation of
//! `ledger::violations` afterwards.
//!
//! The seed is printed; `SEQUENCE_SEED=<seed> local/test -- sequences`
//! replays a run's choices (the interleaving of the customers is the
//! scheduler's, so a race may need a few runs).
//!
//! Adding a step (cancellation quotes, changes, reschedules): a variant of
//! `Step` carrying what it chose, its weight and choice in `Step::pick`, its
//! requests in `Customer::take`, and the statuses it may answer in
//! `Step::expected`; an invariant it must keep goes into `ledger.rs`.

use crate::ledger;
use crate::support::*;
use aws_lambda_events::sqs::SqsEvent;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};
use std::sync::Arc;
use tokio::sync::Mutex;

const CUSTOMERS: usize = 6;
const STEPS: usize = 25;
const DEFAULT_SEED: u64 = 17;
const CODES: [&str; 3] = ["FLY100", "SAVE200", "NEW50"];
/// A card number the mock gateway always declines.
const DECLINED_CARD: &str = "4000000000000002";
/// At most this many of the flights are cancelled in a run, so the rest still sell.
const MAX_CANCELLED_FLIGHTS: usize = 2;

/// One thing a customer (or the airline, or the schedule) does, with what it chose.
#[derive(Clone, Debug)]
enum Step {
    Book {
        flight: usize,
        seats: u8,
    },
    BookRoundTrip {
        out: usize,
        back: usize,
        passengers: u8,
    },
    Pay {
        booking: u16,
        declined: bool,
        retried_with_key: bool,
    },
    ApplyDiscount {
        booking: u16,
        code: &'static str,
    },
    Cancel {
        booking: u16,
    },
    /// The booking's time runs out and the minute's sweep expires it.
    Expire {
        booking: u16,
    },
    /// The ticketing queue's consumer takes what is waiting.
    DrainTicketQueue,
    GenerateTickets {
        booking: u16,
    },
    /// A cancellation quote for the first passenger (or the whole booking
    /// when alone), confirmed at once.
    CancelPartly {
        booking: u16,
    },
    /// A change quote of the first slice to the other flight of its
    /// direction, confirmed at once (sometimes with a declined card).
    Change {
        booking: u16,
        declined: bool,
    },
    /// The airline retimes a flight by some minutes.
    Reschedule {
        flight: usize,
        minutes: i64,
    },
    /// The customer answers an open schedule change: accept, rebook onto the
    /// other flight of its direction, or refund.
    ResolveScheduleChange {
        booking: u16,
        option: u8,
    },
    /// The airline cancels a flight (rarely).
    CancelFlight {
        flight: usize,
    },
    /// A cancelled flight's time passes; the schedule refunds what is still paid on it.
    RefundCancelledFlights {
        flight: usize,
    },
}

/// Makes a step's choices.
type Choose = fn(&mut StdRng, &Flights) -> Step;

/// Every step with how often a customer takes it, relative to the others.
const STEP_WEIGHTS: [(u32, Choose); 14] = [
    (22, |r, f| Step::Book { flight: r.gen_range(0..f.all()), seats: r.gen_range(1..=3) }),
    (8, |r, f| Step::BookRoundTrip {
        out: r.gen_range(0..f.out.len()),
        back: r.gen_range(0..f.back.len()),
        passengers: r.gen_range(1..=2),
    }),
    (22, |r, _| Step::Pay { booking: r.gen(), declined: r.gen_bool(0.25), retried_with_key: r.gen_bool(0.3) }),
    (8, |r, _| Step::ApplyDiscount { booking: r.gen(), code: CODES[r.gen_range(0..CODES.len())] }),
    (8, |r, _| Step::Cancel { booking: r.gen() }),
    (5, |r, _| Step::Expire { booking: r.gen() }),
    (7, |_, _| Step::DrainTicketQueue),
    (4, |r, _| Step::GenerateTickets { booking: r.gen() }),
    (1, |r, f| Step::CancelFlight { flight: r.gen_range(0..f.all()) }),
    (2, |r, f| Step::RefundCancelledFlights { flight: r.gen_range(0..f.all()) }),
    (5, |r, _| Step::CancelPartly { booking: r.gen() }),
    (9, |r, _| Step::Change { booking: r.gen(), declined: r.gen_bool(0.2) }),
    (2, |r, f| Step::Reschedule { flight: r.gen_range(0..f.all()), minutes: r.gen_range(10..=90) }),
    (4, |r, _| Step::ResolveScheduleChange { booking: r.gen(), option: r.gen_range(0..3) }),
];

impl Step {
    fn pick(rng: &mut StdRng, flights: &Flights) -> Step {
        let total: u32 = STEP_WEIGHTS.iter().map(|(weight, _)| weight).sum();
        let mut roll = rng.gen_range(0..total);
        for (weight, choose) in STEP_WEIGHTS {
            if roll < weight {
                return choose(rng, flights);
            }
            roll -= weight;
        }
        unreachable!("the roll is below the total")
    }

    /// The statuses this step may answer when the system works.
    fn expected(&self) -> &'static [u16] {
        match self {
            Step::Book { .. } | Step::BookRoundTrip { .. } => &[201, 409, 422, 429],
            Step::Pay { .. } => &[200, 402, 409, 429],
            Step::ApplyDiscount { .. } => &[200, 409, 422],
            Step::Cancel { .. } => &[200, 409],
            Step::GenerateTickets { .. } => &[200, 409],
            Step::CancelFlight { .. } => &[200],
            // A quote may find nothing to cancel or change, or the booking
            // changed under it (another step of this customer's); the
            // confirm may meet a stale quote, a sold-out flight or a decline.
            Step::CancelPartly { .. } => &[200, 201, 409, 422],
            Step::Change { .. } => &[200, 201, 400, 402, 409, 422],
            Step::Reschedule { .. } => &[200, 409],
            Step::ResolveScheduleChange { .. } => &[200, 409, 422],
            Step::Expire { .. } | Step::DrainTicketQueue | Step::RefundCancelledFlights { .. } => &[200],
        }
    }
}

/// The run's flights: out (AAA→DDD) and back (DDD→AAA), a few seats each.
struct Flights {
    out: Vec<i64>,
    back: Vec<i64>,
}

impl Flights {
    fn all(&self) -> usize {
        self.out.len() + self.back.len()
    }

    fn id(&self, index: usize) -> i64 {
        *self.out.iter().chain(&self.back).nth(index).expect("a flight of the run")
    }
}

/// What every customer shares: the stack, the flights, the airline's token.
struct World {
    stack: TestStack,
    flights: Flights,
    admin: String,
    cancelled: Mutex<Vec<i64>>,
}

struct Customer {
    number: usize,
    token: String,
    bookings: Vec<i64>,
    db: tokio_postgres::Client,
    rng: StdRng,
}

/// A handler's answer: status and body (`null` when not JSON).
async fn send(
    world: &World,
    route: &str,
    path: &str,
    params: &[(&str, &str)],
    body: Option<Value>,
    token: &str,
    key: Option<&str>,
) -> (u16, Value) {
    let handler = local_stack::registry::http_handler(route).unwrap();
    let method = if route.ends_with("-get") { "GET" } else { "POST" };
    let headers: Vec<(&str, &str)> = key.iter().map(|k| ("idempotency-key", *k)).collect();
    let req = request_with(method, path, body.map(|b| b.to_string()), Some(token), params, &headers);
    let response = handler(&world.stack.services, req).await.unwrap();
    let status = response.status().as_u16();
    let text = match response.body() {
        lambda_http::Body::Text(t) => t.clone(),
        lambda_http::Body::Binary(b) => String::from_utf8_lossy(b).into_owned(),
        _ => String::new(),
    };
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

impl Customer {
    /// One of the customer's bookings (`index` modulo their number; `None`
    /// when they have none), most of the time one in the status the step
    /// is meant for, as a customer would choose: paying a paid booking is
    /// worth trying now and then, not every time.
    async fn booking(&self, index: u16, usually: Option<&str>) -> Option<i64> {
        let mut candidates = self.bookings.clone();
        if let Some(status) = usually.filter(|_| !index.is_multiple_of(8)) {
            let rows = self
                .db
                .query(
                    "SELECT id FROM bookings WHERE id = ANY($1) AND status = $2 ORDER BY id",
                    &[&self.bookings, &status],
                )
                .await
                .unwrap();
            if !rows.is_empty() {
                candidates = rows.iter().map(|row| row.get(0)).collect();
            }
        }
        (!candidates.is_empty()).then(|| candidates[usize::from(index) % candidates.len()])
    }

    /// Takes one step; returns its status (`None`: nothing to take it on)
    /// and the answer, for the report.
    async fn take(&mut self, world: &World, step: &Step) -> Option<(u16, Value)> {
        let token = self.token.clone();
        let answer = match *step {
            Step::Book { flight, seats } => {
                let body = json!({"flightId": world.flights.id(flight), "seats": seats});
                send(world, "bookings-create", "/api/bookings/create", &[], Some(body), &token, None).await
            }
            Step::BookRoundTrip { out, back, passengers } => {
                let names: Vec<Value> =
                    (0..passengers).map(|p| json!({"name": format!("Traveller {} {}", self.number, p)})).collect();
                let body = json!({
                    "slices": [{"legs": [{"flightId": world.flights.out[out]}]},
                               {"legs": [{"flightId": world.flights.back[back]}]}],
                    "passengers": names,
                });
                send(world, "bookings-create", "/api/bookings", &[], Some(body), &token, None).await
            }
            Step::Pay { booking, declined, retried_with_key } => {
                let id = self.booking(booking, Some("PENDING_PAYMENT")).await?;
                let mut body = json!({"bookingId": id});
                if declined {
                    body["method"] = json!({"type": "card", "cardNumber": DECLINED_CARD});
                }
                let key = retried_with_key.then(|| format!("pay-{}-{}", id, self.rng.gen::<u32>()));
                let first =
                    send(world, "payments-pay", "/api/payments/pay", &[], Some(body.clone()), &token, key.as_deref())
                        .await;
                if let (Some(key), 200) = (&key, first.0) {
                    let again =
                        send(world, "payments-pay", "/api/payments/pay", &[], Some(body), &token, Some(key)).await;
                    assert_eq!(again, first, "customer {}: a retry with the same key replays the payment", self.number);
                }
                first
            }
            Step::ApplyDiscount { booking, code } => {
                let body = json!({"bookingId": self.booking(booking, None).await?, "code": code});
                send(world, "discounts-apply", "/api/discounts/apply", &[], Some(body), &token, None).await
            }
            Step::Cancel { booking } => {
                let id = self.booking(booking, None).await?.to_string();
                let path = format!("/api/bookings/{id}/cancel");
                send(world, "bookings-cancel", &path, &[("bookingId", &id)], None, &token, None).await
            }
            Step::Expire { booking } => {
                let id = self.booking(booking, Some("PENDING_PAYMENT")).await?;
                self.db
                    .execute(
                        "UPDATE bookings SET expires_at = now() - interval '1 second'
                         WHERE id = $1 AND status = 'PENDING_PAYMENT'",
                        &[&id],
                    )
                    .await
                    .unwrap();
                let expired = shared::service::bookings::expire_unpaid_bookings(&world.stack.services).await;
                (if expired.is_ok() { 200 } else { 500 }, json!(format!("{expired:?}")))
            }
            Step::DrainTicketQueue => drain_ticket_queue(world).await,
            Step::CancelPartly { booking } => return self.cancel_partly(world, booking).await,
            Step::Change { booking, declined } => return self.change(world, booking, declined).await,
            Step::Reschedule { flight, minutes } => return reschedule(world, flight, minutes).await,
            Step::ResolveScheduleChange { booking, option } => {
                return self.resolve_schedule_change(world, booking, option).await
            }
            Step::GenerateTickets { booking } => {
                let body = json!({"bookingId": self.booking(booking, Some("PAID")).await?});
                send(world, "tickets-generate", "/api/tickets/generate", &[], Some(body), &token, None).await
            }
            Step::CancelFlight { flight } => {
                let id = world.flights.id(flight);
                {
                    let mut cancelled = world.cancelled.lock().await;
                    if !cancelled.contains(&id) && cancelled.len() >= MAX_CANCELLED_FLIGHTS {
                        return None;
                    }
                    cancelled.push(id);
                }
                let path = format!("/api/admin/flights/{id}/cancel");
                send(world, "flights-cancel", &path, &[("flightId", &id.to_string())], None, &world.admin, None).await
            }
            Step::RefundCancelledFlights { flight } => {
                let id = world.flights.id(flight);
                if !world.cancelled.lock().await.contains(&id) {
                    return None;
                }
                // Its time comes: the flight "departs" (cancelled, it never will).
                self.db
                    .execute(
                        "UPDATE flights SET departs_at = now() - interval '1 minute', arrives_at = now() + interval '1 hour'
                         WHERE id = $1 AND departs_at > now()",
                        &[&id],
                    )
                    .await
                    .unwrap();
                world.stack.services.flights.forget(id);
                let sweep =
                    shared::service::bookings::refund_unresolved_on_cancelled_flights(&world.stack.services).await;
                (if sweep.is_ok() { 200 } else { 500 }, json!(format!("{sweep:?}")))
            }
        };
        if let (201, Some(id), true) = (answer.0, answer.1["id"].as_i64(), answer.1["pnr"].is_string()) {
            self.bookings.push(id);
        }
        Some(answer)
    }

    async fn cancel_partly(&mut self, world: &World, booking: u16) -> Option<(u16, Value)> {
        let id = self.booking(booking, Some("PAID")).await?;
        let seated: i64 = self
            .db
            .query_one(
                "SELECT count(DISTINCT passenger_position) FROM booking_seats WHERE booking_id = $1 AND live",
                &[&id],
            )
            .await
            .unwrap()
            .get(0);
        let scope = if seated > 1 { json!({"passengers": [1]}) } else { json!({}) };
        let path = format!("/api/bookings/{id}/cancellation-quotes");
        let params = [("bookingId", id.to_string())];
        let params: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let quoted = send(world, "cancellation-quotes-create", &path, &params, Some(scope), &self.token, None).await;
        let Some(quote) = quoted.1["id"].as_i64().filter(|_| quoted.0 == 201) else { return Some(quoted) };
        let path = format!("/api/cancellation-quotes/{quote}/confirm");
        let key = format!("cancel-{quote}");
        let params = [("quoteId", quote.to_string())];
        let params: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
        Some(send(world, "cancellation-quotes-confirm", &path, &params, None, &self.token, Some(&key)).await)
    }

    /// The other flight of the direction the booking's first slice flies.
    async fn other_flight(&self, world: &World, booking: i64) -> Option<i64> {
        let row = self
            .db
            .query_opt(
                "SELECT flight_id FROM booking_seats WHERE booking_id = $1 AND slice = 1 AND live LIMIT 1",
                &[&booking],
            )
            .await
            .unwrap()?;
        let current: i64 = row.get(0);
        let direction = if world.flights.out.contains(&current) { &world.flights.out } else { &world.flights.back };
        direction.iter().copied().find(|f| *f != current)
    }

    async fn change(&mut self, world: &World, booking: u16, declined: bool) -> Option<(u16, Value)> {
        let id = self.booking(booking, Some("PAID")).await?;
        let to = self.other_flight(world, id).await?;
        let path = format!("/api/bookings/{id}/change-quotes");
        let params = [("bookingId", id.to_string())];
        let params: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let body = json!({"slice": 1, "legs": [{"flightId": to}]});
        let quoted = send(world, "change-quotes-create", &path, &params, Some(body), &self.token, None).await;
        let Some(quote) = quoted.1["id"].as_i64().filter(|_| quoted.0 == 201) else { return Some(quoted) };
        let path = format!("/api/change-quotes/{quote}/confirm");
        let params = [("quoteId", quote.to_string())];
        let params: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let method = declined.then(|| json!({"method": {"type": "card", "cardNumber": DECLINED_CARD}}));
        let key = format!("change-{quote}-{declined}");
        let first = send(world, "change-quotes-confirm", &path, &params, method.clone(), &self.token, Some(&key)).await;
        if first.0 == 200 {
            let again = send(world, "change-quotes-confirm", &path, &params, method, &self.token, Some(&key)).await;
            assert_eq!(again, first, "customer {}: a confirm retried with its key replays", self.number);
        }
        Some(first)
    }

    async fn resolve_schedule_change(&mut self, world: &World, booking: u16, option: u8) -> Option<(u16, Value)> {
        let rows = self
            .db
            .query(
                "SELECT id, booking_id FROM schedule_changes WHERE booking_id = ANY($1) AND status = 'OPEN' ORDER BY id",
                &[&self.bookings],
            )
            .await
            .unwrap();
        let row = rows.get(usize::from(booking) % rows.len().max(1))?;
        let (change, booking): (i64, i64) = (row.get(0), row.get(1));
        let (name, body) = match option {
            0 => ("accept", None),
            1 => ("rebook", Some(json!({"flightId": self.other_flight(world, booking).await?}))),
            _ => ("refund", None),
        };
        let path = format!("/api/schedule-changes/{change}/{name}");
        let params = [("scheduleChangeId", change.to_string())];
        let params: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
        Some(send(world, "schedule-changes-resolve", &path, &params, body, &self.token, None).await)
    }
}

/// The airline retimes a flight that is still to leave, keeping its length.
async fn reschedule(world: &World, flight: usize, minutes: i64) -> Option<(u16, Value)> {
    let id = world.flights.id(flight);
    if world.cancelled.lock().await.contains(&id) {
        return None;
    }
    let db = world.stack.db().await;
    let row = db.query_one("SELECT departs_at, arrives_at FROM flights WHERE id = $1", &[&id]).await.unwrap();
    let (departs, arrives): (chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>) = (row.get(0), row.get(1));
    let by = chrono::Duration::minutes(minutes);
    let body = json!({"departureTime": (departs + by).to_rfc3339(), "arrivalTime": (arrives + by).to_rfc3339()});
    let path = format!("/api/admin/flights/{id}/reschedule");
    let id = id.to_string();
    Some(send(world, "flights-reschedule", &path, &[("flightId", &id)], Some(body), &world.admin, None).await)
}

/// What waits on the ticketing queue, through its consumer, as the Lambda
/// event source would deliver it; delivered messages are deleted, failed
/// ones come back later (and are counted as `409`: retried, not lost).
async fn drain_ticket_queue(world: &World) -> (u16, Value) {
    let aws = world.stack.services.aws().await;
    let queue = &world.stack.resources.refs["TicketingQueue"];
    let received = aws.sqs.receive_message().queue_url(queue).max_number_of_messages(10).send().await.unwrap();
    let messages = received.messages.unwrap_or_default();
    let records: Vec<Value> = messages
        .iter()
        .map(|m| json!({"messageId": m.message_id, "receiptHandle": m.receipt_handle, "body": m.body, "eventSource": "aws:sqs"}))
        .collect();
    let event: SqsEvent = serde_json::from_value(json!({"Records": records})).unwrap();
    let response = tickets_issue::handle(&world.stack.services, event).await.unwrap();
    let failed: Vec<String> = response.batch_item_failures.iter().map(|f| f.item_identifier.clone()).collect();
    for message in messages.iter().filter(|m| !failed.contains(&m.message_id.clone().unwrap_or_default())) {
        aws.sqs
            .delete_message()
            .queue_url(queue)
            .receipt_handle(message.receipt_handle().unwrap())
            .send()
            .await
            .unwrap();
    }
    (200, json!({"delivered": messages.len(), "failed": failed}))
}

/// A flight of the run, in an aircraft of `seats` economy seats.
async fn flight(net: &Network, number: &str, from: &str, to: &str, day: i64, seats: i32) -> i64 {
    let departs = net.day + chrono::Duration::days(day) + chrono::Duration::hours(8);
    let arrives = departs + chrono::Duration::hours(2);
    let id: i64 = net
        .db
        .query_one(
            "INSERT INTO flights (airline_code, flight_number, origin, destination, departs_at, arrives_at, aircraft_type)
             VALUES ('XY', $1, $2, $3, $4, $5, 'T8') RETURNING id",
            &[&number, &from, &to, &departs, &arrives],
        )
        .await
        .unwrap()
        .get(0);
    net.db
        .execute(
            "INSERT INTO flight_fares (flight_id, cabin, amount, currency, seats_total) VALUES ($1, 'ECONOMY', 250000, 'INR', $2)",
            &[&id, &seats],
        )
        .await
        .unwrap();
    id
}

async fn world(stack: TestStack) -> World {
    let net = Network::new(&stack).await;
    net.db
        .batch_execute(
            r#"INSERT INTO aircraft_types (code, name, layout) VALUES ('T8', 'Tiny 8',
                 '{"cabins": [{"cabin": "ECONOMY", "firstRow": 1, "lastRow": 2, "letters": "ABCD"}]}')"#,
        )
        .await
        .unwrap();
    local_stack::seed::seed_discount_codes(&net.db).await.unwrap();
    let flights = Flights {
        out: vec![flight(&net, "XY10", "AAA", "DDD", 0, 8).await, flight(&net, "XY11", "AAA", "DDD", 0, 8).await],
        back: vec![flight(&net, "XY20", "DDD", "AAA", 3, 8).await, flight(&net, "XY21", "DDD", "AAA", 3, 8).await],
    };
    stack.create_admin("ops@flightbook.local", "admin-change-me-42").await;
    let admin = body_json(&login(&stack, "ops@flightbook.local", "admin-change-me-42").await)["token"]
        .as_str()
        .expect("the admin's token")
        .to_string();
    World { stack, flights, admin, cancelled: Mutex::new(Vec::new()) }
}

/// One customer's run: its steps in order, each answer checked; the log of
/// what it did, for the report of a failure.
async fn run_customer(world: Arc<World>, number: usize, seed: u64) -> Vec<String> {
    let (_, token) = customer(&world.stack, &format!("sequence{number}@example.com")).await;
    let db = world.stack.db().await;
    let rng = StdRng::seed_from_u64(seed.wrapping_mul(1_000_003).wrapping_add(number as u64));
    let mut me = Customer { number, token, bookings: Vec::new(), db, rng };
    let mut log = Vec::new();
    for n in 0..STEPS {
        let step = Step::pick(&mut me.rng, &world.flights);
        let Some((status, body)) = me.take(&world, &step).await else { continue };
        let code = body["code"].as_str().unwrap_or_default();
        log.push(format!("customer {number} step {n}: {step:?} -> {status} {code}").trim_end().to_string());
        assert!(
            step.expected().contains(&status),
            "seed {seed}, customer {number}, step {n}: {step:?} answered {status}: {body}\n{}",
            log.join("\n")
        );
    }
    log
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_sequences_of_customers_keep_the_ledger_and_the_seats_consistent() {
    let seed = std::env::var("SEQUENCE_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(DEFAULT_SEED);
    println!("SEQUENCE_SEED={seed} (set it to replay this run's choices)");
    let world = Arc::new(world(TestStack::new().await).await);
    let runs = (0..CUSTOMERS).map(|n| tokio::spawn(run_customer(world.clone(), n, seed)));
    let logs = within(50, futures::future::try_join_all(runs)).await.unwrap_or_else(|e| panic!("seed {seed}: {e}"));
    // Whatever is still on the queue is issued too, so the invariants see invoices and credit notes.
    for _ in 0..5 {
        if drain_ticket_queue(&world).await.1["delivered"] == 0 {
            break;
        }
    }
    let steps: usize = logs.iter().map(Vec::len).sum();
    // What happened, by step and answer: a run that only ever got refusals proves little.
    let mut tally: std::collections::BTreeMap<String, usize> = Default::default();
    for line in logs.iter().flatten() {
        let (_, step) = line.split_once(": ").unwrap_or_default();
        let kind = step.split([' ', '{']).next().unwrap_or_default();
        *tally.entry(format!("{kind} {}", step.rsplit("-> ").next().unwrap_or_default())).or_default() += 1;
    }
    println!("seed {seed}: {tally:?}");
    let db = world.stack.db().await;
    let counts = db
        .query_one(
            "SELECT (SELECT count(*) FROM bookings), (SELECT count(*) FROM payments WHERE status = 'SUCCEEDED'),
                    (SELECT count(*) FROM refunds), (SELECT count(*) FROM invoices), (SELECT count(*) FROM credit_notes)",
            &[],
        )
        .await
        .unwrap();
    let count = |i: usize| counts.get::<_, i64>(i);
    println!(
        "seed {seed}: {steps} steps; {} bookings, {} payments, {} refunds, {} invoices, {} credit notes",
        count(0),
        count(1),
        count(2),
        count(3),
        count(4)
    );
    ledger::assert_consistent(&db, &format!("seed {seed}\n{}", logs.concat().join("\n"))).await;
    assert!(count(0) > 0 && count(1) > 0, "seed {seed}: the run booked and paid something");
}
