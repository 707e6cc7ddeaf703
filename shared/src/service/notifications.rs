//! Notifications: every event worth telling a user about becomes a
//! [`Notification`] published to the SNS topic; `notifications-deliver`
//! consumes the topic's queue, performs the (mock) delivery and logs it.

use crate::auth::caller::Caller;
use crate::store::notification_log::NotificationLog;
use crate::store::outbox::{self, Destination};
use crate::store::users::{PgUsers, UserStore};
use crate::{ApiError, Services};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// What the log holds and how it is listed: the results of [`deliver`] and
/// [`list_delivered`].
pub use crate::store::notification_log::{DeliveredNotification, LogPage};

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

/// What a notification is about; on the wire and in the log as its
/// UPPER_SNAKE name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum NotificationKind {
    BookingConfirmed,
    TicketIssued,
    BookingExpired,
    FlightCancelled,
    /// The airline retimed a flight of the booking.
    ScheduleChanged,
    Refund,
    BookingChanged,
    Message,
}

impl NotificationKind {
    pub fn as_str(self) -> &'static str {
        match self {
            NotificationKind::BookingConfirmed => "BOOKING_CONFIRMED",
            NotificationKind::TicketIssued => "TICKET_ISSUED",
            NotificationKind::BookingExpired => "BOOKING_EXPIRED",
            NotificationKind::FlightCancelled => "FLIGHT_CANCELLED",
            NotificationKind::ScheduleChanged => "SCHEDULE_CHANGED",
            NotificationKind::Refund => "REFUND",
            NotificationKind::BookingChanged => "BOOKING_CHANGED",
            NotificationKind::Message => "MESSAGE",
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
    pub kind: NotificationKind,
    pub subject: String,
    pub message: String,
    pub created_at: DateTime<Utc>,
}

impl Notification {
    pub fn new(user_id: i64, kind: NotificationKind, subject: impl Into<String>, message: impl Into<String>) -> Self {
        Notification {
            notification_id: uuid::Uuid::new_v4().to_string(),
            user_id,
            channel: Channel::Email,
            kind,
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
pub async fn enqueue(
    outgoing: &mut outbox::Outgoing,
    tx: &deadpool_postgres::Transaction<'_>,
    notification: &Notification,
) -> Result<(), ApiError> {
    let payload = serde_json::to_value(notification).map_err(ApiError::internal)?;
    let dedup = format!("notification:{}", notification.notification_id);
    Ok(outgoing.enqueue(tx, Destination::Notifications, &payload, Some(&dedup)).await?)
}

/// Longest message a user may send, in characters.
pub const MAX_MESSAGE_CHARS: usize = 1000;
/// One SMS segment; longer texts are cut with an ellipsis.
pub const SMS_MAX_CHARS: usize = 160;
const MESSAGE_SUBJECT: &str = "Message from FlightBook";

/// A message as sent by a user: trimmed, 1 to 1000 characters, and no
/// control characters but newlines (CRLF is read as a newline).
pub fn validate_message(raw: &str) -> Result<String, ApiError> {
    let message = raw.replace("\r\n", "\n");
    let message = message.trim();
    if message.is_empty() {
        return Err(ApiError::invalid_field("message", "must not be empty"));
    }
    let chars = message.chars().count();
    if chars > MAX_MESSAGE_CHARS {
        return Err(ApiError::invalid_field("message", format!("at most {MAX_MESSAGE_CHARS} characters, got {chars}")));
    }
    if message.chars().any(|c| c.is_control() && c != '\n') {
        return Err(ApiError::invalid_field("message", "control characters other than newline are not allowed"));
    }
    Ok(message.to_string())
}

/// `POST /api/notifications/send`: a message to yourself, or from an admin
/// to any user, published on the topic for delivery.
pub async fn send_message(
    svc: &Services,
    caller: &Caller,
    recipient: Option<i64>,
    channel: Option<Channel>,
    message: &str,
) -> Result<Notification, ApiError> {
    let message = validate_message(message)?;
    let user_id = recipient.unwrap_or(caller.user_id);
    if user_id != caller.user_id && !caller.is_admin() {
        return Err(ApiError::Forbidden(format!(
            "userId {user_id} is not the authenticated user; only admins message other users"
        )));
    }
    if PgUsers::new(&svc.db).find_by_id(user_id).await?.is_none() {
        return Err(ApiError::not_found(format!("user {user_id} does not exist")));
    }
    let mut notification = Notification::new(user_id, NotificationKind::Message, MESSAGE_SUBJECT, message);
    notification.channel = channel.unwrap_or(Channel::Email);
    publish(svc, &notification).await?;
    Ok(notification)
}

/// Header values never span lines, whatever a name or subject contains.
fn header_value(text: &str) -> String {
    text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect::<String>().trim().to_string()
}

/// The email as the (mock) mail server would send it.
pub fn render_email(name: &str, email: &str, notification: &Notification) -> String {
    let name = header_value(name);
    format!(
        "To: {name} <{email}>\n\
         Subject: {subject}\n\
         \n\
         Hello {name},\n\
         \n\
         {message}\n\
         \n\
         Thank you for flying with FlightBook.\n\
         -- \n\
         FlightBook notifications. You receive this email because you have a \
         FlightBook account. Reference: {id}\n",
        email = header_value(email),
        subject = header_value(&notification.subject),
        message = notification.message,
        id = notification.notification_id,
    )
}

/// The SMS text: one line, at most [`SMS_MAX_CHARS`] characters.
pub fn render_sms(notification: &Notification) -> String {
    // The sender id shows the brand; the subject says what it is about.
    let text = format!("{}: {}", notification.subject, notification.message);
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.chars().count() <= SMS_MAX_CHARS {
        return text;
    }
    let mut cut: String = text.chars().take(SMS_MAX_CHARS - 1).collect();
    cut.truncate(cut.trim_end().len());
    cut.push('…');
    cut
}

/// The (mock) delivery by `notifications-deliver`: formats the email or SMS,
/// records it in the log and "sends" it (a log line). A notification that
/// is already in the log was delivered before: a duplicate from the queue is
/// a no-op. Returns whether this call delivered it.
pub async fn deliver(svc: &Services, notification: &Notification) -> Result<bool, ApiError> {
    if notification.notification_id.trim().is_empty() || notification.notification_id.len() > 128 {
        return Err(ApiError::invalid_field("notificationId", "must be 1 to 128 characters"));
    }
    let table = svc
        .config
        .notification_log_table
        .as_deref()
        .ok_or_else(|| ApiError::internal("NOTIFICATION_LOG_TABLE is not configured"))?;
    let user = PgUsers::new(&svc.db)
        .find_by_id(notification.user_id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("recipient user {} does not exist", notification.user_id)))?;
    let rendered_body = match notification.channel {
        Channel::Email => render_email(&user.name, &user.email, notification),
        Channel::Sms => render_sms(notification),
    };
    let entry = DeliveredNotification {
        notification_id: notification.notification_id.clone(),
        user_id: notification.user_id,
        channel: notification.channel.as_str().to_string(),
        kind: notification.kind.as_str().to_string(),
        subject: notification.subject.clone(),
        message: notification.message.clone(),
        rendered_body,
        created_at: notification.created_at,
        delivered_at: Utc::now(),
    };
    let aws = svc.aws().await;
    let new = NotificationLog::new(&aws.dynamodb, table).record(&entry).await?;
    // Ids and sizes only: the text and the address are the user's business.
    if new {
        tracing::info!(
            notification_id = %entry.notification_id,
            user_id = entry.user_id,
            channel = %entry.channel,
            kind = %entry.kind,
            chars = entry.rendered_body.chars().count(),
            "notification delivered (mock)"
        );
    } else {
        tracing::info!(
            notification_id = %entry.notification_id,
            user_id = entry.user_id,
            "duplicate delivery ignored: already in the log"
        );
    }
    Ok(new)
}

/// `GET /api/notifications`: the caller's delivered notifications, newest first.
pub async fn list_delivered(
    svc: &Services,
    caller: &Caller,
    limit: usize,
    cursor: Option<&str>,
) -> Result<LogPage, ApiError> {
    let table = svc
        .config
        .notification_log_table
        .as_deref()
        .ok_or_else(|| ApiError::internal("NOTIFICATION_LOG_TABLE is not configured"))?;
    let aws = svc.aws().await;
    Ok(NotificationLog::new(&aws.dynamodb, table).list(caller.user_id, limit, cursor).await?)
}
