//! Security sweep over HTTP through the local gateway: ownership of every
//! id-taking route, token forgeries on every authenticated route, hostile
//! and oversized bodies on every POST route, rate limits, the admin role,
//! secrets in the repository and passwords in the logs.

use crate::faults::{free_port, stack_with, start_gateway_with, within};
use crate::support::*;
use base64::Engine as _;
use serde_json::{json, Value};
use shared::auth::tokens::Role;
use std::collections::BTreeMap;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A client of one gateway.
struct Api {
    base: String,
    http: reqwest::Client,
}

/// One HTTP answer.
#[derive(Debug)]
struct Answer {
    status: u16,
    headers: reqwest::header::HeaderMap,
    text: String,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or(Value::Null)
    }

    fn header(&self, name: &str) -> &str {
        self.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
    }

    /// Problems that are wrong with this answer as an RFC 9457 problem of
    /// the given status (empty when it is one).
    fn problem_faults(&self, status: u16, code: Option<&str>) -> Vec<String> {
        let doc = self.json();
        let mut wrong = Vec::new();
        if self.status != status {
            wrong.push(format!("status {} (expected {status})", self.status));
        }
        if self.header("content-type") != "application/problem+json" {
            wrong.push(format!("content-type {:?}", self.header("content-type")));
        }
        if doc["status"] != self.status {
            wrong.push("problem status differs".into());
        }
        match code {
            Some(code) if doc["code"] != code => wrong.push(format!("code {} (expected {code})", doc["code"])),
            _ if !doc["code"].is_string() => wrong.push("no code".into()),
            _ => {}
        }
        if self.header("x-request-id").is_empty() {
            wrong.push("no x-request-id".into());
        }
        wrong
    }

    #[track_caller]
    fn assert_problem(&self, status: u16, code: &str) -> Value {
        let wrong = self.problem_faults(status, Some(code));
        assert!(wrong.is_empty(), "{}: {}", wrong.join(", "), self.text);
        self.json()
    }
}

impl Api {
    async fn new(stack: &TestStack) -> Api {
        let base = start_gateway_with(stack).await;
        Api { base, http: reqwest::Client::builder().timeout(Duration::from_secs(20)).build().unwrap() }
    }

    async fn raw(&self, method: &str, path: &str, headers: &[(&str, &str)], body: Option<Vec<u8>>) -> Answer {
        let mut request = self.http.request(method.parse().unwrap(), format!("{}{path}", self.base));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some(body) = body {
            request = request.body(body);
        }
        let response = request.send().await.unwrap_or_else(|e| panic!("{method} {path}: no answer: {e}"));
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let bytes = response.bytes().await.unwrap();
        Answer { status, headers, text: String::from_utf8_lossy(&bytes).into_owned() }
    }

    async fn call(&self, method: &str, path: &str, token: Option<&str>, body: Option<&Value>) -> Answer {
        let authorization = token.map(|t| format!("Bearer {t}"));
        let mut headers: Vec<(&str, &str)> = Vec::new();
        if let Some(authorization) = &authorization {
            headers.push(("authorization", authorization));
        }
        if body.is_some() {
            headers.push(("content-type", "application/json"));
        }
        self.raw(method, path, &headers, body.map(|b| b.to_string().into_bytes())).await
    }
}

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

// ---------------------------------------------------------------- ownership

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

// ------------------------------------------------------------------- tokens

fn url_b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// DER: tag, length, content.
fn der(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    if content.len() < 128 {
        out.push(content.len() as u8);
    } else {
        let length: Vec<u8> = content.len().to_be_bytes().into_iter().skip_while(|b| *b == 0).collect();
        out.push(0x80 | length.len() as u8);
        out.extend(length);
    }
    out.extend_from_slice(content);
    out
}

fn der_unsigned(bytes: &[u8]) -> Vec<u8> {
    let trimmed: Vec<u8> = bytes.iter().copied().skip_while(|b| *b == 0).collect();
    let mut content = if trimmed.first().is_some_and(|b| b & 0x80 != 0) { vec![0] } else { Vec::new() };
    content.extend(trimmed);
    der(0x02, &content)
}

fn pem(label: &str, der: &[u8]) -> String {
    let body = base64::engine::general_purpose::STANDARD.encode(der);
    let lines: Vec<&str> = body.as_bytes().chunks(64).map(|c| std::str::from_utf8(c).unwrap()).collect();
    format!("-----BEGIN {label}-----\n{}\n-----END {label}-----\n", lines.join("\n"))
}

