//! `GET /api/auth/me`: the caller's account, from the bearer token.

use lambda_http::{Body, Request, Response};
use shared::auth::accounts::current_account;
use shared::http::{self, views::accounts::AccountBody};
use shared::store::users::PgUsers;
use shared::Services;

pub async fn handle(svc: &Services, req: Request) -> Result<Response<Body>, lambda_http::Error> {
    svc.serve(req, |req| async move {
        let caller = svc.caller(&req).await?;
        let account = current_account(&PgUsers::new(&svc.db), caller.user_id).await?;
        Ok(http::json(&AccountBody::from(&account)))
    })
    .await
}
