//! Per-user rate limits in Redis: a fixed one-minute window per user and
//! action, counted with `INCR` (atomic) and started with `EXPIRE NX`.

use super::redis::RedisStore;
use super::StoreError;

pub const WINDOW_SECS: u64 = 60;

/// Why a counted attempt may not go ahead.
#[derive(Debug, thiserror::Error)]
pub enum LimitError {
    /// Over the limit until the window ends (a `429` with `Retry-After`).
    #[error("{detail}")]
    Exceeded { detail: String, retry_after_secs: u64 },
    /// The counter could not be read.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<redis::RedisError> for LimitError {
    fn from(e: redis::RedisError) -> Self {
        LimitError::Store(e.into())
    }
}

pub struct RateLimiter<'a> {
    redis: &'a RedisStore,
}

impl<'a> RateLimiter<'a> {
    pub fn new(redis: &'a RedisStore) -> Self {
        RateLimiter { redis }
    }

    /// Counts one `action` by `user_id`; `Exceeded` past `per_minute`.
    #[tracing::instrument(name = "redis.rate_limit.check", level = "debug", skip_all, fields(action = action, user_id = user_id))]
    pub async fn check(&self, action: &str, user_id: i64, per_minute: u64) -> Result<(), LimitError> {
        let key = self.redis.key(&format!("rate:{action}:{user_id}"));
        let mut conn = self.redis.connection().await?;
        let (count, ttl): (u64, i64) = redis::pipe()
            .incr(&key, 1)
            .cmd("EXPIRE")
            .arg(&key)
            .arg(WINDOW_SECS)
            .arg("NX")
            .ignore()
            .ttl(&key)
            .query_async(&mut conn)
            .await?;
        if count > per_minute {
            return Err(LimitError::Exceeded {
                detail: format!("too many {action} requests; at most {per_minute} a minute"),
                retry_after_secs: ttl.max(1) as u64,
            });
        }
        Ok(())
    }
}
