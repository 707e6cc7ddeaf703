//! Redis's copy of the sold seats: the orders of writes that could make it wrong, played out against the real Redis.

use super::{assert_ledger_consistent, assert_redis_agrees, book_on, customers, flight_on, lock_on, send, state_of};
use crate::support::*;
use serde_json::json;
use shared::auth::tokens::Role;
use shared::domain::ids::{BookingId, FlightId, UserId};
use std::collections::BTreeMap;

#[tokio::test]
async fn a_release_arriving_late_never_unsells_a_newer_booking() {
    let stack = TestStack::new().await;
    let holds = stack.services.seat_holds();
    let flight = 424_242;
    let state = holds.state(flight).await.unwrap();
    assert!(holds.fill_sold(flight, &state.version, "SCHEDULED", &[("1A".into(), 7)]).await.unwrap());
    // Booking 7 expires; before its release reaches Redis, booking 8 buys
    // the seat and marks it. The late release of 7 must leave 8's mark.
    holds.mark_sold(FlightId(flight), UserId(2), BookingId(8), &["1A".into()]).await.unwrap();
    holds.mark_unsold(flight, &[("1A".into(), 7)]).await.unwrap();
    assert_eq!(holds.state(flight).await.unwrap().sold.get("1A"), Some(&8));
    holds.mark_unsold(flight, &[("1A".into(), 8)]).await.unwrap();
    assert_eq!(holds.state(flight).await.unwrap().sold.get("1A"), None);
}

#[tokio::test]
async fn a_copy_read_before_a_sale_is_never_stored() {
    let stack = TestStack::new().await;
    let holds = stack.services.seat_holds();
    let flight = 434_343;
    let before = holds.state(flight).await.unwrap();
    assert!(before.status.is_none(), "nothing loaded yet");
    // A sale commits (and tells Redis) while the loader still reads Postgres.
    holds.mark_sold(FlightId(flight), UserId(1), BookingId(9), &["2B".into()]).await.unwrap();
    assert!(!holds.fill_sold(flight, &before.version, "SCHEDULED", &[]).await.unwrap(), "stale copy stored");
    assert!(holds.state(flight).await.unwrap().status.is_none());
    let now = holds.state(flight).await.unwrap();
    assert!(holds.fill_sold(flight, &now.version, "SCHEDULED", &[("2B".into(), 9)]).await.unwrap());
    assert_eq!(holds.state(flight).await.unwrap().sold.get("2B"), Some(&9));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_seat_sold_behind_redis_back_is_refused_by_postgres_and_redis_heals() {
    let stack = TestStack::new().await;
    let net = Network::new(&stack).await;
    let flight = flight_on(&net, "XY14", "T13", 2, "AB", 100000).await;
    let users = customers(&stack, 2).await;
    let ((_, token_a), (_, token_b)) = (&users[0], &users[1]);
    let first = book_on(&stack.services, token_a, json!({"flightId": flight, "seatNumbers": ["1A"]})).await;
    assert_eq!(first.status, 201, "{first:?}");
    let booking = first.body["id"].as_i64().unwrap();
    // The write telling Redis was lost (a crash between commit and Redis).
    stack.services.seat_holds().mark_unsold(flight, &[("1A".into(), booking)]).await.unwrap();
    let (_, map) = seat_map(&stack, token_b, flight).await;
    assert_eq!(state_of(&map, "1A")["state"], "available", "Redis believes the seat free");

    // Redis lets B hold it; Postgres refuses to sell it a second time.
    let held = lock_on(&stack.services, token_b, json!({"flightId": flight, "seatNumbers": ["1A"]})).await;
    assert_eq!(held.status, 200, "{held:?}");
    let refused = book_on(&stack.services, token_b, json!({"flightId": flight, "seatNumbers": ["1A"]})).await;
    refused.assert_problem(409, &["SEAT_UNAVAILABLE"]);
    let live = assert_ledger_consistent(&stack, flight).await;
    assert_eq!(live, BTreeMap::from([("1A".to_string(), booking)]));

    // The refusal dropped Redis's copy: it is read again from Postgres.
    let (_, map) = seat_map(&stack, token_b, flight).await;
    assert_eq!(state_of(&map, "1A")["state"], "booked");
    assert_redis_agrees(&stack, flight, &live).await;
    let again = lock_on(&stack.services, token_b, json!({"flightId": flight, "seatNumbers": ["1A"]})).await;
    again.assert_problem(409, &["SEAT_UNAVAILABLE"]);
}

#[tokio::test]
async fn a_cancelled_flight_refuses_holds_at_once_though_its_seats_were_in_redis() {
    let stack = TestStack::new().await;
    let net = Network::new(&stack).await;
    let flight = flight_on(&net, "XY15", "T14", 2, "AB", 100000).await;
    let users = customers(&stack, 1).await;
    let token = &users[0].1;
    let held = lock_on(&stack.services, token, json!({"flightId": flight, "seatNumbers": ["1A"]})).await;
    assert_eq!(held.status, 200, "{held:?}");
    let db = stack.db().await;
    let admin: i64 = db
        .query_one(
            "INSERT INTO users (id, name, email, password_hash, role)
             VALUES (nextval('admin_user_ids'), 'Ops', 'ops@example.com', '$argon2id$x', 'admin') RETURNING id",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    let admin_token = stack.services.tokens.issue(admin, Role::Admin).unwrap().token;
    let path = format!("/api/admin/flights/{flight}/cancel");
    let id = flight.to_string();
    let cancelled =
        send(&stack.services, "flights-cancel", "POST", &path, &[("flightId", &id)], None, &admin_token).await;
    assert_eq!(cancelled.status, 200, "{cancelled:?}");
    let refused = lock_on(&stack.services, token, json!({"flightId": flight, "seatNumbers": ["1B"]})).await;
    refused.assert_problem(409, &["FLIGHT_NOT_BOOKABLE"]);
    assert_eq!(refused.body["flightStatus"], "CANCELLED");
    let (_, map) = seat_map(&stack, token, flight).await;
    assert_eq!(map["status"], "CANCELLED");
    assert_eq!(map["sellable"], false);
    assert_eq!(map["availableSeats"], json!([]));
}
