//! Racing seat holds: one winner per seat, expired holds, one user against themselves, and the nine-seat cap.

use super::{
    assert_ledger_consistent, book_on, customers, flight_on, lock_on, race, release_on, services_with, state_of, Reply,
};
use crate::support::*;
use serde_json::json;
use shared::domain::ids::{FlightId, UserId};
use shared::Services;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_clients_locking_one_seat_get_exactly_one_hold() {
    let stack = TestStack::new().await;
    let net = Network::new(&stack).await;
    let flight = net.flight("XY1", "AAA", "DDD", 6 * 60, 120, 250000).await;
    let users = customers(&stack, 200).await;
    let ids: BTreeSet<i64> = users.iter().map(|(id, _)| *id).collect();
    assert_eq!(ids.len(), 200, "200 distinct users");

    let started = Instant::now();
    let jobs: Vec<_> = users
        .iter()
        .map(|(_, token)| {
            let token = token.clone();
            move |svc: Arc<Services>| async move {
                lock_on(&svc, &token, json!({"flightId": flight, "seatNumbers": ["1A"]})).await
            }
        })
        .collect();
    let replies = race(&stack.services, jobs).await;
    let elapsed = started.elapsed();

    let winners: Vec<(usize, &Reply)> = replies.iter().enumerate().filter(|(_, r)| r.status == 200).collect();
    let statuses: BTreeMap<u16, usize> = replies.iter().fold(BTreeMap::new(), |mut m, r| {
        *m.entry(r.status).or_default() += 1;
        m
    });
    assert_eq!(winners.len(), 1, "exactly one lock wins ({statuses:?} in {elapsed:?})");
    for reply in replies.iter().filter(|r| r.status != 200) {
        reply.assert_problem(409, &["SEAT_UNAVAILABLE"]);
        assert_eq!(reply.body["seatNumbers"], json!(["1A"]), "{reply:?}");
        assert_eq!(reply.body["flightId"], flight, "{reply:?}");
    }
    let (index, won) = winners[0];
    let (winner, winner_token) = &users[index];
    assert_eq!(won.body["userId"], *winner);
    assert_eq!(won.body["seatNumbers"], json!(["1A"]));
    assert_eq!(won.body["status"], "HELD");

    // Redis and the seat map agree: held by the winner, nothing else held.
    let holders = stack
        .services
        .seat_holds()
        .holders(flight, &["1A".into(), "1B".into(), "2A".into(), "2B".into()])
        .await
        .unwrap();
    assert_eq!(holders, vec![Some(*winner), None, None, None]);
    let (_, mine) = seat_map(&stack, winner_token, flight).await;
    assert_eq!(state_of(&mine, "1A")["state"], "held");
    assert_eq!(state_of(&mine, "1A")["heldByYou"], true);
    assert_eq!(mine["availableSeats"], json!(["1B", "2A", "2B"]));
    let loser = &users[(index + 1) % users.len()].1;
    let (_, theirs) = seat_map(&stack, loser, flight).await;
    assert_eq!(state_of(&theirs, "1A")["state"], "held");
    assert_eq!(state_of(&theirs, "1A")["heldByYou"], false);

    // The winner's hold id is the one that releases it.
    let released = release_on(&stack.services, winner_token, json!({"holdId": won.body["holdId"]})).await;
    assert_eq!(released.status, 200, "{released:?}");
    assert_eq!(released.body["releasedSeatNumbers"], json!(["1A"]));
    assert_eq!(stack.services.seat_holds().holders(flight, &["1A".into()]).await.unwrap(), vec![None]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_hold_lets_the_next_user_take_the_seat() {
    let stack = TestStack::new().await;
    let net = Network::new(&stack).await;
    let flight = net.flight("XY5", "AAA", "DDD", 6 * 60, 120, 250000).await;
    let users = customers(&stack, 2).await;
    let ((a, token_a), (b, token_b)) = (&users[0], &users[1]);
    let svc = services_with(&stack, &[("SEAT_HOLD_TTL_SECONDS", "1")]);

    let held = lock_on(&svc, token_a, json!({"flightId": flight, "seatNumbers": ["1A"]})).await;
    assert_eq!(held.status, 200, "{held:?}");
    let expires: chrono::DateTime<chrono::Utc> = held.body["expiresAt"].as_str().unwrap().parse().unwrap();
    let left = expires - chrono::Utc::now();
    assert!(left <= chrono::Duration::seconds(1) && left > chrono::Duration::zero(), "{left}");

    let refused = lock_on(&svc, token_b, json!({"flightId": flight, "seatNumbers": ["1A"]})).await;
    refused.assert_problem(409, &["SEAT_UNAVAILABLE"]);
    assert_eq!(svc.seat_holds().holders(flight, &["1A".into()]).await.unwrap(), vec![Some(*a)]);

    tokio::time::sleep(Duration::from_millis(1200)).await;
    let taken = lock_on(&svc, token_b, json!({"flightId": flight, "seatNumbers": ["1A"]})).await;
    assert_eq!(taken.status, 200, "{taken:?}");
    assert_eq!(svc.seat_holds().holders(flight, &["1A".into()]).await.unwrap(), vec![Some(*b)]);
    let (_, map) = seat_map(&stack, token_a, flight).await;
    assert_eq!(state_of(&map, "1A")["state"], "held");
    assert_eq!(state_of(&map, "1A")["heldByYou"], false, "A's hold is gone");
    // A's expired hold id no longer exists, and cannot release B's seat.
    let gone = release_on(&svc, token_a, json!({"holdId": held.body["holdId"]})).await;
    gone.assert_problem(404, &["NOT_FOUND"]);
    let not_mine = release_on(&svc, token_a, json!({"flightId": flight, "seatNumbers": ["1A"]})).await;
    not_mine.assert_problem(409, &["SEAT_NOT_HELD"]);
    assert_eq!(svc.seat_holds().holders(flight, &["1A".into()]).await.unwrap(), vec![Some(*b)]);
    // A booking by A after expiry cannot take it either; B's booking can.
    let late = book_on(&svc, token_a, json!({"flightId": flight, "seatNumbers": ["1A"]})).await;
    late.assert_problem(409, &["SEAT_UNAVAILABLE"]);
    let booked = book_on(&svc, token_b, json!({"flightId": flight, "seats": 1})).await;
    assert_eq!(booked.status, 201, "{booked:?}");
    assert_eq!(booked.body["seatNumbers"], json!(["1A"]));
    assert_ledger_consistent(&stack, flight).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_user_locking_releasing_and_booking_at_once_stays_consistent() {
    let stack = TestStack::new().await;
    let net = Network::new(&stack).await;
    let flight = net.flight("XY6", "AAA", "DDD", 6 * 60, 120, 250000).await;
    let users = customers(&stack, 1).await;
    let (user, token) = users[0].clone();

    #[derive(Clone, Copy, Debug, PartialEq)]
    enum Op {
        Lock,
        LockOne,
        Release,
        Book,
        BookCount,
    }
    let ops: Vec<Op> = [Op::Lock, Op::Release, Op::Book, Op::LockOne, Op::BookCount, Op::Release]
        .into_iter()
        .cycle()
        .take(30)
        .collect();
    let jobs: Vec<_> = ops
        .iter()
        .map(|op| {
            let (op, token) = (*op, token.clone());
            move |svc: Arc<Services>| async move {
                let pair = json!(["1A", "1B"]);
                match op {
                    Op::Lock => lock_on(&svc, &token, json!({"flightId": flight, "seatNumbers": pair})).await,
                    Op::LockOne => lock_on(&svc, &token, json!({"flightId": flight, "seatNumber": "1B"})).await,
                    Op::Release => release_on(&svc, &token, json!({"flightId": flight, "seatNumbers": pair})).await,
                    Op::Book => {
                        book_on(&svc, &token, json!({"legs": [{"flightId": flight, "seatNumbers": pair}]})).await
                    }
                    Op::BookCount => book_on(&svc, &token, json!({"flightId": flight, "seats": 1})).await,
                }
            }
        })
        .collect();
    let replies = race(&stack.services, jobs).await;

    let mut booked_pair = 0;
    let mut created = BTreeSet::new();
    for (op, reply) in ops.iter().zip(&replies) {
        match (op, reply.status) {
            (Op::Lock | Op::LockOne, 200) => assert_eq!(reply.body["userId"], user),
            (Op::Lock | Op::LockOne, _) => reply.assert_problem(409, &["SEAT_UNAVAILABLE"]),
            (Op::Release, 200) => assert_eq!(reply.body["status"], "RELEASED"),
            (Op::Release, _) => reply.assert_problem(409, &["SEAT_NOT_HELD"]),
            (Op::Book | Op::BookCount, 201) => {
                if *op == Op::Book {
                    booked_pair += 1;
                    assert_eq!(reply.body["seatNumbers"], json!(["1A", "1B"]));
                }
                created.insert(reply.body["id"].as_i64().unwrap());
            }
            (Op::Book | Op::BookCount, _) => {
                reply.assert_problem(409, &["SEAT_UNAVAILABLE", "NOT_ENOUGH_SEATS", "SOLD_OUT"])
            }
        }
    }
    assert!(booked_pair <= 1, "1A+1B booked {booked_pair} times");

    let live = assert_ledger_consistent(&stack, flight).await;
    let db = stack.db().await;
    let rows = db.query("SELECT id, user_id FROM bookings ORDER BY id", &[]).await.unwrap();
    let in_db: BTreeSet<i64> = rows.iter().map(|r| r.get(0)).collect();
    assert_eq!(in_db, created, "one booking row per 201, none for a 409");
    assert!(rows.iter().all(|r| r.get::<_, i64>(1) == user));
    assert!(!live.is_empty(), "something was booked");

    // Each seat is booked once, or free, or held by this user: never by anyone else.
    let all: Vec<String> = ["1A", "1B", "2A", "2B"].map(String::from).to_vec();
    let holders = stack.services.seat_holds().holders(flight, &all).await.unwrap();
    let (_, map) = seat_map(&stack, &token, flight).await;
    for (seat, holder) in all.iter().zip(holders) {
        assert!(holder.is_none() || holder == Some(user), "{seat} held by {holder:?}");
        let shown = state_of(&map, seat);
        if live.contains_key(seat) {
            assert_eq!(shown["state"], "booked", "{seat}");
        } else {
            assert!(shown["state"] == "available" || shown["heldByYou"] == true, "{seat}: {shown}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_user_cannot_hold_more_than_nine_seats_even_concurrently() {
    let stack = TestStack::new().await;
    let net = Network::new(&stack).await;
    // 12 seats each: 1A..3D.
    let first = flight_on(&net, "XY7", "T12", 3, "ABCD", 100000).await;
    let second = flight_on(&net, "XY8", "T12", 3, "ABCD", 100000).await;
    let seats: Vec<String> = (1..=3).flat_map(|r| "ABCD".chars().map(move |l| format!("{r}{l}"))).collect();
    let users = customers(&stack, 2).await;
    let ((user, token), (_, other)) = (users[0].clone(), &users[1]);
    let svc = &stack.services;

    // One after the other: nine fit, the tenth does not.
    let nine = lock_on(svc, &token, json!({"flightId": first, "seatNumbers": &seats[..9]})).await;
    assert_eq!(nine.status, 200, "{nine:?}");
    let tenth = lock_on(svc, &token, json!({"flightId": first, "seatNumbers": [&seats[9]]})).await;
    tenth.assert_problem(409, &["HOLD_LIMIT_REACHED"]);
    // Re-locking a seat already held extends it and is not a tenth seat;
    // a request mixing held and new seats is all-or-nothing.
    assert_eq!(lock_on(svc, &token, json!({"flightId": first, "seatNumbers": [&seats[0]]})).await.status, 200);
    let mixed = lock_on(svc, &token, json!({"flightId": first, "seatNumbers": [&seats[1], &seats[10]]})).await;
    mixed.assert_problem(409, &["HOLD_LIMIT_REACHED"]);
    let (held, _) = svc.seat_holds().held_by(FlightId(first), UserId(user)).await.unwrap();
    assert_eq!(held.len(), 9, "{held:?}");
    assert!(!held.contains(&seats[10]));
    // The cap is per user: someone else can still lock the remaining seats.
    assert_eq!(lock_on(svc, other, json!({"flightId": first, "seatNumbers": &seats[9..]})).await.status, 200);
    // Releasing one makes room for one more.
    assert_eq!(release_on(svc, &token, json!({"flightId": first, "seatNumbers": [&seats[0]]})).await.status, 200);
    let freed = lock_on(svc, &token, json!({"flightId": first, "seatNumbers": [&seats[0]]})).await;
    assert_eq!(freed.status, 200, "{freed:?}");

    // At once: twelve single-seat locks by one user on an empty flight.
    let jobs: Vec<_> = seats
        .iter()
        .map(|seat| {
            let (seat, token) = (seat.clone(), token.clone());
            move |svc: Arc<Services>| async move {
                lock_on(&svc, &token, json!({"flightId": second, "seatNumbers": [seat]})).await
            }
        })
        .collect();
    let replies = race(&stack.services, jobs).await;
    let won = replies.iter().filter(|r| r.status == 200).count();
    for reply in replies.iter().filter(|r| r.status != 200) {
        reply.assert_problem(409, &["HOLD_LIMIT_REACHED"]);
    }
    assert_eq!(won, 9, "exactly nine of twelve concurrent locks win");
    let (held, _) = svc.seat_holds().held_by(FlightId(second), UserId(user)).await.unwrap();
    assert_eq!(held.len(), 9, "{held:?}");
    let holders = svc.seat_holds().holders(second, &seats).await.unwrap();
    assert_eq!(holders.iter().filter(|h| **h == Some(user)).count(), 9);
    assert_eq!(holders.iter().filter(|h| h.is_none()).count(), 3);

    // And concurrent multi-seat requests: six pairs, at most four fit.
    let third = flight_on(&net, "XY9", "T12", 3, "ABCD", 100000).await;
    let jobs: Vec<_> = seats
        .chunks(2)
        .map(|pair| {
            let (pair, token) = (pair.to_vec(), token.clone());
            move |svc: Arc<Services>| async move {
                lock_on(&svc, &token, json!({"flightId": third, "seatNumbers": pair})).await
            }
        })
        .collect();
    let replies = race(&stack.services, jobs).await;
    for reply in replies.iter().filter(|r| r.status != 200) {
        reply.assert_problem(409, &["HOLD_LIMIT_REACHED"]);
    }
    assert_eq!(replies.iter().filter(|r| r.status == 200).count(), 4);
    let (held, _) = svc.seat_holds().held_by(FlightId(third), UserId(user)).await.unwrap();
    assert_eq!(held.len(), 8, "{held:?}");
}
