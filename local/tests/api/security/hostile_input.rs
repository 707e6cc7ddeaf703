//! Oversized, malformed and hostile bodies, paths and queries on every POST route: 4xx, never 5xx, and nothing dropped.

use super::Api;
use crate::support::*;
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// (what, body bytes, headers, expected status: `None` for any 4xx or 2xx).
type RawCase<'a> = (String, Vec<u8>, Vec<(&'a str, &'a str)>, Option<u16>);

/// Strings meant to break a parser, a query or a terminal.
fn hostile_strings() -> Vec<String> {
    vec![
        "'; DROP TABLE users; --".into(),
        "Robert'); DROP TABLE bookings;--".into(),
        "\" OR \"1\"=\"1".into(),
        "1 OR 1=1".into(),
        "1; DELETE FROM flights".into(),
        "\u{202E}\u{200F}عربي\u{200E}\u{202C}".into(),
        "✈️👩‍👩‍👧‍👦🇮🇳".into(),
        "a\u{0}b".into(),
        "\u{0}".into(),
        "\u{FEFF}\u{200B}".into(),
        "line\r\nbreak: injected".into(),
        "<script>alert(1)</script>".into(),
        "${jndi:ldap://127.0.0.1/x}".into(),
        "{{7*7}}".into(),
        "%00%27%22".into(),
        "../../../../etc/passwd".into(),
        "\\".into(),
        "١٢".into(),
        "12A\u{0301}".into(),
        String::new(),
        "   ".into(),
        "9".repeat(40),
        "-1".into(),
        "x".repeat(5000),
    ]
}

/// Every leaf of a JSON document: (path, replaced document) for a value.
fn with_each_leaf(doc: &Value, value: &Value) -> Vec<(String, Value)> {
    fn walk(doc: &Value, path: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
        match doc {
            Value::Object(map) => {
                for (key, child) in map {
                    path.push(key.clone());
                    walk(child, path, out);
                    path.pop();
                }
            }
            Value::Array(items) => {
                for (index, child) in items.iter().enumerate() {
                    path.push(index.to_string());
                    walk(child, path, out);
                    path.pop();
                }
            }
            _ => out.push(path.clone()),
        }
    }
    let mut paths = Vec::new();
    walk(doc, &mut Vec::new(), &mut paths);
    paths
        .into_iter()
        .map(|path| {
            let mut copy = doc.clone();
            let pointer = format!("/{}", path.join("/"));
            *copy.pointer_mut(&pointer).unwrap() = value.clone();
            (pointer, copy)
        })
        .collect()
}

/// Sends `size` bytes of body over a raw connection, reading the answer
/// while sending, and returns its status.
async fn oversized_upload(base: &str, path: &str, size: usize) -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let address = base.trim_start_matches("http://");
    let stream = tokio::net::TcpStream::connect(address).await.unwrap();
    let (mut reader, mut writer) = stream.into_split();
    let head = format!(
        "POST {path} HTTP/1.1\r\nhost: {address}\r\ncontent-type: application/json\r\ncontent-length: {size}\r\n\r\n"
    );
    let sender = tokio::spawn(async move {
        writer.write_all(head.as_bytes()).await?;
        let chunk = vec![b' '; 64 * 1024];
        for _ in 0..size / chunk.len() {
            writer.write_all(&chunk).await?;
        }
        std::io::Result::Ok(())
    });
    let mut answer = Vec::new();
    let mut buffer = [0u8; 4096];
    while !answer.windows(4).any(|w| w == b"\r\n\r\n") {
        match reader.read(&mut buffer).await {
            Ok(0) | Err(_) => break,
            Ok(n) => answer.extend_from_slice(&buffer[..n]),
        }
    }
    sender.abort();
    let text = String::from_utf8_lossy(&answer);
    text.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or_else(|| panic!("no HTTP answer: {text:?}"))
}

fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_malformed_and_hostile_input_on_every_post_route_is_4xx_never_5xx() {
    within(120, async {
        let base = TestStack::new().await;
        // Rate limits would turn most of the sweep into 429s.
        let stack = stack_with(
            &base,
            &[
                ("HOLD_RATE_LIMIT_PER_MINUTE", "100000".into()),
                ("PAYMENT_RATE_LIMIT_PER_MINUTE", "100000".into()),
                ("BOOKING_RATE_LIMIT_PER_MINUTE", "100000".into()),
            ],
        );
        let api = Api::new(&stack).await;
        let net = Network::new(&stack).await;
        local_stack::seed::seed_discount_codes(&net.db).await.unwrap();
        let flight = net.flight("XY1", "AAA", "DDD", 6 * 60, 120, 250000).await;
        let (user, token) = customer(&stack, "fuzz@example.com").await;
        let (_, booking) = create_booking(&stack, &token, json!({"flightId": flight, "seats": 1})).await;
        let booking = booking["id"].as_i64().unwrap();
        let decline = "4000000000000002";

        // A valid body per POST route that reads one (every leaf gets hostile values).
        let bodies: BTreeMap<&str, Value> = BTreeMap::from([
            ("/api/auth/signup", json!({"name": "Fuzz", "email": "fuzz2@example.com", "password": "a fine passphrase"})),
            ("/api/auth/login", json!({"email": "fuzz@example.com", "password": "wrong guess"})),
            ("/api/seats/lock", json!({"flightId": flight, "seatNumber": "2A", "seatNumbers": ["2B"], "userId": user})),
            ("/api/seats/release", json!({"holdId": format!("{flight}-abc"), "flightId": flight, "seatNumbers": ["2A"], "userId": user})),
            (
                "/api/bookings/create",
                json!({"userId": user, "flightId": flight, "seats": 1, "price": 1, "cabin": "ECONOMY",
                       "legs": [{"flightId": flight, "seatNumbers": ["3A"]}], "passengers": [{"name": "P One"}]}),
            ),
            (
                "/api/bookings",
                json!({"slices": [{"legs": [{"flightId": flight, "seatNumbers": ["4A"]}]}], "price": {"amount": 1},
                       "passengers": [
                           {"type": "adult", "title": "ms", "givenName": "Pia", "familyName": "One", "dateOfBirth": "1990-01-01",
                            "gender": "f", "passport": {"number": "Z1234567", "issuingCountry": "IN", "nationality": "IN", "expiresOn": "2040-01-01"}},
                           {"type": "infant", "givenName": "Ira", "familyName": "One", "dateOfBirth": "2026-01-01", "infantOf": 0}]}),
            ),
            (
                "/api/flights/search",
                json!({"slices": [{"source": "AAA", "destination": "DDD", "date": net.date},
                                  {"source": "DDD", "destination": "AAA", "date": net.date}],
                       "adults": 1, "children": 0, "infants": 0, "cabin": "ECONOMY", "maxStops": 1, "sort": "best",
                       "limit": 5, "cursor": "x"}),
            ),
            (
                "/api/payments/pay",
                json!({"bookingId": booking, "userId": user, "amount": 1,
                       "method": {"type": "card", "cardNumber": decline}, "cardNumber": decline, "vpa": "a@upi"}),
            ),
            ("/api/discounts/apply", json!({"bookingId": booking, "code": "NOPE42", "userId": user})),
            ("/api/tickets/generate", json!({"bookingId": booking, "booking_id": booking})),
            ("/api/notifications/send", json!({"userId": user, "message": "hello", "channel": "email"})),
        ]);
        let template = local_stack::template::Template::load(local_stack::testing::template_path()).unwrap();
        let body_routes: Vec<&str> = template
            .routes
            .iter()
            .filter(|r| r.method == "POST" && !r.path.contains('{'))
            .map(|r| r.path.as_str())
            .collect();
        for path in &body_routes {
            assert!(bodies.contains_key(path), "POST {path} is new: add a valid body for it to this sweep");
        }

        let mut failures: Vec<String> = Vec::new();
        let mut checked = 0usize;
        let auth = format!("Bearer {token}");
        let json_headers: Vec<(&str, &str)> = vec![("authorization", &auth), ("content-type", "application/json")];
        let huge_array = format!(r#"{{"seatNumbers": [{}], "passengers": [{}]}}"#,
            vec!["\"1A\""; 6000].join(","), vec!["{}"; 2000].join(","));
        let deep = format!(r#"{{"name": {}{}}}"#, "[".repeat(20_000), "]".repeat(20_000));
        for path in &body_routes {
            let valid = &bodies[path];
            let text = valid.to_string();
            let mut raw_cases: Vec<RawCase> = vec![
                ("70 KB body".into(), format!(r#"{{"pad": "{}"}}"#, "x".repeat(70 * 1024)).into_bytes(), json_headers.clone(), Some(413)),
                ("deeply nested".into(), deep.clone().into_bytes(), json_headers.clone(), Some(400)),
                ("huge arrays".into(), huge_array.clone().into_bytes(), json_headers.clone(), None),
                ("text/plain".into(), text.clone().into_bytes(), vec![("authorization", &auth), ("content-type", "text/plain")], Some(415)),
                ("form".into(), b"a=b".to_vec(), vec![("authorization", &auth), ("content-type", "application/x-www-form-urlencoded")], Some(415)),
                ("empty".into(), Vec::new(), json_headers.clone(), Some(400)),
                ("null".into(), b"null".to_vec(), json_headers.clone(), Some(400)),
                ("array".into(), b"[]".to_vec(), json_headers.clone(), Some(400)),
                ("number".into(), b"12".to_vec(), json_headers.clone(), Some(400)),
                ("truncated".into(), text.as_bytes()[..text.len() / 2].to_vec(), json_headers.clone(), Some(400)),
                ("trailing garbage".into(), format!("{text} x").into_bytes(), json_headers.clone(), Some(400)),
                ("duplicate keys".into(), format!("{},{}", &text[..text.len() - 1], &text[1..]).into_bytes(), json_headers.clone(), None),
                ("BOM".into(), [b"\xEF\xBB\xBF".as_slice(), text.as_bytes()].concat(), json_headers.clone(), Some(400)),
            ];
            // Invalid UTF-8 and lone surrogates in place of the first string.
            if let Some(start) = text.find(":\"") {
                let end = start + 2 + text[start + 2..].find('"').unwrap();
                for (what, replacement) in [
                    ("invalid UTF-8", b"\xff\xfe\xc3\x28".as_slice()),
                    ("lone high surrogate", br"\ud800".as_slice()),
                    ("lone low surrogate", br"\udfff".as_slice()),
                    ("overlong NUL", b"\xc0\x80".as_slice()),
                ] {
                    let bytes = [&text.as_bytes()[..start + 2], replacement, &text.as_bytes()[end..]].concat();
                    raw_cases.push((what.into(), bytes, json_headers.clone(), Some(400)));
                }
            }
            for (what, bytes, headers, expected) in raw_cases {
                checked += 1;
                let answer = api.raw("POST", path, &headers, Some(bytes)).await;
                let wrong = match expected {
                    Some(status) => answer.problem_faults(status, None),
                    None if answer.status >= 500 => vec![format!("status {}", answer.status)],
                    None if answer.status >= 400 => answer.problem_faults(answer.status, None),
                    None => vec![],
                };
                if !wrong.is_empty() {
                    failures.push(format!("POST {path} {what}: {} — {:.300}", wrong.join(", "), answer.text));
                }
            }
            for hostile in hostile_strings() {
                for (pointer, body) in with_each_leaf(valid, &Value::String(hostile.clone())) {
                    checked += 1;
                    let answer = api.raw("POST", path, &json_headers, Some(body.to_string().into_bytes())).await;
                    let wrong = if answer.status >= 500 {
                        vec![format!("status {}", answer.status)]
                    } else if answer.status >= 400 {
                        answer.problem_faults(answer.status, None)
                    } else {
                        vec![]
                    };
                    if !wrong.is_empty() {
                        failures.push(format!("POST {path} {pointer}={hostile:.40?}: {} — {:.300}", wrong.join(", "), answer.text));
                    }
                }
            }
        }

        // Past API Gateway's own 10 MB limit the gateway answers 413 before
        // any function runs (read while still sending: it may close early).
        checked += 1;
        let status = oversized_upload(&api.base, "/api/auth/signup", 11 * 1024 * 1024).await;
        if status != 413 {
            failures.push(format!("POST /api/auth/signup with 11 MB: status {status}"));
        }

        // Hostile path and query parameters on the routes that read them.
        let templates = [
            ("GET", "/api/bookings/{}"),
            ("GET", "/api/bookings/1/{}"),
            ("POST", "/api/bookings/{}/cancel"),
            ("GET", "/api/tickets/{}"),
            ("GET", "/api/tickets/{}/invoice"),
            ("GET", "/api/flights/{}"),
            ("GET", "/api/seats/{}"),
            ("POST", "/api/admin/flights/{}/cancel"),
            ("GET", "/api/bookings?limit={}"),
            ("GET", "/api/bookings?cursor={}"),
            ("GET", "/api/notifications?limit={}"),
            ("GET", "/api/notifications?cursor={}"),
            ("GET", "/api/flights/search?source={}&destination=DDD&date=2030-01-01"),
            ("GET", "/api/flights/search?source=AAA&destination=DDD&date={}"),
            ("GET", "/api/flights/search?source=AAA&destination=DDD&date=2030-01-01&sort={}&cabin={}&maxStops={}&passengers={}&limit={}&cursor={}"),
        ];
        for hostile in hostile_strings().iter().filter(|h| !h.is_empty() && h.len() < 100) {
            for (method, template) in templates {
                checked += 1;
                let path = template.replace("{}", &percent_encode(hostile));
                let answer = api.call(method, &path, Some(&token), None).await;
                if answer.status >= 500 || (answer.status >= 400 && !answer.problem_faults(answer.status, None).is_empty()) {
                    failures.push(format!("{method} {path}: {} — {:.300}", answer.status, answer.text));
                }
            }
        }
        assert!(failures.is_empty(), "{} of {checked} hostile requests failed:\n{}", failures.len(), failures.join("\n"));

        // Nothing was dropped, and the hostile strings that were accepted are stored verbatim.
        let db = stack.db().await;
        for table in ["users", "flights", "flight_fares", "bookings", "booking_seats", "payments", "tickets", "outbox"] {
            let exists: bool =
                db.query_one("SELECT to_regclass($1) IS NOT NULL", &[&format!("public.{table}")]).await.unwrap().get(0);
            assert!(exists, "table {table} is gone");
        }
        let flights: i64 = db.query_one("SELECT count(*) FROM flights", &[]).await.unwrap().get(0);
        assert_eq!(flights, 1);
        let odd: Vec<String> = db
            .query("SELECT name FROM users WHERE name LIKE '%DROP TABLE%'", &[])
            .await
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect();
        for name in &odd {
            assert!(hostile_strings().iter().any(|h| h.trim() == name), "stored altered: {name:?}");
        }
        eprintln!("hostile input sweep: {checked} requests");
    })
    .await
}