/// The signing key's public half as PEM (SPKI and PKCS#1), rebuilt from the
/// JWKS: what an attacker has when trying HS256 with the public key.
fn public_key_pems(jwks: &Value) -> (String, String) {
    let decode = |v: &Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(v.as_str().unwrap()).unwrap();
    let key = &jwks["keys"][0];
    let pkcs1 = der(0x30, &[der_unsigned(&decode(&key["n"])), der_unsigned(&decode(&key["e"]))].concat());
    let rsa_encryption = [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
    let algorithm = der(0x30, &[der(0x06, &rsa_encryption), vec![0x05, 0x00]].concat());
    let spki = der(0x30, &[algorithm, der(0x03, &[vec![0], pkcs1.clone()].concat())].concat());
    (pem("PUBLIC KEY", &spki), pem("RSA PUBLIC KEY", &pkcs1))
}

/// Every way a token can be wrong, for `user`: (what, token).
fn forged_tokens(stack: &TestStack, jwks: &Value, user: i64, valid: &str) -> Vec<(String, String)> {
    let key_file =
        stack.env.get("JWT_PRIVATE_KEY_FILE").cloned().or_else(|| std::env::var("JWT_PRIVATE_KEY_FILE").ok());
    let private_pem = match key_file {
        Some(path) => std::fs::read_to_string(path).unwrap(),
        None => std::env::var("JWT_PRIVATE_KEY").expect("JWT_PRIVATE_KEY_FILE or JWT_PRIVATE_KEY"),
    };
    let signing = jsonwebtoken::EncodingKey::from_rsa_pem(private_pem.as_bytes()).unwrap();
    let kid = jwks["keys"][0]["kid"].as_str().unwrap().to_string();
    let config = &stack.services.config.jwt;
    let now = chrono::Utc::now().timestamp();
    let claims = |exp: i64, iss: &str, aud: &str| {
        json!({"iss": iss, "aud": aud, "sub": user.to_string(), "exp": exp, "iat": exp - 3600,
               "jti": uuid::Uuid::new_v4().to_string(), "role": "customer"})
    };
    let rs256 = |claims: &Value| {
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
        header.kid = Some(kid.clone());
        jsonwebtoken::encode(&header, claims, &signing).unwrap()
    };
    let good_claims = claims(now + 3600, &config.issuer, &config.audience);
    // Sanity: the key and claims used here make a token the API accepts.
    assert!(stack.services.tokens.verify(&rs256(&good_claims)).is_ok());

    let (spki, pkcs1) = public_key_pems(jwks);
    let decoding = jsonwebtoken::DecodingKey::from_rsa_pem(spki.as_bytes()).unwrap();
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    validation.set_audience(&[&config.audience]);
    assert!(jsonwebtoken::decode::<Value>(valid, &decoding, &validation).is_ok(), "the rebuilt public key is wrong");
    let hs256 = |secret: &str| {
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
        header.kid = Some(kid.clone());
        jsonwebtoken::encode(&header, &good_claims, &jsonwebtoken::EncodingKey::from_secret(secret.as_bytes())).unwrap()
    };
    let unsigned = |alg: &str| {
        let header = url_b64(json!({"alg": alg, "typ": "JWT", "kid": kid}).to_string().as_bytes());
        format!("{header}.{}.", url_b64(good_claims.to_string().as_bytes()))
    };
    let parts: Vec<&str> = valid.split('.').collect();
    // A different signature byte in the middle (the last character may only carry padding bits).
    let mut signature = parts[2].to_string();
    let middle = signature.len() / 2;
    let flipped = if &signature[middle..=middle] == "A" { "B" } else { "A" };
    signature.replace_range(middle..=middle, flipped);
    let someone_else = url_b64(
        claims(now + 3600, &config.issuer, &config.audience)
            .to_string()
            .replace(&format!("\"sub\":\"{user}\""), &format!("\"sub\":\"{}\"", user + 1))
            .as_bytes(),
    );
    let admin_claims = {
        let mut c = good_claims.clone();
        c["role"] = json!("admin");
        url_b64(c.to_string().as_bytes())
    };
    vec![
        ("expired".into(), rs256(&claims(now - 3600, &config.issuer, &config.audience))),
        ("wrong issuer".into(), rs256(&claims(now + 3600, "https://evil.example", &config.audience))),
        ("wrong audience".into(), rs256(&claims(now + 3600, &config.issuer, "another-api"))),
        ("tampered signature".into(), format!("{}.{}.{signature}", parts[0], parts[1])),
        ("tampered subject".into(), format!("{}.{someone_else}.{}", parts[0], parts[2])),
        ("tampered role".into(), format!("{}.{admin_claims}.{}", parts[0], parts[2])),
        ("no signature".into(), format!("{}.{}.", parts[0], parts[1])),
        ("alg none".into(), unsigned("none")),
        ("alg None".into(), unsigned("None")),
        ("HS256 with the SPKI public key".into(), hs256(&spki)),
        ("HS256 with the PKCS#1 public key".into(), hs256(&pkcs1)),
        ("HS256 with the public key, trimmed".into(), hs256(spki.trim())),
        ("garbage".into(), "not.a.jwt".into()),
    ]
}

fn is_public(path: &str) -> bool {
    matches!(
        path,
        "/api/health"
            | "/api/auth/signup"
            | "/api/auth/login"
            | "/.well-known/jwks.json"
            | "/.well-known/openid-configuration"
    ) || path.contains("openapi")
}

fn concrete(path: &str) -> String {
    path.split('/')
        .map(|part| if part.starts_with('{') && part.ends_with('}') { "1" } else { part })
        .collect::<Vec<_>>()
        .join("/")
}

#[tokio::test]
async fn every_authenticated_route_refuses_missing_expired_and_forged_tokens_over_http() {
    within(60, async {
        let stack = TestStack::new().await;
        let api = Api::new(&stack).await;
        let (user, valid) = customer(&stack, "tokens@example.com").await;
        let jwks = api.call("GET", "/.well-known/jwks.json", None, None).await.json();
        let forged = forged_tokens(&stack, &jwks, user, &valid);
        let template = local_stack::template::Template::load(local_stack::testing::template_path()).unwrap();
        let routes: Vec<_> = template.routes.iter().filter(|r| !is_public(&r.path)).collect();
        assert!(routes.len() >= 18, "only {} authenticated routes found", routes.len());

        let mut failures = Vec::new();
        let mut checked = 0;
        for route in &routes {
            let path = concrete(&route.path);
            let body = (route.method == "POST").then(|| json!({}));
            // The route is really there and the token is what decides.
            let accepted = api.call(&route.method, &path, Some(&valid), body.as_ref()).await;
            if accepted.status == 401 || accepted.status >= 500 {
                failures
                    .push(format!("{} {path} with a valid token: {} {}", route.method, accepted.status, accepted.text));
            }
            let mut variants: Vec<(String, Vec<(&str, String)>)> = vec![
                ("no Authorization".into(), vec![]),
                ("Basic scheme".into(), vec![("authorization", "Basic dXNlcjpwYXNz".into())]),
                ("empty Bearer".into(), vec![("authorization", "Bearer ".into())]),
                ("token without scheme".into(), vec![("authorization", valid.clone())]),
            ];
            for (what, token) in &forged {
                variants.push((what.clone(), vec![("authorization", format!("Bearer {token}"))]));
            }
            for (what, mut headers) in variants {
                checked += 1;
                if body.is_some() {
                    headers.push(("content-type", "application/json".into()));
                }
                let headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
                let answer =
                    api.raw(&route.method, &path, &headers, body.as_ref().map(|b| b.to_string().into_bytes())).await;
                let wrong = answer.problem_faults(401, Some("UNAUTHORIZED"));
                if !wrong.is_empty() {
                    failures.push(format!("{} {path} ({what}): {} — {}", route.method, wrong.join(", "), answer.text));
                }
            }
        }
        assert!(failures.is_empty(), "{} of {checked} token checks failed:\n{}", failures.len(), failures.join("\n"));
    })
    .await
}

// ------------------------------------------------------------------- bodies

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
            &[("HOLD_RATE_LIMIT_PER_MINUTE", "100000".into()), ("PAYMENT_RATE_LIMIT_PER_MINUTE", "100000".into())],
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

// -------------------------------------------------------------- rate limits

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

#[tokio::test]
async fn the_admin_route_refuses_customers_and_anonymous_callers() {
    within(60, async {
        let stack = TestStack::new().await;
        let api = Api::new(&stack).await;
        let net = Network::new(&stack).await;
        let flight = net.flight("XY1", "AAA", "DDD", 6 * 60, 120, 250000).await;
        let (_, customer_token) = customer(&stack, "not-admin@example.com").await;
        let path = format!("/api/admin/flights/{flight}/cancel");
        api.call("POST", &path, Some(&customer_token), None).await.assert_problem(403, "FORBIDDEN");
        api.call("POST", &path, None, None).await.assert_problem(401, "UNAUTHORIZED");
        let status: String =
            net.db.query_one("SELECT status FROM flights WHERE id = $1", &[&flight]).await.unwrap().get(0);
        assert_eq!(status, "SCHEDULED");
        let admin = stack.create_admin("admin@flightbook.local", "admin-change-me-42").await;
        let admin_token = stack.services.tokens.issue(admin, Role::Admin).unwrap().token;
        let answer = api.call("POST", &path, Some(&admin_token), None).await;
        assert_eq!(answer.status, 200, "{}", answer.text);
    })
    .await
}

// ------------------------------------------------------------------ secrets

#[test]
fn no_private_key_or_cloud_credential_is_tracked_and_the_template_resolves_secrets() {
    let root = local_stack::testing::template_path().parent().unwrap().to_path_buf();
    let listed = Command::new("git").arg("-C").arg(&root).args(["ls-files", "-z"]).output().expect("git");
    assert!(listed.status.success(), "git ls-files failed");
    let files: Vec<String> =
        String::from_utf8(listed.stdout).unwrap().split('\0').filter(|f| !f.is_empty()).map(str::to_owned).collect();
    assert!(files.len() > 50, "{files:?}");
    // Built at run time so that this file does not match itself.
    let begin = ["-----", "BEGIN"].concat();
    let private_key = ["PRIVATE KEY", "-----"].concat();
    let access_key_prefixes = [["AK", "IA"].concat(), ["AS", "IA"].concat()];
    let mut found = Vec::new();
    for file in &files {
        let lower = file.to_ascii_lowercase();
        if [".pem", ".key", ".p12", ".pfx", "id_rsa", ".env"].iter().any(|s| lower.ends_with(s)) {
            found.push(format!("{file}: a key or environment file is tracked"));
        }
        let Ok(text) = std::fs::read_to_string(root.join(file)) else { continue };
        for (number, line) in text.lines().enumerate() {
            let at = format!("{file}:{}", number + 1);
            if line.contains(&begin) && line.contains(&private_key) {
                found.push(format!("{at}: a PEM private key"));
            }
            for prefix in &access_key_prefixes {
                for (index, _) in line.match_indices(prefix.as_str()) {
                    let rest: String = line[index + 4..].chars().take(16).collect();
                    if rest.len() == 16 && rest.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit()) {
                        found.push(format!("{at}: an AWS access key id"));
                    }
                }
            }
            let lowered = line.to_ascii_lowercase();
            if let Some(index) = lowered.find("secret_access_key") {
                let value: String = line[index + "secret_access_key".len()..]
                    .trim_start_matches(|c: char| c == '=' || c == ':' || c == '"' || c == '\'' || c.is_whitespace())
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '/' || *c == '+')
                    .collect();
                if value.len() >= 40 {
                    found.push(format!("{at}: an AWS secret access key"));
                }
            }
        }
    }
    assert!(found.is_empty(), "secrets in tracked files:\n{}", found.join("\n"));

    let template = local_stack::template::Template::load(local_stack::testing::template_path()).unwrap();
    use local_stack::template::EnvValue;
    // No secret in any function's configuration: not even a dynamic
    // reference, which CloudFormation resolves into the plain variable.
    let text = std::fs::read_to_string(local_stack::testing::template_path()).unwrap();
    assert!(
        !text.contains("{{resolve:"),
        "a {{{{resolve:...}}}} reference puts a secret into a function's configuration"
    );
    for name in ["DATABASE_SECRET_ID", "REDIS_AUTH_SECRET_ID", "JWT_PUBLIC_KEYS_SECRET_ID"] {
        assert!(matches!(template.environment.get(name), Some(EnvValue::Ref(_))), "{name} must name a secret");
    }
    assert!(!template.environment.keys().any(|k| k.starts_with("JWT_PRIVATE_KEY")), "a private key in the template");
    // Only the signing functions are given (and may read) the signing key.
    let signers: Vec<&str> = template
        .functions
        .iter()
        .filter(|f| f.environment.contains_key("JWT_SIGNING_KEY_SECRET_ID"))
        .map(|f| f.package.as_str())
        .collect();
    assert_eq!(signers, ["auth-signup", "auth-login"]);
    assert_eq!(text.matches("!Ref SigningKeyPolicy").count(), 2, "the signing key policy is for the two signers only");
    // Only db-migrate connects as the schema's owner, and only it may read that secret.
    let owners: Vec<&str> = template
        .functions
        .iter()
        .filter(|f| f.environment.contains_key("DATABASE_OWNER_SECRET_ID"))
        .map(|f| f.package.as_str())
        .collect();
    assert_eq!(owners, ["db-migrate"]);
    assert_eq!(
        text.matches("!Ref DatabaseOwnerSecretArn").count(),
        2,
        "the owner's secret is named by db-migrate's variable and db-migrate's policy only"
    );
    for (name, value) in &template.environment {
        let sensitive =
            ["PASSWORD", "SECRET", "PRIVATE", "TOKEN", "DATABASE_URL", "CREDENTIAL"].iter().any(|s| name.contains(s));
        let literal = match value {
            EnvValue::Literal(v) => Some(v.as_str()),
            EnvValue::Sub(v) if !v.contains("{{resolve:") => Some(v.as_str()),
            _ => None,
        };
        assert!(!(sensitive && literal.is_some()), "{name} is a literal in the template: {literal:?}");
        if let Some(v) = literal {
            assert!(!has_password(v), "{name} carries credentials: {v}");
        }
    }
    for (name, default) in &template.parameters {
        assert!(!has_password(default), "parameter {name} default carries a password");
        assert!(!default.contains(&begin), "parameter {name} default is a key");
    }
}

