//! `GET /api/flights/search?source&destination&date[&passengers&maxStops&cabin&sort&limit&cursor]`:
//! direct and connecting itineraries, cached in Redis.

use lambda_http::{Body, Request, Response};
use shared::http::query_param;
use shared::http::search_page::{self, SearchPageJson};
use shared::http::search_request::parse_search_request;
use shared::service::search::search;
use shared::Services;

pub async fn handle(svc: &Services, req: Request) -> Result<Response<Body>, lambda_http::Error> {
    svc.serve(req, |req| async move {
        svc.caller(&req).await?;
        let request = parse_search_request(|name| query_param(&req, name))?;
        let page = search(svc, &request, &SearchPageJson).await?;
        Ok(search_page::response(page))
    })
    .await
}
