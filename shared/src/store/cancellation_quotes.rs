//! Cancellation quotes in Postgres: the facts a quote is computed from, the
//! stored quote, and what confirming one changes (the chosen seats freed,
//! their tickets voided, the refund recorded once per quote).

use super::StoreError;
use crate::domain::booking::BookingStatus;
use crate::domain::cancellation::{FareLine, Quote, QuoteFacts, QuoteFlight, QuotePassenger, QuotedSeat};
use crate::domain::fares::FareBrand;
use crate::domain::flight::FlightStatus;
use crate::domain::seating::Cabin;
use crate::domain::travellers::PassengerType;
use crate::store::bookings::ReleasedSeat;
use chrono::{DateTime, Utc};
use deadpool_postgres::{GenericClient, Pool, Transaction};

/// Every fare of the booking, seats and laps, with whether the booking
/// still holds it (a lap: whether its adult's seat on the leg is live) and
/// whether its leg embarks in India.
const FARE_LINES: &str = "
SELECT s.passenger_position, s.slice, s.leg, s.flight_id, s.seat, s.cabin, s.fare, s.live, a.country = 'IN'
  FROM booking_seats s JOIN flights f ON f.id = s.flight_id JOIN airports a ON a.code = f.origin
 WHERE s.booking_id = $1
UNION ALL
SELECT l.passenger_position, l.slice, l.leg, l.flight_id, NULL, l.cabin, l.fare,
       EXISTS (SELECT 1 FROM booking_seats s
                WHERE s.booking_id = l.booking_id AND s.leg = l.leg AND s.passenger_position = p.infant_of AND s.live),
       a.country = 'IN'
  FROM booking_lap_fares l
  JOIN booking_passengers p ON p.booking_id = l.booking_id AND p.position = l.passenger_position
  JOIN flights f ON f.id = l.flight_id JOIN airports a ON a.code = f.origin
 WHERE l.booking_id = $1
 ORDER BY 3, 1";

/// What a quote of the booking is computed from, as `client` sees it (in
/// the confirming transaction, after the booking's lock).
#[tracing::instrument(name = "postgres.cancellation_quotes.facts", level = "debug", skip_all, fields(booking_id = booking_id))]
pub async fn facts(client: &impl GenericClient, booking_id: i64) -> Result<Option<QuoteFacts>, StoreError> {
    let Some(booking) = client
        .query_opt(
            "SELECT user_id, pnr, status, currency, expires_at, fare_brand, discount_amount,
                    (SELECT coalesce(sum(amount), 0)::bigint FROM payments WHERE booking_id = b.id AND status = 'SUCCEEDED'),
                    (SELECT coalesce(sum(amount), 0)::bigint FROM refunds WHERE booking_id = b.id)
               FROM bookings b WHERE id = $1",
            &[&booking_id],
        )
        .await?
    else {
        return Ok(None);
    };
    let passengers = client
        .query(
            "SELECT position, name, passenger_type, infant_of FROM booking_passengers WHERE booking_id = $1 ORDER BY position",
            &[&booking_id],
        )
        .await?;
    let lines = client.query(FARE_LINES, &[&booking_id]).await?;
    let flights = client
        .query(
            "SELECT id, status, departs_at FROM flights
              WHERE id IN (SELECT flight_id FROM booking_seats WHERE booking_id = $1) ORDER BY id",
            &[&booking_id],
        )
        .await?;
    let bad = |what: &str, raw: &str| StoreError::internal(format!("unknown {what} {raw}"));
    let status: String = booking.get(2);
    let brand: String = booking.get(5);
    Ok(Some(QuoteFacts {
        booking_id,
        user_id: booking.get(0),
        pnr: booking.get(1),
        status: BookingStatus::parse(&status).ok_or_else(|| bad("booking status", &status))?,
        currency: booking.get(3),
        expires_at: booking.get(4),
        brand: FareBrand::parse(&brand).ok_or_else(|| bad("fare brand", &brand))?,
        discount: booking.get(6),
        paid: booking.get(7),
        refunded: booking.get(8),
        passengers: passengers
            .iter()
            .map(|r| {
                let kind: String = r.get(2);
                Ok(QuotePassenger {
                    position: r.get(0),
                    name: r.get(1),
                    kind: PassengerType::parse(&kind).ok_or_else(|| bad("passenger type", &kind))?,
                    infant_of: r.get(3),
                })
            })
            .collect::<Result<_, StoreError>>()?,
        lines: lines
            .iter()
            .map(|r| {
                let cabin: String = r.get(5);
                Ok(FareLine {
                    position: r.get(0),
                    slice: r.get(1),
                    leg: r.get(2),
                    flight_id: r.get(3),
                    seat: r.get(4),
                    cabin: Cabin::parse(&cabin).ok_or_else(|| bad("cabin", &cabin))?,
                    fare: r.get(6),
                    live: r.get(7),
                    taxed: r.get::<_, Option<bool>>(8).unwrap_or(false),
                })
            })
            .collect::<Result<_, StoreError>>()?,
        flights: flights
            .iter()
            .map(|r| {
                let status: String = r.get(1);
                Ok(QuoteFlight {
                    flight_id: r.get(0),
                    status: FlightStatus::parse(&status).ok_or_else(|| bad("flight status", &status))?,
                    departs_at: r.get(2),
                })
            })
            .collect::<Result<_, StoreError>>()?,
    }))
}

