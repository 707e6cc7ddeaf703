use crate::support::*;
use serde_json::Value;

async fn setup() -> (TestStack, Network, String) {
    let stack = TestStack::new().await;
    let network = Network::new(&stack).await;
    let (_, token) = customer(&stack, "flyer@example.com").await;
    (stack, network, token)
}

#[tokio::test]
async fn direct_one_stop_and_two_stop_itineraries_with_local_times() {
    let (stack, net, token) = setup().await;
    let direct = net.flight("XY1", "AAA", "DDD", 6 * 60, 120, 500000).await;
    let first = net.flight("XY2", "AAA", "BBB", 7 * 60, 60, 200000).await;
    // Exactly the 45 min minimum at BBB: connects.
    let second = net.flight("XY3", "BBB", "DDD", 8 * 60 + 45, 60, 150000).await;
    // 44 min: does not.
    net.flight("XY4", "BBB", "DDD", 8 * 60 + 44, 60, 100).await;
    let hop = net.flight("XY5", "BBB", "CCC", 9 * 60, 60, 100000).await;
    let last = net.flight("XY6", "CCC", "DDD", 11 * 60, 60, 100000).await;

    let q = |stops: u8| format!("source=AAA&destination=DDD&date={}&maxStops={stops}", net.date);
    let (status, body, _) = search(&stack, &token, &q(0)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(itinerary_ids(&body), vec![direct.to_string()]);
    assert_eq!(body["flights"][0]["id"], direct);
    assert_eq!(body["flights"][0]["price"], 5000.0);
    assert_eq!(body["flights"][0]["source"], "AAA");

    let (_, body, _) = search(&stack, &token, &q(1)).await;
    assert_eq!(itinerary_ids(&body), vec![format!("{first}-{second}"), direct.to_string()]);
    let connecting = &body["itineraries"][0];
    assert_eq!(connecting["stops"], 1);
    assert_eq!(connecting["layovers"][0]["airport"]["code"], "BBB");
    assert_eq!(connecting["layovers"][0]["durationMinutes"], 45);
    assert_eq!(connecting["price"]["amount"], 350000);
    assert_eq!(connecting["price"]["formatted"], "₹3,500.00");
    assert_eq!(connecting["totalDurationMinutes"], 165);
    assert!(connecting["legs"][0]["departureTime"].as_str().unwrap().ends_with("T07:00:00+05:30"), "{connecting}");
    assert_eq!(body["flights"].as_array().unwrap().len(), 1, "only directs in the flat list");

    let (_, body, _) = search(&stack, &token, &q(2)).await;
    let ids = itinerary_ids(&body);
    assert!(ids.contains(&format!("{first}-{hop}-{last}")), "{ids:?}");
    assert_eq!(ids.len(), 3);
}

#[tokio::test]
async fn times_carry_each_airports_offset_and_the_date_is_the_origins_local_date() {
    let (stack, net, token) = setup().await;
    // 23:30 IST on the date (18:00 UTC) belongs to the date; 00:30 the next day does not.
    let late = net.flight("XY10", "AAA", "EEE", 23 * 60 + 30, 210, 900000).await;
    net.flight("XY11", "AAA", "EEE", 24 * 60 + 30, 210, 900000).await;
    // 23:30 IST arriving 210 min later is 03:00 IST = 01:30 in Dubai (+04:00).
    let (_, body, _) =
        search(&stack, &token, &format!("source=AAA&destination=EEE&date={}&maxStops=0", net.date)).await;
    assert_eq!(itinerary_ids(&body), vec![late.to_string()]);
    let leg = &body["itineraries"][0]["legs"][0];
    assert!(leg["departureTime"].as_str().unwrap().ends_with("T23:30:00+05:30"), "{leg}");
    assert!(leg["arrivalTime"].as_str().unwrap().ends_with("T01:30:00+04:00"), "{leg}");

    // An international connection needs EEE's 90 minutes: 60 min is too short.
    net.flight("XY12", "EEE", "NNN", 27 * 60 + 60, 840, 5000000).await;
    let ok = net.flight("XY13", "EEE", "NNN", 27 * 60 + 90, 840, 5000000).await;
    let (_, body, _) = search(&stack, &token, &format!("source=AAA&destination=NNN&date={}", net.date)).await;
    assert_eq!(itinerary_ids(&body), vec![format!("{late}-{ok}")]);
    assert!(body["itineraries"][0]["arrivalTime"].as_str().unwrap().ends_with("-05:00"), "New York offset");
}

#[tokio::test]
async fn full_cancelled_and_departed_flights_never_appear() {
    let (stack, net, token) = setup().await;
    let ok = net.flight("XY20", "AAA", "DDD", 6 * 60, 60, 1000).await;
    let full = net.flight("XY21", "AAA", "DDD", 7 * 60, 60, 1000).await;
    let cancelled = net.flight("XY22", "AAA", "DDD", 8 * 60, 60, 1000).await;
    let nearly_full = net.flight("XY23", "AAA", "DDD", 9 * 60, 60, 1000).await;
    net.db.execute("UPDATE flight_fares SET seats_sold = 4 WHERE flight_id = $1", &[&full]).await.unwrap();
    net.db.execute("UPDATE flight_fares SET seats_sold = 3 WHERE flight_id = $1", &[&nearly_full]).await.unwrap();
    net.db.execute("UPDATE flights SET status = 'CANCELLED' WHERE id = $1", &[&cancelled]).await.unwrap();
    let (_, body, _) =
        search(&stack, &token, &format!("source=AAA&destination=DDD&date={}&maxStops=0", net.date)).await;
    assert_eq!(itinerary_ids(&body), vec![ok.to_string(), nearly_full.to_string()]);
    // Two passengers need two seats on every leg.
    let (_, body, _) =
        search(&stack, &token, &format!("source=AAA&destination=DDD&date={}&maxStops=0&passengers=2", net.date)).await;
    assert_eq!(itinerary_ids(&body), vec![ok.to_string()]);
    assert_eq!(body["itineraries"][0]["price"]["amount"], 2000);
}

#[tokio::test]
async fn sort_orders_and_pagination_without_duplicates_or_gaps() {
    let (stack, net, token) = setup().await;
    let mut all = Vec::new();
    for i in 0..25i64 {
        // Prices and durations in different orders from departures.
        all.push(
            net.flight(
                &format!("XY{}", 100 + i),
                "AAA",
                "DDD",
                5 * 60 + i * 20,
                60 + (i * 7) % 50,
                10000 + (i * 37) % 11 * 100,
            )
            .await,
        );
    }
    for sort in ["price", "duration", "departure"] {
        let base = format!("source=AAA&destination=DDD&date={}&maxStops=0&sort={sort}&limit=10", net.date);
        let mut seen: Vec<Value> = Vec::new();
        let mut cursor: Option<String> = None;
        for _page in 0..5 {
            let query = match &cursor {
                Some(c) => format!("{base}&cursor={c}"),
                None => base.clone(),
            };
            let (status, body, _) = search(&stack, &token, &query).await;
            assert_eq!(status, 200, "{body}");
            assert_eq!(body["total"], 25);
            // The flat list holds this page's direct flights, in its order.
            let page_ids: Vec<&Value> =
                body["itineraries"].as_array().unwrap().iter().map(|i| &i["legs"][0]["flightId"]).collect();
            let flat_ids: Vec<&Value> = body["flights"].as_array().unwrap().iter().map(|f| &f["id"]).collect();
            assert_eq!(flat_ids, page_ids, "{sort}: the page's direct flights");
            seen.extend(body["itineraries"].as_array().unwrap().iter().cloned());
            cursor = body["nextCursor"].as_str().map(str::to_owned);
            if cursor.is_none() {
                break;
            }
        }
        let ids: Vec<String> = seen.iter().map(|i| i["id"].as_str().unwrap().to_string()).collect();
        let mut unique = ids.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), 25, "{sort}: every flight exactly once");
        assert_eq!(ids.len(), 25, "{sort}: no duplicates");
        let key = |i: &Value| match sort {
            "price" => i["price"]["amount"].as_i64().unwrap(),
            "duration" => i["totalDurationMinutes"].as_i64().unwrap(),
            _ => chrono::DateTime::parse_from_rfc3339(i["departureTime"].as_str().unwrap()).unwrap().timestamp(),
        };
        assert!(seen.windows(2).all(|w| key(&w[0]) <= key(&w[1])), "{sort} order");
    }
    // A cursor from another search is refused.
    let (_, first_page, _) =
        search(&stack, &token, &format!("source=AAA&destination=DDD&date={}&limit=10", net.date)).await;
    let cursor = first_page["nextCursor"].as_str().unwrap();
    let (status, body, _) =
        search(&stack, &token, &format!("source=AAA&destination=BBB&date={}&cursor={cursor}", net.date)).await;
    assert_eq!((status, body["code"].as_str()), (400, Some("INVALID_CURSOR")));
}

