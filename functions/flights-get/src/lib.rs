//! `GET /api/flights/{flightId}`: one flight with status, times, aircraft,
//! fares and seats left per cabin.

use lambda_http::{Body, Request, Response};
use shared::http::{self, path_id, views::flights::FlightBody};
use shared::service::flights::flight_view;
use shared::Services;

pub async fn handle(svc: &Services, req: Request) -> Result<Response<Body>, lambda_http::Error> {
    svc.serve(req, |req| async move {
        svc.caller(&req).await?;
        let flight_id = path_id(&req, "flightId")?;
        let flight = flight_view(svc, flight_id).await?;
        Ok(http::json(&FlightBody::from(&flight)))
    })
    .await
}
