//! Round trips, multi-city trips and parties of adults, children and
//! infants, through the search handler on real Postgres and Redis.

use crate::support::*;
use serde_json::{json, Value};

async fn setup() -> (TestStack, Network, String) {
    let stack = TestStack::new().await;
    let network = Network::new(&stack).await;
    let (_, token) = customer(&stack, "family@example.com").await;
    (stack, network, token)
}

async fn multi_city(stack: &TestStack, token: &str, body: Value) -> (u16, Value) {
    let req = request("POST", "/api/flights/search", Some(body), Some(token));
    let response = flights_search::handle(&stack.services, req).await.unwrap();
    (response.status().as_u16(), body_json(&response))
}

fn minutes(time: &Value) -> i64 {
    chrono::DateTime::parse_from_rfc3339(time.as_str().unwrap()).unwrap().timestamp() / 60
}

/// Every page of a search, followed by its cursors.
async fn all_pages(stack: &TestStack, token: &str, query: &str) -> Vec<Value> {
    let mut items = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let q = match &cursor {
            Some(c) => format!("{query}&limit=100&cursor={c}"),
            None => format!("{query}&limit=100"),
        };
        let (status, body, _) = search(stack, token, &q).await;
        assert_eq!(status, 200, "{q}: {body}");
        items.extend(body["itineraries"].as_array().unwrap().iter().cloned());
        cursor = body["nextCursor"].as_str().map(str::to_owned);
        if cursor.is_none() {
            return items;
        }
    }
}

#[tokio::test]
async fn a_round_trip_pairs_each_outbound_with_an_inbound_leaving_after_it_lands() {
    let (stack, net, token) = setup().await;
    let early = net.flight("XY1", "AAA", "DDD", 6 * 60, 60, 500000).await;
    let late = net.flight("XY2", "AAA", "DDD", 20 * 60, 60, 300000).await; // lands 21:00
                                                                           // 30 minutes after the late outbound lands: DDD needs 45.
    let tight = net.flight("XY3", "DDD", "AAA", 21 * 60 + 30, 60, 100000).await;
    let exact = net.flight("XY4", "DDD", "AAA", 21 * 60 + 45, 60, 200000).await;

    let q = format!("source=AAA&destination=DDD&date={0}&returnDate={0}&maxStops=0&sort=price", net.date);
    let (status, body, cache) = search(&stack, &token, &q).await;
    assert_eq!((status, cache.as_str()), (200, "MISS"), "{body}");
    let ids = itinerary_ids(&body);
    assert_eq!(
        ids,
        vec![format!("{late}_{exact}"), format!("{early}_{tight}"), format!("{early}_{exact}")],
        "the late outbound cannot make the 21:30 inbound"
    );
    assert_eq!(body["query"]["returnDate"], net.date.as_str());
    assert_eq!(body["total"], 3);
    assert_eq!(body["flights"], json!([]), "no flat rows for trips");
    let trip = &body["itineraries"][0];
    assert_eq!(trip["price"]["amount"], 500000);
    assert_eq!(trip["totalDurationMinutes"], 120, "the slices' durations, not the day between");
    let slices = trip["slices"].as_array().unwrap();
    assert_eq!(slices.len(), 2);
    assert_eq!(
        (slices[0]["origin"]["code"].as_str(), slices[0]["destination"]["code"].as_str()),
        (Some("AAA"), Some("DDD"))
    );
    assert_eq!(
        (slices[1]["origin"]["code"].as_str(), slices[1]["destination"]["code"].as_str()),
        (Some("DDD"), Some("AAA"))
    );
    assert_eq!(slices[1]["legs"][0]["flightId"], exact);
    assert_eq!(slices[1]["pricePerPassenger"]["amount"], 200000);
    assert!(minutes(&slices[1]["departureTime"]) - minutes(&slices[0]["arrivalTime"]) >= 45);

    let (_, again, cache) = search(&stack, &token, &q).await;
    assert_eq!(cache, "HIT");
    assert_eq!(again["itineraries"], body["itineraries"]);

    // Cancelling the inbound drops the cached round trip with it.
    let admin = stack.create_admin("ops@flightbook.local", "admin-change-me-42").await;
    let admin_token = stack.services.tokens.issue(admin, shared::auth::tokens::Role::Admin).unwrap().token;
    let req = request_with(
        "POST",
        &format!("/api/admin/flights/{exact}/cancel"),
        None,
        Some(&admin_token),
        &[("flightId", &exact.to_string())],
        &[],
    );
    assert_eq!(flights_cancel::handle(&stack.services, req).await.unwrap().status(), 200);
    let (_, body, cache) = search(&stack, &token, &q).await;
    assert_eq!(cache, "MISS");
    assert_eq!(itinerary_ids(&body), vec![format!("{early}_{tight}")]);
}

