//! `GET /api/auth/me`: the caller's account, from the bearer token.

use lambda_http::{Body, Request, Response};
use shared::http;
use shared::store::users::{PgUsers, UserStore};
use shared::{ApiError, Services};

pub async fn handle(svc: &Services, req: Request) -> Result<Response<Body>, lambda_http::Error> {
    svc.serve(req, |req| async move {
        let caller = svc.caller(&req).await?;
        let user = PgUsers::new(&svc.db)
            .find_by_id(caller.user_id)
            .await?
            // A valid token for a deleted account: the token no longer names anyone.
            .ok_or_else(|| ApiError::Unauthorized("the token's account no longer exists".into()))?;
        Ok(http::json(&http::user_json(&user)))
    })
    .await
}
