//! Orders of several slices for families: one transaction for every slice,
//! passengers with types, ages and documents, infants on laps (a fare, a
//! ticket, no seat), and the searched price charged.

use crate::support::*;
use serde_json::{json, Value};
use std::sync::Arc;

/// Years before the search date, as `YYYY-MM-DD`.
fn born(net: &Network, years_ago: i32) -> String {
    let date = chrono::NaiveDate::parse_from_str(&net.date, "%Y-%m-%d").unwrap();
    chrono::Datelike::with_year(&date, chrono::Datelike::year(&date) - years_ago).unwrap().to_string()
}

fn family(net: &Network) -> Value {
    json!([
        {"type": "adult", "title": "mr", "givenName": "Arjun", "familyName": "Rao", "dateOfBirth": born(net, 40), "gender": "m"},
        {"type": "adult", "title": "ms", "givenName": "Asha", "familyName": "Rao", "dateOfBirth": born(net, 38), "gender": "f"},
        {"type": "child", "title": "miss", "givenName": "Anika", "familyName": "Rao", "dateOfBirth": born(net, 7)},
        {"type": "infant", "givenName": "Ayaan", "familyName": "Rao", "dateOfBirth": born(net, 1), "infantOf": 1}
    ])
}

async fn seats_sold(net: &Network, flight: i64) -> i32 {
    net.db.query_one("SELECT seats_sold FROM flight_fares WHERE flight_id = $1", &[&flight]).await.unwrap().get(0)
}

