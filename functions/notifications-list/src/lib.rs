//! `GET /api/notifications?limit&cursor`: the caller's delivered
//! notifications, newest first.

use lambda_http::{Body, Request, Response};
use shared::http::{self, query_param, views::notifications::NotificationPageBody};
use shared::service::notifications::list_delivered;
use shared::Services;

pub async fn handle(svc: &Services, req: Request) -> Result<Response<Body>, lambda_http::Error> {
    svc.serve(req, |req| async move {
        let caller = svc.caller(&req).await?;
        let limit = http::page_limit(&req)?;
        let page = list_delivered(svc, &caller, limit, query_param(&req, "cursor")).await?;
        Ok(http::json(&NotificationPageBody::from(&page)))
    })
    .await
}
