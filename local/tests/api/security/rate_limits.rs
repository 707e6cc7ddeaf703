//! Rate limits over HTTP: login brute force and spraying, holds and payments per user, with Retry-After.

use super::Api;
use crate::support::*;
use serde_json::json;

#[tokio::test]
async fn login_brute_force_is_429_with_retry_after_over_http() {
    within(60, async {
        let stack = TestStack::new().await;
        let api = Api::new(&stack).await;
        customer(&stack, "brute@example.com").await;
        let attempt = |email: &str, password: &str| json!({"email": email, "password": password});
        for i in 0..5 {
            let answer = api
                .call("POST", "/api/auth/login", None, Some(&attempt("brute@example.com", &format!("guess{i}"))))
                .await;
            answer.assert_problem(401, "UNAUTHORIZED");
        }
        let throttled = api
            .call("POST", "/api/auth/login", None, Some(&attempt("brute@example.com", "correct horse battery")))
            .await;
        throttled.assert_problem(429, "RATE_LIMITED");
        let retry: u64 = throttled.header("retry-after").parse().unwrap();
        assert!((1..=900).contains(&retry), "{retry}");

        // Spraying many accounts from one address hits the per-IP limit.
        let mut statuses = Vec::new();
        for i in 0..30 {
            let email = format!("spray{i}@example.com");
            statuses.push(api.call("POST", "/api/auth/login", None, Some(&attempt(&email, "test123"))).await.status);
        }
        assert!(statuses.iter().all(|s| *s == 401 || *s == 429), "{statuses:?}");
        assert!(statuses.contains(&429), "no per-IP limit after 30 unknown accounts: {statuses:?}");
        let fresh = api.call("POST", "/api/auth/login", None, Some(&attempt("another@example.com", "test123"))).await;
        fresh.assert_problem(429, "RATE_LIMITED");
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn holds_and_payments_are_rate_limited_per_user_with_retry_after() {
    within(60, async {
        let base = TestStack::new().await;
        let stack = stack_with(
            &base,
            &[("HOLD_RATE_LIMIT_PER_MINUTE", "5".into()), ("PAYMENT_RATE_LIMIT_PER_MINUTE", "3".into())],
        );
        let api = Api::new(&stack).await;
        let net = Network::new(&stack).await;
        let flight = net.flight("XY1", "AAA", "DDD", 6 * 60, 120, 250000).await;
        let other_flight = net.flight("XY2", "AAA", "DDD", 9 * 60, 120, 250000).await;
        let pay_flight = net.flight("XY3", "AAA", "DDD", 12 * 60, 120, 250000).await;
        let (_, eager) = customer(&stack, "eager@example.com").await;
        let (_, calm) = customer(&stack, "calm@example.com").await;
        let lock = |seat: &str, f: i64| json!({"flightId": f, "seatNumber": seat});

        // Re-locking one's own seat is allowed (it extends the hold) but counts.
        for _ in 0..5 {
            let answer = api.call("POST", "/api/seats/lock", Some(&eager), Some(&lock("1A", flight))).await;
            assert_eq!(answer.status, 200, "{}", answer.text);
        }
        let limited = api.call("POST", "/api/seats/lock", Some(&eager), Some(&lock("1B", flight))).await;
        limited.assert_problem(429, "RATE_LIMITED");
        let retry: u64 = limited.header("retry-after").parse().unwrap();
        assert!((1..=60).contains(&retry), "Retry-After {retry}");
        let map = api.call("GET", &format!("/api/seats/{flight}"), Some(&calm), None).await.json();
        assert_eq!(map["availableSeats"].as_array().unwrap().len(), 3, "the refused lock held a seat: {map}");
        // Per user: someone else is not affected.
        let answer = api.call("POST", "/api/seats/lock", Some(&calm), Some(&lock("1B", flight))).await;
        assert_eq!(answer.status, 200, "{}", answer.text);

        // A concurrent burst cannot get past the limit.
        let (_, bursty) = customer(&stack, "bursty@example.com").await;
        let burst =
            futures::future::join_all((0..20).map(|i| {
                let (api, bursty) = (&api, &bursty);
                let seat = ["1A", "1B", "2A", "2B"][i % 4];
                async move {
                    api.call("POST", "/api/seats/lock", Some(bursty), Some(&lock(seat, other_flight))).await.status
                }
            }))
            .await;
        assert_eq!(burst.iter().filter(|s| **s != 429).count(), 5, "{burst:?}");

        // Payments: three attempts a minute (declines count), then 429 even with a good card.
        let (_, payer) = customer(&stack, "payer@example.com").await;
        let (status, booking) = create_booking(&stack, &payer, json!({"flightId": pay_flight, "seats": 1})).await;
        assert_eq!(status, 201, "{booking}");
        let declined =
            json!({"bookingId": booking["id"], "method": {"type": "card", "cardNumber": "4000000000000002"}});
        for _ in 0..3 {
            let answer = api.call("POST", "/api/payments/pay", Some(&payer), Some(&declined)).await;
            answer.assert_problem(402, "PAYMENT_DECLINED");
        }
        let limited =
            api.call("POST", "/api/payments/pay", Some(&payer), Some(&json!({"bookingId": booking["id"]}))).await;
        limited.assert_problem(429, "RATE_LIMITED");
        assert!(limited.header("retry-after").parse::<u64>().is_ok_and(|r| (1..=60).contains(&r)));
        let db = stack.db().await;
        let status: String = db
            .query_one("SELECT status FROM bookings WHERE id = $1", &[&booking["id"].as_i64().unwrap()])
            .await
            .unwrap()
            .get(0);
        assert_eq!(status, "PENDING_PAYMENT");
        let (status, theirs) = create_booking(&stack, &calm, json!({"flightId": pay_flight, "seats": 1})).await;
        assert_eq!(status, 201, "{theirs}");
        let paid = api.call("POST", "/api/payments/pay", Some(&calm), Some(&json!({"bookingId": theirs["id"]}))).await;
        assert_eq!(paid.status, 200, "another user's payment: {}", paid.text);
    })
    .await
}
