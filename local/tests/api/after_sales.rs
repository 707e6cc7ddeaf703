//! After the sale: what can still be paid, what an airline's cancellation
//! does to unpaid bookings, promo uses that come back, and a customer's own
//! promo limit under concurrent use.

use crate::support::*;
use serde_json::{json, Value};

async fn handle(
    stack: &TestStack,
    name: &str,
    path: &str,
    params: &[(&str, &str)],
    body: Option<Value>,
    token: &str,
) -> (u16, Value) {
    let method = if name.ends_with("-get") { "GET" } else { "POST" };
    call_route(stack, name, method, path, params, body, token).await
}

async fn pay(stack: &TestStack, token: &str, body: Value) -> (u16, Value) {
    handle(stack, "payments-pay", "/api/payments/pay", &[], Some(body), token).await
}

async fn apply_code(stack: &TestStack, token: &str, booking: i64, code: &str) -> (u16, Value) {
    let body = json!({"bookingId": booking, "code": code});
    handle(stack, "discounts-apply", "/api/discounts/apply", &[], Some(body), token).await
}

async fn booking_of(stack: &TestStack, token: &str, booking: i64) -> Value {
    let id = booking.to_string();
    let (status, body) =
        handle(stack, "bookings-get", &format!("/api/bookings/{id}"), &[("bookingId", &id)], None, token).await;
    assert_eq!(status, 200, "{body}");
    body
}

async fn cancel_booking(stack: &TestStack, token: &str, booking: i64) -> (u16, Value) {
    let id = booking.to_string();
    handle(stack, "bookings-cancel", &format!("/api/bookings/{id}/cancel"), &[("bookingId", &id)], None, token).await
}

async fn cancel_flight(stack: &TestStack, admin_token: &str, flight: i64) -> (u16, Value) {
    let id = flight.to_string();
    handle(stack, "flights-cancel", &format!("/api/admin/flights/{id}/cancel"), &[("flightId", &id)], None, admin_token)
        .await
}

async fn admin_token(stack: &TestStack) -> String {
    let admin = stack.create_admin("ops@flightbook.local", "admin-change-me-42").await;
    stack.services.tokens.issue(admin, shared::auth::tokens::Role::Admin).unwrap().token
}

async fn book(stack: &TestStack, token: &str, flight: i64, seats: u8) -> i64 {
    let (status, booking) = create_booking(stack, token, json!({"flightId": flight, "seats": seats})).await;
    assert_eq!(status, 201, "{booking}");
    booking["id"].as_i64().unwrap()
}

/// FLY100 with the given total and per-customer limits.
async fn promo(stack: &TestStack, usage_limit: Option<i32>, per_user_limit: i32) {
    let db = stack.db().await;
    local_stack::seed::seed_discount_codes(&db).await.unwrap();
    db.execute(
        "UPDATE discount_codes SET usage_limit = $1, per_user_limit = $2, usage_count = 0 WHERE code = 'FLY100'",
        &[&usage_limit, &per_user_limit],
    )
    .await
    .unwrap();
}

async fn promo_uses(stack: &TestStack) -> i32 {
    stack
        .db()
        .await
        .query_one("SELECT usage_count FROM discount_codes WHERE code = 'FLY100'", &[])
        .await
        .unwrap()
        .get(0)
}

async fn payments_of(stack: &TestStack, booking: i64) -> i64 {
    stack.db().await.query_one("SELECT count(*) FROM payments WHERE booking_id = $1", &[&booking]).await.unwrap().get(0)
}

#[tokio::test]
async fn a_booking_on_a_departed_or_cancelled_flight_cannot_be_paid() {
    let stack = TestStack::new().await;
    let net = Network::new(&stack).await;
    let (_, token) = customer(&stack, "late@example.com").await;
    let departing = net.flight("XY1", "AAA", "DDD", 6 * 60, 120, 250000).await;
    let grounded = net.flight("XY2", "AAA", "DDD", 9 * 60, 120, 250000).await;
    let on_departing = book(&stack, &token, departing, 1).await;
    let on_grounded = book(&stack, &token, grounded, 1).await;

    // It left while the booking waited for payment; the minute sweep has
    // not marked it yet: the clock decides.
    net.db
        .execute(
            "UPDATE flights SET departs_at = now() - interval '1 minute', arrives_at = now() + interval '1 hour' WHERE id = $1",
            &[&departing],
        )
        .await
        .unwrap();
    let (status, problem) = pay(&stack, &token, json!({"bookingId": on_departing})).await;
    assert_eq!((status, problem["code"].as_str()), (409, Some("FLIGHT_NOT_BOOKABLE")), "{problem}");
    assert_eq!(problem["flightStatus"], "DEPARTED");

    // Cancelled, in the moment before its unpaid bookings are closed.
    net.db.execute("UPDATE flights SET status = 'CANCELLED' WHERE id = $1", &[&grounded]).await.unwrap();
    let (status, problem) = pay(&stack, &token, json!({"bookingId": on_grounded})).await;
    assert_eq!((status, problem["code"].as_str()), (409, Some("FLIGHT_NOT_BOOKABLE")), "{problem}");
    assert_eq!(problem["flightStatus"], "CANCELLED");

    for booking in [on_departing, on_grounded] {
        assert_eq!(payments_of(&stack, booking).await, 0, "nothing charged or recorded");
        assert_eq!(booking_of(&stack, &token, booking).await["status"], "PENDING_PAYMENT");
    }
}

