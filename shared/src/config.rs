//! Configuration comes from the environment only, parsed once at start-up.

use std::time::Duration;

/// Typed configuration of every function. Fields that only some functions
/// need (queue URLs, table names) are optional here and demanded where used,
/// so a function never fails to start for a variable it does not read.
#[derive(Clone, Debug)]
pub struct Config {
    pub database_url: String,
    pub redis_url: String,
    /// PEM file of a private CA that signed Redis's certificate (`rediss://`).
    pub redis_ca_file: Option<String>,
    /// Secrets Manager secret with the database user's password (RDS
    /// format: `{"username", "password"}`); read when a connection opens.
    pub database_secret_id: Option<String>,
    /// Secrets Manager secret with the Redis (ElastiCache RBAC) user and password.
    pub redis_auth_secret_id: Option<String>,
    /// How long a secret read from Secrets Manager is used before it is read again.
    pub secrets_ttl: Duration,
    /// Prepended to every Redis key, so tests and stages can share one server.
    pub redis_key_prefix: String,
    pub jwt: JwtConfig,
    pub ticketing_queue_url: Option<String>,
    pub notifications_topic_arn: Option<String>,
    pub notifications_queue_url: Option<String>,
    pub idempotency_table: Option<String>,
    pub notification_log_table: Option<String>,
    /// Upper bound for any single call to a dependency; shorter than the
    /// function timeout so the client gets a 503 rather than a dropped connection.
    pub dependency_timeout: Duration,
    pub db_pool_size: usize,
    /// Backstop only: invalidation keeps cached searches correct.
    pub search_cache_ttl: Duration,
    /// How long a seat lock lasts; a booking's payment deadline too.
    pub seat_hold_ttl: Duration,
    /// Seats one user may hold at once on one flight.
    pub seat_hold_max_per_flight: usize,
    /// Lock requests per user per minute.
    pub hold_rate_per_minute: u64,
    /// Payment attempts per user per minute.
    pub payment_rate_per_minute: u64,
    /// Bookings a user may create per minute.
    pub booking_rate_per_minute: u64,
    /// Live unpaid seats one customer may have, on one flight and in all.
    pub unpaid_seat_caps: UnpaidSeatCaps,
}

/// How far one customer may keep seats from others without paying.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UnpaidSeatCaps {
    pub per_flight: i32,
    pub in_all: i32,
}

#[derive(Clone, Debug)]
pub struct JwtConfig {
    pub keys: JwtKeys,
    pub issuer: String,
    pub audience: String,
    pub ttl: Duration,
}

/// Where the token keys come from.
#[derive(Clone)]
pub enum JwtKeys {
    /// PKCS#8 or PKCS#1 PEM of one RSA key that signs and verifies
    /// (`JWT_PRIVATE_KEY` / `JWT_PRIVATE_KEY_FILE`: local runs and tests).
    PrivateKey(String),
    /// Secrets Manager ids (`auth::keys`): the JWKS every function reads
    /// (`JWT_PUBLIC_KEYS_SECRET_ID`) and the signing key only the signing
    /// functions are given (`JWT_SIGNING_KEY_SECRET_ID`).
    Secrets { signing: Option<String>, public: String },
}

