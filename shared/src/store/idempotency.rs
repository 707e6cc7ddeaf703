//! Idempotency records in DynamoDB (Stripe semantics). A conditional
//! `PutItem` claims a key; the first response is stored under it for 24 h.
//! The emulator keeps expired items, so expiry is also checked on read.

use super::aws::LazyAws;
use super::StoreError;
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::Utc;
use std::collections::HashMap;

pub const RECORD_LIFETIME_SECS: i64 = 24 * 3600;
/// A claim older than this whose owner never completed (it crashed) may be
/// taken over by a retry.
pub const CLAIM_TIMEOUT_SECS: i64 = 60;

#[derive(Debug, PartialEq)]
pub enum Claim {
    /// This request owns the key: run it, then `complete` or `abandon`.
    Acquired,
    Replay {
        status: u16,
        body: String,
        content_type: String,
    },
    /// The first request with this key is still running.
    InProgress,
    /// The key was used with a different request.
    Mismatch,
}

fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

fn n(v: i64) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

/// Any DynamoDB failure is answered as an outage (`503`): the client
/// retries with the same key.
fn dynamo_error<E: std::fmt::Debug>(e: aws_sdk_dynamodb::error::SdkError<E>) -> StoreError {
    StoreError::unavailable("dynamodb", format!("{e:?}"))
}

pub struct IdempotencyStore<'a> {
    aws: &'a LazyAws,
    /// `IDEMPOTENCY_TABLE`; without it every call fails (a bug in the deployment).
    table: Option<&'a str>,
}

impl<'a> IdempotencyStore<'a> {
    pub fn new(aws: &'a LazyAws, table: Option<&'a str>) -> Self {
        IdempotencyStore { aws, table }
    }

    fn table(&self) -> Result<&'a str, StoreError> {
        self.table.ok_or_else(|| StoreError::internal("IDEMPOTENCY_TABLE is not configured"))
    }

    /// `key` holds the caller's id: it is not recorded in the span.
    #[tracing::instrument(name = "dynamodb.idempotency.claim", level = "debug", skip_all)]
    pub async fn claim(&self, key: &str, request_hash: &str) -> Result<Claim, StoreError> {
        let table = self.table()?;
        let dynamodb = &self.aws.get().await.dynamodb;
        let now = Utc::now().timestamp();
        let put = dynamodb
            .put_item()
            .table_name(table)
            .item("pk", s(key))
            .item("requestHash", s(request_hash))
            .item("state", s("IN_PROGRESS"))
            .item("claimedAt", n(now))
            .item("expiresAt", n(now + RECORD_LIFETIME_SECS))
            // A key is free when unused, expired, or claimed by a request that died.
            .condition_expression(
                "attribute_not_exists(pk) OR expiresAt < :now OR (#state = :progress AND claimedAt < :stale AND requestHash = :hash)",
            )
            .expression_attribute_names("#state", "state")
            .expression_attribute_values(":now", n(now))
            .expression_attribute_values(":stale", n(now - CLAIM_TIMEOUT_SECS))
            .expression_attribute_values(":progress", s("IN_PROGRESS"))
            .expression_attribute_values(":hash", s(request_hash))
            .send()
            .await;
        match put {
            Ok(_) => return Ok(Claim::Acquired),
            Err(e) if e.as_service_error().is_some_and(|s| s.is_conditional_check_failed_exception()) => {}
            Err(e) => return Err(dynamo_error(e)),
        }
        let item: HashMap<String, AttributeValue> = dynamodb
            .get_item()
            .table_name(table)
            .key("pk", s(key))
            .consistent_read(true)
            .send()
            .await
            .map_err(dynamo_error)?
            .item
            .unwrap_or_default();
        let text = |name: &str| item.get(name).and_then(|v| v.as_s().ok()).cloned().unwrap_or_default();
        if text("requestHash") != request_hash {
            return Ok(Claim::Mismatch);
        }
        if text("state") != "COMPLETED" {
            return Ok(Claim::InProgress);
        }
        let status = item.get("responseStatus").and_then(|v| v.as_n().ok()).and_then(|v| v.parse().ok()).unwrap_or(200);
        Ok(Claim::Replay { status, body: text("responseBody"), content_type: text("contentType") })
    }

    #[tracing::instrument(name = "dynamodb.idempotency.complete", level = "debug", skip_all, fields(status = status))]
    pub async fn complete(&self, key: &str, status: u16, body: &str, content_type: &str) -> Result<(), StoreError> {
        self.aws
            .get()
            .await
            .dynamodb
            .update_item()
            .table_name(self.table()?)
            .key("pk", s(key))
            .update_expression("SET #state = :done, responseStatus = :status, responseBody = :body, contentType = :ct")
            .expression_attribute_names("#state", "state")
            .expression_attribute_values(":done", s("COMPLETED"))
            .expression_attribute_values(":status", n(i64::from(status)))
            .expression_attribute_values(":body", s(body))
            .expression_attribute_values(":ct", s(content_type))
            .send()
            .await
            .map_err(dynamo_error)?;
        Ok(())
    }

    /// Forgets a claim whose request failed transiently, so a retry runs again.
    #[tracing::instrument(name = "dynamodb.idempotency.abandon", level = "debug", skip_all)]
    pub async fn abandon(&self, key: &str) -> Result<(), StoreError> {
        self.aws
            .get()
            .await
            .dynamodb
            .delete_item()
            .table_name(self.table()?)
            .key("pk", s(key))
            .send()
            .await
            .map_err(dynamo_error)?;
        Ok(())
    }
}
