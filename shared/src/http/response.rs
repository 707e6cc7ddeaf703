use lambda_http::{Body, Response};
use serde::Serialize;

pub fn json_with_status(status: http::StatusCode, value: &impl Serialize) -> Response<Body> {
    let body = serde_json::to_string(value).expect("response types serialise");
    Response::builder()
        .status(status)
        .header(http::header::CONTENT_TYPE, "application/json")
        .body(Body::Text(body))
        .expect("static headers are valid")
}

/// A `200` whose body is already a JSON document.
pub fn json_text(body: String) -> Response<Body> {
    Response::builder()
        .status(http::StatusCode::OK)
        .header(http::header::CONTENT_TYPE, "application/json")
        .body(Body::Text(body))
        .expect("static headers are valid")
}

pub fn json(value: &impl Serialize) -> Response<Body> {
    json_with_status(http::StatusCode::OK, value)
}

/// The public view of an account (never the password hash).
pub fn user_json(user: &crate::store::users::User) -> serde_json::Value {
    serde_json::json!({
        "id": user.id,
        "name": user.name,
        "email": user.email,
        "role": user.role,
        "createdAt": user.created_at,
    })
}

/// What signup and login answer: the token and the account.
pub fn token_json(user: &crate::store::users::User, token: &crate::auth::tokens::IssuedToken) -> serde_json::Value {
    serde_json::json!({
        "token": token.token,
        "tokenType": "Bearer",
        "expiresAt": token.expires_at,
        "userId": user.id,
        "user": user_json(user),
    })
}
