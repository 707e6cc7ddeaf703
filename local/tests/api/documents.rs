//! A booking's GST documents: the invoice is read back as issued, never
//! worked out again; every refund after it is a credit note with a gap-free
//! number of its own; `bookings-documents` lists them for the owner only.

use crate::support::*;
use lambda_http::{Body, Response};
use serde_json::{json, Value};

/// A paid booking of `seats` seats on a new flight `number`, its tickets
/// issued. Returns the booking id.
async fn ticketed(stack: &TestStack, net: &Network, token: &str, number: &str, seats: u8) -> i64 {
    let flight = net.flight(number, "AAA", "DDD", 6 * 60, 120, 250000).await;
    let (status, booking) = create_booking(stack, token, json!({"flightId": flight, "seats": seats})).await;
    assert_eq!(status, 201, "{booking}");
    let id = booking["id"].as_i64().unwrap();
    let pay = local_stack::registry::http_handler("payments-pay").unwrap();
    let (status, paid) =
        call(pay, stack, "POST", "/api/payments/pay", &[], Some(json!({"bookingId": id})), token).await;
    assert_eq!(status, 200, "{paid}");
    let generate = local_stack::registry::http_handler("tickets-generate").unwrap();
    let (status, tickets) =
        call(generate, stack, "POST", "/api/tickets/generate", &[], Some(json!({"bookingId": id})), token).await;
    assert_eq!(status, 200, "{tickets}");
    id
}

async fn documents_response(
    stack: &TestStack,
    token: &str,
    booking: i64,
    query: &str,
    accept: &[(&str, &str)],
) -> Response<Body> {
    let id = booking.to_string();
    let path = format!("/api/bookings/{id}/documents{query}");
    let req = request_with("GET", &path, None, Some(token), &[("bookingId", &id)], accept);
    bookings_documents::handle(&stack.services, req).await.unwrap()
}

async fn documents(stack: &TestStack, token: &str, booking: i64) -> Value {
    let response = documents_response(stack, token, booking, "", &[]).await;
    assert_eq!(response.status(), 200);
    body_json(&response)
}

fn pdf_bytes(response: &Response<Body>) -> Vec<u8> {
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/pdf");
    let Body::Binary(pdf) = response.body() else { panic!("binary body") };
    assert!(pdf.starts_with(b"%PDF"));
    pdf.clone()
}

/// The invoice through `tickets-invoice`: (JSON, PDF bytes).
async fn invoice_of(stack: &TestStack, token: &str, ticket: &str) -> (Value, Vec<u8>) {
    let path = format!("/api/tickets/{ticket}/invoice");
    let json_req = request_with("GET", &path, None, Some(token), &[("ticketId", ticket)], &[]);
    let json = body_json(&tickets_invoice::handle(&stack.services, json_req).await.unwrap());
    let pdf_req =
        request_with("GET", &path, None, Some(token), &[("ticketId", ticket)], &[("accept", "application/pdf")]);
    let pdf = pdf_bytes(&tickets_invoice::handle(&stack.services, pdf_req).await.unwrap());
    (json, pdf)
}

async fn cancel(stack: &TestStack, token: &str, booking: i64) -> Value {
    let cancel = local_stack::registry::http_handler("bookings-cancel").unwrap();
    let id = booking.to_string();
    let (status, body) =
        call(cancel, stack, "POST", &format!("/api/bookings/{id}/cancel"), &[("bookingId", &id)], None, token).await;
    assert_eq!(status, 200, "{body}");
    body
}

/// The airline cancels the booking's flight: its refund is everything paid.
async fn ground(stack: &TestStack, booking: i64) {
    let db = stack.db().await;
    db.execute(
        "UPDATE flights SET status = 'CANCELLED', cancelled_at = now()
          WHERE id IN (SELECT flight_id FROM booking_seats WHERE booking_id = $1)",
        &[&booking],
    )
    .await
    .unwrap();
}

async fn first_ticket(stack: &TestStack, booking: i64) -> String {
    let db = stack.db().await;
    let row = db.query_one("SELECT min(id) FROM tickets WHERE booking_id = $1", &[&booking]).await.unwrap();
    row.get::<_, i64>(0).to_string()
}

