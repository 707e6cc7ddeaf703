//! Cancellation by fare rules, quote then confirm, on the real stack: each
//! brand's penalty, the no-show rule after departure, an airline's
//! cancellation, part of a booking then the rest, expiry, races and
//! replays. Brand choice at booking is another change: these tests set
//! `bookings.fare_brand` directly.

use crate::support::*;
use serde_json::{json, Value};

async fn quote(stack: &TestStack, token: &str, booking: i64, body: Option<Value>) -> (u16, Value) {
    let id = booking.to_string();
    let path = format!("/api/bookings/{id}/cancellation-quotes");
    post_route(stack, "cancellation-quotes-create", &path, &[("bookingId", &id)], body, token).await
}

async fn confirm(stack: &TestStack, token: &str, quote: i64, key: Option<&str>) -> (u16, Value, bool) {
    let id = quote.to_string();
    let path = format!("/api/cancellation-quotes/{id}/confirm");
    let headers: Vec<(&str, &str)> = key.map(|k| ("idempotency-key", k)).into_iter().collect();
    let req = request_with("POST", &path, None, Some(token), &[("quoteId", &id)], &headers);
    let handler = local_stack::registry::http_handler("cancellation-quotes-confirm").unwrap();
    let response = handler(&stack.services, req).await.unwrap();
    let replayed = response.headers().contains_key("idempotent-replayed");
    (response.status().as_u16(), body_json(&response), replayed)
}

/// Quotes `body` of the booking and confirms it: the confirmation.
async fn cancel_part(stack: &TestStack, token: &str, booking: i64, body: Option<Value>) -> Value {
    let (status, quoted) = quote(stack, token, booking, body).await;
    assert_eq!(status, 201, "{quoted}");
    let (status, confirmed, _) = confirm(stack, token, quoted["id"].as_i64().unwrap(), None).await;
    assert_eq!(status, 200, "{confirmed}");
    confirmed
}

/// A paid booking of `seats` economy seats at `fare` each on a new flight:
/// (flight, booking).
async fn paid(stack: &TestStack, net: &Network, token: &str, number: &str, seats: u8, fare: i64) -> (i64, i64) {
    let flight = net.flight(number, "AAA", "DDD", 6 * 60, 120, fare).await;
    let (status, booking) = create_booking(stack, token, json!({"flightId": flight, "seats": seats})).await;
    assert_eq!(status, 201, "{booking}");
    let id = booking["id"].as_i64().unwrap();
    let (status, body) =
        post_route(stack, "payments-pay", "/api/payments/pay", &[], Some(json!({"bookingId": id})), token).await;
    assert_eq!(status, 200, "{body}");
    (flight, id)
}

async fn ticketed(stack: &TestStack, token: &str, booking: i64) {
    let body = json!({"bookingId": booking});
    let (status, tickets) =
        post_route(stack, "tickets-generate", "/api/tickets/generate", &[], Some(body), token).await;
    assert_eq!(status, 200, "{tickets}");
}

async fn set_brand(net: &Network, booking: i64, brand: &str) {
    net.db.execute("UPDATE bookings SET fare_brand = $2 WHERE id = $1", &[&booking, &brand]).await.unwrap();
}

async fn booking_of(stack: &TestStack, token: &str, booking: i64) -> Value {
    let id = booking.to_string();
    let path = format!("/api/bookings/{id}");
    let (status, body) = call_route(stack, "bookings-get", "GET", &path, &[("bookingId", &id)], None, token).await;
    assert_eq!(status, 200, "{body}");
    body
}

async fn count(net: &Network, sql: &str, id: i64) -> i64 {
    net.db.query_one(sql, &[&id]).await.unwrap().get(0)
}

fn amount(v: &Value) -> i64 {
    v["amount"].as_i64().unwrap_or_else(|| panic!("not money: {v}"))
}

