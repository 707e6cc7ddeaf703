//! The ports through which paying, cancelling and changing see the books:
//! one transaction over a locked booking, whose announcements (ticketing
//! messages, notifications) leave if and only if it commits.
//!
//! [`PgBooks`] is Postgres with the outbox; the unit tests of the use cases
//! run on an in-memory ledger (`service::fakes`). The ports of a voluntary
//! change and of a schedule change's answer are in their own modules.

mod changes;
mod schedule_changes;

pub use changes::ChangeBooks;
pub use schedule_changes::ScheduleChangeBooks;

use crate::domain::cancellation::{QuoteFacts, QuotedSeat};
use crate::domain::invoice::{CreditNote, DebitNote, Invoice};
use crate::service::notifications::{self, Notification};
use crate::store::bookings::{mark_cancelled, release_seats, ReleasedSeat};
use crate::store::cancellation_quotes::{self, StoredQuote};
use crate::store::discounts;
use crate::store::documents::{self, NewCreditNote};
use crate::store::outbox::{Destination, Outgoing};
use crate::store::payments::{
    flights_of_booking, lock_booking, record_decline, record_refund, record_success, refunded_so_far,
    success_under_key, successful_payment, BookedFlight, KeyedPayment, LockedBooking, PaymentRow,
};
use crate::store::tickets::{self, void_for_booking, GapFreeSeries};
use crate::ApiError;
use deadpool_postgres::{Client, Transaction};
use std::future::Future;

/// What every use case over a locked booking needs.
pub trait Books: Send {
    /// The booking, locked until the transaction ends.
    fn lock(&mut self, booking_id: i64) -> impl Future<Output = Result<Option<LockedBooking>, ApiError>> + Send;
    /// Sent after the commit, never without it.
    fn announce(&mut self, notification: &Notification) -> impl Future<Output = Result<(), ApiError>> + Send;
    fn commit(self) -> impl Future<Output = Result<(), ApiError>> + Send;
}

