//! The local API gateway: serves every `HttpApi` route of `template.yaml`
//! by turning each HTTP request into a real API Gateway v2 (payload 2.0)
//! event, converting it exactly as `lambda_http` does in Lambda, and calling
//! the function's handler in-process.

use crate::registry::{http_handler, HttpHandler};
use crate::template::Template;
use anyhow::anyhow;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, State};
use axum::response::IntoResponse;
use base64::Engine as _;
use futures::FutureExt;
use http::{HeaderMap, Method, StatusCode};
use lambda_http::aws_lambda_events::apigw::ApiGatewayV2httpRequest;
use lambda_http::request::LambdaRequest;
use lambda_http::{Body, Request};
use serde_json::{json, Map, Value};
use shared::Services;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;

/// API Gateway's payload limit.
const MAX_PAYLOAD_BYTES: usize = 10 * 1024 * 1024;

struct Endpoint {
    route_key_path: String,
    handlers: BTreeMap<String, (String, HttpHandler)>,
}

pub struct Gateway {
    router: matchit::Router<usize>,
    endpoints: Vec<Endpoint>,
    services: Arc<Services>,
}

/// API Gateway writes `{param}`; matchit 0.8 writes the same.
fn matchit_path(path: &str) -> String {
    path.replace("+}", "}")
}

impl Gateway {
    pub fn new(template: &Template, services: Arc<Services>) -> anyhow::Result<Self> {
        let mut router = matchit::Router::new();
        let mut endpoints: Vec<Endpoint> = Vec::new();
        let mut index_of: BTreeMap<String, usize> = BTreeMap::new();
        for route in &template.routes {
            let handler = http_handler(&route.function).ok_or_else(|| {
                anyhow!(
                    "route {} {} names function {} that the gateway does not know",
                    route.method,
                    route.path,
                    route.function
                )
            })?;
            let index = match index_of.get(&route.path) {
                Some(i) => *i,
                None => {
                    let i = endpoints.len();
                    router.insert(matchit_path(&route.path), i).map_err(|e| anyhow!("route {}: {e}", route.path))?;
                    endpoints.push(Endpoint { route_key_path: route.path.clone(), handlers: BTreeMap::new() });
                    index_of.insert(route.path.clone(), i);
                    i
                }
            };
            if endpoints[index].handlers.insert(route.method.clone(), (route.function.clone(), handler)).is_some() {
                return Err(anyhow!("route {} {} is declared twice", route.method, route.path));
            }
        }
        Ok(Gateway { router, endpoints, services })
    }

    pub fn into_router(self) -> axum::Router {
        axum::Router::new()
            .fallback(dispatch)
            .layer(axum::extract::DefaultBodyLimit::max(MAX_PAYLOAD_BYTES))
            .with_state(Arc::new(self))
    }
}

fn gateway_error(status: StatusCode, message: &str) -> axum::response::Response {
    // API Gateway's own answers (no route, function crashed) have this shape.
    let request_id = uuid::Uuid::new_v4().to_string();
    (
        status,
        [("content-type", "application/json"), ("x-request-id", request_id.as_str())],
        json!({ "message": message }).to_string(),
    )
        .into_response()
}

fn problem(status: StatusCode, code: &str, detail: &str) -> axum::response::Response {
    let body = json!({
        "type": shared::http::problem::type_uri(code),
        "title": status.canonical_reason().unwrap_or("Error"),
        "status": status.as_u16(),
        "detail": detail,
        "code": code,
    });
    let request_id = uuid::Uuid::new_v4().to_string();
    (
        status,
        [("content-type", shared::http::problem::CONTENT_TYPE), ("x-request-id", request_id.as_str())],
        body.to_string(),
    )
        .into_response()
}