#[tokio::test]
async fn an_issued_invoice_is_byte_for_byte_the_same_after_the_booking_is_cancelled() {
    let stack = TestStack::new().await;
    let net = Network::new(&stack).await;
    let (_, token) = customer(&stack, "keeper@example.com").await;
    let booking = ticketed(&stack, &net, &token, "XY1", 2).await;
    let ticket = first_ticket(&stack, booking).await;
    let (json_before, pdf_before) = invoice_of(&stack, &token, &ticket).await;
    let listed_before = documents(&stack, &token, booking).await["documents"][0].clone();
    assert_eq!(json_before["lines"].as_array().unwrap().len(), 2, "{json_before}");

    cancel(&stack, &token, booking).await;

    let (json_after, pdf_after) = invoice_of(&stack, &token, &ticket).await;
    assert_eq!(json_after, json_before, "the issued invoice's JSON changed");
    assert!(pdf_after == pdf_before, "the issued invoice's PDF changed");
    assert_eq!(documents(&stack, &token, booking).await["documents"][0], listed_before);
    assert_eq!(listed_before["document"], json_before, "the list serves the invoice as issued");
}

#[tokio::test]
async fn the_cancellation_refund_is_a_credit_note_against_the_invoice_for_what_was_refunded() {
    let stack = TestStack::new().await;
    let net = Network::new(&stack).await;
    let (_, token) = customer(&stack, "refunded@example.com").await;
    let booking = ticketed(&stack, &net, &token, "XY1", 2).await;
    // A whole refund: the airline cancelled the flight (a customer's own
    // Saver cancellation would keep the penalty, domain::cancellation).
    ground(&stack, booking).await;
    let cancelled = cancel(&stack, &token, booking).await;
    let refund = cancelled["refund"]["amount"].as_i64().unwrap();
    assert_eq!(refund, 500000);

    let body = documents(&stack, &token, booking).await;
    assert_eq!(body["bookingId"], booking);
    let listed = body["documents"].as_array().unwrap();
    assert_eq!(listed.len(), 2, "{body}");
    let (invoice, note) = (&listed[0], &listed[1]);
    assert_eq!((invoice["type"].as_str(), &invoice["references"]), (Some("INVOICE"), &Value::Null));
    assert_eq!(note["type"], "CREDIT_NOTE");
    assert_eq!(note["references"], invoice["number"]);
    assert_eq!(note["document"]["invoiceNumber"], invoice["number"]);
    assert_eq!(note["document"]["reason"], "CANCELLATION");
    assert_eq!(note["total"], json!({"amount": refund, "currency": "INR", "formatted": "₹5,000.00"}));
    assert!(note["number"].as_str().unwrap().starts_with("CN/"), "{note}");
    assert_eq!(note["taxableValue"], invoice["taxableValue"], "a whole refund mirrors the invoice");
    assert_eq!(note["gst"], invoice["gst"]);
    // The note as stored, with money beside its integers, agreeing with the list's figures.
    for field in ["taxableValue", "cgst", "sgst", "igst", "totalTax", "creditTotal"] {
        assert_money_beside(&note["document"], field, "INR");
    }
    assert_money_beside(&note["document"]["lines"][0], "total", "INR");
    assert_eq!(note["document"]["creditTotalMoney"], note["total"]);
    assert_eq!(note["document"]["taxableValueMoney"], note["taxableValue"]);
    assert!(invoice["issuedAt"].as_str() <= note["issuedAt"].as_str());

    // One document by its number: JSON, and its PDF either way it is asked for.
    let number = note["number"].as_str().unwrap();
    let one = documents_response(&stack, &token, booking, &format!("?number={number}"), &[]).await;
    assert_eq!(body_json(&one), *note);
    let by_query = documents_response(&stack, &token, booking, &format!("?number={number}&format=pdf"), &[]).await;
    let pdf = pdf_bytes(&by_query);
    let by_accept =
        documents_response(&stack, &token, booking, &format!("?number={number}"), &[("accept", "application/pdf")])
            .await;
    assert_eq!(pdf_bytes(&by_accept), pdf);
    let text = pdf_extract::extract_text_from_mem(&pdf).unwrap();
    for expected in ["CREDIT NOTE", number, invoice["number"].as_str().unwrap(), "INR 5,000.00"] {
        assert!(text.contains(expected), "{expected:?} missing from {text}");
    }
    let missing = documents_response(&stack, &token, booking, "?number=CN/1999/000001", &[]).await;
    assert_problem(&missing, 404, "NOT_FOUND");
    let unnamed = documents_response(&stack, &token, booking, "?format=pdf", &[]).await;
    assert_problem(&unnamed, 400, "INVALID_FIELD");
}

