//! `POST /api/auth/login {email, password}` → `200 {token, userId, expiresAt}`;
//! the same `401` for a wrong password and an unknown email; `429` on brute force.

use lambda_http::{Body, Request, Response};
use serde::Deserialize;
use shared::auth::accounts::{log_in, LogIn};
use shared::http::{self, json_body, views::accounts::TokenBody, RequestMeta};
use shared::store::login_throttle::RedisLoginThrottle;
use shared::store::users::PgUsers;
use shared::Services;

#[derive(Deserialize)]
struct LogInBody {
    email: String,
    password: String,
}

pub async fn handle(svc: &Services, req: Request) -> Result<Response<Body>, lambda_http::Error> {
    svc.serve(req, |req| async move {
        let body: LogInBody = json_body(&req)?;
        let meta = RequestMeta::of(&req);
        let input = LogIn { email: &body.email, password: &body.password, client_ip: meta.source_ip.as_deref() };
        let throttle = RedisLoginThrottle::new(&svc.redis);
        let (account, token) = log_in(&PgUsers::new(&svc.db), &throttle, svc.current_keys().await?, input).await?;
        Ok(http::json(&TokenBody::new(&account, &token)))
    })
    .await
}
