//! `GET /api/seats/{flightId}`: the seat map, with the original
//! `availableSeats` list of free seat numbers.

use lambda_http::{Body, Request, Response};
use shared::http::{self, path_id, views::seat_map::render_seat_map};
use shared::service::seats::seat_map;
use shared::Services;

pub async fn handle(svc: &Services, req: Request) -> Result<Response<Body>, lambda_http::Error> {
    svc.serve(req, |req| async move {
        let caller = svc.caller(&req).await?;
        let flight_id = path_id(&req, "flightId")?;
        let map = seat_map(svc, &caller, flight_id).await?;
        Ok(http::json_text(render_seat_map(&map)))
    })
    .await
}
