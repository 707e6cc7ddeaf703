//! Helpers shared by the API tests: build real API Gateway v2 requests and
//! read responses.

use http::{HeaderMap, Method};
use lambda_http::{Body, Request, Response};
use serde_json::{Map, Value};
use shared::{Config, Services};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

pub use local_stack::testing::TestStack;

/// A request in the exact shape the handlers get from API Gateway.
pub fn request(method: &str, path: &str, body: Option<Value>, token: Option<&str>) -> Request {
    request_with(method, path, body.map(|b| b.to_string()), token, &[], &[])
}

pub fn request_with(
    method: &str,
    path_and_query: &str,
    body: Option<String>,
    token: Option<&str>,
    path_params: &[(&str, &str)],
    extra_headers: &[(&str, &str)],
) -> Request {
    let method: Method = method.parse().unwrap();
    let uri: http::Uri = path_and_query.parse().unwrap();
    let mut headers = HeaderMap::new();
    headers.insert("host", "localhost".parse().unwrap());
    if body.is_some() {
        headers.insert("content-type", "application/json".parse().unwrap());
    }
    if let Some(token) = token {
        headers.insert("authorization", format!("Bearer {token}").parse().unwrap());
    }
    for (name, value) in extra_headers {
        headers.insert(http::HeaderName::from_bytes(name.as_bytes()).unwrap(), value.parse().unwrap());
    }
    let params: Map<String, Value> =
        path_params.iter().map(|(k, v)| (k.to_string(), Value::String(v.to_string()))).collect();
    local_stack::gateway::api_gateway_v2_request(
        &format!("{method} {}", uri.path()),
        &method,
        &uri,
        &headers,
        body.as_deref().unwrap_or("").as_bytes(),
        params,
        "127.0.0.1:40000".parse().unwrap(),
    )
    .unwrap()
}

pub fn body_json(response: &Response<Body>) -> Value {
    let text = match response.body() {
        Body::Text(t) => t.clone(),
        Body::Binary(b) => String::from_utf8_lossy(b).into_owned(),
        _ => String::new(),
    };
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("response is not JSON ({e}): {text}"))
}

/// Asserts an RFC 9457 problem with the given status and code.
pub fn assert_problem(response: &Response<Body>, status: u16, code: &str) -> Value {
    let doc = body_json(response);
    assert_eq!(response.status().as_u16(), status, "unexpected status, body: {doc}");
    assert_eq!(
        response.headers().get("content-type").and_then(|v| v.to_str().ok()),
        Some("application/problem+json"),
        "problem content type"
    );
    assert_eq!(doc["status"], status, "{doc}");
    assert_eq!(doc["code"], code, "{doc}");
    assert!(doc["type"].as_str().is_some_and(|t| !t.is_empty()), "{doc}");
    assert!(doc["title"].as_str().is_some_and(|t| !t.is_empty()), "{doc}");
    assert!(response.headers().contains_key("x-request-id"));
    doc
}

pub async fn signup(stack: &TestStack, name: &str, email: &str, password: &str) -> Response<Body> {
    let body = serde_json::json!({"name": name, "email": email, "password": password});
    auth_signup::handle(&stack.services, request("POST", "/api/auth/signup", Some(body), None)).await.unwrap()
}

pub async fn login(stack: &TestStack, email: &str, password: &str) -> Response<Body> {
    let body = serde_json::json!({"email": email, "password": password});
    auth_login::handle(&stack.services, request("POST", "/api/auth/login", Some(body), None)).await.unwrap()
}

/// Signs a customer up and returns (user id, token).
pub async fn customer(stack: &TestStack, email: &str) -> (i64, String) {
    let response = signup(stack, "Test Customer", email, "correct horse battery").await;
    let doc = body_json(&response);
    assert_eq!(response.status(), 201, "{doc}");
    (doc["userId"].as_i64().unwrap(), doc["token"].as_str().unwrap().to_string())
}

/// A small hand-made network in a test database: airports across UTC
/// offsets, one airline, a 4-seat aircraft so "full" is easy to reach.
pub struct Network {
    pub db: tokio_postgres::Client,
    /// Local midnight (Asia/Kolkata) of the search date, two days ahead.
    pub day: chrono::DateTime<chrono::Utc>,
    pub date: String,
}

