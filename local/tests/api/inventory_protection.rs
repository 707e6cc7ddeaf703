//! One customer cannot keep flights from everyone else: unpaid seats are
//! capped per flight and in all (also when bookings race), and bookings are
//! rate-limited per customer.

use crate::support::*;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unpaid_seats_are_capped_per_flight_and_in_all_even_when_booked_at_once() {
    let base = TestStack::new().await;
    let stack = stack_with(
        &base,
        &[
            ("UNPAID_SEATS_PER_FLIGHT", "3".into()),
            ("UNPAID_SEATS_IN_ALL", "5".into()),
            ("BOOKING_RATE_LIMIT_PER_MINUTE", "100000".into()),
        ],
    );
    let net = Network::new(&stack).await;
    let first = net.flight("XY1", "AAA", "DDD", 6 * 60, 120, 250000).await;
    let second = net.flight("XY2", "AAA", "DDD", 9 * 60, 120, 250000).await;
    let third = net.flight("XY3", "AAA", "DDD", 12 * 60, 120, 250000).await;
    let (_, hoarder) = customer(&stack, "hoarder@example.com").await;

    // Four seats of a four-seat flight in four bookings at once: three fit
    // under the cap. (Named seats: bookings by count of one customer at
    // once may choose the same seat, which is another refusal.)
    let results = futures::future::join_all(["1A", "1B", "2A", "2B"].map(|seat| {
        let body = json!({"legs": [{"flightId": first, "seatNumbers": [seat]}]});
        create_booking(&stack, &hoarder, body)
    }))
    .await;
    let created: Vec<i64> = results.iter().filter(|r| r.0 == 201).map(|r| r.1["id"].as_i64().unwrap()).collect();
    assert_eq!(created.len(), 3, "{results:?}");
    let refused = results.iter().find(|r| r.0 != 201).unwrap();
    assert_eq!((refused.0, refused.1["code"].as_str()), (409, Some("UNPAID_SEATS_LIMIT")), "{refused:?}");
    assert_eq!((refused.1["flightId"].as_i64(), refused.1["limit"].as_i64()), (Some(first), Some(3)));
    // The refused booking held nothing: the fourth seat is free for anyone.
    let (_, someone) = customer(&stack, "someone@example.com").await;
    assert_eq!(create_booking(&stack, &someone, json!({"flightId": first, "seats": 1})).await.0, 201);

    // In all: two more fit (five), the sixth does not.
    assert_eq!(create_booking(&stack, &hoarder, json!({"flightId": second, "seats": 2})).await.0, 201);
    let (status, over) = create_booking(&stack, &hoarder, json!({"flightId": third, "seats": 1})).await;
    assert_eq!(
        (status, over["code"].as_str(), over["limit"].as_i64()),
        (409, Some("UNPAID_SEATS_LIMIT"), Some(5)),
        "{over}"
    );

    // Paying for one frees room under the caps.
    let pay = local_stack::registry::http_handler("payments-pay").unwrap();
    let paid =
        call(pay, &stack, "POST", "/api/payments/pay", &[], Some(json!({"bookingId": created[0]})), &hoarder).await;
    assert_eq!(paid.0, 200, "{:?}", paid.1);
    assert_eq!(create_booking(&stack, &hoarder, json!({"flightId": third, "seats": 1})).await.0, 201);
    let unpaid: i64 = net
        .db
        .query_one(
            "SELECT count(*) FROM booking_seats s JOIN bookings b ON b.id = s.booking_id
              WHERE b.status = 'PENDING_PAYMENT' AND s.live AND b.user_id = (SELECT id FROM users WHERE email = 'hoarder@example.com')",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(unpaid, 5);
}

#[tokio::test]
async fn bookings_are_rate_limited_per_customer() {
    let base = TestStack::new().await;
    let stack = stack_with(&base, &[("BOOKING_RATE_LIMIT_PER_MINUTE", "3".into())]);
    let net = Network::new(&stack).await;
    let flight = net.flight("XY1", "AAA", "DDD", 6 * 60, 120, 250000).await;
    let (_, eager) = customer(&stack, "eager@example.com").await;
    let mut statuses = Vec::new();
    for _ in 0..5 {
        let (status, body) = create_booking(&stack, &eager, json!({"flightId": flight, "seats": 1})).await;
        if status == 429 {
            assert_eq!(body["code"], "RATE_LIMITED", "{body}");
        }
        statuses.push(status);
    }
    assert_eq!(statuses, [201, 201, 201, 429, 429]);
    let (_, patient) = customer(&stack, "patient@example.com").await;
    assert_eq!(create_booking(&stack, &patient, json!({"flightId": flight, "seats": 1})).await.0, 201, "per customer");
}
