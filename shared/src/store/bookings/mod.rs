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
use crate::domain::fares::FareBrand;
use crate::domain::seat_charges::SeatProduct;
use crate::domain::travellers::PassengerType;
use chrono::{DateTime, NaiveDate, Utc};
use deadpool_postgres::Pool;
mod closing;

pub use closing::{mark_cancelled, release_seats, CancelOutcome, ReleasedSeat};

#[derive(Clone, Debug)]
pub struct NewSeat {
    pub slice: i32,
    pub leg: i32,
    pub flight_id: i64,
    pub seat: String,
    pub cabin: String,
    pub passenger_position: i32,
    /// What its passenger pays, the seat charge included.
    pub fare: i64,
    /// The cabin's adult fare the seat was priced from (the fare check's).
    pub adult_fare: i64,
    /// What choosing the seat cost, and its product.
    pub seat_charge: Option<(SeatProduct, i64)>,
}

pub struct NewBooking {
    pub user_id: i64,
    /// The customer's live unpaid seats after this booking may not exceed these.
    pub caps: UnpaidSeatCaps,
    pub currency: String,
    pub fare_brand: FareBrand,
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
    /// The seat charge included.
    pub fare: i64,
    pub seat_charge: Option<(SeatProduct, i64)>,
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
    /// The brand the booking chose (each seat's cabin decides what it is there).
    pub fare_brand: FareBrand,
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

/// A flight's status and the seats of its live bookings (seat, booking).
pub type FlightSales = (String, Vec<(String, i64)>);

pub struct PgBookings<'a> {
    pool: &'a Pool,
}

const BOOKING_COLUMNS: &str = "id, pnr, user_id, status, currency, total_amount, discount_amount, amount_due,
    fare_brand, expires_at, created_at, paid_at, cancelled_at";

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

    /// What was paid and refunded on a booking, and whether a code is on it.
    #[tracing::instrument(name = "postgres.bookings.ledger", level = "debug", skip_all, fields(booking_id = booking_id))]
    pub async fn ledger(&self, booking_id: i64) -> Result<BookingLedger, StoreError> {
        let client = self.pool.get().await?;
        let statement = client
            .prepare_cached(
                "SELECT (SELECT coalesce(sum(amount), 0)::bigint FROM payments WHERE booking_id = $1 AND status = 'SUCCEEDED'),
                        (SELECT coalesce(sum(amount), 0)::bigint FROM refunds WHERE booking_id = $1),
                        EXISTS (SELECT 1 FROM booking_discounts WHERE booking_id = $1 AND released_at IS NULL),
                        EXISTS (SELECT 1 FROM schedule_changes WHERE booking_id = $1 AND status = 'OPEN')",
            )
            .await?;
        let row = client.query_one(&statement, &[&booking_id]).await?;
        Ok(BookingLedger {
            paid: row.get(0),
            refunded: row.get(1),
            code_applied: row.get(2),
            schedule_change_open: row.get(3),
        })
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
                 FROM book_seats_with_charges($18, $19, $17, $15, $16, $1, $2, $3, $4, $5::text::jsonb, $6, $7,
                                              $8, $9, $10, $11, $12, $13, $14::text::jsonb)",
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
        let seat_charges: Vec<i64> = seats.iter().map(|s| s.seat_charge.map_or(0, |(_, c)| c)).collect();
        let seat_products: Vec<Option<&str>> =
            seats.iter().map(|s| s.seat_charge.map(|(product, _)| product.as_str())).collect();
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
                        &booking.fare_brand.as_str(),
                        &seat_charges,
                        &seat_products,
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
                // A leg rebooked onto another flight (a schedule change)
                // shows its live seats only; a closed booking's, as they were.
                "SELECT slice, leg, flight_id, seat, cabin, passenger_position, fare, live, seat_charge, seat_product
                 FROM booking_seats s
                 WHERE booking_id = $1
                   AND (live OR NOT EXISTS (SELECT 1 FROM booking_seats l
                                             WHERE l.booking_id = s.booking_id AND l.leg = s.leg AND l.live))
                 ORDER BY leg, passenger_position, seat",
            ),
            client.prepare_cached(
                "SELECT slice, leg, flight_id, cabin, passenger_position, fare FROM booking_lap_fares
                 WHERE booking_id = $1 AND live ORDER BY leg, passenger_position",
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
                seat_charge: r
                    .get::<_, Option<&str>>(9)
                    .and_then(SeatProduct::parse)
                    .map(|product| (product, r.get::<_, i64>(8))),
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
        fare_brand: {
            let brand: String = row.get("fare_brand");
            FareBrand::parse(&brand).ok_or_else(|| StoreError::internal(format!("unknown fare brand {brand}")))?
        },
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
