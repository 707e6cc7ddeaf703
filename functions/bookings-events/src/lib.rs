//! `GET /api/bookings/{bookingId}/events`: the booking's timeline, owner
//! only (`404` for others).

use lambda_http::{Body, Request, Response};
use shared::http::views::bookings::BookingEventsBody;
use shared::http::{self, path_id};
use shared::service::bookings::events;
use shared::Services;

pub async fn handle(svc: &Services, req: Request) -> Result<Response<Body>, lambda_http::Error> {
    svc.serve(req, |req| async move {
        let caller = svc.caller(&req).await?;
        let (record, timeline) = events(svc, &caller, path_id(&req, "bookingId")?).await?;
        Ok(http::json(&BookingEventsBody::new(&record, &timeline)))
    })
    .await
}
