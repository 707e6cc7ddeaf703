//! `POST /api/admin/flights/{flightId}/reschedule {departureTime, arrivalTime}`
//! (admin only): retimes the flight, opens a schedule change for each paid
//! booking on it, tells every affected customer and drops cached searches
//! that contain it.

use chrono::{DateTime, FixedOffset, Utc};
use lambda_http::{Body, Request, Response};
use serde::Deserialize;
use shared::http::views::schedule_changes::RescheduledFlightBody;
use shared::http::{self, json_body, path_id};
use shared::service::schedule_changes::reschedule_flight;
use shared::Services;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RescheduleBody {
    /// RFC 3339, with its offset.
    departure_time: DateTime<FixedOffset>,
    arrival_time: DateTime<FixedOffset>,
}

pub async fn handle(svc: &Services, req: Request) -> Result<Response<Body>, lambda_http::Error> {
    svc.serve(req, |req| async move {
        let caller = svc.caller(&req).await?;
        let flight_id = path_id(&req, "flightId")?;
        let body: RescheduleBody = json_body(&req)?;
        let times = (body.departure_time.with_timezone(&Utc), body.arrival_time.with_timezone(&Utc));
        let rescheduled = reschedule_flight(svc, &caller, flight_id, times).await?;
        Ok(http::json(&RescheduledFlightBody::from(&rescheduled)))
    })
    .await
}
