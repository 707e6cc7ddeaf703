//! AWS SDK clients, built once from the standard environment
//! (`AWS_ENDPOINT_URL*`, `AWS_REGION`, credentials), so the same binary talks
//! to AWS or to the local emulator. rustls with ring: no OpenSSL, no aws-lc.

use aws_config::BehaviorVersion;
use aws_smithy_http_client::tls::{rustls_provider::CryptoMode, Provider};
use aws_smithy_http_client::Builder;
use tokio::sync::OnceCell;

#[derive(Clone, Debug)]
pub struct AwsClients {
    pub sqs: aws_sdk_sqs::Client,
    pub sns: aws_sdk_sns::Client,
    pub dynamodb: aws_sdk_dynamodb::Client,
}

/// Loading the SDK configuration reads the environment and may touch the
/// credentials chain, so it happens on first use, not during cold start.
#[derive(Default)]
pub struct LazyAws {
    clients: OnceCell<AwsClients>,
}

impl LazyAws {
    pub async fn get(&self) -> &AwsClients {
        self.clients.get_or_init(load).await
    }
}

pub async fn load() -> AwsClients {
    let http_client = Builder::new().tls_provider(Provider::Rustls(CryptoMode::Ring)).build_https();
    let config = aws_config::defaults(BehaviorVersion::latest()).http_client(http_client).load().await;
    AwsClients {
        sqs: aws_sdk_sqs::Client::new(&config),
        sns: aws_sdk_sns::Client::new(&config),
        dynamodb: aws_sdk_dynamodb::Client::new(&config),
    }
}
