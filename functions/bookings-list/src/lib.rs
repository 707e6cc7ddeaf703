//! `GET /api/bookings?limit&cursor`: the caller's bookings, newest first.

use lambda_http::{Body, Request, Response};
use shared::http::views::bookings::BookingListBody;
use shared::http::{self, query_param};
use shared::service::bookings::list_bookings;
use shared::Services;

pub async fn handle(svc: &Services, req: Request) -> Result<Response<Body>, lambda_http::Error> {
    svc.serve(req, |req| async move {
        let caller = svc.caller(&req).await?;
        let limit = http::page_limit(&req)?;
        let page = list_bookings(svc, &caller, limit, query_param(&req, "cursor")).await?;
        Ok(http::json(&BookingListBody::new(&page)))
    })
    .await
}
