//! `POST /api/tickets/generate {booking_id}` (original) or `{bookingId}`:
//! the booking's tickets, issuing them now if paid and not yet issued.

use lambda_http::{Body, Request, Response};
use serde::Deserialize;
use shared::http::idempotency::idempotent;
use shared::http::{self, json_body, views::tickets::BookingTicketsBody, Id};
use shared::service::tickets::generate;
use shared::{ApiError, Services};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct GenerateBody {
    booking_id: Option<Id>,
    #[serde(rename = "booking_id")]
    booking_id_snake: Option<Id>,
}

pub async fn handle(svc: &Services, req: Request) -> Result<Response<Body>, lambda_http::Error> {
    svc.serve(req, |req| async move {
        let caller = svc.caller(&req).await?;
        let body: GenerateBody = json_body(&req)?;
        let Id(booking_id) = body
            .booking_id
            .or(body.booking_id_snake)
            .ok_or_else(|| ApiError::invalid_field("bookingId", "is required (booking_id in the original form)"))?;
        idempotent(svc.idempotency_store(), &req, &caller, "tickets-generate", || async {
            let tickets = generate(svc, &caller, booking_id).await?;
            Ok(http::json(&BookingTicketsBody::from(&tickets)))
        })
        .await
    })
    .await
}
