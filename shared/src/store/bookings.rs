//! Bookings in Postgres. Creation is one statement, the `book_seats`
//! function: the cabin counts are raised first (row locks taken in a fixed
//! order, so concurrent bookings queue instead of deadlocking), then the
//! seats are inserted under the one-live-booking-per-seat index. A lost
//! race is a clean error and leaves nothing behind.

use super::pg_errors::{self, CheckConstraint, RaisedError, UniqueConstraint};
use super::StoreError;
use crate::config::UnpaidSeatCaps;
use crate::domain::booking::{new_pnr, BookingStatus};
use crate::domain::booking_actions::BookingLedger;
use crate::domain::travellers::PassengerType;
use chrono::{DateTime, NaiveDate, Utc};
use deadpool_postgres::{Pool, Transaction};
use std::collections::BTreeMap;

#[derive(Clone, Debug)]
pub struct NewSeat {
    pub slice: i32,
    pub leg: i32,
    pub flight_id: i64,
    pub seat: String,
    pub cabin: String,
    pub passenger_position: i32,
    pub fare: i64,
    /// The cabin's adult fare the seat was priced from (the fare check's).
    pub adult_fare: i64,
}

pub struct NewBooking {
    pub user_id: i64,
    /// The customer's live unpaid seats after this booking may not exceed these.
    pub caps: UnpaidSeatCaps,
    pub currency: String,
    pub expires_at: DateTime<Utc>,
    /// Seated passengers first (positions 1..), then infants.
    pub passengers: Vec<PassengerRow>,
    pub seats: Vec<NewSeat>,
    pub laps: Vec<LapRow>,
}

/// A passenger of a booking. Bookings made with names only have an adult
/// with a name and nothing else.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct PassengerRow {
    pub position: i32,
    /// As printed on tickets.
    pub name: String,
    #[serde(rename = "passenger_type")]
    pub kind: PassengerType,
    pub title: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub date_of_birth: Option<NaiveDate>,
    pub gender: Option<String>,
    pub infant_of: Option<i32>,
    pub passport_number: Option<String>,
    pub passport_issuing_country: Option<String>,
    pub passport_nationality: Option<String>,
    pub passport_expires_on: Option<NaiveDate>,
}

impl PassengerRow {
    /// A passenger known by name only (the original request shapes).
    pub fn named(position: i32, name: String) -> Self {
        PassengerRow {
            position,
            name,
            kind: PassengerType::Adult,
            title: None,
            given_name: None,
            family_name: None,
            date_of_birth: None,
            gender: None,
            infant_of: None,
            passport_number: None,
            passport_issuing_country: None,
            passport_nationality: None,
            passport_expires_on: None,
        }
    }
}

/// An infant's fare on one leg: it travels on its adult's lap, in the
/// adult's cabin, with no seat of its own.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct LapRow {
    pub slice: i32,
    pub leg: i32,
    pub flight_id: i64,
    pub cabin: String,
    pub passenger_position: i32,
    pub fare: i64,
}

#[derive(Clone, Debug)]
pub struct SeatRow {
    pub slice: i32,
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
    pub passengers: Vec<PassengerRow>,
    pub seats: Vec<SeatRow>,
    pub laps: Vec<LapRow>,
}

#[derive(Debug, thiserror::Error)]
pub enum CreateBookingError {
    #[error("a seat is already booked")]
    SeatTaken(Vec<(i64, String)>),
    #[error("the cabin is sold out")]
    SoldOut,
    #[error("flight {0} can no longer be booked")]
    FlightNotBookable(i64),
    #[error("a fare of flight {0} changed")]
    FareChanged(i64),
    #[error("more than {cap} unpaid seats on flight {flight_id}")]
    UnpaidSeatsPerFlight { flight_id: i64, cap: i32 },
    #[error("more than {cap} unpaid seats in all")]
    UnpaidSeatsInAll { cap: i32 },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<tokio_postgres::Error> for CreateBookingError {
    fn from(e: tokio_postgres::Error) -> Self {
        CreateBookingError::Store(e.into())
    }
}

impl From<deadpool_postgres::PoolError> for CreateBookingError {
    fn from(e: deadpool_postgres::PoolError) -> Self {
        CreateBookingError::Store(e.into())
    }
}

/// A booking just written.
#[derive(Clone, Debug)]
pub struct CreatedBooking {
    pub id: i64,
    pub pnr: String,
    pub created_at: DateTime<Utc>,
    /// Flights whose cabin this booking sold out.
    pub now_full: Vec<i64>,
}

/// Outcome of a cancellation request on an unpaid booking.
#[derive(Debug)]
pub enum CancelOutcome {
    Cancelled { released: Vec<ReleasedSeat> },
    AlreadyCancelled,
    Paid,
    Expired,
    NotFound,
}

/// A flight's status and the seats of its live bookings (seat, booking).
pub type FlightSales = (String, Vec<(String, i64)>);

pub struct PgBookings<'a> {
    pool: &'a Pool,
}

