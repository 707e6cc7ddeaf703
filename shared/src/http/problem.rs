//! RFC 9457 problem details: the single place an [`ApiError`] becomes a response.

use crate::ApiError;
use lambda_http::{Body, Response};
use serde_json::{json, Value};

pub const CONTENT_TYPE: &str = "application/problem+json";

/// The problem `type` URI of a code: stable, documented in the OpenAPI document.
pub fn type_uri(code: &str) -> String {
    format!("urn:flightbook:problem:{}", code.to_ascii_lowercase().replace('_', "-"))
}

pub fn document(error: &ApiError, request_id: &str) -> Value {
    let status = error.status();
    let mut doc = json!({
        "type": type_uri(error.code()),
        "title": status.canonical_reason().unwrap_or("Error"),
        "status": status.as_u16(),
        "detail": error.public_detail(),
        "code": error.code(),
        "requestId": request_id,
    });
    if let (Some(extensions), Some(map)) = (error.extensions(), doc.as_object_mut()) {
        for (key, value) in extensions {
            map.entry(key.clone()).or_insert_with(|| value.clone());
        }
    }
    doc
}

pub fn render(error: &ApiError, request_id: &str) -> Response<Body> {
    let mut builder = Response::builder().status(error.status()).header(http::header::CONTENT_TYPE, CONTENT_TYPE);
    if let Some(secs) = error.retry_after_secs() {
        builder = builder.header(http::header::RETRY_AFTER, secs.to_string());
    }
    builder.body(Body::Text(document(error, request_id).to_string())).expect("static headers are valid")
}

/// A problem response with extra members (e.g. the health report's checks).
pub fn render_with(error: &ApiError, request_id: &str, extra: serde_json::Map<String, Value>) -> Response<Body> {
    let mut response = render(error, request_id);
    let mut doc = document(error, request_id);
    if let Some(map) = doc.as_object_mut() {
        for (key, value) in extra {
            map.entry(key).or_insert(value);
        }
    }
    *response.body_mut() = Body::Text(doc.to_string());
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_rfc9457_with_code_and_retry_after() {
        let response = render(&ApiError::unavailable("redis", "connection refused"), "req-1");
        assert_eq!(response.status(), 503);
        assert_eq!(response.headers()["content-type"], CONTENT_TYPE);
        assert_eq!(response.headers()["retry-after"], "2");
        let Body::Text(text) = response.body() else { panic!("text body") };
        let doc: Value = serde_json::from_str(text).unwrap();
        assert_eq!(doc["status"], 503);
        assert_eq!(doc["code"], "SERVICE_UNAVAILABLE");
        assert_eq!(doc["type"], "urn:flightbook:problem:service-unavailable");
        assert_eq!(doc["requestId"], "req-1");
        assert!(!doc["detail"].as_str().unwrap().contains("refused"), "internal cause leaked");
    }

    #[test]
    fn extensions_do_not_override_standard_members() {
        let error = ApiError::conflict(crate::ErrorCode::SeatUnavailable, "taken")
            .with("status", 200)
            .with("seats", vec!["1A"]);
        let doc = document(&error, "r");
        assert_eq!(doc["status"], 409);
        assert_eq!(doc["seats"][0], "1A");
    }
}
