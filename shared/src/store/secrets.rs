//! Secrets read at run time from Secrets Manager, never from a function's
//! configuration (`lambda:GetFunctionConfiguration` shows every variable).
//! Read on first use, not during cold start, and cached per instance for
//! `SECRETS_TTL_SECONDS` so that a rotation takes effect without a redeploy.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::OnceCell;

/// One instance's view of the secrets it may read (its role's policy
/// decides which).
pub struct SecretStore {
    client: OnceCell<aws_sdk_secretsmanager::Client>,
    ttl: Duration,
    cached: Mutex<HashMap<String, (Instant, Arc<str>)>>,
}

#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("secret {id}: {reason}")]
    Unavailable { id: String, reason: String },
    #[error("secret {id} is not what it should hold: {reason}")]
    Malformed { id: String, reason: String },
}

impl SecretStore {
    pub fn new(ttl: Duration) -> Self {
        SecretStore { client: OnceCell::new(), ttl, cached: Mutex::new(HashMap::new()) }
    }

    async fn client(&self) -> &aws_sdk_secretsmanager::Client {
        self.client
            .get_or_init(|| async { crate::store::aws::secrets_client(&crate::store::aws::sdk_config_from_env()) })
            .await
    }

    /// The secret's current string, from the cache while it is fresh.
    #[tracing::instrument(skip(self), level = "debug")]
    pub async fn get(&self, id: &str) -> Result<Arc<str>, SecretError> {
        if let Some(value) = self.fresh(id) {
            return Ok(value);
        }
        self.fetch(id).await
    }

    /// Reads the secret again, whatever the cache holds (after the value
    /// was refused, e.g. a rotated password).
    #[tracing::instrument(name = "secretsmanager.get_secret_value", level = "debug", skip_all, fields(secret_id = id))]
    pub async fn fetch(&self, id: &str) -> Result<Arc<str>, SecretError> {
        let unavailable = |reason: String| SecretError::Unavailable { id: id.to_string(), reason };
        let client = self.client().await;
        let answer = Box::pin(client.get_secret_value().secret_id(id).send())
            .await
            .map_err(|e| unavailable(format!("{:?}", e.into_service_error())))?;
        let value: Arc<str> = answer.secret_string.ok_or_else(|| unavailable("holds no string".into()))?.into();
        self.cached.lock().unwrap_or_else(|e| e.into_inner()).insert(id.to_string(), (Instant::now(), value.clone()));
        Ok(value)
    }

    fn fresh(&self, id: &str) -> Option<Arc<str>> {
        let cached = self.cached.lock().unwrap_or_else(|e| e.into_inner());
        cached.get(id).filter(|(at, _)| at.elapsed() < self.ttl).map(|(_, value)| value.clone())
    }

    /// The secret parsed as JSON into `T`.
    pub async fn get_json<T: serde::de::DeserializeOwned>(&self, id: &str) -> Result<T, SecretError> {
        let text = self.get(id).await?;
        serde_json::from_str(&text).map_err(|e| SecretError::Malformed { id: id.to_string(), reason: e.to_string() })
    }

    /// `get_json`, read afresh.
    pub async fn fetch_json<T: serde::de::DeserializeOwned>(&self, id: &str) -> Result<T, SecretError> {
        let text = self.fetch(id).await?;
        serde_json::from_str(&text).map_err(|e| SecretError::Malformed { id: id.to_string(), reason: e.to_string() })
    }

    pub fn ttl(&self) -> Duration {
        self.ttl
    }
}

/// A user's credentials in the format RDS, RDS Proxy and Secrets Manager's
/// rotation functions use (`host`, `port`, `dbname` may be there too); the
/// same shape for an ElastiCache RBAC user.
#[derive(serde::Deserialize)]
pub struct Credentials {
    pub username: Option<String>,
    pub password: String,
}
