//! Ownership of every id-taking route: a second user gets 404 or 403 on the first user's things, never their data.

use super::{Answer, Api};
use crate::support::*;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// The first user, with one of everything an id can point at.
struct Victim {
    id: i64,
    token: String,
    email: String,
    name: String,
    flight: i64,
    pending: i64,
    pending_pnr: String,
    paid: i64,
    paid_pnr: String,
    ticket: i64,
    ticket_number: String,
    hold_flight: i64,
    hold_id: String,
    held_seat: String,
    /// A cursor into the victim's own notification log.
    notifications_cursor: String,
}

impl Victim {
    /// Strings that must never reach anyone else.
    fn secrets(&self) -> Vec<(&'static str, &str)> {
        vec![
            ("email", &self.email),
            ("name", &self.name),
            ("PNR", &self.pending_pnr),
            ("PNR", &self.paid_pnr),
            ("ticket number", &self.ticket_number),
            ("hold id", &self.hold_id),
        ]
    }
}

async fn victim(stack: &TestStack, api: &Api, net: &Network) -> Victim {
    local_stack::seed::seed_discount_codes(&net.db).await.unwrap();
    stack.start_queue_consumers();
    let flight = net.flight("XY1", "AAA", "DDD", 6 * 60, 120, 250000).await;
    let hold_flight = net.flight("XY2", "AAA", "BBB", 8 * 60, 60, 150000).await;
    let email = "alice.victim@example.com".to_string();
    let name = "Alice Victim".to_string();
    let signup = json!({"name": name, "email": email, "password": "alice's own secret"});
    let doc = api.call("POST", "/api/auth/signup", None, Some(&signup)).await.json();
    let (id, token) = (doc["userId"].as_i64().unwrap(), doc["token"].as_str().unwrap().to_string());

    let paid_doc =
        api.call("POST", "/api/bookings/create", Some(&token), Some(&json!({"flightId": flight, "seats": 1}))).await;
    assert_eq!(paid_doc.status, 201, "{}", paid_doc.text);
    let paid_doc = paid_doc.json();
    let paid = paid_doc["id"].as_i64().unwrap();
    let pay = api.call("POST", "/api/payments/pay", Some(&token), Some(&json!({"bookingId": paid}))).await;
    assert_eq!(pay.status, 200, "{}", pay.text);
    let generated = api.call("POST", "/api/tickets/generate", Some(&token), Some(&json!({"bookingId": paid}))).await;
    assert_eq!(generated.status, 200, "{}", generated.text);
    let row = net.db.query_one("SELECT id, ticket_number FROM tickets WHERE booking_id = $1", &[&paid]).await.unwrap();

    let pending_doc =
        api.call("POST", "/api/bookings/create", Some(&token), Some(&json!({"flightId": flight, "seats": 1}))).await;
    assert_eq!(pending_doc.status, 201, "{}", pending_doc.text);
    let pending_doc = pending_doc.json();

    let hold = api
        .call("POST", "/api/seats/lock", Some(&token), Some(&json!({"flightId": hold_flight, "seatNumber": "1A"})))
        .await;
    assert_eq!(hold.status, 200, "{}", hold.text);

    // Two notifications (the payment's confirmation and a message to
    // herself) so her log has a second page.
    let sent = api
        .call("POST", "/api/notifications/send", Some(&token), Some(&json!({"message": "note to self: gate 42"})))
        .await;
    assert_eq!(sent.status, 202, "{}", sent.text);
    let started = Instant::now();
    let cursor = loop {
        let page = api.call("GET", "/api/notifications?limit=1", Some(&token), None).await.json();
        if let Some(cursor) = page["nextCursor"].as_str() {
            break cursor.to_string();
        }
        assert!(started.elapsed() < Duration::from_secs(15), "notifications never delivered: {page}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    Victim {
        id,
        token,
        email,
        name,
        flight,
        pending: pending_doc["id"].as_i64().unwrap(),
        pending_pnr: pending_doc["pnr"].as_str().unwrap().to_string(),
        paid,
        paid_pnr: paid_doc["pnr"].as_str().unwrap().to_string(),
        ticket: row.get(0),
        ticket_number: row.get(1),
        hold_flight,
        hold_id: hold.json()["holdId"].as_str().unwrap().to_string(),
        held_seat: "1A".into(),
        notifications_cursor: cursor,
    }
}

/// (what, method, path, body, expected status, expected code).
type Refusal<'a> = (&'a str, &'a str, String, Option<Value>, u16, &'a str);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_user_gets_404_or_403_on_the_first_users_resources_and_never_their_data() {
    within(60, async {
        let stack = TestStack::new().await;
        let api = Api::new(&stack).await;
        let net = Network::new(&stack).await;
        let alice = victim(&stack, &api, &net).await;
        let signup = json!({"name": "Mallory", "email": "mallory@example.com", "password": "mallory's secret"});
        let doc = api.call("POST", "/api/auth/signup", None, Some(&signup)).await.json();
        let (mallory, token) = (doc["userId"].as_i64().unwrap(), doc["token"].as_str().unwrap().to_string());

        let (paid, pending, ticket, a) = (alice.paid, alice.pending, alice.ticket, alice.id);
        let (hold_flight, seat, hold) = (alice.hold_flight, alice.held_seat.clone(), alice.hold_id.clone());
        let refused: Vec<Refusal> = vec![
            ("paid booking", "GET", format!("/api/bookings/{paid}"), None, 404, "NOT_FOUND"),
            ("pending booking", "GET", format!("/api/bookings/{pending}"), None, 404, "NOT_FOUND"),
            ("booking with her userId", "GET", format!("/api/bookings/{paid}/{a}"), None, 403, "FORBIDDEN"),
            ("booking with own userId", "GET", format!("/api/bookings/{paid}/{mallory}"), None, 404, "NOT_FOUND"),
            ("cancel paid", "POST", format!("/api/bookings/{paid}/cancel"), None, 404, "NOT_FOUND"),
            ("cancel pending", "POST", format!("/api/bookings/{pending}/cancel"), None, 404, "NOT_FOUND"),
            (
                "lock her held seat",
                "POST",
                "/api/seats/lock".into(),
                Some(json!({"flightId": hold_flight, "seatNumber": seat})),
                409,
                "SEAT_UNAVAILABLE",
            ),
            (
                "lock as her",
                "POST",
                "/api/seats/lock".into(),
                Some(json!({"flightId": hold_flight, "seatNumber": "2B", "userId": a})),
                403,
                "FORBIDDEN",
            ),
            (
                "release her hold id",
                "POST",
                "/api/seats/release".into(),
                Some(json!({"holdId": hold})),
                404,
                "NOT_FOUND",
            ),
            (
                "release her hold id as her",
                "POST",
                "/api/seats/release".into(),
                Some(json!({"holdId": hold, "userId": a})),
                403,
                "FORBIDDEN",
            ),
            (
                "release her seat",
                "POST",
                "/api/seats/release".into(),
                Some(json!({"flightId": hold_flight, "seatNumbers": [seat]})),
                409,
                "SEAT_NOT_HELD",
            ),
            (
                "pay her booking",
                "POST",
                "/api/payments/pay".into(),
                Some(json!({"bookingId": pending})),
                404,
                "NOT_FOUND",
            ),
            (
                "pay her booking as her",
                "POST",
                "/api/payments/pay".into(),
                Some(json!({"bookingId": pending, "userId": a})),
                403,
                "FORBIDDEN",
            ),
            (
                "discount on her booking",
                "POST",
                "/api/discounts/apply".into(),
                Some(json!({"bookingId": pending, "code": "SAVE200"})),
                404,
                "NOT_FOUND",
            ),
            (
                "cashback on her paid booking",
                "POST",
                "/api/discounts/apply".into(),
                Some(json!({"bookingId": paid, "code": "FLY100"})),
                404,
                "NOT_FOUND",
            ),
            (
                "discount as her",
                "POST",
                "/api/discounts/apply".into(),
                Some(json!({"bookingId": pending, "code": "SAVE200", "userId": a})),
                403,
                "FORBIDDEN",
            ),
            ("her ticket", "GET", format!("/api/tickets/{ticket}"), None, 404, "NOT_FOUND"),
            ("her invoice", "GET", format!("/api/tickets/{ticket}/invoice"), None, 404, "NOT_FOUND"),
            ("her tickets", "POST", "/api/tickets/generate".into(), Some(json!({"bookingId": paid})), 404, "NOT_FOUND"),
            (
                "her tickets (original body)",
                "POST",
                "/api/tickets/generate".into(),
                Some(json!({"booking_id": paid})),
                404,
                "NOT_FOUND",
            ),
            (
                "message her",
                "POST",
                "/api/notifications/send".into(),
                Some(json!({"userId": a, "message": "hello"})),
                403,
                "FORBIDDEN",
            ),
        ];
        let mut failures = Vec::new();
        let leaks = |what: &str, sent: &str, answer: &Answer| -> Vec<String> {
            alice
                .secrets()
                .into_iter()
                .filter(|(_, secret)| !sent.contains(secret) && answer.text.contains(secret))
                .map(|(kind, _)| format!("{what}: leaks her {kind}: {}", answer.text))
                .collect()
        };
        for (what, method, path, body, status, code) in &refused {
            let answer = api.call(method, path, Some(&token), body.as_ref()).await;
            let wrong = answer.problem_faults(*status, Some(code));
            if !wrong.is_empty() {
                failures.push(format!("{what} ({method} {path}): {} — {}", wrong.join(", "), answer.text));
            }
            failures.extend(leaks(what, &format!("{path} {}", body.clone().unwrap_or_default()), &answer));
        }
        // The PDF invoice too: a problem, not her document.
        let pdf = api
            .raw(
                "GET",
                &format!("/api/tickets/{ticket}/invoice"),
                &[("authorization", &format!("Bearer {token}")), ("accept", "application/pdf")],
                None,
            )
            .await;
        assert_eq!((pdf.status, pdf.header("content-type")), (404, "application/problem+json"), "{}", pdf.text);

        // Reads that succeed show only the caller's own data.
        let readable: Vec<(&str, String)> = vec![
            ("her flight", format!("/api/flights/{}", alice.flight)),
            ("seat map", format!("/api/seats/{hold_flight}")),
            ("own bookings", "/api/bookings".into()),
            ("own notifications", "/api/notifications".into()),
            ("her notification cursor", format!("/api/notifications?cursor={}", alice.notifications_cursor)),
            ("me", "/api/auth/me".into()),
        ];
        for (what, path) in &readable {
            let answer = api.call("GET", path, Some(&token), None).await;
            if answer.status != 200 {
                failures.push(format!("{what}: status {} — {}", answer.status, answer.text));
            }
            failures.extend(leaks(what, path, &answer));
        }
        assert!(failures.is_empty(), "{} ownership failures:\n{}", failures.len(), failures.join("\n"));

        let map = api.call("GET", &format!("/api/seats/{hold_flight}"), Some(&token), None).await.json();
        let held = map["seats"].as_array().unwrap().iter().find(|s| s["seatNumber"] == seat).unwrap();
        assert_eq!((&held["state"], &held["heldByYou"]), (&json!("held"), &json!(false)), "{held}");
        let mine = api.call("GET", "/api/bookings", Some(&token), None).await.json();
        assert_eq!(mine["count"], 0, "{mine}");
        let log = api.call("GET", &readable[4].1, Some(&token), None).await.json();
        assert_eq!(log["count"], 0, "a cursor reached another user's log: {log}");

        // Her things are untouched.
        let theirs = |id: i64| {
            let api = &api;
            let token = alice.token.clone();
            async move { api.call("GET", &format!("/api/bookings/{id}"), Some(&token), None).await.json() }
        };
        let (paid_now, pending_now) = (theirs(paid).await, theirs(pending).await);
        assert_eq!(paid_now["status"], "PAID", "{paid_now}");
        assert_eq!(pending_now["status"], "PENDING_PAYMENT", "{pending_now}");
        assert_eq!(pending_now["discount"]["amount"], 0, "{pending_now}");
        assert_eq!(paid_now["discount"]["amount"], 0, "{paid_now}");
        let her_map = api.call("GET", &format!("/api/seats/{hold_flight}"), Some(&alice.token), None).await.json();
        let held = her_map["seats"].as_array().unwrap().iter().find(|s| s["seatNumber"] == seat).unwrap();
        assert_eq!(held["heldByYou"], true, "her hold was released: {held}");
        let db = &net.db;
        let payments: i64 = db.query_one("SELECT count(*) FROM payments", &[]).await.unwrap().get(0);
        assert_eq!(payments, 1, "only her own payment");
        let void: i64 =
            db.query_one("SELECT count(*) FROM tickets WHERE status <> 'ISSUED'", &[]).await.unwrap().get(0);
        assert_eq!(void, 0);
    })
    .await
}
