//! A JSON body cut off anywhere, even inside an id, is `400 INVALID_JSON`.

use crate::support::*;

/// A body cut off anywhere is `400 INVALID_JSON`. Regression test: before
/// 6b5265c a body cut inside an id (`{"flightId": `) was `400 INVALID_FIELD
/// "flightId: expected a positive integer id"`, because `impl Deserialize for
/// Id` (shared/src/http/body.rs) replaced the parser's EOF error with a data
/// error. Bodies cut inside other fields were already right.
#[tokio::test]
async fn truncated_json_is_invalid_json_wherever_it_ends() {
    let stack = TestStack::new().await;
    let (_, token) = customer(&stack, "cut@example.com").await;
    let mut wrong = Vec::new();
    for (function, path, body) in [
        ("seats-lock", "/api/seats/lock", r#"{"flightId": "#),
        ("seats-lock", "/api/seats/lock", r#"{"seatNumbers": ["1A"], "flightId": 1"#),
        ("seats-release", "/api/seats/release", r#"{"flightId": "#),
        ("bookings-create", "/api/bookings/create", r#"{"flightId": "#),
        ("bookings-create", "/api/bookings/create", r#"{"flightId": 1, "seats": "#),
        ("bookings-create", "/api/bookings/create", r#"{"flightId": 1, "seats": 1, "price": "#),
    ] {
        let handler = local_stack::registry::http_handler(function).unwrap();
        let req = request_with("POST", path, Some(body.to_string()), Some(&token), &[], &[]);
        let response = handler(&stack.services, req).await.unwrap();
        let doc = body_json(&response);
        assert_eq!(response.status(), 400, "{function} {body}: {doc}");
        if doc["code"] != "INVALID_JSON" {
            wrong.push(format!("{function} {body:?} → {} {}", doc["code"], doc["detail"]));
        }
    }
    assert!(wrong.is_empty(), "truncated bodies not reported as INVALID_JSON:\n{}", wrong.join("\n"));
}
