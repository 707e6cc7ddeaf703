//! Per-user rate limits in Redis: a fixed one-minute window per user and
//! action, counted with `INCR` (atomic) and started with `EXPIRE NX`.

use super::redis::RedisStore;
use crate::ApiError;

pub const WINDOW_SECS: u64 = 60;

pub struct RateLimiter<'a> {
    redis: &'a RedisStore,
}

impl<'a> RateLimiter<'a> {
    pub fn new(redis: &'a RedisStore) -> Self {
        RateLimiter { redis }
    }

    /// Counts one `action` by `user_id`; `429` with `Retry-After` past `per_minute`.
    pub async fn check(&self, action: &str, user_id: i64, per_minute: u64) -> Result<(), ApiError> {
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
            return Err(ApiError::RateLimited {
                detail: format!("too many {action} requests; at most {per_minute} a minute"),
                retry_after_secs: ttl.max(1) as u64,
            });
        }
        Ok(())
    }
}
