//! `GET /api/health`: per-dependency status and latency; 503 when one is down.

use lambda_http::{Body, Request, Response};
use shared::http::{self, problem, RequestMeta};
use shared::store::health;
use shared::{ApiError, Services};

pub async fn handle(svc: &Services, req: Request) -> Result<Response<Body>, lambda_http::Error> {
    let request_id = RequestMeta::of(&req).request_id;
    svc.serve(req, |_req| async move {
        let report = health::check(&svc.dependencies()).await;
        if report.healthy() {
            return Ok(http::json(&report));
        }
        let down = report.down().join(", ");
        let error = ApiError::unavailable("dependencies", &down);
        let mut extra = serde_json::Map::new();
        extra.insert("checks".into(), serde_json::to_value(&report.checks).map_err(ApiError::internal)?);
        extra.insert("detail".into(), format!("unavailable: {down}").into());
        Ok(problem::render_with(&error, &request_id, extra))
    })
    .await
}
