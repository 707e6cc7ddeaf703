//! Change quotes in Postgres: stored when quoted, and confirmed in the
//! booking's transaction (`change_slice`, V17, moves the slice's seats).

use super::pg_errors::{self, CheckConstraint, RaisedError, UniqueConstraint};
use super::StoreError;
use chrono::{DateTime, Utc};
use deadpool_postgres::{Pool, Transaction};
use serde::{Deserialize, Serialize};

/// One new leg of a quoted change, its seats in the slice's passenger order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QuotedLeg {
    pub flight_id: i64,
    pub cabin: String,
    pub seats: Vec<String>,
    /// The booking's passenger positions, aligned with `seats`.
    pub positions: Vec<i32>,
    /// What each seat's passenger pays.
    pub fares: Vec<i64>,
    /// The cabin's published fare (checked again at confirm).
    pub published: i64,
    /// Infants on a lap: (infant position, fare).
    pub laps: Vec<(i32, i64)>,
}

#[derive(Clone, Debug)]
pub struct ChangeQuoteRow {
    pub id: i64,
    pub booking_id: i64,
    pub user_id: i64,
    pub slice: i32,
    pub legs: Vec<QuotedLeg>,
    pub replaced_seats: Vec<String>,
    pub currency: String,
    pub fare_difference: i64,
    pub penalty: i64,
    pub total_due: i64,
    pub confirmed: bool,
    pub expires_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub confirmed_at: Option<DateTime<Utc>>,
}

pub struct NewChangeQuote<'a> {
    pub booking_id: i64,
    pub user_id: i64,
    pub slice: i32,
    pub legs: &'a [QuotedLeg],
    pub replaced_seats: &'a [String],
    pub currency: &'a str,
    pub fare_difference: i64,
    pub penalty: i64,
    pub total_due: i64,
    pub expires_at: DateTime<Utc>,
}

const QUOTE_COLUMNS: &str = "id, booking_id, user_id, slice, legs, replaced_seats, currency, fare_difference, penalty,
    total_due, status, expires_at, created_at, confirmed_at";

fn quote_from_row(row: &tokio_postgres::Row) -> Result<ChangeQuoteRow, StoreError> {
    let status: String = row.get("status");
    Ok(ChangeQuoteRow {
        id: row.get("id"),
        booking_id: row.get("booking_id"),
        user_id: row.get("user_id"),
        slice: row.get("slice"),
        legs: serde_json::from_value(row.get("legs")).map_err(StoreError::internal)?,
        replaced_seats: row.get("replaced_seats"),
        currency: row.get("currency"),
        fare_difference: row.get("fare_difference"),
        penalty: row.get("penalty"),
        total_due: row.get("total_due"),
        confirmed: status == "CONFIRMED",
        expires_at: row.get("expires_at"),
        created_at: row.get("created_at"),
        confirmed_at: row.get("confirmed_at"),
    })
}

#[tracing::instrument(name = "postgres.changes.insert_quote", level = "debug", skip_all, fields(booking_id = quote.booking_id))]
pub async fn insert_quote(pool: &Pool, quote: &NewChangeQuote<'_>) -> Result<ChangeQuoteRow, StoreError> {
    let client = pool.get().await?;
    let legs = serde_json::to_value(quote.legs).map_err(StoreError::internal)?;
    let row = client
        .query_one(
            &format!(
                "INSERT INTO change_quotes (booking_id, user_id, slice, legs, replaced_seats, currency, fare_difference,
                                            penalty, total_due, expires_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING {QUOTE_COLUMNS}"
            ),
            &[
                &quote.booking_id,
                &quote.user_id,
                &quote.slice,
                &legs,
                &quote.replaced_seats,
                &quote.currency,
                &quote.fare_difference,
                &quote.penalty,
                &quote.total_due,
                &quote.expires_at,
            ],
        )
        .await?;
    quote_from_row(&row)
}

/// The quote, locked until the transaction ends (after its booking's lock:
/// every confirm takes them in that order).
#[tracing::instrument(name = "postgres.changes.lock_quote", level = "debug", skip_all, fields(quote_id = quote_id))]
pub async fn lock_quote(tx: &Transaction<'_>, quote_id: i64) -> Result<Option<ChangeQuoteRow>, StoreError> {
    let row = tx
        .query_opt(&format!("SELECT {QUOTE_COLUMNS} FROM change_quotes WHERE id = $1 FOR UPDATE"), &[&quote_id])
        .await?;
    row.as_ref().map(quote_from_row).transpose()
}