#[tokio::test]
async fn a_family_pays_child_and_infant_fractions_and_only_seated_passengers_need_seats() {
    let (stack, net, token) = setup().await;
    let out = net.flight("XY10", "AAA", "DDD", 6 * 60, 60, 400001).await;
    let back = net.flight("XY11", "DDD", "AAA", 3 * 24 * 60 + 9 * 60, 60, 200000).await;
    let back_date =
        (chrono::NaiveDate::parse_from_str(&net.date, "%Y-%m-%d").unwrap() + chrono::Duration::days(3)).to_string();
    let q = format!(
        "source=AAA&destination=DDD&date={}&returnDate={back_date}&maxStops=0&adults=2&children=1&infants=1",
        net.date
    );
    let (status, body, _) = search(&stack, &token, &q).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["query"]["sort"], "best", "round trips default to best");
    assert_eq!(
        (body["query"]["adults"].as_i64(), body["query"]["children"].as_i64(), body["query"]["infants"].as_i64()),
        (Some(2), Some(1), Some(1))
    );
    assert_eq!(body["query"]["passengers"], 3, "seats the party takes");
    let trip = &body["itineraries"][0];
    assert_eq!(trip["id"], format!("{out}_{back}"));
    let adult = 600001;
    let (child, infant) = (450001, 60000); // 75% and 10%, halves up
    assert_eq!(trip["pricePerPassenger"]["amount"], adult);
    assert_eq!(trip["price"]["amount"], 2 * adult + child + infant);
    assert_eq!(trip["passengers"], 3);
    let lines = trip["priceBreakdown"].as_array().unwrap();
    let kinds: Vec<&str> = lines.iter().map(|l| l["type"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["adult", "child", "infant"]);
    let mut sum = 0;
    for (line, (count, fare)) in lines.iter().zip([(2, adult), (1, child), (1, infant)]) {
        assert_eq!((line["count"].as_i64(), line["fare"]["amount"].as_i64()), (Some(count), Some(fare)), "{line}");
        let (base, taxes) =
            (line["baseFare"]["amount"].as_i64().unwrap(), line["taxesAndFees"]["amount"].as_i64().unwrap());
        assert_eq!(base + taxes, fare);
        // Both slices embark in India: 5% GST inside the economy fare.
        assert_eq!(base, (fare * 200 + 105) / 210, "{line}");
        assert_eq!(line["total"]["amount"], count * fare);
        sum += count * fare;
    }
    assert_eq!(sum, trip["price"]["amount"].as_i64().unwrap());

    // Three seats left on the outbound (of 4): the family of three seated
    // passengers fits; a fourth seated passenger does not, an infant does.
    net.db.execute("UPDATE flight_fares SET seats_sold = 1 WHERE flight_id = $1", &[&out]).await.unwrap();
    let fits = format!("source=AAA&destination=DDD&date={}&maxStops=0&adults=2&children=1&infants=2", net.date);
    let (_, body, _) = search(&stack, &token, &fits).await;
    assert_eq!(itinerary_ids(&body), vec![out.to_string()], "{body}");
    let full = format!("source=AAA&destination=DDD&date={}&maxStops=0&adults=2&children=2", net.date);
    let (_, body, _) = search(&stack, &token, &full).await;
    assert!(itinerary_ids(&body).is_empty(), "{body}");
}

