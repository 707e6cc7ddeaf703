//! Notifications on the wire: a message accepted for delivery, and a page
//! of the caller's delivered notifications.

use crate::service::notifications::{Channel, DeliveredNotification, LogPage, Notification};
use chrono::{DateTime, Utc};
use serde::Serialize;

/// `notifications-send`'s `202`: the message is on the topic.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct QueuedNotificationBody<'a> {
    pub notification_id: &'a str,
    pub status: &'static str,
    pub user_id: i64,
    pub channel: Channel,
    pub created_at: DateTime<Utc>,
}

impl<'a> From<&'a Notification> for QueuedNotificationBody<'a> {
    fn from(sent: &'a Notification) -> Self {
        QueuedNotificationBody {
            notification_id: &sent.notification_id,
            status: "QUEUED",
            user_id: sent.user_id,
            channel: sent.channel,
            created_at: sent.created_at,
        }
    }
}

/// One delivered notification, as its user sees it in the list.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeliveredNotificationBody<'a> {
    pub notification_id: &'a str,
    pub user_id: i64,
    /// `email` or `sms`.
    pub channel: &'a str,
    pub kind: &'a str,
    pub subject: &'a str,
    pub message: &'a str,
    /// The text as delivered: the formatted email or SMS.
    pub rendered_body: &'a str,
    pub created_at: DateTime<Utc>,
    pub delivered_at: DateTime<Utc>,
}

impl<'a> From<&'a DeliveredNotification> for DeliveredNotificationBody<'a> {
    fn from(entry: &'a DeliveredNotification) -> Self {
        DeliveredNotificationBody {
            notification_id: &entry.notification_id,
            user_id: entry.user_id,
            channel: &entry.channel,
            kind: &entry.kind,
            subject: &entry.subject,
            message: &entry.message,
            rendered_body: &entry.rendered_body,
            created_at: entry.created_at,
            delivered_at: entry.delivered_at,
        }
    }
}

/// `GET /api/notifications`: one page, newest first; `nextCursor` is `null`
/// on the last page.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NotificationPageBody<'a> {
    pub notifications: Vec<DeliveredNotificationBody<'a>>,
    pub count: usize,
    pub next_cursor: Option<&'a str>,
}

impl<'a> From<&'a LogPage> for NotificationPageBody<'a> {
    fn from(page: &'a LogPage) -> Self {
        NotificationPageBody {
            notifications: page.items.iter().map(DeliveredNotificationBody::from).collect(),
            count: page.items.len(),
            next_cursor: page.next_cursor.as_deref(),
        }
    }
}
