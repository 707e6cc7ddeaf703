//! A sweep of bad inputs to the seat and booking routes: every one is a 4xx
//! RFC 9457 problem with a stable code, and none of them leaves a booking
//! row or a seat hold behind.

mod sweep;
mod truncated_json;

use crate::support::*;
use serde_json::Value;

/// How a case authenticates.
#[derive(Clone, Copy)]
enum Auth {
    Caller,
    Missing,
    Garbage,
}

/// The body of a case.
enum Payload {
    Absent,
    Json(Value),
    /// Sent verbatim as `application/json`.
    Raw(&'static str),
    /// Valid JSON under another media type.
    TextPlain(Value),
}

struct Sweep<'a> {
    stack: &'a TestStack,
    token: String,
    failures: Vec<String>,
    checked: usize,
}

impl Sweep<'_> {
    /// Sends one case and records (does not panic on) any mismatch, so one
    /// run reports every bad case. `code: None` accepts any non-empty code.
    #[allow(clippy::too_many_arguments)]
    async fn case(
        &mut self,
        name: &str,
        function: &str,
        method: &str,
        path: &str,
        params: &[(&str, &str)],
        payload: Payload,
        auth: Auth,
        status: u16,
        code: Option<&str>,
    ) {
        self.checked += 1;
        let (body, headers): (Option<String>, &[(&str, &str)]) = match payload {
            Payload::Absent => (None, &[]),
            Payload::Json(v) => (Some(v.to_string()), &[]),
            Payload::Raw(raw) => (Some(raw.to_string()), &[]),
            Payload::TextPlain(v) => (Some(v.to_string()), &[("content-type", "text/plain")]),
        };
        let token = match auth {
            Auth::Caller => Some(self.token.as_str()),
            Auth::Missing => None,
            Auth::Garbage => Some("not-a-jwt"),
        };
        let handler = local_stack::registry::http_handler(function).unwrap();
        let req = request_with(method, path, body, token, params, headers);
        let response = handler(&self.stack.services, req).await.unwrap();
        let got = response.status().as_u16();
        let content_type =
            response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
        let text = match response.body() {
            lambda_http::Body::Text(t) => t.clone(),
            lambda_http::Body::Binary(b) => String::from_utf8_lossy(b).into_owned(),
            _ => String::new(),
        };
        let doc: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        let mut wrong = Vec::new();
        if got != status {
            wrong.push(format!("status {got}, expected {status}"));
        }
        if !(400..500).contains(&got) {
            wrong.push("not a 4xx".to_string());
        }
        if content_type != "application/problem+json" {
            wrong.push(format!("content-type {content_type:?}"));
        }
        if doc["status"] != got {
            wrong.push("problem status differs from the HTTP status".to_string());
        }
        let got_code = doc["code"].as_str().unwrap_or("");
        match code {
            Some(code) if got_code != code => wrong.push(format!("code {got_code:?}, expected {code:?}")),
            _ if got_code.is_empty() => wrong.push("no code".to_string()),
            _ => {}
        }
        if doc["type"].as_str().is_none_or(|t| t.is_empty()) || doc["title"].as_str().is_none_or(|t| t.is_empty()) {
            wrong.push("no type/title".to_string());
        }
        if !response.headers().contains_key("x-request-id") {
            wrong.push("no x-request-id".to_string());
        }
        if !wrong.is_empty() {
            self.failures.push(format!("{function} {name}: {} — {text}", wrong.join(", ")));
        }
    }
}

/// Inserts a flight with explicit times relative to now (for departed ones).
async fn flight_at(net: &Network, number: &str, departs: chrono::DateTime<chrono::Utc>, status: &str) -> i64 {
    let arrives = departs + chrono::Duration::hours(1);
    let id: i64 = net
        .db
        .query_one(
            "INSERT INTO flights (airline_code, flight_number, origin, destination, departs_at, arrives_at, aircraft_type, status)
             VALUES ('XY', $1, 'AAA', 'DDD', $2, $3, 'T4', $4) RETURNING id",
            &[&number, &departs, &arrives, &status],
        )
        .await
        .unwrap()
        .get(0);
    net.db
        .execute(
            "INSERT INTO flight_fares (flight_id, cabin, amount, currency, seats_total) VALUES ($1, 'ECONOMY', 250000, 'INR', 4)",
            &[&id],
        )
        .await
        .unwrap();
    id
}
