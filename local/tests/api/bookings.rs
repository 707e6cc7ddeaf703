use crate::support::*;
use serde_json::json;

async fn setup() -> (TestStack, Network, i64, String) {
    let stack = TestStack::new().await;
    let net = Network::new(&stack).await;
    let flight = net.flight("XY1", "AAA", "DDD", 6 * 60, 120, 250000).await;
    let (user, token) = customer(&stack, "booker@example.com").await;
    assert_eq!(user, 1);
    (stack, net, flight, token)
}

#[tokio::test]
async fn the_original_lock_and_booking_bodies_work() {
    let (stack, _net, flight, token) = setup().await;
    let (status, hold) = lock(&stack, &token, json!({"flightId": flight, "userId": 1, "seatNumber": "A1"})).await;
    assert_eq!(status, 200, "{hold}");
    assert_eq!(hold["seatNumbers"], json!(["1A"]));
    assert!(hold["holdId"].as_str().unwrap().starts_with(&format!("{flight}-")));

    let (status, booking) =
        create_booking(&stack, &token, json!({"userId": 1, "flightId": flight, "price": 5000, "seats": 2})).await;
    assert_eq!(status, 201, "{booking}");
    assert_eq!(booking["status"], "PENDING_PAYMENT");
    assert_eq!(booking["pnr"].as_str().unwrap().len(), 6);
    assert_eq!(booking["amountDue"]["amount"], 500000);
    assert_eq!(booking["amountDue"]["currency"], "INR");
    // The held 1A plus one seat assigned next to it.
    assert_eq!(booking["seatNumbers"], json!(["1A", "1B"]));
    assert_eq!(booking["passengers"][0]["name"], "Test Customer");
    assert!(booking["expiresAt"].as_str().is_some());

    let id = booking["id"].as_i64().unwrap().to_string();
    let get = local_stack::registry::http_handler("bookings-get").unwrap();
    let (status, fetched) = call(
        get,
        &stack,
        "GET",
        &format!("/api/bookings/{id}/1"),
        &[("bookingId", &id), ("userId", "1")],
        None,
        &token,
    )
    .await;
    assert_eq!(status, 200, "{fetched}");
    assert_eq!(fetched["pnr"], booking["pnr"]);

    let (_, map) = seat_map(&stack, &token, flight).await;
    let state = |seat: &str| {
        map["seats"].as_array().unwrap().iter().find(|s| s["seatNumber"] == seat).unwrap()["state"].clone()
    };
    assert_eq!(state("1A"), "booked");
    assert_eq!(state("1B"), "booked");
    assert_eq!(state("2A"), "available");
    assert_eq!(map["availableSeats"], json!(["2A", "2B"]));
    let sold: i32 = stack
        .db()
        .await
        .query_one("SELECT seats_sold FROM flight_fares WHERE flight_id = $1", &[&flight])
        .await
        .unwrap()
        .get(0);
    assert_eq!(sold, 2);
}

#[tokio::test]
async fn a_stale_price_is_409_with_the_current_price_and_changes_nothing() {
    let (stack, _net, flight, token) = setup().await;
    let (status, body) = create_booking(&stack, &token, json!({"flightId": flight, "price": 4000, "seats": 2})).await;
    assert_eq!((status, body["code"].as_str()), (409, Some("PRICE_CHANGED")), "{body}");
    assert_eq!(body["currentPrice"]["amount"], 500000);
    let (_, map) = seat_map(&stack, &token, flight).await;
    assert_eq!(map["availableSeats"].as_array().unwrap().len(), 4, "no seat stays held: {map}");
}

