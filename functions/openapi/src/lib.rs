//! `GET /api/openapi.json`: the OpenAPI 3.1 document of the API, no auth.
//! The checked-in `openapi/openapi.json` is compiled in, so the function
//! serves exactly the contract its build was tested against.

use lambda_http::{Body, Request, Response};
use shared::http::{self, header};
use shared::{ApiError, Services};

/// The document, as checked in at `openapi/openapi.json`.
pub const DOCUMENT: &str = include_str!("../../../openapi/openapi.json");

pub async fn handle(svc: &Services, req: Request) -> Result<Response<Body>, lambda_http::Error> {
    svc.serve(req, |_req| async move {
        Response::builder()
            .status(http::StatusCode::OK)
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::CACHE_CONTROL, "public, max-age=300")
            .body(Body::Text(DOCUMENT.to_string()))
            .map_err(ApiError::internal)
    })
    .await
}
