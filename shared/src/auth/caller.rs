//! Who is calling, once their token is verified: what every use case is
//! given to decide what the caller may see and do.

use crate::auth::tokens::Role;
use crate::ApiError;

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
    pub fn ensure_self(&self, claimed: Option<i64>) -> Result<(), ApiError> {
        match claimed {
            Some(id) if id != self.user_id => {
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
