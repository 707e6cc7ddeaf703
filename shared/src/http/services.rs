//! What the HTTP boundary adds to the clients every function shares: the
//! verified caller of a request, and running a route handler. They live
//! here, not in `services.rs`, so the container knows nothing of HTTP.

use crate::auth::caller::Caller;
use crate::{ApiError, Services};
use lambda_http::{Body, Request, Response};
use std::future::Future;

impl Services {
    /// The caller, from the request's bearer token (verified with the keys
    /// Secrets Manager holds now, read again after their TTL).
    pub async fn caller(&self, req: &Request) -> Result<Caller, ApiError> {
        let token = crate::http::auth::bearer_token(req)?;
        let claims = self.tokens.verify_current(token, &self.secrets).await?;
        crate::http::auth::caller_of(claims)
    }
    /// Runs a route handler with request id, deadline and error rendering.
    pub async fn serve<Fut>(
        &self,
        req: Request,
        handler: impl FnOnce(Request) -> Fut,
    ) -> Result<Response<Body>, lambda_http::Error>
    where
        Fut: Future<Output = Result<Response<Body>, ApiError>>,
    {
        crate::http::serve(req, self.deadline(), handler).await
    }
}
