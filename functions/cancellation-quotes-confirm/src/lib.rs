//! `POST /api/cancellation-quotes/{quoteId}/confirm`: executes the caller's
//! unexpired quote once (`404` for others' quotes): refund, seats freed,
//! tickets voided, credit note. A retry with the same `Idempotency-Key`
//! replays the answer; otherwise a confirmed quote is `409
//! QUOTE_ALREADY_CONFIRMED`, an expired one `409 QUOTE_EXPIRED`, and one
//! whose booking changed since `409 QUOTE_STALE`.

use chrono::Utc;
use lambda_http::{Body, Request, Response};
use shared::http::idempotency::{idempotent, HEADER};
use shared::http::views::cancellation_quotes::ConfirmedCancellationBody;
use shared::http::{self, path_id};
use shared::service::bookings::confirm_quote;
use shared::Services;

pub async fn handle(svc: &Services, req: Request) -> Result<Response<Body>, lambda_http::Error> {
    svc.serve(req, |req| async move {
        let caller = svc.caller(&req).await?;
        let quote_id = path_id(&req, "quoteId")?;
        let key = req
            .headers()
            .get(HEADER)
            .and_then(|v| v.to_str().ok())
            .map(|k| k.trim().to_string())
            .filter(|k| !k.is_empty());
        idempotent(svc.idempotency_store(), &req, &caller, "cancellation-quotes-confirm", || async {
            let confirmed = confirm_quote(svc, &caller, quote_id, key.as_deref()).await?;
            Ok(http::json(&ConfirmedCancellationBody::new(&confirmed, Utc::now())))
        })
        .await
    })
    .await
}
