//! `GET /api/seats/{flightId}`: the seat map, with the original
//! `availableSeats` list of free seat numbers.

use lambda_http::{Body, Request, Response};
use shared::http::{self, path_id};
use shared::service::seats::seat_map;
use shared::Services;

pub async fn handle(svc: &Services, req: Request) -> Result<Response<Body>, lambda_http::Error> {
    svc.serve(req, |req| async move {
        let caller = svc.caller(&req).await?;
        let flight_id = path_id(&req, "flightId")?;
        Ok(http::json_text(seat_map(svc, &caller, flight_id).await?))
    })
    .await
}
