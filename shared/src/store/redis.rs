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
        let client = client(&config.redis_url, config.redis_ca_file.as_deref())?;
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

/// A client for `redis://` or `rediss://[user:password@]host:port`, trusting
/// the CA in `ca_file` when given (a private CA), else the webpki roots.
pub fn client(url: &str, ca_file: Option<&str>) -> Result<redis::Client, String> {
    let invalid = |e: redis::RedisError| format!("REDIS_URL is not a valid Redis URL: {e}");
    crate::store::tls::install_default_provider();
    match ca_file {
        None => redis::Client::open(url).map_err(invalid),
        Some(path) => {
            if !url.starts_with("rediss://") {
                return Err("REDIS_CA_FILE is set but REDIS_URL is not a rediss:// URL".into());
            }
            let root_cert = std::fs::read(path).map_err(|e| format!("REDIS_CA_FILE: cannot read {path}: {e}"))?;
            // Checked here so that a wrong file fails at start-up, not on first use.
            crate::store::tls::roots_from_file(path, "REDIS_CA_FILE")?;
            let certificates = redis::TlsCertificates { client_tls: None, root_cert: Some(root_cert) };
            redis::Client::build_with_tls(url, certificates).map_err(invalid)
        }
    }
}
