//! `POST /api/bookings/{bookingId}/change-quotes {slice, legs: [{flightId,
//! seatNumbers?}]}`: what moving one slice of a paid booking to other
//! flights on its route costs, with the new seats held until it expires.

use lambda_http::{Body, Request, Response};
use serde::Deserialize;
use shared::http::views::changes::ChangeQuoteBody;
use shared::http::{self, json_body, path_id, Id, StatusCode};
use shared::service::bookings::{quote_change, ChangeRequest};
use shared::{ApiError, Services};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct LegBody {
    flight_id: Id,
    #[serde(default)]
    seat_numbers: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct QuoteBody {
    slice: Option<i32>,
    legs: Vec<LegBody>,
}

pub async fn handle(svc: &Services, req: Request) -> Result<Response<Body>, lambda_http::Error> {
    svc.serve(req, |req| async move {
        let caller = svc.caller(&req).await?;
        let booking_id = path_id(&req, "bookingId")?;
        let body: QuoteBody = json_body(&req)?;
        let slice = body.slice.unwrap_or(1);
        if !(1..=5).contains(&slice) {
            return Err(ApiError::invalid_field("slice", "give a slice of the booking, 1 to 5"));
        }
        let legs = body.legs.into_iter().map(|l| (l.flight_id.0, l.seat_numbers)).collect();
        let quoted = quote_change(svc, &caller, booking_id, ChangeRequest { slice, legs }).await?;
        Ok(http::json_with_status(StatusCode::CREATED, &ChangeQuoteBody::new(&quoted.quote)))
    })
    .await
}
