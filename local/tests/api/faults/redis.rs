//! Redis down and back: search falls back to Postgres, holds are 503, and the same services reconnect.

use super::{assert_nothing_half_done, book_on, count, eventually, lock_on, pay_on, search_on, seat_map_on, Daemon};
use crate::support::*;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_down_search_falls_back_holds_are_503_and_the_same_services_recover() {
    within(60, async {
        let base = TestStack::new().await;
        let mut redis = Daemon::redis().await;
        let stack = stack_with(&base, &[("REDIS_URL", redis.url()), ("DEPENDENCY_TIMEOUT_MS", "1000".into())]);
        let svc = stack.services.clone();
        let net = Network::new(&stack).await;
        let flight = net.flight("XY1", "AAA", "DDD", 6 * 60, 120, 250000).await;
        let (_, token) = customer(&stack, "redis-down@example.com").await;
        let (_, other) = customer(&stack, "redis-other@example.com").await;
        let query = format!("source=AAA&destination=DDD&date={}", net.date);

        // Up: a booking to pay later, and the search cached.
        let booked = book_on(&svc, &token, flight, 1).await;
        assert_eq!(booked.status, 201, "{booked:?}");
        let booking = booked.body["id"].as_i64().unwrap();
        assert_eq!(search_on(&svc, &token, &query).await.body["cached"], false);
        assert_eq!(search_on(&svc, &token, &query).await.body["cached"], true);

        redis.stop().await;

        // Search answers from Postgres, uncached.
        let searched = search_on(&svc, &token, &query).await;
        assert_eq!(searched.status, 200, "{searched:?}");
        assert_eq!(searched.body["cached"], false, "{searched:?}");
        let legs: Vec<i64> = searched.body["itineraries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["legs"][0]["flightId"].as_i64().unwrap())
            .collect();
        assert_eq!(legs, vec![flight], "{searched:?}");
        // Holds need Redis: 503, quickly, and nothing is booked.
        let locked = lock_on(&svc, &token, flight, &["2A"]).await;
        locked.assert_unavailable("seats-lock with Redis down");
        let by_count = book_on(&svc, &other, flight, 2).await;
        by_count.assert_unavailable("a booking by count with Redis down");
        let map = seat_map_on(&svc, &token, flight).await;
        map.assert_unavailable("the seat map with Redis down");
        // A payment needs Postgres only: the rate limiter steps aside.
        let paid = pay_on(&svc, &token, booking).await;
        assert_eq!(paid.status, 200, "{paid:?}");
        for reply in [&searched, &locked, &by_count, &map, &paid] {
            assert!(reply.elapsed < Duration::from_secs(4), "too slow with Redis down: {reply:?}");
        }
        let db = stack.db().await;
        assert_eq!(count(&db, "SELECT count(*) FROM bookings").await, 1, "the 503 booking left a row");
        assert_eq!(count(&db, "SELECT sum(seats_sold)::bigint FROM flight_fares").await, 1);
        assert_nothing_half_done(&db).await;

        redis.start().await;

        // The same Services reconnect on their own.
        let (map, tries) =
            eventually(Duration::from_secs(10), || seat_map_on(&svc, &token, flight), |r| r.status == 200).await;
        assert!(tries <= 3, "reconnecting took {tries} attempts");
        // Nothing was left held by the refused requests.
        let available: Vec<&str> =
            map.body["availableSeats"].as_array().unwrap().iter().map(|s| s.as_str().unwrap()).collect();
        assert_eq!(available.len(), 3, "{map:?}");
        let locked = lock_on(&svc, &token, flight, &["2A"]).await;
        assert_eq!(locked.status, 200, "{locked:?}");
        let taken = lock_on(&svc, &other, flight, &["2A"]).await;
        assert_eq!((taken.status, taken.body["code"].as_str()), (409, Some("SEAT_UNAVAILABLE")), "{taken:?}");
        let booked = book_on(&svc, &other, flight, 1).await;
        assert_eq!(booked.status, 201, "{booked:?}");
        assert_ne!(booked.body["seatNumbers"][0], "2A", "a held seat was assigned: {booked:?}");
        // The cache works again (the booking changed no flight's availability to zero).
        assert_eq!(search_on(&svc, &token, &query).await.body["cached"], false);
        assert_eq!(search_on(&svc, &token, &query).await.body["cached"], true);
        assert_nothing_half_done(&db).await;
    })
    .await
}
