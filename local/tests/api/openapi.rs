//! The OpenAPI document (`openapi/openapi.json`) against the template and
//! the house rules: no route drift in either direction, auth documented on
//! every protected route, every error as problem+json.

use crate::support::*;
use local_stack::template::Template;
use serde_json::Value;
use std::collections::BTreeSet;

/// Routes that need no token (the contract's list plus this document).
const PUBLIC: &[(&str, &str)] = &[
    ("GET", "/api/health"),
    ("POST", "/api/auth/signup"),
    ("POST", "/api/auth/login"),
    ("GET", "/.well-known/jwks.json"),
    ("GET", "/.well-known/openid-configuration"),
    ("GET", "/api/openapi.json"),
];

const METHODS: &[&str] = &["get", "put", "post", "delete", "options", "head", "patch", "trace"];

fn document() -> Value {
    let path = local_stack::testing::template_path().parent().unwrap().join("openapi/openapi.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

/// Follows a local `$ref` (`#/components/...`) until a non-reference object.
fn resolve<'a>(doc: &'a Value, mut value: &'a Value) -> &'a Value {
    for _ in 0..10 {
        let Some(reference) = value.get("$ref").and_then(Value::as_str) else { return value };
        let pointer = reference.strip_prefix('#').unwrap_or_else(|| panic!("non-local $ref {reference}"));
        value = doc.pointer(pointer).unwrap_or_else(|| panic!("dangling $ref {reference}"));
    }
    panic!("$ref cycle at {value}")
}

/// Every operation: (METHOD, path, operation object).
fn operations(doc: &Value) -> Vec<(String, String, &Value)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().expect("path item") {
            if METHODS.contains(&method.as_str()) {
                out.push((method.to_ascii_uppercase(), path.clone(), operation));
            }
        }
    }
    out
}

#[test]
fn the_document_is_openapi_3_1_and_matches_the_template_routes_exactly() {
    let doc = document();
    let version = doc["openapi"].as_str().expect("openapi version");
    assert!(version.starts_with("3.1."), "openapi {version}, expected 3.1.x");
    assert!(doc["info"]["title"].is_string() && doc["info"]["version"].is_string());

    let documented: BTreeSet<(String, String)> = operations(&doc).into_iter().map(|(m, p, _)| (m, p)).collect();
    let template = Template::load(local_stack::testing::template_path()).unwrap();
    let routed: BTreeSet<(String, String)> =
        template.routes.iter().map(|r| (r.method.clone(), r.path.clone())).collect();
    let undocumented: Vec<_> = routed.difference(&documented).collect();
    let unrouted: Vec<_> = documented.difference(&routed).collect();
    assert!(undocumented.is_empty(), "template.yaml routes missing from openapi/openapi.json: {undocumented:?}");
    assert!(unrouted.is_empty(), "openapi/openapi.json operations with no route in template.yaml: {unrouted:?}");

    let ids: Vec<&str> = operations(&doc)
        .iter()
        .map(|(m, p, op)| op["operationId"].as_str().unwrap_or_else(|| panic!("{m} {p}")))
        .collect();
    let unique: BTreeSet<&str> = ids.iter().copied().collect();
    assert_eq!(unique.len(), ids.len(), "operationIds must be unique: {ids:?}");
}

#[test]
fn protected_operations_document_401_and_public_ones_need_no_token() {
    let doc = document();
    assert_eq!(doc["components"]["securitySchemes"]["bearerAuth"]["scheme"], "bearer");
    assert_eq!(doc["components"]["securitySchemes"]["bearerAuth"]["bearerFormat"], "JWT");
    assert_eq!(doc["security"], serde_json::json!([{"bearerAuth": []}]), "bearer auth by default");
    for (method, path, operation) in operations(&doc) {
        let public = PUBLIC.contains(&(method.as_str(), path.as_str()));
        let responses = operation["responses"].as_object().unwrap_or_else(|| panic!("{method} {path}: no responses"));
        if public {
            assert_eq!(operation["security"], serde_json::json!([]), "{method} {path} is public: security must be []");
        } else {
            assert!(operation.get("security").is_none(), "{method} {path} must keep the default bearer auth");
            assert!(responses.contains_key("401"), "{method} {path} needs a token: document its 401");
        }
    }
}

