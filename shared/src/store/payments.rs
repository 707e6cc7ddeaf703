//! Payments, refunds and the booking state changes they cause, each in one
//! Postgres transaction with the outbox messages that announce them.

use super::pg_errors::{is_unique_violation, UniqueConstraint};
use super::StoreError;
use crate::domain::booking::BookingStatus;
use crate::domain::flight::FlightStatus;
use chrono::{DateTime, Utc};
use deadpool_postgres::Transaction;

/// A booking row locked for the rest of the transaction.
#[derive(Debug, Clone)]
pub struct LockedBooking {
    pub id: i64,
    pub user_id: i64,
    pub pnr: String,
    pub status: BookingStatus,
    pub currency: String,
    pub total_amount: i64,
    pub amount_due: i64,
    pub expires_at: DateTime<Utc>,
}

#[tracing::instrument(name = "postgres.payments.lock_booking", level = "debug", skip_all, fields(booking_id = booking_id))]
pub async fn lock_booking(tx: &Transaction<'_>, booking_id: i64) -> Result<Option<LockedBooking>, StoreError> {
    let statement = tx
        .prepare_cached(
            "SELECT id, user_id, pnr, status, currency, total_amount, amount_due, expires_at FROM bookings WHERE id = $1 FOR UPDATE",
        )
        .await?;
    let row = tx.query_opt(&statement, &[&booking_id]).await?;
    row.map(|r| {
        let status: String = r.get(3);
        Ok(LockedBooking {
            id: r.get(0),
            user_id: r.get(1),
            pnr: r.get(2),
            status: BookingStatus::parse(&status)
                .ok_or_else(|| StoreError::internal(format!("unknown status {status}")))?,
            currency: r.get(4),
            total_amount: r.get(5),
            amount_due: r.get(6),
            expires_at: r.get(7),
        })
    })
    .transpose()
}

/// A flight a booking has live seats on, as the payment sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookedFlight {
    pub flight_id: i64,
    pub status: FlightStatus,
    pub departs_at: DateTime<Utc>,
}

#[tracing::instrument(name = "postgres.payments.flights_of_booking", level = "debug", skip_all, fields(booking_id = booking_id))]
pub async fn flights_of_booking(tx: &Transaction<'_>, booking_id: i64) -> Result<Vec<BookedFlight>, StoreError> {
    let statement = tx
        .prepare_cached(
            "SELECT DISTINCT f.id, f.status, f.departs_at FROM booking_seats s JOIN flights f ON f.id = s.flight_id
              WHERE s.booking_id = $1 AND s.live ORDER BY f.id",
        )
        .await?;
    tx.query(&statement, &[&booking_id])
        .await?
        .iter()
        .map(|r| {
            let status: String = r.get(1);
            Ok(BookedFlight {
                flight_id: r.get(0),
                status: FlightStatus::parse(&status)
                    .ok_or_else(|| StoreError::internal(format!("unknown flight status {status}")))?,
                departs_at: r.get(2),
            })
        })
        .collect()
}

pub struct PaymentRow<'a> {
    pub booking: &'a LockedBooking,
    pub amount: i64,
    pub method: &'a str,
    pub card_last4: Option<String>,
    pub reference: &'a str,
    pub decline_code: Option<&'a str>,
    /// The request's `Idempotency-Key`, kept with a success.
    pub idempotency_key: Option<&'a str>,
}

/// Records a successful payment and marks the booking paid. `Ok(None)` when
/// another success already exists (the unique index is the last word).
#[tracing::instrument(name = "postgres.payments.record_success", level = "debug", skip_all, fields(booking_id = payment.booking.id))]
pub async fn record_success(tx: &Transaction<'_>, payment: PaymentRow<'_>) -> Result<Option<i64>, StoreError> {
    let inserted = insert(tx, &payment, "SUCCEEDED").await;
    let id: i64 = match inserted {
        Ok(id) => id,
        Err(e) if is_unique_violation(&e, UniqueConstraint::OneSuccessfulPaymentPerBooking) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let statement = tx.prepare_cached("UPDATE bookings SET status = 'PAID', paid_at = now() WHERE id = $1").await?;
    tx.execute(&statement, &[&payment.booking.id]).await?;
    Ok(Some(id))
}

#[tracing::instrument(name = "postgres.payments.record_decline", level = "debug", skip_all, fields(booking_id = payment.booking.id))]
pub async fn record_decline(tx: &Transaction<'_>, payment: PaymentRow<'_>) -> Result<i64, StoreError> {
    Ok(insert(tx, &payment, "DECLINED").await?)
}

async fn insert(tx: &Transaction<'_>, payment: &PaymentRow<'_>, status: &str) -> Result<i64, tokio_postgres::Error> {
    let statement = tx
        .prepare_cached(
            "INSERT INTO payments (booking_id, user_id, amount, currency, status, method, card_last4, gateway_reference,
                                   decline_code, idempotency_key)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
        )
        .await?;
    let row = tx
        .query_one(
            &statement,
            &[
                &payment.booking.id,
                &payment.booking.user_id,
                &payment.amount,
                &payment.booking.currency,
                &status,
                &payment.method,
                &payment.card_last4,
                &payment.reference,
                &payment.decline_code,
                &payment.idempotency_key.filter(|_| status == "SUCCEEDED"),
            ],
        )
        .await?;
    Ok(row.get(0))
}