/// The best pairs of two full one-way results, by brute force, in the
/// round trip's order for `sort`.
fn best_pairs(outbound: &[Value], inbound: &[Value], sort: &str) -> Vec<String> {
    let mut pairs: Vec<((i64, i64, i64), String)> = Vec::new();
    for o in outbound {
        for i in inbound {
            if minutes(&i["departureTime"]) < minutes(&o["arrivalTime"]) + 45 {
                continue;
            }
            let price =
                o["pricePerPassenger"]["amount"].as_i64().unwrap() + i["pricePerPassenger"]["amount"].as_i64().unwrap();
            let secs = 60 * (o["totalDurationMinutes"].as_i64().unwrap() + i["totalDurationMinutes"].as_i64().unwrap());
            let departs = minutes(&o["departureTime"]);
            let key = match sort {
                "price" => (price, secs, departs),
                "duration" => (secs, price, departs),
                _ => (price + secs * 40_000 / 3600, price, departs),
            };
            pairs.push((key, format!("{}_{}", o["id"].as_str().unwrap(), i["id"].as_str().unwrap())));
        }
    }
    // Flight ids break the remaining ties, as the search does: compare
    // them as numbers, leg by leg.
    let ids = |id: &str| id.split(['_', '-']).map(|n| n.parse::<i64>().unwrap()).collect::<Vec<_>>();
    pairs.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| ids(&a.1).cmp(&ids(&b.1))));
    pairs.into_iter().take(300).map(|(_, id)| id).collect()
}

#[tokio::test]
async fn round_trips_are_exactly_the_best_pairs_of_the_two_one_way_results() {
    let (stack, net, token) = setup().await;
    // Both directions on one day, direct and through BBB or CCC, in prices
    // and durations that disagree with departures: many outbounds land
    // after many inbounds leave, so the order between slices binds.
    let mut n = 0;
    for (from, to) in [("AAA", "DDD"), ("DDD", "AAA"), ("AAA", "BBB"), ("BBB", "DDD"), ("DDD", "CCC"), ("CCC", "AAA")] {
        for k in 0..7i64 {
            n += 1;
            let departs = 5 * 60 + (k * 211 + n * 97) % 1000;
            let fare = 100000 + (k * 7919 + n * 131) % 23 * 5000;
            net.flight(&format!("XY{}", 200 + n), from, to, departs, 50 + (k * 37) % 90, fare).await;
        }
    }
    let back_date = net.date.clone();
    for sort in ["price", "duration", "best"] {
        let one_way = |from: &str, to: &str, date: &str| {
            format!("source={from}&destination={to}&date={date}&maxStops=1&sort={sort}")
        };
        let outbound = all_pages(&stack, &token, &one_way("AAA", "DDD", &net.date)).await;
        let inbound = all_pages(&stack, &token, &one_way("DDD", "AAA", &back_date)).await;
        assert!(outbound.len() > 5 && inbound.len() > 5, "{} {}", outbound.len(), inbound.len());
        let q = format!("source=AAA&destination=DDD&date={}&returnDate={back_date}&maxStops=1&sort={sort}", net.date);
        let trips = all_pages(&stack, &token, &q).await;
        let got: Vec<String> = trips.iter().map(|t| t["id"].as_str().unwrap().to_string()).collect();
        assert_eq!(got, best_pairs(&outbound, &inbound, sort), "sort={sort}");
        for trip in &trips {
            let price: i64 = trip["slices"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s["pricePerPassenger"]["amount"].as_i64().unwrap())
                .sum();
            assert_eq!(trip["price"]["amount"], price, "one adult pays the slices' fares");
        }
    }
}