#[tokio::test]
async fn saver_keeps_its_penalty_flexi_a_smaller_one_and_flex_none() {
    let stack = TestStack::new().await;
    let net = Network::new(&stack).await;
    let (_, token) = customer(&stack, "brands@example.com").await;
    let (_, saver) = paid(&stack, &net, &token, "XY1", 1, 500000).await;
    let (_, flexi) = paid(&stack, &net, &token, "XY2", 1, 500000).await;
    set_brand(&net, flexi, "FLEXI").await;

    let (status, quoted) = quote(&stack, &token, saver, None).await;
    assert_eq!(status, 201, "{quoted}");
    assert_eq!((amount(&quoted["refundAmount"]), amount(&quoted["penaltyAmount"])), (150000, 350000), "{quoted}");
    assert_eq!(quoted["refundAmount"]["formatted"], "₹1,500.00");
    assert_eq!((quoted["status"].as_str(), quoted["bookingId"].as_i64()), (Some("QUOTED"), Some(saver)));
    assert_eq!(quoted["scope"], json!({"passengers": [1], "slices": [1]}));
    let part = &quoted["perPassenger"][0]["slices"][0];
    assert_eq!((part["rule"].as_str(), part["fareBrand"].as_str()), (Some("REFUND_LESS_PENALTY"), Some("SAVER")));
    let expires = chrono::DateTime::parse_from_rfc3339(quoted["expiresAt"].as_str().unwrap()).unwrap();
    assert!(expires > chrono::Utc::now() + chrono::Duration::minutes(14), "{quoted}");
    let (_, quoted) = quote(&stack, &token, flexi, Some(json!({}))).await;
    assert_eq!((amount(&quoted["refundAmount"]), amount(&quoted["penaltyAmount"])), (350000, 150000), "{quoted}");

    // Flex is business's brand: a business seat refunds in full before departure.
    net.db
        .batch_execute(
            r#"INSERT INTO aircraft_types (code, name, layout) VALUES ('B4', 'Tiny 4 with business',
                 '{"cabins": [{"cabin": "BUSINESS", "firstRow": 1, "lastRow": 1, "letters": "AB"},
                              {"cabin": "ECONOMY", "firstRow": 2, "lastRow": 2, "letters": "AB"}]}')"#,
        )
        .await
        .unwrap();
    let business = net.flight("XY3", "AAA", "DDD", 7 * 60, 120, 500000).await;
    net.db.execute("UPDATE flights SET aircraft_type = 'B4' WHERE id = $1", &[&business]).await.unwrap();
    net.db
        .execute(
            "INSERT INTO flight_fares (flight_id, cabin, amount, currency, seats_total) VALUES ($1, 'BUSINESS', 2000000, 'INR', 2)",
            &[&business],
        )
        .await
        .unwrap();
    assert_eq!(lock(&stack, &token, json!({"flightId": business, "seatNumbers": ["1A"]})).await.0, 200);
    let body = json!({"legs": [{"flightId": business, "seatNumbers": ["1A"]}], "passengers": [{"name": "Asha Verma"}]});
    let (status, booked) = create_booking(&stack, &token, body).await;
    assert_eq!(status, 201, "{booked}");
    let flex = booked["id"].as_i64().unwrap();
    let pay = json!({"bookingId": flex});
    assert_eq!(post_route(&stack, "payments-pay", "/api/payments/pay", &[], Some(pay), &token).await.0, 200);
    let confirmed = cancel_part(&stack, &token, flex, None).await;
    assert_eq!((amount(&confirmed["refundAmount"]), amount(&confirmed["penaltyAmount"])), (2000000, 0));
    assert_eq!(confirmed["perPassenger"][0]["slices"][0]["fareBrand"], "FLEX");
    assert_eq!(
        (confirmed["status"].as_str(), confirmed["bookingStatus"].as_str()),
        (Some("CONFIRMED"), Some("CANCELLED"))
    );

    // The original cancel follows the same rules: a Saver keeps its penalty.
    let cancel = local_stack::registry::http_handler("bookings-cancel").unwrap();
    let id = saver.to_string();
    let (status, cancelled) =
        call(cancel, &stack, "POST", &format!("/api/bookings/{id}/cancel"), &[("bookingId", &id)], None, &token).await;
    assert_eq!((status, cancelled["status"].as_str()), (200, Some("CANCELLED")), "{cancelled}");
    assert_eq!(amount(&cancelled["refund"]), 150000);
    let refunded =
        count(&net, "SELECT coalesce(sum(amount), 0)::bigint FROM refunds WHERE booking_id = $1", saver).await;
    assert_eq!(refunded, 150000);
}