#[tokio::test]
async fn cashback_after_the_invoice_is_a_credit_note_and_the_cancellation_credits_the_rest() {
    let stack = TestStack::new().await;
    let net = Network::new(&stack).await;
    local_stack::seed::seed_discount_codes(&stack.db().await).await.unwrap();
    let (_, token) = customer(&stack, "cashback@example.com").await;
    let booking = ticketed(&stack, &net, &token, "XY1", 2).await;
    let ticket = first_ticket(&stack, booking).await;
    let (invoice_before, pdf_before) = invoice_of(&stack, &token, &ticket).await;
    let apply = local_stack::registry::http_handler("discounts-apply").unwrap();
    let body = json!({"bookingId": booking, "code": "FLY100"});
    let (status, applied) = call(apply, &stack, "POST", "/api/discounts/apply", &[], Some(body), &token).await;
    assert_eq!((status, applied["cashback"]["amount"].as_i64()), (200, Some(10000)), "{applied}");

    let (invoice_after, pdf_after) = invoice_of(&stack, &token, &ticket).await;
    assert_eq!(invoice_after, invoice_before, "a cashback after issue leaves the invoice as it was");
    assert!(invoice_after["cashback"].is_null());
    assert!(pdf_after == pdf_before);
    let listed = documents(&stack, &token, booking).await;
    let note = &listed["documents"][1];
    assert_eq!((note["type"].as_str(), note["total"]["amount"].as_i64()), (Some("CREDIT_NOTE"), Some(10000)));
    assert_eq!(note["document"]["reason"], "CASHBACK");
    assert_eq!(note["references"], invoice_before["invoiceNumber"]);
    let (taxable, gst) = (note["taxableValue"]["amount"].as_i64().unwrap(), note["gst"]["amount"].as_i64().unwrap());
    assert_eq!(taxable + gst, 10000);
    assert!(gst > 0, "the cashback carries its share of GST back");

    ground(&stack, booking).await;
    let cancelled = cancel(&stack, &token, booking).await;
    assert_eq!(cancelled["refund"]["amount"], 490000);
    let listed = documents(&stack, &token, booking).await;
    let types: Vec<&str> =
        listed["documents"].as_array().unwrap().iter().map(|d| d["type"].as_str().unwrap()).collect();
    assert_eq!(types, ["INVOICE", "CREDIT_NOTE", "CREDIT_NOTE"], "in issue order");
    let notes = &listed["documents"].as_array().unwrap()[1..];
    assert_eq!(notes[1]["total"]["amount"], 490000);
    let credited_gst: i64 = notes.iter().map(|n| n["gst"]["amount"].as_i64().unwrap()).sum();
    assert_eq!(credited_gst, invoice_before["totalTax"].as_i64().unwrap(), "the invoice's GST credited exactly");
    let numbers: Vec<&str> = notes.iter().map(|n| n["number"].as_str().unwrap()).collect();
    assert!(numbers[0] < numbers[1], "{numbers:?}");
}

