//! `POST /api/seats/lock {flightId, seatNumber}` or `{flightId, seatNumbers: [...]}`:
//! all-or-nothing holds for a fixed time.

use lambda_http::{Body, Request, Response};
use serde::Deserialize;
use shared::http::{self, json_body, views::seats::SeatHoldBody, Id};
use shared::service::seats::lock_seats;
use shared::{ApiError, Services};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct LockBody {
    flight_id: Id,
    seat_number: Option<String>,
    seat_numbers: Option<Vec<String>>,
    user_id: Option<Id>,
}

pub async fn handle(svc: &Services, req: Request) -> Result<Response<Body>, lambda_http::Error> {
    svc.serve(req, |req| async move {
        let caller = svc.caller(&req).await?;
        let body: LockBody = json_body(&req)?;
        caller.ensure_self(body.user_id.map(|id| id.0))?;
        let seats = match (body.seat_numbers, body.seat_number) {
            (Some(list), _) => list,
            (None, Some(one)) => vec![one],
            (None, None) => return Err(ApiError::invalid_field("seatNumbers", "give seatNumber or seatNumbers")),
        };
        let hold = lock_seats(svc, &caller, body.flight_id.0, &seats).await?;
        Ok(http::json(&SeatHoldBody::from(&hold)))
    })
    .await
}
