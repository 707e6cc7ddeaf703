//! `POST /api/admin/flights/{flightId}/cancel` (admin only): cancels the
//! flight and drops every cached search that contains it.

use lambda_http::{Body, Request, Response};
use shared::http::{self, path_id, views::flights::CancelledFlightBody};
use shared::service::flights::cancel_flight;
use shared::Services;

pub async fn handle(svc: &Services, req: Request) -> Result<Response<Body>, lambda_http::Error> {
    svc.serve(req, |req| async move {
        let caller = svc.caller(&req).await?;
        let flight_id = path_id(&req, "flightId")?;
        let cancelled = cancel_flight(svc, &caller, flight_id).await?;
        Ok(http::json(&CancelledFlightBody::from(&cancelled)))
    })
    .await
}