/// Where a quote stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QuoteStatus {
    Quoted,
    Confirmed,
}

impl QuoteStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            QuoteStatus::Quoted => "QUOTED",
            QuoteStatus::Confirmed => "CONFIRMED",
        }
    }
}

/// A quote as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredQuote {
    pub id: i64,
    pub booking_id: i64,
    pub user_id: i64,
    pub currency: String,
    pub quote: Quote,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub status: QuoteStatus,
    pub confirmed_at: Option<DateTime<Utc>>,
    pub confirm_idempotency_key: Option<String>,
    pub refund_id: Option<i64>,
    pub closed_booking: Option<bool>,
}

const QUOTE_COLUMNS: &str = "id, booking_id, user_id, currency, lines, created_at, expires_at, status, confirmed_at,
    confirm_idempotency_key, refund_id, closed_booking";

fn quote_from_row(r: &tokio_postgres::Row) -> Result<StoredQuote, StoreError> {
    let status: String = r.get(7);
    Ok(StoredQuote {
        id: r.get(0),
        booking_id: r.get(1),
        user_id: r.get(2),
        currency: r.get(3),
        quote: serde_json::from_value(r.get(4))
            .map_err(|e| StoreError::internal(format!("stored cancellation quote unreadable: {e}")))?,
        created_at: r.get(5),
        expires_at: r.get(6),
        status: if status == "CONFIRMED" { QuoteStatus::Confirmed } else { QuoteStatus::Quoted },
        confirmed_at: r.get(8),
        confirm_idempotency_key: r.get(9),
        refund_id: r.get(10),
        closed_booking: r.get(11),
    })
}

