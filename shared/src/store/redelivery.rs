//! Backing off a queue message that failed, by its visibility timeout: a
//! dependency outage must not move good messages to a dead-letter queue.
//! With the queue's fixed timeout (60 s) and `maxReceiveCount` 5, a
//! five-minute Postgres outage sent every ticketing message there. Each
//! failure now hides the message for twice as long as the last one (10 s,
//! 20 s, … up to 15 min), and `maxReceiveCount` 12 keeps a message for about
//! 80 minutes of failures ([`time_before_dead_letter`]). A message that can
//! never succeed (its body cannot be read) is not held back: it is made
//! visible again at once and reaches the dead-letter queue in seconds.

use aws_lambda_events::sqs::SqsMessage;
use std::time::Duration;

/// The longest an SQS message can be hidden by one change (15 min allowed
/// by SQS is 12 h; 15 min keeps a recovered dependency's backlog moving).
const LONGEST: Duration = Duration::from_secs(15 * 60);
const FIRST: Duration = Duration::from_secs(10);

/// How long a message that failed on its `receive_count`-th delivery stays
/// hidden before the next one.
pub fn delay_after(receive_count: u32) -> Duration {
    let doublings = receive_count.saturating_sub(1).min(16);
    (FIRST * 2u32.pow(doublings)).min(LONGEST)
}

/// How long a message keeps failing before the queue's redrive moves it to
/// the dead-letter queue (`max_receive_count` deliveries).
pub fn time_before_dead_letter(max_receive_count: u32) -> Duration {
    (1..max_receive_count).map(delay_after).sum()
}

/// Why a message failed.
#[derive(Debug)]
pub enum Failure {
    /// A dependency failed or the data is not there yet: try again later.
    Retry(String),
    /// The message itself is wrong: no retry can succeed.
    Never(String),
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Retry(reason) => write!(f, "{reason} (will be retried)"),
            Failure::Never(reason) => write!(f, "{reason} (cannot succeed: to the dead-letter queue)"),
        }
    }
}

/// Hides a failed message for [`delay_after`] its delivery count, or not
/// at all when it can never succeed. Best effort: if SQS cannot be told, the
/// queue's own timeout applies.
#[tracing::instrument(name = "sqs.redelivery.back_off", level = "debug", skip_all, fields(message_id = message.message_id.as_deref().unwrap_or_default()))]
pub async fn back_off(sqs: &aws_sdk_sqs::Client, queue_url: &str, message: &SqsMessage, failure: &Failure) {
    let Some(receipt) = message.receipt_handle.as_deref() else { return };
    let count = message.attributes.get("ApproximateReceiveCount").and_then(|c| c.parse().ok()).unwrap_or(1);
    let delay = match failure {
        Failure::Retry(_) => delay_after(count),
        Failure::Never(_) => Duration::ZERO,
    };
    let changed = sqs
        .change_message_visibility()
        .queue_url(queue_url)
        .receipt_handle(receipt)
        .visibility_timeout(delay.as_secs() as i32)
        .send()
        .await;
    if let Err(e) = changed {
        tracing::warn!(error = ?e.into_service_error(), "could not delay the message's redelivery");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_up_to_fifteen_minutes() {
        let delays: Vec<u64> = (1..=9).map(|n| delay_after(n).as_secs()).collect();
        assert_eq!(delays, [10, 20, 40, 80, 160, 320, 640, 900, 900]);
        assert_eq!(delay_after(0), FIRST);
        assert_eq!(delay_after(u32::MAX), LONGEST);
    }

    #[test]
    fn twelve_deliveries_outlast_a_thirty_minute_outage() {
        assert!(time_before_dead_letter(12) >= Duration::from_secs(80 * 60), "{:?}", time_before_dead_letter(12));
        assert!(time_before_dead_letter(5) < Duration::from_secs(30 * 60), "the old setting would not");
    }
}