async fn dispatch(
    State(gateway): State<Arc<Gateway>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    method: Method,
    uri: http::Uri,
    headers: HeaderMap,
    body: Bytes,
) -> axum::response::Response {
    let path = uri.path().to_string();
    let Ok(matched) = gateway.router.at(&path) else {
        return problem(StatusCode::NOT_FOUND, "ROUTE_NOT_FOUND", &format!("no route for {path}"));
    };
    let endpoint = &gateway.endpoints[*matched.value];
    if method == Method::OPTIONS {
        return (
            StatusCode::NO_CONTENT,
            [
                ("access-control-allow-origin", "*"),
                ("access-control-allow-methods", "GET, POST, OPTIONS"),
                ("access-control-allow-headers", "authorization, content-type, idempotency-key, accept"),
            ],
        )
            .into_response();
    }
    let Some((function, handler)) = endpoint.handlers.get(method.as_str()).or_else(|| endpoint.handlers.get("ANY"))
    else {
        let allowed: Vec<&str> = endpoint.handlers.keys().map(String::as_str).collect();
        let mut response = problem(
            StatusCode::METHOD_NOT_ALLOWED,
            "METHOD_NOT_ALLOWED",
            &format!("{method} is not allowed on {path}; use {}", allowed.join(", ")),
        );
        if let Ok(value) = http::HeaderValue::from_str(&allowed.join(", ")) {
            response.headers_mut().insert(http::header::ALLOW, value);
        }
        return response;
    };
    let path_parameters: Map<String, Value> =
        matched.params.iter().map(|(k, v)| (k.to_string(), Value::String(v.to_string()))).collect();
    let route_key = format!("{method} {}", endpoint.route_key_path);
    let request = match api_gateway_v2_request(&route_key, &method, &uri, &headers, &body, path_parameters, peer) {
        Ok(request) => request,
        Err(e) => return problem(StatusCode::BAD_REQUEST, "BAD_REQUEST", &e.to_string()),
    };
    let services = gateway.services.clone();
    let handler = *handler;
    let started = std::time::Instant::now();
    // In Lambda an invocation runs to its end even when the client goes
    // away; here the connection's future is dropped then, so the handler
    // runs in a task of its own (a booking cut between its commit and its
    // Redis update would otherwise leave holds over sold seats).
    let invocation = tokio::spawn(async move { AssertUnwindSafe(handler(&services, request)).catch_unwind().await });
    let outcome = match invocation.await {
        Ok(outcome) => outcome,
        Err(join_error) => Err(Box::new(join_error.to_string()) as Box<dyn std::any::Any + Send>),
    };
    let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
    match outcome {
        Ok(Ok(response)) => {
            tracing::debug!(function = %function, status = response.status().as_u16(), elapsed_ms, "invoked");
            let (parts, body) = response.into_parts();
            let bytes: Vec<u8> = match body {
                Body::Empty => Vec::new(),
                Body::Text(text) => text.into_bytes(),
                Body::Binary(bytes) => bytes,
                _ => Vec::new(),
            };
            axum::response::Response::from_parts(parts, axum::body::Body::from(bytes))
        }
        // What API Gateway answers when the function returns an error or crashes.
        Ok(Err(e)) => {
            tracing::error!(function = %function, error = %e, "function returned an error");
            gateway_error(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error")
        }
        Err(_) => {
            tracing::error!(function = %function, "function panicked");
            gateway_error(StatusCode::BAD_GATEWAY, "Internal Server Error")
        }
    }
}

/// Builds the HTTP API payload 2.0 event and converts it the way
/// `lambda_http::run` does inside Lambda.
pub fn api_gateway_v2_request(
    route_key: &str,
    method: &Method,
    uri: &http::Uri,
    headers: &HeaderMap,
    body: &[u8],
    path_parameters: Map<String, Value>,
    peer: SocketAddr,
) -> anyhow::Result<Request> {
    let mut header_map = Map::new();
    let mut cookies = Vec::new();
    for name in headers.keys() {
        let values: Vec<&str> = headers.get_all(name).iter().filter_map(|v| v.to_str().ok()).collect();
        if name == http::header::COOKIE {
            cookies.extend(values.iter().flat_map(|v| v.split("; ")).map(str::to_owned));
            continue;
        }
        header_map.insert(name.as_str().to_string(), Value::String(values.join(",")));
    }
    let (body_text, is_base64) = match std::str::from_utf8(body) {
        _ if body.is_empty() => (None, false),
        Ok(text) => (Some(text.to_string()), false),
        Err(_) => (Some(base64::engine::general_purpose::STANDARD.encode(body)), true),
    };
    let now = chrono::Utc::now();
    let host = headers.get(http::header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("localhost").to_string();
    let mut event = json!({
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": uri.path(),
        "rawQueryString": uri.query().unwrap_or(""),
        "headers": header_map,
        "pathParameters": path_parameters,
        "requestContext": {
            "accountId": "000000000000",
            "apiId": "local",
            "domainName": host,
            "domainPrefix": host.split('.').next().unwrap_or("local"),
            "http": {
                "method": method.as_str(),
                "path": uri.path(),
                "protocol": "HTTP/1.1",
                "sourceIp": peer.ip().to_string(),
                "userAgent": headers.get(http::header::USER_AGENT).and_then(|h| h.to_str().ok()).unwrap_or(""),
            },
            "requestId": uuid::Uuid::new_v4().to_string(),
            "routeKey": route_key,
            "stage": "$default",
            "time": now.format("%d/%b/%Y:%H:%M:%S %z").to_string(),
            "timeEpoch": now.timestamp_millis(),
        },
        "isBase64Encoded": is_base64,
    });
    if let Some(text) = body_text {
        event["body"] = Value::String(text);
    }
    if !cookies.is_empty() {
        event["cookies"] = json!(cookies);
    }
    let parsed: ApiGatewayV2httpRequest = serde_json::from_value(event)?;
    Ok(LambdaRequest::ApiGatewayV2(parsed).into())
}

/// Serves until `shutdown` resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    gateway: Gateway,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = gateway.into_router().into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app).with_graceful_shutdown(shutdown).await
}

/// Plays EventBridge Scheduler: calls each scheduled function on its rate
/// with a scheduled-event payload, one run at a time per function (as the
/// template's reserved concurrency of 1 does in AWS).
pub fn run_schedules(template: &Template, services: Arc<Services>) -> anyhow::Result<Vec<tokio::task::JoinHandle<()>>> {
    let mut tasks = Vec::new();
    for function in &template.functions {
        for expression in &function.schedules {
            let period = crate::template::schedule_period(expression)?;
            let handler = crate::registry::schedule_handler(&function.package)
                .ok_or_else(|| anyhow!("{} is scheduled but the gateway does not know it", function.package))?;
            let (services, package) = (services.clone(), function.package.clone());
            tasks.push(tokio::spawn(async move {
                let mut ticks = tokio::time::interval(period);
                ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
                loop {
                    ticks.tick().await;
                    let event = json!({
                        "version": "0",
                        "id": uuid::Uuid::new_v4().to_string(),
                        "detail-type": "Scheduled Event",
                        "source": "aws.scheduler",
                        "time": chrono::Utc::now().to_rfc3339(),
                        "detail": {},
                    });
                    match AssertUnwindSafe(handler(&services, event)).catch_unwind().await {
                        Ok(Ok(result)) => {
                            tracing::debug!(function = %package, %result, "scheduled run done")
                        }
                        Ok(Err(e)) => {
                            tracing::error!(function = %package, error = %e, "scheduled run failed")
                        }
                        Err(_) => tracing::error!(function = %package, "scheduled run panicked"),
                    }
                }
            }));
        }
    }
    Ok(tasks)
}