#[tokio::test]
async fn cache_hits_and_is_invalidated_on_cancel_departure_and_full() {
    let (stack, net, token) = setup().await;
    let admin = stack.create_admin("ops@flightbook.local", "admin-change-me-42").await;
    let admin_token = stack.services.tokens.issue(admin, shared::auth::tokens::Role::Admin).unwrap().token;
    let a = net.flight("XY30", "AAA", "DDD", 6 * 60, 60, 1000).await;
    let b = net.flight("XY31", "AAA", "DDD", 7 * 60, 60, 2000).await;
    let c = net.flight("XY32", "AAA", "DDD", 8 * 60, 60, 3000).await;
    let q = format!("source=AAA&destination=DDD&date={}&maxStops=0", net.date);

    let (_, miss, cache) = search(&stack, &token, &q).await;
    assert_eq!(cache, "MISS");
    let (_, hit, cache) = search(&stack, &token, &q).await;
    assert_eq!(cache, "HIT");
    assert_eq!(hit["itineraries"], miss["itineraries"]);
    assert_eq!(hit["flights"], miss["flights"]);

    // Cancel: the admin route drops every cached search with the flight.
    let req = request_with(
        "POST",
        &format!("/api/admin/flights/{a}/cancel"),
        None,
        Some(&admin_token),
        &[("flightId", &a.to_string())],
        &[],
    );
    let response = flights_cancel::handle(&stack.services, req).await.unwrap();
    let cancelled = body_json(&response);
    assert_eq!(response.status(), 200, "{cancelled}");
    assert_eq!(cancelled["status"], "CANCELLED");
    assert_eq!(cancelled["invalidatedSearches"], 1);
    let (_, body, cache) = search(&stack, &token, &q).await;
    assert_eq!(cache, "MISS");
    assert_eq!(itinerary_ids(&body), vec![b.to_string(), c.to_string()]);

    // Departure: the schedule marks it departed and drops the cached search.
    search(&stack, &token, &q).await;
    net.db
        .execute("UPDATE flights SET departs_at = now() - interval '1 minute', arrives_at = now() + interval '1 hour' WHERE id = $1", &[&b])
        .await
        .unwrap();
    let outcome = bookings_expire::handle(&stack.services, serde_json::json!({})).await.unwrap();
    assert_eq!(outcome["departedFlights"], 1);
    let (_, body, cache) = search(&stack, &token, &q).await;
    assert_eq!(cache, "MISS");
    assert_eq!(itinerary_ids(&body), vec![c.to_string()]);

    // Full: selling the last seat calls the invalidation hook.
    search(&stack, &token, &q).await;
    net.db.execute("UPDATE flight_fares SET seats_sold = seats_total WHERE flight_id = $1", &[&c]).await.unwrap();
    assert_eq!(shared::service::search::invalidate_searches(&stack.services, c).await, 1);
    let (_, body, _) = search(&stack, &token, &q).await;
    assert!(itinerary_ids(&body).is_empty(), "{body}");
}

