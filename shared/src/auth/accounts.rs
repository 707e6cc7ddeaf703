//! Sign-up and log-in, written against the store traits so they can be
//! tested with fakes and run against Postgres and Redis unchanged.

use super::password::{hash_password, verify_password};
use super::tokens::{IssuedToken, Role, TokenService};
use crate::domain::accounts::{check_password_policy, normalize_email, normalize_name, Account};
use crate::store::login_throttle::LoginThrottle;
use crate::store::users::{CreateUserError, NewUser, User, UserStore};
use crate::ApiError;
use crate::ErrorCode;

/// The account of a stored user: everything but the password hash.
impl From<User> for Account {
    fn from(user: User) -> Self {
        Account { id: user.id, name: user.name, email: user.email, role: user.role, created_at: user.created_at }
    }
}

pub struct SignUp<'a> {
    pub name: &'a str,
    pub email: &'a str,
    pub password: &'a str,
}

pub async fn sign_up(
    users: &impl UserStore,
    tokens: &TokenService,
    input: SignUp<'_>,
) -> Result<(Account, IssuedToken), ApiError> {
    let name = normalize_name(input.name)?;
    let email = normalize_email(input.email)?;
    check_password_policy(input.password, &email)?;
    // Fail fast on a taken email before paying for a hash; the insert below
    // is still the real guard against a concurrent sign-up.
    if users.find_by_email(&email).await?.is_some() {
        return Err(email_taken());
    }
    let password_hash = hash_password(input.password).await?;
    let user = users
        .create_customer(NewUser { name: &name, email: &email, password_hash: &password_hash })
        .await
        .map_err(|e| match e {
            CreateUserError::EmailTaken => email_taken(),
            CreateUserError::Store(e) => e.into(),
        })?;
    let token = tokens.issue_named(user.id, user.role, Some(&user.name))?;
    Ok((user.into(), token))
}

fn email_taken() -> ApiError {
    ApiError::conflict(ErrorCode::EmailTaken, "an account with this email already exists")
}

pub struct LogIn<'a> {
    pub email: &'a str,
    pub password: &'a str,
    pub client_ip: Option<&'a str>,
}

/// Wrong password and unknown email give the same answer in the same time.
/// A malformed email is a `400` before anything else: it cannot be an
/// account (the rules are public), and refusing it first means no text an
/// attacker chooses reaches Redis or Postgres.
pub async fn log_in(
    users: &impl UserStore,
    throttle: &impl LoginThrottle,
    tokens: &TokenService,
    input: LogIn<'_>,
) -> Result<(Account, IssuedToken), ApiError> {
    let invalid = || ApiError::Unauthorized("invalid email or password".into());
    let email = normalize_email(input.email)?;
    throttle.begin_attempt(&email, input.client_ip).await?;
    let user = users.find_by_email(&email).await?;
    let matches = verify_password(input.password, user.as_ref().map(|u| u.password_hash.as_str())).await?;
    match user {
        Some(user) if matches => {
            throttle.succeeded(&email, input.client_ip).await?;
            let token = tokens.issue_named(user.id, user.role, Some(&user.name))?;
            Ok((user.into(), token))
        }
        _ => Err(invalid()),
    }
}

/// The caller's account. A valid token for a deleted account no longer
/// names anyone: `401`.
pub async fn current_account(users: &impl UserStore, user_id: i64) -> Result<Account, ApiError> {
    users
        .find_by_id(user_id)
        .await?
        .map(Account::from)
        .ok_or_else(|| ApiError::Unauthorized("the token's account no longer exists".into()))
}

/// The admin is never created through sign-up: `local/run`, `local/test` and
/// the deployed `db-migrate` function call this with configured credentials.
pub async fn ensure_admin(
    users: &crate::store::users::PgUsers<'_>,
    email: &str,
    password: &str,
) -> Result<User, ApiError> {
    let email = normalize_email(email)?;
    check_password_policy(password, &email)?;
    let password_hash = hash_password(password).await?;
    let user =
        users.upsert_admin(NewUser { name: "Administrator", email: &email, password_hash: &password_hash }).await?;
    debug_assert_eq!(user.role, Role::Admin);
    Ok(user)
}
