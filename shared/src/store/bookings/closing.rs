//! Bookings leaving the live set: an unpaid one cancelled by its customer,
//! expired, or closed because the airline cancelled its flight; a paid one
//! cancelled; and the seats and promo uses they give back.

use super::{PgBookings, StoreError};
use crate::domain::booking::BookingStatus;
use crate::store::{discounts, outbox};
use deadpool_postgres::Transaction;
use std::collections::BTreeMap;

/// Outcome of a cancellation request on an unpaid booking.
#[derive(Debug)]
pub enum CancelOutcome {
    Cancelled { released: Vec<ReleasedSeat> },
    AlreadyCancelled,
    Paid,
    Expired,
    NotFound,
}

impl PgBookings<'_> {
    /// Paid bookings still live on a flight the airline cancelled whose
    /// departure time has passed: (booking, customer), oldest first.
    #[tracing::instrument(name = "postgres.bookings.paid_on_gone_cancelled_flights", level = "debug", skip_all)]
    pub async fn paid_on_gone_cancelled_flights(&self, limit: i64) -> Result<Vec<(i64, i64)>, StoreError> {
        let client = self.pool.get().await?;
        let rows = client
            .query(
                "SELECT DISTINCT b.id, b.user_id
                   FROM bookings b
                   JOIN booking_seats s ON s.booking_id = b.id AND s.live
                   JOIN flights f ON f.id = s.flight_id
                  WHERE b.status = 'PAID' AND f.status = 'CANCELLED' AND f.departs_at <= now()
                  ORDER BY b.id LIMIT $1",
                &[&limit],
            )
            .await?;
        Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
    }

    #[tracing::instrument(name = "postgres.bookings.cancel_unpaid", level = "debug", skip_all, fields(booking_id = id, user_id = user_id))]
    pub async fn cancel_unpaid(&self, id: i64, user_id: i64) -> Result<CancelOutcome, StoreError> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        let Some(row) = tx
            .query_opt("SELECT status FROM bookings WHERE id = $1 AND user_id = $2 FOR UPDATE", &[&id, &user_id])
            .await?
        else {
            return Ok(CancelOutcome::NotFound);
        };
        let status: String = row.get(0);
        let outcome = match BookingStatus::parse(&status) {
            Some(BookingStatus::PendingPayment) => {
                tx.execute("UPDATE bookings SET status = 'CANCELLED', cancelled_at = now() WHERE id = $1", &[&id])
                    .await?;
                let released = release_seats(&tx, &[id]).await?;
                discounts::give_back_uses(&tx, &[id]).await?;
                tx.commit().await?;
                CancelOutcome::Cancelled { released }
            }
            Some(BookingStatus::Cancelled) => CancelOutcome::AlreadyCancelled,
            Some(BookingStatus::Paid) => CancelOutcome::Paid,
            Some(BookingStatus::Expired) => CancelOutcome::Expired,
            None => return Err(StoreError::internal(format!("unknown booking status {status}"))),
        };
        Ok(outcome)
    }

    /// Expires unpaid bookings past their deadline and frees their seats, in
    /// one transaction. Overlapping runs skip each other's rows, so every
    /// booking expires exactly once. Returns each released seat with its
    /// booking's user.
    /// `announce(booking, user, pnr)` gives the outbox message for each
    /// expired booking, written in the same transaction.
    #[tracing::instrument(name = "postgres.bookings.expire_due", level = "debug", skip_all)]
    pub async fn expire_due(
        &self,
        announce: impl Fn(i64, i64, &str) -> (serde_json::Value, String),
    ) -> Result<(Vec<(i64, ReleasedSeat)>, outbox::Outgoing), StoreError> {
        self.close_unpaid(
            "UPDATE bookings SET status = 'EXPIRED'
             WHERE id IN (SELECT id FROM bookings WHERE status = 'PENDING_PAYMENT' AND expires_at <= now()
                          ORDER BY id FOR UPDATE SKIP LOCKED LIMIT 500)
             RETURNING id, user_id, pnr",
            &[],
            announce,
        )
        .await
    }

    /// Closes the unpaid bookings with live seats on a cancelled flight:
    /// cancelled, their seats (on every flight of the order) freed and
    /// their promo uses given back, in one transaction with the message
    /// `announce(booking, user, pnr)` gives for each. Returns each released
    /// seat with its booking's user.
    #[tracing::instrument(name = "postgres.bookings.close_unpaid_on_flight", level = "debug", skip_all, fields(flight_id = flight_id))]
    pub async fn close_unpaid_on_flight(
        &self,
        flight_id: i64,
        announce: impl Fn(i64, i64, &str) -> (serde_json::Value, String),
    ) -> Result<(Vec<(i64, ReleasedSeat)>, outbox::Outgoing), StoreError> {
        self.close_unpaid(
            "UPDATE bookings SET status = 'CANCELLED', cancelled_at = now()
             WHERE id IN (SELECT b.id FROM bookings b
                           WHERE b.status = 'PENDING_PAYMENT'
                             AND EXISTS (SELECT 1 FROM booking_seats s
                                          WHERE s.booking_id = b.id AND s.flight_id = $1 AND s.live)
                           ORDER BY b.id FOR UPDATE)
               AND status = 'PENDING_PAYMENT'
             RETURNING id, user_id, pnr",
            &[&flight_id],
            announce,
        )
        .await
    }

    /// Runs `close` (an `UPDATE` of unpaid bookings returning id, user and
    /// PNR), then, in its transaction: each one's announcement, their seats
    /// freed and their promo uses given back.
    async fn close_unpaid(
        &self,
        close: &str,
        params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
        announce: impl Fn(i64, i64, &str) -> (serde_json::Value, String),
    ) -> Result<(Vec<(i64, ReleasedSeat)>, outbox::Outgoing), StoreError> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        let rows = tx.query(close, params).await?;
        let mut outgoing = outbox::Outgoing::default();
        for row in &rows {
            let (payload, dedup) = announce(row.get(0), row.get(1), row.get(2));
            outgoing.enqueue(&tx, outbox::Destination::Notifications, &payload, Some(&dedup)).await?;
        }
        let users: BTreeMap<i64, i64> = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
        let ids: Vec<i64> = users.keys().copied().collect();
        let released = release_seats(&tx, &ids).await?;
        discounts::give_back_uses(&tx, &ids).await?;
        tx.commit().await?;
        Ok((released.into_iter().map(|seat| (users[&seat.booking_id], seat)).collect(), outgoing))
    }
}

