//! The Redis connection: one multiplexed `ConnectionManager`, created lazily
//! (no network during cold start) and reconnecting by itself after failures.

use crate::config::Config;
use crate::ApiError;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};

#[derive(Clone)]
pub struct RedisStore {
    manager: ConnectionManager,
    prefix: String,
}

impl RedisStore {
    pub fn new(config: &Config) -> Result<Self, String> {
        let client = redis::Client::open(config.redis_url.as_str())
            .map_err(|e| format!("REDIS_URL is not a valid Redis URL: {e}"))?;
        let manager_config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(config.dependency_timeout))
            .set_response_timeout(Some(config.dependency_timeout))
            .set_number_of_retries(2)
            .set_max_delay(std::time::Duration::from_millis(200));
        let manager = client
            .get_connection_manager_lazy(manager_config)
            .map_err(|e| format!("cannot set up the Redis connection: {e}"))?;
        Ok(RedisStore { manager, prefix: config.redis_key_prefix.clone() })
    }

    /// A handle to the shared multiplexed connection (cheap to clone).
    pub fn connection(&self) -> ConnectionManager {
        self.manager.clone()
    }

    /// Every key goes through here so tests and stages can share a server.
    pub fn key(&self, suffix: &str) -> String {
        format!("{}:{suffix}", self.prefix)
    }

    pub async fn ping(&self) -> Result<(), ApiError> {
        let mut conn = self.connection();
        let _: String = redis::cmd("PING").query_async(&mut conn).await?;
        Ok(())
    }
}
