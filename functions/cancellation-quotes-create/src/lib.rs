//! `POST /api/bookings/{bookingId}/cancellation-quotes`: what cancelling the
//! booking (no body or `{}`), or some of its passengers and slices
//! (`{passengers: [positions], slices: [numbers]}`), refunds and keeps by
//! its fare rules; owner only (`404` for others). The quote is valid for
//! 15 minutes: confirm it with `POST /api/cancellation-quotes/{id}/confirm`.

use chrono::Utc;
use lambda_http::{Body, Request, Response};
use serde::Deserialize;
use shared::domain::cancellation::ScopeRequest;
use shared::http::views::cancellation_quotes::CancellationQuoteBody;
use shared::http::{self, json_body, path_id};
use shared::service::bookings::create_quote;
use shared::{ApiError, ErrorCode, Services};

#[derive(Deserialize, Default)]
struct ScopeBody {
    passengers: Option<Vec<i32>>,
    slices: Option<Vec<i32>>,
}

fn blank(req: &Request) -> bool {
    match req.body() {
        Body::Text(text) => text.trim().is_empty(),
        Body::Binary(bytes) => bytes.iter().all(u8::is_ascii_whitespace),
        _ => true,
    }
}

fn scope(req: &Request) -> Result<ScopeRequest, ApiError> {
    let body: ScopeBody = if blank(req) { ScopeBody::default() } else { json_body(req)? };
    for (field, list) in [("passengers", &body.passengers), ("slices", &body.slices)] {
        if list.as_ref().is_some_and(Vec::is_empty) {
            return Err(ApiError::unprocessable(
                ErrorCode::CancellationScopeInvalid,
                format!("{field}: name at least one, or leave it out for all"),
            )
            .with("field", field));
        }
    }
    Ok(ScopeRequest { passengers: body.passengers, slices: body.slices })
}

pub async fn handle(svc: &Services, req: Request) -> Result<Response<Body>, lambda_http::Error> {
    svc.serve(req, |req| async move {
        let caller = svc.caller(&req).await?;
        let booking_id = path_id(&req, "bookingId")?;
        let scope = scope(&req)?;
        let quote = create_quote(svc, &caller, booking_id, &scope).await?;
        Ok(http::json_with_status(http::StatusCode::CREATED, &CancellationQuoteBody::new(&quote, Utc::now())))
    })
    .await
}
