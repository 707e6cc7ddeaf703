//! Who is calling: the bearer token, verified by the function itself (API
//! Gateway's JWT authorizer may verify it too; we never rely on that alone).

use crate::auth::tokens::{Claims, Role};
use crate::http::Id;
use crate::ApiError;
use lambda_http::Request;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Caller {
    pub user_id: i64,
    pub role: Role,
    /// The account's name, when the token carries it.
    pub name: Option<String>,
}

impl Caller {
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }

    /// A `userId` sent in a body or path is accepted for compatibility but
    /// never lets one user act for another.
    pub fn ensure_self(&self, claimed: Option<Id>) -> Result<(), ApiError> {
        match claimed {
            Some(Id(id)) if id != self.user_id => {
                Err(ApiError::Forbidden(format!("userId {id} is not the authenticated user")))
            }
            _ => Ok(()),
        }
    }

    pub fn ensure_admin(&self) -> Result<(), ApiError> {
        if self.is_admin() {
            Ok(())
        } else {
            Err(ApiError::Forbidden("this route needs the admin role".into()))
        }
    }
}

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
