//! Dependency checks for `GET /api/health`: each dependency is probed
//! concurrently with a short timeout and reported with its latency. The
//! route is public, so a failure is reported by kind only (`timeout`,
//! `error`, `not-configured`); what the dependency said (which may name
//! accounts, ARNs or hosts) goes to the log.

use super::aws::LazyAws;
use super::redis::RedisStore;
use deadpool_postgres::Pool;
use serde::Serialize;
use std::time::{Duration, Instant};
use tracing::Instrument;

const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

#[derive(Debug, Serialize)]
pub struct DependencyStatus {
    pub status: &'static str,
    #[serde(rename = "latencyMs")]
    pub latency_ms: f64,
    /// Why it is down: `timeout`, `error` or `not-configured`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<&'static str>,
}

#[derive(Debug, Serialize)]
pub struct HealthReport {
    pub status: &'static str,
    pub checks: std::collections::BTreeMap<&'static str, DependencyStatus>,
}

impl HealthReport {
    pub fn healthy(&self) -> bool {
        self.status == "ok"
    }

    pub fn down(&self) -> Vec<&'static str> {
        self.checks.iter().filter(|(_, s)| s.status != "ok").map(|(name, _)| *name).collect()
    }
}

/// A failed probe: its kind for the response, its text for the log.
enum ProbeError {
    NotConfigured(&'static str),
    Failed(String),
}

impl<E: std::fmt::Debug> From<E> for ProbeError {
    fn from(error: E) -> Self {
        ProbeError::Failed(format!("{error:?}"))
    }
}

async fn probe<F>(dependency: &'static str, check: F) -> DependencyStatus
where
    F: std::future::Future<Output = Result<(), ProbeError>>,
{
    let started = Instant::now();
    let span = tracing::debug_span!("health.probe", dependency);
    let outcome = tokio::time::timeout(PROBE_TIMEOUT, check.instrument(span)).await;
    let latency_ms = (started.elapsed().as_secs_f64() * 1000.0 * 100.0).round() / 100.0;
    let reason = match outcome {
        Ok(Ok(())) => None,
        Ok(Err(ProbeError::NotConfigured(variable))) => {
            tracing::warn!(dependency, variable, "health: not configured");
            Some("not-configured")
        }
        Ok(Err(ProbeError::Failed(error))) => {
            tracing::warn!(dependency, %error, "health: dependency failed");
            Some("error")
        }
        Err(_) => {
            tracing::warn!(dependency, timeout = ?PROBE_TIMEOUT, "health: no answer");
            Some("timeout")
        }
    };
    DependencyStatus { status: if reason.is_none() { "ok" } else { "down" }, latency_ms, reason }
}

fn configured<'a>(value: Option<&'a str>, variable: &'static str) -> Result<&'a str, ProbeError> {
    value.ok_or(ProbeError::NotConfigured(variable))
}

/// The dependencies `GET /api/health` probes, and the resources it probes
/// them with (`None`: reported as `not-configured`).
pub struct Dependencies<'a> {
    pub db: &'a Pool,
    pub redis: &'a RedisStore,
    pub aws: &'a LazyAws,
    pub ticketing_queue_url: Option<&'a str>,
    pub notifications_topic_arn: Option<&'a str>,
    pub idempotency_table: Option<&'a str>,
}

#[tracing::instrument(name = "health.check", level = "debug", skip_all)]
pub async fn check(dependencies: &Dependencies<'_>) -> HealthReport {
    let Dependencies { db, redis, aws, ticketing_queue_url, notifications_topic_arn, idempotency_table } = dependencies;
    let postgres = probe("postgres", async {
        let client = db.get().await?;
        client.simple_query("SELECT 1").await?;
        Ok(())
    });
    let redis = probe("redis", async { Ok(redis.ping().await?) });
    let sqs = probe("sqs", async {
        let queue = configured(*ticketing_queue_url, "TICKETING_QUEUE_URL")?;
        let aws = aws.get().await;
        aws.sqs.get_queue_attributes().queue_url(queue).send().await?;
        Ok(())
    });
    let sns = probe("sns", async {
        let topic = configured(*notifications_topic_arn, "NOTIFICATIONS_TOPIC_ARN")?;
        let aws = aws.get().await;
        aws.sns.get_topic_attributes().topic_arn(topic).send().await?;
        Ok(())
    });
    let dynamodb = probe("dynamodb", async {
        let table = configured(*idempotency_table, "IDEMPOTENCY_TABLE")?;
        let aws = aws.get().await;
        aws.dynamodb.describe_table().table_name(table).send().await?;
        Ok(())
    });
    let (postgres, redis, sqs, sns, dynamodb) = tokio::join!(postgres, redis, sqs, sns, dynamodb);
    let checks: std::collections::BTreeMap<_, _> =
        [("postgres", postgres), ("redis", redis), ("sqs", sqs), ("sns", sns), ("dynamodb", dynamodb)].into();
    let status = if checks.values().all(|s| s.status == "ok") { "ok" } else { "degraded" };
    HealthReport { status, checks }
}
