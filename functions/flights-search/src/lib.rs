//! `GET /api/flights/search?source&destination&date[&passengers&maxStops&cabin&sort&limit&cursor]`:
//! direct and connecting itineraries, cached in Redis.

use lambda_http::{Body, Request, Response};
use shared::http::{self, query_param, HeaderValue};
use shared::service::search::{search, SearchRequest};
use shared::Services;

pub async fn handle(svc: &Services, req: Request) -> Result<Response<Body>, lambda_http::Error> {
    svc.serve(req, |req| async move {
        svc.caller(&req).await?;
        let request = SearchRequest::parse(|name| query_param(&req, name))?;
        let result = search(svc, &request).await?;
        let mut response = Response::builder()
            .status(http::StatusCode::OK)
            .header(http::header::CONTENT_TYPE, "application/json")
            .body(Body::Text(result.body))
            .map_err(shared::ApiError::internal)?;
        let cache = HeaderValue::from_static(if result.cached { "HIT" } else { "MISS" });
        response.headers_mut().insert("x-cache", cache);
        Ok(response)
    })
    .await
}
