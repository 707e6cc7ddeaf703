//! The clients every function shares, built once in `main` (outside the
//! handler) and reused across invocations. Nothing here touches the network
//! at construction: connections open on first use, keeping cold starts short.

use crate::auth::tokens::TokenService;
use crate::config::Config;
use crate::store::aws::{AwsClients, LazyAws};
use crate::store::flights::{DirectoryCache, FlightCatalog};
use crate::store::health::Dependencies;
use crate::store::idempotency::IdempotencyStore;
use crate::store::outbox::Outbox;
use crate::store::redis::RedisStore;
use crate::store::search_cache::{RecentPages, SearchCache};
use crate::store::secrets::SecretStore;
use crate::store::timetable::Timetable;
use crate::ApiError;
use deadpool_postgres::Pool;
use lambda_http::{Body, Request, Response};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

pub struct Services {
    pub config: Config,
    pub db: Pool,
    pub redis: RedisStore,
    pub tokens: TokenService,
    pub directory: DirectoryCache,
    /// Flight facts (schedule, seat plan, fares) per warm instance.
    pub flights: FlightCatalog,
    /// The schedule in memory for search (loaded per day on first use).
    pub timetable: Timetable,
    /// Search pages answered lately, reused while Redis's epoch stands.
    pub recent_pages: RecentPages,
    /// Secrets read at run time (database password, token keys).
    pub secrets: Arc<SecretStore>,
    aws: LazyAws,
}

impl Services {
    pub fn new(config: Config) -> Result<Self, String> {
        let secrets = Arc::new(SecretStore::new(config.secrets_ttl));
        Ok(Services {
            db: crate::store::postgres::pool(&config, secrets.clone())?,
            redis: RedisStore::new(&config, secrets.clone())?,
            secrets,
            tokens: TokenService::from_config(&config.jwt)?,
            aws: LazyAws::default(),
            directory: DirectoryCache::default(),
            flights: FlightCatalog::default(),
            timetable: Timetable::default(),
            recent_pages: RecentPages::default(),
            config,
        })
    }

    pub fn from_env() -> Result<Self, String> {
        Self::new(Config::from_env().map_err(|e| e.to_string())?)
    }

    pub async fn aws(&self) -> &AwsClients {
        self.aws.get().await
    }

    pub fn seat_holds(&self) -> crate::store::seat_holds::SeatHolds<'_> {
        crate::store::seat_holds::SeatHolds::new(&self.redis)
    }

    pub fn rate_limiter(&self) -> crate::store::rate_limit::RateLimiter<'_> {
        crate::store::rate_limit::RateLimiter::new(&self.redis)
    }

    pub fn search_cache(&self) -> SearchCache<'_> {
        SearchCache::new(&self.redis, self.config.search_cache_ttl)
    }

    /// Sends what a transaction wrote to the outbox (and drains the rest).
    pub fn outbox(&self) -> Outbox<'_> {
        Outbox {
            db: &self.db,
            aws: &self.aws,
            ticketing_queue_url: self.config.ticketing_queue_url.as_deref(),
            notifications_topic_arn: self.config.notifications_topic_arn.as_deref(),
            send_timeout: self.config.dependency_timeout,
        }
    }

    pub fn idempotency_store(&self) -> IdempotencyStore<'_> {
        IdempotencyStore::new(&self.aws, self.config.idempotency_table.as_deref())
    }

    /// What `GET /api/health` probes.
    pub fn dependencies(&self) -> Dependencies<'_> {
        Dependencies {
            db: &self.db,
            redis: &self.redis,
            aws: &self.aws,
            ticketing_queue_url: self.config.ticketing_queue_url.as_deref(),
            notifications_topic_arn: self.config.notifications_topic_arn.as_deref(),
            idempotency_table: self.config.idempotency_table.as_deref(),
        }
    }

    /// Before signing or publishing keys: the keys as Secrets Manager holds them now.
    pub async fn current_keys(&self) -> Result<&TokenService, ApiError> {
        self.tokens.refresh(&self.secrets).await?;
        Ok(&self.tokens)
    }

    /// Handler deadline: under the function timeout, so a slow dependency
    /// yields a 503 problem instead of a dropped connection.
    pub fn deadline(&self) -> Duration {
        self.config.dependency_timeout * 2
    }
}

/// [`run_http`] for a function that takes money through the mock gateway:
/// it refuses to start on a production stage unless the deployer allowed
/// the mock explicitly (`domain::payment::mock_gateway_permitted`).
pub async fn run_mock_gateway_http<F, Fut>(handler: F) -> Result<(), lambda_http::Error>
where
    F: Fn(&'static Services, Request) -> Fut + Copy + Send + 'static,
    Fut: Future<Output = Result<Response<Body>, lambda_http::Error>> + Send,
{
    let stage = std::env::var("STAGE").ok();
    let allow = std::env::var("ALLOW_MOCK_PAYMENTS").ok();
    if let Err(refusal) = crate::domain::payment::mock_gateway_permitted(stage.as_deref(), allow.as_deref()) {
        crate::telemetry::init_lambda();
        tracing::error!(%refusal, "not starting");
        return Err(refusal.into());
    }
    run_http(handler).await
}

/// What a function's `main` does: logs, configuration, clients, then the
/// runtime loop. A configuration error ends the process with a clear message.
pub async fn run_http<F, Fut>(handler: F) -> Result<(), lambda_http::Error>
where
    F: Fn(&'static Services, Request) -> Fut + Copy + Send + 'static,
    Fut: Future<Output = Result<Response<Body>, lambda_http::Error>> + Send,
{
    crate::telemetry::init_lambda();
    let services: &'static Services = Box::leak(Box::new(Services::from_env().map_err(|e| {
        tracing::error!(error = %e, "configuration error");
        e
    })?));
    lambda_http::run(lambda_http::service_fn(move |req| handler(services, req))).await
}
