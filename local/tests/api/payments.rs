use crate::support::*;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// A stack with one flight (4 economy seats at ₹2,500), a customer and a
/// pending booking of `seats` seats. Returns (stack, booking id, token).
async fn booked(seats: u8) -> (TestStack, Network, i64, String) {
    let stack = TestStack::new().await;
    let net = Network::new(&stack).await;
    let flight = net.flight("XY1", "AAA", "DDD", 6 * 60, 120, 250000).await;
    let (_, token) = customer(&stack, "payer@example.com").await;
    let (status, booking) = create_booking(&stack, &token, json!({"flightId": flight, "seats": seats})).await;
    assert_eq!(status, 201, "{booking}");
    (stack, net, booking["id"].as_i64().unwrap(), token)
}

async fn pay_with(stack: &TestStack, token: &str, body: Value, key: Option<&str>) -> (u16, String, bool) {
    let headers: Vec<(&str, &str)> = key.iter().map(|k| ("idempotency-key", *k)).collect();
    let req = request_with("POST", "/api/payments/pay", Some(body.to_string()), Some(token), &[], &headers);
    let response = payments_pay::handle(&stack.services, req).await.unwrap();
    let replayed = response.headers().contains_key("idempotent-replayed");
    let text = match response.body() {
        lambda_http::Body::Text(t) => t.clone(),
        _ => String::new(),
    };
    (response.status().as_u16(), text, replayed)
}

