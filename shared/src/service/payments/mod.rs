//! Paying a booking through the mock gateway: the rate limit, then one
//! Postgres transaction that settles the payment (`settlement`: the rules,
//! over the [`PaymentBooks`](crate::service::books::PaymentBooks) port),
//! then the outbox drained right after the commit (and every minute), and
//! the receipt read back.

mod settlement;

pub use settlement::{settle, Settled};

use super::bookings::{details, BookingDetails};
use crate::auth::caller::Caller;
use crate::domain::money::Money;
use crate::domain::payment::PaymentMethod;
use crate::service::books::PgBooks;
use crate::store::bookings::PgBookings;
use crate::store::outbox::Outgoing;
use crate::store::rate_limit::LimitError;
use crate::{ApiError, Services};
use chrono::Utc;

pub struct PayRequest {
    pub booking_id: i64,
    /// What the client believes is due, minor units (the original sends rupees).
    pub expected_amount: Option<i64>,
    pub method: PaymentMethod,
    /// The request's `Idempotency-Key`: a retry under it after a lost
    /// answer gets the success again.
    pub idempotency_key: Option<String>,
}

/// A payment that went through, with the booking it paid.
pub struct PaymentReceipt {
    pub payment_id: i64,
    pub amount: Money,
    pub method: String,
    pub card_last4: Option<String>,
    pub gateway_reference: String,
    pub booking: BookingDetails,
}

/// The answer to a successful payment. It is committed by now: a failure
/// to read the booking back must not say "nothing was changed".
async fn receipt(svc: &Services, paid: Settled) -> Result<PaymentReceipt, ApiError> {
    let after_commit = |e: ApiError| {
        tracing::error!(error = %e, payment_id = paid.payment_id, "paid, but the answer could not be built");
        ApiError::outcome_unknown(format!(
            "payment {} for booking {} succeeded, but its details could not be read; retry with the same \
             Idempotency-Key to get them",
            paid.payment_id, paid.booking_id
        ))
    };
    let record = PgBookings::new(&svc.db)
        .find(paid.booking_id)
        .await
        .map_err(|e| after_commit(e.into()))?
        .ok_or_else(|| ApiError::internal("booking vanished after payment"))?;
    let booking = details(svc, record).await.map_err(after_commit)?;
    Ok(PaymentReceipt {
        payment_id: paid.payment_id,
        amount: paid.due,
        method: paid.method,
        card_last4: paid.card_last4,
        gateway_reference: paid.gateway_reference,
        booking,
    })
}

pub async fn pay(svc: &Services, caller: &Caller, request: PayRequest) -> Result<PaymentReceipt, ApiError> {
    // Payments need Postgres, not Redis: if the limiter cannot be reached
    // the payment goes ahead rather than failing.
    match svc.rate_limiter().check("payment", caller.user_id, svc.config.payment_rate_per_minute).await {
        Err(e @ LimitError::Exceeded { .. }) => return Err(e.into()),
        Err(e) => tracing::warn!(error = %e, "payment rate limiter unavailable; not limiting"),
        Ok(()) => {}
    }
    let mut client = svc.db.get().await?;
    let mut committed = Outgoing::default();
    let settled =
        settle(PgBooks::begin(&mut client, &mut committed).await?, caller.user_id, &request, Utc::now()).await;
    drop(client);
    committed.send(&svc.outbox()).await;
    receipt(svc, settled?).await
}