#[tokio::test]
async fn someone_elses_hold_is_409_and_nothing_is_held() {
    let (stack, _net, flight, token) = setup().await;
    let (_, other) = customer(&stack, "other@example.com").await;
    assert_eq!(lock(&stack, &other, json!({"flightId": flight, "seatNumbers": ["2A"]})).await.0, 200);
    let (status, body) = lock(&stack, &token, json!({"flightId": flight, "seatNumbers": ["1A", "2A"]})).await;
    assert_eq!((status, body["code"].as_str()), (409, Some("SEAT_UNAVAILABLE")));
    assert_eq!(body["seatNumbers"], json!(["2A"]));
    let (_, map) = seat_map(&stack, &token, flight).await;
    assert_eq!(map["availableSeats"], json!(["1A", "1B", "2B"]), "1A must not be held");
    // Re-locking your own seat extends it.
    let (status, _) = lock(&stack, &other, json!({"flightId": flight, "seatNumbers": ["a2"]})).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn bookings_are_private_and_cancellation_releases_seats() {
    let (stack, _net, flight, token) = setup().await;
    let (_, booking) = create_booking(&stack, &token, json!({"flightId": flight, "seats": 1})).await;
    let id = booking["id"].as_i64().unwrap().to_string();
    let (_, stranger) = customer(&stack, "stranger@example.com").await;
    let get = local_stack::registry::http_handler("bookings-get").unwrap();
    let (status, _) =
        call(get, &stack, "GET", &format!("/api/bookings/{id}"), &[("bookingId", &id)], None, &stranger).await;
    assert_eq!(status, 404);
    let (status, _) = call(
        get,
        &stack,
        "GET",
        &format!("/api/bookings/{id}/2"),
        &[("bookingId", &id), ("userId", "2")],
        None,
        &token,
    )
    .await;
    assert_eq!(status, 403);

    let cancel = local_stack::registry::http_handler("bookings-cancel").unwrap();
    let path = format!("/api/bookings/{id}/cancel");
    assert_eq!(call(cancel, &stack, "POST", &path, &[("bookingId", &id)], None, &stranger).await.0, 404);
    let (status, cancelled) = call(cancel, &stack, "POST", &path, &[("bookingId", &id)], None, &token).await;
    assert_eq!(status, 200, "{cancelled}");
    assert_eq!(cancelled["status"], "CANCELLED");
    let (_, map) = seat_map(&stack, &token, flight).await;
    assert_eq!(map["availableSeats"].as_array().unwrap().len(), 4);

    let list = local_stack::registry::http_handler("bookings-list").unwrap();
    let (status, listed) = call(list, &stack, "GET", "/api/bookings", &[], None, &token).await;
    assert_eq!(status, 200);
    assert_eq!(listed["bookings"][0]["id"], booking["id"]);
    let (_, empty) = call(list, &stack, "GET", "/api/bookings", &[], None, &stranger).await;
    assert_eq!(empty["count"], 0);
}

#[tokio::test]
async fn unpaid_bookings_expire_once_and_free_their_seats() {
    let (stack, _net, flight, token) = setup().await;
    let (_, booking) = create_booking(&stack, &token, json!({"flightId": flight, "seats": 2})).await;
    let db = stack.db().await;
    db.execute("UPDATE bookings SET expires_at = now() - interval '1 second'", &[]).await.unwrap();
    let (first, second) = tokio::join!(
        bookings_expire::handle(&stack.services, json!({})),
        bookings_expire::handle(&stack.services, json!({})),
    );
    let total =
        first.unwrap()["expiredBookings"].as_i64().unwrap() + second.unwrap()["expiredBookings"].as_i64().unwrap();
    assert_eq!(total, 1, "exactly once");
    let row =
        db.query_one("SELECT status FROM bookings WHERE id = $1", &[&booking["id"].as_i64().unwrap()]).await.unwrap();
    assert_eq!(row.get::<_, String>(0), "EXPIRED");
    let sold: i32 =
        db.query_one("SELECT seats_sold FROM flight_fares WHERE flight_id = $1", &[&flight]).await.unwrap().get(0);
    assert_eq!(sold, 0);
    let (_, other) = customer(&stack, "next@example.com").await;
    assert_eq!(lock(&stack, &other, json!({"flightId": flight, "seatNumbers": ["1A", "1B"]})).await.0, 200);
}

#[tokio::test]
async fn a_hold_left_over_a_sold_seat_does_not_block_its_holder() {
    use shared::store::bookings::{NewBooking, NewSeat, PassengerRow, PgBookings};
    let (stack, _net, flight, token) = setup().await;
    // A booking cut short between its commit and its Redis update: the
    // caller holds 1A in Redis, Postgres sold it, Redis's copy of what is
    // sold does not know.
    assert_eq!(lock(&stack, &token, json!({"flightId": flight, "seatNumbers": ["1A"]})).await.0, 200);
    let committed = PgBookings::new(&stack.services.db)
        .create(&NewBooking {
            user_id: 1,
            caps: stack.services.config.unpaid_seat_caps,
            currency: "INR".into(),
            fare_brand: shared::domain::fares::FareBrand::Saver,
            expires_at: chrono::Utc::now() + chrono::Duration::minutes(10),
            passengers: vec![PassengerRow::named(1, "Test Customer".into())],
            seats: vec![NewSeat {
                slice: 1,
                leg: 1,
                flight_id: flight,
                seat: "1A".into(),
                cabin: "ECONOMY".into(),
                passenger_position: 1,
                fare: 250000,
                adult_fare: 250000,
                seat_charge: None,
            }],
            laps: Vec::new(),
        })
        .await;
    assert!(committed.is_ok(), "the direct commit");

    // Redis still shows 1A as the caller's: Postgres refuses it, cleanly.
    let (status, body) = create_booking(&stack, &token, json!({"flightId": flight, "seats": 1})).await;
    assert_eq!((status, body["code"].as_str()), (409, Some("SEAT_UNAVAILABLE")), "{body}");
    // From then on Redis knows 1A is sold, and the leftover hold on it is
    // not taken for the caller's: another seat is assigned.
    let (status, booking) = create_booking(&stack, &token, json!({"flightId": flight, "seats": 1})).await;
    assert_eq!(status, 201, "{booking}");
    assert_ne!(booking["seatNumbers"], json!(["1A"]));
    let live: i64 = stack
        .db()
        .await
        .query_one("SELECT count(*) FROM booking_seats WHERE flight_id = $1 AND live", &[&flight])
        .await
        .unwrap()
        .get(0);
    assert_eq!(live, 2, "1A once, and the new seat");
}
