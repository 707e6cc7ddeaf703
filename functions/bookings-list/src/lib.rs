//! `GET /api/bookings?limit&cursor`: the caller's bookings, newest first.

use lambda_http::{Body, Request, Response};
use shared::http::{self, query_param};
use shared::service::bookings::list_bookings;
use shared::{ApiError, Services};

pub async fn handle(svc: &Services, req: Request) -> Result<Response<Body>, lambda_http::Error> {
    svc.serve(req, |req| async move {
        let caller = svc.caller(&req)?;
        let limit = match query_param(&req, "limit") {
            None => 20,
            Some(raw) => raw
                .parse::<usize>()
                .ok()
                .filter(|n| (1..=100).contains(n))
                .ok_or_else(|| ApiError::invalid_field("limit", "expected an integer from 1 to 100"))?,
        };
        Ok(http::json(&list_bookings(svc, &caller, limit, query_param(&req, "cursor")).await?))
    })
    .await
}