/// What a payment records.
pub trait PaymentBooks: Books {
    /// The booking's successful payment made under this `Idempotency-Key`.
    fn success_under_key(
        &mut self,
        booking_id: i64,
        key: &str,
    ) -> impl Future<Output = Result<Option<KeyedPayment>, ApiError>> + Send;
    fn record_decline(&mut self, payment: PaymentRow<'_>) -> impl Future<Output = Result<(), ApiError>> + Send;
    /// Records the success and marks the booking paid; `None` when another
    /// success got there first.
    fn record_success(&mut self, payment: PaymentRow<'_>)
        -> impl Future<Output = Result<Option<i64>, ApiError>> + Send;
    /// The flights the booking's live seats are on.
    fn flights_of(&mut self, booking_id: i64) -> impl Future<Output = Result<Vec<BookedFlight>, ApiError>> + Send;
    /// Asks for the booking's tickets (the ticketing queue).
    fn request_tickets(&mut self, booking_id: i64) -> impl Future<Output = Result<(), ApiError>> + Send;
}

/// What a refund of a paid booking needs to issue its credit note: the
/// booking's documents as issued, and the credit note series.
pub trait CreditNoteBooks: Send {
    /// The booking's invoice as stored at issue; `None` before its tickets
    /// are issued.
    fn issued_invoice(&mut self, booking_id: i64) -> impl Future<Output = Result<Option<Invoice>, ApiError>> + Send;
    /// The credit notes against it so far, in issue order.
    fn credit_notes(&mut self, booking_id: i64) -> impl Future<Output = Result<Vec<CreditNote>, ApiError>> + Send;
    /// The debit notes added to it so far (what a refund may also credit).
    fn debit_notes(&mut self, booking_id: i64) -> impl Future<Output = Result<Vec<DebitNote>, ApiError>> + Send;
    /// Numbers the note from the gap-free series and stores it; the series
    /// is locked until the commit, so this comes last.
    fn issue_credit_note(
        &mut self,
        booking_id: i64,
        note: CreditNote,
    ) -> impl Future<Output = Result<CreditNote, ApiError>> + Send;
}

/// What a refund is measured against: what the booking paid and what came
/// back of it so far (cancellations and cheaper changes both refund).
pub trait RefundableBooks: Send {
    /// The booking's own successful payment and everything paid on it
    /// (changes' charges included): (payment id, amount).
    fn successful_payment(
        &mut self,
        booking_id: i64,
    ) -> impl Future<Output = Result<Option<(i64, i64)>, ApiError>> + Send;
    fn refunded_so_far(&mut self, booking_id: i64) -> impl Future<Output = Result<i64, ApiError>> + Send;
}

/// What cancelling a paid booking changes.
pub trait CancellationBooks: Books + CreditNoteBooks + RefundableBooks {
    fn mark_cancelled(&mut self, booking_id: i64) -> impl Future<Output = Result<(), ApiError>> + Send;
    /// Frees the booking's live seats.
    fn release_seats(&mut self, booking_id: i64) -> impl Future<Output = Result<Vec<ReleasedSeat>, ApiError>> + Send;
    fn void_tickets(&mut self, booking_id: i64) -> impl Future<Output = Result<u64, ApiError>> + Send;
    /// `false` when a refund for this reason exists already.
    fn record_refund(
        &mut self,
        booking_id: i64,
        payment_id: i64,
        amount: i64,
        reason: &str,
    ) -> impl Future<Output = Result<bool, ApiError>> + Send;
}

/// What confirming a cancellation quote reads and changes, beside what
/// any cancellation does: part of a booking may go, refunded once per quote.
pub trait QuoteBooks: CancellationBooks {
    /// The quote, locked until the transaction ends.
    fn quote(&mut self, quote_id: i64) -> impl Future<Output = Result<Option<StoredQuote>, ApiError>> + Send;
    /// What a quote of the booking is computed from, as this transaction
    /// sees it.
    fn quote_facts(&mut self, booking_id: i64) -> impl Future<Output = Result<Option<QuoteFacts>, ApiError>> + Send;
    /// Frees these live seats of the booking.
    fn release_chosen(
        &mut self,
        booking_id: i64,
        seats: &[QuotedSeat],
    ) -> impl Future<Output = Result<Vec<ReleasedSeat>, ApiError>> + Send;
    /// Voids the tickets of these (passenger, leg) pairs.
    fn void_chosen(
        &mut self,
        booking_id: i64,
        legs: &[(i32, i32)],
    ) -> impl Future<Output = Result<u64, ApiError>> + Send;
    /// An unpaid booking's promo use comes back with it.
    fn give_back_promo(&mut self, booking_id: i64) -> impl Future<Output = Result<(), ApiError>> + Send;
    /// The refund the quote makes; its id.
    fn record_quote_refund(
        &mut self,
        booking_id: i64,
        payment_id: i64,
        amount: i64,
        quote_id: i64,
    ) -> impl Future<Output = Result<i64, ApiError>> + Send;
    /// Records the confirmation; when it happened by the books' clock.
    fn confirm_quote(
        &mut self,
        quote_id: i64,
        confirmation: QuoteConfirmation<'_>,
    ) -> impl Future<Output = Result<chrono::DateTime<chrono::Utc>, ApiError>> + Send;
}

/// What a confirmation records on its quote.
#[derive(Clone, Copy, Debug)]
pub struct QuoteConfirmation<'a> {
    pub idempotency_key: Option<&'a str>,
    pub refund_id: Option<i64>,
    pub closed_booking: bool,
}

/// The books in Postgres: one transaction, and the outbox messages it
/// queued, handed to `committed` only once the commit succeeded.
pub struct PgBooks<'c, 'o> {
    tx: Transaction<'c>,
    pending: Outgoing,
    committed: &'o mut Outgoing,
}

/// The ticketing queue's message (read by tickets-issue).
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct BookingPaid {
    #[serde(rename = "type")]
    kind: &'static str,
    booking_id: i64,
}

impl<'c, 'o> PgBooks<'c, 'o> {
    /// Begins the transaction; what it announces lands in `committed` if
    /// it commits, for the caller to send once the connection is back.
    pub async fn begin(client: &'c mut Client, committed: &'o mut Outgoing) -> Result<Self, ApiError> {
        Ok(PgBooks { tx: client.transaction().await?, pending: Outgoing::default(), committed })
    }
}

impl Books for PgBooks<'_, '_> {
    async fn lock(&mut self, booking_id: i64) -> Result<Option<LockedBooking>, ApiError> {
        Ok(lock_booking(&self.tx, booking_id).await?)
    }

