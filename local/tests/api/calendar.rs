//! The fare calendar: each date's price equals the first itinerary of the
//! price-ordered search for that date, cached or not, after a flight is
//! cancelled or sold out, and after concurrent bookings settle.

use crate::support::*;
use serde_json::{json, Value};

async fn calendar(stack: &TestStack, token: &str, query: &str) -> (u16, Value, String) {
    let handler = local_stack::registry::http_handler("flights-calendar").unwrap();
    let req = request_with("GET", &format!("/api/flights/calendar?{query}"), None, Some(token), &[], &[]);
    let response = handler(&stack.services, req).await.unwrap();
    let cache = response.headers().get("x-cache").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    (response.status().as_u16(), body_json(&response), cache)
}

/// Every date of the calendar against the price-ordered search of that
/// date with the same party, stops and cabin.
async fn assert_calendar_equals_search(stack: &TestStack, token: &str, net: &Network, party: &str, days: i64) -> Value {
    let q = format!("source=AAA&destination=DDD&from={}&to={}&maxStops=1&{party}", net.date, day(net, days - 1));
    let (status, body, _) = calendar(stack, token, &q).await;
    assert_eq!(status, 200, "{body}");
    let entries = body["days"].as_array().unwrap();
    assert_eq!(entries.len() as i64, days);
    for (offset, entry) in entries.iter().enumerate() {
        let date = day(net, offset as i64);
        assert_eq!(entry["date"], date.as_str());
        let (_, found, _) =
            search(stack, token, &format!("source=AAA&destination=DDD&date={date}&maxStops=1&sort=price&{party}"))
                .await;
        let first = &found["itineraries"][0];
        if first.is_null() {
            assert!(entry["price"].is_null(), "{date}: nothing sells, the calendar says {entry}");
        } else {
            assert_eq!(entry["price"], first["price"], "{date}: {entry} vs {first}");
            assert_eq!(entry["itineraryId"], first["id"], "{date}");
        }
    }
    body
}

#[tokio::test]
async fn each_date_is_the_cheapest_itinerary_the_search_sells_even_after_cancellations_and_sell_outs() {
    let stack = TestStack::new().await;
    let net = Network::new(&stack).await;
    let (_, token) = customer(&stack, "planner@example.com").await;
    let (_, buyer) = customer(&stack, "buyer@example.com").await;
    let mut cheapest = Vec::new();
    // Four dates with flights (the third has none), direct and one-stop.
    for d in [0i64, 1, 3, 4] {
        let base = d * 24 * 60;
        cheapest
            .push(net.flight(&format!("XY{}", 10 * d + 1), "AAA", "DDD", base + 7 * 60, 90, 300000 + d * 1000).await);
        net.flight(&format!("XY{}", 10 * d + 2), "AAA", "DDD", base + 12 * 60, 90, 450000).await;
        net.flight(&format!("XY{}", 10 * d + 3), "AAA", "BBB", base + 6 * 60, 60, 150000).await;
        net.flight(&format!("XY{}", 10 * d + 4), "BBB", "DDD", base + 8 * 60, 60, 200000).await;
    }
    let party = "adults=2&children=1&infants=1";
    let body = assert_calendar_equals_search(&stack, &token, &net, party, 6).await;
    assert!(body["days"][2]["price"].is_null() && body["days"][5]["price"].is_null());
    assert_eq!(body["cheapest"]["date"], net.date.as_str());
    assert_eq!(body["days"][0]["pricePerPassenger"]["amount"], 300000);
    assert_eq!(body["days"][0]["price"]["amount"], 2 * 300000 + 225000 + 30000);
    let q = format!("source=AAA&destination=DDD&from={}&to={}&maxStops=1&{party}", net.date, day(&net, 5));
    let (_, again, cache) = calendar(&stack, &token, &q).await;
    assert_eq!(cache, "HIT");
    assert_eq!(again["days"], body["days"]);

    // An airline cancels the first date's cheapest flight.
    let admin = stack.create_admin("ops@flightbook.local", "admin-change-me-42").await;
    let admin_token = stack.services.tokens.issue(admin, shared::auth::tokens::Role::Admin).unwrap().token;
    let id = cheapest[0].to_string();
    let req = request_with(
        "POST",
        &format!("/api/admin/flights/{id}/cancel"),
        None,
        Some(&admin_token),
        &[("flightId", &id)],
        &[],
    );
    assert_eq!(flights_cancel::handle(&stack.services, req).await.unwrap().status(), 200);
    let (_, after, cache) = calendar(&stack, &token, &q).await;
    assert_eq!(cache, "MISS", "the cancellation dropped the cached calendar");
    assert_eq!(after["days"][0]["pricePerPassenger"]["amount"], 350000, "the one-stop is cheapest now");
    assert_calendar_equals_search(&stack, &token, &net, party, 6).await;

    // The second date's cheapest flight sells out (4 seats).
    let (status, booking) = create_booking(&stack, &buyer, json!({"flightId": cheapest[1], "seats": 4})).await;
    assert_eq!(status, 201, "{booking}");
    let (_, after, cache) = calendar(&stack, &token, &q).await;
    assert_eq!(cache, "MISS", "selling the last seat dropped the cached calendar");
    assert_ne!(after["days"][1]["itineraryId"], cheapest[1].to_string());
    assert_calendar_equals_search(&stack, &token, &net, party, 6).await;
    // One seat left of four is enough for one adult but not for the family.
    assert_calendar_equals_search(&stack, &token, &net, "adults=1", 6).await;
}

