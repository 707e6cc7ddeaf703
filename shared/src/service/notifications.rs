//! Notifications: every event worth telling a user about becomes a
//! [`Notification`] published to the SNS topic; `notifications-deliver`
//! consumes the topic's queue, performs the (mock) delivery and logs it.

use crate::store::outbox::{self, Destination};
use crate::{ApiError, Services};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    Email,
    Sms,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Sms => "sms",
        }
    }
}

/// The message on the topic (raw delivery: the queue body is this JSON).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Notification {
    pub notification_id: String,
    pub user_id: i64,
    pub channel: Channel,
    /// BOOKING_CONFIRMED, TICKET_ISSUED, BOOKING_EXPIRED, FLIGHT_CANCELLED, REFUND, MESSAGE.
    pub kind: String,
    pub subject: String,
    pub message: String,
    pub created_at: DateTime<Utc>,
}

impl Notification {
    pub fn new(user_id: i64, kind: &str, subject: impl Into<String>, message: impl Into<String>) -> Self {
        Notification {
            notification_id: uuid::Uuid::new_v4().to_string(),
            user_id,
            channel: Channel::Email,
            kind: kind.to_string(),
            subject: subject.into(),
            message: message.into(),
            created_at: Utc::now(),
        }
    }
}

/// Publishes now (used where nothing else is being committed).
pub async fn publish(svc: &Services, notification: &Notification) -> Result<(), ApiError> {
    let topic = svc
        .config
        .notifications_topic_arn
        .clone()
        .ok_or_else(|| ApiError::internal("NOTIFICATIONS_TOPIC_ARN is not configured"))?;
    let body = serde_json::to_string(notification).map_err(ApiError::internal)?;
    svc.aws()
        .await
        .sns
        .publish()
        .topic_arn(topic)
        .message(body)
        .send()
        .await
        .map_err(|e| ApiError::unavailable("sns", format!("{e:?}")))?;
    Ok(())
}

/// Queues a notification in the outbox, inside the caller's transaction, so
/// it is sent if and only if the change it announces is committed.
pub async fn enqueue(tx: &deadpool_postgres::Transaction<'_>, notification: &Notification) -> Result<(), ApiError> {
    let payload = serde_json::to_value(notification).map_err(ApiError::internal)?;
    let dedup = format!("notification:{}", notification.notification_id);
    outbox::enqueue(tx, Destination::Notifications, &payload, Some(&dedup)).await
}
