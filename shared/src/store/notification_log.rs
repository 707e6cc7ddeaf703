//! The log of delivered notifications in DynamoDB (`NotificationLogTable`).
//!
//! One item per notification: `pk = user#<userId>`, `sk = <createdAt>#<notificationId>`
//! with `createdAt` as RFC 3339 UTC with milliseconds, so the sort key orders
//! chronologically and a descending Query on `pk` reads newest first. Items
//! carry `expiresAt` (epoch seconds) for DynamoDB's TTL; deletion by TTL is
//! lazy (and the emulator never does it), so reads filter expired items out.

use super::StoreError;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::types::AttributeValue;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use std::collections::HashMap;

/// How long a delivered notification stays in the log.
pub const RETENTION: chrono::Duration = chrono::Duration::days(90);

/// One delivered notification, as stored and as listed to its user.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeliveredNotification {
    pub notification_id: String,
    pub user_id: i64,
    /// `email` or `sms`.
    pub channel: String,
    pub kind: String,
    pub subject: String,
    pub message: String,
    /// The text as delivered: the formatted email or SMS.
    pub rendered_body: String,
    pub created_at: DateTime<Utc>,
    pub delivered_at: DateTime<Utc>,
}

/// One page of a user's log, newest first.
#[derive(Clone, Debug)]
pub struct LogPage {
    pub items: Vec<DeliveredNotification>,
    /// Where the next page starts; `None` on the last page.
    pub next_cursor: Option<String>,
}

/// Why a page of the log could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ListError {
    /// The cursor is not one this log gave out (a `400`).
    #[error("cursor is not valid; start again without it")]
    InvalidCursor,
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub struct NotificationLog<'a> {
    client: &'a aws_sdk_dynamodb::Client,
    table: &'a str,
}

fn partition_key(user_id: i64) -> String {
    format!("user#{user_id}")
}

fn sort_key(created_at: DateTime<Utc>, notification_id: &str) -> String {
    format!("{}#{notification_id}", created_at.to_rfc3339_opts(SecondsFormat::Millis, true))
}

impl<'a> NotificationLog<'a> {
    pub fn new(client: &'a aws_sdk_dynamodb::Client, table: &'a str) -> Self {
        NotificationLog { client, table }
    }

    /// Records a delivery. A notification already in the log (a duplicate
    /// delivery from the queue) is left as it is; returns whether it was new.
    #[tracing::instrument(
        name = "dynamodb.notification_log.record",
        level = "debug",
        skip_all,
        fields(notification_id = %entry.notification_id, user_id = entry.user_id)
    )]
    pub async fn record(&self, entry: &DeliveredNotification) -> Result<bool, StoreError> {
        let expires_at = (entry.delivered_at + RETENTION).timestamp();
        let outcome = self
            .client
            .put_item()
            .table_name(self.table)
            .item("pk", AttributeValue::S(partition_key(entry.user_id)))
            .item("sk", AttributeValue::S(sort_key(entry.created_at, &entry.notification_id)))
            .item("notificationId", AttributeValue::S(entry.notification_id.clone()))
            .item("userId", AttributeValue::N(entry.user_id.to_string()))
            .item("channel", AttributeValue::S(entry.channel.clone()))
            .item("kind", AttributeValue::S(entry.kind.clone()))
            .item("subject", AttributeValue::S(entry.subject.clone()))
            .item("message", AttributeValue::S(entry.message.clone()))
            .item("renderedBody", AttributeValue::S(entry.rendered_body.clone()))
            .item("createdAt", AttributeValue::S(timestamp(entry.created_at)))
            .item("deliveredAt", AttributeValue::S(timestamp(entry.delivered_at)))
            .item("expiresAt", AttributeValue::N(expires_at.to_string()))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await;
        match outcome {
            Ok(_) => Ok(true),
            Err(e) if e.as_service_error().is_some_and(|s| s.is_conditional_check_failed_exception()) => Ok(false),
            Err(e) => Err(store_error("PutItem", e)),
        }
    }

    /// The user's unexpired notifications, newest first, `limit` at a time.
    #[tracing::instrument(name = "dynamodb.notification_log.list", level = "debug", skip_all, fields(user_id = user_id))]
    pub async fn list(&self, user_id: i64, limit: usize, cursor: Option<&str>) -> Result<LogPage, ListError> {
        let pk = partition_key(user_id);
        let mut start = cursor.map(|raw| decode_cursor(raw).map(|sk| start_key(&pk, sk))).transpose()?;
        let now = Utc::now().timestamp();
        // One more than asked tells whether there is a next page. Expired
        // items are filtered after DynamoDB's limit, so a round may come back
        // short while more items follow: keep reading until enough or the end.
        let wanted = limit + 1;
        let mut items = Vec::with_capacity(wanted);
        loop {
            let page = self
                .client
                .query()
                .table_name(self.table)
                .key_condition_expression("pk = :pk")
                .filter_expression("expiresAt > :now")
                .expression_attribute_values(":pk", AttributeValue::S(pk.clone()))
                .expression_attribute_values(":now", AttributeValue::N(now.to_string()))
                .scan_index_forward(false)
                .limit((wanted - items.len()) as i32)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(|e| store_error("Query", e))?;
            for item in page.items() {
                items.push(from_item(item)?);
            }
            start = page.last_evaluated_key;
            if items.len() >= wanted || start.is_none() {
                break;
            }
        }
        let next_cursor = if items.len() > limit {
            items.truncate(limit);
            items.last().map(|last| encode_cursor(&sort_key(last.created_at, &last.notification_id)))
        } else {
            None
        };
        Ok(LogPage { items, next_cursor })
    }
}

