//! Airline-initiated schedule changes: an admin retimes a flight, each paid
//! booking on it gets one change, and its customer accepts, rebooks or takes
//! a full refund, once, under real concurrency.

use crate::support::*;
use serde_json::{json, Value};

async fn admin_token(stack: &TestStack) -> String {
    let admin = stack.create_admin("ops@flightbook.local", "admin-change-me-42").await;
    stack.services.tokens.issue(admin, shared::auth::tokens::Role::Admin).unwrap().token
}

/// Retimes `flight` to depart `minutes_after_midnight` on the network's day
/// and arrive `duration` minutes later.
async fn reschedule(
    stack: &TestStack,
    net: &Network,
    token: &str,
    flight: i64,
    minutes_after_midnight: i64,
    duration: i64,
) -> (u16, Value) {
    let departs = net.day + chrono::Duration::minutes(minutes_after_midnight);
    let arrives = departs + chrono::Duration::minutes(duration);
    let body = json!({"departureTime": departs.to_rfc3339(), "arrivalTime": arrives.to_rfc3339()});
    reschedule_with(stack, token, flight, body).await
}

async fn reschedule_with(stack: &TestStack, token: &str, flight: i64, body: Value) -> (u16, Value) {
    let id = flight.to_string();
    let path = format!("/api/admin/flights/{id}/reschedule");
    call_route(stack, "flights-reschedule", "POST", &path, &[("flightId", &id)], Some(body), token).await
}

async fn changes_of(stack: &TestStack, token: &str, booking: i64) -> (u16, Value) {
    let id = booking.to_string();
    let path = format!("/api/bookings/{id}/schedule-changes");
    call_route(stack, "schedule-changes-list", "GET", &path, &[("bookingId", &id)], None, token).await
}

async fn resolve(stack: &TestStack, token: &str, change: i64, option: &str, body: Option<Value>) -> (u16, Value) {
    let id = change.to_string();
    let path = format!("/api/schedule-changes/{id}/{option}");
    let body = body.or_else(|| (option == "rebook").then(|| json!({})));
    call_route(stack, "schedule-changes-resolve", "POST", &path, &[("scheduleChangeId", &id)], body, token).await
}

async fn booking_of(stack: &TestStack, token: &str, booking: i64) -> Value {
    let id = booking.to_string();
    let (status, body) =
        call_route(stack, "bookings-get", "GET", &format!("/api/bookings/{id}"), &[("bookingId", &id)], None, token)
            .await;
    assert_eq!(status, 200, "{body}");
    body
}

/// A paid booking of `body`; returns its id.
async fn paid_booking(stack: &TestStack, token: &str, body: Value) -> i64 {
    let (status, booking) = create_booking(stack, token, body).await;
    assert_eq!(status, 201, "{booking}");
    let id = booking["id"].as_i64().unwrap();
    let (status, paid) =
        call_route(stack, "payments-pay", "POST", "/api/payments/pay", &[], Some(json!({"bookingId": id})), token)
            .await;
    assert_eq!(status, 200, "{paid}");
    id
}

fn option<'a>(change: &'a Value, kind: &str) -> Option<&'a Value> {
    change["options"].as_array().unwrap().iter().find(|o| o["type"] == kind)
}

async fn only_change(stack: &TestStack, token: &str, booking: i64) -> Value {
    let (status, list) = changes_of(stack, token, booking).await;
    assert_eq!(status, 200, "{list}");
    let changes = list["scheduleChanges"].as_array().unwrap();
    assert_eq!(changes.len(), 1, "{list}");
    changes[0].clone()
}

async fn sold(net: &Network, flight: i64) -> i64 {
    one(net, "SELECT seats_sold::bigint FROM flight_fares WHERE flight_id = $1", &[&flight]).await
}

async fn one(net: &Network, sql: &str, params: &[&(dyn tokio_postgres::types::ToSql + Sync)]) -> i64 {
    net.db.query_one(sql, params).await.unwrap().get(0)
}

