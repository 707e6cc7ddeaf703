//! Discount codes and their use. Usage is counted with a conditional
//! `UPDATE`, so two concurrent uses of a code with one use left cannot both
//! succeed; the booking's row lock and its primary key make one code per booking.
//! The code's row is locked while a use is decided, so a customer's own
//! limit holds too when they apply it to two bookings at once.

use super::StoreError;
use crate::domain::discount::{DiscountCode, DiscountKind};
use deadpool_postgres::Transaction;

/// The code, its row locked until the transaction ends.
#[tracing::instrument(name = "postgres.discounts.find", level = "debug", skip_all)]
pub async fn find(tx: &Transaction<'_>, code: &str) -> Result<Option<DiscountCode>, StoreError> {
    let row = tx
        .query_opt(
            "SELECT code, description, kind, value, max_discount, min_fare, valid_from, valid_until, active
             FROM discount_codes WHERE code = $1 FOR UPDATE",
            &[&code],
        )
        .await?;
    Ok(row.map(|r| DiscountCode {
        code: r.get(0),
        description: r.get(1),
        kind: if r.get::<_, String>(2) == "PERCENT" { DiscountKind::Percent } else { DiscountKind::Flat },
        value: r.get(3),
        max_discount: r.get(4),
        min_fare: r.get(5),
        valid_from: r.get(6),
        valid_until: r.get(7),
        active: r.get(8),
    }))
}

#[tracing::instrument(name = "postgres.discounts.applied_to_booking", level = "debug", skip_all, fields(booking_id = booking_id))]
pub async fn applied_to_booking(tx: &Transaction<'_>, booking_id: i64) -> Result<Option<String>, StoreError> {
    let row = tx.query_opt("SELECT code FROM booking_discounts WHERE booking_id = $1", &[&booking_id]).await?;
    Ok(row.map(|r| r.get(0)))
}

/// Gives back the promo uses of bookings that ended unpaid: their codes
/// may be used again, by anyone and by their customers. Returns how many.
#[tracing::instrument(name = "postgres.discounts.give_back_uses", level = "debug", skip_all, fields(bookings = booking_ids.len()))]
pub async fn give_back_uses(tx: &Transaction<'_>, booking_ids: &[i64]) -> Result<u64, StoreError> {
    if booking_ids.is_empty() {
        return Ok(0);
    }
    let statement = tx
        .prepare_cached(
            "WITH released AS (
                 UPDATE booking_discounts SET released_at = now()
                  WHERE booking_id = ANY($1) AND released_at IS NULL AND applied_as = 'DISCOUNT'
                 RETURNING code
             ), counts AS (
                 SELECT code, count(*)::int AS n FROM released GROUP BY code
             ), lowered AS (
                 UPDATE discount_codes d SET usage_count = d.usage_count - counts.n
                   FROM counts WHERE d.code = counts.code
                 RETURNING counts.n
             )
             SELECT coalesce(sum(n), 0)::bigint FROM lowered",
        )
        .await?;
    let given_back: i64 = tx.query_one(&statement, &[&booking_ids]).await?.get(0);
    Ok(given_back as u64)
}

/// Uses of `code` by the user so far, and the code's per-user limit.
#[tracing::instrument(name = "postgres.discounts.uses_by_user", level = "debug", skip_all, fields(user_id = user_id))]
pub async fn uses_by_user(tx: &Transaction<'_>, code: &str, user_id: i64) -> Result<(i64, i32), StoreError> {
    let row = tx
        .query_one(
            "SELECT (SELECT count(*) FROM booking_discounts WHERE code = $1 AND user_id = $2 AND released_at IS NULL),
                    (SELECT per_user_limit FROM discount_codes WHERE code = $1)",
            &[&code, &user_id],
        )
        .await?;
    Ok((row.get(0), row.get(1)))
}

/// Counts one use; `false` when the code's total usage limit is reached.
#[tracing::instrument(name = "postgres.discounts.take_one_use", level = "debug", skip_all)]
pub async fn take_one_use(tx: &Transaction<'_>, code: &str) -> Result<bool, StoreError> {
    let updated = tx
        .execute(
            "UPDATE discount_codes SET usage_count = usage_count + 1
             WHERE code = $1 AND (usage_limit IS NULL OR usage_count < usage_limit)",
            &[&code],
        )
        .await?;
    Ok(updated == 1)
}

#[tracing::instrument(name = "postgres.discounts.record", level = "debug", skip_all, fields(booking_id = booking_id, user_id = user_id))]
pub async fn record(
    tx: &Transaction<'_>,
    booking_id: i64,
    code: &str,
    user_id: i64,
    amount: i64,
    applied_as: &str,
) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO booking_discounts (booking_id, code, user_id, amount, applied_as) VALUES ($1, $2, $3, $4, $5)",
        &[&booking_id, &code, &user_id, &amount, &applied_as],
    )
    .await?;
    Ok(())
}

#[tracing::instrument(name = "postgres.discounts.lower_amount_due", level = "debug", skip_all, fields(booking_id = booking_id))]
pub async fn lower_amount_due(tx: &Transaction<'_>, booking_id: i64, amount: i64) -> Result<i64, StoreError> {
    let row = tx
        .query_one(
            "UPDATE bookings SET discount_amount = discount_amount + $2 WHERE id = $1 RETURNING amount_due",
            &[&booking_id, &amount],
        )
        .await?;
    Ok(row.get(0))
}