#[tokio::test]
async fn a_family_books_a_round_trip_in_one_order_at_the_searched_price_and_gets_every_ticket() {
    let stack = TestStack::new().await;
    let net = Network::new(&stack).await;
    let (_, token) = customer(&stack, "rao@example.com").await;
    let out = net.flight("XY1", "AAA", "DDD", 7 * 60, 120, 450001).await;
    let back = net.flight("XY2", "DDD", "AAA", 3 * 24 * 60 + 18 * 60, 120, 380000).await;

    let q = format!(
        "source=AAA&destination=DDD&date={}&returnDate={}&maxStops=0&adults=2&children=1&infants=1",
        net.date,
        day(&net, 3)
    );
    let (_, found, _) = search(&stack, &token, &q).await;
    let trip = &found["itineraries"][0];
    assert_eq!(trip["id"], format!("{out}_{back}"));
    // The search prices fares; the three seats the family chooses on the
    // way out are standard seats, ₹300 each in Saver (domain::seat_charges).
    let price = trip["price"]["amount"].as_i64().unwrap() + 3 * 30_000;

    let body = json!({
        "slices": [{"legs": [{"flightId": out, "seatNumbers": ["1A", "1B", "2A"]}]}, {"legs": [{"flightId": back}]}],
        "passengers": family(&net),
        "price": {"amount": price},
    });
    let (status, booking) = create_booking(&stack, &token, body).await;
    assert_eq!(status, 201, "{booking}");
    assert_eq!(booking["totalAmount"]["amount"], price, "the searched price and the chosen seats");
    let legs = booking["legs"].as_array().unwrap();
    assert_eq!(legs.iter().map(|l| l["slice"].as_i64().unwrap()).collect::<Vec<_>>(), [1, 2]);
    for leg in legs {
        assert_eq!(leg["seats"].as_array().unwrap().len(), 3, "seated passengers only: {leg}");
        let infants = leg["infants"].as_array().unwrap();
        assert_eq!(infants.len(), 1);
        assert_eq!((infants[0]["passenger"].as_i64(), infants[0]["onLapOf"].as_i64()), (Some(4), Some(2)));
    }
    let names: Vec<&str> =
        booking["passengers"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["RAO/ARJUN MR", "RAO/ASHA MS", "RAO/ANIKA MISS", "RAO/AYAAN"]);
    let kinds: Vec<&str> =
        booking["passengers"].as_array().unwrap().iter().map(|p| p["type"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["adult", "adult", "child", "infant"]);
    assert_eq!((seats_sold(&net, out).await, seats_sold(&net, back).await), (3, 3), "infants take no seat");

    // Paid, it is ticketed: one ticket per passenger per leg, the infant's on a lap.
    let id = booking["id"].as_i64().unwrap();
    let req =
        request("POST", "/api/payments/pay", Some(json!({"bookingId": id, "amount": {"amount": price}})), Some(&token));
    let response = payments_pay::handle(&stack.services, req).await.unwrap();
    assert_eq!(response.status(), 200, "{}", body_json(&response));
    let issued = shared::service::tickets::issue_tickets(&stack.services, id).await.unwrap();
    assert!(
        matches!(
            issued,
            shared::service::tickets::IssueOutcome::Issued(8) | shared::service::tickets::IssueOutcome::AlreadyIssued
        ),
        "{issued:?}"
    );
    let tickets = net
        .db
        .query(
            "SELECT passenger_position, seat FROM tickets WHERE booking_id = $1 ORDER BY leg, passenger_position",
            &[&id],
        )
        .await
        .unwrap();
    assert_eq!(tickets.len(), 8);
    assert_eq!(tickets.iter().filter(|t| t.get::<_, String>(1) == "INF").count(), 2);
    let record = shared::store::bookings::PgBookings::new(&stack.services.db).find(id).await.unwrap().unwrap();
    let invoice = shared::service::tickets::issued_invoice(&stack.services, &record).await.unwrap().unwrap();
    assert_eq!(invoice.lines.len(), 8 + 3, "a line per coupon and one per chosen seat's charge");
    let seat_lines: Vec<i64> = invoice.lines.iter().filter(|l| l.seat_product.is_some()).map(|l| l.fare).collect();
    assert_eq!(seat_lines, [30_000; 3]);
    assert_eq!(invoice.invoice_total, price, "the invoice adds up to what was paid");
    let infant_lines: Vec<_> = invoice
        .lines
        .iter()
        .filter(|l| l.passenger_type == shared::domain::travellers::PassengerType::Infant)
        .collect();
    assert_eq!(infant_lines.len(), 2);
    assert_eq!(infant_lines.iter().map(|l| l.fare).sum::<i64>(), (450001 + 380000) / 10);
}

#[tokio::test]
async fn bad_parties_and_orders_are_400s_naming_the_field_and_leave_nothing_behind() {
    let stack = TestStack::new().await;
    let net = Network::new(&stack).await;
    let (_, token) = customer(&stack, "careful@example.com").await;
    let out = net.flight("XY1", "AAA", "DDD", 7 * 60, 120, 450000).await;
    let back = net.flight("XY2", "DDD", "AAA", 3 * 24 * 60, 120, 380000).await;
    let early_back = net.flight("XY3", "DDD", "AAA", 8 * 60, 60, 380000).await;
    let abroad = net.flight("XY4", "AAA", "EEE", 10 * 60, 210, 900000).await;
    let round = json!([{"legs": [{"flightId": out}]}, {"legs": [{"flightId": back}]}]);
    let with = |index: usize, field: &str, value: Value| {
        let mut list = family(&net);
        if value.is_null() {
            list[index].as_object_mut().unwrap().remove(field);
        } else {
            list[index][field] = value;
        }
        list
    };
    let passport = |expires: &str| json!({"number": "Z1234567", "issuingCountry": "IN", "nationality": "IN", "expiresOn": expires});
    let mut expired = family(&net);
    for p in expired.as_array_mut().unwrap() {
        p["passport"] = passport(&day(&net, 400));
    }
    expired[2]["passport"] = passport(&day(&net, -1));
    let ten: Vec<Value> = (0..10)
        .map(|i| json!({"givenName": format!("P{}", "x".repeat(i + 1)), "familyName": "Many", "dateOfBirth": born(&net, 30)}))
        .collect();
    for (slices, passengers, field) in [
        (round.clone(), with(3, "infantOf", Value::Null), "passengers[3].infantOf"),
        (round.clone(), with(2, "dateOfBirth", json!(born(&net, 14))), "passengers[2].dateOfBirth"),
        (round.clone(), with(3, "infantOf", json!(2)), "passengers[3].infantOf"),
        (round.clone(), with(0, "givenName", Value::Null), "passengers[0].givenName"),
        (round.clone(), with(2, "type", json!("teen")), "passengers[2].type"),
        (json!([{"legs": [{"flightId": abroad}]}]), family(&net), "passengers[0].passport"),
        (json!([{"legs": [{"flightId": abroad}]}]), expired, "passengers[2].passport.expiresOn"),
        (round.clone(), json!(ten), "passengers"),
        (json!([{"legs": [{"flightId": out}]}, {"legs": [{"flightId": early_back}]}]), family(&net), "slices[1]"),
        (json!([{"legs": []}, {"legs": [{"flightId": back}]}]), family(&net), "slices"),
    ] {
        let (status, problem) =
            create_booking(&stack, &token, json!({"slices": slices, "passengers": passengers})).await;
        assert_eq!(status, 400, "{field}: {problem}");
        assert!(problem["detail"].as_str().unwrap().starts_with(field), "{field}: {problem}");
    }
    let bookings: i64 = net.db.query_one("SELECT count(*) FROM bookings", &[]).await.unwrap().get(0);
    assert_eq!(bookings, 0);
    for flight in [out, back, early_back, abroad] {
        assert_eq!(seats_sold(&net, flight).await, 0);
    }
    // Nothing is left held either: another customer can take every seat.
    let (_, other) = customer(&stack, "other@example.com").await;
    let (status, body) = create_booking(&stack, &other, json!({"flightId": out, "seats": 4})).await;
    assert_eq!(status, 201, "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_round_trips_are_all_or_nothing_and_never_oversell() {
    let stack = TestStack::new().await;
    let net = Network::new(&stack).await;
    // Four seats each way: at most two families of two fly, and the single
    // travellers racing for the return seats can starve them.
    let out = net.flight("XY1", "AAA", "DDD", 7 * 60, 120, 300000).await;
    let back = net.flight("XY2", "DDD", "AAA", 2 * 24 * 60, 120, 300000).await;
    let stack = Arc::new(stack);
    let mut tasks = Vec::new();
    for i in 0..6 {
        let stack = stack.clone();
        let adult = born(&net, 30 + i);
        tasks.push(tokio::spawn(async move {
            let (_, token) = customer(&stack, &format!("pair{i}@example.com")).await;
            let body = json!({
                "slices": [{"legs": [{"flightId": out}]}, {"legs": [{"flightId": back}]}],
                "passengers": [
                    {"givenName": "One", "familyName": format!("Pair{}", "x".repeat(i as usize + 1)), "dateOfBirth": adult},
                    {"givenName": "Two", "familyName": "Pair", "dateOfBirth": adult}
                ]
            });
            let (status, reply) = create_booking(&stack, &token, body).await;
            assert!(status == 201 || status == 409, "{status}: {reply}");
            (status == 201).then(|| reply["id"].as_i64().unwrap())
        }));
    }
    for i in 0..3 {
        let stack = stack.clone();
        tasks.push(tokio::spawn(async move {
            let (_, token) = customer(&stack, &format!("single{i}@example.com")).await;
            let (status, reply) = create_booking(&stack, &token, json!({"flightId": back, "seats": 1})).await;
            assert!(status == 201 || status == 409, "{status}: {reply}");
            None
        }));
    }
    let mut round_trips = Vec::new();
    for task in tasks {
        if let Some(id) = task.await.unwrap() {
            round_trips.push(id);
        }
    }
    let singles: i64 = net
        .db
        .query_one("SELECT count(*) FROM bookings b WHERE NOT EXISTS (SELECT 1 FROM booking_seats s WHERE s.booking_id = b.id AND s.slice = 2) AND EXISTS (SELECT 1 FROM booking_seats s WHERE s.booking_id = b.id)", &[])
        .await
        .unwrap()
        .get(0);
    let (sold_out, sold_back) = (seats_sold(&net, out).await, seats_sold(&net, back).await);
    // Who wins depends on the race (singles may take the return seats
    // first); what is sold always adds up.
    assert!(sold_back > 0, "the race sold seats");
    assert_eq!(sold_out, 2 * round_trips.len() as i32, "no outbound seat without its return");
    assert_eq!(sold_back, 2 * round_trips.len() as i32 + singles as i32);
    assert!(sold_out <= 4 && sold_back <= 4);
    for id in round_trips {
        let rows: i64 =
            net.db.query_one("SELECT count(*) FROM booking_seats WHERE booking_id = $1", &[&id]).await.unwrap().get(0);
        assert_eq!(rows, 4, "two passengers on two slices");
    }
    // Every live seat is one of a booking's, once.
    let live: i64 = net
        .db
        .query_one("SELECT count(*) FROM booking_seats WHERE live AND flight_id = ANY($1)", &[&vec![out, back]])
        .await
        .unwrap()
        .get(0);
    assert_eq!(live, i64::from(sold_out + sold_back));
}

#[tokio::test]
async fn a_ticket_covers_a_slice_with_a_coupon_for_each_of_its_legs() {
    let stack = TestStack::new().await;
    let net = Network::new(&stack).await;
    let (_, token) = customer(&stack, "coupons@example.com").await;
    let first = net.flight("XY1", "AAA", "BBB", 7 * 60, 60, 200000).await;
    let second = net.flight("XY2", "BBB", "DDD", 9 * 60, 60, 150000).await;
    let back = net.flight("XY3", "DDD", "AAA", 2 * 24 * 60, 120, 300000).await;
    let passengers = json!([
        {"givenName": "Meera", "familyName": "Iyer", "dateOfBirth": born(&net, 35)},
        {"type": "infant", "givenName": "Kavi", "familyName": "Iyer", "dateOfBirth": born(&net, 1), "infantOf": 0}
    ]);
    let slices = json!([{"legs": [{"flightId": first}, {"flightId": second}]}, {"legs": [{"flightId": back}]}]);
    let (status, booking) = create_booking(&stack, &token, json!({"slices": slices, "passengers": passengers})).await;
    assert_eq!(status, 201, "{booking}");
    let id = booking["id"].as_i64().unwrap();
    let total = booking["totalAmount"]["amount"].as_i64().unwrap();
    assert_eq!(total, 650000 + 65000, "the adult's fares and the infant's 10 %");
    let req = request("POST", "/api/payments/pay", Some(json!({"bookingId": id})), Some(&token));
    assert_eq!(payments_pay::handle(&stack.services, req).await.unwrap().status(), 200);
    let generate = local_stack::registry::http_handler("tickets-generate").unwrap();
    let (status, issued) =
        call(generate, &stack, "POST", "/api/tickets/generate", &[], Some(json!({"bookingId": id})), &token).await;
    assert_eq!(status, 200, "{issued}");
    let tickets = issued["tickets"].as_array().unwrap();
    assert_eq!(tickets.len(), 4, "two passengers, two slices: {issued}");
    let outbound: Vec<&Value> = tickets.iter().filter(|t| t["flightId"] == first).collect();
    assert_eq!(outbound.len(), 2, "the outbound ticket names the slice's first leg");
    for ticket in &outbound {
        let covered: Vec<i64> = ticket["legs"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|l| l["thisTicket"] == true)
            .map(|l| l["flightId"].as_i64().unwrap())
            .collect();
        assert_eq!(covered, [first, second], "one ticket, a coupon per leg: {ticket}");
    }
    let record = shared::store::bookings::PgBookings::new(&stack.services.db).find(id).await.unwrap().unwrap();
    let invoice = shared::service::tickets::issued_invoice(&stack.services, &record).await.unwrap().unwrap();
    assert_eq!(invoice.lines.len(), 6, "a line per passenger per leg");
    assert_eq!(invoice.invoice_total, total);
    let numbers: std::collections::BTreeSet<&str> = invoice.lines.iter().map(|l| l.ticket_number.as_str()).collect();
    assert_eq!(numbers.len(), 4);
}