#[tokio::test]
async fn after_departure_a_no_show_gets_its_taxes_back_and_an_airline_cancellation_everything() {
    let stack = TestStack::new().await;
    let net = Network::new(&stack).await;
    local_stack::seed::seed_discount_codes(&stack.db().await).await.unwrap();
    let (_, token) = customer(&stack, "noshow@example.com").await;
    let (gone, flown) = paid(&stack, &net, &token, "XY1", 1, 525000).await;
    set_brand(&net, flown, "FLEXI").await;
    net.db
        .execute(
            "UPDATE flights SET departs_at = now() - interval '3 hours', arrives_at = now() - interval '1 hour' WHERE id = $1",
            &[&gone],
        )
        .await
        .unwrap();
    stack.services.flights.forget(gone);
    assert!(booking_of(&stack, &token, flown).await["availableActions"].as_array().unwrap().contains(&json!("cancel")));
    let confirmed = cancel_part(&stack, &token, flown, None).await;
    // 5 % GST inside 5,250: 250.
    assert_eq!(
        (amount(&confirmed["refundAmount"]), amount(&confirmed["penaltyAmount"])),
        (25000, 500000),
        "{confirmed}"
    );
    assert_eq!(confirmed["perPassenger"][0]["slices"][0]["rule"], "NO_SHOW_TAXES_ONLY");
    assert_eq!(amount(&confirmed["perPassenger"][0]["slices"][0]["taxesAmount"]), 25000);

    // The airline cancelled: everything comes back, less a cashback already given.
    let (grounded, stranded) = paid(&stack, &net, &token, "XY2", 2, 250000).await;
    let apply = json!({"bookingId": stranded, "code": "FLY100"});
    let (status, cashback) =
        post_route(&stack, "discounts-apply", "/api/discounts/apply", &[], Some(apply), &token).await;
    assert_eq!((status, amount(&cashback["cashback"])), (200, 10000), "{cashback}");
    let admin = stack.create_admin("ops@flightbook.local", "admin-change-me-42").await;
    let admin = stack.services.tokens.issue(admin, shared::auth::tokens::Role::Admin).unwrap().token;
    let id = grounded.to_string();
    let path = format!("/api/admin/flights/{id}/cancel");
    assert_eq!(post_route(&stack, "flights-cancel", &path, &[("flightId", &id)], None, &admin).await.0, 200);
    let (_, quoted) = quote(&stack, &token, stranded, None).await;
    assert_eq!(
        (amount(&quoted["refundAmount"]), amount(&quoted["penaltyAmount"]), amount(&quoted["deductedAmount"])),
        (490000, 0, 10000),
        "{quoted}"
    );
    assert_eq!(quoted["perPassenger"][1]["slices"][0]["rule"], "CANCELLED_BY_AIRLINE");
    let cancel = local_stack::registry::http_handler("bookings-cancel").unwrap();
    let id = stranded.to_string();
    let (status, cancelled) =
        call(cancel, &stack, "POST", &format!("/api/bookings/{id}/cancel"), &[("bookingId", &id)], None, &token).await;
    assert_eq!((status, amount(&cancelled["refund"])), (200, 490000), "{cancelled}");
    let closed = booking_of(&stack, &token, stranded).await;
    assert_eq!((amount(&closed["amountPaid"]), amount(&closed["amountRefunded"])), (500000, 500000));
}

#[tokio::test]
async fn one_passenger_then_the_other_frees_each_seat_and_credits_each_refund() {
    let stack = TestStack::new().await;
    let net = Network::new(&stack).await;
    let (_, token) = customer(&stack, "partly@example.com").await;
    let (flight, booking) = paid(&stack, &net, &token, "XY1", 2, 500000).await;
    ticketed(&stack, &token, booking).await;
    let sold = "SELECT seats_sold::bigint FROM flight_fares WHERE flight_id = $1";
    assert_eq!(count(&net, sold, flight).await, 2);

    let first = cancel_part(&stack, &token, booking, Some(json!({"passengers": [2]}))).await;
    assert_eq!((amount(&first["refundAmount"]), amount(&first["penaltyAmount"])), (150000, 350000), "{first}");
    assert_eq!((first["bookingStatus"].as_str(), first["cancelsBooking"].as_bool()), (Some("PAID"), Some(false)));
    let kept = booking_of(&stack, &token, booking).await;
    assert_eq!(kept["status"], "PAID");
    assert!(kept["availableActions"].as_array().unwrap().contains(&json!("cancel")), "{kept}");
    assert_eq!(count(&net, sold, flight).await, 1);
    let live = "SELECT count(*) FROM booking_seats WHERE booking_id = $1 AND live";
    assert_eq!(count(&net, live, booking).await, 1);
    let void = "SELECT count(*) FROM tickets WHERE booking_id = $1 AND status = 'VOID'";
    assert_eq!(count(&net, void, booking).await, 1, "the cancelled passenger's ticket only");

    // The freed seat is for sale again.
    let (_, other) = customer(&stack, "next@example.com").await;
    let (status, rebooked) = create_booking(&stack, &other, json!({"flightId": flight, "seats": 3})).await;
    assert_eq!(status, 201, "{rebooked}");

    let (status, problem) = quote(&stack, &token, booking, Some(json!({"passengers": [2]}))).await;
    assert_eq!((status, problem["code"].as_str()), (409, Some("NOTHING_TO_CANCEL")), "{problem}");
    let rest = cancel_part(&stack, &token, booking, None).await;
    assert_eq!((rest["scope"]["passengers"].clone(), rest["bookingStatus"].as_str()), (json!([1]), Some("CANCELLED")));
    assert_eq!(count(&net, void, booking).await, 2);
    assert_eq!(count(&net, live, booking).await, 0);

    let refunds =
        count(&net, "SELECT coalesce(sum(amount), 0)::bigint FROM refunds WHERE booking_id = $1", booking).await;
    let credited =
        count(&net, "SELECT coalesce(sum(amount), 0)::bigint FROM credit_notes WHERE booking_id = $1", booking).await;
    assert_eq!((refunds, credited), (300000, 300000), "a credit note for each refund");
    assert_eq!(count(&net, "SELECT count(*) FROM credit_notes WHERE booking_id = $1", booking).await, 2);

    let id = booking.to_string();
    let path = format!("/api/bookings/{id}/events");
    let (status, events) =
        call_route(&stack, "bookings-events", "GET", &path, &[("bookingId", &id)], None, &token).await;
    assert_eq!(status, 200, "{events}");
    let events = events["events"].as_array().unwrap();
    let partly = events.iter().find(|e| e["type"] == "PARTIALLY_CANCELLED").unwrap_or_else(|| panic!("{events:?}"));
    assert_eq!((amount(&partly["amount"]), partly["detail"].as_str()), (150000, Some("passengers 2; slices 1")));
    let kinds: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(
        kinds[kinds.len() - 6..],
        ["PARTIALLY_CANCELLED", "TICKETS_VOIDED", "REFUNDED", "BOOKING_CANCELLED", "TICKETS_VOIDED", "REFUNDED"]
    );
}

