//! Bookings in Postgres. Creation is one transaction: the cabin counts are
//! raised first (row locks taken in a fixed order, so concurrent bookings
//! queue instead of deadlocking), then the seats are inserted under the
//! one-live-booking-per-seat index. A lost race is a clean error and leaves
//! nothing behind.

use super::postgres::is_unique_violation;
use crate::domain::booking::{new_pnr, BookingStatus};
use crate::ApiError;
use chrono::{DateTime, Utc};
use deadpool_postgres::{Pool, Transaction};
use std::collections::BTreeMap;
use tokio_postgres::error::SqlState;

#[derive(Clone, Debug)]
pub struct NewSeat {
    pub leg: i32,
    pub flight_id: i64,
    pub seat: String,
    pub cabin: String,
    pub passenger_position: i32,
    pub fare: i64,
}

pub struct NewBooking {
    pub user_id: i64,
    pub currency: String,
    pub expires_at: DateTime<Utc>,
    pub passengers: Vec<String>,
    pub seats: Vec<NewSeat>,
}

#[derive(Clone, Debug)]
pub struct SeatRow {
    pub leg: i32,
    pub flight_id: i64,
    pub seat: String,
    pub cabin: String,
    pub passenger_position: i32,
    pub fare: i64,
    pub live: bool,
}

#[derive(Clone, Debug)]
pub struct BookingRecord {
    pub id: i64,
    pub pnr: String,
    pub user_id: i64,
    pub status: BookingStatus,
    pub currency: String,
    pub total_amount: i64,
    pub discount_amount: i64,
    pub amount_due: i64,
    pub expires_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub paid_at: Option<DateTime<Utc>>,
    pub cancelled_at: Option<DateTime<Utc>>,
    pub passengers: Vec<(i32, String)>,
    pub seats: Vec<SeatRow>,
}

#[derive(Debug, thiserror::Error)]
pub enum CreateBookingError {
    #[error("a seat is already booked")]
    SeatTaken(Vec<(i64, String)>),
    #[error("the cabin is sold out")]
    SoldOut,
    #[error("flight {0} can no longer be booked")]
    FlightNotBookable(i64),
    #[error(transparent)]
    Store(#[from] ApiError),
}

impl From<tokio_postgres::Error> for CreateBookingError {
    fn from(e: tokio_postgres::Error) -> Self {
        CreateBookingError::Store(e.into())
    }
}

/// Outcome of a cancellation request on an unpaid booking.
#[derive(Debug)]
pub enum CancelOutcome {
    Cancelled { released: Vec<(i64, String)> },
    AlreadyCancelled,
    Paid,
    Expired,
    NotFound,
}

pub struct PgBookings<'a> {
    pool: &'a Pool,
}

const BOOKING_COLUMNS: &str = "id, pnr, user_id, status, currency, total_amount, discount_amount, amount_due,
    expires_at, created_at, paid_at, cancelled_at";

impl<'a> PgBookings<'a> {
    pub fn new(pool: &'a Pool) -> Self {
        PgBookings { pool }
    }

