//! Who is calling: the bearer token, verified by the function itself (API
//! Gateway's JWT authorizer may verify it too; we never rely on that alone).

pub use crate::auth::caller::Caller;
use crate::auth::tokens::Claims;
use crate::ApiError;
use lambda_http::Request;

/// The bearer token of a request.
pub fn bearer_token(req: &Request) -> Result<&str, ApiError> {
    let header = req
        .headers()
        .get(http::header::AUTHORIZATION)
        .ok_or_else(|| ApiError::Unauthorized("missing Authorization: Bearer <token> header".into()))?;
    let header = header.to_str().map_err(|_| ApiError::Unauthorized("malformed Authorization header".into()))?;
    let token = header
        .split_once(' ')
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim())
        .filter(|token| !token.is_empty())
        .ok_or_else(|| ApiError::Unauthorized("expected Authorization: Bearer <token>".into()))?;
    Ok(token)
}

/// The caller a verified token names.
pub fn caller_of(claims: Claims) -> Result<Caller, ApiError> {
    Ok(Caller { user_id: claims.user_id()?, role: claims.role, name: claims.name })
}
