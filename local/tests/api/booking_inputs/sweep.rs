//! The sweep itself: every bad input to seats-list, -lock, -release and bookings-create, -get, -cancel, -list.

use super::{flight_at, Auth, Payload, Sweep};
use crate::support::*;
use serde_json::{json, Value};
use shared::domain::ids::{FlightId, UserId};

#[tokio::test]
async fn every_bad_input_to_the_seat_and_booking_routes_is_a_4xx_problem_and_changes_nothing() {
    let base = TestStack::new().await;
    // The sweep asks for more bookings than a customer may in a minute.
    let stack = stack_with(&base, &[("BOOKING_RATE_LIMIT_PER_MINUTE", "100000".into())]);
    let net = Network::new(&stack).await;
    // AAA 06:00 → BBB 07:00.
    let ok = net.flight("XY1", "AAA", "BBB", 6 * 60, 60, 250000).await;
    // Leaves from another airport: does not continue from `ok`.
    let elsewhere = net.flight("XY2", "CCC", "DDD", 9 * 60, 60, 100000).await;
    // Right airport, but leaves before `ok` lands.
    let too_early = net.flight("XY3", "BBB", "DDD", 6 * 60 + 30, 60, 100000).await;
    let cancelled = net.flight("XY4", "AAA", "DDD", 10 * 60, 60, 100000).await;
    net.db
        .execute("UPDATE flights SET status = 'CANCELLED', cancelled_at = now() WHERE id = $1", &[&cancelled])
        .await
        .unwrap();
    let now = chrono::Utc::now();
    // Departed by the clock, not yet marked by the sweep; and marked.
    let departed = flight_at(&net, "XY5", now - chrono::Duration::hours(2), "SCHEDULED").await;
    let marked = flight_at(&net, "XY6", now - chrono::Duration::hours(3), "DEPARTED").await;
    let flights = [ok, elsewhere, too_early, cancelled, departed, marked];

    let (me, token) = customer(&stack, "caller@example.com").await;
    let (other, other_token) = customer(&stack, "other@example.com").await;
    // The other customer has booked 2A and holds 2B on `ok`.
    let (status, theirs) = create_booking(&stack, &other_token, json!({"flightId": ok, "seatNumbers": ["2A"]})).await;
    assert_eq!(status, 201, "{theirs}");
    let their_booking = theirs["id"].as_i64().unwrap();
    let (status, their_hold) = lock(&stack, &other_token, json!({"flightId": ok, "seatNumbers": ["2B"]})).await;
    assert_eq!(status, 200, "{their_hold}");
    let their_hold_id = their_hold["holdId"].as_str().unwrap().to_string();

    let mut s = Sweep { stack: &stack, token: token.clone(), failures: Vec::new(), checked: 0 };
    use Auth::*;
    use Payload::*;
    let bad_request = Some("INVALID_FIELD");
    let bad_json = Some("INVALID_JSON");
    let ten: Vec<String> = (1..=10).map(|r| format!("{r}A")).collect();
    let other_id = other.to_string();
    let me_id = me.to_string();

    // ---- seats-list: GET /api/seats/{flightId}
    for (raw, status, code) in [
        ("abc", 400, bad_request),
        ("0", 400, bad_request),
        ("-1", 400, bad_request),
        ("1.5", 400, bad_request),
        ("99999999999999999999", 400, bad_request),
        ("999999", 404, Some("NOT_FOUND")),
    ] {
        let path = format!("/api/seats/{raw}");
        s.case(
            &format!("flightId {raw}"),
            "seats-list",
            "GET",
            &path,
            &[("flightId", raw)],
            Absent,
            Caller,
            status,
            code,
        )
        .await;
    }
    let path = format!("/api/seats/{ok}");
    let id = ok.to_string();
    s.case(
        "no path parameter",
        "seats-list",
        "GET",
        "/api/seats/",
        &[],
        Absent,
        Caller,
        400,
        Some("MISSING_PARAMETER"),
    )
    .await;
    s.case("no token", "seats-list", "GET", &path, &[("flightId", &id)], Absent, Missing, 401, Some("UNAUTHORIZED"))
        .await;
    s.case(
        "garbage token",
        "seats-list",
        "GET",
        &path,
        &[("flightId", &id)],
        Absent,
        Garbage,
        401,
        Some("UNAUTHORIZED"),
    )
    .await;

    // ---- seats-lock: POST /api/seats/lock
    let lock_cases: Vec<(&str, Payload, u16, Option<&str>)> = vec![
        ("flightId \"abc\"", Json(json!({"flightId": "abc", "seatNumbers": ["1A"]})), 400, bad_request),
        ("flightId 1.5", Json(json!({"flightId": 1.5, "seatNumbers": ["1A"]})), 400, bad_request),
        ("flightId 0", Json(json!({"flightId": 0, "seatNumbers": ["1A"]})), 400, bad_request),
        ("flightId -1", Json(json!({"flightId": -1, "seatNumbers": ["1A"]})), 400, bad_request),
        ("flightId null", Json(json!({"flightId": null, "seatNumbers": ["1A"]})), 400, bad_request),
        ("flightId true", Json(json!({"flightId": true, "seatNumbers": ["1A"]})), 400, bad_request),
        ("flightId huge", Raw(r#"{"flightId": 99999999999999999999, "seatNumbers": ["1A"]}"#), 400, bad_request),
        ("seatNumbers \"1A\"", Json(json!({"flightId": ok, "seatNumbers": "1A"})), 400, bad_request),
        ("seatNumbers [1]", Json(json!({"flightId": ok, "seatNumbers": [1]})), 400, bad_request),
        ("seatNumber 1", Json(json!({"flightId": ok, "seatNumber": 1})), 400, bad_request),
        ("no flightId", Json(json!({"seatNumbers": ["1A"]})), 400, bad_request),
        ("no seats", Json(json!({"flightId": ok})), 400, bad_request),
        ("seatNumbers []", Json(json!({"flightId": ok, "seatNumbers": []})), 400, bad_request),
        ("unknown flight", Json(json!({"flightId": 999999, "seatNumbers": ["1A"]})), 404, Some("NOT_FOUND")),
        ("seat 99Z", Json(json!({"flightId": ok, "seatNumbers": ["99Z"]})), 400, Some("UNKNOWN_SEAT")),
        ("seat 1C", Json(json!({"flightId": ok, "seatNumbers": ["1A", "1C"]})), 400, Some("UNKNOWN_SEAT")),
        ("seat 3A", Json(json!({"flightId": ok, "seatNumber": "3A"})), 400, Some("UNKNOWN_SEAT")),
        ("seat \"A\"", Json(json!({"flightId": ok, "seatNumbers": ["A"]})), 400, bad_request),
        ("seat \"\"", Json(json!({"flightId": ok, "seatNumbers": [""]})), 400, bad_request),
        ("seat \"1A1\"", Json(json!({"flightId": ok, "seatNumbers": ["1A1"]})), 400, bad_request),
        ("seat \"0A\"", Json(json!({"flightId": ok, "seatNumbers": ["0A"]})), 400, bad_request),
        ("duplicate seats", Json(json!({"flightId": ok, "seatNumbers": ["1A", "a1"]})), 400, bad_request),
        ("ten seats", Json(json!({"flightId": ok, "seatNumbers": ten})), 400, bad_request),
        (
            "someone else's userId",
            Json(json!({"flightId": ok, "seatNumber": "1A", "userId": other})),
            403,
            Some("FORBIDDEN"),
        ),
        ("userId \"abc\"", Json(json!({"flightId": ok, "seatNumber": "1A", "userId": "abc"})), 400, bad_request),
        ("JSON array", Raw(r#"[{"flightId": 1, "seatNumber": "1A"}]"#), 400, bad_json),
        ("empty body", Raw(""), 400, bad_json),
        ("whitespace body", Raw("  \n "), 400, bad_json),
        ("broken JSON", Raw(r#"{"flightId": 1,"#), 400, bad_json),
        ("trailing garbage", Raw(r#"{"flightId": 1, "seatNumber": "1A"} x"#), 400, bad_json),
        ("JSON null", Raw("null"), 400, None),
        ("JSON string", Raw(r#""1A""#), 400, None),
        ("text/plain", TextPlain(json!({"flightId": ok, "seatNumber": "1A"})), 415, Some("UNSUPPORTED_MEDIA_TYPE")),
        (
            "cancelled flight",
            Json(json!({"flightId": cancelled, "seatNumber": "1A"})),
            409,
            Some("FLIGHT_NOT_BOOKABLE"),
        ),
        ("departed flight", Json(json!({"flightId": departed, "seatNumber": "1A"})), 409, Some("FLIGHT_NOT_BOOKABLE")),
        (
            "flight marked departed",
            Json(json!({"flightId": marked, "seatNumber": "1A"})),
            409,
            Some("FLIGHT_NOT_BOOKABLE"),
        ),
        (
            "a seat someone holds",
            Json(json!({"flightId": ok, "seatNumbers": ["1A", "2B"]})),
            409,
            Some("SEAT_UNAVAILABLE"),
        ),
        (
            "a seat someone booked",
            Json(json!({"flightId": ok, "seatNumbers": ["1B", "2A"]})),
            409,
            Some("SEAT_UNAVAILABLE"),
        ),
    ];
    for (name, payload, status, code) in lock_cases {
        s.case(name, "seats-lock", "POST", "/api/seats/lock", &[], payload, Caller, status, code).await;
    }
    let fine = json!({"flightId": ok, "seatNumber": "1A"});
    s.case(
        "no token",
        "seats-lock",
        "POST",
        "/api/seats/lock",
        &[],
        Json(fine.clone()),
        Missing,
        401,
        Some("UNAUTHORIZED"),
    )
    .await;
    s.case(
        "garbage token",
        "seats-lock",
        "POST",
        "/api/seats/lock",
        &[],
        Json(fine.clone()),
        Garbage,
        401,
        Some("UNAUTHORIZED"),
    )
    .await;

    // ---- seats-release: POST /api/seats/release
    let release_cases: Vec<(&str, Payload, u16, Option<&str>)> = vec![
        ("empty object", Json(json!({})), 400, bad_request),
        ("flightId only", Json(json!({"flightId": ok})), 400, bad_request),
        ("seatNumbers []", Json(json!({"flightId": ok, "seatNumbers": []})), 400, bad_request),
        ("seats without flightId", Json(json!({"seatNumbers": ["1A"]})), 400, bad_request),
        ("flightId \"abc\"", Json(json!({"flightId": "abc", "seatNumbers": ["1A"]})), 400, bad_request),
        ("flightId 1.5", Json(json!({"flightId": 1.5, "seatNumbers": ["1A"]})), 400, bad_request),
        ("seatNumbers \"1A\"", Json(json!({"flightId": ok, "seatNumbers": "1A"})), 400, bad_request),
        ("holdId 123", Json(json!({"holdId": 123})), 400, bad_request),
        ("ten seats", Json(json!({"flightId": ok, "seatNumbers": ten})), 400, bad_request),
        ("seat \"A\"", Json(json!({"flightId": ok, "seatNumbers": ["A"]})), 400, bad_request),
        ("duplicate seats", Json(json!({"flightId": ok, "seatNumbers": ["1A", "A1"]})), 400, bad_request),
        ("seat 99Z", Json(json!({"flightId": ok, "seatNumbers": ["99Z"]})), 400, Some("UNKNOWN_SEAT")),
        ("unknown flight", Json(json!({"flightId": 999999, "seatNumbers": ["1A"]})), 404, Some("NOT_FOUND")),
        ("a seat not held", Json(json!({"flightId": ok, "seatNumbers": ["1A"]})), 409, Some("SEAT_NOT_HELD")),
        ("a seat someone else holds", Json(json!({"flightId": ok, "seatNumber": "2B"})), 409, Some("SEAT_NOT_HELD")),
        ("a seat someone booked", Json(json!({"flightId": ok, "seatNumbers": ["2A"]})), 409, Some("SEAT_NOT_HELD")),
        ("someone else's holdId", Json(json!({"holdId": their_hold_id})), 404, Some("NOT_FOUND")),
        ("holdId \"abc\"", Json(json!({"holdId": "abc"})), 404, Some("NOT_FOUND")),
        ("holdId \"\"", Json(json!({"holdId": ""})), 404, Some("NOT_FOUND")),
        ("unknown holdId", Json(json!({"holdId": format!("{ok}-0123456789abcdef")})), 404, Some("NOT_FOUND")),
        ("holdId of an unknown flight", Json(json!({"holdId": "999999-0123456789abcdef"})), 404, Some("NOT_FOUND")),
        (
            "someone else's userId",
            Json(json!({"flightId": ok, "seatNumbers": ["2B"], "userId": other})),
            403,
            Some("FORBIDDEN"),
        ),
        ("JSON array", Raw(r#"[{"holdId": "x"}]"#), 400, bad_json),
        ("empty body", Raw(""), 400, bad_json),
        ("broken JSON", Raw("{"), 400, bad_json),
        ("text/plain", TextPlain(json!({"holdId": their_hold_id})), 415, Some("UNSUPPORTED_MEDIA_TYPE")),
    ];
    for (name, payload, status, code) in release_cases {
        s.case(name, "seats-release", "POST", "/api/seats/release", &[], payload, Caller, status, code).await;
    }
    let release = json!({"holdId": their_hold_id});
    s.case(
        "no token",
        "seats-release",
        "POST",
        "/api/seats/release",
        &[],
        Json(release.clone()),
        Missing,
        401,
        Some("UNAUTHORIZED"),
    )
    .await;
    s.case(
        "garbage token",
        "seats-release",
        "POST",
        "/api/seats/release",
        &[],
        Json(release),
        Garbage,
        401,
        Some("UNAUTHORIZED"),
    )
    .await;

    // ---- bookings-create: POST /api/bookings/create (and POST /api/bookings)
    let leg = |flight: i64, seats: Value| json!({"flightId": flight, "seatNumbers": seats});
    let create_cases: Vec<(&str, Payload, u16, Option<&str>)> = vec![
        ("flightId \"abc\"", Json(json!({"flightId": "abc", "seats": 1})), 400, bad_request),
        ("flightId 1.5", Json(json!({"flightId": 1.5, "seats": 1})), 400, bad_request),
        ("flightId 0", Json(json!({"flightId": 0, "seats": 1})), 400, bad_request),
        ("flightId -1", Json(json!({"flightId": -1, "seats": 1})), 400, bad_request),
        ("seatNumbers \"1A\"", Json(json!({"flightId": ok, "seatNumbers": "1A"})), 400, bad_request),
        ("seats -1", Json(json!({"flightId": ok, "seats": -1})), 400, bad_request),
        ("seats 0", Json(json!({"flightId": ok, "seats": 0})), 400, bad_request),
        ("seats 10", Json(json!({"flightId": ok, "seats": 10})), 400, bad_request),
        ("seats 256", Json(json!({"flightId": ok, "seats": 256})), 400, bad_request),
        ("seats 1e9", Raw(r#"{"flightId": 1, "seats": 1e9}"#), 400, bad_request),
        ("seats 1.5", Json(json!({"flightId": ok, "seats": 1.5})), 400, bad_request),
        ("seats \"two\"", Json(json!({"flightId": ok, "seats": "two"})), 400, bad_request),
        ("seats true", Json(json!({"flightId": ok, "seats": true})), 400, bad_request),
        ("seats [\"A\"]", Json(json!({"flightId": ok, "seats": ["A"]})), 400, bad_request),
        ("price \"cheap\"", Json(json!({"flightId": ok, "seats": 1, "price": "cheap"})), 400, bad_request),
        ("price -5", Json(json!({"flightId": ok, "seats": 1, "price": -5})), 400, bad_request),
        ("price 1e13", Raw(r#"{"flightId": 1, "seats": 1, "price": 1e13}"#), 400, bad_request),
        (
            "price {amount: \"x\"}",
            Json(json!({"flightId": ok, "seats": 1, "price": {"amount": "x"}})),
            400,
            bad_request,
        ),
        ("price {}", Json(json!({"flightId": ok, "seats": 1, "price": {}})), 400, bad_request),
        ("empty object", Json(json!({})), 400, bad_request),
        ("no flightId", Json(json!({"seats": 1, "price": 2500})), 400, bad_request),
        ("no seats", Json(json!({"flightId": ok})), 400, bad_request),
        ("legs []", Json(json!({"legs": []})), 400, bad_request),
        ("legs [{}]", Json(json!({"legs": [{}]})), 400, bad_request),
        ("legs \"x\"", Json(json!({"legs": "x"})), 400, bad_request),
        ("leg flightId \"abc\"", Json(json!({"legs": [{"flightId": "abc", "seatNumbers": ["1A"]}]})), 400, bad_request),
        ("legs and flightId", Json(json!({"flightId": ok, "legs": [leg(ok, json!(["1A"]))]})), 400, bad_request),
        ("a flight twice", Json(json!({"legs": [leg(ok, json!(["1A"])), leg(ok, json!(["1B"]))]})), 400, bad_request),
        (
            "four legs",
            Json(
                json!({"legs": [leg(ok, json!([])), leg(elsewhere, json!([])), leg(too_early, json!([])), leg(departed, json!([]))], "seats": 1}),
            ),
            400,
            bad_request,
        ),
        (
            "legs of different sizes",
            Json(json!({"legs": [leg(ok, json!(["1A"])), leg(elsewhere, json!(["1A", "1B"]))]})),
            400,
            bad_request,
        ),
        ("passengers []", Json(json!({"flightId": ok, "passengers": []})), 400, bad_request),
        ("passenger without a name", Json(json!({"flightId": ok, "passengers": [{}]})), 400, bad_request),
        ("passenger name \"\"", Json(json!({"flightId": ok, "passengers": [{"name": "  "}]})), 400, bad_request),
        ("passenger name 1", Json(json!({"flightId": ok, "passengers": [{"name": 1}]})), 400, bad_request),
        ("passengers \"Bob\"", Json(json!({"flightId": ok, "passengers": "Bob"})), 400, bad_request),
        (
            "ten passengers",
            Json(
                json!({"flightId": ok, "passengers": (0..10).map(|i| json!({"name": format!("P{i}")})).collect::<Vec<_>>()}),
            ),
            400,
            bad_request,
        ),
        (
            "two passengers, one seat",
            Json(json!({"flightId": ok, "seatNumbers": ["1A"], "passengers": [{"name": "A"}, {"name": "B"}]})),
            400,
            bad_request,
        ),
        (
            "count and seat list disagree",
            Json(json!({"flightId": ok, "seats": 2, "seatNumbers": ["1A"]})),
            400,
            bad_request,
        ),
        ("cabin \"LUXURY\"", Json(json!({"flightId": ok, "seats": 1, "cabin": "LUXURY"})), 400, bad_request),
        ("cabin 5", Json(json!({"flightId": ok, "seats": 1, "cabin": 5})), 400, bad_request),
        ("unknown flight", Json(json!({"flightId": 999999, "seats": 1})), 404, Some("NOT_FOUND")),
        (
            "unknown flight in legs",
            Json(json!({"legs": [leg(ok, json!(["1A"])), leg(999999, json!(["1A"]))]})),
            404,
            Some("NOT_FOUND"),
        ),
        ("seat 99Z", Json(json!({"flightId": ok, "seatNumbers": ["99Z"]})), 400, Some("UNKNOWN_SEAT")),
        ("seat 99Z in legs", Json(json!({"legs": [leg(ok, json!(["99Z"]))]})), 400, Some("UNKNOWN_SEAT")),
        ("seat \"A\"", Json(json!({"flightId": ok, "seatNumbers": ["A"]})), 400, bad_request),
        ("duplicate seats", Json(json!({"flightId": ok, "seatNumbers": ["1A", "a1"]})), 400, bad_request),
        ("ten seats", Json(json!({"flightId": ok, "seatNumbers": ten})), 400, bad_request),
        (
            "someone else's userId",
            Json(json!({"userId": other, "flightId": ok, "seats": 1, "price": 2500})),
            403,
            Some("FORBIDDEN"),
        ),
        ("userId \"abc\"", Json(json!({"userId": "abc", "flightId": ok, "seats": 1})), 400, bad_request),
        ("cancelled flight", Json(json!({"flightId": cancelled, "seats": 1})), 409, Some("FLIGHT_NOT_BOOKABLE")),
        (
            "departed flight",
            Json(json!({"flightId": departed, "seatNumbers": ["1A"]})),
            409,
            Some("FLIGHT_NOT_BOOKABLE"),
        ),
        ("flight marked departed", Json(json!({"flightId": marked, "seats": 1})), 409, Some("FLIGHT_NOT_BOOKABLE")),
        (
            "cancelled second leg",
            Json(json!({"legs": [leg(ok, json!(["1A"])), leg(cancelled, json!(["1A"]))]})),
            409,
            Some("FLIGHT_NOT_BOOKABLE"),
        ),
        (
            "legs from another airport",
            Json(json!({"legs": [leg(ok, json!(["1A"])), leg(elsewhere, json!(["1A"]))]})),
            422,
            Some("LEGS_DO_NOT_CONNECT"),
        ),
        (
            "a leg that leaves before landing",
            Json(json!({"legs": [leg(ok, json!(["1A"])), leg(too_early, json!(["1A"]))]})),
            422,
            Some("LEGS_DO_NOT_CONNECT"),
        ),
        (
            "legs in reverse order",
            Json(json!({"legs": [leg(too_early, json!(["1A"])), leg(ok, json!(["1A"]))]})),
            422,
            Some("LEGS_DO_NOT_CONNECT"),
        ),
        (
            "a seat someone booked",
            Json(json!({"flightId": ok, "seatNumbers": ["1A", "2A"]})),
            409,
            Some("SEAT_UNAVAILABLE"),
        ),
        ("a seat someone holds", Json(json!({"legs": [leg(ok, json!(["1B", "2B"]))]})), 409, Some("SEAT_UNAVAILABLE")),
        ("more seats than are free", Json(json!({"flightId": ok, "seats": 3})), 409, Some("NOT_ENOUGH_SEATS")),
        ("a stale price", Json(json!({"flightId": ok, "seats": 1, "price": 1})), 409, Some("PRICE_CHANGED")),
        (
            "a stale amount",
            Json(json!({"flightId": ok, "seats": 1, "price": {"amount": 4}})),
            409,
            Some("PRICE_CHANGED"),
        ),
        (
            "a negative amount",
            Json(json!({"flightId": ok, "seats": 1, "price": {"amount": -5}})),
            400,
            Some("INVALID_FIELD"),
        ),
        ("JSON array", Raw(r#"[{"flightId": 1, "seats": 1}]"#), 400, bad_json),
        ("empty body", Raw(""), 400, bad_json),
        ("broken JSON", Raw(r#"{"cabin": "ECONOMY""#), 400, bad_json),
        ("JSON cut inside an id", Raw(r#"{"flightId": "#), 400, bad_json),
        ("JSON number", Raw("1"), 400, None),
        ("text/plain", TextPlain(json!({"flightId": ok, "seats": 1})), 415, Some("UNSUPPORTED_MEDIA_TYPE")),
    ];
    for (name, payload, status, code) in create_cases {
        let payload_again = match &payload {
            Json(v) => Json(v.clone()),
            Raw(r) => Raw(r),
            TextPlain(v) => TextPlain(v.clone()),
            Absent => Absent,
        };
        s.case(name, "bookings-create", "POST", "/api/bookings/create", &[], payload, Caller, status, code).await;
        // The REST alias answers the same.
        s.case(
            &format!("{name} (POST /api/bookings)"),
            "bookings-create",
            "POST",
            "/api/bookings",
            &[],
            payload_again,
            Caller,
            status,
            code,
        )
        .await;
    }
    let booking = json!({"flightId": ok, "seats": 1});
    s.case(
        "no token",
        "bookings-create",
        "POST",
        "/api/bookings/create",
        &[],
        Json(booking.clone()),
        Missing,
        401,
        Some("UNAUTHORIZED"),
    )
    .await;
    s.case(
        "garbage token",
        "bookings-create",
        "POST",
        "/api/bookings/create",
        &[],
        Json(booking),
        Garbage,
        401,
        Some("UNAUTHORIZED"),
    )
    .await;

    // ---- bookings-get and bookings-cancel: the bookingId path parameter
    let theirs_id = their_booking.to_string();
    let bad_ids: Vec<(&str, u16, Option<&str>)> = vec![
        ("0", 400, bad_request),
        ("-1", 400, bad_request),
        ("abc", 400, bad_request),
        ("1.5", 400, bad_request),
        ("1e3", 400, bad_request),
        ("99999999999999999999", 400, bad_request),
        ("9223372036854775807", 404, Some("NOT_FOUND")),
        (theirs_id.as_str(), 404, Some("NOT_FOUND")),
    ];
    for (raw, status, code) in &bad_ids {
        let get = format!("/api/bookings/{raw}");
        s.case(
            &format!("bookingId {raw}"),
            "bookings-get",
            "GET",
            &get,
            &[("bookingId", raw)],
            Absent,
            Caller,
            *status,
            *code,
        )
        .await;
        let with_me = format!("/api/bookings/{raw}/{me_id}");
        s.case(
            &format!("bookingId {raw} with my userId"),
            "bookings-get",
            "GET",
            &with_me,
            &[("bookingId", raw), ("userId", &me_id)],
            Absent,
            Caller,
            *status,
            *code,
        )
        .await;
        let cancel = format!("/api/bookings/{raw}/cancel");
        s.case(
            &format!("bookingId {raw}"),
            "bookings-cancel",
            "POST",
            &cancel,
            &[("bookingId", raw)],
            Absent,
            Caller,
            *status,
            *code,
        )
        .await;
    }
    // The path's userId must be the caller, and be an id.
    let path = format!("/api/bookings/{theirs_id}/{other_id}");
    s.case(
        "someone else's userId in the path",
        "bookings-get",
        "GET",
        &path,
        &[("bookingId", &theirs_id), ("userId", &other_id)],
        Absent,
        Caller,
        403,
        Some("FORBIDDEN"),
    )
    .await;
    for raw in ["abc", "0", "-1"] {
        let path = format!("/api/bookings/{theirs_id}/{raw}");
        s.case(
            &format!("userId {raw} in the path"),
            "bookings-get",
            "GET",
            &path,
            &[("bookingId", &theirs_id), ("userId", raw)],
            Absent,
            Caller,
            400,
            bad_request,
        )
        .await;
    }
    s.case(
        "no path parameter",
        "bookings-get",
        "GET",
        "/api/bookings/",
        &[],
        Absent,
        Caller,
        400,
        Some("MISSING_PARAMETER"),
    )
    .await;
    s.case(
        "no path parameter",
        "bookings-cancel",
        "POST",
        "/api/bookings//cancel",
        &[],
        Absent,
        Caller,
        400,
        Some("MISSING_PARAMETER"),
    )
    .await;
    let path = format!("/api/bookings/{theirs_id}");
    s.case(
        "no token",
        "bookings-get",
        "GET",
        &path,
        &[("bookingId", &theirs_id)],
        Absent,
        Missing,
        401,
        Some("UNAUTHORIZED"),
    )
    .await;
    s.case(
        "garbage token",
        "bookings-get",
        "GET",
        &path,
        &[("bookingId", &theirs_id)],
        Absent,
        Garbage,
        401,
        Some("UNAUTHORIZED"),
    )
    .await;
    let path = format!("/api/bookings/{theirs_id}/cancel");
    s.case(
        "no token",
        "bookings-cancel",
        "POST",
        &path,
        &[("bookingId", &theirs_id)],
        Absent,
        Missing,
        401,
        Some("UNAUTHORIZED"),
    )
    .await;
    s.case(
        "garbage token",
        "bookings-cancel",
        "POST",
        &path,
        &[("bookingId", &theirs_id)],
        Absent,
        Garbage,
        401,
        Some("UNAUTHORIZED"),
    )
    .await;

    // ---- bookings-list: GET /api/bookings
    use base64::Engine;
    let b64 = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
    let not_a_cursor = b64("x:1");
    let not_a_number = b64("b:abc");
    for (query, status, code) in [
        ("limit=0", 400, bad_request),
        ("limit=101", 400, bad_request),
        ("limit=-1", 400, bad_request),
        ("limit=abc", 400, bad_request),
        ("limit=1.5", 400, bad_request),
        ("cursor=!!!", 400, Some("INVALID_CURSOR")),
        (&format!("cursor={not_a_cursor}"), 400, Some("INVALID_CURSOR")),
        (&format!("cursor={not_a_number}"), 400, Some("INVALID_CURSOR")),
    ] {
        let path = format!("/api/bookings?{query}");
        s.case(query, "bookings-list", "GET", &path, &[], Absent, Caller, status, code).await;
    }
    s.case("no token", "bookings-list", "GET", "/api/bookings", &[], Absent, Missing, 401, Some("UNAUTHORIZED")).await;
    s.case("garbage token", "bookings-list", "GET", "/api/bookings", &[], Absent, Garbage, 401, Some("UNAUTHORIZED"))
        .await;

    let (checked, failures) = (s.checked, std::mem::take(&mut s.failures));

    // ---- Nothing was left behind.
    let db = stack.db().await;
    let bookings = db.query("SELECT id, user_id, status FROM bookings", &[]).await.unwrap();
    let bookings: Vec<(i64, i64, String)> = bookings.iter().map(|r| (r.get(0), r.get(1), r.get(2))).collect();
    assert_eq!(
        bookings,
        vec![(their_booking, other, "PENDING_PAYMENT".to_string())],
        "only the other customer's booking exists, still pending"
    );
    let seats = db
        .query("SELECT flight_id, seat, live FROM booking_seats", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get::<_, i64>(0), r.get::<_, String>(1), r.get::<_, bool>(2)))
        .collect::<Vec<_>>();
    assert_eq!(seats, vec![(ok, "2A".to_string(), true)]);
    for flight in flights {
        let sold: i32 =
            db.query_one("SELECT seats_sold FROM flight_fares WHERE flight_id = $1", &[&flight]).await.unwrap().get(0);
        assert_eq!(sold, i32::from(flight == ok), "seats_sold of flight {flight}");
        let all: Vec<String> = ["1A", "1B", "2A", "2B"].map(String::from).to_vec();
        let holders = stack.services.seat_holds().holders(flight, &all).await.unwrap();
        let expected = if flight == ok { vec![None, None, None, Some(other)] } else { vec![None; 4] };
        assert_eq!(holders, expected, "holders on flight {flight}");
        let (mine, _) = stack.services.seat_holds().held_by(FlightId(flight), UserId(me)).await.unwrap();
        assert!(mine.is_empty(), "the caller holds {mine:?} on flight {flight}");
    }
    // The other customer's hold survived the attempts to release it.
    let record = stack.services.seat_holds().hold_record(ok, &their_hold_id).await.unwrap();
    assert_eq!(record, Some((other, vec!["2B".to_string()])));
    let (_, map) = seat_map(&stack, &token, ok).await;
    assert_eq!(map["availableSeats"], json!(["1A", "1B"]), "{map}");

    assert!(
        failures.is_empty(),
        "{} of {checked} bad inputs were not answered as expected:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
