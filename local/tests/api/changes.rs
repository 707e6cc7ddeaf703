//! Voluntary changes as quote → confirm: the fare difference and the
//! brand's penalty, charged (debit note) or refunded (credit note), the
//! slice's seats moved in one transaction, tickets reissued, a quote
//! confirmed once, and the books adding up afterwards.

use crate::support::*;
use serde_json::{json, Value};
use std::sync::Arc;

async fn quote(stack: &TestStack, token: &str, booking: i64, body: Value) -> (u16, Value) {
    let id = booking.to_string();
    let path = format!("/api/bookings/{id}/change-quotes");
    post_route(stack, "change-quotes-create", &path, &[("bookingId", &id)], Some(body), token).await
}

async fn confirm(stack: &TestStack, token: &str, quote: i64, body: Option<Value>, key: Option<&str>) -> (u16, Value) {
    let id = quote.to_string();
    let path = format!("/api/change-quotes/{id}/confirm");
    let headers: Vec<(&str, &str)> = key.map(|k| vec![("idempotency-key", k)]).unwrap_or_default();
    let req = request_with("POST", &path, body.map(|b| b.to_string()), Some(token), &[("quoteId", &id)], &headers);
    let handler = local_stack::registry::http_handler("change-quotes-confirm").unwrap();
    let response = handler(&stack.services, req).await.unwrap();
    (response.status().as_u16(), body_json(&response))
}

/// A paid, ticketed booking of `seats` adults on `flight` in `brand`.
async fn ticketed(stack: &TestStack, token: &str, flight: i64, seats: usize, brand: &str) -> i64 {
    let passengers: Vec<Value> =
        (0..seats).map(|i| json!({"name": format!("Traveller {}", "x".repeat(i + 1))})).collect();
    let body = json!({"legs": [{"flightId": flight}], "passengers": passengers, "fareBrand": brand});
    let (status, booking) = create_booking(stack, token, body).await;
    assert_eq!(status, 201, "{booking}");
    let id = booking["id"].as_i64().unwrap();
    let pay = local_stack::registry::http_handler("payments-pay").unwrap();
    let (status, paid) =
        call(pay, stack, "POST", "/api/payments/pay", &[], Some(json!({"bookingId": id})), token).await;
    assert_eq!(status, 200, "{paid}");
    shared::service::tickets::issue_tickets(&stack.services, id).await.unwrap();
    id
}

async fn sold(net: &Network, flight: i64) -> i32 {
    net.db.query_one("SELECT seats_sold FROM flight_fares WHERE flight_id = $1", &[&flight]).await.unwrap().get(0)
}

/// Paid − refunded, and the invoice + debit notes − credit notes.
async fn books_of(net: &Network, booking: i64) -> (i64, i64) {
    let row = net
        .db
        .query_one(
            "SELECT ((SELECT coalesce(sum(amount), 0) FROM payments WHERE booking_id = $1 AND status = 'SUCCEEDED')
                   - (SELECT coalesce(sum(amount), 0) FROM refunds WHERE booking_id = $1))::bigint,
                    ((SELECT coalesce(sum((document->>'invoiceTotal')::bigint), 0) FROM invoices WHERE booking_id = $1)
                   + (SELECT coalesce(sum(amount), 0) FROM debit_notes WHERE booking_id = $1)
                   - (SELECT coalesce(sum(amount), 0) FROM credit_notes WHERE booking_id = $1))::bigint",
            &[&booking],
        )
        .await
        .unwrap();
    (row.get::<_, i64>(0), row.get::<_, i64>(1))
}

