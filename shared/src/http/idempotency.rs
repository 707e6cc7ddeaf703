//! `Idempotency-Key` with Stripe semantics for the routes that create or
//! charge: the same key and body replay the first response byte for byte;
//! the same key with another body is `422`; a retry while the first request
//! is still running is `409`. Keys are scoped to the route and the caller.

use crate::http::{problem, Caller, RequestMeta};
use crate::store::idempotency::{Claim, IdempotencyStore};
use crate::ApiError;
use crate::ErrorCode;
use lambda_http::{Body, Request, Response};
use sha2::{Digest, Sha256};
use std::future::Future;

pub const HEADER: &str = "idempotency-key";
pub const REPLAYED_HEADER: &str = "idempotent-replayed";

fn body_bytes(req: &Request) -> &[u8] {
    match req.body() {
        Body::Text(text) => text.as_bytes(),
        Body::Binary(bytes) => bytes,
        _ => b"",
    }
}

/// Same parameters, whatever the whitespace or key order of the JSON.
fn request_hash(req: &Request) -> String {
    let bytes = body_bytes(req);
    let canonical = serde_json::from_slice::<serde_json::Value>(bytes)
        .map(|v| v.to_string().into_bytes())
        .unwrap_or_else(|_| bytes.to_vec());
    let mut hasher = Sha256::new();
    hasher.update(req.method().as_str().as_bytes());
    hasher.update(req.uri().path().as_bytes());
    hasher.update(&canonical);
    format!("{:x}", hasher.finalize())
}

fn response_text(response: &Response<Body>) -> String {
    match response.body() {
        Body::Text(text) => text.clone(),
        Body::Binary(bytes) => String::from_utf8_lossy(bytes).into_owned(),
        _ => String::new(),
    }
}

/// Runs `run` once per `Idempotency-Key` (records in `store`).
pub async fn idempotent<Fut>(
    store: IdempotencyStore<'_>,
    req: &Request,
    caller: &Caller,
    scope: &str,
    run: impl FnOnce() -> Fut,
) -> Result<Response<Body>, ApiError>
where
    Fut: Future<Output = Result<Response<Body>, ApiError>>,
{
    let Some(raw_key) = req.headers().get(HEADER) else {
        return run().await;
    };
    let key = raw_key
        .to_str()
        .ok()
        .map(str::trim)
        .filter(|k| !k.is_empty() && k.len() <= 255 && k.bytes().all(|b| b.is_ascii_graphic()))
        .ok_or_else(|| {
            ApiError::bad_request(
                ErrorCode::InvalidIdempotencyKey,
                "Idempotency-Key must be 1 to 255 visible ASCII characters",
            )
        })?;
    let record_key = format!("{scope}:{}:{key}", caller.user_id);
    match store.claim(&record_key, &request_hash(req)).await? {
        Claim::Acquired => {}
        Claim::Replay { status, body, content_type } => {
            return Response::builder()
                .status(status)
                .header(http::header::CONTENT_TYPE, content_type)
                .header(REPLAYED_HEADER, "true")
                .body(Body::Text(body))
                .map_err(ApiError::internal);
        }
        Claim::InProgress => {
            return Err(ApiError::conflict(
                ErrorCode::IdempotencyInProgress,
                "a request with this Idempotency-Key is still being processed",
            ))
        }
        Claim::Mismatch => {
            return Err(ApiError::unprocessable(
                ErrorCode::IdempotencyKeyReused,
                "this Idempotency-Key was used with a different request",
            ))
        }
    }
    let response = match run().await {
        Ok(response) => response,
        Err(error) => problem::render(&error, &RequestMeta::of(req).request_id),
    };
    if response.status().is_server_error() || response.status() == http::StatusCode::TOO_MANY_REQUESTS {
        // Transient (a dependency down, or rate limited before anything
        // ran): the retry after Retry-After must really run again.
        store.abandon(&record_key).await?;
    } else {
        let content_type = response
            .headers()
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("application/json")
            .to_string();
        // The work is done: a record that could not be written must not turn
        // it into an error. A retry finds the claim, then (after its timeout)
        // runs again, and the payment answers it from Postgres.
        let completed =
            store.complete(&record_key, response.status().as_u16(), &response_text(&response), &content_type).await;
        if let Err(e) = completed {
            tracing::error!(error = %e, "the idempotent answer could not be recorded; answering it anyway");
        }
    }
    Ok(response)
}
