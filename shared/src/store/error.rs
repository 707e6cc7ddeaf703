//! The store layer's error: what went wrong talking to Postgres, Redis or
//! AWS, and nothing about HTTP. `crate::error` turns it into a problem
//! (`503` or `500`) in one place; an expected refusal (a seat taken, a
//! limit reached, a bad cursor) is never one of these but a typed outcome
//! of the store that returns it.

use super::pg_errors;
use super::secrets::SecretError;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The dependency is down, too slow or too busy; nothing was left
    /// half-done, and a retry later may succeed.
    #[error("{dependency} is unavailable: {reason}")]
    Unavailable { dependency: &'static str, reason: String },
    /// A bug: SQL or a call we got wrong, or data we cannot read.
    #[error("{0}")]
    Internal(String),
}

impl StoreError {
    pub fn unavailable(dependency: &'static str, reason: impl std::fmt::Display) -> Self {
        StoreError::Unavailable { dependency, reason: reason.to_string() }
    }

    pub fn internal(reason: impl std::fmt::Display) -> Self {
        StoreError::Internal(reason.to_string())
    }
}

impl From<tokio_postgres::Error> for StoreError {
    fn from(e: tokio_postgres::Error) -> Self {
        if pg_errors::is_connection_error(&e) {
            Self::unavailable("postgres", e)
        } else {
            Self::internal(format!("postgres: {e:?}"))
        }
    }
}

impl From<deadpool_postgres::PoolError> for StoreError {
    fn from(e: deadpool_postgres::PoolError) -> Self {
        match e {
            deadpool_postgres::PoolError::Backend(e) => e.into(),
            other => Self::unavailable("postgres", other),
        }
    }
}

impl From<redis::RedisError> for StoreError {
    fn from(e: redis::RedisError) -> Self {
        if e.is_io_error() || e.is_connection_refusal() || e.is_timeout() || e.is_connection_dropped() {
            Self::unavailable("redis", e)
        } else {
            Self::internal(format!("redis: {e}"))
        }
    }
}

/// The secret's id and what Secrets Manager said go to the log only.
impl From<SecretError> for StoreError {
    fn from(error: SecretError) -> Self {
        tracing::error!(error = %error, "secret");
        match error {
            SecretError::Unavailable { .. } => Self::unavailable("secrets", "Secrets Manager"),
            SecretError::Malformed { .. } => Self::internal(error),
        }
    }
}