#[tokio::test]
async fn the_calendar_agrees_with_the_search_once_racing_bookings_settle() {
    let stack = TestStack::new().await;
    let net = Network::new(&stack).await;
    let (_, token) = customer(&stack, "watcher@example.com").await;
    let mut flights = Vec::new();
    for d in 0..4i64 {
        for k in 0..3i64 {
            flights.push(
                net.flight(
                    &format!("XY{}", 100 + d * 10 + k),
                    "AAA",
                    "DDD",
                    d * 24 * 60 + (8 + k) * 60,
                    60,
                    100000 + k * 10000,
                )
                .await,
            );
        }
    }
    let mut buyers = Vec::new();
    for i in 0..8 {
        buyers.push(customer(&stack, &format!("racer{i}@example.com")).await.1);
    }
    let q = format!("source=AAA&destination=DDD&from={}&to={}&maxStops=0&adults=2", net.date, day(&net, 3));
    let stack = std::sync::Arc::new(stack);
    let mut tasks = Vec::new();
    // Buyers race for two seats each on the cheap flights while the
    // calendar is read and cached over and over.
    for (i, buyer) in buyers.into_iter().enumerate() {
        let (stack, flights) = (stack.clone(), flights.clone());
        tasks.push(tokio::spawn(async move {
            for n in 0..3 {
                let flight = flights[(i + n * 3) % flights.len() / 3 * 3];
                let (status, body) = create_booking(&stack, &buyer, json!({"flightId": flight, "seats": 2})).await;
                assert!(status == 201 || status == 409, "{status}: {body}");
            }
        }));
    }
    for _ in 0..4 {
        let (stack, token, q) = (stack.clone(), token.clone(), q.clone());
        tasks.push(tokio::spawn(async move {
            for _ in 0..6 {
                let (status, body, _) = calendar(&stack, &token, &q).await;
                assert_eq!(status, 200, "{body}");
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let body = assert_calendar_equals_search(&stack, &token, &net, "adults=2", 4).await;
    let sold: i64 = net
        .db
        .query_one(
            "SELECT coalesce(sum(seats_sold), 0)::bigint FROM flight_fares WHERE flight_id = ANY($1)",
            &[&flights],
        )
        .await
        .unwrap()
        .get(0);
    assert!(sold >= 8, "the race sold seats: {sold}");
    let _ = body;
}

#[tokio::test]
async fn bad_calendars_are_400s_naming_the_field() {
    let stack = TestStack::new().await;
    let net = Network::new(&stack).await;
    let (_, token) = customer(&stack, "bad@example.com").await;
    let from = net.date.clone();
    for (query, code, field) in [
        (format!("source=AAA&destination=DDD&from={from}&to={}", day(&net, 62)), "INVALID_FIELD", "to"),
        (format!("source=AAA&destination=DDD&from={from}&to={}", day(&net, -1)), "INVALID_FIELD", "to"),
        (format!("source=AAA&destination=DDD&from={from}"), "MISSING_PARAMETER", "query parameter to"),
        (format!("source=AAA&destination=ZZZ&from={from}&to={from}"), "UNKNOWN_AIRPORT", "destination"),
        (format!("source=AAA&destination=DDD&from=2020-01-01&to={from}"), "INVALID_FIELD", "to"),
        (format!("source=AAA&destination=DDD&from={}&to={}", day(&net, -5), day(&net, -4)), "DATE_IN_PAST", "from"),
        (format!("source=AAA&destination=DDD&from={from}&to={from}&adults=1&infants=2"), "INVALID_FIELD", "infants"),
    ] {
        let (status, body, _) = calendar(&stack, &token, &query).await;
        assert_eq!((status, body["code"].as_str()), (400, Some(code)), "{query}: {body}");
        assert!(body["detail"].as_str().unwrap().starts_with(field), "{query}: {body}");
    }
}