/// A booking's successful payment made under this `Idempotency-Key`.
#[derive(Debug, Clone)]
pub struct KeyedPayment {
    pub id: i64,
    pub method: String,
    pub card_last4: Option<String>,
    pub gateway_reference: String,
}

#[tracing::instrument(name = "postgres.payments.success_under_key", level = "debug", skip_all, fields(booking_id = booking_id))]
pub async fn success_under_key(
    tx: &Transaction<'_>,
    booking_id: i64,
    key: &str,
) -> Result<Option<KeyedPayment>, StoreError> {
    let row = tx
        .query_opt(
            "SELECT id, method, card_last4, gateway_reference FROM payments
              WHERE booking_id = $1 AND status = 'SUCCEEDED' AND idempotency_key = $2",
            &[&booking_id, &key],
        )
        .await?;
    Ok(row.map(|r| KeyedPayment { id: r.get(0), method: r.get(1), card_last4: r.get(2), gateway_reference: r.get(3) }))
}

/// The successful payment of a booking and what it was charged in all,
/// changes included: (the booking's payment id, amount). Refunds go back
/// against the booking's payment.
#[tracing::instrument(name = "postgres.payments.successful_payment", level = "debug", skip_all, fields(booking_id = booking_id))]
pub async fn successful_payment(tx: &Transaction<'_>, booking_id: i64) -> Result<Option<(i64, i64)>, StoreError> {
    let row = tx
        .query_opt(
            "SELECT min(id) FILTER (WHERE change_quote_id IS NULL), sum(amount)::bigint FROM payments
              WHERE booking_id = $1 AND status = 'SUCCEEDED' HAVING count(*) FILTER (WHERE change_quote_id IS NULL) > 0",
            &[&booking_id],
        )
        .await?;
    Ok(row.map(|r| (r.get(0), r.get(1))))
}

/// Sum of refunds already made for a booking (e.g. cashback).
#[tracing::instrument(name = "postgres.payments.refunded_so_far", level = "debug", skip_all, fields(booking_id = booking_id))]
pub async fn refunded_so_far(tx: &Transaction<'_>, booking_id: i64) -> Result<i64, StoreError> {
    let row = tx
        .query_one("SELECT coalesce(sum(amount), 0)::bigint FROM refunds WHERE booking_id = $1", &[&booking_id])
        .await?;
    Ok(row.get(0))
}

/// Records a (mock) refund without a quote (a cashback, the schedule's full
/// refund); `false` if one for this reason already exists (V16's
/// `refunds_one_cashback`, `refunds_one_unquoted_cancellation`).
#[tracing::instrument(name = "postgres.payments.record_refund", level = "debug", skip_all, fields(booking_id = booking_id, payment_id = payment_id, reason = reason))]
pub async fn record_refund(
    tx: &Transaction<'_>,
    booking_id: i64,
    payment_id: i64,
    amount: i64,
    reason: &str,
) -> Result<bool, StoreError> {
    let inserted = tx
        .execute(
            "INSERT INTO refunds (booking_id, payment_id, amount, reason) VALUES ($1, $2, $3, $4)
             ON CONFLICT DO NOTHING",
            &[&booking_id, &payment_id, &amount, &reason],
        )
        .await?;
    Ok(inserted == 1)
}

/// Refunds of one reason for a booking, summed (outside any transaction).
#[tracing::instrument(name = "postgres.payments.refunded_for", level = "debug", skip_all, fields(booking_id = booking_id, reason = reason))]
pub async fn refunded_for(pool: &deadpool_postgres::Pool, booking_id: i64, reason: &str) -> Result<i64, StoreError> {
    let client = pool.get().await?;
    let row = client
        .query_one(
            "SELECT coalesce(sum(amount), 0)::bigint FROM refunds WHERE booking_id = $1 AND reason = $2",
            &[&booking_id, &reason],
        )
        .await?;
    Ok(row.get(0))
}
