//! The original specification's 12-step walkthrough, with its exact bodies,
//! over HTTP through the local gateway on a freshly seeded stack; only its
//! past search date is replaced by flight 1's date.

use crate::support::*;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_original_walkthrough_runs_end_to_end() {
    let stack = TestStack::new().await;
    let db = stack.db().await;
    let today = local_stack::seed::demo_today();
    local_stack::seed::seed_demo(&db, today, 2).await.unwrap();
    let base = stack.start_gateway().await;
    stack.start_queue_consumers();
    let http = reqwest::Client::new();
    let date = (today + chrono::Duration::days(1)).to_string();

    async fn send(http: &reqwest::Client, req: reqwest::RequestBuilder, expect: u16, step: &str) -> Value {
        let response = req.send().await.unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        assert_eq!(status, expect, "step {step}: {text}");
        let _ = http;
        serde_json::from_str(&text).unwrap_or(Value::Null)
    }

    // 1. Signup
    let signup = send(
        &http,
        http.post(format!("{base}/api/auth/signup"))
            .json(&json!({"name": "John", "email": "john@example.com", "password": "test123"})),
        201,
        "1 signup",
    )
    .await;
    assert_eq!(signup["userId"], 1);
    // 2. Login
    let login = send(
        &http,
        http.post(format!("{base}/api/auth/login")).json(&json!({"email": "john@example.com", "password": "test123"})),
        200,
        "2 login",
    )
    .await;
    let token = login["token"].as_str().unwrap().to_string();
    assert_eq!(login["userId"], 1);
    // 3. Search flights
    let search = send(
        &http,
        http.get(format!("{base}/api/flights/search?source=DEL&destination=BOM&date={date}")).bearer_auth(&token),
        200,
        "3 search",
    )
    .await;
    assert!(
        search["flights"].as_array().unwrap().iter().any(|f| f["id"] == 1 && f["flight_number"] == "AI101"),
        "flight 1 in {search}"
    );
    for row in search["flights"].as_array().unwrap() {
        let rupees = row["price"].as_f64().unwrap();
        assert_eq!(row["price_money"]["amount"].as_f64(), Some((rupees * 100.0).round()), "{row}");
        assert_eq!(row["price_money"]["currency"], row["currency"], "{row}");
    }
    // 4. Check available seats
    let seats = send(&http, http.get(format!("{base}/api/seats/1")).bearer_auth(&token), 200, "4 seats").await;
    assert!(seats["availableSeats"].as_array().unwrap().iter().any(|s| s == "1A"));
    // 5. Lock a seat
    let lock = send(
        &http,
        http.post(format!("{base}/api/seats/lock"))
            .bearer_auth(&token)
            .json(&json!({"flightId": 1, "userId": 1, "seatNumber": "A1"})),
        200,
        "5 lock",
    )
    .await;
    assert_eq!(lock["seatNumbers"], json!(["1A"]));
    // 6. Create booking
    let booking = send(
        &http,
        http.post(format!("{base}/api/bookings/create"))
            .bearer_auth(&token)
            .json(&json!({"userId": 1, "flightId": 1, "price": 5000, "seats": 2})),
        201,
        "6 booking",
    )
    .await;
    assert_eq!(booking["id"], 1);
    assert_eq!(booking["amountDue"]["amount"], 500000);
    // 7. Get booking details
    let details =
        send(&http, http.get(format!("{base}/api/bookings/1/1")).bearer_auth(&token), 200, "7 booking details").await;
    assert_eq!(details["status"], "PENDING_PAYMENT");
    // 8. Initiate payment
    let payment = send(
        &http,
        http.post(format!("{base}/api/payments/pay"))
            .bearer_auth(&token)
            .json(&json!({"bookingId": 1, "amount": 5000, "userId": 1})),
        200,
        "8 pay",
    )
    .await;
    assert_eq!(payment["status"], "SUCCEEDED");
    assert_eq!(payment["booking"]["status"], "PAID");
    // 9. Apply discount code (after payment: cashback)
    let discount = send(
        &http,
        http.post(format!("{base}/api/discounts/apply"))
            .bearer_auth(&token)
            .json(&json!({"bookingId": 1, "code": "FLY100"})),
        200,
        "9 discount",
    )
    .await;
    assert_eq!(discount["cashback"]["amount"], 10000);
    assert_eq!(discount["finalAmount"]["amount"], 490000);
    // 10. Generate ticket
    let tickets = send(
        &http,
        http.post(format!("{base}/api/tickets/generate")).bearer_auth(&token).json(&json!({"booking_id": 1})),
        200,
        "10 tickets",
    )
    .await;
    assert_eq!(tickets["tickets"].as_array().unwrap().len(), 2, "{tickets}");
    // 11. Get ticket
    let ticket = send(&http, http.get(format!("{base}/api/tickets/1")).bearer_auth(&token), 200, "11 ticket").await;
    assert_eq!(ticket["ticketNumber"].as_str().unwrap().len(), 13);
    assert_eq!(ticket["pnr"], booking["pnr"]);
    // The cashback is on the invoice when the tickets were issued after it;
    // the ticketing queue may have issued them at payment, and an issued
    // invoice never changes: then the cashback is a credit note against it.
    let documents =
        send(&http, http.get(format!("{base}/api/bookings/1/documents")).bearer_auth(&token), 200, "11 documents")
            .await;
    let on_invoice = ticket["invoice"]["cashback"]["amount"].as_i64();
    let credited: Vec<i64> = documents["documents"]
        .as_array()
        .unwrap()
        .iter()
        .skip(1)
        .map(|d| d["total"]["amount"].as_i64().unwrap())
        .collect();
    match on_invoice {
        Some(amount) => assert_eq!((amount, credited.len()), (10000, 0), "{documents}"),
        None => assert_eq!(credited, [10000], "{ticket} {documents}"),
    }
    // Beside the integers the walkthrough reads, the same amounts as money.
    assert_money_beside(&ticket["invoice"], "total", "INR");
    if on_invoice.is_some() {
        assert_eq!(ticket["invoice"]["cashback"]["formatted"], "₹100.00", "{ticket}");
    }
    let invoice = &documents["documents"][0]["document"];
    assert_money_beside(invoice, "invoiceTotal", "INR");
    assert_eq!(invoice["invoiceTotalMoney"], documents["documents"][0]["total"]);
    // 12. Send notification
    let sent = send(
        &http,
        http.post(format!("{base}/api/notifications/send"))
            .bearer_auth(&token)
            .json(&json!({"userId": 1, "message": "ticket booked"})),
        202,
        "12 notify",
    )
    .await;
    assert!(sent["notificationId"].as_str().is_some());

    // The asynchronous side: confirmation, tickets, cashback and the message
    // arrive through SNS → SQS → notifications-deliver.
    let deadline = Instant::now() + Duration::from_secs(15);
    let wanted = ["BOOKING_CONFIRMED", "TICKET_ISSUED", "REFUND", "MESSAGE"];
    loop {
        let list = send(
            &http,
            http.get(format!("{base}/api/notifications?limit=50")).bearer_auth(&token),
            200,
            "notifications",
        )
        .await;
        let kinds: Vec<String> = list["notifications"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|n| n["kind"].as_str().map(str::to_owned))
            .collect();
        if wanted.iter().all(|k| kinds.iter().any(|seen| seen == k)) {
            break;
        }
        assert!(Instant::now() < deadline, "notifications so far: {kinds:?}");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let issued: i64 = db.query_one("SELECT count(*) FROM tickets WHERE booking_id = 1", &[]).await.unwrap().get(0);
    assert_eq!(issued, 2, "the consumer and tickets-generate issued one set between them");
}
