//! Helpers shared by the API tests: build real API Gateway v2 requests and
//! read responses.

use http::{HeaderMap, Method};
use lambda_http::{Body, Request, Response};
use serde_json::{Map, Value};

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
        headers.insert(
            http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
            value.parse().unwrap(),
        );
    }
    let params: Map<String, Value> = path_params
        .iter()
        .map(|(k, v)| (k.to_string(), Value::String(v.to_string())))
        .collect();
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
    assert_eq!(
        response.status().as_u16(),
        status,
        "unexpected status, body: {doc}"
    );
    assert_eq!(
        response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/problem+json"),
        "problem content type"
    );
    assert_eq!(doc["status"], status, "{doc}");
    assert_eq!(doc["code"], code, "{doc}");
    assert!(doc["type"].as_str().is_some_and(|t| !t.is_empty()), "{doc}");
    assert!(
        doc["title"].as_str().is_some_and(|t| !t.is_empty()),
        "{doc}"
    );
    assert!(response.headers().contains_key("x-request-id"));
    doc
}

pub async fn signup(stack: &TestStack, name: &str, email: &str, password: &str) -> Response<Body> {
    let body = serde_json::json!({"name": name, "email": email, "password": password});
    auth_signup::handle(
        &stack.services,
        request("POST", "/api/auth/signup", Some(body), None),
    )
    .await
    .unwrap()
}

pub async fn login(stack: &TestStack, email: &str, password: &str) -> Response<Body> {
    let body = serde_json::json!({"email": email, "password": password});
    auth_login::handle(
        &stack.services,
        request("POST", "/api/auth/login", Some(body), None),
    )
    .await
    .unwrap()
}

/// Signs a customer up and returns (user id, token).
pub async fn customer(stack: &TestStack, email: &str) -> (i64, String) {
    let response = signup(stack, "Test Customer", email, "correct horse battery").await;
    let doc = body_json(&response);
    assert_eq!(response.status(), 201, "{doc}");
    (
        doc["userId"].as_i64().unwrap(),
        doc["token"].as_str().unwrap().to_string(),
    )
}
