//! User accounts in Postgres.

use super::StoreError;
use crate::domain::accounts::Role;
use chrono::{DateTime, Utc};
use deadpool_postgres::Pool;
use std::future::Future;

#[derive(Clone, Debug)]
pub struct User {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub role: Role,
    pub password_hash: String,
    pub created_at: DateTime<Utc>,
}

pub struct NewUser<'a> {
    pub name: &'a str,
    pub email: &'a str,
    pub password_hash: &'a str,
}

#[derive(Debug, thiserror::Error)]
pub enum CreateUserError {
    #[error("an account with this email already exists")]
    EmailTaken,
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub trait UserStore: Send + Sync {
    fn create_customer(&self, new: NewUser<'_>) -> impl Future<Output = Result<User, CreateUserError>> + Send;
    fn find_by_email(&self, email: &str) -> impl Future<Output = Result<Option<User>, StoreError>> + Send;
    fn find_by_id(&self, id: i64) -> impl Future<Output = Result<Option<User>, StoreError>> + Send;
}

pub struct PgUsers<'a> {
    pool: &'a Pool,
}

impl<'a> PgUsers<'a> {
    pub fn new(pool: &'a Pool) -> Self {
        PgUsers { pool }
    }

    /// Creates the admin, or resets its password and role. Admin ids come
    /// from their own sequence so customers keep ids 1, 2, 3… on a fresh stack.
    #[tracing::instrument(name = "postgres.users.upsert_admin", level = "debug", skip_all)]
    pub async fn upsert_admin(&self, new: NewUser<'_>) -> Result<User, StoreError> {
        let client = self.pool.get().await?;
        let row = client
            .query_one(
                "INSERT INTO users (id, name, email, password_hash, role)
                 VALUES (nextval('admin_user_ids'), $1, $2, $3, 'admin')
                 ON CONFLICT (email) DO UPDATE
                   SET password_hash = EXCLUDED.password_hash, role = 'admin', updated_at = now()
                 RETURNING id, name, email, role, password_hash, created_at",
                &[&new.name, &new.email, &new.password_hash],
            )
            .await?;
        user_from_row(&row)
    }
}

const USER_COLUMNS: &str = "id, name, email, role, password_hash, created_at";

fn user_from_row(row: &tokio_postgres::Row) -> Result<User, StoreError> {
    let role: String = row.get("role");
    Ok(User {
        id: row.get("id"),
        name: row.get("name"),
        email: row.get("email"),
        role: Role::parse(&role).ok_or_else(|| StoreError::internal(format!("unknown role {role:?} in users")))?,
        password_hash: row.get("password_hash"),
        created_at: row.get("created_at"),
    })
}

impl UserStore for PgUsers<'_> {
    #[tracing::instrument(name = "postgres.users.create_customer", level = "debug", skip_all)]
    async fn create_customer(&self, new: NewUser<'_>) -> Result<User, CreateUserError> {
        let client = self.pool.get().await.map_err(StoreError::from)?;
        let inserted = client
            .query_opt(
                &format!(
                    "INSERT INTO users (name, email, password_hash, role) VALUES ($1, $2, $3, 'customer')
                     ON CONFLICT (email) DO NOTHING RETURNING {USER_COLUMNS}"
                ),
                &[&new.name, &new.email, &new.password_hash],
            )
            .await
            .map_err(StoreError::from)?;
        match inserted {
            Some(row) => Ok(user_from_row(&row)?),
            None => Err(CreateUserError::EmailTaken),
        }
    }

    #[tracing::instrument(name = "postgres.users.find_by_email", level = "debug", skip_all)]
    async fn find_by_email(&self, email: &str) -> Result<Option<User>, StoreError> {
        let client = self.pool.get().await?;
        let row = client.query_opt(&format!("SELECT {USER_COLUMNS} FROM users WHERE email = $1"), &[&email]).await?;
        row.as_ref().map(user_from_row).transpose()
    }

    #[tracing::instrument(name = "postgres.users.find_by_id", level = "debug", skip_all, fields(user_id = id))]
    async fn find_by_id(&self, id: i64) -> Result<Option<User>, StoreError> {
        let client = self.pool.get().await?;
        let row = client.query_opt(&format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1"), &[&id]).await?;
        row.as_ref().map(user_from_row).transpose()
    }
}