#[test]
fn every_error_response_is_problem_json_and_every_response_has_a_request_id() {
    let doc = document();
    for (method, path, operation) in operations(&doc) {
        let responses = operation["responses"].as_object().unwrap();
        assert!(responses.keys().any(|s| s.starts_with('2')), "{method} {path}: no success response");
        for (status, response) in responses {
            let response = resolve(&doc, response);
            let at = format!("{method} {path} {status}");
            assert!(response["description"].is_string(), "{at}: description");
            assert!(
                response["headers"].get("x-request-id").is_some(),
                "{at}: every response carries x-request-id; document it"
            );
            let types: BTreeSet<&str> = response["content"]
                .as_object()
                .unwrap_or_else(|| panic!("{at}: no content"))
                .keys()
                .map(String::as_str)
                .collect();
            if status.starts_with('2') {
                let documents = ["/api/tickets/{ticketId}/invoice", "/api/bookings/{bookingId}/documents"];
                let expected: BTreeSet<&str> = if documents.contains(&path.as_str()) {
                    ["application/json", "application/pdf"].into()
                } else {
                    ["application/json"].into()
                };
                assert_eq!(types, expected, "{at}");
                continue;
            }
            let code: u16 = status.parse().unwrap_or_else(|_| panic!("{at}: give explicit status codes"));
            assert!((400..600).contains(&code), "{at}");
            assert_ne!(code, 500, "{at}: a 500 is a bug, not part of the contract");
            assert_eq!(types, ["application/problem+json"].into(), "{at}: errors are problem+json only");
            let schema = &response["content"]["application/problem+json"]["schema"];
            let text = schema.to_string();
            assert!(text.contains("#/components/schemas/Problem"), "{at}: the schema must be (or extend) Problem");
            if code == 429 || code == 503 {
                assert!(response["headers"].get("Retry-After").is_some(), "{at}: Retry-After");
            }
        }
    }
}

#[test]
fn idempotent_routes_document_the_idempotency_key_and_links_name_real_operations() {
    let doc = document();
    let ids: BTreeSet<String> =
        operations(&doc).iter().map(|(_, _, op)| op["operationId"].as_str().unwrap().to_string()).collect();
    for (method, path, operation) in operations(&doc) {
        let has_key = operation["parameters"]
            .as_array()
            .is_some_and(|params| params.iter().any(|p| resolve(&doc, p)["name"] == "Idempotency-Key"));
        let idempotent = method == "POST"
            && [
                "/api/payments/pay",
                "/api/bookings/create",
                "/api/bookings",
                "/api/tickets/generate",
                "/api/change-quotes/{quoteId}/confirm",
                "/api/cancellation-quotes/{quoteId}/confirm",
                "/api/schedule-changes/{scheduleChangeId}/accept",
                "/api/schedule-changes/{scheduleChangeId}/rebook",
                "/api/schedule-changes/{scheduleChangeId}/refund",
            ]
            .contains(&path.as_str());
        assert_eq!(has_key, idempotent, "{method} {path}: Idempotency-Key header");
        for response in operation["responses"].as_object().unwrap().values() {
            for (name, link) in resolve(&doc, response)["links"].as_object().into_iter().flatten() {
                let target = link["operationId"].as_str().unwrap_or_default();
                assert!(ids.contains(target), "{method} {path}: link {name} names unknown operation {target:?}");
            }
        }
    }
}

#[tokio::test]
async fn the_document_is_served_without_a_token() {
    let stack = TestStack::new().await;
    let response = ::openapi::handle(&stack.services, request("GET", "/api/openapi.json", None, None)).await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    assert_eq!(response.headers()["cache-control"], "public, max-age=300");
    assert!(response.headers().contains_key("x-request-id"));
    assert_eq!(body_json(&response), document(), "the served document is openapi/openapi.json");
}

// ---- what local/fuzz found, kept fixed ------------------------------------

#[tokio::test]
async fn a_login_email_postgres_cannot_store_is_a_400_not_a_500() {
    let stack = TestStack::new().await;
    // A NUL byte once reached a Postgres query; a malformed email is now
    // refused before any store is asked.
    let response = login(&stack, "john\u{0}@example.com", "test123").await;
    let doc = assert_problem(&response, 400, "INVALID_FIELD");
    assert!(doc["detail"].as_str().unwrap().starts_with("email:"), "{doc}");
}

