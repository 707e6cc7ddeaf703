//! `GET /api/bookings/{bookingId}/schedule-changes`: the booking's
//! airline-initiated schedule changes with their options, owner only
//! (`404` for others).

use lambda_http::{Body, Request, Response};
use shared::http::views::schedule_changes::ScheduleChangeListBody;
use shared::http::{self, path_id};
use shared::service::schedule_changes::list_changes;
use shared::Services;

pub async fn handle(svc: &Services, req: Request) -> Result<Response<Body>, lambda_http::Error> {
    svc.serve(req, |req| async move {
        let caller = svc.caller(&req).await?;
        let (record, changes) = list_changes(svc, &caller, path_id(&req, "bookingId")?).await?;
        Ok(http::json(&ScheduleChangeListBody::new(&record, &changes)))
    })
    .await
}
