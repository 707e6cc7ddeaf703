//! Plays Lambda's SQS event source mapping for the local stack: polls each
//! queue that a function subscribes to in the template, hands batches to
//! the function as real `SqsEvent`s, deletes what succeeded and leaves the
//! reported failures (or the whole batch, if the function errs) to come
//! back after the visibility timeout and, past `maxReceiveCount`, to be
//! moved to the dead-letter queue by the queue's redrive policy.

use crate::provision::LocalResources;
use crate::registry::{sqs_handler, SqsHandler};
use crate::template::Template;
use anyhow::anyhow;
use aws_lambda_events::sqs::SqsEvent;
use aws_sdk_sqs::types::{DeleteMessageBatchRequestEntry, MessageSystemAttributeName};
use futures::FutureExt;
use serde_json::{json, Map, Value};
use shared::Services;
use std::collections::HashSet;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;

pub struct Consumer {
    pub package: String,
    pub queue_url: String,
    pub queue_arn: String,
    pub batch_size: i32,
    pub report_failures: bool,
    handler: SqsHandler,
}

pub fn consumers(template: &Template, resources: &LocalResources) -> anyhow::Result<Vec<Consumer>> {
    let mut found = Vec::new();
    for function in &template.functions {
        for source in &function.sqs_sources {
            let handler = sqs_handler(&function.package)
                .ok_or_else(|| anyhow!("{} consumes SQS but the gateway does not know it", function.package))?;
            found.push(Consumer {
                package: function.package.clone(),
                queue_url: resources
                    .refs
                    .get(&source.queue)
                    .cloned()
                    .ok_or_else(|| anyhow!("unknown queue {}", source.queue))?,
                queue_arn: resources.arns.get(&source.queue).cloned().unwrap_or_default(),
                batch_size: source.batch_size.clamp(1, 10),
                report_failures: source.report_batch_item_failures,
                handler,
            });
        }
    }
    Ok(found)
}

impl Consumer {
    /// Receives one batch and processes it; returns how many messages came.
    pub async fn poll_once(&self, services: &Services, wait: Duration) -> anyhow::Result<usize> {
        let aws = services.aws().await;
        let received = aws
            .sqs
            .receive_message()
            .queue_url(&self.queue_url)
            .max_number_of_messages(self.batch_size)
            .wait_time_seconds(wait.as_secs() as i32)
            .message_system_attribute_names(MessageSystemAttributeName::All)
            .send()
            .await?;
        let messages = received.messages.unwrap_or_default();
        if messages.is_empty() {
            return Ok(0);
        }
        let records: Vec<Value> = messages
            .iter()
            .map(|m| {
                let attributes: Map<String, Value> = m
                    .attributes
                    .iter()
                    .flatten()
                    .map(|(k, v)| (k.as_str().to_string(), Value::String(v.clone())))
                    .collect();
                json!({
                    "messageId": m.message_id,
                    "receiptHandle": m.receipt_handle,
                    "body": m.body,
                    "md5OfBody": m.md5_of_body,
                    "attributes": attributes,
                    "messageAttributes": {},
                    "eventSource": "aws:sqs",
                    "eventSourceARN": self.queue_arn,
                    "awsRegion": std::env::var("AWS_REGION").unwrap_or_else(|_| "ap-south-1".into()),
                })
            })
            .collect();
        let event: SqsEvent = serde_json::from_value(json!({ "Records": records }))?;
        let outcome = AssertUnwindSafe((self.handler)(services, event)).catch_unwind().await;
        let failed: HashSet<String> = match outcome {
            Ok(Ok(response)) if self.report_failures => {
                response.batch_item_failures.into_iter().map(|f| f.item_identifier).collect()
            }
            Ok(Ok(_)) => HashSet::new(),
            Ok(Err(e)) => {
                tracing::error!(function = %self.package, error = %e, "batch failed; it will be retried");
                return Ok(messages.len());
            }
            Err(_) => {
                tracing::error!(function = %self.package, "batch panicked; it will be retried");
                return Ok(messages.len());
            }
        };
        let entries: Vec<DeleteMessageBatchRequestEntry> = messages
            .iter()
            .enumerate()
            .filter(|(_, m)| !m.message_id.as_ref().is_some_and(|id| failed.contains(id)))
            .filter_map(|(i, m)| {
                DeleteMessageBatchRequestEntry::builder()
                    .id(i.to_string())
                    .set_receipt_handle(m.receipt_handle.clone())
                    .build()
                    .ok()
            })
            .collect();
        if !entries.is_empty() {
            aws.sqs.delete_message_batch().queue_url(&self.queue_url).set_entries(Some(entries)).send().await?;
        }
        Ok(messages.len())
    }
}

/// Runs every consumer until the process ends.
pub fn run_consumers(
    template: &Template,
    resources: &LocalResources,
    services: Arc<Services>,
) -> anyhow::Result<Vec<tokio::task::JoinHandle<()>>> {
    let mut tasks = Vec::new();
    for consumer in consumers(template, resources)? {
        let services = services.clone();
        tasks.push(tokio::spawn(async move {
            loop {
                match consumer.poll_once(&services, Duration::from_secs(1)).await {
                    Ok(0) => tokio::time::sleep(Duration::from_millis(100)).await,
                    Ok(_) => {}
                    Err(e) => {
                        tracing::warn!(function = %consumer.package, error = %e, "polling failed; retrying");
                        tokio::time::sleep(Duration::from_secs(1)).await;
                    }
                }
            }
        }));
    }
    Ok(tasks)
}
