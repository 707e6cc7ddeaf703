use lambda_http::{Body, Response};
use serde::Serialize;

pub fn json_with_status(status: http::StatusCode, value: &impl Serialize) -> Response<Body> {
    let body = serde_json::to_string(value).expect("response types serialise");
    Response::builder()
        .status(status)
        .header(http::header::CONTENT_TYPE, "application/json")
        .body(Body::Text(body))
        .expect("static headers are valid")
}

/// A `200` whose body is already a JSON document.
pub fn json_text(body: String) -> Response<Body> {
    Response::builder()
        .status(http::StatusCode::OK)
        .header(http::header::CONTENT_TYPE, "application/json")
        .body(Body::Text(body))
        .expect("static headers are valid")
}

pub fn json(value: &impl Serialize) -> Response<Body> {
    json_with_status(http::StatusCode::OK, value)
}
