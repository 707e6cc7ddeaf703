//! The Redis connection: one multiplexed `ConnectionManager`, created lazily
//! (no network during cold start) and reconnecting by itself after failures.
//! TLS (`rediss://`) and ElastiCache RBAC: the user's password is read from
//! Secrets Manager (`REDIS_AUTH_SECRET_ID`), not given in `REDIS_URL`.

use super::StoreError;
use crate::config::Config;
use crate::store::secrets::{Credentials, SecretError, SecretStore};
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use std::sync::{Arc, Mutex};
use std::time::Instant;

#[derive(Clone)]
pub struct RedisStore {
    inner: Arc<Inner>,
    prefix: String,
}

struct Inner {
    url: String,
    ca_file: Option<String>,
    manager_config: ConnectionManagerConfig,
    /// Without an auth secret: the one connection, set up in `new`.
    fixed: Option<ConnectionManager>,
    /// With `REDIS_AUTH_SECRET_ID`: the user and password come from Secrets
    /// Manager (ElastiCache RBAC), never from `REDIS_URL`.
    auth: Option<(String, Arc<SecretStore>)>,
    /// With an auth secret: the connection, once opened.
    opened: Mutex<Option<Opened>>,
}

/// A connection opened with an auth secret.
struct Opened {
    manager: ConnectionManager,
    /// The secret's text it was opened with.
    secret: Arc<str>,
    /// When the secret was last read: within the secrets' TTL the
    /// connection is used without asking the secret store again.
    checked_at: Instant,
}

impl RedisStore {
    pub fn new(config: &Config, secrets: Arc<SecretStore>) -> Result<Self, String> {
        let manager_config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(config.dependency_timeout))
            .set_response_timeout(Some(config.dependency_timeout))
            .set_number_of_retries(2)
            .set_max_delay(std::time::Duration::from_millis(200));
        let mut inner = Inner {
            url: config.redis_url.clone(),
            ca_file: config.redis_ca_file.clone(),
            manager_config,
            fixed: None,
            auth: config.redis_auth_secret_id.clone().map(|id| (id, secrets)),
            opened: Mutex::new(None),
        };
        if inner.auth.is_none() {
            // Nothing to read first: set up now, so a bad URL fails at start-up.
            inner.fixed = Some(inner.open(&inner.url)?);
        } else {
            client(&inner.url, inner.ca_file.as_deref())?;
        }
        Ok(RedisStore { inner: Arc::new(inner), prefix: config.redis_key_prefix.clone() })
    }

    /// A handle to the shared multiplexed connection (cheap to clone). With
    /// an auth secret, the first call reads it, and a call after the secret
    /// changed (a rotation, seen after its TTL) opens a new connection. One
    /// lock per call at most: the secret store is asked again only once the
    /// secrets' TTL has passed since it last was.
    pub async fn connection(&self) -> Result<ConnectionManager, StoreError> {
        let inner = &self.inner;
        let Some((secret_id, secrets)) = &inner.auth else {
            return Ok(inner.fixed.clone().expect("opened in new()"));
        };
        if let Some(opened) = inner.opened().as_ref().filter(|o| o.checked_at.elapsed() < secrets.ttl()) {
            return Ok(opened.manager.clone());
        }
        let secret = secrets.get(secret_id).await?;
        let mut current = inner.opened();
        if let Some(opened) = current.as_mut().filter(|o| *o.secret == *secret) {
            opened.checked_at = Instant::now();
            return Ok(opened.manager.clone());
        }
        let credentials: Credentials = serde_json::from_str(&secret)
            .map_err(|e| StoreError::from(SecretError::Malformed { id: secret_id.clone(), reason: e.to_string() }))?;
        let url = with_credentials(&inner.url, credentials.username.as_deref(), &credentials.password)
            .map_err(StoreError::internal)?;
        let manager = inner.open(&url).map_err(StoreError::internal)?;
        *current = Some(Opened { manager: manager.clone(), secret, checked_at: Instant::now() });
        Ok(manager)
    }

    /// Every key goes through here so tests and stages can share a server.
    pub fn key(&self, suffix: &str) -> String {
        format!("{}:{suffix}", self.prefix)
    }

    #[tracing::instrument(name = "redis.ping", level = "debug", skip_all)]
    pub async fn ping(&self) -> Result<(), StoreError> {
        let mut conn = self.connection().await?;
        let _: String = redis::cmd("PING").query_async(&mut conn).await?;
        Ok(())
    }
}

impl Inner {
    fn opened(&self) -> std::sync::MutexGuard<'_, Option<Opened>> {
        self.opened.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A lazily connecting manager: no network here.
    fn open(&self, url: &str) -> Result<ConnectionManager, String> {
        client(url, self.ca_file.as_deref())?
            .get_connection_manager_lazy(self.manager_config.clone())
            .map_err(|e| format!("cannot set up the Redis connection: {e}"))
    }
}

/// `rediss://host:port/db` with a user and password put in (percent-encoded).
fn with_credentials(url: &str, username: Option<&str>, password: &str) -> Result<String, String> {
    let (scheme, rest) = url.split_once("://").ok_or("REDIS_URL is not a URL")?;
    let rest = rest.rsplit_once('@').map_or(rest, |(_, host)| host);
    let encode = |text: &str| -> String {
        text.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
                _ => format!("%{b:02X}"),
            })
            .collect()
    };
    Ok(format!("{scheme}://{}:{}@{rest}", encode(username.unwrap_or("default")), encode(password)))
}

/// A client for `redis://` or `rediss://[user:password@]host:port`, trusting
/// the CA in `ca_file` when given (a private CA), else the system's roots.
pub fn client(url: &str, ca_file: Option<&str>) -> Result<redis::Client, String> {
    let invalid = |e: redis::RedisError| format!("REDIS_URL is not a valid Redis URL: {e}");
    crate::store::tls::install_default_provider();
    // redis-rs leaves Nagle's algorithm on: a request written in several
    // segments (a search result is ~70 kB) then waits for the server's
    // delayed ACK, 40 ms on Linux. Every request is one flush, so nothing
    // is gained by coalescing.
    let info = redis::IntoConnectionInfo::into_connection_info(url)
        .map_err(invalid)?
        .set_tcp_settings(redis::io::tcp::TcpSettings::default().set_nodelay(true));
    match ca_file {
        None => redis::Client::open(info).map_err(invalid),
        Some(path) => {
            if !url.starts_with("rediss://") {
                return Err("REDIS_CA_FILE is set but REDIS_URL is not a rediss:// URL".into());
            }
            let root_cert = std::fs::read(path).map_err(|e| format!("REDIS_CA_FILE: cannot read {path}: {e}"))?;
            // Checked here so that a wrong file fails at start-up, not on first use.
            crate::store::tls::roots_from_file(path, "REDIS_CA_FILE")?;
            let certificates = redis::TlsCertificates { client_tls: None, root_cert: Some(root_cert) };
            redis::Client::build_with_tls(info, certificates).map_err(invalid)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connections_send_at_once() {
        let client = client("redis://127.0.0.1:6379", None).unwrap();
        assert!(client.get_connection_info().tcp_settings().nodelay(), "Nagle's algorithm is off");
    }

    #[test]
    fn credentials_go_into_the_url_encoded() {
        assert_eq!(
            with_credentials("rediss://old:pw@cache.example:6379/0", Some("app"), "p@ss/w:rd").unwrap(),
            "rediss://app:p%40ss%2Fw%3Ard@cache.example:6379/0"
        );
        assert_eq!(with_credentials("rediss://h:1", None, "x").unwrap(), "rediss://default:x@h:1");
    }
}