#[tokio::test]
async fn a_reschedule_is_for_admins_and_refuses_impossible_times_with_a_4xx() {
    let stack = TestStack::new().await;
    let net = Network::new(&stack).await;
    let flight = net.flight("XY1", "AAA", "DDD", 6 * 60, 120, 250000).await;
    let (_, customer_token) = customer(&stack, "curious@example.com").await;
    let admin = admin_token(&stack).await;

    assert_eq!(reschedule(&stack, &net, &customer_token, flight, 8 * 60, 120).await.0, 403);
    let (status, problem) = reschedule(&stack, &net, &admin, flight, 8 * 60, -30).await;
    assert_eq!((status, problem["code"].as_str()), (400, Some("INVALID_FIELD")), "{problem}");
    let past = json!({"departureTime": "2020-01-01T10:00:00+05:30", "arrivalTime": "2020-01-01T12:00:00+05:30"});
    let (status, problem) = reschedule_with(&stack, &admin, flight, past).await;
    assert_eq!((status, problem["code"].as_str()), (400, Some("DATE_IN_PAST")), "{problem}");
    let (status, problem) =
        reschedule_with(&stack, &admin, flight, json!({"departureTime": "tomorrow", "arrivalTime": "later"})).await;
    assert_eq!(status, 400, "{problem}");
    assert_eq!(reschedule(&stack, &net, &admin, flight + 1000, 8 * 60, 120).await.0, 404);

    let cancelled = net.flight("XY2", "AAA", "DDD", 9 * 60, 120, 250000).await;
    net.db.execute("UPDATE flights SET status = 'CANCELLED' WHERE id = $1", &[&cancelled]).await.unwrap();
    let (status, problem) = reschedule(&stack, &net, &admin, cancelled, 10 * 60, 120).await;
    assert_eq!((status, problem["code"].as_str()), (409, Some("FLIGHT_CANCELLED")), "{problem}");
    let departed = net.flight("XY3", "AAA", "DDD", 9 * 60, 120, 250000).await;
    net.db.execute("UPDATE flights SET status = 'DEPARTED' WHERE id = $1", &[&departed]).await.unwrap();
    let (status, problem) = reschedule(&stack, &net, &admin, departed, 10 * 60, 120).await;
    assert_eq!((status, problem["code"].as_str()), (409, Some("FLIGHT_DEPARTED")), "{problem}");

    let (status, retimed) = reschedule(&stack, &net, &admin, flight, 8 * 60, 150).await;
    assert_eq!(status, 200, "{retimed}");
    assert_eq!(retimed["durationMinutes"], 150);
}

