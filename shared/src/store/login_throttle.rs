//! Brute-force protection for login, kept in Redis.
//!
//! Attempts are counted *before* the password is checked, so a burst of
//! concurrent guesses cannot all slip past the limit; a successful login
//! clears its email's counter and gives back its slot on the IP counter.

use super::redis::RedisStore;
use crate::ApiError;
use std::future::Future;

pub const WINDOW_SECS: u64 = 15 * 60;
pub const MAX_ATTEMPTS_PER_EMAIL: i64 = 5;
/// Higher than per email: many users may share one NAT address.
pub const MAX_ATTEMPTS_PER_IP: i64 = 30;

pub trait LoginThrottle: Send + Sync {
    /// Counts an attempt; `RateLimited` when over the limit.
    fn begin_attempt(&self, email: &str, ip: Option<&str>) -> impl Future<Output = Result<(), ApiError>> + Send;
    fn succeeded(&self, email: &str, ip: Option<&str>) -> impl Future<Output = Result<(), ApiError>> + Send;
}

pub struct RedisLoginThrottle<'a> {
    redis: &'a RedisStore,
}

impl<'a> RedisLoginThrottle<'a> {
    pub fn new(redis: &'a RedisStore) -> Self {
        RedisLoginThrottle { redis }
    }

    fn email_key(&self, email: &str) -> String {
        self.redis.key(&format!("login-attempts:email:{email}"))
    }

    fn ip_key(&self, ip: &str) -> String {
        self.redis.key(&format!("login-attempts:ip:{ip}"))
    }
}

impl LoginThrottle for RedisLoginThrottle<'_> {
    async fn begin_attempt(&self, email: &str, ip: Option<&str>) -> Result<(), ApiError> {
        let mut keys = vec![(self.email_key(email), MAX_ATTEMPTS_PER_EMAIL)];
        if let Some(ip) = ip {
            keys.push((self.ip_key(ip), MAX_ATTEMPTS_PER_IP));
        }
        // Not MULTI: the keys live in different cluster slots. INCR is atomic
        // on its own; EXPIRE NX starts the window at the first attempt.
        let mut pipe = redis::pipe();
        for (key, _) in &keys {
            pipe.incr(key, 1).cmd("EXPIRE").arg(key).arg(WINDOW_SECS).arg("NX").ignore().ttl(key);
        }
        let mut conn = self.redis.connection();
        let counts: Vec<i64> = pipe.query_async(&mut conn).await?;
        for ((_, limit), pair) in keys.iter().zip(counts.chunks(2)) {
            let (count, ttl) = (pair[0], pair[1]);
            if count > *limit {
                return Err(ApiError::RateLimited {
                    detail: "too many login attempts; try again later".into(),
                    retry_after_secs: ttl.max(1) as u64,
                });
            }
        }
        Ok(())
    }

    async fn succeeded(&self, email: &str, ip: Option<&str>) -> Result<(), ApiError> {
        let mut pipe = redis::pipe();
        pipe.del(self.email_key(email)).ignore();
        if let Some(ip) = ip {
            pipe.decr(self.ip_key(ip), 1).ignore();
        }
        let mut conn = self.redis.connection();
        let () = pipe.query_async(&mut conn).await?;
        Ok(())
    }
}
