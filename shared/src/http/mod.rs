//! HTTP plumbing shared by every route: the request wrapper that adds
//! `x-request-id` and renders errors, JSON bodies, ids, the auth extractor.

pub mod auth;
pub mod body;
pub mod idempotency;
pub mod payment_method;
pub mod problem;
pub mod request;
pub mod response;
pub mod search_cursor;
pub mod search_facets;
pub mod search_page;
pub mod search_request;
mod services;
pub mod views;

pub use ::http::{header, HeaderValue, StatusCode};
pub use auth::Caller;
pub use body::{json_body, Id};
pub use request::{page_limit, path_id, query_param, RequestMeta};
pub use response::{json, json_text, json_with_status};

use crate::ApiError;
use lambda_http::{Body, Request, Response};
use std::future::Future;
use std::time::Duration;
use tracing::Instrument;

pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// Runs one route handler: a span carrying the request id, a deadline shorter
/// than the function timeout, errors rendered as problem+json and logged once,
/// and `x-request-id` on every response.
pub async fn serve<Fut>(
    req: Request,
    deadline: Duration,
    handler: impl FnOnce(Request) -> Fut,
) -> Result<Response<Body>, lambda_http::Error>
where
    Fut: Future<Output = Result<Response<Body>, ApiError>>,
{
    let meta = RequestMeta::of(&req);
    let changes_state = !matches!(*req.method(), http::Method::GET | http::Method::HEAD | http::Method::OPTIONS);
    let span = tracing::info_span!(
        "request",
        request_id = %meta.request_id,
        method = %req.method(),
        path = %req.uri().path(),
    );
    async move {
        let outcome = match tokio::time::timeout(deadline, handler(req)).await {
            Ok(outcome) => outcome,
            // A write cut at its deadline may have committed first.
            Err(_) if changes_state => Err(ApiError::outcome_unknown(format!(
                "the request took longer than {deadline:?} and was stopped; it may or may not have taken effect: \
                 retry with the same Idempotency-Key"
            ))),
            Err(_) => Err(ApiError::unavailable("deadline", format!("request took longer than {deadline:?}"))),
        };
        let mut response = match outcome {
            Ok(response) => response,
            Err(error) => {
                if error.status().is_server_error() {
                    tracing::error!(code = error.code(), error = %error, "request failed");
                } else {
                    tracing::info!(code = error.code(), status = error.status().as_u16(), "request rejected");
                }
                problem::render(&error, &meta.request_id)
            }
        };
        if let Ok(value) = http::HeaderValue::from_str(&meta.request_id) {
            response.headers_mut().insert(REQUEST_ID_HEADER, value);
        }
        tracing::info!(status = response.status().as_u16(), "request done");
        Ok(response)
    }
    .instrument(span)
    .await
}