#[tokio::test]
async fn a_retime_opens_one_change_per_paid_booking_and_tells_every_holder_once() {
    let stack = TestStack::new().await;
    let net = Network::new(&stack).await;
    let flight = net.flight("XY1", "AAA", "DDD", 6 * 60, 120, 250000).await;
    let later = net.flight("XY2", "AAA", "DDD", 12 * 60, 120, 250000).await;
    let (_, payer) = customer(&stack, "payer@example.com").await;
    let (_, waiter) = customer(&stack, "waiter@example.com").await;
    let paid = paid_booking(&stack, &payer, json!({"flightId": flight, "seats": 2})).await;
    let (status, unpaid) = create_booking(&stack, &waiter, json!({"flightId": flight, "seats": 1})).await;
    assert_eq!(status, 201, "{unpaid}");
    let unpaid = unpaid["id"].as_i64().unwrap();
    let admin = admin_token(&stack).await;

    let (status, retimed) = reschedule(&stack, &net, &admin, flight, 7 * 60, 120).await;
    assert_eq!(status, 200, "{retimed}");
    assert_eq!((retimed["affectedBookings"].as_i64(), retimed["scheduleChanges"].as_i64()), (Some(2), Some(1)));
    // The same times again change nothing and open nothing twice.
    let (status, again) = reschedule(&stack, &net, &admin, flight, 7 * 60, 120).await;
    assert_eq!((status, again["scheduleChanges"].as_i64()), (200, Some(1)), "{again}");
    assert_eq!(one(&net, "SELECT count(*) FROM schedule_changes", &[]).await, 1);

    let change = only_change(&stack, &payer, paid).await;
    assert_eq!((change["status"].as_str(), change["flightNumber"].as_str()), (Some("OPEN"), Some("XY1")));
    assert!(change["previous"]["departureTime"].as_str().unwrap().contains("T06:00:00+05:30"), "{change}");
    assert!(change["new"]["departureTime"].as_str().unwrap().contains("T07:00:00+05:30"), "{change}");
    assert!(option(&change, "accept").is_some(), "{change}");
    let alternatives = &option(&change, "rebook").unwrap()["alternatives"];
    assert_eq!(alternatives.as_array().unwrap().len(), 1, "{change}");
    assert_eq!(alternatives[0]["flightId"].as_i64(), Some(later));
    assert_eq!(option(&change, "refund").unwrap()["amount"]["amount"].as_i64(), Some(500000));
    let (_, none) = changes_of(&stack, &waiter, unpaid).await;
    assert_eq!(none["scheduleChanges"], json!([]), "an unpaid booking just sees the new times");

    let booking = booking_of(&stack, &payer, paid).await;
    assert!(booking["availableActions"].as_array().unwrap().contains(&json!("resolveScheduleChange")), "{booking}");
    let net_ref = &net;
    let told = |booking: i64| async move {
        one(
            net_ref,
            "SELECT count(*) FROM outbox WHERE payload->>'kind' = 'SCHEDULE_CHANGED'
               AND payload->>'userId' = (SELECT user_id::text FROM bookings WHERE id = $1)",
            &[&booking],
        )
        .await
    };
    assert_eq!((told(paid).await, told(unpaid).await), (1, 1), "each holder told once");
    let message: String = net
        .db
        .query_one(
            "SELECT payload->>'message' FROM outbox WHERE payload->>'kind' = 'SCHEDULE_CHANGED'
               AND payload->>'message' LIKE '%your options%' ORDER BY id LIMIT 1",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert!(message.contains("accept the new times") && message.contains("full refund of ₹5,000.00"), "{message}");

    // A second, different retime before the customer answered moves the open change.
    assert_eq!(reschedule(&stack, &net, &admin, flight, 8 * 60, 120).await.0, 200);
    let change = only_change(&stack, &payer, paid).await;
    assert!(change["previous"]["departureTime"].as_str().unwrap().contains("T06:00:00"), "{change}");
    assert!(change["new"]["departureTime"].as_str().unwrap().contains("T08:00:00"), "{change}");

    let id = paid.to_string();
    let (_, events) = call_route(
        &stack,
        "bookings-events",
        "GET",
        &format!("/api/bookings/{id}/events"),
        &[("bookingId", &id)],
        None,
        &payer,
    )
    .await;
    let changed = events["events"].as_array().unwrap().iter().find(|e| e["type"] == "SCHEDULE_CHANGED").cloned();
    assert_eq!(changed.map(|e| (e["actor"].clone(), e["detail"].clone())), Some((json!("airline"), json!("XY1"))));
}

#[tokio::test]
async fn a_retime_that_breaks_a_connection_offers_no_accept() {
    let stack = TestStack::new().await;
    let net = Network::new(&stack).await;
    let first = net.flight("XY1", "AAA", "BBB", 6 * 60, 120, 250000).await;
    let second = net.flight("XY2", "BBB", "DDD", 9 * 60, 120, 250000).await;
    let early = net.flight("XY3", "AAA", "BBB", 5 * 60, 120, 250000).await;
    let too_late = net.flight("XY4", "AAA", "BBB", 7 * 60, 100, 250000).await;
    let (_, token) = customer(&stack, "connecting@example.com").await;
    let legs =
        json!({"legs": [{"flightId": first, "seatNumbers": ["1A"]}, {"flightId": second, "seatNumbers": ["1A"]}]});
    let booking = paid_booking(&stack, &token, legs).await;
    let admin = admin_token(&stack).await;

    // Lands at 08:30: 30 minutes before the connection leaves, under BBB's 45.
    assert_eq!(reschedule(&stack, &net, &admin, first, 6 * 60 + 30, 120).await.0, 200);
    let change = only_change(&stack, &token, booking).await;
    assert_eq!(change["acceptAllowed"], false);
    assert!(option(&change, "accept").is_none(), "{change}");
    let offered: Vec<i64> = option(&change, "rebook").unwrap()["alternatives"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["flightId"].as_i64().unwrap())
        .collect();
    assert_eq!(offered, vec![early], "only a flight that still connects");
    let id = change["id"].as_i64().unwrap();
    let (status, problem) = resolve(&stack, &token, id, "accept", None).await;
    assert_eq!((status, problem["code"].as_str()), (409, Some("ACCEPT_NOT_ALLOWED")), "{problem}");
    let (status, problem) = resolve(&stack, &token, id, "rebook", Some(json!({"flightId": too_late}))).await;
    assert_eq!((status, problem["code"].as_str()), (422, Some("NOT_AN_ALTERNATIVE")), "{problem}");
    let (status, moved) = resolve(&stack, &token, id, "rebook", Some(json!({"flightId": early}))).await;
    assert_eq!(status, 200, "{moved}");
    assert_eq!(moved["scheduleChange"]["status"], "REBOOKED");
}

#[tokio::test]
async fn rebooking_moves_the_seats_reissues_the_tickets_and_frees_the_old_seat_for_others() {
    let stack = TestStack::new().await;
    let net = Network::new(&stack).await;
    let flight = net.flight("XY1", "AAA", "DDD", 6 * 60, 120, 250000).await;
    let other = net.flight("XY2", "AAA", "DDD", 10 * 60, 120, 250000).await;
    let (_, token) = customer(&stack, "mover@example.com").await;
    let booking = paid_booking(&stack, &token, json!({"legs": [{"flightId": flight, "seatNumbers": ["1A"]}]})).await;
    shared::service::tickets::issue_tickets(&stack.services, booking).await.unwrap();
    let old_ticket: String =
        net.db.query_one("SELECT ticket_number FROM tickets WHERE booking_id = $1", &[&booking]).await.unwrap().get(0);
    let admin = admin_token(&stack).await;
    assert_eq!(reschedule(&stack, &net, &admin, flight, 13 * 60, 120).await.0, 200);
    let id = only_change(&stack, &token, booking).await["id"].as_i64().unwrap();

    let (status, problem) =
        resolve(&stack, &token, id, "rebook", Some(json!({"flightId": other, "seatNumbers": ["9Z"]}))).await;
    assert_eq!(status, 400, "{problem}");
    let (status, moved) =
        resolve(&stack, &token, id, "rebook", Some(json!({"flightId": other, "seatNumbers": ["2B"]}))).await;
    assert_eq!(status, 200, "{moved}");
    assert_eq!(
        (moved["scheduleChange"]["status"].as_str(), moved["scheduleChange"]["rebookedTo"].as_i64()),
        (Some("REBOOKED"), Some(other))
    );
    assert_eq!(moved["booking"]["legs"][0]["flightId"].as_i64(), Some(other), "{moved}");
    assert_eq!(moved["booking"]["legs"].as_array().unwrap().len(), 1, "{moved}");
    assert_eq!(moved["booking"]["status"], "PAID");
    assert_eq!(moved["booking"]["amountPaid"]["amount"], 250000 + 30_000, "the fare and seat 1A's charge, no more");

    let tickets = net
        .db
        .query(
            "SELECT ticket_number, status, flight_id, seat FROM tickets WHERE booking_id = $1 ORDER BY id",
            &[&booking],
        )
        .await
        .unwrap();
    let tickets: Vec<(String, String, i64, String)> =
        tickets.iter().map(|r| (r.get(0), r.get(1), r.get(2), r.get(3))).collect();
    assert_eq!(tickets.len(), 2, "{tickets:?}");
    assert_eq!((tickets[0].0.as_str(), tickets[0].1.as_str()), (old_ticket.as_str(), "VOID"));
    assert_eq!((tickets[1].1.as_str(), tickets[1].2, tickets[1].3.as_str()), ("ISSUED", other, "2B"));
    assert_ne!(tickets[1].0, old_ticket, "a new number");
    assert_eq!((sold(&net, flight).await, sold(&net, other).await), (0, 1));

    // The old seat is free for anyone; the new one is taken.
    let (_, seats) = seat_map(&stack, &token, flight).await;
    let state = |seats: &Value, seat: &str| {
        seats["seats"].as_array().unwrap().iter().find(|s| s["seatNumber"] == seat).unwrap()["state"].clone()
    };
    assert_eq!(state(&seats, "1A"), "available", "{seats}");
    let (_, seats) = seat_map(&stack, &token, other).await;
    assert_ne!(state(&seats, "2B"), "available", "{seats}");
    let (_, someone) = customer(&stack, "someone@example.com").await;
    let (status, taken) =
        create_booking(&stack, &someone, json!({"legs": [{"flightId": flight, "seatNumbers": ["1A"]}]})).await;
    assert_eq!(status, 201, "{taken}");
    let (status, refused) =
        create_booking(&stack, &someone, json!({"legs": [{"flightId": other, "seatNumbers": ["2B"]}]})).await;
    assert_eq!(status, 409, "{refused}");

    // Once only.
    let (status, problem) = resolve(&stack, &token, id, "refund", None).await;
    assert_eq!((status, problem["code"].as_str()), (409, Some("SCHEDULE_CHANGE_RESOLVED")), "{problem}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_customers_rebooking_onto_the_last_seat_at_once_one_wins_the_other_keeps_its_seat() {
    let stack = TestStack::new().await;
    let net = Network::new(&stack).await;
    let flight = net.flight("XY1", "AAA", "DDD", 6 * 60, 120, 250000).await;
    let other = net.flight("XY2", "AAA", "DDD", 10 * 60, 120, 250000).await;
    let (_, filler) = customer(&stack, "filler@example.com").await;
    let (status, full) =
        create_booking(&stack, &filler, json!({"legs": [{"flightId": other, "seatNumbers": ["1A", "1B", "2A"]}]}))
            .await;
    assert_eq!(status, 201, "{full}");
    let admin = admin_token(&stack).await;
    let mut racers = Vec::new();
    for (i, seat) in ["1A", "1B"].iter().enumerate() {
        let (_, token) = customer(&stack, &format!("racer{i}@example.com")).await;
        let booking =
            paid_booking(&stack, &token, json!({"legs": [{"flightId": flight, "seatNumbers": [seat]}]})).await;
        racers.push((token, booking));
    }
    assert_eq!(reschedule(&stack, &net, &admin, flight, 13 * 60, 120).await.0, 200);
    let mut changes = Vec::new();
    for (token, booking) in &racers {
        changes.push(only_change(&stack, token, *booking).await["id"].as_i64().unwrap());
    }
    let results =
        within(
            60,
            futures::future::join_all(racers.iter().zip(&changes).map(|((token, _), change)| {
                resolve(&stack, token, *change, "rebook", Some(json!({"flightId": other})))
            })),
        )
        .await;
    let winners: Vec<usize> = (0..2).filter(|i| results[*i].0 == 200).collect();
    assert_eq!(winners.len(), 1, "{results:?}");
    let loser = 1 - winners[0];
    assert_eq!(results[loser].0, 409, "{results:?}");
    assert!(
        ["NOT_ENOUGH_SEATS", "SEAT_UNAVAILABLE", "SOLD_OUT"].contains(&results[loser].1["code"].as_str().unwrap()),
        "{results:?}"
    );
    // The loser keeps its seat and its open change.
    let (token, booking) = &racers[loser];
    let kept = booking_of(&stack, token, *booking).await;
    assert_eq!(kept["legs"][0]["flightId"].as_i64(), Some(flight), "{kept}");
    assert_eq!(kept["status"], "PAID");
    assert_eq!(only_change(&stack, token, *booking).await["status"], "OPEN");
    assert_eq!((sold(&net, flight).await, sold(&net, other).await), (1, 4));
    let live = one(&net, "SELECT count(*) FROM booking_seats WHERE flight_id = $1 AND live", &[&other]).await;
    assert_eq!(live, 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_is_resolved_once_when_two_answers_race() {
    let stack = TestStack::new().await;
    let net = Network::new(&stack).await;
    let flight = net.flight("XY1", "AAA", "DDD", 6 * 60, 120, 250000).await;
    let (_, token) = customer(&stack, "twice@example.com").await;
    let booking = paid_booking(&stack, &token, json!({"flightId": flight, "seats": 1})).await;
    let admin = admin_token(&stack).await;
    assert_eq!(reschedule(&stack, &net, &admin, flight, 9 * 60, 120).await.0, 200);
    let id = only_change(&stack, &token, booking).await["id"].as_i64().unwrap();

    let (accepted, refunded, again) = within(
        60,
        futures::future::join3(
            resolve(&stack, &token, id, "accept", None),
            resolve(&stack, &token, id, "refund", None),
            resolve(&stack, &token, id, "refund", None),
        ),
    )
    .await;
    let results = [accepted, refunded, again];
    assert_eq!(results.iter().filter(|r| r.0 == 200).count(), 1, "{results:?}");
    assert!(results.iter().filter(|r| r.0 != 200).all(|r| r.0 == 409), "{results:?}");
    let refunds = one(&net, "SELECT count(*) FROM refunds WHERE booking_id = $1", &[&booking]).await;
    let resolved = one(&net, "SELECT count(*) FROM schedule_changes WHERE resolved_at IS NOT NULL", &[]).await;
    assert_eq!(resolved, 1);
    let status = booking_of(&stack, &token, booking).await["status"].clone();
    if results[0].0 == 200 {
        assert_eq!((status, refunds), (json!("PAID"), 0));
    } else {
        assert_eq!((status, refunds), (json!("CANCELLED"), 1));
    }
}

#[tokio::test]
async fn a_refund_pays_back_everything_once_with_a_credit_note_and_replays_under_its_key() {
    let stack = TestStack::new().await;
    let net = Network::new(&stack).await;
    local_stack::seed::seed_discount_codes(&stack.db().await).await.unwrap();
    let flight = net.flight("XY1", "AAA", "DDD", 6 * 60, 120, 250000).await;
    let (_, token) = customer(&stack, "refunded@example.com").await;
    let booking = paid_booking(&stack, &token, json!({"flightId": flight, "seats": 2})).await;
    shared::service::tickets::issue_tickets(&stack.services, booking).await.unwrap();
    let (status, cashback) = call_route(
        &stack,
        "discounts-apply",
        "POST",
        "/api/discounts/apply",
        &[],
        Some(json!({"bookingId": booking, "code": "SAVE200"})),
        &token,
    )
    .await;
    assert_eq!(status, 200, "{cashback}");
    let cashback = cashback["cashback"]["amount"].as_i64().unwrap();
    let admin = admin_token(&stack).await;
    assert_eq!(reschedule(&stack, &net, &admin, flight, 9 * 60, 120).await.0, 200);
    let change = only_change(&stack, &token, booking).await;
    assert_eq!(option(&change, "refund").unwrap()["amount"]["amount"].as_i64(), Some(500000 - cashback));
    let id = change["id"].as_i64().unwrap();

    // Another customer cannot see or answer it.
    let (_, stranger) = customer(&stack, "stranger@example.com").await;
    assert_eq!(changes_of(&stack, &stranger, booking).await.0, 404);
    assert_eq!(resolve(&stack, &stranger, id, "refund", None).await.0, 404);

    let path = format!("/api/schedule-changes/{id}/refund");
    let id_text = id.to_string();
    let send = || async {
        let req = request_with(
            "POST",
            &path,
            None,
            Some(&token),
            &[("scheduleChangeId", &id_text)],
            &[("idempotency-key", "refund-once-1")],
        );
        schedule_changes_resolve::handle(&stack.services, req).await.unwrap()
    };
    let first = send().await;
    let first_body = body_json(&first);
    assert_eq!(first.status(), 200, "{first_body}");
    let replay = send().await;
    assert_eq!(replay.status(), 200);
    assert_eq!(replay.headers().get("idempotent-replayed").map(|v| v.to_str().unwrap()), Some("true"));
    assert_eq!(body_json(&replay), first_body);

    let booking_now = &first_body["booking"];
    assert_eq!(booking_now["status"], "CANCELLED");
    assert_eq!(
        (booking_now["amountPaid"]["amount"].as_i64(), booking_now["amountRefunded"]["amount"].as_i64()),
        (Some(500000), Some(500000)),
        "everything paid comes back, the cashback not twice"
    );
    assert_eq!(first_body["scheduleChange"]["status"], "REFUNDED");
    let credited = one(
        &net,
        "SELECT coalesce(sum(amount), 0)::bigint FROM credit_notes WHERE booking_id = $1 AND reason = 'CANCELLATION'",
        &[&booking],
    )
    .await;
    assert_eq!(credited, 500000 - cashback, "a credit note for the refund");
    let (_, seats) = seat_map(&stack, &token, flight).await;
    assert!(seats["seats"].as_array().unwrap().iter().all(|s| s["state"] == "available"), "{seats}");
    let events = {
        let b = booking.to_string();
        call_route(
            &stack,
            "bookings-events",
            "GET",
            &format!("/api/bookings/{b}/events"),
            &[("bookingId", &b)],
            None,
            &token,
        )
        .await
        .1
    };
    let resolved =
        events["events"].as_array().unwrap().iter().find(|e| e["type"] == "SCHEDULE_CHANGE_RESOLVED").cloned();
    assert_eq!(
        resolved.map(|e| (e["actor"].clone(), e["detail"].clone())),
        Some((json!("customer"), json!("REFUNDED")))
    );
}
