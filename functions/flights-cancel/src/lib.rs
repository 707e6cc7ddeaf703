//! `POST /api/admin/flights/{flightId}/cancel` (admin only): cancels the
//! flight and drops every cached search that contains it.

use lambda_http::{Body, Request, Response};
use shared::http::{self, path_id};
use shared::service::flights::cancel_flight;
use shared::Services;

pub async fn handle(svc: &Services, req: Request) -> Result<Response<Body>, lambda_http::Error> {
    svc.serve(req, |req| async move {
        let caller = svc.caller(&req).await?;
        let flight_id = path_id(&req, "flightId")?;
        Ok(http::json(&cancel_flight(svc, &caller, flight_id).await?))
    })
    .await
}
