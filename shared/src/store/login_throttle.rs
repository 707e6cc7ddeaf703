//! Brute-force protection for login, kept in Redis.
//!
//! Attempts are counted *before* the password is checked, so a burst of
//! concurrent guesses cannot all slip past the limit; a successful login
//! clears its email's counter and gives back its slot on the IP counter.
//! The address is counted first and an attempt over its limit writes no
//! email key, so one client spraying addresses cannot grow Redis beyond its
//! own limit; keys hold a hash, never the text sent (bounded size).

use super::rate_limit::LimitError;
use super::redis::RedisStore;
use super::StoreError;
use sha2::{Digest, Sha256};
use std::future::Future;

pub const WINDOW_SECS: u64 = 15 * 60;
pub const MAX_ATTEMPTS_PER_EMAIL: i64 = 5;
/// Higher than per email: many users may share one NAT address.
pub const MAX_ATTEMPTS_PER_IP: i64 = 30;

pub trait LoginThrottle: Send + Sync {
    /// Counts an attempt; `Exceeded` when over the limit.
    fn begin_attempt(&self, email: &str, ip: Option<&str>) -> impl Future<Output = Result<(), LimitError>> + Send;
    fn succeeded(&self, email: &str, ip: Option<&str>) -> impl Future<Output = Result<(), StoreError>> + Send;
}

pub struct RedisLoginThrottle<'a> {
    redis: &'a RedisStore,
}

impl<'a> RedisLoginThrottle<'a> {
    pub fn new(redis: &'a RedisStore) -> Self {
        RedisLoginThrottle { redis }
    }

    /// `email` is already normalised (`normalize_email`).
    fn email_key(&self, email: &str) -> String {
        self.redis.key(&format!("login-attempts:email:{}", digest(email)))
    }

    fn ip_key(&self, ip: &str) -> String {
        self.redis.key(&format!("login-attempts:ip:{}", digest(ip)))
    }

    /// Counts one attempt on `key`; `Exceeded` over `limit`.
    async fn count(&self, key: &str, limit: i64) -> Result<(), LimitError> {
        // EXPIRE NX starts the window at the first attempt.
        let mut pipe = redis::pipe();
        pipe.incr(key, 1).cmd("EXPIRE").arg(key).arg(WINDOW_SECS).arg("NX").ignore().ttl(key);
        let mut conn = self.redis.connection().await?;
        let (count, ttl): (i64, i64) = pipe.query_async(&mut conn).await?;
        if count > limit {
            return Err(LimitError::Exceeded {
                detail: "too many login attempts; try again later".into(),
                retry_after_secs: ttl.max(1) as u64,
            });
        }
        Ok(())
    }
}

/// 128 bits of SHA-256 in hex: a fixed-size key whatever was sent.
fn digest(text: &str) -> String {
    Sha256::digest(text.as_bytes())[..16].iter().map(|b| format!("{b:02x}")).collect()
}

impl LoginThrottle for RedisLoginThrottle<'_> {
    #[tracing::instrument(name = "redis.login_throttle.begin_attempt", level = "debug", skip_all)]
    async fn begin_attempt(&self, email: &str, ip: Option<&str>) -> Result<(), LimitError> {
        if let Some(ip) = ip {
            self.count(&self.ip_key(ip), MAX_ATTEMPTS_PER_IP).await?;
        }
        self.count(&self.email_key(email), MAX_ATTEMPTS_PER_EMAIL).await
    }

    #[tracing::instrument(name = "redis.login_throttle.succeeded", level = "debug", skip_all)]
    async fn succeeded(&self, email: &str, ip: Option<&str>) -> Result<(), StoreError> {
        let mut pipe = redis::pipe();
        pipe.del(self.email_key(email)).ignore();
        if let Some(ip) = ip {
            pipe.decr(self.ip_key(ip), 1).ignore();
        }
        let mut conn = self.redis.connection().await?;
        let () = pipe.query_async(&mut conn).await?;
        Ok(())
    }
}