#[tokio::test]
async fn multi_city_trips_take_their_slices_in_order() {
    let (stack, net, token) = setup().await;
    let day = |d: i64| {
        (chrono::NaiveDate::parse_from_str(&net.date, "%Y-%m-%d").unwrap() + chrono::Duration::days(d)).to_string()
    };
    let ab = net.flight("XY40", "AAA", "BBB", 8 * 60, 60, 100000).await;
    let bc_same_day = net.flight("XY41", "BBB", "CCC", 9 * 60 + 50, 60, 90000).await;
    let bc_too_soon = net.flight("XY42", "BBB", "CCC", 9 * 60 + 40, 60, 10000).await;
    let cd = net.flight("XY43", "CCC", "DDD", 2 * 24 * 60 + 10 * 60, 60, 120000).await;
    let slices = json!([
        {"source": "AAA", "destination": "BBB", "date": day(0)},
        {"source": "BBB", "destination": "CCC", "date": day(0)},
        {"source": "CCC", "destination": "DDD", "date": day(2)},
    ]);
    let (status, body) = multi_city(&stack, &token, json!({"slices": slices, "adults": 1, "maxStops": 0})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(itinerary_ids(&body), vec![format!("{ab}_{bc_same_day}_{cd}")], "40 minutes at BBB is too short");
    let trip = &body["itineraries"][0];
    assert_eq!(trip["slices"].as_array().unwrap().len(), 3);
    assert_eq!(trip["price"]["amount"], 310000);
    assert_eq!(body["query"]["slices"][2]["destination"], "DDD");
    assert_eq!(body["query"]["sort"], "best");
    let _ = bc_too_soon;

    for (body, field) in [
        (json!({"slices": [slices[0]]}), "slices"),
        (json!({"slices": [slices[2], slices[0]]}), "slices[1].date"),
        (
            json!({"slices": [slices[0], {"source": "BBB", "destination": "ZZZ", "date": day(1)}]}),
            "slices[1].destination",
        ),
        (json!({"slices": slices, "adults": 2, "infants": 3}), "infants"),
        (json!({"slices": slices, "adults": 5, "children": 5}), "children"),
    ] {
        let (status, problem) = multi_city(&stack, &token, body.clone()).await;
        assert_eq!(status, 400, "{body}: {problem}");
        assert!(problem["detail"].as_str().unwrap().starts_with(field), "{body}: {problem}");
    }
}

#[tokio::test]
async fn bad_round_trips_and_parties_are_400s_naming_the_field() {
    let (stack, net, token) = setup().await;
    let before =
        (chrono::NaiveDate::parse_from_str(&net.date, "%Y-%m-%d").unwrap() - chrono::Duration::days(1)).to_string();
    let base = format!("source=AAA&destination=DDD&date={}", net.date);
    for (extra, field) in [
        (format!("&returnDate={before}"), "returnDate"),
        ("&returnDate=someday".to_string(), "returnDate"),
        ("&adults=5&children=5".to_string(), "children"),
        ("&adults=1&infants=2".to_string(), "infants"),
        ("&adults=10".to_string(), "adults"),
        ("&sort=cheapest-ish".to_string(), "sort"),
    ] {
        let (status, body, _) = search(&stack, &token, &format!("{base}{extra}")).await;
        assert_eq!(status, 400, "{extra}: {body}");
        assert_eq!(body["code"], "INVALID_FIELD", "{extra}: {body}");
        assert!(body["detail"].as_str().unwrap().starts_with(field), "{extra}: {body}");
    }
    let far =
        (chrono::NaiveDate::parse_from_str(&net.date, "%Y-%m-%d").unwrap() + chrono::Duration::days(400)).to_string();
    let (status, body, _) = search(&stack, &token, &format!("{base}&returnDate={far}")).await;
    assert_eq!((status, body["code"].as_str()), (400, Some("DATE_OUT_OF_RANGE")), "{body}");
    assert!(body["detail"].as_str().unwrap().starts_with("returnDate"), "{body}");
}

/// Local minutes after midnight of a local RFC 3339 time.
fn minute_of_day(time: &Value) -> i64 {
    let t = chrono::DateTime::parse_from_rfc3339(time.as_str().unwrap()).unwrap();
    i64::from(chrono::Timelike::hour(&t)) * 60 + i64::from(chrono::Timelike::minute(&t))
}

fn legs_of(offer: &Value) -> Vec<Value> {
    match offer["slices"].as_array() {
        Some(slices) => slices.iter().flat_map(|s| s["legs"].as_array().unwrap().clone()).collect(),
        None => offer["legs"].as_array().unwrap().clone(),
    }
}

fn slices_of(offer: &Value) -> Vec<Value> {
    offer["slices"].as_array().cloned().unwrap_or_else(|| vec![offer.clone()])
}

#[tokio::test]
async fn filters_keep_exactly_the_offers_that_pass_and_facets_describe_them_all() {
    let (stack, net, token) = setup().await;
    net.db.batch_execute("INSERT INTO airlines (code, name) VALUES ('AB', 'Alpha Bravo Air')").await.unwrap();
    let mut n = 0;
    for (from, to) in [("AAA", "DDD"), ("AAA", "BBB"), ("BBB", "DDD"), ("DDD", "AAA"), ("DDD", "CCC"), ("CCC", "AAA")] {
        for k in 0..6i64 {
            n += 1;
            let departs = 4 * 60 + (k * 173 + n * 61) % 1100;
            let fare = 100000 + (k * 7919 + n * 131) % 17 * 5000;
            let id = net.flight(&format!("XY{}", 300 + n), from, to, departs, 45 + (k * 41) % 120, fare).await;
            if (k + n) % 3 == 0 {
                net.db.execute("UPDATE flights SET airline_code = 'AB' WHERE id = $1", &[&id]).await.unwrap();
            }
        }
    }
    let one_way = format!("source=AAA&destination=DDD&date={}&maxStops=1&sort=price&adults=2&infants=1", net.date);
    let round = format!("{one_way}&returnDate={}", net.date);
    let all_one_way = all_pages(&stack, &token, &one_way).await;
    let all_round = all_pages(&stack, &token, &round).await;
    assert!(all_one_way.len() > 10 && all_round.len() > 10, "{} {}", all_one_way.len(), all_round.len());
    let (_, unfiltered, _) = search(&stack, &token, &format!("{one_way}&limit=1")).await;

    type Pass = Box<dyn Fn(&Value) -> bool>;
    let cases: Vec<(&str, String, Pass)> = vec![
        (
            "airlines",
            "airlines=ab".into(),
            Box::new(|o: &Value| legs_of(o).iter().all(|l| l["airline"]["code"] == "AB")),
        ),
        (
            "layovers",
            "maxLayoverMinutes=90".into(),
            Box::new(|o: &Value| {
                slices_of(o).iter().all(|s| {
                    s["layovers"].as_array().unwrap().iter().all(|l| l["durationMinutes"].as_i64().unwrap() <= 90)
                })
            }),
        ),
        (
            "duration",
            "maxDurationMinutes=200".into(),
            Box::new(|o: &Value| slices_of(o).iter().all(|s| s["totalDurationMinutes"].as_i64().unwrap() <= 200)),
        ),
        ("price", "maxPrice=700000".into(), Box::new(|o: &Value| o["price"]["amount"].as_i64().unwrap() <= 700000)),
        (
            "departure window",
            "departureWindow=09:00-15:00".into(),
            Box::new(|o: &Value| (540..900).contains(&minute_of_day(&slices_of(o)[0]["departureTime"]))),
        ),
        (
            "arrival window",
            "arrivalWindow=12:00-24:00".into(),
            Box::new(|o: &Value| minute_of_day(&slices_of(o)[0]["arrivalTime"]) >= 720),
        ),
    ];
    for (what, filter, pass) in &cases {
        let got = all_pages(&stack, &token, &format!("{one_way}&{filter}")).await;
        let expected: Vec<&Value> = all_one_way.iter().filter(|o| pass(o)).collect();
        let ids = |list: Vec<&Value>| list.iter().map(|o| o["id"].as_str().unwrap().to_string()).collect::<Vec<_>>();
        assert_eq!(ids(got.iter().collect()), ids(expected), "one way, {what}");
        let (_, page, _) = search(&stack, &token, &format!("{one_way}&{filter}&limit=1")).await;
        assert_eq!(page["facets"], unfiltered["facets"], "{what}: facets describe the unfiltered result");
    }
    // Round trips: the same filters on both slices, a window on the return.
    let round_price: Pass = Box::new(|o: &Value| o["price"]["amount"].as_i64().unwrap() <= 1_400_000);
    for (what, filter, pass) in
        [("airlines", "airlines=AB", cases[0].2.as_ref()), ("price", "maxPrice=1400000", round_price.as_ref())]
    {
        let got = all_pages(&stack, &token, &format!("{round}&{filter}")).await;
        let expected: Vec<String> =
            all_round.iter().filter(|o| pass(o)).map(|o| o["id"].as_str().unwrap().to_string()).collect();
        let got: Vec<String> = got.iter().map(|o| o["id"].as_str().unwrap().to_string()).collect();
        assert_eq!(got, expected, "round trip, {what}");
    }
    let back_window = all_pages(&stack, &token, &format!("{round}&returnDepartureWindow=18:00-24:00")).await;
    let expected: Vec<&Value> =
        all_round.iter().filter(|o| minute_of_day(&o["slices"][1]["departureTime"]) >= 18 * 60).collect();
    assert_eq!(back_window.len(), expected.len());
    assert!(back_window.iter().zip(expected).all(|(a, b)| a["id"] == b["id"]));

    // The facets, counted over the unfiltered result.
    let facets = &unfiltered["facets"];
    let airlines: Vec<&str> =
        facets["airlines"].as_array().unwrap().iter().map(|a| a["code"].as_str().unwrap()).collect();
    assert!(airlines.contains(&"AB") && airlines.contains(&"XY"), "{facets}");
    for airline in facets["airlines"].as_array().unwrap() {
        let code = airline["code"].as_str().unwrap();
        let with: Vec<&Value> =
            all_one_way.iter().filter(|o| legs_of(o).iter().any(|l| l["airline"]["code"] == code)).collect();
        assert_eq!(airline["count"].as_u64().unwrap() as usize, with.len(), "{code}");
        assert_eq!(airline["cheapest"]["amount"], with[0]["price"]["amount"], "{code}: cheapest first in price order");
    }
    for stops in facets["stops"].as_array().unwrap() {
        let with: Vec<&Value> = all_one_way.iter().filter(|o| o["stops"] == stops["stops"]).collect();
        assert_eq!(stops["count"].as_u64().unwrap() as usize, with.len());
        assert_eq!(stops["cheapest"]["amount"], with[0]["price"]["amount"]);
    }
    assert_eq!(facets["price"]["min"]["amount"], all_one_way[0]["price"]["amount"]);
    assert_eq!(facets["price"]["max"]["amount"], all_one_way[all_one_way.len() - 1]["price"]["amount"]);
    let buckets = facets["departureTimes"][0]["buckets"].as_array().unwrap();
    assert_eq!(buckets.iter().map(|b| b["count"].as_u64().unwrap() as usize).sum::<usize>(), all_one_way.len());
    let morning = all_one_way.iter().filter(|o| (360..720).contains(&minute_of_day(&o["departureTime"]))).count();
    assert_eq!(buckets[1]["count"].as_u64().unwrap() as usize, morning);
}
