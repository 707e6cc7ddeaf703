//! `GET /api/flights/search?source&destination&date[&returnDate&adults&children&infants&passengers&maxStops&cabin&sort&limit&cursor]`:
//! one-way and round-trip itineraries; `POST /api/flights/search` with
//! `{slices: [...], ...}`: multi-city trips. Both cached in Redis, both
//! served by one function so they share its warm timetable.

use lambda_http::{Body, Request, Response};
use shared::http::body::json_body;
use shared::http::query_param;
use shared::http::search_page::{self, SearchPageJson};
use shared::http::search_request::{parse_multi_city, parse_search_request, MultiCitySearch};
use shared::service::search::search;
use shared::Services;

pub async fn handle(svc: &Services, req: Request) -> Result<Response<Body>, lambda_http::Error> {
    svc.serve(req, |req| async move {
        svc.caller(&req).await?;
        let request = if req.method() == lambda_http::http::Method::POST {
            parse_multi_city(&json_body::<MultiCitySearch>(&req)?)?
        } else {
            parse_search_request(|name| query_param(&req, name))?
        };
        let page = search(svc, &request, &SearchPageJson).await?;
        Ok(search_page::response(page))
    })
    .await
}
