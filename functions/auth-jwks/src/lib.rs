//! `GET /.well-known/jwks.json` and `GET /.well-known/openid-configuration`:
//! the public half of the token signing key, for API Gateway's JWT authorizer.

use lambda_http::{Body, Request, Response};
use shared::http;
use shared::{ApiError, Services};

pub async fn handle(svc: &Services, req: Request) -> Result<Response<Body>, lambda_http::Error> {
    svc.serve(req, |req| async move {
        let document = match req.uri().path().trim_end_matches('/') {
            path if path.ends_with("/jwks.json") => svc.current_keys().await?.jwks(),
            path if path.ends_with("/openid-configuration") => svc.tokens.openid_configuration(),
            other => return Err(ApiError::not_found(format!("no document at {other}"))),
        };
        let mut response = http::json(&document);
        response
            .headers_mut()
            .insert(http::header::CACHE_CONTROL, http::HeaderValue::from_static("public, max-age=300"));
        Ok(response)
    })
    .await
}
