//! `POST /api/seats/release {flightId, seatNumbers}` or `{holdId}`: only the
//! holder can release.

use lambda_http::{Body, Request, Response};
use serde::Deserialize;
use shared::http::{self, json_body, views::seats::SeatReleaseBody, Id};
use shared::service::seats::{release_seats, ReleaseTarget};
use shared::{ApiError, Services};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ReleaseBody {
    flight_id: Option<Id>,
    seat_number: Option<String>,
    seat_numbers: Option<Vec<String>>,
    hold_id: Option<String>,
    user_id: Option<Id>,
}

pub async fn handle(svc: &Services, req: Request) -> Result<Response<Body>, lambda_http::Error> {
    svc.serve(req, |req| async move {
        let caller = svc.caller(&req).await?;
        let body: ReleaseBody = json_body(&req)?;
        caller.ensure_self(body.user_id.map(|id| id.0))?;
        let seats = body.seat_numbers.or(body.seat_number.map(|s| vec![s]));
        let target = match (body.hold_id, body.flight_id, seats) {
            (Some(hold_id), _, _) => ReleaseTarget::Hold { hold_id },
            (None, Some(Id(flight_id)), Some(seats)) if !seats.is_empty() && seats.len() <= 9 => {
                ReleaseTarget::Seats { flight_id, seats }
            }
            _ => return Err(ApiError::invalid_field("holdId", "give holdId, or flightId with 1 to 9 seatNumbers")),
        };
        let release = release_seats(svc, &caller, target).await?;
        Ok(http::json(&SeatReleaseBody::from(&release)))
    })
    .await
}