impl Network {
    pub async fn new(stack: &TestStack) -> Network {
        let db = stack.db().await;
        db.batch_execute(
            r#"
            INSERT INTO airports (code, name, city, country, time_zone, min_connection_minutes, min_connection_minutes_international) VALUES
              ('AAA', 'Alpha', 'Alpha City', 'IN', 'Asia/Kolkata', 45, 90),
              ('BBB', 'Bravo', 'Bravo City', 'IN', 'Asia/Kolkata', 45, 90),
              ('CCC', 'Charlie', 'Charlie City', 'IN', 'Asia/Kolkata', 60, 90),
              ('DDD', 'Delta', 'Delta City', 'IN', 'Asia/Kolkata', 45, 90),
              ('EEE', 'Echo', 'Dubai', 'AE', 'Asia/Dubai', 60, 90),
              ('NNN', 'November', 'New York', 'US', 'America/New_York', 60, 90);
            INSERT INTO airlines (code, name) VALUES ('XY', 'Example Air');
            INSERT INTO aircraft_types (code, name, layout) VALUES ('T4', 'Tiny 4',
              '{"cabins": [{"cabin": "ECONOMY", "firstRow": 1, "lastRow": 2, "letters": "AB"}]}');
            "#,
        )
        .await
        .unwrap();
        let tz: chrono_tz::Tz = "Asia/Kolkata".parse().unwrap();
        let date = chrono::Utc::now().with_timezone(&tz).date_naive() + chrono::Duration::days(2);
        let day = chrono::TimeZone::from_local_datetime(&tz, &date.and_hms_opt(0, 0, 0).unwrap())
            .unwrap()
            .with_timezone(&chrono::Utc);
        Network { db, day, date: date.to_string() }
    }

    /// Adds a flight departing `minutes_after_midnight` (IST) on the search
    /// date, lasting `duration` minutes; economy fare in paise. Returns its id.
    pub async fn flight(
        &self,
        number: &str,
        from: &str,
        to: &str,
        minutes_after_midnight: i64,
        duration: i64,
        fare: i64,
    ) -> i64 {
        let departs = self.day + chrono::Duration::minutes(minutes_after_midnight);
        let arrives = departs + chrono::Duration::minutes(duration);
        let row = self
            .db
            .query_one(
                "INSERT INTO flights (airline_code, flight_number, origin, destination, departs_at, arrives_at, aircraft_type)
                 VALUES ('XY', $1, $2, $3, $4, $5, 'T4') RETURNING id",
                &[&number, &from, &to, &departs, &arrives],
            )
            .await
            .unwrap();
        let id: i64 = row.get(0);
        self.db
            .execute(
                "INSERT INTO flight_fares (flight_id, cabin, amount, currency, seats_total) VALUES ($1, 'ECONOMY', $2, 'INR', 4)",
                &[&id, &fare],
            )
            .await
            .unwrap();
        id
    }
}

/// The network's search date `offset` days on, as `YYYY-MM-DD`.
pub fn day(net: &Network, offset: i64) -> String {
    (chrono::NaiveDate::parse_from_str(&net.date, "%Y-%m-%d").unwrap() + chrono::Duration::days(offset)).to_string()
}

/// Runs a search through the handler; returns (status, body, x-cache).
pub async fn search(stack: &TestStack, token: &str, query: &str) -> (u16, Value, String) {
    let req = request_with("GET", &format!("/api/flights/search?{query}"), None, Some(token), &[], &[]);
    let response = flights_search::handle(&stack.services, req).await.unwrap();
    let cache = response.headers().get("x-cache").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    (response.status().as_u16(), body_json(&response), cache)
}

pub fn itinerary_ids(body: &Value) -> Vec<String> {
    body["itineraries"].as_array().unwrap().iter().map(|i| i["id"].as_str().unwrap().to_string()).collect()
}

/// Calls the handler of the route named `name` (as in the routes table)
/// with a body; returns (status, body).
pub async fn call_route(
    stack: &TestStack,
    name: &str,
    method: &str,
    path: &str,
    params: &[(&str, &str)],
    body: Option<Value>,
    token: &str,
) -> (u16, Value) {
    call(local_stack::registry::http_handler(name).unwrap(), stack, method, path, params, body, token).await
}

/// [`call_route`] with `POST`.
pub async fn post_route(
    stack: &TestStack,
    name: &str,
    path: &str,
    params: &[(&str, &str)],
    body: Option<Value>,
    token: &str,
) -> (u16, Value) {
    call_route(stack, name, "POST", path, params, body, token).await
}

/// Calls a JSON route handler with a body; returns (status, body).
pub async fn call(
    handler: local_stack::registry::HttpHandler,
    stack: &TestStack,
    method: &str,
    path: &str,
    params: &[(&str, &str)],
    body: Option<Value>,
    token: &str,
) -> (u16, Value) {
    let req = request_with(method, path, body.map(|b| b.to_string()), Some(token), params, &[]);
    let response = handler(&stack.services, req).await.unwrap();
    let status = response.status().as_u16();
    (status, body_json(&response))
}

pub fn lock_handler() -> local_stack::registry::HttpHandler {
    local_stack::registry::http_handler("seats-lock").unwrap()
}

pub async fn lock(stack: &TestStack, token: &str, body: Value) -> (u16, Value) {
    call(lock_handler(), stack, "POST", "/api/seats/lock", &[], Some(body), token).await
}