#[tokio::test]
async fn a_cashback_before_the_tickets_shows_on_the_invoice_and_needs_no_credit_note() {
    let stack = TestStack::new().await;
    let net = Network::new(&stack).await;
    local_stack::seed::seed_discount_codes(&stack.db().await).await.unwrap();
    let (_, token) = customer(&stack, "early@example.com").await;
    let flight = net.flight("XY1", "AAA", "DDD", 6 * 60, 120, 250000).await;
    let (_, booking) = create_booking(&stack, &token, json!({"flightId": flight, "seats": 1})).await;
    let id = booking["id"].as_i64().unwrap();
    let pay = local_stack::registry::http_handler("payments-pay").unwrap();
    assert_eq!(
        call(pay, &stack, "POST", "/api/payments/pay", &[], Some(json!({"bookingId": id})), &token).await.0,
        200
    );
    let apply = local_stack::registry::http_handler("discounts-apply").unwrap();
    let body = json!({"bookingId": id, "code": "FLY100"});
    assert_eq!(call(apply, &stack, "POST", "/api/discounts/apply", &[], Some(body), &token).await.0, 200);
    let generate = local_stack::registry::http_handler("tickets-generate").unwrap();
    let (status, tickets) =
        call(generate, &stack, "POST", "/api/tickets/generate", &[], Some(json!({"bookingId": id})), &token).await;
    assert_eq!(status, 200, "{tickets}");
    let listed = documents(&stack, &token, id).await;
    assert_eq!(listed["documents"].as_array().unwrap().len(), 1, "{listed}");
    let cashback = &listed["documents"][0]["document"]["cashback"];
    assert_eq!(cashback["amount"], 10000);
    assert_eq!((cashback["currency"].as_str(), cashback["formatted"].as_str()), (Some("INR"), Some("₹100.00")));
    assert_money_beside(&listed["documents"][0]["document"], "netAmountAfterCashback", "INR");
    assert_eq!(tickets["invoice"]["cashback"], *cashback, "the summary shows the same cashback");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credit_note_numbers_stay_gap_free_and_unique_under_concurrent_cancellations() {
    let stack = TestStack::new().await;
    let net = Network::new(&stack).await;
    let (_, token) = customer(&stack, "many@example.com").await;
    let mut bookings = Vec::new();
    for n in 0..8 {
        bookings.push(ticketed(&stack, &net, &token, &format!("XY{n}"), 1).await);
    }
    // Flexi keeps ₹1,500 of each ₹2,500 (Saver would keep it all and
    // credit nothing: domain::cancellation).
    let db = stack.db().await;
    db.execute("UPDATE bookings SET fare_brand = 'FLEXI' WHERE id = ANY($1)", &[&bookings]).await.unwrap();
    let cancelled = futures::future::join_all(bookings.iter().map(|b| cancel(&stack, &token, *b))).await;
    assert!(cancelled.iter().all(|c| c["refund"]["amount"] == 100000), "{cancelled:?}");

    let db = stack.db().await;
    let rows =
        db.query("SELECT year, sequence, credit_note_number FROM credit_notes ORDER BY sequence", &[]).await.unwrap();
    let sequences: Vec<i32> = rows.iter().map(|r| r.get(1)).collect();
    assert_eq!(sequences, (1..=8).collect::<Vec<i32>>(), "no gaps, no repeats");
    for row in &rows {
        let (year, sequence, number): (i32, i32, String) = (row.get(0), row.get(1), row.get(2));
        assert_eq!(number, format!("CN/{year}/{sequence:06}"));
    }
    let mut listed = Vec::new();
    for booking in &bookings {
        let body = documents(&stack, &token, *booking).await;
        assert_eq!(body["documents"].as_array().unwrap().len(), 2, "{body}");
        listed.push(body["documents"][1]["number"].as_str().unwrap().to_string());
    }
    listed.sort();
    listed.dedup();
    assert_eq!(listed.len(), 8, "each booking its own credit note");
}

#[tokio::test]
async fn another_customers_documents_do_not_exist() {
    let stack = TestStack::new().await;
    let net = Network::new(&stack).await;
    let (_, token) = customer(&stack, "owner@example.com").await;
    let (_, stranger) = customer(&stack, "stranger@example.com").await;
    let booking = ticketed(&stack, &net, &token, "XY1", 1).await;
    let listed = documents(&stack, &token, booking).await;
    let number = listed["documents"][0]["number"].as_str().unwrap().to_string();
    assert_problem(&documents_response(&stack, &stranger, booking, "", &[]).await, 404, "NOT_FOUND");
    let pdf = documents_response(&stack, &stranger, booking, &format!("?number={number}&format=pdf"), &[]).await;
    assert_problem(&pdf, 404, "NOT_FOUND");
    let id = booking.to_string();
    let anonymous =
        request_with("GET", &format!("/api/bookings/{id}/documents"), None, None, &[("bookingId", &id)], &[]);
    assert_eq!(bookings_documents::handle(&stack.services, anonymous).await.unwrap().status(), 401);
}