const BOOKING_COLUMNS: &str = "id, pnr, user_id, status, currency, total_amount, discount_amount, amount_due,
    expires_at, created_at, paid_at, cancelled_at";

impl<'a> PgBookings<'a> {
    pub fn new(pool: &'a Pool) -> Self {
        PgBookings { pool }
    }

    /// The status of each of the flights.
    #[tracing::instrument(name = "postgres.bookings.flight_statuses", level = "debug", skip_all, fields(flights = flight_ids.len()))]
    pub async fn flight_statuses(
        &self,
        flight_ids: &[i64],
    ) -> Result<std::collections::HashMap<i64, String>, StoreError> {
        let client = self.pool.get().await?;
        let statement = client.prepare_cached("SELECT id, status FROM flights WHERE id = ANY($1)").await?;
        let rows = client.query(&statement, &[&flight_ids]).await?;
        Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
    }

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

    /// What was paid and refunded on a booking, and whether a code is on it.
    #[tracing::instrument(name = "postgres.bookings.ledger", level = "debug", skip_all, fields(booking_id = booking_id))]
    pub async fn ledger(&self, booking_id: i64) -> Result<BookingLedger, StoreError> {
        let client = self.pool.get().await?;
        let statement = client
            .prepare_cached(
                "SELECT (SELECT coalesce(sum(amount), 0)::bigint FROM payments WHERE booking_id = $1 AND status = 'SUCCEEDED'),
                        (SELECT coalesce(sum(amount), 0)::bigint FROM refunds WHERE booking_id = $1),
                        EXISTS (SELECT 1 FROM booking_discounts WHERE booking_id = $1 AND released_at IS NULL)",
            )
            .await?;
        let row = client.query_one(&statement, &[&booking_id]).await?;
        Ok(BookingLedger { paid: row.get(0), refunded: row.get(1), code_applied: row.get(2) })
    }

    /// The flight's status and the seats of its live bookings (seat,
    /// booking), in one snapshot; `None` for an unknown flight.
    #[tracing::instrument(name = "postgres.bookings.sold_seats", level = "debug", skip_all, fields(flight_id = flight_id))]
    pub async fn sold_seats(&self, flight_id: i64) -> Result<Option<FlightSales>, StoreError> {
        let client = self.pool.get().await?;
        let statement = client
            .prepare_cached(
                "SELECT f.status, s.seat, s.booking_id FROM flights f
                 LEFT JOIN booking_seats s ON s.flight_id = f.id AND s.live
                 WHERE f.id = $1",
            )
            .await?;
        let rows = client.query(&statement, &[&flight_id]).await?;
        let Some(first) = rows.first() else { return Ok(None) };
        let sold =
            rows.iter().filter_map(|r| Some((r.get::<_, Option<String>>(1)?, r.get::<_, Option<i64>>(2)?))).collect();
        Ok(Some((first.get(0), sold)))
    }