    /// Seats of the flight that belong to a live booking.
    pub async fn booked_seats(&self, flight_id: i64) -> Result<Vec<String>, ApiError> {
        let client = self.pool.get().await?;
        let rows = client.query("SELECT seat FROM booking_seats WHERE flight_id = $1 AND live", &[&flight_id]).await?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    pub async fn create(&self, booking: NewBooking) -> Result<(BookingRecord, Vec<i64>), CreateBookingError> {
        let mut client = self.pool.get().await.map_err(ApiError::from)?;
        let tx = client.transaction().await?;

        // Raise each (flight, cabin) count in a fixed order; the CHECK on
        // flight_fares refuses overselling, the join refuses a flight that
        // is no longer scheduled or has departed.
        let mut per_cabin: BTreeMap<(i64, String), i32> = BTreeMap::new();
        for seat in &booking.seats {
            *per_cabin.entry((seat.flight_id, seat.cabin.clone())).or_default() += 1;
        }
        let mut now_full = Vec::new();
        for ((flight_id, cabin), count) in &per_cabin {
            let updated = tx
                .query_opt(
                    "UPDATE flight_fares fa SET seats_sold = fa.seats_sold + $3
                     FROM flights f
                     WHERE fa.flight_id = $1 AND fa.cabin = $2 AND f.id = fa.flight_id
                       AND f.status = 'SCHEDULED' AND f.departs_at > now()
                     RETURNING fa.seats_sold, fa.seats_total",
                    &[flight_id, cabin, count],
                )
                .await;
            match updated {
                Ok(Some(row)) => {
                    let (sold, total): (i32, i32) = (row.get(0), row.get(1));
                    if sold == total {
                        now_full.push(*flight_id);
                    }
                }
                Ok(None) => return Err(CreateBookingError::FlightNotBookable(*flight_id)),
                Err(e) if e.code() == Some(&SqlState::CHECK_VIOLATION) => return Err(CreateBookingError::SoldOut),
                Err(e) => return Err(e.into()),
            }
        }

        let id = loop {
            let row = tx
                .query_opt(
                    "INSERT INTO bookings (pnr, user_id, currency, total_amount, expires_at)
                     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (pnr) DO NOTHING RETURNING id",
                    &[
                        &new_pnr(),
                        &booking.user_id,
                        &booking.currency,
                        &booking.seats.iter().map(|s| s.fare).sum::<i64>(),
                        &booking.expires_at,
                    ],
                )
                .await?;
            if let Some(row) = row {
                break row.get::<_, i64>(0);
            }
        };
        let positions: Vec<i32> = (1..=booking.passengers.len() as i32).collect();
        tx.execute(
            "INSERT INTO booking_passengers (booking_id, position, name)
             SELECT $1, p, n FROM unnest($2::int[], $3::text[]) AS x(p, n)",
            &[&id, &positions, &booking.passengers],
        )
        .await?;

        let mut seats = booking.seats.clone();
        seats.sort_by(|a, b| (a.flight_id, &a.seat).cmp(&(b.flight_id, &b.seat)));
        let column = |f: fn(&NewSeat) -> String| seats.iter().map(f).collect::<Vec<String>>();
        let legs: Vec<i32> = seats.iter().map(|s| s.leg).collect();
        let flights: Vec<i64> = seats.iter().map(|s| s.flight_id).collect();
        let passengers: Vec<i32> = seats.iter().map(|s| s.passenger_position).collect();
        let fares: Vec<i64> = seats.iter().map(|s| s.fare).collect();
        let inserted = tx
            .execute(
                "INSERT INTO booking_seats (booking_id, leg, flight_id, seat, cabin, passenger_position, fare)
                 SELECT $1, l, f, s, c, p, a FROM unnest($2::int[], $3::bigint[], $4::text[], $5::text[], $6::int[], $7::bigint[])
                   AS x(l, f, s, c, p, a)",
                &[&id, &legs, &flights, &column(|s| s.seat.clone()), &column(|s| s.cabin.clone()), &passengers, &fares],
            )
            .await;
        if let Err(e) = inserted {
            if is_unique_violation(&e, "booking_seats_one_live_booking_per_seat") {
                // Give the connection back before reading with another one:
                // a pool of one must not wait on itself.
                drop(tx);
                drop(client);
                let taken = self.live_among(&seats).await?;
                return Err(CreateBookingError::SeatTaken(taken));
            }
            return Err(e.into());
        }
        tx.commit().await?;
        drop(client);
        let record = self.find(id).await?.ok_or_else(|| ApiError::internal("booking vanished after commit"))?;
        Ok((record, now_full))
    }

    async fn live_among(&self, seats: &[NewSeat]) -> Result<Vec<(i64, String)>, ApiError> {
        let client = self.pool.get().await?;
        let flights: Vec<i64> = seats.iter().map(|s| s.flight_id).collect();
        let names: Vec<String> = seats.iter().map(|s| s.seat.clone()).collect();
        let rows = client
            .query(
                "SELECT bs.flight_id, bs.seat FROM booking_seats bs
                 JOIN unnest($1::bigint[], $2::text[]) AS x(f, s) ON bs.flight_id = x.f AND bs.seat = x.s
                 WHERE bs.live ORDER BY 1, 2",
                &[&flights, &names],
            )
            .await?;
        Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
    }

    pub async fn find(&self, id: i64) -> Result<Option<BookingRecord>, ApiError> {
        let client = self.pool.get().await?;
        let Some(row) =
            client.query_opt(&format!("SELECT {BOOKING_COLUMNS} FROM bookings WHERE id = $1"), &[&id]).await?
        else {
            return Ok(None);
        };
        let mut record = record_from_row(&row)?;
        let params: [&(dyn tokio_postgres::types::ToSql + Sync); 1] = [&id];
        let (passengers, seats) = tokio::try_join!(
            client.query(
                "SELECT position, name FROM booking_passengers WHERE booking_id = $1 ORDER BY position",
                &params
            ),
            client.query(
                "SELECT leg, flight_id, seat, cabin, passenger_position, fare, live FROM booking_seats
                 WHERE booking_id = $1 ORDER BY leg, passenger_position, seat",
                &params,
            ),
        )?;
        record.passengers = passengers.iter().map(|r| (r.get(0), r.get(1))).collect();
        record.seats = seats
            .iter()
            .map(|r| SeatRow {
                leg: r.get(0),
                flight_id: r.get(1),
                seat: r.get(2),
                cabin: r.get(3),
                passenger_position: r.get(4),
                fare: r.get(5),
                live: r.get(6),
            })
            .collect();
        Ok(Some(record))
    }

    /// The user's bookings, newest first, with ids below `before` (keyset paging).
    pub async fn ids_of_user(&self, user_id: i64, before: Option<i64>, limit: i64) -> Result<Vec<i64>, ApiError> {
        let client = self.pool.get().await?;
        let rows = client
            .query(
                "SELECT id FROM bookings WHERE user_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3",
                &[&user_id, &before.unwrap_or(i64::MAX), &limit],
            )
            .await?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    pub async fn cancel_unpaid(&self, id: i64, user_id: i64) -> Result<CancelOutcome, ApiError> {
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
                tx.commit().await?;
                CancelOutcome::Cancelled { released: released.into_iter().map(|(_, f, s)| (f, s)).collect() }
            }
            Some(BookingStatus::Cancelled) => CancelOutcome::AlreadyCancelled,
            Some(BookingStatus::Paid) => CancelOutcome::Paid,
            Some(BookingStatus::Expired) => CancelOutcome::Expired,
            None => return Err(ApiError::internal(format!("unknown booking status {status}"))),
        };
        Ok(outcome)
    }