#[tokio::test]
async fn a_declined_payment_says_why_in_a_decline_code() {
    let stack = TestStack::new().await;
    let net = Network::new(&stack).await;
    let (_, token) = customer(&stack, "declined@example.com").await;
    let booking = book(&stack, &token, net.flight("XY1", "AAA", "DDD", 6 * 60, 120, 250000).await, 1).await;
    for (card, decline_code) in [("4000000000000002", "card_declined"), ("4000000000009995", "insufficient_funds")] {
        let (status, problem) =
            pay(&stack, &token, json!({"bookingId": booking, "method": {"type": "card", "cardNumber": card}})).await;
        assert_eq!((status, problem["code"].as_str()), (402, Some("PAYMENT_DECLINED")), "{problem}");
        assert_eq!(problem["declineCode"], decline_code);
    }
    let (status, problem) =
        pay(&stack, &token, json!({"bookingId": booking, "method": {"type": "upi", "vpa": "failure@upi"}})).await;
    assert_eq!((status, &problem["declineCode"]), (402, &json!("upi_declined")), "{problem}");
}

#[tokio::test]
async fn cancelling_a_flight_closes_its_unpaid_bookings_frees_their_seats_and_gives_back_their_promo_uses() {
    let stack = TestStack::new().await;
    let net = Network::new(&stack).await;
    promo(&stack, Some(1), 1).await;
    let flight = net.flight("XY1", "AAA", "DDD", 6 * 60, 120, 250000).await;
    let back = net.flight("XY2", "DDD", "AAA", 24 * 60 + 6 * 60, 120, 250000).await;
    let (_, waiting) = customer(&stack, "waiting@example.com").await;
    let (_, paid) = customer(&stack, "paid@example.com").await;

    // An unpaid round trip with the promo's only use; a paid one-way.
    let round_trip = json!({"slices": [{"legs": [{"flightId": flight, "seatNumbers": ["1A", "1B"]}]},
                                       {"legs": [{"flightId": back, "seatNumbers": ["1A", "1B"]}]}]});
    let (status, unpaid) = create_booking(&stack, &waiting, round_trip).await;
    assert_eq!(status, 201, "{unpaid}");
    let unpaid = unpaid["id"].as_i64().unwrap();
    assert_eq!(apply_code(&stack, &waiting, unpaid, "FLY100").await.0, 200);
    let confirmed = book(&stack, &paid, flight, 1).await;
    assert_eq!(pay(&stack, &paid, json!({"bookingId": confirmed})).await.0, 200);
    assert_eq!(promo_uses(&stack).await, 1);

    let admin = admin_token(&stack).await;
    let (status, cancelled) = cancel_flight(&stack, &admin, flight).await;
    assert_eq!(status, 200, "{cancelled}");
    assert_eq!(
        (cancelled["affectedBookings"].as_i64(), cancelled["closedUnpaidBookings"].as_i64()),
        (Some(2), Some(1))
    );

    let closed = booking_of(&stack, &waiting, unpaid).await;
    assert_eq!(closed["status"], "CANCELLED", "{closed}");
    assert_eq!(payments_of(&stack, unpaid).await, 0);
    assert_eq!(
        booking_of(&stack, &paid, confirmed).await["status"],
        "PAID",
        "a paid booking is the customer's to resolve"
    );
    // The seats it held on the return flight are free again, and the promo's use is back.
    let (_, seats) = seat_map(&stack, &paid, back).await;
    let free = |seat: &str| {
        seats["seats"].as_array().unwrap().iter().any(|s| s["seatNumber"] == seat && s["state"] == "available")
    };
    assert!(free("1A") && free("1B"), "{seats}");
    assert_eq!(promo_uses(&stack).await, 0);
    let (_, other) = customer(&stack, "next@example.com").await;
    let next = book(&stack, &other, back, 1).await;
    let (status, applied) = apply_code(&stack, &other, next, "FLY100").await;
    assert_eq!(status, 200, "the use came back: {applied}");
    // The customer was told, once.
    let told: i64 = net
        .db
        .query_one(
            "SELECT count(*) FROM outbox WHERE dedup_key = $1",
            &[&format!("flight-cancelled:{flight}:{unpaid}")],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(told, 1);

    let (status, again) = cancel_flight(&stack, &admin, flight).await;
    assert_eq!((status, again["closedUnpaidBookings"].as_i64()), (200, Some(0)), "{again}");
}

#[tokio::test]
async fn an_unpaid_booking_cancelled_or_expired_gives_its_promo_use_back() {
    let stack = TestStack::new().await;
    let net = Network::new(&stack).await;
    promo(&stack, Some(1), 1).await;
    let flight = net.flight("XY1", "AAA", "DDD", 6 * 60, 120, 250000).await;
    let (_, token) = customer(&stack, "saver@example.com").await;
    let first = book(&stack, &token, flight, 1).await;
    let second = book(&stack, &token, flight, 1).await;
    assert_eq!(apply_code(&stack, &token, first, "FLY100").await.0, 200);
    let (status, refused) = apply_code(&stack, &token, second, "FLY100").await;
    assert_eq!((status, refused["code"].as_str()), (422, Some("DISCOUNT_USER_LIMIT")), "{refused}");

    // Cancelled unpaid: the use is the customer's (and the code's) again.
    assert_eq!(cancel_booking(&stack, &token, first).await.0, 200);
    assert_eq!(promo_uses(&stack).await, 0);
    assert_eq!(apply_code(&stack, &token, second, "FLY100").await.0, 200);
    assert_eq!(promo_uses(&stack).await, 1);

    // Expired unpaid: the same.
    net.db
        .execute("UPDATE bookings SET expires_at = now() - interval '1 second' WHERE id = $1", &[&second])
        .await
        .unwrap();
    assert_eq!(shared::service::bookings::expire_unpaid_bookings(&stack.services).await.unwrap(), 1);
    assert_eq!(promo_uses(&stack).await, 0);
    let (_, other) = customer(&stack, "other@example.com").await;
    let third = book(&stack, &other, flight, 1).await;
    assert_eq!(apply_code(&stack, &other, third, "FLY100").await.0, 200);

    // A paid booking keeps its use, cancelled or not.
    assert_eq!(pay(&stack, &other, json!({"bookingId": third})).await.0, 200);
    assert_eq!(cancel_booking(&stack, &other, third).await.0, 200);
    assert_eq!(promo_uses(&stack).await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customers_own_limit_holds_when_they_apply_a_code_to_several_bookings_at_once() {
    let stack = TestStack::new().await;
    let net = Network::new(&stack).await;
    promo(&stack, None, 1).await;
    let (_, token) = customer(&stack, "eager@example.com").await;
    let mut bookings = Vec::new();
    for i in 0..8 {
        let flight = net.flight(&format!("XY{}", 10 + i), "AAA", "DDD", 6 * 60 + i * 10, 120, 250000).await;
        bookings.push(book(&stack, &token, flight, 1).await);
    }
    let results = futures::future::join_all(bookings.iter().map(|b| apply_code(&stack, &token, *b, "FLY100"))).await;
    let statuses: Vec<u16> = results.iter().map(|r| r.0).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 1, "{results:?}");
    assert!(results.iter().filter(|r| r.0 != 200).all(|r| r.1["code"] == "DISCOUNT_USER_LIMIT"), "{results:?}");
    let used: i64 = net
        .db
        .query_one("SELECT count(*) FROM booking_discounts WHERE code = 'FLY100' AND released_at IS NULL", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!((used, promo_uses(&stack).await), (1, 1));
}

#[tokio::test]
async fn a_booking_shows_its_money_and_what_can_be_done_next_at_every_step() {
    let stack = TestStack::new().await;
    let net = Network::new(&stack).await;
    local_stack::seed::seed_discount_codes(&stack.db().await).await.unwrap();
    let flight = net.flight("XY1", "AAA", "DDD", 6 * 60, 120, 250000).await;
    let (_, token) = customer(&stack, "ledger@example.com").await;
    let booking = book(&stack, &token, flight, 2).await;
    let state = |b: &Value| {
        (
            b["status"].as_str().unwrap().to_string(),
            b["amountDue"]["amount"].as_i64().unwrap(),
            b["amountPaid"]["amount"].as_i64().unwrap(),
            b["amountRefunded"]["amount"].as_i64().unwrap(),
            b["availableActions"].clone(),
        )
    };
    let fresh = booking_of(&stack, &token, booking).await;
    assert_eq!(state(&fresh), ("PENDING_PAYMENT".into(), 500000, 0, 0, json!(["pay", "cancel", "applyDiscount"])));
    assert_eq!(fresh["amountPaid"]["formatted"], "₹0.00");

    let (status, paid) = pay(&stack, &token, json!({"bookingId": booking})).await;
    assert_eq!(status, 200, "{paid}");
    assert_eq!(
        state(&paid["booking"]),
        ("PAID".into(), 0, 500000, 0, json!(["cancel", "applyDiscount", "change"])),
        "{paid}"
    );

    let (status, cashback) = apply_code(&stack, &token, booking, "SAVE200").await;
    assert_eq!(status, 200, "{cashback}");
    let cashback = cashback["cashback"]["amount"].as_i64().unwrap();
    assert!(cashback > 0);
    let after_cashback = booking_of(&stack, &token, booking).await;
    assert_eq!(state(&after_cashback), ("PAID".into(), 0, 500000, cashback, json!(["cancel", "change"])));

    let (status, cancelled) = cancel_booking(&stack, &token, booking).await;
    assert_eq!(status, 200, "{cancelled}");
    let closed = booking_of(&stack, &token, booking).await;
    // Saver keeps ₹3,500 a seat, more than each ₹2,500 seat paid: only the
    // cashback came back (the fare rules; once 500000, all that was paid).
    assert_eq!(state(&closed), ("CANCELLED".into(), 0, 500000, cashback, json!([])), "the penalty is kept");

    // Unpaid on a departed flight: only cancelling is left.
    let other = book(&stack, &token, flight, 1).await;
    net.db
        .execute(
            "UPDATE flights SET departs_at = now() - interval '1 minute', arrives_at = now() + interval '1 hour' WHERE id = $1",
            &[&flight],
        )
        .await
        .unwrap();
    // The warm instance keeps flight facts; a retime reaches it by forgetting them.
    stack.services.flights.forget(flight);
    assert_eq!(booking_of(&stack, &token, other).await["availableActions"], json!(["cancel"]));
}

#[tokio::test]
async fn a_paid_booking_left_on_a_cancelled_flight_is_refunded_in_full_at_its_departure_time() {
    let stack = TestStack::new().await;
    let net = Network::new(&stack).await;
    let flight = net.flight("XY1", "AAA", "DDD", 6 * 60, 120, 250000).await;
    let other = net.flight("XY2", "AAA", "DDD", 9 * 60, 120, 250000).await;
    let (_, token) = customer(&stack, "stranded@example.com").await;
    let stranded = book(&stack, &token, flight, 2).await;
    let unaffected = book(&stack, &token, other, 1).await;
    for booking in [stranded, unaffected] {
        assert_eq!(pay(&stack, &token, json!({"bookingId": booking})).await.0, 200);
    }
    let admin = admin_token(&stack).await;
    assert_eq!(cancel_flight(&stack, &admin, flight).await.0, 200);
    let sweep = || shared::service::bookings::refund_unresolved_on_cancelled_flights(&stack.services);
    assert_eq!(sweep().await.unwrap(), 0, "the customer may still choose until the flight's time");
    assert_eq!(booking_of(&stack, &token, stranded).await["status"], "PAID");

    for id in [flight, other] {
        net.db
            .execute(
                "UPDATE flights SET departs_at = now() - interval '1 minute', arrives_at = now() + interval '1 hour' WHERE id = $1",
                &[&id],
            )
            .await
            .unwrap();
    }
    let (first, second) = tokio::join!(sweep(), sweep());
    assert_eq!(first.unwrap() + second.unwrap(), 1, "refunded once, by one of two overlapping sweeps");
    let refunded = booking_of(&stack, &token, stranded).await;
    assert_eq!(refunded["status"], "CANCELLED", "{refunded}");
    assert_eq!(
        (refunded["amountPaid"]["amount"].as_i64(), refunded["amountRefunded"]["amount"].as_i64()),
        (Some(500000), Some(500000))
    );
    assert_eq!(booking_of(&stack, &token, unaffected).await["status"], "PAID", "a flight that flew is not refunded");
    assert_eq!(sweep().await.unwrap(), 0);
}

async fn events_of(stack: &TestStack, token: &str, booking: i64) -> (u16, Value) {
    let id = booking.to_string();
    let path = format!("/api/bookings/{id}/events");
    handle(stack, "bookings-events", &path, &[("bookingId", &id)], None, token).await
}

fn timeline(events: &Value) -> Vec<(String, String, Option<i64>, Option<String>)> {
    events["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["type"].as_str().unwrap().to_string(),
                e["actor"].as_str().unwrap().to_string(),
                e["amount"]["amount"].as_i64(),
                e["detail"].as_str().map(str::to_string),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_booking_timeline_shows_every_change_with_its_actor_and_money_in_order() {
    let stack = TestStack::new().await;
    let net = Network::new(&stack).await;
    promo(&stack, Some(5), 5).await;
    local_stack::seed::seed_discount_codes(&stack.db().await).await.unwrap();
    let flight = net.flight("XY1", "AAA", "DDD", 6 * 60, 120, 250000).await;
    let (_, token) = customer(&stack, "timeline@example.com").await;
    let booking = book(&stack, &token, flight, 2).await;
    let declined = json!({"bookingId": booking, "method": {"type": "card", "cardNumber": "4000000000000002"}});
    assert_eq!(pay(&stack, &token, declined).await.0, 402);
    assert_eq!(pay(&stack, &token, json!({"bookingId": booking})).await.0, 200);
    let (_, cashback) = apply_code(&stack, &token, booking, "SAVE200").await;
    let cashback = cashback["cashback"]["amount"].as_i64().unwrap();
    // Flexi keeps ₹1,500 of each ₹2,500 seat (Saver would keep it all).
    net.db.execute("UPDATE bookings SET fare_brand = 'FLEXI' WHERE id = $1", &[&booking]).await.unwrap();
    assert_eq!(cancel_booking(&stack, &token, booking).await.0, 200);

    let (status, events) = events_of(&stack, &token, booking).await;
    assert_eq!(status, 200, "{events}");
    assert_eq!((events["bookingId"].as_i64(), events["status"].as_str()), (Some(booking), Some("CANCELLED")));
    let s = |v: &str| Some(v.to_string());
    assert_eq!(
        timeline(&events),
        vec![
            ("BOOKING_CREATED".into(), "customer".into(), Some(500000), None),
            ("PAYMENT_DECLINED".into(), "customer".into(), Some(500000), s("card_declined")),
            ("PAYMENT_SUCCEEDED".into(), "customer".into(), Some(500000), None),
            ("CASHBACK_GRANTED".into(), "customer".into(), Some(cashback), s("SAVE200")),
            ("REFUNDED".into(), "system".into(), Some(cashback), s("CASHBACK")),
            // A paid booking is invoiced before any of it is refunded: the
            // fare's penalty stays on an invoice, the refund is a credit note.
            ("TICKETS_ISSUED".into(), "system".into(), None, s("2")),
            ("BOOKING_CANCELLED".into(), "customer".into(), None, None),
            ("TICKETS_VOIDED".into(), "system".into(), None, s("2")),
            ("REFUNDED".into(), "system".into(), Some(2 * (250000 - 150000)), s("CANCELLATION")),
        ]
    );
    assert_eq!(events["events"][0]["amount"]["formatted"], "₹5,000.00");
    let (_, stranger) = customer(&stack, "stranger@example.com").await;
    assert_eq!(events_of(&stack, &stranger, booking).await.0, 404);

    // Closed by the airline's cancellation: the airline is the actor, and the promo use comes back.
    let unpaid = book(&stack, &token, flight, 1).await;
    assert_eq!(apply_code(&stack, &token, unpaid, "FLY100").await.0, 200);
    assert_eq!(cancel_flight(&stack, &admin_token(&stack).await, flight).await.0, 200);
    let (_, events) = events_of(&stack, &token, unpaid).await;
    let kinds: Vec<(String, String)> = timeline(&events).into_iter().map(|(kind, actor, _, _)| (kind, actor)).collect();
    assert_eq!(
        kinds,
        [
            ("BOOKING_CREATED", "customer"),
            ("DISCOUNT_APPLIED", "customer"),
            ("BOOKING_CANCELLED", "airline"),
            ("PROMO_RELEASED", "system")
        ]
        .map(|(k, a)| (k.to_string(), a.to_string()))
    );
}