impl std::fmt::Debug for JwtKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            JwtKeys::PrivateKey(_) => f.write_str("PrivateKey(<redacted>)"),
            JwtKeys::Secrets { signing, public } => {
                f.debug_struct("Secrets").field("signing", signing).field("public", public).finish()
            }
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("environment variable {0} is not set")]
    Missing(&'static str),
    #[error("environment variable {name} is invalid: {reason}")]
    Invalid { name: &'static str, reason: String },
}

pub const DEFAULT_ISSUER: &str = "https://flightbook.local";
pub const DEFAULT_AUDIENCE: &str = "flightbook-api";

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Parses configuration from any variable source; tests pass a map.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let required =
            |name: &'static str| get(name).filter(|v| !v.trim().is_empty()).ok_or(ConfigError::Missing(name));
        let optional = |name: &str| get(name).filter(|v| !v.trim().is_empty());
        let number = |name: &'static str, default: u64| -> Result<u64, ConfigError> {
            match optional(name) {
                None => Ok(default),
                Some(v) => v.trim().parse().map_err(|_| ConfigError::Invalid {
                    name,
                    reason: format!("expected a non-negative integer, got {v:?}"),
                }),
            }
        };

        let database_url = required("DATABASE_URL")?;
        let redis_url = required("REDIS_URL")?;
        let keys = match (
            optional("JWT_PUBLIC_KEYS_SECRET_ID"),
            optional("JWT_PRIVATE_KEY"),
            optional("JWT_PRIVATE_KEY_FILE"),
        ) {
            (Some(public), _, _) => JwtKeys::Secrets { signing: optional("JWT_SIGNING_KEY_SECRET_ID"), public },
            (None, Some(pem), _) => JwtKeys::PrivateKey(pem),
            (None, None, Some(path)) => JwtKeys::PrivateKey(std::fs::read_to_string(&path).map_err(|e| {
                ConfigError::Invalid { name: "JWT_PRIVATE_KEY_FILE", reason: format!("cannot read {path}: {e}") }
            })?),
            (None, None, None) => return Err(ConfigError::Missing("JWT_PUBLIC_KEYS_SECRET_ID")),
        };

        Ok(Config {
            database_url,
            redis_url,
            redis_ca_file: optional("REDIS_CA_FILE"),
            database_secret_id: optional("DATABASE_SECRET_ID"),
            redis_auth_secret_id: optional("REDIS_AUTH_SECRET_ID"),
            secrets_ttl: Duration::from_secs(number("SECRETS_TTL_SECONDS", 300)?),
            redis_key_prefix: optional("REDIS_KEY_PREFIX").unwrap_or_else(|| "fb".into()),
            jwt: JwtConfig {
                keys,
                issuer: optional("JWT_ISSUER").unwrap_or_else(|| DEFAULT_ISSUER.into()),
                audience: optional("JWT_AUDIENCE").unwrap_or_else(|| DEFAULT_AUDIENCE.into()),
                ttl: Duration::from_secs(number("JWT_TTL_SECONDS", 3600)?),
            },
            ticketing_queue_url: optional("TICKETING_QUEUE_URL"),
            notifications_topic_arn: optional("NOTIFICATIONS_TOPIC_ARN"),
            notifications_queue_url: optional("NOTIFICATIONS_QUEUE_URL"),
            idempotency_table: optional("IDEMPOTENCY_TABLE"),
            notification_log_table: optional("NOTIFICATION_LOG_TABLE"),
            dependency_timeout: Duration::from_millis(number("DEPENDENCY_TIMEOUT_MS", 3000)?),
            db_pool_size: number("DB_POOL_SIZE", 4)? as usize,
            search_cache_ttl: Duration::from_secs(number("SEARCH_CACHE_TTL_SECONDS", 300)?),
            seat_hold_ttl: Duration::from_secs(number("SEAT_HOLD_TTL_SECONDS", 600)?.max(1)),
            seat_hold_max_per_flight: number("SEAT_HOLD_MAX_PER_FLIGHT", 9)?.max(1) as usize,
            hold_rate_per_minute: number("HOLD_RATE_LIMIT_PER_MINUTE", 60)?.max(1),
            payment_rate_per_minute: number("PAYMENT_RATE_LIMIT_PER_MINUTE", 20)?.max(1),
            booking_rate_per_minute: number("BOOKING_RATE_LIMIT_PER_MINUTE", 20)?.max(1),
            unpaid_seat_caps: UnpaidSeatCaps {
                // A family of nine on one flight; two such trips in all.
                per_flight: number("UNPAID_SEATS_PER_FLIGHT", 9)?.clamp(1, i32::MAX as u64) as i32,
                in_all: number("UNPAID_SEATS_IN_ALL", 18)?.clamp(1, i32::MAX as u64) as i32,
            },
        })
    }
}

/// An environment made of the given pairs, for tests of code that reads one.
#[cfg(test)]
pub(crate) fn lookup(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let map: std::collections::HashMap<String, String> =
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    move |k| map.get(k).cloned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_missing_variable() {
        let err = Config::from_lookup(lookup(&[("REDIS_URL", "redis://x")])).unwrap_err();
        assert_eq!(err.to_string(), "environment variable DATABASE_URL is not set");
    }

    #[test]
    fn rejects_a_non_numeric_timeout() {
        let err = Config::from_lookup(lookup(&[
            ("DATABASE_URL", "postgres://x"),
            ("REDIS_URL", "redis://x"),
            ("JWT_PRIVATE_KEY", "pem"),
            ("DEPENDENCY_TIMEOUT_MS", "soon"),
        ]))
        .unwrap_err();
        assert!(err.to_string().contains("DEPENDENCY_TIMEOUT_MS"), "{err}");
    }

    #[test]
    fn defaults_apply() {
        let cfg = Config::from_lookup(lookup(&[
            ("DATABASE_URL", "postgres://x"),
            ("REDIS_URL", "redis://x"),
            ("JWT_PRIVATE_KEY", "pem"),
        ]))
        .unwrap();
        assert_eq!(cfg.redis_key_prefix, "fb");
        assert_eq!(cfg.jwt.ttl, Duration::from_secs(3600));
        assert_eq!(cfg.jwt.issuer, DEFAULT_ISSUER);
        assert!(cfg.ticketing_queue_url.is_none());
        assert!(!format!("{:?}", cfg.jwt).contains("pem"), "{:?}", cfg.jwt);
    }
}