fn timestamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn start_key(pk: &str, sk: String) -> HashMap<String, AttributeValue> {
    HashMap::from([("pk".to_string(), AttributeValue::S(pk.to_string())), ("sk".to_string(), AttributeValue::S(sk))])
}

/// The cursor is the sort key of the last item of a page; the partition
/// is always the caller's, so a cursor never reaches another user's log.
fn encode_cursor(sk: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("n1:{sk}"))
}

fn decode_cursor(raw: &str) -> Result<String, ListError> {
    let invalid = || ListError::InvalidCursor;
    let text =
        URL_SAFE_NO_PAD.decode(raw.trim()).ok().and_then(|bytes| String::from_utf8(bytes).ok()).ok_or_else(invalid)?;
    let sk = text.strip_prefix("n1:").ok_or_else(invalid)?;
    let (created_at, notification_id) = sk.split_once('#').ok_or_else(invalid)?;
    if DateTime::parse_from_rfc3339(created_at).is_ok() && !notification_id.is_empty() {
        Ok(sk.to_string())
    } else {
        Err(invalid())
    }
}

fn from_item(item: &HashMap<String, AttributeValue>) -> Result<DeliveredNotification, StoreError> {
    let text = |name: &str| -> Result<String, StoreError> {
        item.get(name)
            .and_then(|v| v.as_s().ok())
            .cloned()
            .ok_or_else(|| StoreError::internal(format!("notification log item without {name}")))
    };
    let time = |name: &str| -> Result<DateTime<Utc>, StoreError> {
        DateTime::parse_from_rfc3339(&text(name)?)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|e| StoreError::internal(format!("notification log item {name}: {e}")))
    };
    let user_id = item
        .get("userId")
        .and_then(|v| v.as_n().ok())
        .and_then(|n| n.parse::<i64>().ok())
        .ok_or_else(|| StoreError::internal("notification log item without a numeric userId"))?;
    Ok(DeliveredNotification {
        notification_id: text("notificationId")?,
        user_id,
        channel: text("channel")?,
        kind: text("kind")?,
        subject: text("subject")?,
        message: text("message")?,
        rendered_body: text("renderedBody")?,
        created_at: time("createdAt")?,
        delivered_at: time("deliveredAt")?,
    })
}

/// Throttling and an unreachable or failing service are outages (`503`,
/// the queue retries); anything else is a bug in how we call DynamoDB.
fn store_error<E>(operation: &str, e: SdkError<E>) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    const OUTAGE_CODES: &[&str] = &[
        "ThrottlingException",
        "ProvisionedThroughputExceededException",
        "RequestLimitExceeded",
        "ServiceUnavailable",
        "InternalServerError",
    ];
    let outage = match &e {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) => true,
        SdkError::ResponseError(ctx) => ctx.raw().status().is_server_error(),
        SdkError::ServiceError(ctx) => {
            ctx.raw().status().is_server_error() || ctx.err().code().is_some_and(|c| OUTAGE_CODES.contains(&c))
        }
        _ => false,
    };
    let detail = format!("{operation}: {}", aws_sdk_dynamodb::error::DisplayErrorContext(&e));
    if outage {
        StoreError::unavailable("dynamodb", detail)
    } else {
        StoreError::internal(format!("dynamodb {detail}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sort_keys_order_chronologically_and_cursors_round_trip() {
        let early = "2030-01-02T03:04:05.006Z".parse::<DateTime<Utc>>().unwrap();
        let late = early + chrono::Duration::milliseconds(994);
        let a = sort_key(early, "a");
        let b = sort_key(late, "a");
        assert_eq!(a, "2030-01-02T03:04:05.006Z#a");
        assert!(a < b);
        let sk = sort_key(early, "0b7c6a1e-8a3f-4c55-9d40-3a1f2b9e7c11");
        assert_eq!(decode_cursor(&encode_cursor(&sk)).unwrap(), sk);
        for bad in ["", "zzz", "!!", URL_SAFE_NO_PAD.encode("n1:nope#x").as_str()] {
            assert!(matches!(decode_cursor(bad), Err(ListError::InvalidCursor)), "{bad:?}");
        }
    }
}