    /// Writes the booking in one statement (`book_seats`, see its
    /// migration): counts, checks, booking, passengers and seats commit
    /// together or not at all.
    #[tracing::instrument(name = "postgres.bookings.create", level = "debug", skip_all, fields(user_id = booking.user_id, seats = booking.seats.len()))]
    pub async fn create(&self, booking: &NewBooking) -> Result<CreatedBooking, CreateBookingError> {
        let client = self.pool.get().await?;
        let statement = client
            .prepare_cached(
                "SELECT booking_id, created_at, full_flights
                 FROM book_seats_within_caps($15, $16, $1, $2, $3, $4, $5::text::jsonb, $6, $7, $8, $9, $10, $11, $12, $13,
                                             $14::text::jsonb)",
            )
            .await?;
        let seats = &booking.seats;
        let passengers = serde_json::to_string(&booking.passengers).map_err(StoreError::internal)?;
        let laps = serde_json::to_string(&booking.laps).map_err(StoreError::internal)?;
        let slices: Vec<i32> = seats.iter().map(|s| s.slice).collect();
        let legs: Vec<i32> = seats.iter().map(|s| s.leg).collect();
        let flights: Vec<i64> = seats.iter().map(|s| s.flight_id).collect();
        let numbers: Vec<&str> = seats.iter().map(|s| s.seat.as_str()).collect();
        let cabins: Vec<&str> = seats.iter().map(|s| s.cabin.as_str()).collect();
        let positions: Vec<i32> = seats.iter().map(|s| s.passenger_position).collect();
        let fares: Vec<i64> = seats.iter().map(|s| s.fare).collect();
        let adult_fares: Vec<i64> = seats.iter().map(|s| s.adult_fare).collect();
        // A PNR is random: on the rare collision, draw another.
        for _ in 0..5 {
            let pnr = new_pnr();
            let outcome = client
                .query_one(
                    &statement,
                    &[
                        &booking.user_id,
                        &pnr,
                        &booking.currency,
                        &booking.expires_at,
                        &passengers,
                        &slices,
                        &legs,
                        &flights,
                        &numbers,
                        &cabins,
                        &positions,
                        &fares,
                        &adult_fares,
                        &laps,
                        &booking.caps.per_flight,
                        &booking.caps.in_all,
                    ],
                )
                .await;
            let e = match outcome {
                Ok(row) => {
                    return Ok(CreatedBooking { id: row.get(0), pnr, created_at: row.get(1), now_full: row.get(2) })
                }
                Err(e) => e,
            };
            if pg_errors::is_unique_violation(&e, UniqueConstraint::BookingPnr) {
                continue;
            }
            if pg_errors::is_unique_violation(&e, UniqueConstraint::OneLiveBookingPerSeat) {
                // Give the connection back before reading with another one:
                // a pool of one must not wait on itself.
                drop(client);
                return Err(CreateBookingError::SeatTaken(self.live_among(seats).await?));
            }
            if pg_errors::is_check_violation(&e, CheckConstraint::FlightFaresNeverOversold) {
                return Err(CreateBookingError::SoldOut);
            }
            return Err(match pg_errors::raised(&e) {
                Some((RaisedError::FlightNotBookable, flight)) => CreateBookingError::FlightNotBookable(flight),
                Some((RaisedError::FareChanged, flight)) => CreateBookingError::FareChanged(flight),
                Some((RaisedError::UnpaidSeatsPerFlight, flight)) => {
                    CreateBookingError::UnpaidSeatsPerFlight { flight_id: flight, cap: booking.caps.per_flight }
                }
                Some((RaisedError::UnpaidSeatsInAll, _)) => {
                    CreateBookingError::UnpaidSeatsInAll { cap: booking.caps.in_all }
                }
                None => e.into(),
            });
        }
        Err(StoreError::internal("no free PNR after five draws").into())
    }