#[tokio::test]
async fn an_expired_quote_cannot_be_confirmed_and_an_unpaid_booking_is_cancelled_for_nothing() {
    let stack = TestStack::new().await;
    let net = Network::new(&stack).await;
    let (_, token) = customer(&stack, "late@example.com").await;
    let (_, booking) = paid(&stack, &net, &token, "XY1", 1, 500000).await;
    let (_, quoted) = quote(&stack, &token, booking, None).await;
    let id = quoted["id"].as_i64().unwrap();
    net.db
        .execute(
            "UPDATE cancellation_quotes SET created_at = now() - interval '20 minutes', expires_at = now() - interval '1 second'
              WHERE id = $1",
            &[&id],
        )
        .await
        .unwrap();
    let (status, problem, _) = confirm(&stack, &token, id, None).await;
    assert_eq!((status, problem["code"].as_str()), (409, Some("QUOTE_EXPIRED")), "{problem}");
    assert_eq!(booking_of(&stack, &token, booking).await["status"], "PAID");
    assert_eq!(count(&net, "SELECT count(*) FROM refunds WHERE booking_id = $1", booking).await, 0);

    let flight = net.flight("XY2", "AAA", "DDD", 8 * 60, 120, 500000).await;
    let (_, unpaid) = create_booking(&stack, &token, json!({"flightId": flight, "seats": 2})).await;
    let unpaid = unpaid["id"].as_i64().unwrap();
    let (status, problem) = quote(&stack, &token, unpaid, Some(json!({"passengers": [1]}))).await;
    assert_eq!(
        (status, problem["code"].as_str(), problem["field"].as_str()),
        (422, Some("CANCELLATION_SCOPE_INVALID"), Some("passengers"))
    );
    let confirmed = cancel_part(&stack, &token, unpaid, None).await;
    assert_eq!((amount(&confirmed["refundAmount"]), amount(&confirmed["penaltyAmount"])), (0, 0));
    assert_eq!(confirmed["perPassenger"][0]["slices"][0]["rule"], "UNPAID");
    assert_eq!(booking_of(&stack, &token, unpaid).await["status"], "CANCELLED");
    let sold = "SELECT seats_sold::bigint FROM flight_fares WHERE flight_id = $1";
    assert_eq!(count(&net, sold, flight).await, 0, "its seats are free");
}