#[tokio::test]
async fn a_result_computed_before_an_invalidation_is_never_cached() {
    let (stack, _net, _token) = setup().await;
    let cache = stack.services.search_cache();
    let (before, _) = cache.lookup("somehash", 0, 10).await.unwrap();
    cache.invalidate_flight(42).await.unwrap();
    let ids = std::collections::BTreeSet::from([42]);
    let meta = shared::store::search_cache::ResultMeta { total: 0, first_departure: None, facets: String::new() };
    let stored = cache.store("somehash", before, &meta, &[], &[], &ids).await.unwrap();
    assert!(!stored, "a stale epoch must not write");
    let (now, page) = cache.lookup("somehash", 0, 10).await.unwrap();
    assert!(page.is_none());
    assert!(cache.store("somehash", now, &meta, &[], &[], &ids).await.unwrap());
}

#[tokio::test]
async fn concurrent_identical_misses_compute_once_and_agree() {
    let (stack, net, token) = setup().await;
    for i in 0..5 {
        net.flight(&format!("XY4{i}"), "AAA", "DDD", 6 * 60 + i * 30, 60, 1000 + i).await;
    }
    let q = format!("source=AAA&destination=DDD&date={}&maxStops=0", net.date);
    let results = futures::future::join_all((0..20).map(|_| search(&stack, &token, &q))).await;
    let misses = results.iter().filter(|(_, _, cache)| cache == "MISS").count();
    assert!(results
        .iter()
        .all(|(status, body, _)| *status == 200 && body["itineraries"] == results[0].1["itineraries"]));
    assert!(misses <= 3, "single flight: {misses} of 20 computed");
}

