//! The requests the phases send: API Gateway v2 events for the handlers called in process,
//! and the paths, bodies and headers shared with the load through the gateway.

use crate::context::Flight;
use chrono::NaiveDate;
use local_stack::registry::{http_handler, HttpHandler};
use rand::rngs::StdRng;
use rand::Rng;
use serde_json::Value;
use shared::http::search_request::parse_search_request;
use shared::Services;
use std::collections::HashMap;
use std::net::SocketAddr;

fn peer() -> SocketAddr {
    "127.0.0.1:40000".parse().expect("a socket address")
}

/// The API Gateway v2 request the gateway would build for this call.
pub fn lambda_request(
    method: &str,
    route: &str,
    path_and_query: &str,
    params: &[(&str, String)],
    token: Option<&str>,
    body: Option<&str>,
) -> lambda_http::Request {
    let uri: ::http::Uri = path_and_query.parse().expect("a valid URI");
    let mut headers = ::http::HeaderMap::new();
    headers.insert("host", ::http::HeaderValue::from_static("127.0.0.1"));
    headers.insert("user-agent", ::http::HeaderValue::from_static("bench"));
    if let Some(token) = token {
        headers.insert("authorization", format!("Bearer {token}").parse().expect("a header value"));
    }
    if body.is_some() {
        headers.insert("content-type", ::http::HeaderValue::from_static("application/json"));
    }
    let params = params.iter().map(|(k, v)| (k.to_string(), Value::String(v.clone()))).collect();
    let method: ::http::Method = method.parse().expect("a method");
    local_stack::gateway::api_gateway_v2_request(
        &format!("{method} {route}"),
        &method,
        &uri,
        &headers,
        body.unwrap_or("").as_bytes(),
        params,
        peer(),
    )
    .expect("a valid API Gateway event")
}

pub fn handler(package: &str) -> HttpHandler {
    http_handler(package).unwrap_or_else(|| panic!("no handler for {package}"))
}

pub fn body_text(body: &lambda_http::Body) -> &str {
    match body {
        lambda_http::Body::Text(t) => t,
        _ => "",
    }
}

pub fn search_path(
    origin: &str,
    destination: &str,
    date: NaiveDate,
    max_stops: u8,
    passengers: u8,
    sort: &str,
) -> String {
    format!(
        "/api/flights/search?source={origin}&destination={destination}&date={date}&maxStops={max_stops}&passengers={passengers}&sort={sort}"
    )
}

/// The Redis keys of a query's cached result (`store::search_cache`).
pub fn search_cache_keys(svc: &Services, path_and_query: &str) -> Vec<String> {
    let query = path_and_query.split_once('?').map(|(_, q)| q).unwrap_or("");
    let params: HashMap<&str, &str> = query.split('&').filter_map(|kv| kv.split_once('=')).collect();
    let request = parse_search_request(|k| params.get(k).copied()).expect("a valid search");
    let hash = request.query.hash();
    ["m", "fl", "q"].iter().map(|kind| svc.redis.key(&format!("{{search}}:{kind}:{hash}"))).collect()
}

pub fn lock_body(flight: &Flight, rng: &mut StdRng) -> String {
    let seat = &flight.seats[rng.gen_range(0..flight.seats.len())];
    format!(r#"{{"flightId":{},"seatNumber":"{seat}"}}"#, flight.id)
}

pub fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}
