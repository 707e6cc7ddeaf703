//! `GET /api/flights/calendar?source&destination&from&to[&adults&children&infants&passengers&maxStops&cabin]`:
//! for each date (at most 62) the party's cheapest price, or `null`; cached
//! and invalidated as the search is.

use lambda_http::{Body, Request, Response};
use shared::http::search_request::parse_calendar_request;
use shared::http::{self, query_param, views::calendar::FareCalendarBody};
use shared::service::search::calendar::fare_calendar;
use shared::Services;

pub async fn handle(svc: &Services, req: Request) -> Result<Response<Body>, lambda_http::Error> {
    svc.serve(req, |req| async move {
        svc.caller(&req).await?;
        let query = parse_calendar_request(|name| query_param(&req, name))?;
        let calendar = fare_calendar(svc, query).await?;
        let mut response = http::json(&FareCalendarBody::from(&calendar));
        let cache = http::HeaderValue::from_static(if calendar.cached { "HIT" } else { "MISS" });
        response.headers_mut().insert("x-cache", cache);
        Ok(response)
    })
    .await
}
