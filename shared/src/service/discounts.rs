//! Applying a discount code to a booking. Before payment it lowers what is
//! due; after payment (the order the original walkthrough uses) it is granted
//! as cashback: a mock refund of the discount to the original payment, with
//! its GST credit note once the booking's invoice is issued.

use super::notifications::NotificationKind;
use super::notifications::{self, Notification};
use crate::auth::caller::Caller;
use crate::domain::booking::BookingStatus;
use crate::domain::discount::{discount_amount, DiscountKind, Rejection};
use crate::domain::invoice::CreditReason;
use crate::domain::money::Money;
use crate::service::books::TxCreditNotes;
use crate::service::credit_notes::credit_refund;
use crate::store::discounts;
use crate::store::outbox::Outgoing;
use crate::store::payments::{lock_booking, record_refund, successful_payment};
use crate::ErrorCode;
use crate::{ApiError, Services};
use chrono::Utc;

/// How an applied code reaches the customer: off the amount due before
/// payment, or as cashback to the payment after it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AppliedAs {
    Discount,
    Cashback,
}

/// A code applied to a booking, and what the booking costs now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppliedDiscount {
    pub booking_id: i64,
    pub code: String,
    pub description: String,
    pub kind: DiscountKind,
    /// What the code took off (or paid back).
    pub amount: Money,
    pub applied_as: AppliedAs,
    /// Still to pay: zero once paid.
    pub amount_due: Money,
    /// What the booking costs the customer in the end.
    pub final_amount: Money,
    pub cashback: Money,
}

pub fn normalise_code(raw: &str) -> Result<String, ApiError> {
    let code = raw.trim().to_ascii_uppercase();
    if code.len() < 3 || code.len() > 20 || !code.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(ApiError::invalid_field("code", "a discount code is 3 to 20 letters and digits"));
    }
    Ok(code)
}

pub async fn apply_discount(
    svc: &Services,
    caller: &Caller,
    booking_id: i64,
    raw_code: &str,
) -> Result<AppliedDiscount, ApiError> {
    let code = normalise_code(raw_code)?;
    let mut client = svc.db.get().await?;
    let tx = client.transaction().await?;
    let mut outgoing = Outgoing::default();
    let booking = match lock_booking(&tx, booking_id).await? {
        Some(b) if b.user_id == caller.user_id => b,
        _ => return Err(ApiError::not_found(format!("booking {booking_id} does not exist"))),
    };
    let discount = discounts::find(&tx, &code)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("discount code {code} does not exist")))?;
    let as_cashback = match booking.status {
        BookingStatus::PendingPayment => false,
        BookingStatus::Paid => true,
        other => {
            return Err(ApiError::conflict(
                ErrorCode::BookingNotDiscountable,
                format!("booking {booking_id} is {}; a discount cannot apply", other.as_str()),
            ))
        }
    };
    if let Some(existing) = discounts::applied_to_booking(&tx, booking_id).await? {
        return Err(ApiError::conflict(
            ErrorCode::DiscountAlreadyApplied,
            format!("booking {booking_id} already has code {existing}"),
        )
        .with("appliedCode", existing));
    }
    // Paid or not, what the customer pays (or paid) is the amount due.
    let amount =
        discount_amount(&discount, booking.total_amount, booking.amount_due, Utc::now()).map_err(|rejection| {
            let (error_code, detail) = match &rejection {
                Rejection::Inactive => (ErrorCode::DiscountInactive, format!("{code} is not active")),
                Rejection::NotYetValid => (ErrorCode::DiscountNotYetValid, format!("{code} is not valid yet")),
                Rejection::Expired => (ErrorCode::DiscountExpired, format!("{code} has expired")),
                Rejection::BelowMinimumFare { min_fare } => (
                    ErrorCode::DiscountMinFareNotMet,
                    format!("{code} needs a fare of at least {}", Money::new(*min_fare, &booking.currency).formatted()),
                ),
            };
            ApiError::unprocessable(error_code, detail)
        })?;
    let (used, per_user_limit) = discounts::uses_by_user(&tx, &code, caller.user_id).await?;
    if used >= i64::from(per_user_limit) {
        return Err(ApiError::unprocessable(
            ErrorCode::DiscountUserLimit,
            format!("you have already used {code} {used} time(s)"),
        ));
    }
    if !discounts::take_one_use(&tx, &code).await? {
        return Err(ApiError::unprocessable(ErrorCode::DiscountExhausted, format!("{code} has no uses left")));
    }
    if amount <= 0 {
        return Err(ApiError::unprocessable(
            ErrorCode::DiscountNotApplicable,
            format!("{code} takes nothing off this booking"),
        ));
    }
    let money = |v: i64| Money::new(v, &booking.currency);
    let (amount_due, final_amount, cashback) = if as_cashback {
        let (payment_id, paid) = successful_payment(&tx, booking_id)
            .await?
            .ok_or_else(|| ApiError::internal(format!("paid booking {booking_id} has no payment")))?;
        record_refund(&tx, booking_id, payment_id, amount, "CASHBACK").await?;
        discounts::record(&tx, booking_id, &code, caller.user_id, amount, "CASHBACK").await?;
        credit_refund(&mut TxCreditNotes(&tx), booking_id, amount, CreditReason::Cashback, Utc::now()).await?;
        let notification = Notification::new(
            caller.user_id,
            NotificationKind::Refund,
            format!("Cashback for {}", booking.pnr),
            format!("{} cashback ({code}) is on its way to your original payment method.", money(amount).formatted()),
        );
        notifications::enqueue(&mut outgoing, &tx, &notification).await?;
        (0, paid - amount, amount)
    } else {
        discounts::record(&tx, booking_id, &code, caller.user_id, amount, "DISCOUNT").await?;
        let due = discounts::lower_amount_due(&tx, booking_id, amount).await?;
        (due, due, 0)
    };
    tx.commit().await?;
    drop(client);
    outgoing.send(&svc.outbox()).await;
    Ok(AppliedDiscount {
        booking_id,
        code,
        description: discount.description,
        kind: discount.kind,
        amount: money(amount),
        applied_as: if as_cashback { AppliedAs::Cashback } else { AppliedAs::Discount },
        amount_due: money(amount_due),
        final_amount: money(final_amount),
        cashback: money(cashback),
    })
}