    async fn announce(&mut self, notification: &Notification) -> Result<(), ApiError> {
        notifications::enqueue(&mut self.pending, &self.tx, notification).await
    }

    async fn commit(self) -> Result<(), ApiError> {
        self.tx.commit().await?;
        *self.committed = self.pending;
        Ok(())
    }
}

impl PaymentBooks for PgBooks<'_, '_> {
    async fn success_under_key(&mut self, booking_id: i64, key: &str) -> Result<Option<KeyedPayment>, ApiError> {
        Ok(success_under_key(&self.tx, booking_id, key).await?)
    }

    async fn record_decline(&mut self, payment: PaymentRow<'_>) -> Result<(), ApiError> {
        record_decline(&self.tx, payment).await?;
        Ok(())
    }

    async fn record_success(&mut self, payment: PaymentRow<'_>) -> Result<Option<i64>, ApiError> {
        Ok(record_success(&self.tx, payment).await?)
    }

    async fn flights_of(&mut self, booking_id: i64) -> Result<Vec<BookedFlight>, ApiError> {
        Ok(flights_of_booking(&self.tx, booking_id).await?)
    }

    async fn request_tickets(&mut self, booking_id: i64) -> Result<(), ApiError> {
        let message =
            serde_json::to_value(BookingPaid { kind: "booking.paid", booking_id }).map_err(ApiError::internal)?;
        let dedup = format!("ticketing:{booking_id}");
        Ok(self.pending.enqueue(&self.tx, Destination::Ticketing, &message, Some(&dedup)).await?)
    }
}

/// The credit note side of a transaction the caller runs itself (applying a
/// cashback).
pub struct TxCreditNotes<'t, 'c>(pub &'t Transaction<'c>);

impl CreditNoteBooks for TxCreditNotes<'_, '_> {
    async fn issued_invoice(&mut self, booking_id: i64) -> Result<Option<Invoice>, ApiError> {
        let Some(stored) = documents::invoice_in(self.0, booking_id).await? else { return Ok(None) };
        match serde_json::from_value(stored.document) {
            Ok(invoice) => Ok(Some(invoice)),
            Err(error) => {
                // An invoice stored before the document was read back, in a
                // shape today's type does not read: the refund goes ahead
                // (the customer's money matters more), and the missing
                // credit note is for an accountant to issue by hand.
                tracing::error!(%error, booking_id, invoice = %stored.number, "stored invoice unreadable: no credit note");
                Ok(None)
            }
        }
    }

    async fn credit_notes(&mut self, booking_id: i64) -> Result<Vec<CreditNote>, ApiError> {
        documents::credit_notes_in(self.0, booking_id)
            .await?
            .into_iter()
            .map(|stored| serde_json::from_value(stored.document).map_err(ApiError::internal))
            .collect()
    }

    async fn debit_notes(&mut self, booking_id: i64) -> Result<Vec<DebitNote>, ApiError> {
        documents::debit_notes_in(self.0, booking_id)
            .await?
            .into_iter()
            .map(|stored| serde_json::from_value(stored.document).map_err(ApiError::internal))
            .collect()
    }

    async fn issue_credit_note(&mut self, booking_id: i64, mut note: CreditNote) -> Result<CreditNote, ApiError> {
        let number = tickets::next_in_series(self.0, GapFreeSeries::CreditNotes, note.issued_at).await?;
        note.credit_note_number = number.2.clone();
        let document = serde_json::to_value(&note).map_err(ApiError::internal)?;
        let row = NewCreditNote {
            booking_id,
            invoice_number: &note.invoice_number,
            reason: note.reason.as_str(),
            amount: note.credit_total,
            issued_at: note.issued_at,
            document: &document,
        };
        documents::insert_credit_note(self.0, &number, &row).await?;
        Ok(note)
    }
}

impl CreditNoteBooks for PgBooks<'_, '_> {
    async fn issued_invoice(&mut self, booking_id: i64) -> Result<Option<Invoice>, ApiError> {
        TxCreditNotes(&self.tx).issued_invoice(booking_id).await
    }

