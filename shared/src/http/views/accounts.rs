//! Accounts on the wire: `auth-me`'s body, and what sign-up and log-in
//! answer (the token and the account).

use crate::auth::tokens::{IssuedToken, Role};
use crate::domain::accounts::Account;
use chrono::{DateTime, Utc};
use serde::Serialize;

/// The public view of an account (never the password hash).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountBody<'a> {
    pub id: i64,
    pub name: &'a str,
    pub email: &'a str,
    pub role: Role,
    pub created_at: DateTime<Utc>,
}

impl<'a> From<&'a Account> for AccountBody<'a> {
    fn from(account: &'a Account) -> Self {
        AccountBody {
            id: account.id,
            name: &account.name,
            email: &account.email,
            role: account.role,
            created_at: account.created_at,
        }
    }
}

/// What sign-up and log-in answer: the token and the account.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenBody<'a> {
    pub token: &'a str,
    pub token_type: &'static str,
    pub expires_at: DateTime<Utc>,
    pub user_id: i64,
    pub user: AccountBody<'a>,
}

impl<'a> TokenBody<'a> {
    pub fn new(account: &'a Account, token: &'a IssuedToken) -> Self {
        TokenBody {
            token: &token.token,
            token_type: "Bearer",
            expires_at: token.expires_at,
            user_id: account.id,
            user: AccountBody::from(account),
        }
    }
}