/// A seat a booking gave up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReleasedSeat {
    pub booking_id: i64,
    pub flight_id: i64,
    pub seat: String,
}

/// Marks a (locked) paid booking cancelled.
#[tracing::instrument(name = "postgres.bookings.mark_cancelled", level = "debug", skip_all, fields(booking_id = booking_id))]
pub async fn mark_cancelled(tx: &Transaction<'_>, booking_id: i64) -> Result<(), StoreError> {
    let statement =
        tx.prepare_cached("UPDATE bookings SET status = 'CANCELLED', cancelled_at = now() WHERE id = $1").await?;
    tx.execute(&statement, &[&booking_id]).await?;
    Ok(())
}

/// Frees the live seats of the bookings and lowers the cabin counts.
#[tracing::instrument(name = "postgres.bookings.release_seats", level = "debug", skip_all, fields(bookings = booking_ids.len()))]
pub async fn release_seats(tx: &Transaction<'_>, booking_ids: &[i64]) -> Result<Vec<ReleasedSeat>, StoreError> {
    if booking_ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows = tx
        .query(
            "WITH released AS (
                 UPDATE booking_seats SET live = false
                 WHERE booking_id = ANY($1) AND live
                 RETURNING booking_id, flight_id, seat, cabin
             ), counts AS (
                 SELECT flight_id, cabin, count(*)::int AS n FROM released GROUP BY flight_id, cabin
             ), lowered AS (
                 UPDATE flight_fares fa SET seats_sold = fa.seats_sold - counts.n
                 FROM counts WHERE fa.flight_id = counts.flight_id AND fa.cabin = counts.cabin
                 RETURNING fa.flight_id
             )
             SELECT booking_id, flight_id, seat FROM released, (SELECT count(*) FROM lowered) AS done",
            &[&booking_ids],
        )
        .await?;
    Ok(rows.iter().map(|r| ReleasedSeat { booking_id: r.get(0), flight_id: r.get(1), seat: r.get(2) }).collect())
}