/// Stores a computed quote, valid until `expires_at`.
#[tracing::instrument(name = "postgres.cancellation_quotes.insert", level = "debug", skip_all, fields(booking_id = facts.booking_id))]
pub async fn insert(
    pool: &Pool,
    facts: &QuoteFacts,
    quote: &Quote,
    created_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> Result<StoredQuote, StoreError> {
    let client = pool.get().await?;
    let lines = serde_json::to_value(quote).map_err(StoreError::internal)?;
    let row = client
        .query_one(
            &format!(
                "INSERT INTO cancellation_quotes (booking_id, user_id, passengers, slices, currency, refund_amount,
                                                  penalty_amount, lines, created_at, expires_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING {QUOTE_COLUMNS}"
            ),
            &[
                &facts.booking_id,
                &facts.user_id,
                &quote.passengers,
                &quote.slices,
                &facts.currency,
                &quote.refund,
                &quote.penalty,
                &lines,
                &created_at,
                &expires_at,
            ],
        )
        .await?;
    quote_from_row(&row)
}

/// The booking a quote of `user_id`'s is of.
#[tracing::instrument(name = "postgres.cancellation_quotes.booking_of", level = "debug", skip_all, fields(quote_id = quote_id))]
pub async fn booking_of(pool: &Pool, quote_id: i64, user_id: i64) -> Result<Option<i64>, StoreError> {
    let client = pool.get().await?;
    let row = client
        .query_opt("SELECT booking_id FROM cancellation_quotes WHERE id = $1 AND user_id = $2", &[&quote_id, &user_id])
        .await?;
    Ok(row.map(|r| r.get(0)))
}

/// The quote, locked until the transaction ends.
#[tracing::instrument(name = "postgres.cancellation_quotes.lock", level = "debug", skip_all, fields(quote_id = quote_id))]
pub async fn lock(tx: &Transaction<'_>, quote_id: i64) -> Result<Option<StoredQuote>, StoreError> {
    let row = tx
        .query_opt(&format!("SELECT {QUOTE_COLUMNS} FROM cancellation_quotes WHERE id = $1 FOR UPDATE"), &[&quote_id])
        .await?;
    row.map(|r| quote_from_row(&r)).transpose()
}

/// Marks the quote confirmed with what it did, at the transaction's time
/// (the time its refund and seat changes carry, so the timeline orders
/// them); that time.
#[tracing::instrument(name = "postgres.cancellation_quotes.confirm", level = "debug", skip_all, fields(quote_id = quote_id))]
pub async fn confirm(
    tx: &Transaction<'_>,
    quote_id: i64,
    key: Option<&str>,
    refund_id: Option<i64>,
    closed_booking: bool,
) -> Result<DateTime<Utc>, StoreError> {
    let updated = tx
        .query_opt(
            "UPDATE cancellation_quotes SET status = 'CONFIRMED', confirmed_at = now(), confirm_idempotency_key = $2,
                    refund_id = $3, closed_booking = $4
              WHERE id = $1 AND status = 'QUOTED' RETURNING confirmed_at",
            &[&quote_id, &key, &refund_id, &closed_booking],
        )
        .await?;
    updated
        .map(|row| row.get(0))
        .ok_or_else(|| StoreError::internal(format!("cancellation quote {quote_id} was not open to confirm")))
}

/// Frees the chosen live seats of the booking and lowers the cabin counts.
#[tracing::instrument(name = "postgres.cancellation_quotes.release_chosen", level = "debug", skip_all, fields(booking_id = booking_id, seats = seats.len()))]
pub async fn release_chosen(
    tx: &Transaction<'_>,
    booking_id: i64,
    seats: &[QuotedSeat],
) -> Result<Vec<ReleasedSeat>, StoreError> {
    let flights: Vec<i64> = seats.iter().map(|s| s.flight_id).collect();
    let numbers: Vec<&str> = seats.iter().map(|s| s.seat.as_str()).collect();
    let rows = tx
        .query(
            "WITH released AS (
                 UPDATE booking_seats s SET live = false
                   FROM unnest($2::bigint[], $3::text[]) AS chosen(flight_id, seat)
                  WHERE s.booking_id = $1 AND s.flight_id = chosen.flight_id AND s.seat = chosen.seat AND s.live
                 RETURNING s.booking_id, s.flight_id, s.seat, s.cabin
             ), counts AS (
                 SELECT flight_id, cabin, count(*)::int AS n FROM released GROUP BY flight_id, cabin
             ), lowered AS (
                 UPDATE flight_fares fa SET seats_sold = fa.seats_sold - counts.n
                 FROM counts WHERE fa.flight_id = counts.flight_id AND fa.cabin = counts.cabin
                 RETURNING fa.flight_id
             )
             SELECT booking_id, flight_id, seat FROM released, (SELECT count(*) FROM lowered) AS done",
            &[&booking_id, &flights, &numbers],
        )
        .await?;
    Ok(rows.iter().map(|r| ReleasedSeat { booking_id: r.get(0), flight_id: r.get(1), seat: r.get(2) }).collect())
}

/// Voids the issued tickets of the given (passenger, leg) pairs: a ticket
/// names its slice's first leg, one of the pairs of a slice given up.
#[tracing::instrument(name = "postgres.cancellation_quotes.void_chosen", level = "debug", skip_all, fields(booking_id = booking_id))]
pub async fn void_chosen(tx: &Transaction<'_>, booking_id: i64, legs: &[(i32, i32)]) -> Result<u64, StoreError> {
    let positions: Vec<i32> = legs.iter().map(|(p, _)| *p).collect();
    let numbers: Vec<i32> = legs.iter().map(|(_, l)| *l).collect();
    Ok(tx
        .execute(
            "UPDATE tickets t SET status = 'VOID', voided_at = now()
               FROM unnest($2::int[], $3::int[]) AS chosen(position, leg)
              WHERE t.booking_id = $1 AND t.status = 'ISSUED'
                AND t.passenger_position = chosen.position AND t.leg = chosen.leg",
            &[&booking_id, &positions, &numbers],
        )
        .await?)
}

/// Records the (mock) refund a confirmed quote makes; its id. A second
/// refund for one quote is refused by `refunds_once_per_quote`.
#[tracing::instrument(name = "postgres.cancellation_quotes.record_refund", level = "debug", skip_all, fields(booking_id = booking_id, quote_id = quote_id))]
pub async fn record_refund(
    tx: &Transaction<'_>,
    booking_id: i64,
    payment_id: i64,
    amount: i64,
    quote_id: i64,
) -> Result<i64, StoreError> {
    let row = tx
        .query_one(
            "INSERT INTO refunds (booking_id, payment_id, amount, reason, cancellation_quote_id)
             VALUES ($1, $2, $3, 'CANCELLATION', $4) RETURNING id",
            &[&booking_id, &payment_id, &amount, &quote_id],
        )
        .await?;
    Ok(row.get(0))
}
