//! Dependency checks for `GET /api/health`: each dependency is probed
//! concurrently with a short timeout and reported with its latency.

use crate::Services;
use serde::Serialize;
use std::time::{Duration, Instant};

const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

#[derive(Debug, Serialize)]
pub struct DependencyStatus {
    pub status: &'static str,
    #[serde(rename = "latencyMs")]
    pub latency_ms: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
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

async fn probe<F>(check: F) -> DependencyStatus
where
    F: std::future::Future<Output = Result<(), String>>,
{
    let started = Instant::now();
    let outcome = tokio::time::timeout(PROBE_TIMEOUT, check).await;
    let latency_ms = (started.elapsed().as_secs_f64() * 1000.0 * 100.0).round() / 100.0;
    let error = match outcome {
        Ok(Ok(())) => None,
        Ok(Err(e)) => Some(e),
        Err(_) => Some(format!("no answer within {PROBE_TIMEOUT:?}")),
    };
    DependencyStatus { status: if error.is_none() { "ok" } else { "down" }, latency_ms, error }
}

fn configured(value: &Option<String>, variable: &str) -> Result<String, String> {
    value.clone().ok_or_else(|| format!("{variable} is not configured"))
}

pub async fn check(svc: &Services) -> HealthReport {
    let postgres = probe(async {
        let client = svc.db.get().await.map_err(|e| e.to_string())?;
        client.simple_query("SELECT 1").await.map_err(|e| e.to_string())?;
        Ok(())
    });
    let redis = probe(async { svc.redis.ping().await.map_err(|e| e.to_string()) });
    let sqs = probe(async {
        let queue = configured(&svc.config.ticketing_queue_url, "TICKETING_QUEUE_URL")?;
        let aws = svc.aws().await;
        aws.sqs.get_queue_attributes().queue_url(queue).send().await.map_err(|e| format!("{e:?}"))?;
        Ok(())
    });
    let sns = probe(async {
        let topic = configured(&svc.config.notifications_topic_arn, "NOTIFICATIONS_TOPIC_ARN")?;
        let aws = svc.aws().await;
        aws.sns.get_topic_attributes().topic_arn(topic).send().await.map_err(|e| format!("{e:?}"))?;
        Ok(())
    });
    let dynamodb = probe(async {
        let table = configured(&svc.config.idempotency_table, "IDEMPOTENCY_TABLE")?;
        let aws = svc.aws().await;
        aws.dynamodb.describe_table().table_name(table).send().await.map_err(|e| format!("{e:?}"))?;
        Ok(())
    });
    let (postgres, redis, sqs, sns, dynamodb) = tokio::join!(postgres, redis, sqs, sns, dynamodb);
    let checks: std::collections::BTreeMap<_, _> =
        [("postgres", postgres), ("redis", redis), ("sqs", sqs), ("sns", sns), ("dynamodb", dynamodb)].into();
    let status = if checks.values().all(|s| s.status == "ok") { "ok" } else { "degraded" };
    HealthReport { status, checks }
}