// --------------------------------------------------------------------- logs

/// The gateway binary as a child process, killed on drop.
struct GatewayProcess {
    child: Child,
    log: std::path::PathBuf,
}

impl Drop for GatewayProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.log);
    }
}

#[tokio::test]
async fn passwords_and_tokens_never_reach_the_logs_but_request_ids_do() {
    within(90, async {
        let stack = TestStack::new().await;
        let port = free_port();
        let log = std::env::temp_dir().join(format!("fb-gateway-{}-{port}.log", stack.prefix));
        let file = std::fs::File::create(&log).unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_gateway"))
            .arg("--template")
            .arg(local_stack::testing::template_path())
            .env("DATABASE_URL", &stack.database_url)
            .env("REDIS_KEY_PREFIX", &stack.prefix)
            .env("LOCAL_RESOURCE_PREFIX", format!("{}-", stack.prefix))
            .env("HOST", "127.0.0.1")
            .env("PORT", port.to_string())
            .env("RUST_LOG", "debug")
            .stdin(Stdio::null())
            .stdout(file.try_clone().unwrap())
            .stderr(file)
            .spawn()
            .expect("starting the gateway binary");
        let gateway = GatewayProcess { child, log };
        let base = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::builder().timeout(Duration::from_secs(20)).build().unwrap();
        let started = Instant::now();
        while http.get(format!("{base}/api/health")).send().await.is_err() {
            assert!(started.elapsed() < Duration::from_secs(45), "the gateway did not start");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }

        let password = "Quokka-Zebra-7731-distinct";
        let wrong = "Quokka-Wrong-4410-distinct";
        let weak = "ßßßßßßßß";
        let mut request_ids = Vec::new();
        let mut tokens = Vec::new();
        for (path, body) in [
            ("/api/auth/signup", json!({"name": "Logged", "email": "logged@example.com", "password": password})),
            ("/api/auth/signup", json!({"name": "Weak", "email": "weak@example.com", "password": weak})),
            ("/api/auth/login", json!({"email": "logged@example.com", "password": wrong})),
            ("/api/auth/login", json!({"email": "logged@example.com", "password": password})),
            ("/api/auth/login", json!({"email": "nobody@example.com", "password": password})),
        ] {
            let response = http.post(format!("{base}{path}")).json(&body).send().await.unwrap();
            request_ids.push(response.headers()["x-request-id"].to_str().unwrap().to_string());
            let doc: Value = response.json().await.unwrap();
            if let Some(token) = doc["token"].as_str() {
                tokens.push(token.to_string());
            }
        }
        assert_eq!(tokens.len(), 2, "signup and login should have succeeded");
        let me = http.get(format!("{base}/api/auth/me")).bearer_auth(&tokens[0]).send().await.unwrap();
        assert_eq!(me.status(), 200);
        tokio::time::sleep(Duration::from_millis(500)).await;

        let logs = std::fs::read_to_string(&gateway.log).unwrap();
        assert!(logs.lines().count() > 10, "the gateway logged almost nothing:\n{logs}");
        let hash: String = stack
            .db()
            .await
            .query_one("SELECT password_hash FROM users WHERE email = 'logged@example.com'", &[])
            .await
            .unwrap()
            .get(0);
        for (what, secret) in
            [("password", password), ("wrong password", wrong), ("weak password", weak), ("hash", &hash)]
        {
            assert!(!logs.contains(secret), "the {what} is in the logs");
        }
        for token in &tokens {
            let signature = token.rsplit('.').next().unwrap();
            assert!(!logs.contains(signature), "a token is in the logs");
        }
        for id in &request_ids {
            assert!(logs.contains(id.as_str()), "request id {id} is not in the logs");
        }
        drop(gateway);
    })
    .await
}