#[tokio::test]
async fn scopes_are_checked_and_other_customers_quotes_do_not_exist() {
    let stack = TestStack::new().await;
    let net = Network::new(&stack).await;
    let (_, token) = customer(&stack, "owner@example.com").await;
    let (_, stranger) = customer(&stack, "stranger@example.com").await;
    let (_, booking) = paid(&stack, &net, &token, "XY1", 2, 500000).await;
    for (body, field) in [
        (json!({"passengers": [1, 7]}), "passengers"),
        (json!({"slices": [2]}), "slices"),
        (json!({"passengers": []}), "passengers"),
    ] {
        let (status, problem) = quote(&stack, &token, booking, Some(body)).await;
        assert_eq!((status, problem["code"].as_str()), (422, Some("CANCELLATION_SCOPE_INVALID")), "{problem}");
        assert_eq!(problem["field"], field);
        assert!(problem["detail"].as_str().unwrap().starts_with(field), "{problem}");
    }
    let (status, problem) = quote(&stack, &token, booking, Some(json!({"passengers": "all"}))).await;
    assert_eq!((status, problem["code"].as_str()), (400, Some("INVALID_FIELD")), "{problem}");

    assert_eq!(quote(&stack, &stranger, booking, None).await.0, 404);
    let (_, quoted) = quote(&stack, &token, booking, None).await;
    let id = quoted["id"].as_i64().unwrap();
    let (status, problem, _) = confirm(&stack, &stranger, id, None).await;
    assert_eq!((status, problem["code"].as_str()), (404, Some("NOT_FOUND")));
    assert_eq!(confirm(&stack, &token, id + 1000, None).await.0, 404);
    assert_eq!(booking_of(&stack, &token, booking).await["status"], "PAID");
}

#[tokio::test]
async fn a_retry_with_the_same_idempotency_key_replays_and_any_other_confirmation_is_refused() {
    let stack = TestStack::new().await;
    let net = Network::new(&stack).await;
    let (_, token) = customer(&stack, "retry@example.com").await;
    let (_, booking) = paid(&stack, &net, &token, "XY1", 1, 500000).await;
    let (_, quoted) = quote(&stack, &token, booking, None).await;
    let id = quoted["id"].as_i64().unwrap();
    let (status, first, replayed) = confirm(&stack, &token, id, Some("cancel-once-1")).await;
    assert_eq!((status, replayed), (200, false), "{first}");
    let (status, again, replayed) = confirm(&stack, &token, id, Some("cancel-once-1")).await;
    assert_eq!((status, replayed), (200, true));
    assert_eq!(again, first, "the same answer");
    for key in [None, Some("another-key")] {
        let (status, problem, _) = confirm(&stack, &token, id, key).await;
        assert_eq!((status, problem["code"].as_str()), (409, Some("QUOTE_ALREADY_CONFIRMED")), "{problem}");
    }
    assert_eq!(count(&net, "SELECT count(*) FROM refunds WHERE booking_id = $1", booking).await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_confirmations_of_one_quote_or_two_quotes_of_one_booking_execute_once() {
    let stack = TestStack::new().await;
    let net = Network::new(&stack).await;
    let (_, token) = customer(&stack, "racer@example.com").await;
    let (_, booking) = paid(&stack, &net, &token, "XY1", 2, 500000).await;
    ticketed(&stack, &token, booking).await;
    let (_, quoted) = quote(&stack, &token, booking, None).await;
    let id = quoted["id"].as_i64().unwrap();
    let results = futures::future::join_all((0..4).map(|_| confirm(&stack, &token, id, None))).await;
    let statuses: Vec<u16> = results.iter().map(|r| r.0).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 1, "{results:?}");
    assert!(results.iter().filter(|r| r.0 != 200).all(|r| r.1["code"] == "QUOTE_ALREADY_CONFIRMED"), "{results:?}");
    assert_eq!(count(&net, "SELECT count(*) FROM refunds WHERE booking_id = $1", booking).await, 1);
    assert_eq!(count(&net, "SELECT count(*) FROM credit_notes WHERE booking_id = $1", booking).await, 1);

    let (_, other) = paid(&stack, &net, &token, "XY2", 2, 500000).await;
    let (_, one) = quote(&stack, &token, other, Some(json!({"passengers": [1]}))).await;
    let (_, two) = quote(&stack, &token, other, Some(json!({"passengers": [2]}))).await;
    let (a, b) = tokio::join!(
        confirm(&stack, &token, one["id"].as_i64().unwrap(), None),
        confirm(&stack, &token, two["id"].as_i64().unwrap(), None)
    );
    let mut statuses = [(a.0, a.1["code"].clone()), (b.0, b.1["code"].clone())];
    statuses.sort_by_key(|s| s.0);
    assert_eq!(statuses, [(200, Value::Null), (409, json!("QUOTE_STALE"))], "{a:?} {b:?}");
    assert_eq!(count(&net, "SELECT count(*) FROM refunds WHERE booking_id = $1", other).await, 1);
    assert_eq!(count(&net, "SELECT count(*) FROM booking_seats WHERE booking_id = $1 AND live", other).await, 1);
}