#[tokio::test]
async fn waiters_take_over_a_computation_that_ended_without_a_result() {
    let (stack, net, token) = setup().await;
    net.flight("XY48", "AAA", "DDD", 6 * 60, 60, 1000).await;
    let q = format!("source=AAA&destination=DDD&date={}&maxStops=0", net.date);
    let params: std::collections::HashMap<&str, &str> = q.split('&').filter_map(|kv| kv.split_once('=')).collect();
    let hash = shared::http::search_request::parse_search_request(|k| params.get(k).copied()).unwrap().query.hash();
    // Someone else "computes" this query and ends without storing a result
    // (as when an invalidation races it): the lock goes, nothing is stored.
    let cache = stack.services.search_cache();
    assert!(cache.try_lock(&hash).await.unwrap());
    let waiting = futures::future::join_all((0..10).map(|_| search(&stack, &token, &q)));
    let release = async {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        cache.unlock(&hash).await.unwrap();
    };
    let (results, ()) = tokio::join!(waiting, release);
    assert!(results
        .iter()
        .all(|(status, body, _)| *status == 200 && body["itineraries"] == results[0].1["itineraries"]));
    // One waiter took the lock over and computed; the others got its result.
    let misses = results.iter().filter(|(_, _, cache)| cache == "MISS").count();
    assert!((1..=2).contains(&misses), "{misses} of 10 computed after the lock went");
}

#[tokio::test]
async fn an_instance_reuses_a_cached_page_no_longer_than_the_cache_ttl() {
    let (stack, net, token) = setup().await;
    net.flight("XY49", "AAA", "DDD", 6 * 60, 60, 1000).await;
    let mut env = stack.env.clone();
    env.insert("SEARCH_CACHE_TTL_SECONDS".into(), "1".into());
    let config = shared::Config::from_lookup(|k| env.get(k).cloned().or_else(|| std::env::var(k).ok())).unwrap();
    let services = shared::Services::new(config).unwrap();
    let q = format!("/api/flights/search?source=AAA&destination=DDD&date={}&maxStops=0", net.date);
    let run = || async {
        let response =
            flights_search::handle(&services, request_with("GET", &q, None, Some(&token), &[], &[])).await.unwrap();
        response.headers().get("x-cache").and_then(|v| v.to_str().ok()).unwrap_or("").to_string()
    };
    assert_eq!(run().await, "MISS");
    // From Redis, then from the instance's recent pages (nothing was invalidated).
    assert_eq!(run().await, "HIT");
    assert_eq!(run().await, "HIT");
    // Past the TTL the Redis entry is gone, and so is the right to reuse it.
    tokio::time::sleep(std::time::Duration::from_millis(1300)).await;
    assert_eq!(run().await, "MISS");
}

#[tokio::test]
async fn search_answers_from_postgres_when_redis_is_down() {
    let (stack, net, token) = setup().await;
    let id = net.flight("XY50", "AAA", "DDD", 6 * 60, 60, 1000).await;
    let mut env = stack.env.clone();
    env.insert("REDIS_URL".into(), "rediss://127.0.0.1:1".into());
    // Refused at once; the deadline (2 x this) leaves a loaded machine time
    // to load the schedule from Postgres.
    env.insert("DEPENDENCY_TIMEOUT_MS".into(), "1500".into());
    let config = shared::Config::from_lookup(|k| env.get(k).cloned().or_else(|| std::env::var(k).ok())).unwrap();
    let services = shared::Services::new(config).unwrap();
    let q = format!("/api/flights/search?source=AAA&destination=DDD&date={}&maxStops=0", net.date);
    let response =
        flights_search::handle(&services, request_with("GET", &q, None, Some(&token), &[], &[])).await.unwrap();
    let body = body_json(&response);
    assert_eq!(response.status(), 200, "{body}");
    assert_eq!(itinerary_ids(&body), vec![id.to_string()]);
    assert_eq!(body["cached"], false);
}