    async fn credit_notes(&mut self, booking_id: i64) -> Result<Vec<CreditNote>, ApiError> {
        TxCreditNotes(&self.tx).credit_notes(booking_id).await
    }

    async fn debit_notes(&mut self, booking_id: i64) -> Result<Vec<DebitNote>, ApiError> {
        TxCreditNotes(&self.tx).debit_notes(booking_id).await
    }

    async fn issue_credit_note(&mut self, booking_id: i64, note: CreditNote) -> Result<CreditNote, ApiError> {
        TxCreditNotes(&self.tx).issue_credit_note(booking_id, note).await
    }
}

impl RefundableBooks for PgBooks<'_, '_> {
    async fn successful_payment(&mut self, booking_id: i64) -> Result<Option<(i64, i64)>, ApiError> {
        Ok(successful_payment(&self.tx, booking_id).await?)
    }

    async fn refunded_so_far(&mut self, booking_id: i64) -> Result<i64, ApiError> {
        Ok(refunded_so_far(&self.tx, booking_id).await?)
    }
}

impl CancellationBooks for PgBooks<'_, '_> {
    async fn mark_cancelled(&mut self, booking_id: i64) -> Result<(), ApiError> {
        Ok(mark_cancelled(&self.tx, booking_id).await?)
    }

    async fn release_seats(&mut self, booking_id: i64) -> Result<Vec<ReleasedSeat>, ApiError> {
        Ok(release_seats(&self.tx, &[booking_id]).await?)
    }

    async fn void_tickets(&mut self, booking_id: i64) -> Result<u64, ApiError> {
        Ok(void_for_booking(&self.tx, booking_id).await?)
    }

    async fn record_refund(
        &mut self,
        booking_id: i64,
        payment_id: i64,
        amount: i64,
        reason: &str,
    ) -> Result<bool, ApiError> {
        Ok(record_refund(&self.tx, booking_id, payment_id, amount, reason).await?)
    }
}

impl QuoteBooks for PgBooks<'_, '_> {
    async fn quote(&mut self, quote_id: i64) -> Result<Option<StoredQuote>, ApiError> {
        Ok(cancellation_quotes::lock(&self.tx, quote_id).await?)
    }

    async fn quote_facts(&mut self, booking_id: i64) -> Result<Option<QuoteFacts>, ApiError> {
        Ok(cancellation_quotes::facts(&self.tx, booking_id).await?)
    }

    async fn release_chosen(&mut self, booking_id: i64, seats: &[QuotedSeat]) -> Result<Vec<ReleasedSeat>, ApiError> {
        Ok(cancellation_quotes::release_chosen(&self.tx, booking_id, seats).await?)
    }

    async fn void_chosen(&mut self, booking_id: i64, legs: &[(i32, i32)]) -> Result<u64, ApiError> {
        Ok(cancellation_quotes::void_chosen(&self.tx, booking_id, legs).await?)
    }

    async fn give_back_promo(&mut self, booking_id: i64) -> Result<(), ApiError> {
        discounts::give_back_uses(&self.tx, &[booking_id]).await?;
        Ok(())
    }

    async fn record_quote_refund(
        &mut self,
        booking_id: i64,
        payment_id: i64,
        amount: i64,
        quote_id: i64,
    ) -> Result<i64, ApiError> {
        Ok(cancellation_quotes::record_refund(&self.tx, booking_id, payment_id, amount, quote_id).await?)
    }

    async fn confirm_quote(
        &mut self,
        quote_id: i64,
        confirmation: QuoteConfirmation<'_>,
    ) -> Result<chrono::DateTime<chrono::Utc>, ApiError> {
        let QuoteConfirmation { idempotency_key, refund_id, closed_booking } = confirmation;
        Ok(cancellation_quotes::confirm(&self.tx, quote_id, idempotency_key, refund_id, closed_booking).await?)
    }
}
