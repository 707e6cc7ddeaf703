//! AWS SDK clients, built once from the standard environment, so the same
//! binary talks to AWS or to the local emulator. rustls with ring: no OpenSSL,
//! no aws-lc.
//!
//! The configuration is read here rather than by `aws-config`: a function on
//! Lambda gets its region and credentials from environment variables and
//! nothing else, and `aws-config`'s provider chains (profiles, SSO, STS, IMDS,
//! ECS) were a tenth of every AWS-using function's binary. What is read:
//! `AWS_REGION` (or `AWS_DEFAULT_REGION`), `AWS_ACCESS_KEY_ID`,
//! `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`, and the endpoint overrides
//! `AWS_ENDPOINT_URL` / `AWS_ENDPOINT_URL_{SQS,SNS,DYNAMODB,SECRETSMANAGER}` with the same
//! meaning as in the SDKs.

use std::time::Duration;

use aws_credential_types::provider::SharedCredentialsProvider;
use aws_credential_types::Credentials;
use aws_smithy_http_client::tls::{rustls_provider::CryptoMode, Provider};
use aws_smithy_http_client::Builder;
use aws_smithy_types::retry::RetryConfig;
use aws_smithy_types::timeout::TimeoutConfig;
use aws_types::region::Region;
use aws_types::sdk_config::SdkConfig;
use tokio::sync::OnceCell;

#[derive(Clone, Debug)]
pub struct AwsClients {
    pub sqs: aws_sdk_sqs::Client,
    pub sns: aws_sdk_sns::Client,
    pub dynamodb: aws_sdk_dynamodb::Client,
    pub secrets: aws_sdk_secretsmanager::Client,
}

/// The clients are built on first use, not during cold start.
#[derive(Default)]
pub struct LazyAws {
    clients: OnceCell<AwsClients>,
}

impl LazyAws {
    pub async fn get(&self) -> &AwsClients {
        self.clients.get_or_init(load).await
    }
}

/// The SDKs' own default: a connection that is not up in 3.1 s is retried.
const CONNECT_TIMEOUT: Duration = Duration::from_millis(3100);

pub async fn load() -> AwsClients {
    let config = sdk_config(&env_var);
    AwsClients {
        sqs: {
            let mut builder = aws_sdk_sqs::config::Builder::from(&config);
            builder.set_endpoint_url(service_endpoint(&config, &env_var, "SQS"));
            aws_sdk_sqs::Client::from_conf(builder.build())
        },
        sns: {
            let mut builder = aws_sdk_sns::config::Builder::from(&config);
            builder.set_endpoint_url(service_endpoint(&config, &env_var, "SNS"));
            aws_sdk_sns::Client::from_conf(builder.build())
        },
        dynamodb: {
            let mut builder = aws_sdk_dynamodb::config::Builder::from(&config);
            builder.set_endpoint_url(service_endpoint(&config, &env_var, "DYNAMODB"));
            aws_sdk_dynamodb::Client::from_conf(builder.build())
        },
        secrets: secrets_client(&config),
    }
}

/// Secrets Manager alone, for what reads secrets before (or without) the
/// other clients: the database connector.
pub fn secrets_client(config: &SdkConfig) -> aws_sdk_secretsmanager::Client {
    let mut builder = aws_sdk_secretsmanager::config::Builder::from(config);
    builder.set_endpoint_url(service_endpoint(config, &env_var, "SECRETSMANAGER"));
    aws_sdk_secretsmanager::Client::from_conf(builder.build())
}

/// The shared configuration from the process environment.
pub fn sdk_config_from_env() -> SdkConfig {
    sdk_config(&env_var)
}

fn env_var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

type Env<'a> = &'a dyn Fn(&str) -> Option<String>;

fn sdk_config(env: Env<'_>) -> SdkConfig {
    let http_client = Builder::new().tls_provider(Provider::Rustls(CryptoMode::Ring)).build_https();
    let region = env("AWS_REGION").or_else(|| env("AWS_DEFAULT_REGION"));
    let mut builder = SdkConfig::builder()
        .behavior_version(aws_sdk_sqs::config::BehaviorVersion::latest())
        .http_client(http_client)
        .retry_config(RetryConfig::standard())
        .timeout_config(TimeoutConfig::builder().connect_timeout(CONNECT_TIMEOUT).build())
        .time_source(aws_smithy_async::time::SystemTimeSource::new());
    if let Some(sleep) = aws_smithy_async::rt::sleep::default_async_sleep() {
        builder = builder.sleep_impl(sleep);
    }
    builder.set_region(region.map(Region::new));
    builder.set_endpoint_url(env("AWS_ENDPOINT_URL"));
    // Without credentials a client still builds; each call then fails with
    // the SDK's "no credentials" error, which the callers map to 503.
    if let (Some(key), Some(secret)) = (env("AWS_ACCESS_KEY_ID"), env("AWS_SECRET_ACCESS_KEY")) {
        let credentials = Credentials::new(key, secret, env("AWS_SESSION_TOKEN"), None, "Environment");
        builder = builder.credentials_provider(SharedCredentialsProvider::new(credentials));
    }
    builder.build()
}

/// `AWS_ENDPOINT_URL_<SERVICE>` wins over `AWS_ENDPOINT_URL`.
fn service_endpoint(config: &SdkConfig, env: Env<'_>, service: &str) -> Option<String> {
    env(&format!("AWS_ENDPOINT_URL_{service}")).or_else(|| config.endpoint_url().map(str::to_owned))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::lookup as env_of;

    #[test]
    fn region_and_endpoints_come_from_the_environment() {
        let env = env_of(&[
            ("AWS_DEFAULT_REGION", "eu-west-1"),
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:5000"),
            ("AWS_ENDPOINT_URL_DYNAMODB", "http://127.0.0.1:5001"),
        ]);
        let config = sdk_config(&env);
        assert_eq!(config.region().map(|r| r.as_ref()), Some("eu-west-1"));
        assert_eq!(service_endpoint(&config, &env, "SQS").as_deref(), Some("http://127.0.0.1:5000"));
        assert_eq!(service_endpoint(&config, &env, "DYNAMODB").as_deref(), Some("http://127.0.0.1:5001"));
        assert!(config.credentials_provider().is_none(), "no keys in the environment, no provider");
    }

    #[test]
    fn aws_region_wins_and_keys_make_a_provider() {
        let env = env_of(&[
            ("AWS_REGION", "ap-south-1"),
            ("AWS_DEFAULT_REGION", "eu-west-1"),
            ("AWS_ACCESS_KEY_ID", "AKID"),
            ("AWS_SECRET_ACCESS_KEY", "secret"),
        ]);
        let config = sdk_config(&env);
        assert_eq!(config.region().map(|r| r.as_ref()), Some("ap-south-1"));
        assert!(config.credentials_provider().is_some());
        assert_eq!(service_endpoint(&config, &env, "SQS"), None, "no override: the service's own endpoint");
    }
}