    /// Expires unpaid bookings past their deadline and frees their seats, in
    /// one transaction. Overlapping runs skip each other's rows, so every
    /// booking expires exactly once. Returns (booking, user, flight, seat).
    /// `announce(booking, user, pnr)` gives the outbox message for each
    /// expired booking, written in the same transaction.
    pub async fn expire_due(
        &self,
        announce: impl Fn(i64, i64, &str) -> (serde_json::Value, String),
    ) -> Result<Vec<(i64, i64, i64, String)>, ApiError> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        let rows = tx
            .query(
                "UPDATE bookings SET status = 'EXPIRED'
                 WHERE id IN (SELECT id FROM bookings WHERE status = 'PENDING_PAYMENT' AND expires_at <= now()
                              ORDER BY id FOR UPDATE SKIP LOCKED LIMIT 500)
                 RETURNING id, user_id, pnr",
                &[],
            )
            .await?;
        for row in &rows {
            let (payload, dedup) = announce(row.get(0), row.get(1), row.get(2));
            super::outbox::enqueue(&tx, super::outbox::Destination::Notifications, &payload, Some(&dedup)).await?;
        }
        let users: BTreeMap<i64, i64> = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
        let ids: Vec<i64> = users.keys().copied().collect();
        let released = release_seats(&tx, &ids).await?;
        tx.commit().await?;
        Ok(released.into_iter().map(|(booking, flight, seat)| (booking, users[&booking], flight, seat)).collect())
    }
}

/// Frees the live seats of the bookings and lowers the cabin counts.
pub async fn release_seats(tx: &Transaction<'_>, booking_ids: &[i64]) -> Result<Vec<(i64, i64, String)>, ApiError> {
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
    Ok(rows.iter().map(|r| (r.get(0), r.get(1), r.get(2))).collect())
}

fn record_from_row(row: &tokio_postgres::Row) -> Result<BookingRecord, ApiError> {
    let status: String = row.get("status");
    Ok(BookingRecord {
        id: row.get("id"),
        pnr: row.get("pnr"),
        user_id: row.get("user_id"),
        status: BookingStatus::parse(&status).ok_or_else(|| ApiError::internal(format!("unknown status {status}")))?,
        currency: row.get("currency"),
        total_amount: row.get("total_amount"),
        discount_amount: row.get("discount_amount"),
        amount_due: row.get("amount_due"),
        expires_at: row.get("expires_at"),
        created_at: row.get("created_at"),
        paid_at: row.get("paid_at"),
        cancelled_at: row.get("cancelled_at"),
        passengers: Vec::new(),
        seats: Vec::new(),
    })
}