    #[tracing::instrument(name = "postgres.bookings.live_among", level = "debug", skip_all, fields(seats = seats.len()))]
    async fn live_among(&self, seats: &[NewSeat]) -> Result<Vec<(i64, String)>, StoreError> {
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

    #[tracing::instrument(name = "postgres.bookings.find", level = "debug", skip_all, fields(booking_id = id))]
    pub async fn find(&self, id: i64) -> Result<Option<BookingRecord>, StoreError> {
        let client = self.pool.get().await?;
        let booking_sql = format!("SELECT {BOOKING_COLUMNS} FROM bookings WHERE id = $1");
        let (booking, passengers, seats, laps) = tokio::try_join!(
            client.prepare_cached(&booking_sql),
            client.prepare_cached(
                "SELECT position, name, passenger_type, title, given_name, family_name, date_of_birth, gender,
                        infant_of, passport_number, passport_issuing_country, passport_nationality, passport_expires_on
                 FROM booking_passengers WHERE booking_id = $1 ORDER BY position"
            ),
            client.prepare_cached(
                "SELECT slice, leg, flight_id, seat, cabin, passenger_position, fare, live FROM booking_seats
                 WHERE booking_id = $1 ORDER BY leg, passenger_position, seat",
            ),
            client.prepare_cached(
                "SELECT slice, leg, flight_id, cabin, passenger_position, fare FROM booking_lap_fares
                 WHERE booking_id = $1 ORDER BY leg, passenger_position",
            ),
        )?;
        let params: [&(dyn tokio_postgres::types::ToSql + Sync); 1] = [&id];
        // Pipelined: the four reads go out together.
        let (row, passengers, seats, laps) = tokio::try_join!(
            client.query_opt(&booking, &params),
            client.query(&passengers, &params),
            client.query(&seats, &params),
            client.query(&laps, &params)
        )?;
        let Some(row) = row else { return Ok(None) };
        let mut record = record_from_row(&row)?;
        record.passengers = passengers.iter().map(passenger_from_row).collect::<Result<_, _>>()?;
        record.seats = seats
            .iter()
            .map(|r| SeatRow {
                slice: r.get(0),
                leg: r.get(1),
                flight_id: r.get(2),
                seat: r.get(3),
                cabin: r.get(4),
                passenger_position: r.get(5),
                fare: r.get(6),
                live: r.get(7),
            })
            .collect();
        record.laps = laps
            .iter()
            .map(|r| LapRow {
                slice: r.get(0),
                leg: r.get(1),
                flight_id: r.get(2),
                cabin: r.get(3),
                passenger_position: r.get(4),
                fare: r.get(5),
            })
            .collect();
        Ok(Some(record))
    }

    /// The user's bookings, newest first, with ids below `before` (keyset paging).
    #[tracing::instrument(name = "postgres.bookings.ids_of_user", level = "debug", skip_all, fields(user_id = user_id))]
    pub async fn ids_of_user(&self, user_id: i64, before: Option<i64>, limit: i64) -> Result<Vec<i64>, StoreError> {
        let client = self.pool.get().await?;
        let rows = client
            .query(
                "SELECT id FROM bookings WHERE user_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3",
                &[&user_id, &before.unwrap_or(i64::MAX), &limit],
            )
            .await?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
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
                super::discounts::give_back_uses(&tx, &[id]).await?;
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
    ) -> Result<(Vec<(i64, ReleasedSeat)>, super::outbox::Outgoing), StoreError> {
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
        let mut outgoing = super::outbox::Outgoing::default();
        for row in &rows {
            let (payload, dedup) = announce(row.get(0), row.get(1), row.get(2));
            outgoing.enqueue(&tx, super::outbox::Destination::Notifications, &payload, Some(&dedup)).await?;
        }
        let users: BTreeMap<i64, i64> = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
        let ids: Vec<i64> = users.keys().copied().collect();
        let released = release_seats(&tx, &ids).await?;
        super::discounts::give_back_uses(&tx, &ids).await?;
        tx.commit().await?;
        Ok((released.into_iter().map(|seat| (users[&seat.booking_id], seat)).collect(), outgoing))
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
    ) -> Result<(Vec<(i64, ReleasedSeat)>, super::outbox::Outgoing), StoreError> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        let rows = tx
            .query(
                "UPDATE bookings SET status = 'CANCELLED', cancelled_at = now()
                 WHERE id IN (SELECT b.id FROM bookings b
                               WHERE b.status = 'PENDING_PAYMENT'
                                 AND EXISTS (SELECT 1 FROM booking_seats s
                                              WHERE s.booking_id = b.id AND s.flight_id = $1 AND s.live)
                               ORDER BY b.id FOR UPDATE)
                   AND status = 'PENDING_PAYMENT'
                 RETURNING id, user_id, pnr",
                &[&flight_id],
            )
            .await?;
        let mut outgoing = super::outbox::Outgoing::default();
        for row in &rows {
            let (payload, dedup) = announce(row.get(0), row.get(1), row.get(2));
            outgoing.enqueue(&tx, super::outbox::Destination::Notifications, &payload, Some(&dedup)).await?;
        }
        let users: BTreeMap<i64, i64> = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
        let ids: Vec<i64> = users.keys().copied().collect();
        let released = release_seats(&tx, &ids).await?;
        super::discounts::give_back_uses(&tx, &ids).await?;
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

fn record_from_row(row: &tokio_postgres::Row) -> Result<BookingRecord, StoreError> {
    let status: String = row.get("status");
    Ok(BookingRecord {
        id: row.get("id"),
        pnr: row.get("pnr"),
        user_id: row.get("user_id"),
        status: BookingStatus::parse(&status)
            .ok_or_else(|| StoreError::internal(format!("unknown status {status}")))?,
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
        laps: Vec::new(),
    })
}

fn passenger_from_row(r: &tokio_postgres::Row) -> Result<PassengerRow, StoreError> {
    let kind: String = r.get(2);
    Ok(PassengerRow {
        position: r.get(0),
        name: r.get(1),
        kind: PassengerType::parse(&kind)
            .ok_or_else(|| StoreError::internal(format!("unknown passenger type {kind}")))?,
        title: r.get(3),
        given_name: r.get(4),
        family_name: r.get(5),
        date_of_birth: r.get(6),
        gender: r.get(7),
        infant_of: r.get(8),
        passport_number: r.get(9),
        passport_issuing_country: r.get(10),
        passport_nationality: r.get(11),
        passport_expires_on: r.get(12),
    })
}
