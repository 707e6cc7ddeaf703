//! A booking's timeline, read from the rows its changes left (the booking,
//! its payment attempts, codes, refunds, tickets, confirmed cancellation
//! and change quotes, and schedule changes): every change already
//! writes one of them in its own transaction, so the timeline cannot miss
//! one or show one that was rolled back.

use super::StoreError;
use crate::domain::booking_events::{Actor, BookingEvent, EventKind};
use deadpool_postgres::Pool;

const TIMELINE: &str = "
WITH b AS (SELECT * FROM bookings WHERE id = $1)
SELECT at, kind, actor, amount, detail FROM (
    SELECT b.created_at AS at, 'BOOKING_CREATED' AS kind, 'customer' AS actor, b.total_amount AS amount,
           NULL::text AS detail, 1 AS step
      FROM b
    UNION ALL
    SELECT d.created_at, CASE d.applied_as WHEN 'DISCOUNT' THEN 'DISCOUNT_APPLIED' ELSE 'CASHBACK_GRANTED' END,
           'customer', d.amount, d.code, 3
      FROM booking_discounts d WHERE d.booking_id = $1
    UNION ALL
    SELECT p.created_at, CASE p.status WHEN 'SUCCEEDED' THEN 'PAYMENT_SUCCEEDED' ELSE 'PAYMENT_DECLINED' END,
           'customer', p.amount, p.decline_code, 2
      FROM payments p WHERE p.booking_id = $1
    UNION ALL
    SELECT min(t.issued_at), 'TICKETS_ISSUED', 'system', NULL, count(*)::text, 4
      FROM tickets t WHERE t.booking_id = $1 HAVING count(*) > 0
    UNION ALL
    SELECT b.cancelled_at, 'BOOKING_CANCELLED',
           CASE WHEN EXISTS (SELECT 1 FROM booking_seats s JOIN flights f ON f.id = s.flight_id
                              WHERE s.booking_id = b.id AND f.status = 'CANCELLED' AND f.cancelled_at <= b.cancelled_at)
                THEN 'airline' ELSE 'customer' END,
           NULL, NULL, 5
      FROM b WHERE b.cancelled_at IS NOT NULL
    UNION ALL
    SELECT q.confirmed_at, 'PARTIALLY_CANCELLED', 'customer', q.refund_amount,
           'passengers ' || array_to_string(q.passengers, ', ') || '; slices ' || array_to_string(q.slices, ', '), 5
      FROM cancellation_quotes q WHERE q.booking_id = $1 AND q.status = 'CONFIRMED' AND NOT q.closed_booking
    UNION ALL
    SELECT b.expires_at, 'BOOKING_EXPIRED', 'system', NULL, NULL, 5 FROM b WHERE b.status = 'EXPIRED'
    UNION ALL
    -- One event per voiding (a partial cancellation voids some, a later one the rest).
    SELECT t.voided_at, 'TICKETS_VOIDED', 'system', NULL, count(*)::text, 6
      FROM tickets t WHERE t.booking_id = $1 AND t.voided_at IS NOT NULL GROUP BY t.voided_at
    UNION ALL
    SELECT r.created_at, 'REFUNDED', 'system', r.amount, r.reason, 7 FROM refunds r WHERE r.booking_id = $1
    UNION ALL
    SELECT q.confirmed_at, 'SLICE_CHANGED', 'customer', q.total_due, 'slice ' || q.slice, 6
      FROM change_quotes q WHERE q.booking_id = $1 AND q.status = 'CONFIRMED'
    UNION ALL
    SELECT d.released_at, 'PROMO_RELEASED', 'system', NULL, d.code, 8
      FROM booking_discounts d WHERE d.booking_id = $1 AND d.released_at IS NOT NULL
    UNION ALL
    SELECT c.created_at, 'SCHEDULE_CHANGED', 'airline', NULL, f.flight_number, 4
      FROM schedule_changes c JOIN flights f ON f.id = c.flight_id WHERE c.booking_id = $1
    UNION ALL
    SELECT c.resolved_at, 'SCHEDULE_CHANGE_RESOLVED', 'customer', NULL, c.status, 5
      FROM schedule_changes c WHERE c.booking_id = $1 AND c.resolved_at IS NOT NULL
) events
ORDER BY at, step";

/// The booking's events in the order they happened.
#[tracing::instrument(name = "postgres.booking_events.timeline", level = "debug", skip_all, fields(booking_id = booking_id))]
pub async fn timeline(pool: &Pool, booking_id: i64) -> Result<Vec<BookingEvent>, StoreError> {
    let client = pool.get().await?;
    let statement = client.prepare_cached(TIMELINE).await?;
    client
        .query(&statement, &[&booking_id])
        .await?
        .iter()
        .map(|row| {
            let kind: &str = row.get(1);
            let actor: &str = row.get(2);
            Ok(BookingEvent {
                at: row.get(0),
                kind: EventKind::parse(kind).ok_or_else(|| StoreError::internal(format!("event kind {kind}")))?,
                actor: Actor::parse(actor).ok_or_else(|| StoreError::internal(format!("actor {actor}")))?,
                amount: row.get(3),
                detail: row.get(4),
            })
        })
        .collect()
}
