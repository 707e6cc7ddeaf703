use crate::support::*;
use shared::{Config, Services};
use std::time::{Duration, Instant};

#[tokio::test]
async fn health_reports_every_dependency_ok() {
    let stack = TestStack::new().await;
    let response = health::handle(&stack.services, request("GET", "/api/health", None, None)).await.unwrap();
    let doc = body_json(&response);
    assert_eq!(response.status(), 200, "{doc}");
    for dependency in ["postgres", "redis", "sqs", "sns", "dynamodb"] {
        assert_eq!(doc["checks"][dependency]["status"], "ok", "{dependency}: {doc}");
        assert!(doc["checks"][dependency]["latencyMs"].as_f64().is_some());
    }
}

/// The stack's services, but with one dependency pointed at a closed port.
fn broken(stack: &TestStack, variable: &str, value: &str) -> Services {
    let mut env = stack.env.clone();
    env.insert(variable.into(), value.into());
    env.insert("DEPENDENCY_TIMEOUT_MS".into(), "1000".into());
    let config = Config::from_lookup(|k| env.get(k).cloned().or_else(|| std::env::var(k).ok())).unwrap();
    Services::new(config).unwrap()
}

#[tokio::test]
async fn health_is_503_naming_the_dependency_that_is_down() {
    let stack = TestStack::new().await;
    let services = broken(&stack, "REDIS_URL", "rediss://127.0.0.1:1");
    let response = health::handle(&services, request("GET", "/api/health", None, None)).await.unwrap();
    let doc = assert_problem(&response, 503, "SERVICE_UNAVAILABLE");
    assert_eq!(doc["checks"]["redis"]["status"], "down", "{doc}");
    assert_eq!(doc["checks"]["postgres"]["status"], "ok", "{doc}");
    assert!(response.headers().contains_key("retry-after"));
}

#[tokio::test]
async fn postgres_down_is_a_quick_503_with_retry_after_and_nothing_written() {
    let stack = TestStack::new().await;
    let services = broken(&stack, "DATABASE_URL", "postgres://postgres@127.0.0.1:1/none");
    let started = Instant::now();
    let body = serde_json::json!({"name": "J", "email": "down@example.com", "password": "test123"});
    let response = auth_signup::handle(&services, request("POST", "/api/auth/signup", Some(body), None)).await.unwrap();
    assert_problem(&response, 503, "SERVICE_UNAVAILABLE");
    assert_eq!(response.headers()["retry-after"], "2");
    assert!(started.elapsed() < Duration::from_secs(5), "took {:?}", started.elapsed());
}

#[tokio::test]
async fn redis_down_makes_login_503_not_500() {
    let stack = TestStack::new().await;
    customer(&stack, "r@example.com").await;
    let services = broken(&stack, "REDIS_URL", "rediss://127.0.0.1:1");
    let body = serde_json::json!({"email": "r@example.com", "password": "correct horse battery"});
    let response = auth_login::handle(&services, request("POST", "/api/auth/login", Some(body), None)).await.unwrap();
    assert_problem(&response, 503, "SERVICE_UNAVAILABLE");
}

/// The route is public: what a dependency said (ARNs, account ids, table
/// names, hosts) goes to the log, the answer names only the kind of failure.
#[tokio::test]
async fn health_never_shows_a_dependencys_error_text() {
    let stack = TestStack::new().await;
    let mut env = stack.env.clone();
    let secret_table = "internal-table-name-7731";
    let secret_arn = "arn:aws:sns:ap-south-1:210987654321:internal-topic-7731";
    env.insert("IDEMPOTENCY_TABLE".into(), secret_table.into());
    env.insert("NOTIFICATIONS_TOPIC_ARN".into(), secret_arn.into());
    env.remove("TICKETING_QUEUE_URL");
    env.insert("REDIS_URL".into(), "rediss://internal-redis-host-7731.invalid:6379".into());
    let config = Config::from_lookup(|k| env.get(k).cloned().or_else(|| std::env::var(k).ok())).unwrap();
    let config = Config { ticketing_queue_url: None, ..config };
    let services = Services::new(config).unwrap();
    let response = health::handle(&services, request("GET", "/api/health", None, None)).await.unwrap();
    let doc = assert_problem(&response, 503, "SERVICE_UNAVAILABLE");
    let text = doc.to_string();
    for secret in ["7731", "210987654321", "arn:", "ResourceNotFound", "NotFound"] {
        assert!(!text.contains(secret), "the public health answer shows {secret:?}: {text}");
    }
    assert_eq!(doc["checks"]["postgres"]["status"], "ok", "{doc}");
    assert_eq!(doc["checks"]["dynamodb"]["status"], "down", "{doc}");
    assert_eq!(doc["checks"]["dynamodb"]["reason"], "error", "{doc}");
    assert_eq!(doc["checks"]["sqs"]["reason"], "not-configured", "{doc}");
    assert!(["error", "timeout"].contains(&doc["checks"]["redis"]["reason"].as_str().unwrap()), "{doc}");
    for check in doc["checks"].as_object().unwrap().values() {
        let fields: Vec<&String> = check.as_object().unwrap().keys().collect();
        assert!(fields.iter().all(|f| ["status", "latencyMs", "reason"].contains(&f.as_str())), "{check}");
    }
}