pub async fn create_booking(stack: &TestStack, token: &str, body: Value) -> (u16, Value) {
    let handler = local_stack::registry::http_handler("bookings-create").unwrap();
    call(handler, stack, "POST", "/api/bookings/create", &[], Some(body), token).await
}

pub async fn seat_map(stack: &TestStack, token: &str, flight: i64) -> (u16, Value) {
    let handler = local_stack::registry::http_handler("seats-list").unwrap();
    let id = flight.to_string();
    call(handler, stack, "GET", &format!("/api/seats/{id}"), &[("flightId", &id)], None, token).await
}

/// A URL with `user:password@`.
pub fn has_password(url: &str) -> bool {
    url.split_once("://").is_some_and(|(_, rest)| {
        let authority = &rest[..rest.find(['/', '?']).unwrap_or(rest.len())];
        authority.rsplit_once('@').is_some_and(|(userinfo, _)| userinfo.contains(':'))
    })
}

/// Fails the test instead of letting it hang.
pub async fn within<T>(seconds: u64, what: impl Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(seconds), what)
        .await
        .unwrap_or_else(|_| panic!("the test did not finish within {seconds} s"))
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("a free loopback port").local_addr().unwrap().port()
}

/// `url` with its `host:port` replaced by `address` (user, password,
/// database and parameters kept): for pointing a client at a proxy.
pub fn with_address(url: &str, address: &str) -> String {
    let (scheme, rest) = url.split_once("://").expect("a URL");
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let userinfo = authority.rsplit_once('@').map(|(user, _)| format!("{user}@")).unwrap_or_default();
    format!("{scheme}://{userinfo}{address}{tail}")
}

/// The `host:port` of a URL.
pub fn address_of(url: &str) -> String {
    let rest = url.split_once("://").expect("a URL").1;
    let authority = &rest[..rest.find(['/', '?']).unwrap_or(rest.len())];
    authority.rsplit_once('@').map_or(authority, |(_, hostport)| hostport).to_string()
}

/// A copy of `base` (its database, key prefix and emulator resources) whose
/// services use other values for some variables, e.g. another `REDIS_URL`.
pub fn stack_with(base: &TestStack, overrides: &[(&str, String)]) -> TestStack {
    let mut env = base.env.clone();
    for (name, value) in overrides {
        env.insert(name.to_string(), value.clone());
        // Another server: its URL carries its own credentials (empty, not
        // removed: the process environment would fill a missing one in).
        match *name {
            "DATABASE_URL" => env.insert("DATABASE_SECRET_ID".into(), String::new()),
            "REDIS_URL" => env.insert("REDIS_AUTH_SECRET_ID".into(), String::new()),
            _ => None,
        };
    }
    let config = Config::from_lookup(|k| env.get(k).cloned().or_else(|| std::env::var(k).ok())).unwrap();
    let database_url = overrides
        .iter()
        .find(|(name, _)| *name == "DATABASE_URL")
        .map_or_else(|| base.database_url.clone(), |(_, url)| url.clone());
    // The base's database through a proxy keeps its owner; a server of the
    // test's own has one role for everything.
    let app_role = local_stack::database::app_role(&base.database_url);
    let owner_url = if local_stack::database::app_role(&database_url) == app_role {
        base.owner_url.clone()
    } else {
        database_url.clone()
    };
    TestStack {
        services: Arc::new(Services::new(config).unwrap()),
        database_url,
        owner_url,
        prefix: base.prefix.clone(),
        resources: base.resources.clone(),
        template: base.template.clone(),
        env,
    }
}

/// The local gateway serving the given stack's services on a free port.
pub async fn start_gateway_with(stack: &TestStack) -> String {
    let gateway = local_stack::gateway::Gateway::new(&stack.template, stack.services.clone()).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(local_stack::gateway::serve(listener, gateway, std::future::pending()));
    format!("http://{address}")
}

/// `object[field]`, an integer amount the original contract keeps, has its
/// money object beside it (`fieldMoney`, or `field_money` in the original's
/// snake_case rows) saying the same in `currency`.
pub fn assert_money_beside(object: &Value, field: &str, currency: &str) {
    let amount = object[field].as_i64().unwrap_or_else(|| panic!("{field} is an integer: {object}"));
    let beside = if field.contains('_') || object.get(format!("{field}_money")).is_some() {
        format!("{field}_money")
    } else {
        format!("{field}Money")
    };
    let money = &object[&beside];
    let formatted = shared::domain::money::Money::new(amount, currency).formatted();
    assert_eq!(
        (money["amount"].as_i64(), money["currency"].as_str(), money["formatted"].as_str()),
        (Some(amount), Some(currency), Some(formatted.as_str())),
        "{beside} beside {field}: {object}"
    );
}