#[tokio::test]
async fn the_ticket_invoice_summary_carries_the_total_and_bookings_honour_idempotency_keys() {
    let stack = TestStack::new().await;
    let network = Network::new(&stack).await;
    let flight = network.flight("XY1", "AAA", "BBB", 600, 90, 450_000).await;
    let (_, token) = customer(&stack, "summary@example.com").await;
    let create = |key: &'static str, body: Value| {
        let req = request_with(
            "POST",
            "/api/bookings",
            Some(body.to_string()),
            Some(&token),
            &[],
            &[("idempotency-key", key)],
        );
        bookings_create::handle(&stack.services, req)
    };

    // The contract's Idempotency-Key on bookings-create: replayed, not booked twice.
    let first = create("k-1", serde_json::json!({"flightId": flight, "seats": 1})).await.unwrap();
    assert_eq!(first.status(), 201, "{}", body_json(&first));
    let again = create("k-1", serde_json::json!({"seats": 1, "flightId": flight})).await.unwrap();
    assert_eq!(again.status(), 201);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert_eq!(body_json(&again)["id"], body_json(&first)["id"]);
    let reused = create("k-1", serde_json::json!({"flightId": flight, "seats": 2})).await.unwrap();
    assert_problem(&reused, 422, "IDEMPOTENCY_KEY_REUSED");
    let booking = body_json(&first)["id"].as_i64().unwrap();

    // A wallet payment with a stray vpa was refused as an "unknown method wallet".
    let pay = local_stack::registry::http_handler("payments-pay").unwrap();
    let (status, problem) = call(
        pay,
        &stack,
        "POST",
        "/api/payments/pay",
        &[],
        Some(serde_json::json!({"bookingId": booking, "method": "wallet", "vpa": "x@upi"})),
        &token,
    )
    .await;
    assert_eq!(status, 400, "{problem}");
    assert!(problem["detail"].as_str().unwrap().contains("wallet payment takes no"), "{problem}");
    let (status, paid) =
        call(pay, &stack, "POST", "/api/payments/pay", &[], Some(serde_json::json!({"bookingId": booking})), &token)
            .await;
    assert_eq!(status, 200, "{paid}");

    // The summary's total was always null (it read a key the invoice does not have).
    let generate = local_stack::registry::http_handler("tickets-generate").unwrap();
    let (status, tickets) = call(
        generate,
        &stack,
        "POST",
        "/api/tickets/generate",
        &[],
        Some(serde_json::json!({"bookingId": booking})),
        &token,
    )
    .await;
    assert_eq!(status, 200, "{tickets}");
    let ticket = tickets["tickets"][0]["id"].as_i64().unwrap().to_string();
    let invoice = local_stack::registry::http_handler("tickets-invoice").unwrap();
    let path = format!("/api/tickets/{ticket}/invoice");
    let (status, invoice) = call(invoice, &stack, "GET", &path, &[("ticketId", &ticket)], None, &token).await;
    assert_eq!(status, 200, "{invoice}");
    assert_eq!(invoice["invoiceTotal"], 450_000);
    assert_eq!(tickets["invoice"]["total"], invoice["invoiceTotal"], "{tickets}");
    assert_eq!(tickets["tickets"][0]["invoice"]["total"], invoice["invoiceTotal"]);
    // Every integer amount has its money object beside it, on the summary and the invoice.
    for summary in [&tickets["invoice"], &tickets["tickets"][0]["invoice"]] {
        assert_money_beside(summary, "total", "INR");
        assert_money_beside(summary, "totalTax", "INR");
    }
    for field in
        ["fareTotal", "taxableValue", "cgst", "sgst", "igst", "totalTax", "invoiceTotal", "netAmountAfterCashback"]
    {
        assert_money_beside(&invoice, field, "INR");
    }
    for field in ["fare", "discount", "taxableValue", "cgst", "sgst", "igst", "totalTax", "total"] {
        assert_money_beside(&invoice["lines"][0], field, "INR");
    }
    assert_eq!(invoice["invoiceTotalMoney"]["formatted"], "₹4,500.00");
}