#[tokio::test]
async fn search_rejects_bad_input_and_anonymous_callers() {
    let (stack, net, token) = setup().await;
    let date = net.date.clone();
    for (query, code) in [
        (format!("destination=DDD&date={date}"), "MISSING_PARAMETER"),
        ("source=AAA&destination=DDD".to_string(), "MISSING_PARAMETER"),
        (format!("source=AAA&destination=AAA&date={date}"), "INVALID_FIELD"),
        (format!("source=AAA&destination=ZZZ&date={date}"), "UNKNOWN_AIRPORT"),
        ("source=AAA&destination=DDD&date=2020-01-01".to_string(), "DATE_IN_PAST"),
        ("source=AAA&destination=DDD&date=05-08-2025".to_string(), "INVALID_FIELD"),
        (format!("source=AAA&destination=DDD&date={date}&passengers=99"), "INVALID_FIELD"),
        (format!("source=AAA&destination=DDD&date={date}&maxStops=5"), "INVALID_FIELD"),
        (format!("source='%3B%20DROP%20TABLE%20flights%3B--&destination=DDD&date={date}"), "INVALID_FIELD"),
    ] {
        let (status, body, _) = search(&stack, &token, &query).await;
        assert_eq!((status, body["code"].as_str()), (400, Some(code)), "{query}: {body}");
    }
    let anonymous = request_with(
        "GET",
        &format!("/api/flights/search?source=AAA&destination=DDD&date={date}"),
        None,
        None,
        &[],
        &[],
    );
    assert_problem(&flights_search::handle(&stack.services, anonymous).await.unwrap(), 401, "UNAUTHORIZED");
}

#[tokio::test]
async fn flight_details_and_admin_only_cancellation() {
    let (stack, net, token) = setup().await;
    let id = net.flight("XY60", "AAA", "EEE", 6 * 60, 200, 700000).await;
    let get = |flight: String, token: String| {
        let stack = &stack;
        async move {
            let req = request_with(
                "GET",
                &format!("/api/flights/{flight}"),
                None,
                Some(&token),
                &[("flightId", &flight)],
                &[],
            );
            flights_get::handle(&stack.services, req).await.unwrap()
        }
    };
    let response = get(id.to_string(), token.clone()).await;
    let flight = body_json(&response);
    assert_eq!(response.status(), 200, "{flight}");
    assert_eq!(flight["flightNumber"], "XY60");
    assert_eq!(flight["status"], "SCHEDULED");
    assert_eq!(flight["destination"]["timeZone"], "Asia/Dubai");
    assert_eq!(flight["fares"][0]["cabin"], "ECONOMY");
    assert_eq!(flight["fares"][0]["price"]["amount"], 700000);
    assert_eq!(flight["fares"][0]["seatsLeft"], 4);
    assert_problem(&get("999999".into(), token.clone()).await, 404, "NOT_FOUND");
    assert_problem(&get("abc".into(), token.clone()).await, 400, "INVALID_FIELD");

    let cancel = |token: String, flight: i64| {
        let stack = &stack;
        async move {
            let req = request_with(
                "POST",
                &format!("/api/admin/flights/{flight}/cancel"),
                None,
                Some(&token),
                &[("flightId", &flight.to_string())],
                &[],
            );
            flights_cancel::handle(&stack.services, req).await.unwrap()
        }
    };
    assert_problem(&cancel(token.clone(), id).await, 403, "FORBIDDEN");
    let admin = stack.create_admin("ops@flightbook.local", "admin-change-me-42").await;
    let admin_token = stack.services.tokens.issue(admin, shared::auth::tokens::Role::Admin).unwrap().token;
    assert_eq!(cancel(admin_token.clone(), id).await.status(), 200);
    assert_eq!(cancel(admin_token.clone(), id).await.status(), 200, "repeating a cancellation is harmless");
    assert_problem(&cancel(admin_token.clone(), 999999).await, 404, "NOT_FOUND");
    let after = body_json(&get(id.to_string(), token).await);
    assert_eq!(after["status"], "CANCELLED");
    assert_eq!(after["fares"][0]["seatsLeft"], 0);
}
