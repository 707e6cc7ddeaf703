//! `POST /api/auth/signup {name, email, password}` → `201 {token, userId, user}`.

use lambda_http::{Body, Request, Response};
use serde::Deserialize;
use shared::auth::accounts::{sign_up, SignUp};
use shared::http::{self, json_body, views::accounts::TokenBody};
use shared::store::users::PgUsers;
use shared::Services;

#[derive(Deserialize)]
struct SignUpBody {
    name: String,
    email: String,
    password: String,
}

pub async fn handle(svc: &Services, req: Request) -> Result<Response<Body>, lambda_http::Error> {
    svc.serve(req, |req| async move {
        let body: SignUpBody = json_body(&req)?;
        let input = SignUp { name: &body.name, email: &body.email, password: &body.password };
        let (account, token) = sign_up(&PgUsers::new(&svc.db), svc.current_keys().await?, input).await?;
        Ok(http::json_with_status(http::StatusCode::CREATED, &TokenBody::new(&account, &token)))
    })
    .await
}