#[tracing::instrument(name = "postgres.changes.find_quote", level = "debug", skip_all, fields(quote_id = quote_id))]
pub async fn find_quote(pool: &Pool, quote_id: i64) -> Result<Option<ChangeQuoteRow>, StoreError> {
    let client = pool.get().await?;
    let row =
        client.query_opt(&format!("SELECT {QUOTE_COLUMNS} FROM change_quotes WHERE id = $1"), &[&quote_id]).await?;
    row.as_ref().map(quote_from_row).transpose()
}

/// The slice's live seats as `flight:seat`, sorted: what a quote replaces.
pub async fn live_seats_of_slice(tx: &Transaction<'_>, booking_id: i64, slice: i32) -> Result<Vec<String>, StoreError> {
    let rows = tx
        .query(
            "SELECT flight_id::text || ':' || seat FROM booking_seats
              WHERE booking_id = $1 AND slice = $2 AND live ORDER BY 1",
            &[&booking_id, &slice],
        )
        .await?;
    Ok(rows.iter().map(|r| r.get(0)).collect())
}

#[derive(Debug, thiserror::Error)]
pub enum MoveError {
    #[error("a new seat is taken")]
    SeatTaken,
    #[error("a new flight's cabin sold out")]
    SoldOut,
    #[error("flight {0} can no longer be booked")]
    FlightNotBookable(i64),
    #[error("a fare of flight {0} changed")]
    FareChanged(i64),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A seat the move freed (`live` false) or took (`live` true).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MovedSeat {
    pub flight_id: i64,
    pub seat: String,
    pub live: bool,
}

/// Moves the slice onto the quote's legs (`change_slice`).
#[tracing::instrument(name = "postgres.changes.move_slice", level = "debug", skip_all, fields(booking_id = booking_id, slice = slice))]
pub async fn move_slice(
    tx: &Transaction<'_>,
    booking_id: i64,
    slice: i32,
    legs: &[QuotedLeg],
) -> Result<Vec<MovedSeat>, MoveError> {
    let (mut numbers, mut flights, mut seats, mut cabins, mut positions, mut fares, mut published) =
        (vec![], vec![], vec![], vec![], vec![], vec![], vec![]);
    let mut laps = Vec::new();
    for (index, leg) in legs.iter().enumerate() {
        let number = index as i32 + 1;
        for ((seat, position), fare) in leg.seats.iter().zip(&leg.positions).zip(&leg.fares) {
            numbers.push(number);
            flights.push(leg.flight_id);
            seats.push(seat.as_str());
            cabins.push(leg.cabin.as_str());
            positions.push(*position);
            fares.push(*fare);
            published.push(leg.published);
        }
        for (position, fare) in &leg.laps {
            laps.push(serde_json::json!({
                "leg": number, "flight_id": leg.flight_id, "cabin": leg.cabin,
                "passenger_position": position, "fare": fare
            }));
        }
    }
    let laps = serde_json::Value::Array(laps).to_string();
    let outcome = tx
        .query(
            "SELECT flight_id, seat, live FROM change_slice($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::text::jsonb)",
            &[&booking_id, &slice, &numbers, &flights, &seats, &cabins, &positions, &fares, &published, &laps],
        )
        .await;
    match outcome {
        Ok(rows) => {
            Ok(rows.iter().map(|r| MovedSeat { flight_id: r.get(0), seat: r.get(1), live: r.get(2) }).collect())
        }
        Err(e) if pg_errors::is_unique_violation(&e, UniqueConstraint::OneLiveBookingPerSeat) => {
            Err(MoveError::SeatTaken)
        }
        Err(e) if pg_errors::is_check_violation(&e, CheckConstraint::FlightFaresNeverOversold) => {
            Err(MoveError::SoldOut)
        }
        Err(e) => Err(match pg_errors::raised(&e) {
            Some((RaisedError::FlightNotBookable, flight)) => MoveError::FlightNotBookable(flight),
            Some((RaisedError::FareChanged, flight)) => MoveError::FareChanged(flight),
            _ => MoveError::Store(e.into()),
        }),
    }
}

/// Voids the tickets of the slice's old legs and issues the new legs'
/// tickets, each naming the one it replaces; returns the voided tickets'
/// numbers. A booking not ticketed yet gets its tickets from the queue.
#[tracing::instrument(name = "postgres.changes.reissue_tickets", level = "debug", skip_all, fields(booking_id = booking_id))]
pub async fn reissue_tickets(tx: &Transaction<'_>, booking_id: i64, slice: i32) -> Result<Vec<String>, StoreError> {
    let voided = tx
        .query(
            "UPDATE tickets t SET status = 'VOID', voided_at = now()
              WHERE t.booking_id = $1 AND t.status = 'ISSUED'
                AND t.leg IN (SELECT s.leg FROM booking_seats s WHERE s.booking_id = $1 AND s.slice = $2 AND NOT s.live
                              UNION SELECT l.leg FROM booking_lap_fares l WHERE l.booking_id = $1 AND l.slice = $2
                                                                            AND NOT l.live)
             RETURNING t.id, t.passenger_position, t.ticket_number",
            &[&booking_id, &slice],
        )
        .await?;
    if voided.is_empty() {
        return Ok(Vec::new());
    }
    super::tickets::issue(tx, booking_id).await?;
    tx.execute(
        "UPDATE tickets new SET replaces = old.id
           FROM unnest($2::bigint[], $3::int[]) AS old(id, passenger_position)
          WHERE new.booking_id = $1 AND new.status = 'ISSUED' AND new.replaces IS NULL
            AND new.passenger_position = old.passenger_position
            AND new.leg IN (SELECT s.leg FROM booking_seats s WHERE s.booking_id = $1 AND s.slice = $4 AND s.live
                            UNION SELECT l.leg FROM booking_lap_fares l WHERE l.booking_id = $1 AND l.slice = $4
                                                                          AND l.live)",
        &[
            &booking_id,
            &voided.iter().map(|r| r.get::<_, i64>(0)).collect::<Vec<_>>(),
            &voided.iter().map(|r| r.get::<_, i32>(1)).collect::<Vec<_>>(),
            &slice,
        ],
    )
    .await?;
    Ok(voided.iter().map(|r| r.get(2)).collect())
}

#[tracing::instrument(name = "postgres.changes.mark_confirmed", level = "debug", skip_all, fields(quote_id = quote_id))]
pub async fn mark_confirmed(tx: &Transaction<'_>, quote_id: i64) -> Result<(), StoreError> {
    tx.execute("UPDATE change_quotes SET status = 'CONFIRMED', confirmed_at = now() WHERE id = $1", &[&quote_id])
        .await?;
    Ok(())
}

/// The change's charge, made under its quote (at most one success each).
pub struct ChangePayment<'a> {
    pub booking_id: i64,
    pub user_id: i64,
    pub quote_id: i64,
    pub amount: i64,
    pub currency: &'a str,
    pub method: &'a str,
    pub card_last4: Option<String>,
    pub reference: &'a str,
    pub decline_code: Option<&'a str>,
}