async fn successful_payments(stack: &TestStack, booking: i64) -> i64 {
    stack
        .db()
        .await
        .query_one("SELECT count(*) FROM payments WHERE booking_id = $1 AND status = 'SUCCEEDED'", &[&booking])
        .await
        .unwrap()
        .get(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_concurrent_payments_with_one_key_charge_once_with_identical_responses() {
    let (stack, _net, booking, token) = booked(2).await;
    let body = json!({"bookingId": booking, "amount": 5000});
    let results =
        futures::future::join_all((0..50).map(|_| pay_with(&stack, &token, body.clone(), Some("key-123")))).await;
    let ok: Vec<&(u16, String, bool)> = results.iter().filter(|r| r.0 == 200).collect();
    assert!(!ok.is_empty());
    assert!(ok.iter().all(|r| r.1 == ok[0].1), "every 200 is the same response byte for byte");
    assert!(results.iter().all(|r| r.0 == 200 || r.0 == 409), "{:?}", results.iter().map(|r| r.0).collect::<Vec<_>>());
    for conflict in results.iter().filter(|r| r.0 == 409) {
        assert!(conflict.1.contains("IDEMPOTENCY_IN_PROGRESS"), "{}", conflict.1);
    }
    assert_eq!(successful_payments(&stack, booking).await, 1);
    // Once finished, a retry replays the first response.
    let (status, text, replayed) = pay_with(&stack, &token, body.clone(), Some("key-123")).await;
    assert_eq!((status, &text, replayed), (200, &ok[0].1, true));
    // The same key with another body is refused.
    let (status, text, _) =
        pay_with(&stack, &token, json!({"bookingId": booking, "amount": 4000}), Some("key-123")).await;
    assert_eq!(status, 422, "{text}");
    assert!(text.contains("IDEMPOTENCY_KEY_REUSED"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_key_a_booking_is_still_charged_once() {
    let (stack, _net, booking, token) = booked(1).await;
    let results =
        futures::future::join_all((0..20).map(|_| pay_with(&stack, &token, json!({"bookingId": booking}), None))).await;
    let statuses: Vec<u16> = results.iter().map(|r| r.0).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 1, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 409).count(), 19, "{statuses:?}");
    assert!(results.iter().filter(|r| r.0 == 409).all(|r| r.1.contains("BOOKING_ALREADY_PAID")));
    assert_eq!(successful_payments(&stack, booking).await, 1);
}

#[tokio::test]
async fn declines_mismatches_and_out_of_order_payments() {
    let (stack, _net, booking, token) = booked(2).await;
    let (status, text, _) = pay_with(
        &stack,
        &token,
        json!({"bookingId": booking, "method": {"type": "card", "cardNumber": "4000 0000 0000 0002"}}),
        None,
    )
    .await;
    assert_eq!(status, 402, "{text}");
    assert!(text.contains("PAYMENT_DECLINED"));
    let (status, text, _) = pay_with(&stack, &token, json!({"bookingId": booking, "amount": 4999}), None).await;
    assert_eq!(status, 422, "{text}");
    assert!(text.contains("AMOUNT_MISMATCH"));
    let (status, text, _) = pay_with(
        &stack,
        &token,
        json!({"bookingId": booking, "method": "card", "cardNumber": "4000000000000119"}),
        None,
    )
    .await;
    assert_eq!(status, 503, "a processing error asks for a retry: {text}");
    let (status, text, _) =
        pay_with(&stack, &token, json!({"bookingId": booking, "method": "card", "cardNumber": "1234"}), None).await;
    assert_eq!(status, 400, "{text}");
    let (_, other) = customer(&stack, "thief@example.com").await;
    assert_eq!(pay_with(&stack, &other, json!({"bookingId": booking}), None).await.0, 404);
    assert_eq!(pay_with(&stack, &token, json!({"bookingId": booking, "userId": 999}), None).await.0, 403);
    // Still payable after all that.
    let (status, text, _) = pay_with(
        &stack,
        &token,
        json!({"bookingId": booking, "method": {"type": "card", "number": "4242424242424242"}}),
        None,
    )
    .await;
    assert_eq!(status, 200, "{text}");
    let (status, text, _) = pay_with(&stack, &token, json!({"bookingId": booking}), None).await;
    assert_eq!((status, text.contains("BOOKING_ALREADY_PAID")), (409, true));

    // An expired booking cannot be paid.
    let (status, second) =
        create_booking(&stack, &token, json!({"flightId": booked_flight(&stack).await, "seats": 1})).await;
    assert_eq!(status, 201, "{second}");
    stack
        .db()
        .await
        .execute(
            "UPDATE bookings SET expires_at = now() - interval '1 second' WHERE id = $1",
            &[&second["id"].as_i64().unwrap()],
        )
        .await
        .unwrap();
    let (status, text, _) = pay_with(&stack, &token, json!({"bookingId": second["id"]}), None).await;
    assert_eq!((status, text.contains("BOOKING_EXPIRED")), (409, true), "{text}");
}

async fn booked_flight(stack: &TestStack) -> i64 {
    stack.db().await.query_one("SELECT min(id) FROM flights", &[]).await.unwrap().get(0)
}

async fn tickets_of(stack: &TestStack, booking: i64) -> i64 {
    stack.db().await.query_one("SELECT count(*) FROM tickets WHERE booking_id = $1", &[&booking]).await.unwrap().get(0)
}

fn sqs_event(bodies: &[String]) -> aws_lambda_events::sqs::SqsEvent {
    let records: Vec<Value> = bodies
        .iter()
        .enumerate()
        .map(|(i, body)| json!({"messageId": format!("m{i}"), "receiptHandle": format!("r{i}"), "body": body, "eventSource": "aws:sqs"}))
        .collect();
    serde_json::from_value(json!({"Records": records})).unwrap()
}

#[tokio::test]
async fn the_same_ticketing_message_three_times_issues_one_set_and_poison_is_reported_alone() {
    let (stack, _net, booking, token) = booked(2).await;
    assert_eq!(pay_with(&stack, &token, json!({"bookingId": booking}), None).await.0, 200);
    let good = json!({"type": "booking.paid", "bookingId": booking}).to_string();
    let event =
        sqs_event(&[good.clone(), "not json".into(), good.clone(), json!({"bookingId": 999999}).to_string(), good]);
    let response = tickets_issue::handle(&stack.services, event).await.unwrap();
    let failed: Vec<&str> = response.batch_item_failures.iter().map(|f| f.item_identifier.as_str()).collect();
    assert_eq!(failed, vec!["m1", "m3"]);
    assert_eq!(tickets_of(&stack, booking).await, 2, "one ticket per passenger, once");
    let invoices: i64 = stack.db().await.query_one("SELECT count(*) FROM invoices", &[]).await.unwrap().get(0);
    assert_eq!(invoices, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_poison_ticketing_message_ends_in_the_dead_letter_queue() {
    let stack = TestStack::new().await;
    let aws = stack.services.aws().await;
    let queue = &stack.resources.refs["TicketingQueue"];
    let dlq = &stack.resources.refs["TicketingDeadLetterQueue"];
    aws.sqs
        .set_queue_attributes()
        .queue_url(queue)
        .attributes(aws_sdk_sqs::types::QueueAttributeName::VisibilityTimeout, "1")
        .send()
        .await
        .unwrap();
    aws.sqs.send_message().queue_url(queue).message_body("{poison").send().await.unwrap();
    stack.start_queue_consumers();
    let deadline = Instant::now() + Duration::from_secs(25);
    loop {
        let received = aws.sqs.receive_message().queue_url(dlq).wait_time_seconds(1).send().await.unwrap();
        if let Some(message) = received.messages.unwrap_or_default().first() {
            assert_eq!(message.body.as_deref(), Some("{poison"));
            break;
        }
        assert!(Instant::now() < deadline, "the poison message never reached the DLQ");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_between_commit_and_send_still_issues_the_tickets_once() {
    let (stack, _net, booking, token) = booked(1).await;
    // The payment commits but the queue is unreachable: the outbox keeps the message.
    let mut env = stack.env.clone();
    env.insert("TICKETING_QUEUE_URL".into(), "http://127.0.0.1:1/000000000000/unreachable".into());
    env.insert("NOTIFICATIONS_TOPIC_ARN".into(), "arn:aws:sns:ap-south-1:000000000000:unreachable".into());
    let config = shared::Config::from_lookup(|k| env.get(k).cloned().or_else(|| std::env::var(k).ok())).unwrap();
    let cut_off = shared::Services::new(config).unwrap();
    let req = request_with(
        "POST",
        "/api/payments/pay",
        Some(json!({"bookingId": booking}).to_string()),
        Some(&token),
        &[],
        &[],
    );
    let response = payments_pay::handle(&cut_off, req).await.unwrap();
    assert_eq!(response.status(), 200);
    let unsent: i64 = stack
        .db()
        .await
        .query_one("SELECT count(*) FROM outbox WHERE sent_at IS NULL AND destination = 'TICKETING'", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(unsent, 1);
    assert_eq!(tickets_of(&stack, booking).await, 0);

    // The schedule drains the outbox; the consumer issues the tickets.
    stack.start_queue_consumers();
    let sweep = bookings_expire::handle(&stack.services, json!({})).await.unwrap();
    assert!(sweep["outboxSent"].as_i64().unwrap() >= 1, "{sweep}");
    let deadline = Instant::now() + Duration::from_secs(15);
    while tickets_of(&stack, booking).await == 0 {
        assert!(Instant::now() < deadline, "tickets never issued");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // A second drain and a duplicate send change nothing.
    bookings_expire::handle(&stack.services, json!({})).await.unwrap();
    stack
        .services
        .aws()
        .await
        .sqs
        .send_message()
        .queue_url(&stack.resources.refs["TicketingQueue"])
        .message_body(json!({"bookingId": booking}).to_string())
        .send()
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(tickets_of(&stack, booking).await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_code_with_one_use_left_used_concurrently_succeeds_once() {
    let stack = TestStack::new().await;
    let net = Network::new(&stack).await;
    let db = stack.db().await;
    local_stack::seed::seed_discount_codes(&db).await.unwrap();
    db.execute("UPDATE discount_codes SET usage_limit = 1, per_user_limit = 5 WHERE code = 'FLY100'", &[])
        .await
        .unwrap();
    let mut attempts = Vec::new();
    for i in 0..8 {
        let flight = net.flight(&format!("XY{}", 10 + i), "AAA", "DDD", 6 * 60 + i * 10, 120, 250000).await;
        let (_, token) = customer(&stack, &format!("d{i}@example.com")).await;
        let (_, booking) = create_booking(&stack, &token, json!({"flightId": flight, "seats": 1})).await;
        attempts.push((token, booking["id"].as_i64().unwrap()));
    }
    let apply = local_stack::registry::http_handler("discounts-apply").unwrap();
    let results = futures::future::join_all(attempts.iter().map(|(token, booking)| {
        call(
            apply,
            &stack,
            "POST",
            "/api/discounts/apply",
            &[],
            Some(json!({"bookingId": booking, "code": "fly100"})),
            token,
        )
    }))
    .await;
    let statuses: Vec<u16> = results.iter().map(|r| r.0).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 1, "{statuses:?}");
    assert!(
        results.iter().filter(|r| r.0 != 200).all(|r| r.0 == 422 && r.1["code"] == "DISCOUNT_EXHAUSTED"),
        "{results:?}"
    );
    let used: i32 =
        db.query_one("SELECT usage_count FROM discount_codes WHERE code = 'FLY100'", &[]).await.unwrap().get(0);
    assert_eq!(used, 1);
}

#[tokio::test]
async fn discounts_before_payment_lower_the_amount_due_and_one_code_per_booking() {
    let (stack, _net, booking, token) = booked(2).await;
    local_stack::seed::seed_discount_codes(&stack.db().await).await.unwrap();
    let apply = local_stack::registry::http_handler("discounts-apply").unwrap();
    let (status, body) = call(
        apply,
        &stack,
        "POST",
        "/api/discounts/apply",
        &[],
        Some(json!({"bookingId": booking, "code": "SAVE200"})),
        &token,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["amountDue"]["amount"], 480000);
    assert_eq!(body["cashback"]["amount"], 0);
    let (status, body) = call(
        apply,
        &stack,
        "POST",
        "/api/discounts/apply",
        &[],
        Some(json!({"bookingId": booking, "code": "FLY100"})),
        &token,
    )
    .await;
    assert_eq!((status, body["code"].as_str()), (409, Some("DISCOUNT_ALREADY_APPLIED")));
    let (status, body) = call(
        apply,
        &stack,
        "POST",
        "/api/discounts/apply",
        &[],
        Some(json!({"bookingId": booking, "code": "NOPE99"})),
        &token,
    )
    .await;
    assert_eq!(status, 404, "{body}");
    // The original amount no longer matches; the discounted one does.
    assert_eq!(pay_with(&stack, &token, json!({"bookingId": booking, "amount": 5000}), None).await.0, 422);
    assert_eq!(pay_with(&stack, &token, json!({"bookingId": booking, "amount": 4800}), None).await.0, 200);
}

#[tokio::test]
async fn cancelling_a_paid_saver_booking_keeps_its_penalty_and_voids_its_tickets() {
    let (stack, _net, booking, token) = booked(2).await;
    local_stack::seed::seed_discount_codes(&stack.db().await).await.unwrap();
    assert_eq!(pay_with(&stack, &token, json!({"bookingId": booking}), None).await.0, 200);
    let apply = local_stack::registry::http_handler("discounts-apply").unwrap();
    let (status, body) = call(
        apply,
        &stack,
        "POST",
        "/api/discounts/apply",
        &[],
        Some(json!({"bookingId": booking, "code": "FLY100"})),
        &token,
    )
    .await;
    assert_eq!((status, body["cashback"]["amount"].as_i64()), (200, Some(10000)), "{body}");
    let generate = local_stack::registry::http_handler("tickets-generate").unwrap();
    let (status, tickets) =
        call(generate, &stack, "POST", "/api/tickets/generate", &[], Some(json!({"bookingId": booking})), &token).await;
    assert_eq!(status, 200, "{tickets}");
    let cancel = local_stack::registry::http_handler("bookings-cancel").unwrap();
    let id = booking.to_string();
    let (status, cancelled) =
        call(cancel, &stack, "POST", &format!("/api/bookings/{id}/cancel"), &[("bookingId", &id)], None, &token).await;
    assert_eq!(status, 200, "{cancelled}");
    assert_eq!(cancelled["status"], "CANCELLED");
    // Saver keeps ₹3,500 a passenger, more than each ₹2,500 seat paid: nothing
    // comes back (the fare rules, domain::cancellation; once "all but the
    // cashback", 490000). The cashback, refunded already, stays given.
    assert_eq!(cancelled["refund"]["amount"], 0);
    let db = stack.db().await;
    let voided: i64 = db
        .query_one("SELECT count(*) FROM tickets WHERE booking_id = $1 AND status = 'VOID'", &[&booking])
        .await
        .unwrap()
        .get(0);
    assert_eq!(voided, 2);
    let live: i64 = db
        .query_one("SELECT count(*) FROM booking_seats WHERE booking_id = $1 AND live", &[&booking])
        .await
        .unwrap()
        .get(0);
    assert_eq!(live, 0);
}

#[tokio::test]
async fn unpaid_tickets_are_409_and_the_invoice_is_a_real_pdf() {
    let (stack, _net, booking, token) = booked(1).await;
    let generate = local_stack::registry::http_handler("tickets-generate").unwrap();
    let (status, body) =
        call(generate, &stack, "POST", "/api/tickets/generate", &[], Some(json!({"booking_id": booking})), &token)
            .await;
    assert_eq!((status, body["code"].as_str()), (409, Some("BOOKING_NOT_PAID")));
    assert_eq!(pay_with(&stack, &token, json!({"bookingId": booking}), None).await.0, 200);
    let (status, body) =
        call(generate, &stack, "POST", "/api/tickets/generate", &[], Some(json!({"booking_id": booking})), &token)
            .await;
    assert_eq!(status, 200, "{body}");
    let ticket_id = body["tickets"][0]["id"].as_i64().unwrap().to_string();
    let (_, stranger) = customer(&stack, "nosy@example.com").await;
    let get = local_stack::registry::http_handler("tickets-get").unwrap();
    assert_eq!(
        call(get, &stack, "GET", &format!("/api/tickets/{ticket_id}"), &[("ticketId", &ticket_id)], None, &stranger)
            .await
            .0,
        404
    );

    let req = request_with(
        "GET",
        &format!("/api/tickets/{ticket_id}/invoice"),
        None,
        Some(&token),
        &[("ticketId", &ticket_id)],
        &[("accept", "application/pdf")],
    );
    let response = tickets_invoice::handle(&stack.services, req).await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/pdf");
    let lambda_http::Body::Binary(pdf) = response.body() else { panic!("binary body") };
    assert!(pdf.starts_with(b"%PDF-"));
    let text = pdf_extract::extract_text_from_mem(pdf).unwrap();
    assert!(text.contains("07AAFCF1234M1Z5"), "GSTIN in {text}");
    assert!(text.contains(body["pnr"].as_str().unwrap()), "PNR in {text}");

    let req = request_with(
        "GET",
        &format!("/api/tickets/{ticket_id}/invoice"),
        None,
        Some(&token),
        &[("ticketId", &ticket_id)],
        &[],
    );
    let json_invoice = body_json(&tickets_invoice::handle(&stack.services, req).await.unwrap());
    assert!(json_invoice["invoiceNumber"].as_str().unwrap().starts_with("FB/"), "{json_invoice}");
}

/// The payment committed but its answer was lost (a deadline, or DynamoDB
/// failing before the answer was recorded): a retry under the same
/// `Idempotency-Key` gets the success — the same payment, nothing charged
/// twice — and another key still gets `409 BOOKING_ALREADY_PAID`.
#[tokio::test]
async fn a_retry_after_a_lost_answer_gets_the_success_under_the_same_key() {
    let (stack, _net, booking, token) = booked(1).await;
    let caller = shared::http::Caller {
        user_id: body_json_user(&stack, &token).await,
        role: shared::auth::tokens::Role::Customer,
        name: None,
    };
    // The first attempt: paid in Postgres, and no idempotency record written.
    let first = shared::service::payments::pay(
        &stack.services,
        &caller,
        shared::service::payments::PayRequest {
            booking_id: booking,
            expected_amount: None,
            method: shared::domain::payment::PaymentMethod::Wallet,
            idempotency_key: Some("lost-answer-1".into()),
        },
    )
    .await
    .unwrap();

    let (status, text, replayed) = pay_with(&stack, &token, json!({"bookingId": booking}), Some("lost-answer-1")).await;
    assert_eq!(status, 200, "{text}");
    assert!(!replayed, "nothing was recorded to replay: the answer comes from Postgres");
    let retried: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(retried["paymentId"], first.payment_id);
    assert_eq!(retried["status"], "SUCCEEDED");
    assert_eq!(retried["booking"]["status"], "PAID");
    assert_eq!(successful_payments(&stack, booking).await, 1);

    let (status, text, _) = pay_with(&stack, &token, json!({"bookingId": booking}), Some("another-key")).await;
    assert_eq!(status, 409, "{text}");
    assert!(text.contains("BOOKING_ALREADY_PAID"), "{text}");
    // And the recorded answer now replays.
    let (status, again, replayed) =
        pay_with(&stack, &token, json!({"bookingId": booking}), Some("lost-answer-1")).await;
    assert_eq!((status, replayed), (200, true));
    assert_eq!(serde_json::from_str::<Value>(&again).unwrap()["paymentId"], first.payment_id);
}

/// A write cut by the handler's deadline may have committed: its `503` says
/// so and points at the Idempotency-Key, never "nothing was changed"; a read
/// cut by it is the plain `503`.
#[tokio::test]
async fn a_write_cut_by_its_deadline_does_not_claim_nothing_changed() {
    let slow = |_req| async {
        tokio::time::sleep(Duration::from_secs(5)).await;
        Ok(lambda_http::Response::new(lambda_http::Body::Empty))
    };
    let deadline = Duration::from_millis(50);
    let write = request("POST", "/api/payments/pay", Some(json!({"bookingId": 1})), None);
    let response = shared::http::serve(write, deadline, slow).await.unwrap();
    let doc = assert_problem(&response, 503, "SERVICE_UNAVAILABLE");
    let detail = doc["detail"].as_str().unwrap();
    assert!(detail.contains("Idempotency-Key") && !detail.contains("nothing was changed"), "{detail}");
    assert!(response.headers().contains_key("retry-after"));

    let read = request("GET", "/api/bookings", None, None);
    let doc = assert_problem(&shared::http::serve(read, deadline, slow).await.unwrap(), 503, "SERVICE_UNAVAILABLE");
    assert!(doc["detail"].as_str().unwrap().contains("nothing was changed"), "{doc}");
}

async fn body_json_user(stack: &TestStack, token: &str) -> i64 {
    let response = auth_me::handle(&stack.services, request("GET", "/api/auth/me", None, Some(token))).await.unwrap();
    body_json(&response)["id"].as_i64().or_else(|| body_json(&response)["userId"].as_i64()).unwrap()
}
