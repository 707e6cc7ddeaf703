//! Racing bookings: overlapping seats, by count for the last seats, and cancels and expiry sweeps against new bookings.

use super::{
    assert_ledger_consistent, assert_redis_agrees, book_on, customers, flight_on, lock_on, race, seat_list, send,
    state_of, Reply,
};
use crate::support::*;
use serde_json::json;
use shared::Services;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_bookings_over_overlapping_seats_never_sell_a_seat_twice() {
    use rand::seq::SliceRandom;
    use rand::SeedableRng;

    let stack = TestStack::new().await;
    let net = Network::new(&stack).await;
    // A 10-seat pool: 1A..1E, 2A..2E.
    let flight = flight_on(&net, "XY2", "T10", 2, "ABCDE", 100000).await;
    let pool: Vec<String> = (1..=2).flat_map(|r| "ABCDE".chars().map(move |l| format!("{r}{l}"))).collect();
    let users = customers(&stack, 100).await;
    let mut rng = rand::rngs::StdRng::seed_from_u64(0x5EA7);
    let picks: Vec<Vec<String>> = users
        .iter()
        .map(|_| {
            let mut two: Vec<String> = pool.choose_multiple(&mut rng, 2).cloned().collect();
            two.sort();
            two
        })
        .collect();

    // Half lock first and then book their seats; half book without a lock,
    // alternating the original flat body and the `legs` body.
    let jobs: Vec<_> = users
        .iter()
        .zip(&picks)
        .enumerate()
        .map(|(i, ((_, token), seats))| {
            let (token, seats) = (token.clone(), seats.clone());
            move |svc: Arc<Services>| async move {
                if i % 2 == 0 {
                    let locked = lock_on(&svc, &token, json!({"flightId": flight, "seatNumbers": seats})).await;
                    if locked.status != 200 {
                        return locked;
                    }
                }
                let body = if i % 4 < 2 {
                    json!({"legs": [{"flightId": flight, "seatNumbers": seats}]})
                } else {
                    json!({"flightId": flight, "seatNumbers": seats})
                };
                book_on(&svc, &token, body).await
            }
        })
        .collect();
    let replies = race(&stack.services, jobs).await;

    let mut sold: BTreeMap<String, i64> = BTreeMap::new();
    let mut created = BTreeSet::new();
    for (i, reply) in replies.iter().enumerate() {
        match reply.status {
            201 => {
                assert_eq!(reply.body["userId"], users[i].0, "{reply:?}");
                assert_eq!(seat_list(&reply.body["seatNumbers"]), picks[i], "{reply:?}");
                assert_eq!(reply.body["status"], "PENDING_PAYMENT");
                // Two fares and two chosen standard seats (domain::seat_charges).
                assert_eq!(reply.body["amountDue"]["amount"], 200000 + 2 * 30_000);
                let id = reply.body["id"].as_i64().unwrap();
                created.insert(id);
                for seat in &picks[i] {
                    if let Some(other) = sold.insert(seat.clone(), id) {
                        panic!("seat {seat} confirmed to bookings {other} and {id}");
                    }
                }
            }
            // A lock or a booking that lost: a clean conflict, never a 5xx.
            _ => reply.assert_problem(409, &["SEAT_UNAVAILABLE", "SOLD_OUT"]),
        }
    }
    assert!(!created.is_empty(), "someone must win a seat");

    let live = assert_ledger_consistent(&stack, flight).await;
    assert_eq!(live, sold, "the database holds exactly the confirmed bookings");
    assert_redis_agrees(&stack, flight, &live).await;
    let db = stack.db().await;
    let bookings: i64 = db.query_one("SELECT count(*) FROM bookings", &[]).await.unwrap().get(0);
    assert_eq!(bookings as usize, created.len(), "no booking row behind a 409");
    let (_, map) = seat_map(&stack, &users[0].1, flight).await;
    for seat in &pool {
        let state = &state_of(&map, seat)["state"];
        assert_eq!(state == "booked", sold.contains_key(seat), "{seat}: {state}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_bookings_by_count_race_for_the_last_four_seats() {
    let stack = TestStack::new().await;
    let net = Network::new(&stack).await;
    let flight = net.flight("XY3", "AAA", "DDD", 6 * 60, 120, 250000).await;
    let other = net.flight("XY4", "AAA", "DDD", 8 * 60, 120, 260000).await;
    let users = customers(&stack, 20).await;
    let query = format!("source=AAA&destination=DDD&date={}&maxStops=0", net.date);
    // A cached search containing the flight, which selling out must invalidate.
    let (status, before, _) = search(&stack, &users[0].1, &query).await;
    assert_eq!(status, 200, "{before}");
    assert_eq!(itinerary_ids(&before), vec![flight.to_string(), other.to_string()]);

    let jobs: Vec<_> = users
        .iter()
        .map(|(_, token)| {
            let token = token.clone();
            move |svc: Arc<Services>| async move { book_on(&svc, &token, json!({"flightId": flight, "seats": 1})).await }
        })
        .collect();
    let replies = race(&stack.services, jobs).await;

    let won: Vec<&Reply> = replies.iter().filter(|r| r.status == 201).collect();
    let codes: Vec<String> =
        replies.iter().filter(|r| r.status != 201).map(|r| format!("{} {}", r.status, r.code())).collect();
    assert_eq!(won.len(), 4, "all four seats sell; the others got {codes:?}");
    for reply in replies.iter().filter(|r| r.status != 201) {
        reply.assert_problem(409, &["NOT_ENOUGH_SEATS", "SEAT_UNAVAILABLE", "SOLD_OUT"]);
    }
    let seats: BTreeSet<String> = won.iter().flat_map(|r| seat_list(&r.body["seatNumbers"])).collect();
    assert_eq!(seats, ["1A", "1B", "2A", "2B"].map(String::from).into_iter().collect());

    let live = assert_ledger_consistent(&stack, flight).await;
    assert_eq!(live.len(), 4);
    let (status, after, _) = search(&stack, &users[0].1, &query).await;
    assert_eq!(status, 200, "{after}");
    assert_eq!(itinerary_ids(&after), vec![other.to_string()], "a full flight is never listed");
}

/// Bookings by count on a roomy flight: nine customers each asking for one
/// seat at the same moment, on a 30-seat flight. Every one of them must get
/// a seat (the contract's only 409 for a count is "too few are free").
///
/// Regression test: before 6b5265c, `plan_leg` (shared/src/service/bookings.rs)
/// let every concurrent request pick the same "best" free seat with the
/// deterministic `assign_seats`; only one won the Redis hold and after 3
/// lost races the others gave up with `409 SEAT_UNAVAILABLE "seats on flight
/// N kept being taken; try again"` although 20+ seats were free (5 or 6 of 9
/// succeeded).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bookings_by_count_at_once_all_succeed_while_seats_are_free() {
    let stack = TestStack::new().await;
    let net = Network::new(&stack).await;
    let flight = flight_on(&net, "XY10", "T30", 5, "ABCDEF", 100000).await;
    let users = customers(&stack, 9).await;
    let jobs: Vec<_> = users
        .iter()
        .map(|(_, token)| {
            let token = token.clone();
            move |svc: Arc<Services>| async move { book_on(&svc, &token, json!({"flightId": flight, "seats": 1})).await }
        })
        .collect();
    let replies = race(&stack.services, jobs).await;
    let live = assert_ledger_consistent(&stack, flight).await;
    let refused: Vec<String> = replies
        .iter()
        .filter(|r| r.status != 201)
        .map(|r| format!("{} {}: {}", r.status, r.code(), r.body["detail"]))
        .collect();
    assert!(
        refused.is_empty(),
        "{} of 9 one-seat bookings refused with {} of 30 seats sold: {refused:?}",
        refused.len(),
        live.len()
    );
    assert_eq!(live.len(), 9);
}

/// Owners cancel (twice each), the expiry schedule runs three times and new
/// customers book the freed seats, all at once: every booking ends cancelled
/// or expired exactly once, and `seats_sold` stays equal to the live seats.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancels_expiry_sweeps_and_new_bookings_at_once_keep_the_count_exact() {
    let stack = TestStack::new().await;
    let net = Network::new(&stack).await;
    let flight = flight_on(&net, "XY13", "T12", 3, "ABCD", 100000).await;
    let users = customers(&stack, 12).await;
    let (owners, newcomers) = users.split_at(6);
    // Six bookings of two seats fill the flight; three are past their deadline.
    let mut old = Vec::new();
    for (_, token) in owners {
        let booked = book_on(&stack.services, token, json!({"flightId": flight, "seats": 2})).await;
        assert_eq!(booked.status, 201, "{booked:?}");
        old.push(booked.body["id"].as_i64().unwrap());
    }
    let db = stack.db().await;
    db.execute(
        "UPDATE bookings SET expires_at = now() - interval '1 second' WHERE id = ANY($1)",
        &[&old[..3].to_vec()],
    )
    .await
    .unwrap();
    assert_eq!(assert_ledger_consistent(&stack, flight).await.len(), 12);

    #[derive(Clone, Copy, Debug, PartialEq)]
    enum Job {
        Cancel(usize),
        Sweep,
        Book(usize),
    }
    let mut plan: Vec<Job> = (0..6).flat_map(|i| [Job::Cancel(i), Job::Cancel(i)]).collect();
    plan.extend([Job::Sweep; 3]);
    plan.extend((0..6).map(Job::Book));
    let jobs: Vec<_> = plan
        .iter()
        .map(|job| {
            let job = *job;
            let (owner, newcomer) = match job {
                Job::Cancel(i) => (owners[i].1.clone(), String::new()),
                Job::Book(i) => (String::new(), newcomers[i].1.clone()),
                Job::Sweep => (String::new(), String::new()),
            };
            let id = match job {
                Job::Cancel(i) => old[i],
                _ => 0,
            };
            move |svc: Arc<Services>| async move {
                match job {
                    Job::Cancel(_) => {
                        let path = format!("/api/bookings/{id}/cancel");
                        let id = id.to_string();
                        send(&svc, "bookings-cancel", "POST", &path, &[("bookingId", &id)], None, &owner).await
                    }
                    Job::Sweep => {
                        let swept = bookings_expire::handle(&svc, json!({})).await;
                        match swept {
                            Ok(body) => Reply { status: 200, content_type: "application/json".into(), body },
                            Err(e) => Reply { status: 500, content_type: String::new(), body: json!(e.to_string()) },
                        }
                    }
                    Job::Book(_) => book_on(&svc, &newcomer, json!({"flightId": flight, "seats": 2})).await,
                }
            }
        })
        .collect();
    let replies = race(&stack.services, jobs).await;

    let mut swept = 0;
    let mut created = BTreeSet::new();
    let mut cancels: BTreeMap<usize, Vec<&Reply>> = BTreeMap::new();
    for (job, reply) in plan.iter().zip(&replies) {
        match job {
            Job::Cancel(i) => cancels.entry(*i).or_default().push(reply),
            Job::Sweep => {
                assert_eq!(reply.status, 200, "{reply:?}");
                swept += reply.body["expiredBookings"].as_i64().unwrap();
            }
            Job::Book(_) if reply.status == 201 => {
                created.insert(reply.body["id"].as_i64().unwrap());
            }
            Job::Book(_) => reply.assert_problem(409, &["NOT_ENOUGH_SEATS", "SEAT_UNAVAILABLE", "SOLD_OUT"]),
        }
    }
    for (i, replies) in &cancels {
        let status: String =
            db.query_one("SELECT status FROM bookings WHERE id = $1", &[&old[*i]]).await.unwrap().get(0);
        for reply in replies {
            if status == "EXPIRED" {
                // The sweep got there first, so every cancel saw it expired.
                reply.assert_problem(409, &["BOOKING_EXPIRED"]);
            } else {
                assert_eq!(status, "CANCELLED", "booking {}", old[*i]);
                assert_eq!(reply.status, 200, "{reply:?}");
                assert_eq!(reply.body["status"], "CANCELLED", "{reply:?}");
            }
        }
        if *i >= 3 {
            assert_eq!(status, "CANCELLED", "a booking within its deadline is only cancelled");
        }
    }
    let expired: i64 =
        db.query_one("SELECT count(*) FROM bookings WHERE status = 'EXPIRED'", &[]).await.unwrap().get(0);
    assert_eq!(swept, expired, "each booking expires exactly once");

    let live = assert_ledger_consistent(&stack, flight).await;
    assert_redis_agrees(&stack, flight, &live).await;
    let owners_of_live: BTreeSet<i64> = live.values().copied().collect();
    assert_eq!(owners_of_live, created, "only the new bookings hold seats");
    assert_eq!(live.len(), 2 * created.len());
    // Whatever the newcomers did not take is really free again.
    if live.len() < 12 {
        let again = book_on(&stack.services, &owners[0].1, json!({"flightId": flight, "seats": 2})).await;
        assert_eq!(again.status, 201, "{again:?} with {} of 12 seats sold", live.len());
        assert_eq!(assert_ledger_consistent(&stack, flight).await.len(), live.len() + 2);
    }
}