#[tracing::instrument(name = "postgres.changes.record_payment", level = "debug", skip_all, fields(quote_id = payment.quote_id))]
pub async fn record_payment(tx: &Transaction<'_>, payment: &ChangePayment<'_>) -> Result<i64, StoreError> {
    let status = if payment.decline_code.is_some() { "DECLINED" } else { "SUCCEEDED" };
    let row = tx
        .query_one(
            "INSERT INTO payments (booking_id, user_id, amount, currency, status, method, card_last4, gateway_reference,
                                   decline_code, change_quote_id)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
            &[
                &payment.booking_id,
                &payment.user_id,
                &payment.amount,
                &payment.currency,
                &status,
                &payment.method,
                &payment.card_last4,
                &payment.reference,
                &payment.decline_code,
                &payment.quote_id,
            ],
        )
        .await?;
    Ok(row.get(0))
}

/// What a cheaper change gives back, against the booking's payment.
#[tracing::instrument(name = "postgres.changes.record_refund", level = "debug", skip_all, fields(quote_id = quote_id))]
pub async fn record_refund(
    tx: &Transaction<'_>,
    booking_id: i64,
    payment_id: i64,
    quote_id: i64,
    amount: i64,
) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO refunds (booking_id, payment_id, amount, reason, change_quote_id) VALUES ($1, $2, $3, 'CHANGE', $4)",
        &[&booking_id, &payment_id, &amount, &quote_id],
    )
    .await?;
    Ok(())
}