async fn tickets_of(net: &Network, booking: i64) -> Vec<(String, i64, bool)> {
    net.db
        .query(
            "SELECT status, flight_id, replaces IS NOT NULL FROM tickets WHERE booking_id = $1 ORDER BY id",
            &[&booking],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect()
}

#[tokio::test]
async fn a_dearer_flight_charges_the_difference_and_the_saver_penalty_and_moves_the_seats_once() {
    let stack = TestStack::new().await;
    let net = Network::new(&stack).await;
    let (_, token) = customer(&stack, "changer@example.com").await;
    let morning = net.flight("XY1", "AAA", "BBB", 7 * 60, 60, 450_000).await;
    let noon = net.flight("XY2", "AAA", "BBB", 12 * 60, 60, 500_000).await;
    let booking = ticketed(&stack, &token, morning, 2, "SAVER").await;
    let before = tickets_of(&net, booking).await;
    assert_eq!(before.len(), 2);

    let (status, quoted) = quote(&stack, &token, booking, json!({"slice": 1, "legs": [{"flightId": noon}]})).await;
    assert_eq!(status, 201, "{quoted}");
    assert_eq!(quoted["fareDifference"]["amount"], 2 * 50_000);
    assert_eq!(quoted["penaltyAmount"]["amount"], 2 * 300_000, "Saver: ₹3,000 per passenger");
    assert_eq!(quoted["totalDue"]["amount"], 700_000);
    assert_eq!(quoted["status"], "QUOTED");
    let seats: Vec<String> =
        quoted["legs"][0]["seatNumbers"].as_array().unwrap().iter().map(|s| s.as_str().unwrap().to_owned()).collect();
    let (_, map) = seat_map(&stack, &token, noon).await;
    let held = map["seats"].as_array().unwrap().iter().filter(|s| s["state"] == "held").count();
    assert_eq!(held, 2, "the new seats are held for the quote: {map}");
    assert_eq!((sold(&net, morning).await, sold(&net, noon).await), (2, 0), "nothing moves at quote");

    let id = quoted["id"].as_i64().unwrap();
    let card = json!({"method": {"type": "card", "cardNumber": "4242 4242 4242 4242"}});
    let (status, confirmed) = confirm(&stack, &token, id, Some(card.clone()), Some("change-1")).await;
    assert_eq!(status, 200, "{confirmed}");
    assert_eq!(confirmed["charged"]["amount"], 700_000);
    assert!(confirmed["documentNumber"].as_str().unwrap().starts_with("DN/"), "{confirmed}");
    assert_eq!(confirmed["quote"]["status"], "CONFIRMED");
    let legs = confirmed["booking"]["legs"].as_array().unwrap();
    assert_eq!(legs.len(), 1, "the replaced leg is not shown: {legs:?}");
    assert_eq!(legs[0]["flightId"], noon);
    assert_eq!(confirmed["booking"]["flightId"], noon, "the original flat fields follow the change");
    assert_eq!(confirmed["booking"]["seatNumbers"].as_array().unwrap().len(), seats.len());
    assert_eq!((sold(&net, morning).await, sold(&net, noon).await), (0, 2));
    let after = tickets_of(&net, booking).await;
    assert_eq!(
        after.iter().map(|t| (t.0.as_str(), t.1, t.2)).collect::<Vec<_>>(),
        [("VOID", morning, false), ("VOID", morning, false), ("ISSUED", noon, true), ("ISSUED", noon, true)],
        "old tickets voided, new ones name them"
    );
    let (paid, documented) = books_of(&net, booking).await;
    assert_eq!(paid, 900_000 + 700_000);
    assert_eq!(paid, documented, "paid − refunded = invoice + debit notes − credit notes");

    // The same key replays; another confirm is refused; nothing moves again.
    let (status, replay) = confirm(&stack, &token, id, Some(card.clone()), Some("change-1")).await;
    assert_eq!((status, &replay), (200, &confirmed));
    let (status, again) = confirm(&stack, &token, id, Some(card), Some("change-2")).await;
    assert_eq!((status, again["code"].as_str()), (409, Some("QUOTE_ALREADY_CONFIRMED")), "{again}");
    assert_eq!(books_of(&net, booking).await.0, 1_600_000, "charged once");

    // The morning seats are free for anyone now.
    let (_, other) = customer(&stack, "next@example.com").await;
    let (status, taken) = create_booking(&stack, &other, json!({"flightId": morning, "seats": 2})).await;
    assert_eq!(status, 201, "{taken}");

    // Cancelling afterwards refunds what the fare allows, and the books
    // still add up (a credit note can take back what the debit note added).
    let cancel = local_stack::registry::http_handler("bookings-cancel").unwrap();
    let path = format!("/api/bookings/{booking}/cancel");
    let (status, cancelled) =
        call(cancel, &stack, "POST", &path, &[("bookingId", &booking.to_string())], None, &token).await;
    assert_eq!(status, 200, "{cancelled}");
    let (paid, documented) = books_of(&net, booking).await;
    assert_eq!(paid, documented, "after the cancellation too");
    assert_eq!(sold(&net, noon).await, 0);
}

#[tokio::test]
async fn a_cheaper_flexi_change_refunds_the_difference_with_a_credit_note() {
    let stack = TestStack::new().await;
    let net = Network::new(&stack).await;
    let (_, token) = customer(&stack, "flexi@example.com").await;
    let dear = net.flight("XY1", "AAA", "BBB", 7 * 60, 60, 600_000).await;
    let cheap = net.flight("XY2", "AAA", "BBB", 14 * 60, 60, 400_000).await;
    let booking = ticketed(&stack, &token, dear, 1, "FLEXI").await;

    let (status, quoted) =
        quote(&stack, &token, booking, json!({"legs": [{"flightId": cheap, "seatNumbers": ["2B"]}]})).await;
    assert_eq!(status, 201, "{quoted}");
    // Flexi fares: 6,900 and 4,600; changes are free.
    assert_eq!(
        (quoted["fareDifference"]["amount"].as_i64(), quoted["penaltyAmount"]["amount"].as_i64()),
        (Some(-230_000), Some(0))
    );
    assert_eq!(quoted["totalDue"]["amount"], -230_000);
    let (status, confirmed) = confirm(&stack, &token, quoted["id"].as_i64().unwrap(), None, None).await;
    assert_eq!(status, 200, "{confirmed}");
    assert_eq!(confirmed["refunded"]["amount"], 230_000);
    assert!(confirmed["documentNumber"].as_str().unwrap().starts_with("CN/"), "{confirmed}");
    assert_eq!(confirmed["booking"]["seatNumbers"], json!(["2B"]));
    let (paid, documented) = books_of(&net, booking).await;
    assert_eq!((paid, documented), (690_000 - 230_000, 690_000 - 230_000));
}

#[tokio::test]
async fn changes_are_refused_clearly_and_hold_nothing() {
    let stack = TestStack::new().await;
    let net = Network::new(&stack).await;
    let (_, token) = customer(&stack, "refused@example.com").await;
    let (_, stranger) = customer(&stack, "stranger@example.com").await;
    let out = net.flight("XY1", "AAA", "BBB", 7 * 60, 60, 450_000).await;
    let later = net.flight("XY2", "AAA", "BBB", 12 * 60, 60, 450_000).await;
    let elsewhere = net.flight("XY3", "AAA", "CCC", 12 * 60, 60, 450_000).await;
    let booking = ticketed(&stack, &token, out, 1, "SAVER").await;

    let cases = [
        (json!({"slice": 2, "legs": [{"flightId": later}]}), 400, "INVALID_FIELD"),
        (json!({"legs": [{"flightId": elsewhere}]}), 400, "INVALID_FIELD"),
        (json!({"legs": [{"flightId": out}]}), 400, "INVALID_FIELD"),
        (json!({"legs": []}), 400, "INVALID_FIELD"),
        (json!({"legs": [{"flightId": 999_999}]}), 404, "NOT_FOUND"),
    ];
    for (body, status, code) in cases {
        let (got, problem) = quote(&stack, &token, booking, body.clone()).await;
        assert_eq!((got, problem["code"].as_str()), (status, Some(code)), "{body}: {problem}");
    }
    let (status, _) = quote(&stack, &stranger, booking, json!({"legs": [{"flightId": later}]})).await;
    assert_eq!(status, 404, "another customer's booking");
    let (_, unpaid) = create_booking(&stack, &token, json!({"flightId": later, "seats": 1})).await;
    let unpaid = unpaid["id"].as_i64().unwrap();
    let (status, problem) = quote(&stack, &token, unpaid, json!({"legs": [{"flightId": out}]})).await;
    assert_eq!((status, problem["code"].as_str()), (409, Some("BOOKING_NOT_CHANGEABLE")));
    let (_, map) = seat_map(&stack, &token, later).await;
    assert_eq!(map["seats"].as_array().unwrap().iter().filter(|s| s["state"] == "held").count(), 0, "{map}");

    // A declined card changes nothing and the quote can still be confirmed;
    // an expired one cannot.
    let (_, quoted) = quote(&stack, &token, booking, json!({"legs": [{"flightId": later}]})).await;
    let id = quoted["id"].as_i64().unwrap();
    let declined = json!({"method": {"type": "card", "cardNumber": "4000000000000002"}});
    let (status, problem) = confirm(&stack, &token, id, Some(declined), None).await;
    assert_eq!((status, problem["declineCode"].as_str()), (402, Some("card_declined")), "{problem}");
    assert_eq!((sold(&net, out).await, sold(&net, later).await), (1, 1), "the unpaid booking's seat only");
    let (status, problem) = confirm(&stack, &stranger, id, None, None).await;
    assert_eq!(status, 404, "{problem}");
    net.db
        .execute("UPDATE change_quotes SET expires_at = now() - interval '1 second' WHERE id = $1", &[&id])
        .await
        .unwrap();
    let (status, problem) = confirm(&stack, &token, id, None, None).await;
    assert_eq!((status, problem["code"].as_str()), (409, Some("QUOTE_EXPIRED")));
}

#[tokio::test]
async fn racing_confirms_of_one_quote_and_a_cancellation_move_the_seats_at_most_once() {
    let stack = TestStack::new().await;
    let net = Network::new(&stack).await;
    let (_, token) = customer(&stack, "racer@example.com").await;
    let out = net.flight("XY1", "AAA", "BBB", 7 * 60, 60, 450_000).await;
    let later = net.flight("XY2", "AAA", "BBB", 12 * 60, 60, 450_000).await;
    let booking = ticketed(&stack, &token, out, 2, "FLEXI").await;
    let (_, quoted) = quote(&stack, &token, booking, json!({"legs": [{"flightId": later}]})).await;
    let id = quoted["id"].as_i64().unwrap();

    let stack = Arc::new(stack);
    let mut racers = Vec::new();
    for i in 0..4 {
        let (stack, token) = (stack.clone(), token.clone());
        racers.push(tokio::spawn(async move {
            if i == 3 {
                let cancel = local_stack::registry::http_handler("bookings-cancel").unwrap();
                let path = format!("/api/bookings/{booking}/cancel");
                call(cancel, &stack, "POST", &path, &[("bookingId", &booking.to_string())], None, &token).await.0
            } else {
                confirm(&stack, &token, id, None, None).await.0
            }
        }));
    }
    let mut statuses = Vec::new();
    for racer in racers {
        statuses.push(racer.await.unwrap());
    }
    let confirms = &statuses[..3];
    assert!(confirms.iter().filter(|s| **s == 200).count() <= 1, "{statuses:?}");
    assert!(confirms.iter().all(|s| [200, 409].contains(s)), "{statuses:?}");
    assert_eq!(statuses[3], 200, "the cancellation goes through either way");
    assert_eq!((sold(&net, out).await, sold(&net, later).await), (0, 0), "nothing left sold: {statuses:?}");
    let live: i64 = net
        .db
        .query_one("SELECT count(*) FROM booking_seats WHERE booking_id = $1 AND live", &[&booking])
        .await
        .unwrap()
        .get(0);
    assert_eq!(live, 0);
    let (paid, documented) = books_of(&net, booking).await;
    assert_eq!(paid, documented);
}

#[tokio::test]
async fn a_slice_changed_back_takes_its_first_seats_again() {
    let stack = TestStack::new().await;
    let net = Network::new(&stack).await;
    let (_, token) = customer(&stack, "backagain@example.com").await;
    let first = net.flight("XY1", "AAA", "BBB", 7 * 60, 60, 450_000).await;
    let second = net.flight("XY2", "AAA", "BBB", 12 * 60, 60, 450_000).await;
    let booking = ticketed(&stack, &token, first, 1, "FLEXI").await;
    let seat = |quoted: &Value| quoted["legs"][0]["seatNumbers"][0].as_str().unwrap().to_owned();
    let (_, there) = quote(&stack, &token, booking, json!({"legs": [{"flightId": second}]})).await;
    assert_eq!(confirm(&stack, &token, there["id"].as_i64().unwrap(), None, None).await.0, 200);
    // Back to the first flight, on the very seat the booking held there:
    // its old row stays as history, the seat is its own again.
    let (status, back) =
        quote(&stack, &token, booking, json!({"legs": [{"flightId": first, "seatNumbers": ["1A"]}]})).await;
    assert_eq!(status, 201, "{back}");
    assert_eq!(seat(&back), "1A");
    let (status, confirmed) = confirm(&stack, &token, back["id"].as_i64().unwrap(), None, None).await;
    assert_eq!(status, 200, "{confirmed}");
    assert_eq!(confirmed["booking"]["flightId"], first);
    assert_eq!((sold(&net, first).await, sold(&net, second).await), (1, 0));
    let rows: i64 =
        net.db.query_one("SELECT count(*) FROM booking_seats WHERE booking_id = $1", &[&booking]).await.unwrap().get(0);
    assert_eq!(rows, 3, "three rows of history, one live");
    let (paid, documented) = books_of(&net, booking).await;
    assert_eq!(paid, documented);
}
